// Frame ports: where the router's LAN and WAN frames come from and go to in `natpass run`.
//   dgram:LOCAL:REMOTE  one Ethernet frame per UDP datagram on 127.0.0.1 (QEMU's -netdev dgram framing)
//   tap:NAME            a Linux TAP interface, through our N-API addon (host/ports/native)
//   packet:NAME, if:NAME  an existing interface (a NIC, a veth) through AF_PACKET, same addon
export interface FramePort {
  readonly description: string;
  onFrame(handler: (frame: Uint8Array) => void): void;
  send(frame: Uint8Array): void;
  close(): void;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

export async function openPort(spec: string): Promise<FramePort> {
  const [kind, ...rest] = spec.split(':');
  if (kind === 'dgram') {
    const [local, remote] = rest.map(Number);
    if (!(local > 0 && local < 65536 && remote > 0 && remote < 65536) || rest.length !== 2) throw new Error(`'${spec}': expected dgram:LOCAL_PORT:REMOTE_PORT`);
    return (await import('./dgram.ts')).openDgramPort(local, remote);
  }
  if (kind === 'tap' || kind === 'packet' || kind === 'if') {
    if (rest.length !== 1 || !IFNAME.test(rest[0])) throw new Error(`'${spec}': expected ${kind}:NAME (an interface name, at most 15 characters)`);
    return (await import('./native.ts')).openNativePort(kind === 'tap' ? 'tap' : 'packet', rest[0]);
  }
  throw new Error(`'${spec}': a port is dgram:LOCAL:REMOTE, tap:NAME or packet:NAME (also if:NAME)`);
}
