// The config slots (hal.h) in the last 16 KiB of the ESP32-C3's flash, read in place through the cache
// (boot.c maps them) and erased and programmed through the ROM's SPI flash functions. While flash is
// being written the cache must not fetch from it, so the code that calls them is in IRAM, suspends the
// cache around the call and touches only RAM; the programmed bytes are staged in RAM first, and the
// cache's stale lines for the slot are dropped afterwards.
#include <stdint.h>
#include <string.h>
#include "esp32c3.h"
#include "hal.h"

#define IRAM __attribute__((section(".iram.flash"), noinline))
#define SECTOR 4096u
#define PAGE 256u

int esp_rom_spiflash_erase_sector(uint32_t sector);
int esp_rom_spiflash_write(uint32_t dest, const uint32_t *src, int32_t len);
int esp_rom_spiflash_unlock(void);
uint32_t Cache_Suspend_ICache(void);
void Cache_Resume_ICache(uint32_t autoload);
int Cache_Invalidate_Addr(uint32_t addr, uint32_t size);

static uint32_t staged[PAGE / 4]; // in DRAM: what the ROM programs is read from here
static int unlocked;              // the flash's write protection is cleared once (a status register write)

/** Erases `sectors` sectors from flash offset `at` (data == 0), or programs `len` bytes of `staged` at
 *  `at` (word-aligned, within one page). Runs from IRAM with the cache suspended. */
IRAM static int flash_op(uint32_t at, uint32_t sectors, uint32_t len) {
  uint32_t autoload = Cache_Suspend_ICache();
  int rc = unlocked ? 0 : esp_rom_spiflash_unlock();
  unlocked = rc == 0;
  for (uint32_t i = 0; rc == 0 && i < sectors; i++) rc = esp_rom_spiflash_erase_sector(at / SECTOR + i);
  if (rc == 0 && len) rc = esp_rom_spiflash_write(at, staged, (int32_t)len);
  Cache_Resume_ICache(autoload);
  return rc;
}

const uint8_t *hal_flash_slot(int slot) { return (const uint8_t *)(SLOTS_VADDR + (uint32_t)slot * HAL_FLASH_SLOT_BYTES); }

int hal_flash_erase(int slot) {
  uint32_t at = SLOTS_FLASH + (uint32_t)slot * HAL_FLASH_SLOT_BYTES;
  int rc = flash_op(at, HAL_FLASH_SLOT_BYTES / SECTOR, 0);
  Cache_Invalidate_Addr((uint32_t)(uintptr_t)hal_flash_slot(slot), HAL_FLASH_SLOT_BYTES);
  return rc ? -1 : 0;
}

// The ROM programs whole words; bytes outside [offset, offset+len) are sent as 0xFF, which leaves them
// as they were (programming only clears bits). Each piece stays within one 256-byte flash page.
int hal_flash_program(int slot, uint32_t offset, const uint8_t *data, size_t len) {
  if (offset + len > HAL_FLASH_SLOT_BYTES) return -1;
  uint32_t base = SLOTS_FLASH + (uint32_t)slot * HAL_FLASH_SLOT_BYTES;
  int rc = 0;
  while (len > 0 && rc == 0) {
    uint32_t start = offset & ~3u, at = offset - start;
    uint32_t room = PAGE - (start % PAGE); // bytes from start to the end of its page
    size_t n = room - at < len ? room - at : len;
    uint32_t words = (at + (uint32_t)n + 3) / 4;
    memset(staged, 0xff, sizeof staged);
    memcpy((uint8_t *)staged + at, data, n);
    rc = flash_op(base + start, 0, words * 4);
    offset += (uint32_t)n;
    data += n;
    len -= n;
  }
  Cache_Invalidate_Addr((uint32_t)(uintptr_t)hal_flash_slot(slot), HAL_FLASH_SLOT_BYTES);
  return rc ? -1 : 0;
}
