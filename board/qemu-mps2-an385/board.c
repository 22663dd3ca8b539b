// QEMU mps2-an385 (Cortex-M3, 25 MHz): vectors and reset, SysTick milliseconds, the CMSDK UART, and
// the LAN9118 Ethernet controller. QEMU gives this board one NIC, so the LAN and WAN ports travel as
// 802.1Q VLANs on it (VID 1 = LAN, VID 2 = WAN): the tag is removed on receive and added on transmit.
#include <stdint.h>
#include <string.h>
#include "hal.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

// ---- vectors, reset, SysTick ----
extern uint32_t __stack_top;
static volatile uint32_t ticks;

void reset_handler(void);   // board/common/startup.c
void fault_handler(void);
void default_handler(void);
static void systick_handler(void) { ticks++; }

__attribute__((section(".vectors"), used)) static const void *vectors[16] = {
  &__stack_top, reset_handler, default_handler, fault_handler, fault_handler, fault_handler, fault_handler,
  0, 0, 0, 0, default_handler, default_handler, 0, default_handler, systick_handler,
};

#define SYST_CSR 0xE000E010
#define SYST_RVR 0xE000E014
#define SYST_CVR 0xE000E018
#define SYSCLK_HZ 25000000u

uint32_t hal_millis(void) { return ticks; }

uint32_t hal_micros(void) {
  uint32_t ms, cvr;
  do { ms = ticks; cvr = REG(SYST_CVR); } while (ms != ticks); // a tick between the reads: again
  return ms * 1000u + (SYSCLK_HZ / 1000 - 1 - cvr) / (SYSCLK_HZ / 1000000);
}

// ---- CMSDK APB UART0 ----
#define UART0 0x40004000
#define UART_DATA (UART0 + 0x00)
#define UART_STATE (UART0 + 0x04)
#define UART_CTRL (UART0 + 0x08)
#define UART_BAUDDIV (UART0 + 0x10)

void hal_uart_putc(char c) {
  while (REG(UART_STATE) & 1) {}
  REG(UART_DATA) = (uint8_t)c;
}

int hal_uart_getc(void) {
  return (REG(UART_STATE) & 2) ? (int)(REG(UART_DATA) & 0xff) : -1;
}

// ---- LAN9118 ----
#define ETH 0x40200000
#define ETH_RX_DATA (ETH + 0x00)
#define ETH_TX_DATA (ETH + 0x20)
#define ETH_RX_STATUS (ETH + 0x40)
#define ETH_TX_STATUS (ETH + 0x48)
#define ETH_ID_REV (ETH + 0x50)
#define ETH_TX_CFG (ETH + 0x70)
#define ETH_HW_CFG (ETH + 0x74)
#define ETH_RX_FIFO_INF (ETH + 0x7c)
#define ETH_TX_FIFO_INF (ETH + 0x80)
#define ETH_MAC_CSR_CMD (ETH + 0xa4)
#define ETH_MAC_CSR_DATA (ETH + 0xa8)
#define MAC_CR 1
#define MAC_CR_PRMS (1u << 18)
#define MAC_CR_FDPX (1u << 20)
#define MAC_CR_TXEN (1u << 3)
#define MAC_CR_RXEN (1u << 2)
#define VLAN_LAN 1
#define VLAN_WAN 2

static void mac_write(uint32_t reg, uint32_t value) {
  while (REG(ETH_MAC_CSR_CMD) & 0x80000000u) {}
  REG(ETH_MAC_CSR_DATA) = value;
  REG(ETH_MAC_CSR_CMD) = 0x80000000u | reg;
  while (REG(ETH_MAC_CSR_CMD) & 0x80000000u) {}
}

static uint32_t rx_dropped;

