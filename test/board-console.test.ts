// The management console on each board's UART (QEMU mps2-an385 and riscv32; RP2040 in rp2040js, whose
// flash routines are the harness's bootrom model): log in, add a Server List entry for UDP 500, save to the
// flash slots and restart, and the entry forwards frames (on the RP2040 and riscv32 also after a power cycle). At boot the firmware takes the newest valid
// flash slot and ignores a torn one, reading the record host/persist.ts writes.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Router } from '../host/router.ts';
import { PORT_LAN, PORT_WAN } from '../host/abi.ts';
import { encodeConfig, parseConfig } from '../host/config.ts';
import { decodeSlot, encodeSlot } from '../host/persist.ts';
import { loadAccounts } from '../host/console/session.ts';
import { arpReply, parseFrame, udp } from '../host/packets.ts';
import { Rp2040Board } from '../board/rp2040-w5500/emulator.ts';
import { RiscvBoard } from '../board/qemu-riscv32/emulator.ts';
import { BOARD_PORTS, EmulatedBoard } from '../board/ports.ts';
import { SLOT_BYTES, blankSlots } from '../board/common/slots.ts';
import { CFG_VERSION, CONFIG, offsetOf } from '../host/layout.ts';

const ESC = '\x1b', DOWN = '\x1b[B', RET = '\r';
const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01';
const H1 = { ip: '192.168.1.10', mac: '02:00:00:00:10:10' };

/** The console's auth record with the default accounts, as the Node host saves it. */
async function defaultAuth(config: object): Promise<Uint8Array> {
  const router = await Router.create(config, { engine: 'v8', nowMs: 0 });
  loadAccounts(router, null);
  const e = router.engine, ptr = e.call('consoleAuthPtr') >>> 0;
  return e.memory().slice(ptr, ptr + e.call('consoleAuthBytes'));
}

/** UDP to the WAN address on port 500 from a remote gateway; returns what the board delivers on the LAN. */
async function forwardedToLan(board: EmulatedBoard): Promise<string[]> {
  const inbound = udp({ srcMac: '02:00:00:00:02:fe', dstMac: WAN_MAC, src: '203.0.113.1', dst: '198.51.100.2', sport: 500, dport: 500, payload: Buffer.from('a datagram for the server') });
  const asked = await board.exchange(PORT_WAN, inbound, undefined, 1); // an ARP request for H1, or the datagram
  const answer = await board.exchange(PORT_LAN, arpReply({ srcMac: H1.mac, dstMac: LAN_MAC, senderIp: H1.ip, targetIp: '192.168.1.1' }));
  return [...asked, ...answer].map((f) => parseFrame(f.data)).filter((p) => p.udp).map((p) => `${p.ip!.dst}:${p.udp!.dport}`);
}

