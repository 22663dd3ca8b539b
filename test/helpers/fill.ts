// Frames that fill a router's session table past its size, shared by test/board.test.ts (the board
// against the Node host) and board/common/size.ts (the board's heap after full tables).
import { PORT_LAN, PORT_WAN, Port } from '../../host/abi.ts';
import { arpReply, arpRequest, tcp, udp } from '../../host/packets.ts';

const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01', GW_MAC = '02:00:00:00:02:fe';
const WAN_IP = '198.51.100.2';
const fromH = (h: { ip: string; mac: string }) => ({ srcMac: h.mac, dstMac: LAN_MAC, src: h.ip });
const fromWan = (src: string) => ({ srcMac: GW_MAC, dstMac: WAN_MAC, src, dst: WAN_IP });

/** Frames that fill a table of `sessions` flows and go past it by an eighth (at least 16): `hosts` LAN
 *  hosts (the config's limits.hosts, so that no floor stays reserved for hosts not seen) take turns,
 *  three flows in four a TCP SYN (a transitory session, which a full table may evict), the fourth a UDP
 *  datagram (never evicted: refused when there is no room). First one host introduces itself (the
 *  others need no ARP entry: only the gateway is sent to, and a board's ARP table is smaller than its
 *  hosts table, where which entry goes would depend on the clock) and opens a UDP flow (the router asks
 *  for the gateway, which answers) that the remote answers: an established flow that the full table
 *  must leave alone. */
export function fillFrames(sessions: number, hostCount: number): { before: [Port, Uint8Array][][]; fill: [Port, Uint8Array][]; after: [Port, Uint8Array][] } {
  const hosts = Array.from({ length: Math.min(hostCount, 200) }, (_, i) => ({ ip: `192.168.1.${20 + i}`, mac: `02:00:00:00:12:${(20 + i).toString(16).padStart(2, '0')}` }));
  // In steps that each use one port: a board's two NICs may hand over frames of a burst in either order.
  const before: [Port, Uint8Array][][] = [
    [[PORT_LAN, arpRequest({ srcMac: hosts[0].mac, senderIp: hosts[0].ip, targetIp: '192.168.1.1' })],
      [PORT_LAN, udp({ ...fromH(hosts[0]), dst: '203.0.113.53', sport: 40000, dport: 40001, payload: Buffer.from('kept') })]],
    [[PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: WAN_IP })]],
    [[PORT_WAN, udp({ ...fromWan('203.0.113.53'), sport: 40001, dport: 40000, payload: Buffer.from('reply') })]],
  ];
  const fill: [Port, Uint8Array][] = [];
  const flows = sessions + Math.max(16, sessions >> 3);
  for (let i = 0; i < flows; i++) {
    // A host's source port serves four of its flows (to four remotes): one mapping, four sessions, so
    // the session table fills before the mapping table does.
    const h = hosts[i % hosts.length], dst = `203.0.${113 + ((i >> 8) % 3)}.${1 + (i & 0xff) % 250}`;
    const sport = 10000 + Math.floor(i / (hosts.length * 4));
    fill.push([PORT_LAN, i % 4 === 3
      ? udp({ ...fromH(h), dst, sport, dport: 53, payload: Buffer.from(`flow ${i}`) })
      : tcp({ ...fromH(h), dst, sport, dport: 443, flags: 'S', seq: i * 7919 })]);
  }
  const after: [Port, Uint8Array][] = [[PORT_WAN, udp({ ...fromWan('203.0.113.53'), sport: 40001, dport: 40000, payload: Buffer.from('still here') })]];
  return { before, fill, after };
}
