// The A/B slot record, laid out by host/layout.ts (STORE_*: layout.generated.h; host/persist.ts writes
// the same record): a header (magic, version, sequence, lengths, CRC-32 of the payload), then the config
// record and the console's auth record.
// A save erases the slot that does not hold the newest valid record, programs the payload and the header
// without the magic, and programs the magic last: a power cut at any point leaves that slot without its
// magic or with a CRC that fails, so the other slot still wins at boot.
#include <string.h>
#include "config_store.h"
#include "hal.h"
#include "layout.generated.h"

static uint32_t get32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }
static void put32(uint8_t *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

static uint32_t crc32_update(uint32_t c, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    c ^= b[i];
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
  }
  return c;
}

static int decode(int slot, stored_record *r) {
  const uint8_t *p = hal_flash_slot(slot);
  if (get32(p + STORE_O_MAGIC) != STORE_MAGIC || (p[STORE_O_VERSION] | (p[STORE_O_VERSION + 1] << 8)) != STORE_VERSION) return 0;
  uint32_t config_len = get32(p + STORE_O_CONFIG_LEN), auth_len = get32(p + STORE_O_AUTH_LEN);
  if (config_len > HAL_FLASH_SLOT_BYTES || auth_len > HAL_FLASH_SLOT_BYTES || STORE_HEADER + config_len + auth_len > HAL_FLASH_SLOT_BYTES) return 0;
  if ((crc32_update(0xffffffffu, p + STORE_HEADER, config_len + auth_len) ^ 0xffffffffu) != get32(p + STORE_O_CRC)) return 0;
  r->config = p + STORE_HEADER; r->config_len = config_len;
  r->auth = p + STORE_HEADER + config_len; r->auth_len = auth_len;
  r->sequence = get32(p + STORE_O_SEQUENCE);
  r->slot = slot;
  return 1;
}

int store_load(stored_record *out) {
  stored_record a, b;
  int va = decode(0, &a), vb = decode(1, &b);
  if (va && vb) *out = (int32_t)(b.sequence - a.sequence) > 0 ? b : a;
  else if (va) *out = a;
  else if (vb) *out = b;
  return va || vb;
}

int store_save(const uint8_t *config, uint32_t config_len, const uint8_t *auth, uint32_t auth_len, int *slot_used) {
  if (STORE_HEADER + config_len + auth_len > HAL_FLASH_SLOT_BYTES) return -1;
  stored_record newest;
  int have = store_load(&newest);
  int slot = have ? 1 - newest.slot : 0;
  uint8_t header[STORE_HEADER];
  memset(header, 0, sizeof header);
  put32(header + STORE_O_MAGIC, 0xffffffffu); // the magic stays erased until the end
  header[STORE_O_VERSION] = STORE_VERSION;
  put32(header + STORE_O_SEQUENCE, have ? newest.sequence + 1 : 1);
  put32(header + STORE_O_CONFIG_LEN, config_len);
  put32(header + STORE_O_AUTH_LEN, auth_len);
  uint32_t crc = crc32_update(crc32_update(0xffffffffu, config, config_len), auth, auth_len) ^ 0xffffffffu;
  put32(header + STORE_O_CRC, crc);
  if (hal_flash_erase(slot)) return -1;
  if (hal_flash_program(slot, STORE_HEADER, config, config_len)) return -1;
  if (hal_flash_program(slot, STORE_HEADER + config_len, auth, auth_len)) return -1;
  if (hal_flash_program(slot, STORE_O_MAGIC + 4, header + STORE_O_MAGIC + 4, STORE_HEADER - 4)) return -1; // all but the magic
  uint8_t magic[4];
  put32(magic, STORE_MAGIC);
  if (hal_flash_program(slot, STORE_O_MAGIC, magic, 4)) return -1;
  stored_record check;
  if (!decode(slot, &check)) return -1;
  *slot_used = slot;
  return 0;
}
