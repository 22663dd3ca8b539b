// The A/B slot record (host/persist.ts is its twin; both must agree byte for byte):
//   u32 magic "NPST", u16 version 1, u16 0, u32 sequence, u32 configLen, u32 authLen, u32 crc32(payload),
//   then the config record and the console's auth record.
// A save erases the slot that does not hold the newest valid record, programs the payload and the header
// without the magic, and programs the magic last: a power cut at any point leaves that slot without its
// magic or with a CRC that fails, so the other slot still wins at boot.
#include <string.h>
#include "config_store.h"
#include "hal.h"

#define MAGIC 0x5453504eu
#define VERSION 1
#define HEADER 24

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
  if (get32(p) != MAGIC || (p[4] | (p[5] << 8)) != VERSION) return 0;
  uint32_t config_len = get32(p + 12), auth_len = get32(p + 16);
  if (config_len > HAL_FLASH_SLOT_BYTES || auth_len > HAL_FLASH_SLOT_BYTES || HEADER + config_len + auth_len > HAL_FLASH_SLOT_BYTES) return 0;
  if ((crc32_update(0xffffffffu, p + HEADER, config_len + auth_len) ^ 0xffffffffu) != get32(p + 20)) return 0;
  r->config = p + HEADER; r->config_len = config_len;
  r->auth = p + HEADER + config_len; r->auth_len = auth_len;
  r->sequence = get32(p + 8);
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
  if (HEADER + config_len + auth_len > HAL_FLASH_SLOT_BYTES) return -1;
  stored_record newest;
  int have = store_load(&newest);
  int slot = have ? 1 - newest.slot : 0;
  uint8_t header[HEADER];
  memset(header, 0, sizeof header);
  put32(header, 0xffffffffu); // the magic stays erased until the end
  header[4] = VERSION;
  put32(header + 8, have ? newest.sequence + 1 : 1);
  put32(header + 12, config_len);
  put32(header + 16, auth_len);
  uint32_t crc = crc32_update(crc32_update(0xffffffffu, config, config_len), auth, auth_len) ^ 0xffffffffu;
  put32(header + 20, crc);
  if (hal_flash_erase(slot)) return -1;
  if (hal_flash_program(slot, HEADER, config, config_len)) return -1;
  if (hal_flash_program(slot, HEADER + config_len, auth, auth_len)) return -1;
  if (hal_flash_program(slot, 4, header + 4, HEADER - 4)) return -1;
  uint8_t magic[4];
  put32(magic, MAGIC);
  if (hal_flash_program(slot, 0, magic, 4)) return -1;
  stored_record check;
  if (!decode(slot, &check)) return -1;
  *slot_used = slot;
  return 0;
}
