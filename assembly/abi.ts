// The module's contract with every host (Node/V8, wasm3 on the host, the C board).
// The host writes a batch of frames into the input ring, calls process(count, nowMs) once,
// and reads what to transmit from the output ring. Both rings use the same slot layout:
//   slot i at ring + i * SLOT_BYTES: u16 port (PORT_LAN | PORT_WAN), u16 length, bytes[length]
// except that an output slot whose length has SLOT_REF set holds no bytes: its first data word is the
// linear-memory offset of the frame, (length & ~SLOT_REF) bytes long. The module does this for a
// received frame it forwards where it lies, in the input ring, so it is valid until the host writes
// the input ring again (transmit first, as every host does).
// Rings and tables are carved from linear memory by init(); memory never grows after init.
// Its numbers are described once, in host/layout.ts (host/abi.ts and the boards read the same); bump
// ABI_VERSION there when the slot layout or an export's meaning changes.

// ABI_VERSION, the ports, the slot layout (SLOT_*) and the dump tables and rows come from host/layout.ts
// (`make layout` writes ./generated/abi.ts).
export * from "./generated/abi";
import { SLOT_BYTES, SLOT_DATA } from "./generated/abi";

export const FRAME_MAX: u32 = SLOT_BYTES - SLOT_DATA;

@external("natpass", "abort")
declare function hostAbortImport(message: usize, file: usize, line: u32, column: u32): void;

/** Replaces AssemblyScript's env.abort so every host links the same pinned import name. */
export function hostAbort(message: string | null, file: string | null, line: u32, column: u32): void {
  hostAbortImport(changetype<usize>(message), changetype<usize>(file), line, column);
  unreachable();
}

// State dumps: dump(table, cursor) writes up to DUMP_MAX records of DUMP_RECORD_BYTES into
// dumpBuffer() and returns how many; dumpCursor() is where the next call starts (DUMP_END: done).
// Each record is a row of u32 words; the tables (DUMP_*), their rows (*Row, ROW_*) and the record size
// come from host/layout.ts DUMP_ROWS, which says what each word holds.
export const DUMP_MAX: u32 = 16; // per call: the host pages through with the cursor; static data is RAM on a board
