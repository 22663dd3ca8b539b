// Config that survives power loss on the board: the same A/B slot record as host/persist.ts, kept in
// two flash sectors behind hal_flash_*.
#pragma once
#include <stdint.h>
#include <stddef.h>

typedef struct {
  const uint8_t *config; uint32_t config_len;
  const uint8_t *auth; uint32_t auth_len;
  uint32_t sequence;
  int slot; // 0 = A, 1 = B
} stored_record;

/** The newest valid slot, or 0 when neither holds a valid record (torn, corrupt, erased, other version). */
int store_load(stored_record *out);
/** Writes a new record into the slot that does not hold the newest valid one; 0 on success. */
int store_save(const uint8_t *config, uint32_t config_len, const uint8_t *auth, uint32_t auth_len, int *slot_used);
