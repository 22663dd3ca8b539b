// The board suites' longer half (test/board.test.ts has the scenario and the mixed trace; split so the two
// files run on two workers): each board with its session table filled past its size, and the RP2040's
// overlapped SPI (bursts of mixed sizes, odd lengths, its clocks). Each compares the firmware with the
// Node host on V8.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Router } from '../host/router.ts';
import { DUMP_MAPPINGS, DUMP_SESSIONS, PORT_LAN, PORT_WAN, Port } from '../host/abi.ts';
import { arpReply, udp } from '../host/packets.ts';
import { BOARD_PORTS, EmulatedBoard } from '../board/ports.ts';
import { Rp2040Board, RP2040_IMAGE, rp2040Available } from '../board/rp2040-w5500/emulator.ts';
import { openFlows, xipMissesPerFrame } from '../board/rp2040-w5500/nat-hits.ts';
import { fillFrames } from './helpers/fill.ts';
import { LAN_MAC, WAN_MAC, GW_MAC, H1, WAN_IP, frameKey, fromH, fromWan } from './helpers/board-frames.ts';

const RET = '\r';

/** Sends frames in bursts of 16 and returns, per port, what the board transmitted in reply, in order:
 *  once `due` frames have come (what the Node host sent for them: a loaded machine may slow a QEMU board
 *  past any quiet time, 20 s at most) and it has then been quiet for 300 ms of its time. */
async function burst(board: EmulatedBoard, frames: [Port, Uint8Array][], due: number): Promise<string[][]> {
  const start = board.received.length;
  for (let i = 0; i < frames.length; i += 16) {
    for (const [port, data] of frames.slice(i, i + 16)) board.send(port, data);
    await board.pause(20);
  }
  await board.waitFor(() => board.received.length - start >= due, 20_000);
  for (let seen = -1; seen !== board.received.length;) { seen = board.received.length; await board.pause(300); }
  return byPort(board.received.slice(start));
}

function byPort(frames: readonly { port: Port; data: Uint8Array }[]): string[][] {
  return [PORT_LAN, PORT_WAN].map((p) => frames.filter((f) => f.port === p).map(frameKey));
}

describe.each(BOARD_PORTS)('board firmware $name with full tables', ({ name, config: configPath, start, available }) => {
  const skip = available() ?? (process.env.NATPASS_ENGINE === 'wasm3' ? 'runs once, in the V8 pass (it compares the board with V8 itself)' : null);
  let board: EmulatedBoard | undefined;
  afterEach(() => board?.stop());

  it.skipIf(skip !== null)('fills its session table past its size and transmits what the Node host transmits, leaving the established flow alone', async () => {
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    const { before, fill, after } = fillFrames(config.limits.sessions, config.limits.hosts);
    const router = await Router.create(config, { engine: 'v8', nowMs: 0 });
    const node = (frames: [Port, Uint8Array][], t: number) => { for (const [port, data] of frames) router.receive(port, data); return byPort(router.process(t)); };
    board = await start();
    const said = () => board!.console.split('\n').filter((l) => l.includes('natpass:')).join('\n');
    const count = (ports: string[][]) => ports.flat().length;
    for (const [i, step] of before.entries()) { const want = node(step, 100 + i); expect(await burst(board, step, count(want)), said()).toEqual(want); }
    const wantFill = node(fill, 200);
    expect(await burst(board, fill, count(wantFill)), said()).toEqual(wantFill);
    const wantAfter = node(after, 300);
    const last = await burst(board, after, count(wantAfter));
    expect(last, said()).toEqual(wantAfter);
    expect(last[0]).toHaveLength(1); // the established flow's reply still reaches H1
    const c = router.counters();
    // The table was full: flows were refused or the oldest transitory ones evicted.
    expect(c.sessions_evicted + c.drop_session_table_full + c.drop_mapping_table_full + c.drop_host_share + c.drop_host_quota).toBeGreaterThan(0);
    expect(board.console).not.toMatch(/failed|hard fault|halted/);
    // Its console shows how full the tables are: what the Node host holds, out of the board's sizes.
    await board.waitFor(() => board!.console.includes('Login:'), 10_000);
    await board.type('admin' + RET, 'Password');
    await board.type('admin' + RET, 'Main Menu');
    await board.type('5', 'Utilities');
    const screen = await board.type('1', /sessions in use \(\d+ %\), \d+ of \d+ mappings/);
    const sessions = router.dumpTable(DUMP_SESSIONS).length, mappings = router.dumpTable(DUMP_MAPPINGS).length;
    expect(sessions).toBeGreaterThan(config.limits.sessions * 0.9);
    expect(screen).toContain(`${sessions} of ${config.limits.sessions} sessions in use (${Math.floor((sessions * 100) / config.limits.sessions)} %), ${mappings} of ${config.limits.mappings} mappings`);
    console.log(`${name} full table: ${config.limits.sessions} sessions, ${fill.length} new flows: ${c.sessions_created} created, ${c.sessions_evicted} evicted, ${c.drop_session_table_full} refused (table full), ${c.drop_host_share} refused (host share)`);
  }, 600_000);
});

