// ESP32-C3 start-up, in IRAM: the ROM has loaded the image's RAM segments and jumped to start.S. Here
// the watchdogs the ROM armed are stopped (nothing feeds them), the image's flash segments (code,
// read-only data, the module) are mapped through the cache MMU, and the two config slots in the last
// 16 KiB of flash with them; then bss is cleared and main runs. Until the mapping is made, nothing here
// may touch flash: no library call, no string, no table (GCC would put those in .rodata, in flash).
#include <stdint.h>
#include <string.h>
#include "esp32c3.h"

#define IRAM __attribute__((section(".iram.boot"), noinline))

extern uint32_t __bss_start, __bss_end;
int main(void);

int esp_rom_spiflash_read(uint32_t src, uint32_t *dst, int32_t len);
uint32_t Cache_Suspend_ICache(void);
void Cache_Resume_ICache(uint32_t autoload);
void Cache_Invalidate_ICache_All(void);
void Cache_MMU_Init(void);
int Cache_Ibus_MMU_Set(uint32_t ext_ram, uint32_t vaddr, uint32_t paddr, uint32_t psize, uint32_t num, uint32_t fixed);
int Cache_Dbus_MMU_Set(uint32_t ext_ram, uint32_t vaddr, uint32_t paddr, uint32_t psize, uint32_t num, uint32_t fixed);

#define MMU_ACCESS_FLASH 0
#define PAGE 0x10000u
#define IMAGE_MAGIC 0xe9
#define IMAGE_HEADER 24 // the common header and the extended header
#define SEGMENT_HEADER 8
#define SEGMENT_SEARCH 8 // pad and flash segments looked at past the RAM ones, at most

IRAM static void watchdogs_off(void) {
  REG(RTC_CNTL_WDTWPROTECT) = WDT_WKEY;
  REG(RTC_CNTL_WDTCONFIG0) = 0;
  REG(RTC_CNTL_WDTWPROTECT) = 0;
  REG(RTC_CNTL_SWD_WPROTECT) = SWD_WKEY;
  REG(RTC_CNTL_SWD_CONF) |= SWD_DISABLE;
  REG(RTC_CNTL_SWD_WPROTECT) = 0;
  for (uint32_t g = 0; g < 2; g++) {
    REG(TIMG_WDTWPROTECT(g)) = WDT_WKEY;
    REG(TIMG_WDTCONFIG0(g)) = TIMG_WDT_CONF_UPDATE_EN; // everything off, and take the new setting
    REG(TIMG_WDTWPROTECT(g)) = 0;
  }
}

IRAM static int in_range(uint32_t a, uint32_t base) { return a >= base && a < base + 0x800000u; }

/** Walks the image at flash offset 0: past the header, the RAM segments the ROM loaded and their
 *  checksum, then esptool's pad segments and the flash segments (which --ram-only-header left out of the
 *  header's count), and maps each flash segment: its data lies at a file offset equal to its address
 *  modulo 64 KiB. Returns how many it mapped. */
IRAM static int map_flash(void) {
  uint32_t w[2];
  if (esp_rom_spiflash_read(0, w, 4) != 0 || (w[0] & 0xff) != IMAGE_MAGIC) return 0;
  uint32_t ram_segments = (w[0] >> 8) & 0xff, at = IMAGE_HEADER;
  for (uint32_t i = 0; i < ram_segments; i++) {
    if (esp_rom_spiflash_read(at, w, SEGMENT_HEADER) != 0) return 0;
    at += SEGMENT_HEADER + w[1];
  }
  at = (at | 15) + 1; // the checksum byte ends a 16-byte block
  int mapped = 0;
  for (int i = 0; i < SEGMENT_SEARCH && mapped < 2; i++) {
    if (esp_rom_spiflash_read(at, w, SEGMENT_HEADER) != 0) break;
    uint32_t vaddr = w[0], len = w[1], data = at + SEGMENT_HEADER;
    uint32_t pages = (vaddr % PAGE + len + PAGE - 1) / PAGE;
    if (in_range(vaddr, IROM_BASE)) mapped += Cache_Ibus_MMU_Set(MMU_ACCESS_FLASH, vaddr & ~(PAGE - 1), data & ~(PAGE - 1), 64, pages, 0) == 0;
    else if (in_range(vaddr, DROM_BASE)) mapped += Cache_Dbus_MMU_Set(MMU_ACCESS_FLASH, vaddr & ~(PAGE - 1), data & ~(PAGE - 1), 64, pages, 0) == 0;
    at = data + len;
  }
  return mapped;
}

IRAM void esp32c3_boot(void) {
  watchdogs_off();
  uint32_t autoload = Cache_Suspend_ICache();
  Cache_Invalidate_ICache_All();
  Cache_MMU_Init();
  int mapped = map_flash();
  Cache_Dbus_MMU_Set(MMU_ACCESS_FLASH, SLOTS_PAGE_VADDR, FLASH_BYTES - PAGE, 64, 1, 0);
  REG(EXTMEM_ICACHE_CTRL1) &= ~(ICACHE_SHUT_IBUS | ICACHE_SHUT_DBUS);
  Cache_Resume_ICache(autoload);
  if (mapped != 2) {
    // No code to run: say so on UART0 from IRAM, character by character (no string: that is .rodata).
    REG(UART0_FIFO) = 'n'; REG(UART0_FIFO) = 'o'; REG(UART0_FIFO) = ' '; REG(UART0_FIFO) = 'm';
    REG(UART0_FIFO) = 'a'; REG(UART0_FIFO) = 'p'; REG(UART0_FIFO) = '\r'; REG(UART0_FIFO) = '\n';
    for (;;) {}
  }
  for (uint32_t *p = &__bss_start; p < &__bss_end; p++) *p = 0; // .data was loaded by the ROM
  main();
  for (;;) {}
}

/** Any exception: the address and cause on UART0, then a halt (the watchdogs are off). */
IRAM void esp32c3_trap(void) {
  uint32_t pc, cause;
  __asm volatile(".option push\n .option arch, +zicsr\n csrr %0, mepc\n csrr %1, mcause\n .option pop" : "=r"(pc), "=r"(cause));
  REG(UART0_FIFO) = '!';
  for (int s = 28; s >= 0; s -= 4) {
    uint32_t d = (pc >> s) & 15;
    REG(UART0_FIFO) = d < 10 ? '0' + d : 'a' + d - 10;
  }
  REG(UART0_FIFO) = ' ';
  REG(UART0_FIFO) = (char)('0' + (cause & 15));
  for (;;) {}
}
