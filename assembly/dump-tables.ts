// Which table answers each DUMP_ id: its slot count and its row writer (false: empty slot).
// Row word meanings are documented in host/abi.ts DUMP_ROWS.
import { DUMP_SESSIONS, DUMP_MAPPINGS, DUMP_ARP } from "./abi";
import { clockMs } from "./router/router";
import { arpSlots, arpRow } from "./router/arp";
import { sessionSlots, sessionAt, mappingIdleMs, S_USED, S_PROTO, S_IN_ADDR, S_IN_PORT, S_EXT_ADDR, S_EXT_PORT, S_REM_ADDR, S_REM_PORT, S_TCP_STATE, S_LAST, S_FLAGS, S_PKTS_IN2OUT, S_PKTS_OUT2IN } from "./nat/sessions";
import { mappingSlots, mappingAt, M_USED, M_PROTO, M_IN_ADDR, M_IN_PORT, M_EXT_ADDR, M_EXT_PORT, M_SESSION_COUNT, M_FLAGS } from "./nat/mappings";
import { ipsecDumpSlots, ipsecDumpRow } from "./alg/ipsec";

export function dumpSlots(table: u32): u32 {
  if (table == DUMP_SESSIONS) return sessionSlots();
  if (table == DUMP_MAPPINGS) return mappingSlots();
  if (table == DUMP_ARP) return arpSlots();
  return ipsecDumpSlots(table);
}

function sessionRow(i: u32, row: usize): bool {
  const s = sessionAt(i);
  if (load<u8>(s, S_USED) == 0) return false;
  store<u32>(row, load<u8>(s, S_PROTO), 0);
  store<u32>(row, load<u32>(s, S_IN_ADDR), 4);
  store<u32>(row, load<u16>(s, S_IN_PORT), 8);
  store<u32>(row, load<u32>(s, S_EXT_ADDR), 12);
  store<u32>(row, load<u16>(s, S_EXT_PORT), 16);
  store<u32>(row, load<u32>(s, S_REM_ADDR), 20);
  store<u32>(row, load<u16>(s, S_REM_PORT), 24);
  store<u32>(row, load<u8>(s, S_TCP_STATE), 28);
  store<u32>(row, clockMs - load<u32>(s, S_LAST), 32);
  store<u32>(row, load<u8>(s, S_FLAGS), 36);
  store<u32>(row, load<u32>(s, S_PKTS_IN2OUT), 40);
  store<u32>(row, load<u32>(s, S_PKTS_OUT2IN), 44);
  return true;
}

function mappingRow(i: u32, row: usize): bool {
  const m = mappingAt(i);
  if (load<u8>(m, M_USED) == 0) return false;
  store<u32>(row, load<u8>(m, M_PROTO), 0);
  store<u32>(row, load<u32>(m, M_IN_ADDR), 4);
  store<u32>(row, load<u16>(m, M_IN_PORT), 8);
  store<u32>(row, load<u32>(m, M_EXT_ADDR), 12);
  store<u32>(row, load<u16>(m, M_EXT_PORT), 16);
  store<u32>(row, load<u32>(m, M_SESSION_COUNT), 20);
  store<u32>(row, mappingIdleMs(i, clockMs), 24);
  store<u32>(row, load<u8>(m, M_FLAGS), 28);
  return true;
}

export function dumpRow(table: u32, index: u32, row: usize): bool {
  if (table == DUMP_SESSIONS) return sessionRow(index, row);
  if (table == DUMP_MAPPINGS) return mappingRow(index, row);
  if (table == DUMP_ARP) return arpRow(index, row, clockMs);
  return ipsecDumpRow(table, index, row, clockMs);
}
