/* Second-stage boot (boot2) for the RP2040: the bootrom copies these 256 bytes from the start of flash
   to SRAM, checks their CRC32 (appended at build time by boot2-crc.ts) and runs them. They set the SSI
   up for plain serial reads (command 03h, 24-bit address) in execute-in-place mode, which every
   25-series QSPI flash answers (W25Q16JV on the W5500-EVB-Pico), then enter the firmware through the
   vector table that follows at 0x10000100. Quad modes are faster but chip-specific: not assumed. */
    .syntax unified
    .cpu cortex-m0plus
    .thumb
    .section .boot2, "ax"

    .equ SSI_BASE,       0x18000000
    .equ SSI_CTRLR0,     0x00
    .equ SSI_CTRLR1,     0x04
    .equ SSI_SSIENR,     0x08
    .equ SSI_BAUDR,      0x14
    .equ SSI_SPI_CTRLR0, 0xf4
    .equ VTOR,           0xe000ed08
    .equ FLASH_VECTORS,  0x10000100

    .global boot2_entry
    .type boot2_entry, %function
boot2_entry:
    ldr r3, =SSI_BASE
    movs r0, #0
    str r0, [r3, #SSI_SSIENR]          /* registers below may only change while the SSI is off */
    movs r0, #4
    str r0, [r3, #SSI_BAUDR]           /* clk_sys / 4: 50 MHz at the firmware's 200 MHz, the 03h read's limit (W25Q16JV) */
    ldr r0, =((31 << 16) | (3 << 8))   /* 32-bit frames, EEPROM-read transfer mode, standard SPI */
    str r0, [r3, #SSI_CTRLR0]
    movs r0, #0
    str r0, [r3, #SSI_CTRLR1]          /* one data frame per XIP access */
    ldr r0, =((0x03 << 24) | (2 << 8) | (6 << 2)) /* XIP command 03h, 8-bit instruction, 24-bit address */
    ldr r1, =SSI_SPI_CTRLR0
    str r0, [r3, r1]
    movs r0, #1
    str r0, [r3, #SSI_SSIENR]
    /* The bootrom calls boot2 with lr = 0; a debugger or the SDK's flash routines may call it to
       restore XIP and expect a return. */
    cmp lr, r0
    bhs 1f
    ldr r0, =FLASH_VECTORS
    ldr r1, =VTOR
    str r0, [r1]
    ldmia r0, {r0, r1}
    msr msp, r0
    bx r1
1:  bx lr
    .ltorg
