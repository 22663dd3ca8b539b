// A frame port on a loopback UDP socket pair: what QEMU's -netdev dgram speaks (one frame per datagram).
import { createSocket } from 'node:dgram';
import type { FramePort } from './port.ts';

export async function openDgramPort(localPort: number, remotePort: number): Promise<FramePort> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(localPort, '127.0.0.1', () => resolve());
  });
  let handler: (f: Uint8Array) => void = () => {};
  sock.on('message', (msg) => handler(new Uint8Array(msg)));
  return {
    description: `dgram 127.0.0.1:${localPort} <-> 127.0.0.1:${remotePort}`,
    onFrame(h) { handler = h; },
    send(frame) { sock.send(frame, remotePort, '127.0.0.1'); },
    close() { sock.close(); },
  };
}
