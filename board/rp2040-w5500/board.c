// RP2040 + two WIZnet W5500 (LAN on SPI0 with the W5500-EVB-Pico's pins, WAN on SPI1): reset and
// clocks (12 MHz crystal, core at 1.15 V, PLL to 200 MHz), the microsecond timer, UART0 for the console, the two
// W5500 in MACRAW mode, and the config slots in the last 16 KiB of flash, written through the
// bootrom's flash routines. Everything is polled: the host loop is the only thread, and the SPI DMA
// (two channels per chip) moves frames while it runs process(). Interrupts serve one purpose: to end
// the sleep of an idle loop (hal_idle).
#include <stdint.h>
#include <string.h>
#include "hal.h"
#include "w5500.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define CLR(addr) REG((addr) + 0x3000) // atomic bit-clear alias of an APB register
#define SET(addr) REG((addr) + 0x2000) // atomic bit-set alias

// ---- vectors and reset ----
extern uint32_t __stack_top;

void reset_handler(void);   // board/common/startup.c
void fault_handler(void);
void default_handler(void);
void wake_handler(void);

// The RP2040's interrupts that wake an idle loop (hal_idle); the others are never enabled.
#define IRQ_TIMER_0 0
#define IRQ_IO_BANK0 13
#define IRQ_UART0 20
#define WAKE_IRQS ((1u << IRQ_TIMER_0) | (1u << IRQ_IO_BANK0) | (1u << IRQ_UART0))

// The 16 system entries and the RP2040's 26 interrupts.
__attribute__((section(".vectors"), used)) static const void *vectors[16 + 26] = {
  &__stack_top, reset_handler, default_handler, fault_handler, 0, 0, 0,
  0, 0, 0, 0, default_handler, 0, 0, default_handler, default_handler,
  [16 ... 16 + 25] = default_handler,
  [16 + IRQ_TIMER_0] = wake_handler, [16 + IRQ_IO_BANK0] = wake_handler, [16 + IRQ_UART0] = wake_handler,
};

// ---- resets and clocks ----
#define RESETS 0x4000c000
#define RESETS_DONE (RESETS + 0x08)
#define RESET_DMA (1u << 2)
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PLL_SYS (1u << 12)
#define RESET_SPI0 (1u << 16)
#define RESET_SPI1 (1u << 17)
#define RESET_TIMER (1u << 21)
#define RESET_UART0 (1u << 22)

#define XOSC 0x40024000
#define XOSC_CTRL (XOSC + 0x00)
#define XOSC_STATUS (XOSC + 0x04)
#define XOSC_STARTUP (XOSC + 0x0c)
#define CLOCKS 0x40008000
#define CLK_REF_CTRL (CLOCKS + 0x30)
#define CLK_REF_SELECTED (CLOCKS + 0x38)
#define CLK_SYS_CTRL (CLOCKS + 0x3c)
#define CLK_SYS_SELECTED (CLOCKS + 0x44)
#define CLK_PERI_CTRL (CLOCKS + 0x48)
#define PLL_SYS 0x40028000
#define PLL_CS (PLL_SYS + 0x0)
#define PLL_PWR (PLL_SYS + 0x4)
#define PLL_FBDIV (PLL_SYS + 0x8)
#define PLL_PRIM (PLL_SYS + 0xc)
#define WATCHDOG_TICK 0x4005802c
#define VREG 0x40064000
#define VREG_EN 1u
#define VREG_VSEL_1_15V (0xcu << 4)
#define CLK_SYS_HZ 200000000u

static void unreset(uint32_t bits) {
  CLR(RESETS) = bits;
  while ((REG(RESETS_DONE) & bits) != bits) {}
}

