// Time on the module's u32 millisecond clock (the host's `now`), which wraps every 49.7 days: ages and
// expiry are computed by wrapping subtraction, never by comparing timestamps.

/** True when `limitMs` or more passed from `then` to `now`, across the clock's wrap. */
@inline export function expired(now: u32, then: u32, limitMs: u32): bool {
  return <i32>(now - then) >= <i32>limitMs;
}
