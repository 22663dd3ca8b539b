// Console accounts: a Superuser (may save and restart) and a read-only user. Passwords are never
// stored: each account keeps a 16-byte salt and SHA-256 iterated HASH_ROUNDS times over
// salt || password. The auth record (AUTH_BYTES) is persisted by the host next to the config record.
// Defaults (admin/admin, guest/guest) are marked so the console warns until they are changed.
// Failed logins back off: after FREE_TRIES failures each further try waits 2^n seconds (capped).
import { sha256 } from "./sha256";

export const AUTH_MAGIC: u32 = 0x5541504e; // "NPAU"
export const AUTH_VERSION: u16 = 1;
export const ACCOUNT_BYTES: u32 = 64; // u8 role, u8 isDefault, u16 0, name[12], salt[16], hash[32]
export const AUTH_BYTES: u32 = 8 + 2 * ACCOUNT_BYTES;
export const ROLE_SUPERUSER: u8 = 1;
export const ROLE_READ_ONLY: u8 = 2;
const A_ROLE = 0, A_DEFAULT = 1, A_NAME = 4, A_SALT = 16, A_HASH = 32;
const NAME_BYTES: u32 = 12;
const HASH_ROUNDS = 256;
const FREE_TRIES: u32 = 3;
const MAX_BACKOFF_MS: u32 = 64000;

export const authRecord = memory.data(<i32>AUTH_BYTES, 16);
const scratch = memory.data(64 + 64, 16);
const digest = memory.data(32, 16);
export let failures: u32 = 0;
export let lockedUntil: u32 = 0;

@inline function account(i: u32): usize { return authRecord + 8 + i * ACCOUNT_BYTES; }

function hashPassword(salt: usize, pw: usize, pwLen: u32, out: usize): void {
  const n = min<u32>(pwLen, 64);
  memory.copy(scratch, salt, 16);
  memory.copy(scratch + 16, pw, n);
  sha256(scratch, 16 + n, out);
  for (let i = 1; i < HASH_ROUNDS; i++) sha256(out, 32, out);
}

function setAccount(i: u32, role: u8, name: string, password: string, seed: usize): void {
  const a = account(i);
  memory.fill(a, 0, ACCOUNT_BYTES);
  store<u8>(a, role, A_ROLE);
  store<u8>(a, 1, A_DEFAULT);
  for (let k = 0; k < name.length; k++) store<u8>(a + A_NAME + k, <u8>name.charCodeAt(k));
  // Each account's salt: SHA-256 of the host's seed and the account index.
  memory.copy(scratch, seed, 32);
  store<u8>(scratch + 32, <u8>i);
  sha256(scratch, 33, digest);
  memory.copy(a + A_SALT, digest, 16);
  const pw = scratch + 64;
  for (let k = 0; k < password.length; k++) store<u8>(pw + k, <u8>password.charCodeAt(k));
  hashPassword(a + A_SALT, pw, password.length, a + A_HASH);
}

/** Fresh accounts with the default passwords, salted from 32 bytes of host entropy at `seed`. */
export function authDefaults(seed: usize): void {
  store<u32>(authRecord, AUTH_MAGIC);
  store<u16>(authRecord, AUTH_VERSION, 4);
  store<u16>(authRecord, <u16>AUTH_BYTES, 6);
  setAccount(0, ROLE_SUPERUSER, "admin", "admin", seed);
  setAccount(1, ROLE_READ_ONLY, "guest", "guest", seed);
  failures = 0;
  lockedUntil = 0;
}

/** True when the record at authRecord is one this version understands. */
export function authValid(): bool {
  return load<u32>(authRecord) == AUTH_MAGIC && load<u16>(authRecord, 4) == AUTH_VERSION && <u32>load<u16>(authRecord, 6) == AUTH_BYTES;
}

/** Milliseconds the login prompt must still wait (0: may try now). */
export function lockoutLeft(now: u32): u32 {
  return <i32>(lockedUntil - now) > 0 ? lockedUntil - now : 0;
}

function constantTimeEqual(a: usize, b: usize, n: u32): bool {
  let diff: u32 = 0;
  for (let i: u32 = 0; i < n; i++) diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  return diff == 0;
}

/** Checks a login; returns the account index (0 or 1) or -1, and applies the back-off on failure. */
export function authCheck(name: usize, nameLen: u32, pw: usize, pwLen: u32, now: u32): i32 {
  let found: i32 = -1;
  for (let i: u32 = 0; i < 2; i++) {
    const a = account(i);
    let same = nameLen > 0 && nameLen <= NAME_BYTES;
    for (let k: u32 = 0; same && k < NAME_BYTES; k++) {
      const want = <u32>load<u8>(a + A_NAME + k);
      const got = k < nameLen ? <u32>load<u8>(name + k) : 0;
      if (want != got) same = false;
    }
    hashPassword(a + A_SALT, pw, pwLen, digest);
    if (same && constantTimeEqual(digest, a + A_HASH, 32)) found = <i32>i;
  }
  if (found >= 0) { failures = 0; return found; }
  failures++;
  if (failures >= FREE_TRIES) lockedUntil = now + min<u32>(MAX_BACKOFF_MS, 1000 << min<u32>(failures - FREE_TRIES, 6));
  return -1;
}

export function accountRole(i: i32): u8 { return load<u8>(account(<u32>i), A_ROLE); }
export function accountIsDefault(i: i32): bool { return load<u8>(account(<u32>i), A_DEFAULT) != 0; }
export function accountName(i: i32): usize { return account(<u32>i) + A_NAME; }

/** Sets a new password for account i with a fresh salt derived from the old one and the clock. */
export function authSetPassword(i: i32, pw: usize, pwLen: u32, now: u32): void {
  const a = account(<u32>i);
  memory.copy(scratch, a + A_SALT, 16);
  store<u32>(scratch + 16, now);
  memory.copy(scratch + 20, a + A_HASH, 32);
  sha256(scratch, 52, digest);
  memory.copy(a + A_SALT, digest, 16);
  hashPassword(a + A_SALT, pw, pwLen, a + A_HASH);
  store<u8>(a, 0, A_DEFAULT);
}
