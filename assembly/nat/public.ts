// Our public addresses: the WAN address and the Map List's external addresses. A packet from the LAN
// to one of them hairpins (nat/napt.ts).
import { Config } from "../config";
import { NONE, mapForOutside } from "./static";

/** True for an address the WAN side reaches us by: the WAN address or a Map List address. */
export function isPublicAddress(addr: u32): bool {
  return addr == Config.wanAddr || (Config.mapCount != 0 && mapForOutside(addr) != NONE);
}
