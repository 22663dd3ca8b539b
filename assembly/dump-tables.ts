// Which table answers each DUMP_ id: its slot count and its row writer (false: empty slot).
// Row word meanings are documented in host/abi.ts DUMP_ROWS.
import { DUMP_SESSIONS, DUMP_MAPPINGS, DUMP_ARP } from "./abi";
import { Config } from "./config";
import { clockMs } from "./router/router";
import { arpSlots, arpRow } from "./link/arp";
import { flowAt, FLOW_DUMP_FLAGS, FLOW_STATIC_PORT } from "./nat/flow";
import {
  sessionSlots, sessionUsed, sessionIsLead, sessionInAddr, sessionInPort, sessionExtPort, sessionRemAddr, sessionRemPort, sessionLast,
  mappingIdleMs, mappingSessionCount, MAPPING_STATIC,
} from "./nat/sessions";
import { ipsecDumpSlots, ipsecDumpRow } from "./alg/ipsec";

export function dumpSlots(table: u32): u32 {
  if (table == DUMP_SESSIONS) return sessionSlots();
  if (table == DUMP_MAPPINGS) return sessionSlots(); // a mapping's row is its lead session's slot
  if (table == DUMP_ARP) return arpSlots();
  return ipsecDumpSlots(table);
}

function sessionRow(i: u32, row: usize): bool {
  if (!sessionUsed(i)) return false;
  const f = flowAt(i);
  store<u32>(row, f.proto, 0);
  store<u32>(row, sessionInAddr(i), 4);
  store<u32>(row, sessionInPort(i), 8);
  store<u32>(row, Config.wanAddr, 12);
  store<u32>(row, sessionExtPort(i), 16);
  store<u32>(row, sessionRemAddr(i), 20);
  store<u32>(row, sessionRemPort(i), 24);
  store<u32>(row, f.tcpState, 28);
  store<u32>(row, clockMs - sessionLast(i), 32);
  store<u32>(row, f.flags & FLOW_DUMP_FLAGS, 36);
  store<u32>(row, f.packetsOut, 40);
  store<u32>(row, f.packetsIn, 44);
  return true;
}

function mappingRow(i: u32, row: usize): bool {
  if (!sessionUsed(i) || !sessionIsLead(i)) return false;
  const f = flowAt(i);
  store<u32>(row, f.proto, 0);
  store<u32>(row, sessionInAddr(i), 4);
  store<u32>(row, sessionInPort(i), 8);
  store<u32>(row, Config.wanAddr, 12);
  store<u32>(row, sessionExtPort(i), 16);
  store<u32>(row, mappingSessionCount(i), 20);
  store<u32>(row, mappingIdleMs(i, clockMs), 24);
  store<u32>(row, (f.flags & FLOW_STATIC_PORT) != 0 ? MAPPING_STATIC : 0, 28);
  return true;
}

export function dumpRow(table: u32, index: u32, row: usize): bool {
  if (table == DUMP_SESSIONS) return sessionRow(index, row);
  if (table == DUMP_MAPPINGS) return mappingRow(index, row);
  if (table == DUMP_ARP) return arpRow(index, row, clockMs);
  return ipsecDumpRow(table, index, row, clockMs);
}
