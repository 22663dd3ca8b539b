// Which table answers each DUMP_ id: its slot count and its row writer (false: empty slot).
export function dumpSlots(table: u32): u32 {
  return 0;
}

export function dumpRow(table: u32, index: u32, row: usize): bool {
  return false;
}
