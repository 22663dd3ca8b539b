// Text output on the board's UART (newlib's stdout lands here through _write in syscalls.c).
#include "hal.h"
#include <stdarg.h>
#include <stdio.h>

void console_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') hal_uart_putc('\r');
    hal_uart_putc(s[i]);
  }
}
