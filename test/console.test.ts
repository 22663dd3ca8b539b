// The management console driven like a person: keystrokes in, screen text out. Log in, add a Server
// List entry for UDP 500, restart, and see it work on frames; read-only users cannot save; wrong
// passwords back off; Backspace undoes a field as the technote says; telnet negotiates and serves it.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { SlotStore } from '../host/persist.ts';
import { ConsoleSession, screenText } from '../host/console/session.ts';
import { startTelnet, TelnetDecoder } from '../host/console/telnet.ts';
import { bootRouter } from '../host/commands/console.ts';
import { decodeConfig } from '../host/config.ts';
import { PORT_WAN } from '../host/abi.ts';
import { udp, arpReply, parseFrame } from '../host/packets.ts';

const ESC = '\x1b', DOWN = '\x1b[B', RET = '\r';

async function session(stateDir?: string) {
  let now = 1000;
  const { router, store } = await bootRouter(stateDir, undefined);
  const s = new ConsoleSession(router, store, () => now);
  const type = (keys: string) => screenText(s.input(Buffer.from(keys, 'latin1')));
  return { s, router, type, advance: (ms: number) => (now += ms), start: () => screenText(s.start()) };
}

describe('management console', () => {
  it('shows how full the NAT table is, up to a full table that refuses the next flow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-fill-'));
    const file = join(dir, 'small.json');
    writeFileSync(file, JSON.stringify({ limits: { sessions: 8, mappings: 8, hosts: 4 } }));
    const { router, store } = await bootRouter(undefined, file);
    let now = Date.now() >>> 0;
    const s = new ConsoleSession(router, store, () => now);
    const type = (keys: string) => screenText(s.input(Buffer.from(keys, 'latin1')));
    const table = () => { type(ESC); return type('1'); };
    s.start();
    type('admin' + RET);
    type('admin' + RET);
    type('5'); // Utilities & Diagnostics
    expect(type('1')).toContain('0 of 8 sessions in use (0 %), 0 of 8 mappings');
    const flow = (k: number) => udp({ srcMac: '02:00:00:00:10:01', dstMac: router.config.lan.mac, src: `192.168.1.${10 + (k % 4)}`, dst: '203.0.113.5', sport: 5000 + k, dport: 53 });
    for (let k = 0; k < 6; k++) router.receive(0, flow(k));
    router.process((now += 1));
    expect(table()).toContain('6 of 8 sessions in use (75 %), 6 of 8 mappings');
    for (let k = 6; k < 9; k++) router.receive(0, flow(k));
    router.process((now += 1));
    expect(table()).toContain('8 of 8 sessions in use (100 %), 8 of 8 mappings');
    const c = router.counters();
    expect((c.drop_session_table_full ?? 0) + (c.drop_mapping_table_full ?? 0)).toBe(1); // the ninth flow
  });

  it('logs in as the Superuser, adds a Server List entry for UDP 500, restarts, and the entry forwards frames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-console-'));
    const c = await session(dir);
    expect(c.start()).toContain('Login:');
    c.type('admin' + RET);
    const main = c.type('admin' + RET);
    expect(main).toContain('Main Menu');
    expect(main).toContain('System Configuration...');
    expect(main).toContain('default password');
    c.type('4'); // System Configuration
    c.type('1'); // Network Address Translation
    const servers = c.type('1'); // Server Lists
    expect(servers).toContain('(no entries)');
    c.type('a');
    c.type('vpn-gw' + RET + DOWN); // Name
    c.type(DOWN); // Protocol stays UDP
    c.type('500' + RET + DOWN + DOWN); // External Port (range end follows)
    const form = c.type('192.168.1.10' + RET);
    expect(form).toContain('192.168.1.10');
    const list = c.type(DOWN + DOWN + RET); // Add This Entry
    expect(list).toMatch(/1 {2}vpn-gw\s+UDP\s+500\s+192\.168\.1\.10\s+500/);
    c.type(ESC); c.type(ESC); c.type(ESC);
    expect(c.type('7')).toContain('Save the configuration and restart');
    const after = c.type('y');
    expect(after).toContain('Configuration saved');
    expect(c.s.events).toEqual(['saved', 'restarted']);
    // The saved slot holds the entry, and the running router uses it.
    expect(decodeConfig(new SlotStore(dir).load()!.config).nat.serverList[0]).toMatchObject({ name: 'vpn-gw', externalPort: 500, internalHost: '192.168.1.10' });
    c.router.receive(PORT_WAN, udp({ srcMac: '02:00:00:00:02:fe', dstMac: '02:00:00:00:02:01', src: '203.0.113.1', dst: '198.51.100.2', sport: 500, dport: 500, payload: Buffer.from('not ike, just a datagram') }));
    c.router.process(5000);
    const out = c.router.process(5001);
    c.router.receive(0, arpReply({ srcMac: '02:00:00:00:10:10', dstMac: '02:00:00:00:01:01', senderIp: '192.168.1.10', targetIp: '192.168.1.1' }));
    const delivered = [...out, ...c.router.process(5002)].map((f) => parseFrame(f.data)).filter((p) => p.ip);
    expect(delivered[0].ip!.dst).toBe('192.168.1.10');
    expect(c.router.counters().server_list_in).toBe(1);
    // A new process with the same state directory boots with the saved configuration and accounts.
    const again = await session(dir);
    again.start();
    again.type('admin' + RET);
    expect(again.type('admin' + RET)).toContain('Main Menu');
    expect(again.router.config.nat.serverList).toHaveLength(1);
  });

  it('lets the read-only user look but not save', async () => {
    const c = await session();
    c.start();
    c.type('guest' + RET);
    expect(c.type('guest' + RET)).toContain('read-only');
    c.type('7');
    expect(c.type('y')).toContain('The Superuser login is required to save changes');
    expect(c.s.events).toEqual([]);
  });

  it('backs off after repeated wrong passwords', async () => {
    const c = await session();
    c.start();
    for (let i = 0; i < 3; i++) {
      c.type('admin' + RET);
      expect(c.type('wrong' + RET)).toContain('Login incorrect');
    }
    c.type('admin' + RET);
    expect(c.type('admin' + RET)).toContain('Too many failed logins');
    c.advance(5000);
    c.type('admin' + RET);
    expect(c.type('admin' + RET)).toContain('Main Menu');
  });

  it('undoes a field on Backspace before Return, and saves it on Return', async () => {
    const c = await session();
    c.start();
    c.type('admin' + RET + 'admin' + RET);
    c.type('3'); // WAN Configuration
    expect(c.type('10.9.9.9')).toContain('10.9.9.9_');
    const undone = c.type('\x7f');
    expect(undone).not.toContain('10.9.9.9');
    expect(undone).toContain('198.51.100.2');
    expect(c.type('203.0.113.77' + RET)).toContain('203.0.113.77');
    expect(c.type('junk' + RET)).toContain('Not an IP address');
  });

  it('refuses to save a configuration the router would refuse, naming what is wrong', async () => {
    const c = await session();
    c.start();
    c.type('admin' + RET + 'admin' + RET);
    c.type('3');
    c.type(DOWN + DOWN + '10.0.0.1' + RET); // a gateway off the WAN subnet
    c.type(ESC);
    c.type('7');
    expect(c.type('y')).toContain('Not saved: the WAN address, prefix or gateway do not fit together');
    expect(c.s.events).toEqual([]);
    // Checking the staged record swapped it with the live one and back: the router still runs the old
    // config, so a LAN datagram makes it ask for the original gateway's MAC on the WAN.
    c.router.receive(0, udp({ srcMac: '02:00:00:00:10:10', dstMac: '02:00:00:00:01:01', src: '192.168.1.10', dst: '203.0.113.9', sport: 4000, dport: 9, payload: Buffer.from('still here') }));
    const asked = c.router.process(2000).map((f) => parseFrame(f.data));
    expect(asked.map((p) => p.arp?.targetIp)).toEqual(['198.51.100.1']);
  });

  it('survives a long run of random keystrokes: no trap, every save valid, the router still forwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-console-fuzz-'));
    const c = await session(dir);
    c.start();
    let seed = 0x5eed;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    // Menu keys, digits, field text, arrows, Esc, Backspace/Delete/Tab, Return, y/n, and raw bytes.
    const keys = ['1', '2', '3', '4', '5', '6', '7', '8', 'a', 'd', 'e', 'y', 'n', '0', '.', '9', '5', '-', RET, ESC, DOWN, '\x1b[A', '\x7f', '\b', '\t', ' ', 'vpn', '192.168.1.10', '500', '7y'];
    // Finish whatever half-typed name or password is pending, wait out any back-off, log in.
    const login = () => { c.type(RET); c.advance(6000); c.type('admin' + RET); c.type('admin' + RET); };
    login();
    const KEYS = process.env.NATPASS_ENGINE === 'wasm3' ? 8000 : 30000;
    for (let i = 0; i < KEYS; i++) {
      const k = rand(20) === 0 ? String.fromCharCode(rand(256)) : keys[rand(keys.length)];
      c.type(k);
      c.advance(rand(50));
      // Now and then back out to the Main Menu, logging in again if a restart or Exit logged us out.
      if (i % 150 === 149 && !c.type(ESC + ESC + ESC + ESC).includes('Main Menu')) login();
    }
    // Whatever was saved decodes as a configuration the host accepts, and the router still forwards.
    const saved = new SlotStore(dir).load();
    if (saved) expect(() => decodeConfig(saved.config)).not.toThrow();
    c.router.receive(0, udp({ srcMac: '02:00:00:00:10:10', dstMac: c.router.config.lan.mac, src: '192.168.1.10', dst: '203.0.113.9', sport: 4000, dport: 53, payload: Buffer.from('still alive') }));
    c.router.process(1_000_000);
    expect(c.router.counters().rx_frames).toBeGreaterThan(0);
    expect(c.s.events).toContain('saved'); // the walk did reach Save and Restart, more than once
    console.log(`console fuzz: ${KEYS} keys, ${c.s.events.filter((e) => e === 'saved').length} saves`);
  }, 120_000);

  it('serves the console over telnet with option negotiation', async () => {
    const c = await session();
    const server = await startTelnet(c.s, { host: '127.0.0.1', port: 0 });
    const port = (server.address() as { port: number }).port;
    const sock = connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (raw = Buffer.concat([raw, d])));
    const until = async (text: string) => {
      for (let i = 0; i < 200 && !screenText(new TelnetDecoder().decode(raw)).includes(text); i++) await new Promise((r) => setTimeout(r, 10));
      return screenText(new TelnetDecoder().decode(raw));
    };
    expect(await until('Login:')).toContain('Login:');
    expect([...raw.subarray(0, 3)]).toEqual([255, 251, 1]); // IAC WILL ECHO
    sock.write(Buffer.from([255, 253, 3])); // the client's IAC DO SGA must not reach the menu
    sock.write('admin\r\0admin\r\n');
    expect(await until('Main Menu')).toContain('Main Menu');
    sock.destroy();
    server.close();
  });
});
