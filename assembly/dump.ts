// State dumps for the host (state.json, the console's tables): each table writes fixed rows of
// u32 words into dumpArea. Row meanings are documented once, in host/state.ts.
import { DUMP_MAX, DUMP_RECORD_BYTES, DUMP_END } from "./abi";
import { dumpSlots, dumpRow } from "./dump-tables";

export const dumpArea = memory.data(<i32>(DUMP_MAX * DUMP_RECORD_BYTES), 16);
export let dumpNext: u32 = DUMP_END;

export function dumpTable(table: u32, cursor: u32): u32 {
  dumpNext = DUMP_END;
  const slots = dumpSlots(table);
  let n: u32 = 0;
  let i = cursor;
  while (i < slots && n < DUMP_MAX) {
    const row = dumpArea + n * DUMP_RECORD_BYTES;
    memory.fill(row, 0, DUMP_RECORD_BYTES);
    if (dumpRow(table, i, row)) n++;
    i++;
  }
  if (i < slots) dumpNext = i;
  return n;
}
