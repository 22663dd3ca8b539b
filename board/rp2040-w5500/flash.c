// The config slots (hal.h) in the last 16 KiB of the QSPI flash, erased and programmed through the
// RP2040 bootrom's flash routines. While flash is being written it cannot be read, so the routine
// that calls them runs from RAM (.ramfunc) and touches nothing in flash until XIP is back on.
#include <stdint.h>
#include <string.h>
#include "hal.h"

#define FLASH_BASE 0x10000000u
#define SECTOR 4096u
#define PAGE 256u

extern uint8_t __flash_slots[];

typedef void *(*rom_lookup_fn)(uint16_t table, uint32_t code);
typedef void (*rom_void_fn)(void);
typedef void (*rom_erase_fn)(uint32_t offset, size_t count, uint32_t block_size, uint8_t block_cmd);
typedef void (*rom_program_fn)(uint32_t offset, const uint8_t *data, size_t count);

static struct { rom_void_fn connect, exit_xip, flush, enter_xip; rom_erase_fn erase; rom_program_fn program; } rom;

/** Finds the bootrom's flash routines; 0 when there is no RP2040 bootrom (an emulator without one). */
static int rom_ready(void) {
  if (rom.program) return 1;
  const uint8_t *bootrom = 0;
  __asm volatile("" : "+r"(bootrom)); // the bootrom really is at address 0: keep GCC from "knowing" better
  if (bootrom[0x10] != 'M' || bootrom[0x11] != 'u' || bootrom[0x12] != 1) return 0;
  uint16_t table = *(const uint16_t *)(bootrom + 0x14);
  rom_lookup_fn lookup = (rom_lookup_fn)(uintptr_t)*(const uint16_t *)(bootrom + 0x18);
#define FIND(a, b) lookup(table, (uint32_t)(a) | (uint32_t)(b) << 8)
  rom.connect = (rom_void_fn)FIND('I', 'F');
  rom.exit_xip = (rom_void_fn)FIND('E', 'X');
  rom.flush = (rom_void_fn)FIND('F', 'C');
  rom.enter_xip = (rom_void_fn)FIND('C', 'X');
  rom.erase = (rom_erase_fn)FIND('R', 'E');
  rom.program = (rom_program_fn)FIND('R', 'P');
  return rom.connect && rom.exit_xip && rom.flush && rom.enter_xip && rom.erase && rom.program;
}

// Erase (data == 0) or program one region; runs from RAM with XIP off, as the bootrom requires.
__attribute__((section(".ramfunc"), noinline)) static void flash_op(uint32_t offset, const uint8_t *data, size_t count) {
  __asm volatile("cpsid i");
  rom.connect();
  rom.exit_xip();
  if (data) rom.program(offset, data, count);
  else rom.erase(offset, count, SECTOR, 0x20); // 4 KiB sector erase
  rom.flush();
  rom.enter_xip(); // plain 03h reads, as boot2 set up
  __asm volatile("cpsie i");
}

const uint8_t *hal_flash_slot(int slot) { return __flash_slots + slot * HAL_FLASH_SLOT_BYTES; }

static uint32_t slot_offset(int slot) { return (uint32_t)(uintptr_t)hal_flash_slot(slot) - FLASH_BASE; }

int hal_flash_erase(int slot) {
  if (!rom_ready()) return -1;
  flash_op(slot_offset(slot), 0, HAL_FLASH_SLOT_BYTES);
  return 0;
}

// The bootrom programs whole 256-byte pages; bytes outside [offset, offset+len) are sent as 0xFF,
// which leaves them as they were (programming only clears bits).
int hal_flash_program(int slot, uint32_t offset, const uint8_t *data, size_t len) {
  if (offset + len > HAL_FLASH_SLOT_BYTES) return -1;
  if (!rom_ready()) return -1;
  static uint8_t page[PAGE]; // in RAM: the bootrom reads it while flash is off
  while (len > 0) {
    uint32_t start = offset & ~(PAGE - 1), at = offset - start;
    size_t n = PAGE - at < len ? PAGE - at : len;
    memset(page, 0xff, PAGE);
    memcpy(page + at, data, n);
    flash_op(slot_offset(slot) + start, page, PAGE);
    offset += (uint32_t)n;
    data += n;
    len -= n;
  }
  return 0;
}
