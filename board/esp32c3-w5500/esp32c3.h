// ESP32-C3 registers this port uses (addresses and bits from the ESP32-C3 Technical Reference Manual,
// as ESP-IDF's soc/ headers name them), the flash layout and the config slots' place.
#pragma once
#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

// Watchdogs: the RTC watchdog and the super watchdog (RTC_CNTL), and the two timer groups' MWDTs.
#define RTC_CNTL 0x60008000u
#define RTC_CNTL_WDTCONFIG0 (RTC_CNTL + 0x90)
#define RTC_CNTL_WDTWPROTECT (RTC_CNTL + 0xa8)
#define RTC_CNTL_SWD_CONF (RTC_CNTL + 0xac)
#define RTC_CNTL_SWD_WPROTECT (RTC_CNTL + 0xb0)
#define SWD_DISABLE (1u << 30)
#define WDT_WKEY 0x50d83aa1u // write-protect key of the RTC watchdog and the MWDTs
#define SWD_WKEY 0x8f1d312au
#define TIMG(g) (0x6001f000u + (g) * 0x1000u)
#define TIMG_WDTCONFIG0(g) (TIMG(g) + 0x48)
#define TIMG_WDTWPROTECT(g) (TIMG(g) + 0x64)
#define TIMG_WDT_CONF_UPDATE_EN (1u << 22)

// Cache and the flash-mapped buses.
#define EXTMEM_ICACHE_CTRL1 0x600c4004u
#define ICACHE_SHUT_IBUS (1u << 0)
#define ICACHE_SHUT_DBUS (1u << 1)
#define IROM_BASE 0x42000000u
#define DROM_BASE 0x3c000000u

// Flash: 4 MiB (the usual ESP32-C3 module; esptool's --flash-size says the same). The config slots are
// its last 16 KiB, seen through DROM's last 64 KiB page (link.ld keeps the image's pages below it).
#define FLASH_BYTES 0x400000u
#define SLOTS_FLASH (FLASH_BYTES - 0x4000u)
#define SLOTS_PAGE_VADDR (DROM_BASE + 0x7f0000u)
#define SLOTS_VADDR (SLOTS_PAGE_VADDR + (SLOTS_FLASH & 0xffffu))

// UART0, as the ROM left it (115200 8N1 on GPIO21 TX, GPIO20 RX).
#define UART0_FIFO 0x60000000u
#define UART0_STATUS 0x6000001cu
#define UART_RXFIFO_CNT(s) ((s) & 0x3ffu)
#define UART_TXFIFO_CNT(s) (((s) >> 16) & 0x3ffu)
#define UART_FIFO_BYTES 128

// System timer, unit 0: 52 bits at 16 MHz (the 40 MHz crystal / 2.5), counting from reset.
#define SYSTIMER_UNIT0_OP 0x60023004u
#define SYSTIMER_UNIT0_UPDATE (1u << 30)
#define SYSTIMER_UNIT0_VALUE_VALID (1u << 29)
#define SYSTIMER_UNIT0_VALUE_HI 0x60023040u
#define SYSTIMER_UNIT0_VALUE_LO 0x60023044u
#define SYSTIMER_HZ 16000000u

// Clocks and resets of peripherals.
#define SYSTEM_PERIP_CLK_EN0 0x600c0010u
#define SYSTEM_PERIP_RST_EN0 0x600c0018u
#define SYSTEM_SPI2 (1u << 6)
#define SYSTEM_SYSTIMER (1u << 29)

// Pads and GPIO.
#define IO_MUX_GPIO(n) (0x60009004u + 4u * (n))
#define IO_MUX_FUN_IE (1u << 9)
#define IO_MUX_FUN_DRV(d) ((uint32_t)(d) << 10)
#define IO_MUX_MCU_SEL(f) ((uint32_t)(f) << 12)
#define IO_MUX_FUNC_GPIO 1
#define IO_MUX_FUNC_FSPI 2 // GPIO2 FSPIQ (MISO), GPIO6 FSPICLK, GPIO7 FSPID (MOSI)
#define GPIO_OUT_W1TS 0x60004008u
#define GPIO_OUT_W1TC 0x6000400cu
#define GPIO_ENABLE_W1TS 0x60004024u
#define GPIO_FUNC_OUT_SEL_CFG(n) (0x60004554u + 4u * (n))
#define GPIO_OUT_SEL_SIMPLE 0x80 // the pad follows GPIO_OUT

// GP-SPI2 as master, CPU-driven through its 64-byte buffer W0..W15.
#define SPI2 0x60024000u
#define SPI_CMD (SPI2 + 0x00)
#define SPI_CMD_UPDATE (1u << 23)
#define SPI_CMD_USR (1u << 24) // starts a transaction; the controller clears it when done
#define SPI_CTRL (SPI2 + 0x08)
#define SPI_CLOCK (SPI2 + 0x0c)
#define SPI_USER (SPI2 + 0x10)
#define SPI_USER_DOUTDIN (1u << 0)
#define SPI_USER_MISO (1u << 28)
#define SPI_USER_MOSI (1u << 27)
#define SPI_USER1 (SPI2 + 0x14)
#define SPI_USER2 (SPI2 + 0x18)
#define SPI_MS_DLEN (SPI2 + 0x1c)
#define SPI_MISC (SPI2 + 0x20)
#define SPI_MISC_CS_DIS_ALL 0x3fu // CS0..CS5 not driven by the controller: chip selects are GPIOs
#define SPI_DMA_CONF (SPI2 + 0x30)
#define SPI_FIFO_RESETS ((1u << 31) | (1u << 30) | (1u << 29))
#define SPI_W0 (SPI2 + 0x98)
#define SPI_SLAVE (SPI2 + 0xe0) // 0: master, no slave interrupts
#define SPI_BUFFER_BYTES 64
#define SPI_CLK_GATE (SPI2 + 0xe8)
#define SPI_CLK_EN (1u << 0)
#define SPI_MST_CLK_ACTIVE (1u << 1) // MST_CLK_SEL (bit 2) left 0: the 40 MHz crystal clocks the master

// The random number register (true entropy only while the radio or the SAR ADC runs; mixed with time).
#define RNG_DATA 0x600260b0u
