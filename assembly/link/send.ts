// Sending an IPv4 frame to a next hop: addressed now when ARP knows its MAC, else queued behind ARP
// (link/arp.ts), leaving on the reply.
import { Config } from "../config";
import { ETH_DST, ETH_SRC, copyMac } from "../wire/ethernet";
import { emit, portMac } from "./emit";
import { arpLookup, arpEnqueue } from "./arp";

/** Sends an IPv4 frame to `nextHop` on `port`: addressed now if its MAC is known, else queued behind ARP. */
export function sendIp(port: u16, nextHop: u32, frame: usize, len: u32, now: u32): void {
  copyMac(frame + ETH_SRC, portMac(port));
  const mac = arpLookup(port, nextHop, now);
  if (mac != 0) {
    copyMac(frame + ETH_DST, mac);
    emit(port, frame, len);
    return;
  }
  arpEnqueue(port, nextHop, frame, len, now);
}

/** The next hop on the WAN for a destination: on-link, or the default gateway (0: no route). */
export function wanNextHop(dst: u32): u32 {
  if ((dst & Config.wanMask) == (Config.wanAddr & Config.wanMask)) return dst;
  return Config.gateway;
}
