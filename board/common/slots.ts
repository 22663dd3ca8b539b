// The two config flash slots every port has (board/common/hal.h: HAL_FLASH_SLOT_BYTES each, slot A
// then B), as the emulators preload and read them.
export const SLOT_BYTES = 8192;

/** Both slots erased, as new flash is. */
export function blankSlots(): Uint8Array {
  return new Uint8Array(2 * SLOT_BYTES).fill(0xff);
}
