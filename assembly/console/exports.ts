// The management console's exports (issue 7). index.ts re-exports everything here.
// The host writes keystrokes at consoleInPtr() and calls consoleFeed(len, nowMs); the screen update
// is at consoleOutPtr() (consoleOutLen() bytes). After a feed, consolePending() says whether the user
// saved (bit 0: persist consoleStagedPtr()/consoleStagedLen() and the auth record) and asked for a
// restart (bit 1: re-init the module with the saved record); consoleClearPending() acknowledges.
import { CFG_CAPACITY } from "../config";
import { inBuf, IN_CAPACITY, feed, start, pendingFlags, clearPending } from "./menu";
import { outBuf, outLen } from "./out";
import { staged, stagedLen } from "./record";
import { authRecord, AUTH_BYTES, authDefaults, authValid } from "./auth";

export function consoleInPtr(): usize { return inBuf; }
export function consoleInCapacity(): u32 { return IN_CAPACITY; }
export function consoleStart(nowMs: u32): u32 { start(nowMs); return outLen; }
export function consoleFeed(len: u32, nowMs: u32): u32 { feed(min<u32>(len, IN_CAPACITY), nowMs); return outLen; }
export function consoleOutPtr(): usize { return outBuf; }
export function consoleOutLen(): u32 { return outLen; }
export function consolePending(): u32 { return pendingFlags(); }
export function consoleClearPending(): void { clearPending(); }
export function consoleStagedPtr(): usize { return staged; }
export function consoleStagedLen(): u32 { return stagedLen(); }
export function consoleStagedCapacity(): u32 { return CFG_CAPACITY; }
/** The auth record (accounts, salted hashes): the host persists and restores AUTH_BYTES here. */
export function consoleAuthPtr(): usize { return authRecord; }
export function consoleAuthBytes(): u32 { return AUTH_BYTES; }
/** Checks a restored auth record; 0 when it is not one this version understands. */
export function consoleAuthValid(): u32 { return authValid() ? 1 : 0; }
/** Fresh default accounts, salted from 32 bytes of host entropy written at consoleInPtr(). */
export function consoleAuthDefaults(): void { authDefaults(inBuf); }
