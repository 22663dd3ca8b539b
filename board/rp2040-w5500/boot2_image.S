/* The checksummed boot2 (boot2.S assembled, padded and CRC'd by image.ts), placed first in flash. */
    .section .boot2, "ax"
    .incbin BOOT2_BIN
