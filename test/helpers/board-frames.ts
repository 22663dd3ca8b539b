// Frames and addresses the board suites share (test/board.test.ts, test/board-full.test.ts): the
// boards' default configs (board/<port>/board-config.json) give the router these MACs and addresses.
import { Port } from '../../host/abi.ts';

export const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01', GW_MAC = '02:00:00:00:02:fe';
export const H1 = { ip: '192.168.1.10', mac: '02:00:00:00:10:10' }, H2 = { ip: '192.168.1.11', mac: '02:00:00:00:10:11' };
export const WAN_IP = '198.51.100.2';
export const frameKey = (f: { port: Port; data: Uint8Array }) => `${f.port}:${Buffer.from(f.data).toString('hex')}`;
export const fromH = (h: typeof H1) => ({ srcMac: h.mac, dstMac: LAN_MAC, src: h.ip });
export const fromWan = (src: string) => ({ srcMac: GW_MAC, dstMac: WAN_MAC, src, dst: WAN_IP });
