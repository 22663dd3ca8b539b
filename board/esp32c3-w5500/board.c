// ESP32-C3 + two WIZnet W5500 on GP-SPI2: UART0 for the console, the system timer for the clocks, the
// two W5500 in MACRAW mode (board/common/w5500.c) on one bus with a chip select each (LAN and WAN),
// and their reset lines. Everything is polled: the host loop is the only thread. Runs at the clock
// the ROM leaves; the SPI bus and the timer run from the 40 MHz crystal, whatever the CPU's clock.
#include <stdint.h>
#include <stdio.h>
#include "esp32c3.h"
#include "hal.h"
#include "w5500.h"

// ---- UART0 ----
void hal_uart_putc(char c) {
  while (UART_TXFIFO_CNT(REG(UART0_STATUS)) >= UART_FIFO_BYTES - 1) {}
  REG(UART0_FIFO) = (uint8_t)c;
}

int hal_uart_getc(void) {
  return UART_RXFIFO_CNT(REG(UART0_STATUS)) ? (int)(REG(UART0_FIFO) & 0xff) : -1;
}

// ---- system timer ----
static uint64_t ticks(void) {
  REG(SYSTIMER_UNIT0_OP) = SYSTIMER_UNIT0_UPDATE;
  while (!(REG(SYSTIMER_UNIT0_OP) & SYSTIMER_UNIT0_VALUE_VALID)) {}
  return (uint64_t)REG(SYSTIMER_UNIT0_VALUE_HI) << 32 | REG(SYSTIMER_UNIT0_VALUE_LO);
}

uint32_t hal_micros(void) { return (uint32_t)(ticks() / (SYSTIMER_HZ / 1000000)); }
uint32_t hal_millis(void) { return (uint32_t)(ticks() / (SYSTIMER_HZ / 1000)); }

static void delay_us(uint32_t us) {
  uint32_t t0 = hal_micros();
  while (hal_micros() - t0 < us) {}
}

// ---- GPIO ----
static void gpio_output(int pin, int level) {
  REG(level ? GPIO_OUT_W1TS : GPIO_OUT_W1TC) = 1u << pin;
  REG(GPIO_FUNC_OUT_SEL_CFG(pin)) = GPIO_OUT_SEL_SIMPLE;
  REG(GPIO_ENABLE_W1TS) = 1u << pin;
  REG(IO_MUX_GPIO(pin)) = IO_MUX_MCU_SEL(IO_MUX_FUNC_GPIO) | IO_MUX_FUN_DRV(2);
}

// ---- GP-SPI2 and the two W5500 ----
// SCK GPIO6, MOSI GPIO7, MISO GPIO2 (the pads' own FSPI functions, no GPIO matrix); LAN: CS GPIO10,
// reset GPIO4; WAN: CS GPIO5, reset GPIO3.
#define PIN_MISO 2
#define PIN_SCK 6
#define PIN_MOSI 7
static w5500 nic[2] = {
  [HAL_PORT_LAN] = { .spi = SPI2, .cs = 10, .reset = 4 },
  [HAL_PORT_WAN] = { .spi = SPI2, .cs = 5, .reset = 3 },
};

static void spi_init(void) {
  REG(SYSTEM_PERIP_CLK_EN0) |= SYSTEM_SPI2 | SYSTEM_SYSTIMER;
  REG(SYSTEM_PERIP_RST_EN0) |= SYSTEM_SPI2;
  REG(SYSTEM_PERIP_RST_EN0) &= ~SYSTEM_SPI2;
  REG(SPI_CLK_GATE) = SPI_CLK_EN | SPI_MST_CLK_ACTIVE;
  REG(SPI_SLAVE) = 0;
  // 40 MHz / (CLKCNT_N + 1) with N = 1: 20 MHz, under the W5500's guaranteed 33.3 MHz. H = 0, L = N.
  REG(SPI_CLOCK) = (1u << 12) | (0u << 6) | 1u;
  REG(SPI_CTRL) = 0;                                                // MSB first both ways
  REG(SPI_USER) = SPI_USER_DOUTDIN | SPI_USER_MOSI | SPI_USER_MISO; // full duplex, data phases only
  REG(SPI_USER1) = 0;
  REG(SPI_USER2) = 0;
  REG(SPI_MISC) = SPI_MISC_CS_DIS_ALL;                              // mode 0: clock idles low
  REG(SPI_DMA_CONF) = SPI_FIFO_RESETS;
  REG(SPI_DMA_CONF) = 0;
  REG(IO_MUX_GPIO(PIN_SCK)) = IO_MUX_MCU_SEL(IO_MUX_FUNC_FSPI) | IO_MUX_FUN_DRV(2);
  REG(IO_MUX_GPIO(PIN_MOSI)) = IO_MUX_MCU_SEL(IO_MUX_FUNC_FSPI) | IO_MUX_FUN_DRV(2);
  REG(IO_MUX_GPIO(PIN_MISO)) = IO_MUX_MCU_SEL(IO_MUX_FUNC_FSPI) | IO_MUX_FUN_IE;
}

size_t hal_eth_rx(uint8_t *buf, size_t cap, int *port) {
  // Alternate the chips so a busy port cannot starve the other.
  static int next;
  for (int i = 0; i < 2; i++) {
    int p = next;
    next ^= 1;
    size_t len = w5500_receive(&nic[p], buf, cap);
    if (len) { *port = p; return len; }
  }
  return 0;
}

int hal_eth_tx(int port, const uint8_t *frame, size_t len) {
  return w5500_send(&nic[port], frame, len);
}

void hal_init(void) {
  spi_init();
  for (int p = 0; p < 2; p++) {
    gpio_output(nic[p].cs, 1);
    gpio_output(nic[p].reset, 0); // hold in reset >= 500 us, then give its PLL time to lock
  }
  delay_us(500);
  for (int p = 0; p < 2; p++) REG(GPIO_OUT_W1TS) = 1u << nic[p].reset;
  delay_us(1000);
  for (int p = 0; p < 2; p++)
    if (w5500_init(&nic[p]) != 0) printf("natpass: no W5500 answers on the %s port\n", p == HAL_PORT_LAN ? "LAN" : "WAN");
}

const char *hal_board_name(void) { return "esp32c3-w5500"; }

// ---- entropy: the RNG register, mixed with the timer ----
void hal_entropy(uint8_t *buf, size_t len) {
  uint32_t x = (uint32_t)ticks() ^ 0x9e3779b9u;
  for (size_t i = 0; i < len; i++) {
    x ^= REG(RNG_DATA);
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    buf[i] = (uint8_t)(x ^ (uint32_t)ticks());
  }
}