size_t hal_eth_rx(uint8_t *buf, size_t cap, int *port) {
  for (;;) {
    if (((REG(ETH_RX_FIFO_INF) >> 16) & 0xff) == 0) return 0;
    uint32_t status = REG(ETH_RX_STATUS);
    uint32_t len = (status >> 16) & 0x3fff; // includes the 4-byte FCS
    uint32_t words = (len + 3) / 4;
    static uint8_t frame[2048];
    for (uint32_t i = 0; i < words; i++) {
      uint32_t w = REG(ETH_RX_DATA);
      if (i * 4 + 4 <= sizeof frame) memcpy(frame + i * 4, &w, 4);
    }
    if (len < 4 + 18 || len > sizeof frame) { rx_dropped++; continue; }
    len -= 4;
    // 802.1Q: dst(6) src(6) 0x8100 TCI(2) type(2)...
    if (frame[12] != 0x81 || frame[13] != 0x00) { rx_dropped++; continue; }
    uint32_t vid = ((frame[14] & 0x0f) << 8) | frame[15];
    if (vid != VLAN_LAN && vid != VLAN_WAN) { rx_dropped++; continue; }
    if (len - 4 > cap) { rx_dropped++; continue; }
    memcpy(buf, frame, 12);
    memcpy(buf + 12, frame + 16, len - 16);
    *port = vid == VLAN_LAN ? HAL_PORT_LAN : HAL_PORT_WAN;
    return len - 4;
  }
}

int hal_eth_tx(int port, const uint8_t *frame, size_t len) {
  static uint8_t tagged[1536 + 4] __attribute__((aligned(4)));
  if (len < 14 || len + 4 > sizeof tagged) return -1;
  memcpy(tagged, frame, 12);
  tagged[12] = 0x81;
  tagged[13] = 0x00;
  tagged[14] = 0;
  tagged[15] = port == HAL_PORT_LAN ? VLAN_LAN : VLAN_WAN;
  memcpy(tagged + 16, frame + 12, len - 12);
  uint32_t total = (uint32_t)len + 4;
  while ((REG(ETH_TX_FIFO_INF) & 0xffff) < total + 16) {}
  REG(ETH_TX_DATA) = (1u << 13) | (1u << 12) | total; // first and last segment, buffer size
  REG(ETH_TX_DATA) = (total << 16) | total;           // tag, packet length
  for (uint32_t i = 0; i < (total + 3) / 4; i++) {
    uint32_t w;
    memcpy(&w, tagged + i * 4, 4);
    REG(ETH_TX_DATA) = w;
  }
  while ((REG(ETH_TX_FIFO_INF) >> 16) & 0xff) (void)REG(ETH_TX_STATUS); // drain the status FIFO
  return 0;
}

void hal_init(void) {
  REG(UART_BAUDDIV) = SYSCLK_HZ / 115200;
  REG(UART_CTRL) = 3; // TX and RX enabled
  REG(SYST_RVR) = SYSCLK_HZ / 1000 - 1;
  REG(SYST_CVR) = 0;
  REG(SYST_CSR) = 7; // processor clock, interrupt, enable
  REG(ETH_HW_CFG) = 1; // soft reset
  while (REG(ETH_HW_CFG) & 1) {}
  // Promiscuous: one NIC carries both router MACs (the module filters by destination itself).
  mac_write(MAC_CR, MAC_CR_PRMS | MAC_CR_FDPX | MAC_CR_TXEN | MAC_CR_RXEN);
  REG(ETH_TX_CFG) = 2; // TX_ON
}

const char *hal_board_name(void) { return "qemu-mps2-an385"; }

// ---- config "flash": two 8 KiB sectors at the end of SSRAM1 (link.ld), with NOR semantics ----
extern uint8_t __flash_slots[];

const uint8_t *hal_flash_slot(int slot) { return __flash_slots + slot * HAL_FLASH_SLOT_BYTES; }

int hal_flash_erase(int slot) {
  memset(__flash_slots + slot * HAL_FLASH_SLOT_BYTES, 0xff, HAL_FLASH_SLOT_BYTES);
  return 0;
}

int hal_flash_program(int slot, uint32_t offset, const uint8_t *data, size_t len) {
  if (offset + len > HAL_FLASH_SLOT_BYTES) return -1;
  uint8_t *p = __flash_slots + slot * HAL_FLASH_SLOT_BYTES + offset;
  for (size_t i = 0; i < len; i++) p[i] &= data[i]; // programming clears bits, as NOR flash does
  return 0;
}

// QEMU's mps2 has no random source: the SysTick counter (QEMU drives it from the host clock) and
// the milliseconds since boot are all there is. Good enough for salts, which need to be unique, not secret.
void hal_entropy(uint8_t *buf, size_t len) {
  uint32_t x = REG(SYST_CVR) ^ (ticks * 2654435761u) ^ 0x9e3779b9u;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    buf[i] = (uint8_t)(x ^ REG(SYST_CVR));
  }
}
