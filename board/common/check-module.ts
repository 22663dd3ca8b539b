// Build step for the boards: refuses a module that uses 64-bit integers. The boards' wasm3 keeps its
// register in 32 bits (board/board.mk says why), so an i64 value would be cut to its low half without
// an error. Reads the text form asc writes next to the module (asconfig.json "textFile"), leaving out
// data segments, whose strings are not code.
// Usage: check-module.ts MODULE.wat
import { readFileSync } from 'node:fs';

/** Lines of the module's text that mention an i64 type or instruction, numbered from 1. */
export function i64Lines(wat: string): string[] {
  const found: string[] = [];
  wat.split('\n').forEach((line, i) => {
    if (/^\s*\(data\b/.test(line)) return;
    // A token, not part of a $name such as $~lib/number/I64 or a string.
    if (/(^|[\s(])i64([\s.)]|$)/.test(line)) found.push(`${i + 1}: ${line.trim()}`);
  });
  return found;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = process.argv[2];
  const found = i64Lines(readFileSync(path, 'utf8'));
  if (found.length > 0) {
    console.error(`${path}: the module uses i64, which the boards' 32-bit wasm3 register cannot hold:`);
    for (const line of found.slice(0, 10)) console.error('  ' + line);
    console.error('Use u32 arithmetic (two words for 64-bit values); an 8- or 16-byte memory.copy or memory.fill of constant size also becomes i64.');
    process.exit(1);
  }
  console.log(`${path}: no i64 (the boards' 32-bit wasm3 register holds every value)`);
}
