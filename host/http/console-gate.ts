// The status page's only way to log in or change anything: keystrokes into the module's own console
// (assembly/console/), as a person at the serial port would type them. So the web has no password
// code of its own: the console's accounts, salted hashes and failed-login back-off decide, and a
// Server List change goes through the console's staging, its check with the module's parser, its save
// and its Restart System. Each call is one synchronous transaction that ends logged out.
import { ConsoleSession, screenText } from '../console/session.ts';

const RET = '\r', ESC = '\x1b', DOWN = '\x1b[B';
/** What a field may hold: printable ASCII only, so typed text can never be read as a menu key. */
const PRINTABLE = /^[\x20-\x7e]*$/;
const IP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export type Role = 'superuser' | 'read-only';
export type LoginResult = { ok: true; role: Role; name: string } | { ok: false; status: 401 | 429; message: string };
export interface ServerEntryInput { name: string; protocol: 'udp' | 'tcp' | 'both'; externalPort: number; externalPortEnd?: number; internalHost: string; internalPort?: number }
export type ChangeResult = { ok: true; message: string } | { ok: false; status: 400 | 401 | 403 | 429; message: string };
export type ServerListChange = { action: 'add'; entry: ServerEntryInput } | { action: 'delete'; index: number };

export class ConsoleGate {
  constructor(private session: ConsoleSession) {}

  private type(keys: string): string {
    return screenText(this.session.input(Buffer.from(keys, 'latin1')));
  }

  /** Logs in through the console's prompt; always leaves the console at its login prompt. */
  login(name: string, password: string): LoginResult {
    const refused = credentialProblem(name, password);
    if (refused) return { ok: false, status: 401, message: refused };
    try {
      return this.loginInside(name, password);
    } finally {
      this.session.start();
    }
  }

  private loginInside(name: string, password: string): LoginResult {
    this.session.start();
    this.type(name + RET);
    const screen = this.type(password + RET);
    if (screen.includes('Main Menu')) return { ok: true, name, role: screen.includes('Logged in read-only') ? 'read-only' : 'superuser' };
    if (screen.includes('Too many')) return { ok: false, status: 429, message: 'Too many failed logins: wait and try again (the console backs off the same way).' };
    return { ok: false, status: 401, message: 'Login incorrect.' };
  }

  /**
   * One Server List change, saved and applied by Restart System, as the Superuser types it at the
   * console. The password is asked again for every change: the web keeps no secret between requests.
   */
  changeServerList(name: string, password: string, change: ServerListChange): ChangeResult {
    const bad = credentialProblem(name, password) ?? changeProblem(change);
    if (bad) return { ok: false, status: 400, message: bad };
    try {
      const login = this.loginInside(name, password);
      if (!login.ok) return login;
      if (login.role !== 'superuser') return { ok: false, status: 403, message: 'The Superuser login is required to save changes.' };
      return this.applyInside(change);
    } finally {
      this.session.start();
    }
  }

  private applyInside(change: ServerListChange): ChangeResult {
    this.type('4'); this.type('1'); // System Configuration, Network Address Translation
    const list = this.type('1'); // Server Lists
    let screen: string;
    if (change.action === 'delete') {
      if (!new RegExp(`^ +${change.index} {2}`, 'm').test(list)) return { ok: false, status: 400, message: `There is no Server List entry ${change.index}.` };
      screen = this.type(String(change.index));
      if (!screen.includes('Entry deleted.')) return { ok: false, status: 400, message: consoleMessage(screen) };
    } else {
      screen = this.typeEntry(change.entry);
      if (!screen.includes('Entry added.')) return { ok: false, status: 400, message: consoleMessage(screen) };
    }
    this.type(ESC); this.type(ESC); this.type(ESC); // back to the Main Menu
    this.type('7'); // Restart System
    const events = this.session.events.length;
    const after = this.type('y');
    if (!after.includes('Configuration saved')) return { ok: false, status: 400, message: consoleMessage(after) };
    return { ok: true, message: `Configuration checked, ${this.session.events.slice(events).join(' and ')}.` };
  }

  /** The Add Server List Entry form, field by field (Return saves a field, Down moves on). */
  private typeEntry(e: ServerEntryInput): string {
    this.type('a');
    this.type(e.name + RET + DOWN);
    this.type((e.protocol === 'tcp' ? ' ' : e.protocol === 'both' ? '  ' : '') + DOWN); // Space steps UDP, TCP, UDP+TCP
    this.type(e.externalPort + RET + DOWN);
    this.type((e.externalPortEnd !== undefined ? e.externalPortEnd + RET : '') + DOWN);
    const ip = this.type(e.internalHost + RET);
    if (ip.includes('Not an IP')) return ip;
    this.type(DOWN + (e.internalPort !== undefined ? e.internalPort + RET : '') + DOWN);
    return this.type(RET); // Add This Entry
  }
}

function credentialProblem(name: string, password: string): string | null {
  if (typeof name !== 'string' || typeof password !== 'string') return 'Give a name and a password.';
  if (!PRINTABLE.test(name) || !PRINTABLE.test(password) || name.length === 0 || name.length > 16 || password.length > 63) return 'Login incorrect.';
  return null;
}

const isPort = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

function changeProblem(c: ServerListChange): string | null {
  if (c?.action === 'delete') return Number.isInteger(c.index) && c.index >= 1 && c.index <= 9 ? null : 'The console deletes entries 1 to 9.';
  if (c?.action !== 'add' || typeof c.entry !== 'object' || c.entry === null) return 'A change is {action: "add", entry} or {action: "delete", index}.';
  const e = c.entry;
  if (typeof e.name !== 'string' || !/^[A-Za-z0-9 ._-]{0,15}$/.test(e.name)) return 'A name is up to 15 letters, digits, spaces, dots, dashes or underscores.';
  if (!['udp', 'tcp', 'both'].includes(e.protocol)) return 'The protocol is udp, tcp or both.';
  if (!isPort(e.externalPort)) return 'The external port is a number from 1 to 65535.';
  if (e.externalPortEnd !== undefined && (!isPort(e.externalPortEnd) || e.externalPortEnd < e.externalPort)) return 'The range end is a port no lower than the external port.';
  if (e.internalPort !== undefined && !isPort(e.internalPort)) return 'The internal port is a number from 1 to 65535.';
  const m = typeof e.internalHost === 'string' ? IP.exec(e.internalHost) : null;
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return 'The internal host is an IPv4 address such as 192.168.1.10.';
  return null;
}

/** The console's own message line ("** ..." for errors), to pass on word for word. */
function consoleMessage(screen: string): string {
  const line = screen.split('\n').map((l) => l.trim()).find((l) => l.startsWith('** ') || l.startsWith('Not saved'));
  return line ? line.replace(/^\*\* /, '') : 'The console refused the change.';
}
