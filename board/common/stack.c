// Stack painting: fill the stack below the current frame with a pattern at boot; the deepest use
// is where the pattern ends. wasm3's op handlers are not tail calls on the Cortex-M0+, so this matters.
#include <stdint.h>

extern uint32_t __stack_limit, __stack_top;
#define PAINT 0xdeadbeefu

void stack_paint(void) {
  uint32_t *p = &__stack_limit;
  uint32_t *sp;
#if defined(__riscv)
  __asm volatile("mv %0, sp" : "=r"(sp));
#else
  __asm volatile("mov %0, sp" : "=r"(sp));
#endif
  while (p < sp - 16) *p++ = PAINT;
}

uint32_t stack_unused(void) {
  uint32_t *p = &__stack_limit;
  while (p < &__stack_top && *p == PAINT) p++;
  return (uint32_t)((char *)p - (char *)&__stack_limit);
}