// The RP2040's W5500 driver reads ahead of the RX buffer and stages outputs by DMA while process() runs
// (board/common/w5500.c): a read-ahead may end inside a record, frames too large for a stage go the
// direct way, and one chip may have frames both ways at once. Bursts of mixed sizes, queued in both
// chips at once, must come out complete, unreordered per port, and as the Node host sends them.
describe('rp2040-w5500: overlapped SPI, its clocks, its sleep', () => {
  const skip = rp2040Available() ?? (process.env.NATPASS_ENGINE === 'wasm3' ? 'runs once, in the V8 pass' : null);
  let board: Rp2040Board | undefined;
  afterEach(() => board?.stop());

  it.skipIf(skip !== null)('forwards bursts of mixed sizes both ways, in order, byte for byte', async () => {
    const config = JSON.parse(readFileSync('board/rp2040-w5500/board-config.json', 'utf8'));
    const router = await Router.create(config, { engine: 'v8', nowMs: 0 });
    board = await Rp2040Board.start();
    let t = 0;
    const expectOf = (port: Port, frame: Uint8Array) => {
      router.receive(port, frame);
      return router.process((t += 1)).map(frameKey);
    };
    // Flows set up one frame at a time: the gateway resolved, four flows out, H1 resolved on the LAN.
    const sizes = [60, 1514, 90, 64, 700, 128, 1000, 64, 300, 60, 1200, 66];
    const out = (i: number) => udp({ ...fromH(H1), dst: '203.0.113.53', sport: 41000 + (i % 4), dport: 9000, payload: new Uint8Array(sizes[i % sizes.length] - 42).fill(i) });
    const mapped: number[] = [];
    const back = (i: number) => udp({ ...fromWan('203.0.113.53'), sport: 9000, dport: mapped[i % 4], payload: new Uint8Array(sizes[(i + 5) % sizes.length] - 42).fill(0x80 | i) });
    // A reply on the first flow makes the router ask for H1's MAC; H1's answer lets it through.
    const setup: (() => [Port, Uint8Array])[] = [
      () => [PORT_LAN, out(0)],
      () => [PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: WAN_IP })],
      () => [PORT_WAN, back(0)],
      () => [PORT_LAN, arpReply({ srcMac: H1.mac, dstMac: LAN_MAC, senderIp: H1.ip, targetIp: '192.168.1.1' })],
      () => [PORT_LAN, out(1)], () => [PORT_LAN, out(2)], () => [PORT_LAN, out(3)],
    ];
    for (const step of setup) {
      const [port, frame] = step();
      const expected = expectOf(port, frame);
      expect((await board.exchange(port, frame)).map(frameKey)).toEqual(expected);
      for (const f of expected) if (f.startsWith(`${PORT_WAN}:`) && f.slice(2 + 24, 2 + 28) === '0800') mapped.push(parseInt(f.slice(2 + 68, 2 + 72), 16));
    }
    expect(mapped.length).toBe(4);
    // The bursts (about 11 KiB a chip, inside its 16 KiB RX buffer), queued at once: 24 frames out alone
    // (so that one batch's outputs share a port), then 24 each way.
    for (const [lan, wan] of [[24, 0], [24, 24]]) {
      const lanBurst = Array.from({ length: lan }, (_, i) => out(i + 4)), wanBurst = Array.from({ length: wan }, (_, i) => back(i));
      const expected = [...lanBurst.flatMap((f) => expectOf(PORT_LAN, f)), ...wanBurst.flatMap((f) => expectOf(PORT_WAN, f))];
      expect(expected.length).toBe(lan + wan);
      const start = board.received.length;
      lanBurst.forEach((f) => expect(board!.send(PORT_LAN, f)).toBe(true));
      wanBurst.forEach((f) => expect(board!.send(PORT_WAN, f)).toBe(true));
      await board.waitFor(() => board!.received.length - start >= expected.length, 2000);
      await board.runFor(100);
      const got = board.received.slice(start).map(frameKey);
      for (const port of [PORT_LAN, PORT_WAN]) {
        expect(got.filter((f) => f.startsWith(`${port}:`)), `port ${port}`).toEqual(expected.filter((f) => f.startsWith(`${port}:`)));
      }
      expect(got.length).toBe(expected.length);
    }
    expect(board.nics.map((nic) => nic.sendsWhileBusy)).toEqual([0, 0]); // each SEND waited for the one before
  }, 180_000);

  // A frame staged for transmission is copied from the module's ring by DMA, by words, halfwords or bytes as
  // its ends and length allow; lone frames of odd lengths, up to what a transmit stage holds (256 bytes),
  // take the byte-at-a-time copies the mixed-size bursts (even lengths) never make.
  it.skipIf(skip !== null)('forwards lone frames of odd lengths up to what a stage holds, byte for byte', async () => {
    const config = JSON.parse(readFileSync('board/rp2040-w5500/board-config.json', 'utf8'));
    const router = await Router.create(config, { engine: 'v8', nowMs: 0 });
    board = await Rp2040Board.start();
    let t = 0;
    const frames: [Port, Uint8Array][] = [
      [PORT_LAN, udp({ ...fromH(H1), dst: '203.0.113.53', sport: 42000, dport: 9000, payload: new Uint8Array(1) })],
      [PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: WAN_IP })],
      ...[255, 201, 99, 61, 253, 129].map((size, i): [Port, Uint8Array] =>
        [PORT_LAN, udp({ ...fromH(H1), dst: '203.0.113.53', sport: 42000, dport: 9000, payload: new Uint8Array(size - 42).fill(0x30 + i) })]),
    ];
    for (const [port, frame] of frames) {
      router.receive(port, frame);
      const expected = router.process((t += 1)).map(frameKey);
      expect((await board.exchange(port, frame, 20)).map(frameKey)).toEqual(expected);
    }
  }, 60_000);

  // An idle board sleeps (board.c hal_idle) instead of polling both chips over SPI, which kept the core
  // busy: 108 million instructions a simulated second. A frame on either port and a key must still wake it
  // at once, not at the next 50 ms tick.
  it.skipIf(skip !== null)('sleeps while idle, and a frame on either port or a key wakes it at once', async () => {
    board = await Rp2040Board.start();
    const rp = board;
    const idle = async () => { const from = rp.instructions; await rp.runFor(1000); return rp.instructions - from; };
    expect(await idle()).toBeLessThan(2_000_000);
    const frames: [Port, Uint8Array][] = [
      [PORT_LAN, udp({ ...fromH(H1), dst: '203.0.113.53', sport: 42000, dport: 9000, payload: new Uint8Array(18) })],
      [PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: WAN_IP })], // sends the queued frame
      [PORT_WAN, udp({ ...fromWan('203.0.113.53'), sport: 9000, dport: 42000, payload: new Uint8Array(18) })],
    ];
    for (const [port, frame] of frames) {
      await rp.runFor(333); // a third of the way between ticks... or wherever the last frame left it
      const sentAt = rp.simulatedMs();
      const out = await rp.exchange(port, frame, 20);
      expect(out.length, `port ${port}`).toBe(1);
      expect(out[0].atMs - sentAt, `port ${port}`).toBeLessThan(0.5);
    }
    expect(await idle()).toBeLessThan(2_000_000);
    // Asleep, INTn also signals RECV; awake, it must mean SEND_OK alone again when the driver SENDs.
    expect(rp.nics.map((nic) => nic.sendsWithIntnHeldByOther)).toEqual([0, 0]);
    const typedAt = rp.simulatedMs(), shown = rp.console.length;
    rp.typeOnConsole('a');
    expect(await rp.waitFor(() => rp.console.length > shown, 100)).toBe(true);
    expect(rp.simulatedMs() - typedAt).toBeLessThan(3);
  }, 60_000);

  // Silicon reads flash through a 16 KiB two-way XIP cache that rp2040js does not time (xip-cache.ts models
  // it); spread over the image, the code of steady forwarding missed it 14 times a frame under wasm3 and
  // 21 under the AOT build, 2-3 us each. link.ld keeps that code in one piece (hot-code.ld, make hot-code).
  it.skipIf(skip !== null)('keeps what steady forwarding reads from flash in one piece: under one XIP cache miss a frame, both builds', async () => {
    for (const image of [RP2040_IMAGE, 'build/board/rp2040-w5500-aot.bin'].filter((i) => existsSync(i))) {
      board = await Rp2040Board.start({ image });
      await openFlows(board);
      const misses = await xipMissesPerFrame(board, image);
      expect(misses.image + misses.compiledCode, `${image}: a stale board/rp2040-w5500/hot-code.ld? (make hot-code)`).toBeLessThan(1);
      board.stop();
    }
  }, 120_000);

  // 200 MHz is the RP2040's certified clock only with its core at 1.15 V or more (Pico SDK 2.1.1; 1.10 V
  // at reset), raised before the clock; the buses must stay within what their chips take.
  it.skipIf(skip !== null)('runs at 200 MHz with its core raised to 1.15 V first, SPI within the W5500\'s 33.3 MHz', async () => {
    board = await Rp2040Board.start();
    expect(board.clockHz).toBe(200e6);
    expect(board.clockChanges.length).toBeGreaterThan(0);
    for (const change of board.clockChanges.filter((c) => c.hz > 133e6)) expect(change.coreVolts).toBeGreaterThanOrEqual(1.15 - 1e-9);
    for (const port of [PORT_LAN, PORT_WAN] as Port[]) expect(board.spiHz(port)).toBeLessThanOrEqual(200e6 / 6);
    expect(Math.abs(board.uartBaud / 115_200 - 1)).toBeLessThan(0.01);
  }, 60_000);
});
