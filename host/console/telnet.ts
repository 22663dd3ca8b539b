// The console over telnet (RFC 854): a TCP listener that negotiates what a console needs — the server
// echoes (WILL ECHO, RFC 857) and there is no go-ahead (WILL SUPPRESS-GO-AHEAD, RFC 858) — and strips
// telnet commands from what the client sends. One session at a time, like the router's own console.
// It listens on the LAN side only (127.0.0.1 by default here); never on the WAN unless told to.
import { createServer, Server, Socket } from 'node:net';
import type { ConsoleSession } from './session.ts';

const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
const ECHO = 1, SGA = 3;

/** Removes telnet commands from client bytes; state carries a command split across reads. */
export class TelnetDecoder {
  private state: 'data' | 'iac' | 'option' | 'sub' | 'sub-iac' = 'data';

  decode(input: Uint8Array): Uint8Array {
    const out: number[] = [];
    for (const b of input) {
      switch (this.state) {
        case 'data': if (b === IAC) this.state = 'iac'; else out.push(b); break;
        case 'iac':
          if (b === IAC) { out.push(IAC); this.state = 'data'; }
          else if (b === SB) this.state = 'sub';
          else if (b >= WILL && b <= DONT) this.state = 'option';
          else this.state = 'data';
          break;
        case 'option': this.state = 'data'; break;
        case 'sub': if (b === IAC) this.state = 'sub-iac'; break;
        case 'sub-iac': this.state = b === SE ? 'data' : 'sub'; break;
      }
    }
    return new Uint8Array(out);
  }
}

export const TELNET_GREETING = new Uint8Array([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, SGA, IAC, DONT, 34 /* LINEMODE */]);

/** Doubles IAC bytes in screen output so the client never reads them as commands. */
export function escapeIac(b: Uint8Array): Uint8Array {
  if (!b.includes(IAC)) return b;
  const out: number[] = [];
  for (const x of b) { out.push(x); if (x === IAC) out.push(IAC); }
  return new Uint8Array(out);
}

export function startTelnet(session: ConsoleSession, opts: { host: string; port: number; log?: (s: string) => void }): Promise<Server> {
  let busy: Socket | null = null;
  const server = createServer((sock) => {
    if (busy) { sock.end('The console is in use by another session.\r\n'); return; }
    busy = sock;
    opts.log?.(`telnet: console opened from ${sock.remoteAddress}:${sock.remotePort}`);
    const decoder = new TelnetDecoder();
    sock.write(TELNET_GREETING);
    sock.write(escapeIac(session.start()));
    sock.on('data', (d: Buffer) => {
      const keys = decoder.decode(d);
      if (keys.length) sock.write(escapeIac(session.input(keys)));
    });
    const done = () => { if (busy === sock) busy = null; };
    sock.on('close', done);
    sock.on('error', done);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
