/* Reset entry of the ESP32-C3 image, in IRAM (the ROM jumps here after loading the RAM segments):
   the global pointer, our stack below the ROM's, tp at picolibc's TLS block, a trap vector, then boot.c,
   which maps the flash segments and runs main. */
    .section .text.start, "ax"
    .global _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la tp, __tls_base
    .option arch, +zicsr        /* for csrw alone: -march keeps plain rv32imc to get the right libraries */
    la t0, trap_entry
    csrw mtvec, t0
    call esp32c3_boot
1:  j 1b

    .balign 256                /* the C3's mtvec: vectored mode, 256-byte aligned; every entry a fault */
trap_entry:
    .rept 32
    j esp32c3_trap
    .endr