// 200 MHz for clk_sys and clk_peri: the RP2040's certified clock since Pico SDK 2.1.1, with the core's
// regulator at 1.15 V or more (1.10 V at reset). PLL: 12 MHz x 100 = 1200 MHz VCO, / 6 / 1 = 200 MHz.
// At 125 MHz (the SDK's default before) the same firmware forwarded 12,321 frames/s under wasm3: the
// module's work per frame is clock-bound (docs/board.md "Clock").
static void clocks_init(void) {
  REG(XOSC_STARTUP) = 47;                 // ~1 ms of 256-cycle units at 12 MHz, as the datasheet asks
  REG(XOSC_CTRL) = (0xfab << 12) | 0xaa0; // enable, 1-15 MHz range
  while (!(REG(XOSC_STATUS) & 0x80000000u)) {}
  CLR(CLK_SYS_CTRL) = 1;                  // clk_sys from clk_ref while the PLL is changed
  while (REG(CLK_SYS_SELECTED) != 1) {}
  REG(CLK_REF_CTRL) = 2;                  // clk_ref from the crystal
  while (REG(CLK_REF_SELECTED) != (1u << 2)) {}

  // The voltage first, and a fixed 1 ms for it to settle while still on the 12 MHz crystal, as the
  // SDK waits (not VREG's ROK bit, which reports regulation, not that the new level has been reached).
  REG(VREG) = VREG_VSEL_1_15V | VREG_EN;
  for (volatile uint32_t i = 0; i < 12000u / 4; i++) {} // >= 4 cycles a turn: >= 1 ms at 12 MHz

  SET(RESETS) = RESET_PLL_SYS;
  unreset(RESET_PLL_SYS);
  REG(PLL_CS) = 1;                        // reference divider 1
  REG(PLL_FBDIV) = 100;
  CLR(PLL_PWR) = (1u << 0) | (1u << 5);   // power up the PLL and its VCO
  while (!(REG(PLL_CS) & 0x80000000u)) {} // lock
  REG(PLL_PRIM) = (6u << 16) | (1u << 12);
  CLR(PLL_PWR) = 1u << 3;                 // and the post dividers

  REG(CLK_SYS_CTRL) = 0 << 5;             // aux source: pll_sys
  REG(CLK_SYS_CTRL) = (0 << 5) | 1;       // then glitchlessly select the aux source
  while (REG(CLK_SYS_SELECTED) != (1u << 1)) {}
  REG(CLK_PERI_CTRL) = (1u << 11) | (0 << 5); // clk_peri = clk_sys, enabled
  REG(WATCHDOG_TICK) = (1u << 9) | 12;    // 1 us timer ticks from the 12 MHz clk_ref
}

// ---- timer ----
#define TIMER_ALARM0 0x40054010
#define TIMER_ARMED 0x40054020
#define TIMERAWL 0x40054028
#define TIMER_INTR 0x40054034
#define TIMER_INTE 0x40054038

uint32_t hal_micros(void) { return REG(TIMERAWL); }

// Milliseconds by accumulating the microsecond timer: the loop asks several times per frame, and
// dividing the 64-bit count by 1000 is a library call on the M0+ (1.4 % of a frame's instructions).
// Correct as long as it is called at least once per 71 minutes (the 32-bit microsecond wrap).
static uint32_t millis_last_us, millis_ms, millis_rest_us;

uint32_t hal_millis(void) {
  uint32_t now = REG(TIMERAWL);
  millis_rest_us += now - millis_last_us;
  millis_last_us = now;
  if (millis_rest_us >= 1000) {
    millis_ms += millis_rest_us / 1000;
    millis_rest_us %= 1000;
  }
  return millis_ms;
}

// ---- GPIO ----
#define IO_BANK0 0x40014000
#define PADS_BANK0 0x4001c000
#define GPIO_CTRL(n) (IO_BANK0 + 0x04 + 8 * (n))
#define FUNC_SPI 1
#define FUNC_UART 2
#define FUNC_SIO 5
#define SIO_OUT_SET 0xd0000014
#define SIO_OUT_CLR 0xd0000018
#define SIO_OE_SET 0xd0000024

#define PROC0_INTE(pin) (IO_BANK0 + 0x100 + 4 * ((pin) / 8))
#define GPIO_LEVEL_LOW(pin) (1u << (4 * ((pin) % 8)))

/** An INTn input: read through SIO, pulled up (a chip not driving it reads as not asserted); held low,
 *  it interrupts core 0 (IO_IRQ_BANK0), which wakes an idle loop. */
static void gpio_intn_input(int pin) {
  REG(PADS_BANK0 + 4 + 4 * pin) = (1u << 6) | (1u << 3) | (1u << 1); // input enabled, pull-up, Schmitt trigger
  REG(GPIO_CTRL(pin)) = FUNC_SIO;
  REG(PROC0_INTE(pin)) |= GPIO_LEVEL_LOW(pin);
}

static void gpio_output(int pin, int level) {
  REG(level ? SIO_OUT_SET : SIO_OUT_CLR) = 1u << pin;
  REG(SIO_OE_SET) = 1u << pin;
  REG(GPIO_CTRL(pin)) = FUNC_SIO;
}

static void delay_us(uint32_t us) {
  uint32_t t0 = hal_micros();
  while (hal_micros() - t0 < us) {}
}

