// The console edits a staged copy of the config record (assembly/config.ts layout); the live record
// stays untouched until Restart System. Server List and Map List entries are inserted in place
// (entries after them shift), so the staged record is always a complete, valid-shaped record.
import { CFG_CAPACITY, configBuffer, ConfigRecord, CFG_FIXED, SERVER_BYTES, MAP_BYTES, SERVER_MAX, MAP_MAX, parseConfig } from "../config";

export const staged = memory.data(<i32>CFG_CAPACITY, 16);

/** The staged record's fixed part, and the live one's. */
@inline function stagedRecord(): ConfigRecord { return changetype<ConfigRecord>(staged); }
@inline function liveRecord(): ConfigRecord { return changetype<ConfigRecord>(configBuffer); }

@inline export function stagedLen(): u32 { return stagedRecord().length; }

export function stageFromLive(): void {
  memory.copy(staged, configBuffer, liveRecord().length);
}

export function serverCount(): u32 { return stagedRecord().serverCount; }
export function mapCount(): u32 { return stagedRecord().mapCount; }
export function serverAt(i: u32): usize { return staged + CFG_FIXED + i * SERVER_BYTES; }
export function mapAt(i: u32): usize { return staged + CFG_FIXED + serverCount() * SERVER_BYTES + i * MAP_BYTES; }
export function ikePortsAt(): usize { return mapAt(mapCount()); }
export function ikePortCount(): u32 { return stagedRecord().ikePortCount; }

/** Opens `bytes` of room at p by moving the rest of the record up; false when the record would overflow. */
function insertAt(p: usize, bytes: u32): bool {
  const len = stagedLen();
  if (len + bytes > CFG_CAPACITY) return false;
  const tail = <u32>(staged + len - p);
  memory.copy(p + bytes, p, tail);
  stagedRecord().length = <u16>(len + bytes);
  return true;
}

function removeAt(p: usize, bytes: u32): void {
  const len = stagedLen();
  const tail = <u32>(staged + len - p - bytes);
  memory.copy(p, p + bytes, tail);
  stagedRecord().length = <u16>(len - bytes);
}

export function addServer(entry: usize): bool {
  const n = serverCount();
  if (n >= <u32>SERVER_MAX || !insertAt(serverAt(n), SERVER_BYTES)) return false;
  memory.copy(serverAt(n), entry, SERVER_BYTES);
  stagedRecord().serverCount = <u8>(n + 1);
  return true;
}

export function removeServer(i: u32): void {
  if (i >= serverCount()) return;
  removeAt(serverAt(i), SERVER_BYTES);
  stagedRecord().serverCount = <u8>(serverCount() - 1);
}

export function addMap(entry: usize): bool {
  const n = mapCount();
  if (n >= <u32>MAP_MAX || !insertAt(mapAt(n), MAP_BYTES)) return false;
  memory.copy(mapAt(n), entry, MAP_BYTES);
  stagedRecord().mapCount = <u8>(n + 1);
  return true;
}

export function removeMap(i: u32): void {
  if (i >= mapCount()) return;
  removeAt(mapAt(i), MAP_BYTES);
  stagedRecord().mapCount = <u8>(mapCount() - 1);
}

/**
 * Checks the staged record with the module's own parser. parseConfig reads configBuffer and sets
 * the live Config, so the two records trade places for the check and trade back, and the live one is
 * parsed again: the running router is unchanged whatever the answer. (Swapping in place needs no third
 * 4 KiB buffer, which a small board's RAM would pay for.) Returns CFG_OK or the ERR_ code naming the field.
 */
export function checkStaged(): i32 {
  const liveLen = <u32>liveRecord().length;
  const stagedBytes = stagedLen();
  swapRecords(max(liveLen, stagedBytes));
  const rc = parseConfig(stagedBytes);
  swapRecords(max(liveLen, stagedBytes));
  parseConfig(liveLen);
  return rc;
}

function swapRecords(bytes: u32): void {
  for (let i: u32 = 0; i < bytes; i += 4) { // both buffers are 16-aligned and CFG_CAPACITY long
    const a = load<u32>(configBuffer + i), b = load<u32>(staged + i);
    store<u32>(configBuffer + i, b);
    store<u32>(staged + i, a);
  }
}
