/* Reset entry for QEMU virt (RV32, machine mode, one hart): the global pointer for linker relaxation,
   the stack, tp at the TLS block picolibc keeps errno in (link.ld lays out .tdata and .tbss so that
   reset_handler's copy of .data and clearing of .bss set it up), and a trap vector that reports a
   fault on the UART. Then board/common/startup.c's reset_handler. */
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
    call reset_handler
1:  j 1b

    .balign 4                  /* mtvec's direct mode needs a 4-byte aligned handler */
trap_entry:
    j fault_handler