// ---- UART0 on GPIO0 (TX) and GPIO1 (RX), 115200 8N1 ----
#define UART0 0x40034000
#define UART_DR (UART0 + 0x00)
#define UART_FR (UART0 + 0x18)
#define UART_IBRD (UART0 + 0x24)
#define UART_FBRD (UART0 + 0x28)
#define UART_LCR_H (UART0 + 0x2c)
#define UART_CR (UART0 + 0x30)
#define UART_IMSC (UART0 + 0x38)
#define UART_RXIM (1u << 4)
#define UART_RTIM (1u << 6) // receive timeout: a lone byte stays below the FIFO's trigger level

void hal_uart_putc(char c) {
  while (REG(UART_FR) & (1u << 5)) {} // TX FIFO full
  REG(UART_DR) = (uint8_t)c;
}

int hal_uart_getc(void) {
  return (REG(UART_FR) & (1u << 4)) ? -1 : (int)(REG(UART_DR) & 0xff);
}

static void uart_init(void) {
  // clk_peri / (16 x 115200) in 1/64ths, rounded: 200 MHz gives 108 + 32/64 (108.51)
  const uint32_t div64 = (4 * CLK_SYS_HZ + 115200 / 2) / 115200;
  REG(UART_IBRD) = div64 >> 6;
  REG(UART_FBRD) = div64 & 63;
  REG(UART_LCR_H) = (3u << 5) | (1u << 4); // 8 bits, FIFOs on
  REG(UART_CR) = (1u << 0) | (1u << 8) | (1u << 9);
  REG(UART_IMSC) = UART_RXIM | UART_RTIM; // a key wakes an idle loop
  REG(GPIO_CTRL(0)) = FUNC_UART;
  REG(GPIO_CTRL(1)) = FUNC_UART;
}

// ---- the two W5500 ----
#define SPI0 0x4003c000
#define SPI1 0x40040000
#define SSPCR0 0x00
#define SSPCR1 0x04
#define SSPCPSR 0x10
#define SSPDMACR 0x24

// LAN: the W5500-EVB-Pico's wiring (SCK 18, MOSI 19, MISO 16, CS 17, RST 20, INTn 21).
// WAN: SPI1 on SCK 10, MOSI 11, MISO 12, CS 13, RST 15, INTn 14. DMA channels 0-1 (LAN) and 2-3 (WAN).
// The stages (w5500.h): a read-ahead holds 9 records of a 64-byte frame; a transmit stage the outputs
// of a batch of small frames (4 of 64 bytes; larger ones go straight to the chip, after what is staged).
// 640/256 forwarded 11,191 frames/s in make bench, 512/384 11,011 (the same 1,792 bytes of RAM).
#define RX_STAGE 640
#define TX_STAGE 256
static uint8_t rx_stage[2][RX_STAGE], tx_stage[2][TX_STAGE];
static w5500 nic[2] = {
  [HAL_PORT_LAN] = { .spi = SPI0, .cs = 17, .reset = 20, .intn_mask = 1u << 21, .dma = 0, .rx_stage = rx_stage[0], .rx_cap = RX_STAGE, .tx_stage = tx_stage[0], .tx_cap = TX_STAGE },
  [HAL_PORT_WAN] = { .spi = SPI1, .cs = 13, .reset = 15, .intn_mask = 1u << 14, .dma = 2, .rx_stage = rx_stage[1], .rx_cap = RX_STAGE, .tx_stage = tx_stage[1], .tx_cap = TX_STAGE },
};
static const uint8_t spi_pins[2][3] = { { 18, 19, 16 }, { 10, 11, 12 } };

static void spi_init(uint32_t spi, const uint8_t pins[3]) {
  REG(spi + SSPCPSR) = 6;           // 200 MHz / 6 = 33.3 MHz: the W5500's guaranteed SPI clock
  REG(spi + SSPCR0) = 7;            // 8-bit frames, Motorola mode 0
  REG(spi + SSPCR1) = 1u << 1;      // enable, master
  REG(spi + SSPDMACR) = 3;          // DREQs for the DMA, RX and TX
  for (int i = 0; i < 3; i++) REG(GPIO_CTRL(pins[i])) = FUNC_SPI;
}

size_t hal_eth_rx(uint8_t *buf, size_t cap, int *port) {
  // Alternate the chips so a busy port cannot starve the other.
  static int next;
  for (int i = 0; i < 2; i++) {
    int p = next;
    next ^= 1;
    size_t len = w5500_stage_receive(&nic[p], buf, cap);
    if (len) { *port = p; return len; }
  }
  return 0;
}

void hal_eth_flush(void) {
  w5500_stage_flush(&nic[HAL_PORT_LAN]);
  w5500_stage_flush(&nic[HAL_PORT_WAN]);
}

