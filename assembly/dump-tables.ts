// Which table answers each DUMP_ id: its slot count and its row writer (false: empty slot).
// Rows are laid out by the one layout source (host/layout.ts; SessionsRow, MappingsRow generated).
import { DUMP_SESSIONS, DUMP_MAPPINGS, DUMP_ARP, SessionsRow, MappingsRow } from "./abi";
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

function sessionRow(i: u32, at: usize): bool {
  if (!sessionUsed(i)) return false;
  const f = flowAt(i);
  const row = changetype<SessionsRow>(at);
  row.proto = f.proto;
  row.inAddr = sessionInAddr(i);
  row.inPort = sessionInPort(i);
  row.extAddr = Config.wanAddr;
  row.extPort = sessionExtPort(i);
  row.remAddr = sessionRemAddr(i);
  row.remPort = sessionRemPort(i);
  row.tcpState = f.tcpState;
  row.ageMs = clockMs - sessionLast(i);
  row.flags = f.flags & FLOW_DUMP_FLAGS;
  row.pktsIn2Out = f.packetsOut;
  row.pktsOut2In = f.packetsIn;
  return true;
}

function mappingRow(i: u32, at: usize): bool {
  if (!sessionUsed(i) || !sessionIsLead(i)) return false;
  const f = flowAt(i);
  const row = changetype<MappingsRow>(at);
  row.proto = f.proto;
  row.inAddr = sessionInAddr(i);
  row.inPort = sessionInPort(i);
  row.extAddr = Config.wanAddr;
  row.extPort = sessionExtPort(i);
  row.sessions = mappingSessionCount(i);
  row.ageMs = mappingIdleMs(i, clockMs);
  row.flags = (f.flags & FLOW_STATIC_PORT) != 0 ? MAPPING_STATIC : 0;
  return true;
}

export function dumpRow(table: u32, index: u32, row: usize): bool {
  if (table == DUMP_SESSIONS) return sessionRow(index, row);
  if (table == DUMP_MAPPINGS) return mappingRow(index, row);
  if (table == DUMP_ARP) return arpRow(index, row, clockMs);
  return ipsecDumpRow(table, index, row, clockMs);
}
