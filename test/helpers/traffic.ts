// Shorthands for test traffic: frames from a LAN host to the router, and from the WAN (via the
// gateway) to the router, built with host/packets.ts so every checksum is right.
import { udp, tcp, icmpEcho, esp, ah, ike } from '../../host/packets.ts';
import { hostMac, ROUTER_LAN_MAC, ROUTER_WAN_MAC, GATEWAY_MAC } from './net.ts';

type Rest<T> = Omit<T, 'srcMac' | 'dstMac'>;
type Args<F extends (a: never) => unknown> = Parameters<F>[0];

const lanMacs = (src: string) => ({ srcMac: hostMac(src), dstMac: ROUTER_LAN_MAC });
const wanMacs = { srcMac: GATEWAY_MAC, dstMac: ROUTER_WAN_MAC };

export const lan = {
  udp: (a: Rest<Args<typeof udp>>) => udp({ ...lanMacs(a.src), ...a } as Args<typeof udp>),
  tcp: (a: Rest<Args<typeof tcp>>) => tcp({ ...lanMacs(a.src), ...a } as Args<typeof tcp>),
  ping: (a: Rest<Args<typeof icmpEcho>>) => icmpEcho({ ...lanMacs(a.src), ...a } as Args<typeof icmpEcho>),
  esp: (a: Rest<Args<typeof esp>>) => esp({ ...lanMacs(a.src), ...a } as Args<typeof esp>),
  ah: (a: Rest<Args<typeof ah>>) => ah({ ...lanMacs(a.src), ...a } as Args<typeof ah>),
  ike: (a: Rest<Args<typeof ike>>) => ike({ ...lanMacs(a.src), ...a } as Args<typeof ike>),
};

export const wan = {
  udp: (a: Rest<Args<typeof udp>>) => udp({ ...wanMacs, ...a } as Args<typeof udp>),
  tcp: (a: Rest<Args<typeof tcp>>) => tcp({ ...wanMacs, ...a } as Args<typeof tcp>),
  ping: (a: Rest<Args<typeof icmpEcho>>) => icmpEcho({ ...wanMacs, ...a } as Args<typeof icmpEcho>),
  esp: (a: Rest<Args<typeof esp>>) => esp({ ...wanMacs, ...a } as Args<typeof esp>),
  ah: (a: Rest<Args<typeof ah>>) => ah({ ...wanMacs, ...a } as Args<typeof ah>),
  ike: (a: Rest<Args<typeof ike>>) => ike({ ...wanMacs, ...a } as Args<typeof ike>),
};
