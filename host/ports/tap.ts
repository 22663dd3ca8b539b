// A frame port on a Linux TAP interface (host/ports/tap/tap.c opens it). Frames are read by a
// read stream on the descriptor (one read() is one frame) and written with one write() each.
import { createRequire } from 'node:module';
import { existsSync, createReadStream, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FramePort } from './port.ts';

const ADDON = fileURLToPath(new URL('./tap/build/Release/natpass_tap.node', import.meta.url));

export function openTapPort(name: string): FramePort {
  if (!existsSync(ADDON)) throw new Error(`the TAP addon is not built (${ADDON}): run make tap-addon`);
  const { openTap } = createRequire(import.meta.url)(ADDON) as { openTap(n: string): number };
  const fd = openTap(name);
  const stream = createReadStream('', { fd, highWaterMark: 65536, autoClose: false });
  let handler: (f: Uint8Array) => void = () => {};
  stream.on('data', (chunk) => handler(new Uint8Array(chunk as Buffer)));
  stream.on('error', () => {}); // EIO while the interface is down: keep the port, frames resume when it is up
  return {
    description: `tap ${name}`,
    onFrame(h) { handler = h; },
    send(frame) {
      try { writeSync(fd, frame); } catch { /* interface down: the frame is lost, as on a wire */ }
    },
    close() { stream.destroy(); closeSync(fd); },
  };
}
