// What picolibc (the RISC-V ports' C library) needs from a bare-metal board, beside syscalls.c:
// stdout and stderr as a stream onto the UART (console.c adds the CR before each LF), and sbrk, which
// picolibc's malloc calls by that name, on syscalls.c's bounded heap with its high-water mark.
#include <stddef.h>
#include <stdio.h>

void console_write(const char *s, size_t n);
void *_sbrk(ptrdiff_t incr);

static int uart_put(char c, FILE *f) {
  (void)f;
  console_write(&c, 1);
  return (unsigned char)c;
}

static FILE uart_stream = FDEV_SETUP_STREAM(uart_put, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &uart_stream; // nothing reads it: the console polls the UART itself
FILE *const stdout = &uart_stream;
FILE *const stderr = &uart_stream;

void *sbrk(ptrdiff_t incr) { return _sbrk(incr); }
