// Steady-state NAT hits for the RP2040 firmware in rp2040js: 64-byte UDP frames of 16 established flows
// (the board config lets one host hold 32), LAN to WAN, kept queued in the LAN W5500 so that the board
// never waits for input. make bench times them (bench.ts) and counts their XIP cache misses; hot-code.ts
// finds the code they run.
import { PORT_LAN, PORT_WAN } from '../../host/abi.ts';
import { arpReply, udp } from '../../host/packets.ts';
import { compiledCodeOffset, type Rp2040Board } from './emulator.ts';
import { XipCacheModel } from './xip-cache.ts';

const FLOWS = 16;
// Frames queued at a time. The test looks at the board once a simulated millisecond, so the queue must
// outlast a millisecond at any rate the board can reach: with 32 (topped up at 16 left) it ran dry above
// 16 frames a millisecond and frames/s stuck at 16,000. 96 x 66 bytes, with up to 48 more queued, fills
// 9.5 KiB of the W5500's 16 KiB RX buffer and lasts a millisecond up to 48,000 frames/s.
const BURST = 96;
const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01', GW_MAC = '02:00:00:00:02:fe';
const frame = (flow: number) => udp({ srcMac: '02:00:00:00:10:10', dstMac: LAN_MAC, src: '192.168.1.10', dst: '203.0.113.53', sport: 40000 + flow, dport: 9000, payload: new Uint8Array(64 - 42) });

/** Resolves the gateway and opens the flows, one frame each. */
export async function openFlows(board: Rp2040Board): Promise<void> {
  await board.exchange(PORT_LAN, frame(0));
  await board.exchange(PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: '198.51.100.2' }));
  for (let f = 0; f < FLOWS; f++) await board.exchange(PORT_LAN, frame(f), 20);
}

/** Sends `count` frames of the flows and waits until they are out. The queue is topped up once half of a
 *  burst has gone: never empty, never more than BURST + BURST / 2 queued. */
export async function streamNatHits(board: Rp2040Board, count: number): Promise<void> {
  const start = board.received.length;
  for (let sent = 0; sent < count;) {
    for (let k = 0; k < BURST; k++) board.send(PORT_LAN, frame(sent++ % FLOWS));
    await board.waitFor(() => board.received.length - start >= sent - BURST / 2, 1000);
  }
  await board.waitFor(() => board.received.length >= start + count, 1000);
}

/** XIP cache misses a frame of steady NAT hits after a warm-up (xip-cache.ts: what silicon adds and
 *  rp2040js does not time): in the image, and in wasm3's compiled code after it. */
export async function xipMissesPerFrame(board: Rp2040Board, image: string): Promise<{ image: number; compiledCode: number }> {
  const codeAt = compiledCodeOffset(image);
  const xip = new XipCacheModel(board, codeAt === null ? Infinity : 0x10000000 + codeAt);
  await streamNatHits(board, 256);
  xip.reset();
  const from = board.received.length;
  await streamNatHits(board, 512);
  const frames = board.received.length - from;
  return { image: xip.image / frames, compiledCode: xip.after / frames };
}
