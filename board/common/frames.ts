// Frames to and from an emulated board whose clock is the host's (the QEMU ports): send one, then
// collect what the board transmits until its NICs have been quiet for a while of wall time.
import type { Port } from '../../host/abi.ts';

export interface FrameBoard {
  readonly received: { port: Port; data: Uint8Array }[];
  send(port: Port, frame: Uint8Array): void;
}

/** Sends `frame` on `port` and returns every frame the board sent until `quietMs` passed without one,
 *  counted once `atLeast` frames have come (those the caller knows are due: on a loaded machine QEMU may
 *  answer later than any quiet time), or `patienceMs` after the send if they never do. */
export async function exchangeUntilQuiet(board: FrameBoard, port: Port, frame: Uint8Array, quietMs: number, atLeast = 0, patienceMs = 20_000): Promise<{ port: Port; data: Uint8Array }[]> {
  const start = board.received.length, sentAt = Date.now();
  board.send(port, frame);
  const due = () => board.received.length - start >= atLeast || Date.now() - sentAt > patienceMs;
  let seen = start;
  let quietSince = Date.now();
  while (!due() || Date.now() - quietSince < quietMs) {
    await new Promise((r) => setTimeout(r, 10));
    if (board.received.length !== seen) { seen = board.received.length; quietSince = Date.now(); }
  }
  return board.received.slice(start);
}
