// Each board's firmware, in its emulator, must transmit exactly what the Node host on V8 transmits for
// the same frames and the same config (the port's board-config.json): NAT, ARP, ICMP and the IPsec ALG.
//   qemu-mps2-an385  Cortex-M3 in QEMU, LAN9118 with VLAN-tagged ports (waits in wall-clock ms)
//   rp2040-w5500     Cortex-M0+ in rp2040js with two W5500 models on SPI (waits in simulated ms)
//   qemu-riscv32     RV32IMC in QEMU virt, two virtio-net NICs, the ESP32-C3's RAM (waits in wall-clock ms)
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Router } from '../host/router.ts';
import { PORT_LAN, PORT_WAN, Port } from '../host/abi.ts';
import { arpReply, arpRequest, esp, icmpEcho, ike, udp } from '../host/packets.ts';
import { BOARD_PORTS, EmulatedBoard, playFrames } from '../board/ports.ts';
import { QemuBoard } from '../board/qemu-mps2-an385/emulator.ts';
import { RiscvBoard } from '../board/qemu-riscv32/emulator.ts';
import { mixedTrace } from './helpers/trace.ts';

import { LAN_MAC, WAN_MAC, GW_MAC, H1, H2, WAN_IP, fromH, fromWan } from './helpers/board-frames.ts';

/** The scenario: every step is one frame in; both routers' answers to it are compared. */
const steps: [Port, Uint8Array][] = [
  [PORT_LAN, udp({ ...fromH(H1), dst: '203.0.113.53', sport: 40000, dport: 40001, payload: Buffer.from('hello board') })],
  [PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: WAN_IP })],
  [PORT_WAN, udp({ ...fromWan('203.0.113.53'), sport: 40001, dport: 40000, payload: Buffer.from('hello host') })],
  [PORT_LAN, arpReply({ srcMac: H1.mac, dstMac: LAN_MAC, senderIp: H1.ip, targetIp: '192.168.1.1' })],
  [PORT_LAN, icmpEcho({ ...fromH(H1), dst: '192.168.1.1', type: 8, id: 9, seq: 1 })],
  [PORT_LAN, ike({ ...fromH(H2), dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0xb0a4dn, rcookie: 0n, version: 2, exchange: 34 })],
  [PORT_WAN, ike({ ...fromWan('203.0.113.1'), sport: 500, dport: 500, icookie: 0xb0a4dn, rcookie: 0x77n, version: 2, exchange: 34, flags: 0x20 })],
  [PORT_LAN, arpReply({ srcMac: H2.mac, dstMac: LAN_MAC, senderIp: H2.ip, targetIp: '192.168.1.1' })],
  [PORT_LAN, ike({ ...fromH(H2), dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0xb0a4dn, rcookie: 0x77n, version: 2, exchange: 35 })],
  [PORT_WAN, ike({ ...fromWan('203.0.113.1'), sport: 500, dport: 500, icookie: 0xb0a4dn, rcookie: 0x77n, version: 2, exchange: 35, flags: 0x20 })],
  [PORT_WAN, esp({ ...fromWan('203.0.113.1'), spi: 0xc0de0001, seq: 1 })],
  [PORT_LAN, esp({ ...fromH(H2), dst: '203.0.113.1', spi: 0xc0de0002, seq: 1 })],
  [PORT_WAN, esp({ ...fromWan('203.0.113.9'), spi: 0xbad, seq: 1 })],
  [PORT_LAN, new Uint8Array(30)],
];


