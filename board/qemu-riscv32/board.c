// QEMU virt, RV32 (qemu-system-riscv32 -M virt -bios none): the ns16550 UART for the console, the
// CLINT's 10 MHz mtime for the clocks, two virtio-net NICs (LAN and WAN, told apart by their MACs:
// emulator.ts gives them 52:54:00:00:00:01 and :02), and the config slots in RAM outside the image
// (link.ld: the end of the "flash"). Everything is polled; no interrupt is enabled.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "hal.h"
#include "virtio_net.h"

#define REG8(addr) (*(volatile uint8_t *)(addr))
#define REG32(addr) (*(volatile uint32_t *)(addr))

// ---- ns16550 at 0x10000000 (QEMU ignores the divisor: no baud rate to set) ----
#define UART 0x10000000
#define UART_RBR (UART + 0)
#define UART_THR (UART + 0)
#define UART_FCR (UART + 2)
#define UART_LSR (UART + 5)
#define LSR_DR 0x01
#define LSR_THRE 0x20

void hal_uart_putc(char c) {
  while (!(REG8(UART_LSR) & LSR_THRE)) {}
  REG8(UART_THR) = (uint8_t)c;
}

int hal_uart_getc(void) {
  return (REG8(UART_LSR) & LSR_DR) ? REG8(UART_RBR) : -1;
}

// ---- CLINT mtime: 10 MHz (with -icount, virtual time: shift=0 is one instruction per ns) ----
#define MTIME_LO 0x0200bff8
#define MTIME_HI 0x0200bffc
#define MTIME_HZ 10000000u

static uint64_t mtime(void) {
  uint32_t hi, lo;
  do { hi = REG32(MTIME_HI); lo = REG32(MTIME_LO); } while (hi != REG32(MTIME_HI)); // a carry between the reads: again
  return (uint64_t)hi << 32 | lo;
}

uint32_t hal_micros(void) { return (uint32_t)(mtime() / (MTIME_HZ / 1000000)); }
uint32_t hal_millis(void) { return (uint32_t)(mtime() / (MTIME_HZ / 1000)); }

// ---- virtio-net: the virt machine's eight virtio-mmio transports; LAN and WAN found by MAC ----
#define VIRTIO_BASE 0x10001000
#define VIRTIO_STRIDE 0x1000
#define VIRTIO_COUNT 8
static const uint8_t port_mac[2][6] = { { 0x52, 0x54, 0, 0, 0, 1 }, { 0x52, 0x54, 0, 0, 0, 2 } };
static vnet nic[2];
static int nic_ok[2];

size_t hal_eth_rx(uint8_t *buf, size_t cap, int *port) {
  // Alternate the NICs so a busy port cannot starve the other.
  static int next;
  for (int i = 0; i < 2; i++) {
    int p = next;
    next ^= 1;
    if (!nic_ok[p]) continue;
    size_t len = vnet_receive(&nic[p], buf, cap);
    if (len) { *port = p; return len; }
  }
  return 0;
}

int hal_eth_tx(int port, const uint8_t *frame, size_t len) {
  return nic_ok[port] ? vnet_send(&nic[port], frame, len) : -1;
}

void hal_init(void) {
  REG8(UART_FCR) = 1; // FIFOs on
  for (int i = 0; i < VIRTIO_COUNT; i++) {
    uintptr_t base = VIRTIO_BASE + (uintptr_t)i * VIRTIO_STRIDE;
    uint8_t mac[6];
    if (!vnet_probe(base, mac)) continue;
    for (int p = 0; p < 2; p++)
      if (!nic_ok[p] && memcmp(mac, port_mac[p], 6) == 0) nic_ok[p] = vnet_init(&nic[p], base) == 0;
  }
  for (int p = 0; p < 2; p++)
    if (!nic_ok[p]) printf("natpass: no virtio-net NIC with the %s port's MAC\n", p == HAL_PORT_LAN ? "LAN" : "WAN");
}

const char *hal_board_name(void) { return "qemu-riscv32"; }

// ---- config flash: two 8 KiB slots at the end of the "flash" (link.ld), with NOR semantics ----
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

// The virt machine's only changing state is the clock (without -icount it follows the host's): good
// enough for salts, which need to be unique, not secret.
void hal_entropy(uint8_t *buf, size_t len) {
  uint32_t x = (uint32_t)mtime() ^ 0x9e3779b9u;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    buf[i] = (uint8_t)(x ^ (uint32_t)mtime());
  }
}