describe.each(BOARD_PORTS)('management console on the board UART ($name)', ({ name, config, start, available }) => {
  const skip = available() ?? (process.env.NATPASS_ENGINE === 'wasm3' ? 'runs once, in the V8 pass' : null);
  const BOARD_CONFIG = JSON.parse(readFileSync(config, 'utf8'));
  let board: EmulatedBoard | undefined;
  afterEach(() => board?.stop());

  it.skipIf(skip !== null)('logs in, adds a Server List entry for UDP 500, saves to flash, restarts, and the entry forwards frames', async () => {
    board = await start();
    expect(board.console).toContain('no saved configuration');
    await board.waitFor(() => board!.console.includes('Login:'), 10_000);
    await board.type('admin' + RET, 'Password');
    const main = await board.type('admin' + RET, 'Main Menu');
    expect(main).toContain('default password');
    await board.type('4', 'Network Address Translation');
    await board.type('1', 'Server List');
    expect(await board.type('1', '(no entries)')).toContain('(no entries)');
    await board.type('a', 'Add Server List Entry');
    await board.type('vpn-gw' + RET + DOWN, 'vpn-gw');
    await board.type(DOWN, 'Protocol');
    await board.type('500' + RET + DOWN + DOWN, '500');
    await board.type('192.168.1.10' + RET, '192.168.1.10');
    expect(await board.type(DOWN + DOWN + RET, 'vpn-gw')).toMatch(/vpn-gw\s+UDP\s+500\s+192\.168\.1\.10\s+500/);
    await board.type(ESC, 'Network Address Translation');
    await board.type(ESC, 'System Configuration');
    await board.type(ESC, 'Main Menu');
    await board.type('7', 'Save the configuration and restart');
    const after = await board.type('y', 'restarted with the new configuration');
    expect(after).toContain('configuration saved to flash slot A');
    expect(await forwardedToLan(board)).toEqual([`${H1.ip}:500`]);
    if (board instanceof Rp2040Board || board instanceof RiscvBoard) {
      // Power off and on: a new board with this one's flash boots the saved entry.
      const slots = await board.flashSlots();
      const v = new DataView(slots.buffer);
      const record = slots.subarray(0, 24 + v.getUint32(12, true) + v.getUint32(16, true)); // header, config, auth
      expect(decodeSlot(record, 'a')?.sequence).toBe(1);
      board.stop();
      board = await start(slots);
      expect(board.console).toContain('configuration from flash slot A (sequence 1)');
      expect(await forwardedToLan(board)).toEqual([`${H1.ip}:500`]);
    }
  }, 180_000);

  it.skipIf(skip !== null)('refuses a saved config whose tables do not fit its RAM, and runs the default', async () => {
    // A valid record, but 65,536 sessions and mappings: more linear memory than the board can give.
    const big = encodeConfig(parseConfig({ ...BOARD_CONFIG, limits: { ...BOARD_CONFIG.limits, sessions: 65535, mappings: 65535 } }));
    const auth = await defaultAuth(BOARD_CONFIG);
    const image = blankSlots();
    image.set(encodeSlot(1, big, auth), 0);
    board = await start(image);
    expect(board.console).toContain('flash slot A holds a config this module refuses (error -14: limits: tables do not fit in memory): the default instead');
    const out = await board.exchange(PORT_LAN, udp({ srcMac: H1.mac, dstMac: LAN_MAC, src: H1.ip, dst: '203.0.113.53', sport: 40000, dport: 9, payload: Buffer.from('still routing') }), undefined, 1);
    expect(out.map((f) => f.port)).toEqual([PORT_WAN]); // the default config at work: ARP for the gateway
  }, 180_000);

  it.skipIf(skip !== null)('refuses a saved config of another record version in one line naming why, and runs the default', async () => {
    // A record from a firmware whose config format is newer (CFG_VERSION + 1): refused, never misread.
    const newer = encodeConfig(parseConfig(BOARD_CONFIG));
    new DataView(newer.buffer).setUint16(offsetOf(CONFIG, 'version'), CFG_VERSION + 1, true);
    const image = blankSlots();
    image.set(encodeSlot(1, newer, await defaultAuth(BOARD_CONFIG)), 0);
    board = await start(image);
    expect(board.console).toContain('flash slot A holds a config this module refuses (error -2: record: unsupported version): the default instead');
    const out = await board.exchange(PORT_LAN, udp({ srcMac: H1.mac, dstMac: LAN_MAC, src: H1.ip, dst: '203.0.113.53', sport: 40000, dport: 9, payload: Buffer.from('still routing') }), undefined, 1);
    expect(out.map((f) => f.port)).toEqual([PORT_WAN]); // the default config at work: ARP for the gateway
  }, 180_000);

  it.skipIf(skip !== null)('boots from the newest valid flash slot and ignores a torn newer one', async () => {
    // Slot A: a valid record (sequence 1) with a Server List entry; slot B: sequence 2, torn mid-payload.
    const withEntry = encodeConfig(parseConfig({ ...BOARD_CONFIG, nat: { ...BOARD_CONFIG.nat, serverList: [{ name: 'from-flash', protocol: 'udp', externalPort: '500', internalHost: H1.ip }] } }));
    const plain = encodeConfig(parseConfig(BOARD_CONFIG));
    const auth = await defaultAuth(BOARD_CONFIG);
    const image = blankSlots();
    image.set(encodeSlot(1, withEntry, auth), 0);
    const torn = encodeSlot(2, plain, auth);
    torn.fill(0xff, 24 + 40); // the power went off while the payload was being programmed
    image.set(torn, SLOT_BYTES);

    board = await start(image);
    expect(board.console).toContain('configuration from flash slot A (sequence 1)');
    expect(await forwardedToLan(board)).toEqual([`${H1.ip}:500`]);
    // The accounts came from the slot too: the default password still logs in, and a save goes to B.
    await board.waitFor(() => board!.console.includes('Login:'), 10_000);
    await board.type('admin' + RET, 'Password');
    await board.type('admin' + RET, 'Main Menu');
    await board.type('7', 'Save the configuration and restart');
    expect(await board.type('y', 'restarted with the new configuration')).toContain('configuration saved to flash slot B');
  }, 180_000);
});
