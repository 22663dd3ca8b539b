// Reset and fault handling shared by the ports: each port's vector table (board.c) points here.
#include <stdint.h>
#include <string.h>
#include "hal.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

void reset_handler(void) {
  memcpy(&__data_start, &__data_load, (size_t)((char *)&__data_end - (char *)&__data_start));
  memset(&__bss_start, 0, (size_t)((char *)&__bss_end - (char *)&__bss_start));
  main();
  for (;;) {}
}

void fault_handler(void) {
  static const char msg[] = "\r\nnatpass: hard fault\r\n";
  for (const char *p = msg; *p; p++) hal_uart_putc(*p);
  for (;;) {}
}

void default_handler(void) {}
