// One console session over the module's console: keystrokes in, screen bytes out, whatever the
// transport (serial on stdin/stdout, telnet). When the user saves, the staged config record and the
// auth record go to the power-safe store; on Restart System the router re-initialises from the saved
// record without the process going away.
import { randomBytes } from 'node:crypto';
import type { Router } from '../router.ts';
import type { SlotStore } from '../persist.ts';

const SAVE = 1;
const RESTART = 2;

export class ConsoleSession {
  /** What the last save or restart did, for logs. */
  readonly events: string[] = [];

  constructor(readonly router: Router, private store: SlotStore | null, private clock: () => number) {}

  private output(len: number): Uint8Array {
    const e = this.router.engine;
    const ptr = e.call('consoleOutPtr') >>> 0;
    return e.memory().slice(ptr, ptr + len);
  }

  /** Starts a session at the login prompt; returns the screen. */
  start(): Uint8Array {
    return this.output(this.router.engine.call('consoleStart', this.now()) >>> 0);
  }

  private now(): number {
    return this.clock() >>> 0;
  }

  /** Feeds keystrokes; returns the screen drawn after them. */
  input(bytes: Uint8Array): Uint8Array {
    const e = this.router.engine;
    const cap = e.call('consoleInCapacity');
    let screen: Uint8Array = new Uint8Array(0);
    for (let at = 0; at < bytes.length || at === 0; at += cap) {
      const chunk = bytes.subarray(at, at + cap);
      e.memory().set(chunk, e.call('consoleInPtr') >>> 0);
      screen = this.output(e.call('consoleFeed', chunk.length, this.now()) >>> 0);
      this.afterInput();
      if (bytes.length === 0) break;
    }
    return screen;
  }

  private afterInput(): void {
    const e = this.router.engine;
    const flags = e.call('consolePending');
    if (flags === 0) return;
    e.call('consoleClearPending');
    const mem = e.memory();
    const staged = mem.slice(e.call('consoleStagedPtr') >>> 0, (e.call('consoleStagedPtr') >>> 0) + e.call('consoleStagedLen'));
    const auth = mem.slice(e.call('consoleAuthPtr') >>> 0, (e.call('consoleAuthPtr') >>> 0) + e.call('consoleAuthBytes'));
    if (flags & SAVE) {
      // A password change alone saves the live config with the new accounts.
      const config = flags & RESTART ? staged : this.liveRecord();
      if (this.store) this.store.save(config, auth);
      this.events.push(this.store ? 'saved' : 'saved (no state directory: lost at exit)');
    }
    if (flags & RESTART) {
      this.router.restartWithRecord(staged, this.now());
      this.events.push('restarted');
    }
  }

  private liveRecord(): Uint8Array {
    const e = this.router.engine;
    const ptr = e.call('configPtr') >>> 0;
    const mem = e.memory();
    const len = mem[ptr + 6] | (mem[ptr + 7] << 8);
    return mem.slice(ptr, ptr + len);
  }
}

/** Restores the accounts saved with the config, or creates the default ones with fresh salts. */
export function loadAccounts(router: Router, auth: Uint8Array | null): 'restored' | 'defaults' {
  const e = router.engine;
  if (auth && auth.length === e.call('consoleAuthBytes')) {
    e.memory().set(auth, e.call('consoleAuthPtr') >>> 0);
    if (e.call('consoleAuthValid') === 1) return 'restored';
  }
  e.memory().set(randomBytes(32), e.call('consoleInPtr') >>> 0);
  e.call('consoleAuthDefaults');
  return 'defaults';
}

/** The screen as plain text: VT100 sequences removed (for logs, tests and README captures). */
export function screenText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
}