describe.each(BOARD_PORTS)('board firmware $name', ({ name, config: configPath, start, available }) => {
  const skip = available() ?? (process.env.NATPASS_ENGINE === 'wasm3' ? 'runs once, in the V8 pass (it compares the board with V8 itself)' : null);
  if (skip) console.log(`${name} board test skipped: ${skip}`);
  let board: EmulatedBoard | undefined;
  afterEach(() => board?.stop());

  it.skipIf(skip !== null)('transmits byte for byte what the Node host on V8 transmits', async () => {
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    const router = await Router.create(config, { engine: 'v8', nowMs: 0 });
    board = await start();
    let t = 0;
    for (const [i, [port, frame]] of steps.entries()) {
      router.receive(port, frame);
      const expected = router.process((t += 20)).map((f) => `${f.port}:${Buffer.from(f.data).toString('hex')}`);
      const got = (await board.exchange(port, frame, undefined, expected.length)).map((f) => `${f.port}:${Buffer.from(f.data).toString('hex')}`);
      expect(got, `step ${i}; the board said:\n${board.console.split('\n').filter((l) => l.includes('natpass:')).join('\n')}`).toEqual(expected);
    }
    expect(router.counters().spi_bound).toBe(1);
    expect(router.counters().nat_out2in).toBe(1);
    // The firmware reports its margins on the UART: heap high-water mark and unused stacks.
    const margins = await board.margins(); // Ctrl-T
    expect(margins.stackUnused).toBeGreaterThan(1024);
    if (margins.valueStackBytes) expect(margins.valueStackUsed).toBeLessThan(margins.valueStackBytes); // wasm3's; wasm2c has none
    console.log(board.console.trim().split('\n').filter((l) => l.includes('natpass:')).join('\n'));
  }, 180_000);

  it.skipIf(skip !== null)('lives through 1,500 frames of mixed and malformed traffic with stack and heap to spare', async () => {
    // The parity trace (fragments, IPsec, unsolicited and malformed frames, full tables on a small board):
    // no crash, no wasm3 error, the painted native stack keeps a margin, and the router still answers.
    board = await start();
    const boot = await board.margins();
    await playFrames(board, mixedTrace(1500, 11));
    // H1 asks for the router, so the router learns H1 whatever the trace left in its ARP table (an
    // unsolicited reply only refreshes an entry that is there, RFC 826's merge).
    await board.exchange(PORT_LAN, arpRequest({ srcMac: H1.mac, senderIp: H1.ip, targetIp: '192.168.1.1' }));
    const answer = await board.exchange(PORT_LAN, icmpEcho({ ...fromH(H1), dst: '192.168.1.1', type: 8, id: 77, seq: 1 }));
    expect(answer.some((f) => f.port === PORT_LAN && f.data[23] === 1 && f.data[34] === 0)).toBe(true); // ICMP echo reply
    expect(board.console).not.toMatch(/failed|hard fault|halted/);
    const margins = await board.margins();
    expect(margins.stackUnused).toBeGreaterThan(4096);
    if (margins.valueStackBytes) expect(margins.valueStackUsed).toBeLessThan(margins.valueStackBytes - 1024);
    // wasm3 with its compiled code in flash (board/common/code_snapshot.h) compiles nothing at run time:
    // every path of the trace leaves the heap where boot left it (compiling into RAM took 89 KiB here).
    if (board.console.includes('compiled code from flash')) expect(margins.heapKiB).toBe(boot.heapKiB);
    console.log(`${name} after the mixed trace: heap peak ${margins.heapKiB} KiB, native stack unused ${margins.stackUnused} bytes, value stack used ${margins.valueStackUsed} bytes`);
  }, 180_000);
});

// A QEMU that dies at boot (here: an -icount shift it refuses) fails the board's start at once with
// QEMU's own message (host/child.ts), not after the 30 s boot timeout.
describe.each([
  { name: 'qemu-mps2-an385', qemu: 'qemu-system-arm', start: () => QemuBoard.start({ icount: 99 }) },
  { name: 'qemu-riscv32', qemu: 'qemu-system-riscv32', start: () => RiscvBoard.start({ icount: 99 }) },
])('board emulator $name', ({ qemu, start }) => {
  it.skipIf(process.env.NATPASS_ENGINE === 'wasm3')('fails at once, with QEMU\'s message, when QEMU dies at boot', async () => {
    const began = Date.now();
    const error = await start().then(() => new Error('started'), (e: Error) => e);
    expect(error.message).toMatch(new RegExp(`^${qemu} .* exited with code 1 before it was booted`));
    expect(error.message).toContain('icount: Invalid shift value');
    expect(Date.now() - began).toBeLessThan(5000);
  });
});