int hal_eth_tx(int port, const uint8_t *frame, size_t len) {
  return w5500_stage_send(&nic[port], frame, len);
}

void hal_init(void) {
  clocks_init();
  unreset(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_TIMER | RESET_UART0 | RESET_SPI0 | RESET_SPI1 | RESET_DMA);
  REG(TIMER_INTE) = 1u; // alarm 0 ends an idle loop's sleep
  uart_init();
  for (int p = 0; p < 2; p++) {
    gpio_output(nic[p].cs, 1);
    gpio_output(nic[p].reset, 0); // hold in reset >= 500 us, then give its PLL time to lock
    gpio_intn_input(__builtin_ctz(nic[p].intn_mask));
    spi_init(nic[p].spi, spi_pins[p]);
  }
  delay_us(500);
  for (int p = 0; p < 2; p++) REG(SIO_OUT_SET) = 1u << nic[p].reset;
  delay_us(1000);
  static const char *names[2] = { "LAN", "WAN" };
  for (int p = 0; p < 2; p++) {
    if (w5500_init(&nic[p]) != 0) {
      for (const char *s = "natpass: no W5500 answers on the "; *s; s++) hal_uart_putc(*s);
      for (const char *s = names[p]; *s; s++) hal_uart_putc(*s);
      for (const char *s = " port\r\n"; *s; s++) hal_uart_putc(*s);
    }
  }
}

const char *hal_board_name(void) { return "rp2040-w5500"; }

// ---- idle: sleep until a frame, a key or the next tick ----
// Polling both chips over SPI kept the core at work all the time, idle or not: 108 million instructions
// a second. Asleep, the core waits for a chip's INTn (w5500_stage_sleep adds RECV to it), a key on
// UART0, or timer alarm 0 at the next tick. All three are level-triggered and stay asserted until the
// loop serves them: the handler masks all three, so the loop runs with no interrupt enabled, as before.
#define NVIC_ISER 0xe000e100
#define NVIC_ICER 0xe000e180
#define NVIC_ICPR 0xe000e280

static volatile uint8_t woken;

void wake_handler(void) {
  REG(NVIC_ICER) = WAKE_IRQS;
  woken = 1;
}

void hal_idle(uint32_t wake_ms) {
  int32_t ms = (int32_t)(wake_ms - hal_millis());
  if (ms <= 0) return;
  if (!w5500_stage_sleep(&nic[HAL_PORT_LAN])) return;
  if (w5500_stage_sleep(&nic[HAL_PORT_WAN])) {
    REG(TIMER_INTR) = 1u; // alarm 0's last firing
    // The microsecond at which hal_millis() reaches wake_ms: its last reading, less the part of a
    // millisecond it had counted already. An alarm set in the past would fire 71 minutes later: then
    // no sleep (the loop reaches the tick polling).
    uint32_t at = millis_last_us + (uint32_t)ms * 1000u - millis_rest_us;
    REG(TIMER_ALARM0) = at;
    woken = (int32_t)(at - REG(TIMERAWL)) <= 0;
    // Pending bits latched while the three were disabled (every SEND_OK on INTn) are stale: cleared. A
    // source still asserted pends again at once, and interrupts as soon as it is enabled: no sleep below.
    REG(NVIC_ICPR) = WAKE_IRQS;
    REG(NVIC_ISER) = WAKE_IRQS;
    // WFE, not WFI: an interrupt between the test and the WFE sets the event register as it returns,
    // so that WFE does not sleep through it.
    while (!woken) __asm volatile("wfe");
    REG(NVIC_ICER) = WAKE_IRQS; // not woken by the handler (the alarm was past): none may stay enabled
    REG(TIMER_ARMED) = 1u; // woken by another source: the alarm must not fire later
    w5500_stage_wake(&nic[HAL_PORT_WAN]);
  }
  w5500_stage_wake(&nic[HAL_PORT_LAN]);
}

// ---- entropy: the ring oscillator's random bit, mixed with the timer ----
#define ROSC_RANDOMBIT 0x4006001c

void hal_entropy(uint8_t *buf, size_t len) {
  uint32_t x = REG(TIMERAWL) ^ 0x9e3779b9u;
  for (size_t i = 0; i < len; i++) {
    for (int k = 0; k < 8; k++) x = (x << 1 | (REG(ROSC_RANDOMBIT) & 1)) ^ (x >> 31) * 0x04c11db7u;
    x ^= REG(TIMERAWL);
    buf[i] = (uint8_t)(x ^ x >> 8);
  }
}
