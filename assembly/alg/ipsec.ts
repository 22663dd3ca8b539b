// IPsec passthrough ALG (placeholder until the ALG lands): handles nothing.
import { Verdict } from "../router/packet";
export function ipsecInit(): bool { return true; }
export function ipsecIn2Out(): Verdict { return Verdict.NotMine; }
export function ipsecOut2In(): Verdict { return Verdict.NotMine; }
export function ipsecTick(now: u32): void {}
export function ipsecDumpSlots(table: u32): u32 { return 0; }
export function ipsecDumpRow(table: u32, index: u32, row: usize, now: u32): bool { return false; }
