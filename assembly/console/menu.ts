// The management console in the style of the Netopia Main Menu (technote NIR_077): log in, move with
// the arrow keys (or type an item's number), Enter opens an item or saves a field, Backspace/Delete/Tab
// without Enter undo the field, Esc goes back toward the Main Menu. Changes are staged and take effect
// on Restart System, which the Superuser alone may do. Driven by bytes; draws with VT100 sequences.
import { Counter, COUNTER_NAMES, counterValue, countersSettle } from "../counters";
import {
  O_LAN_ADDR, O_LAN_PREFIX, O_WAN_ADDR, O_WAN_PREFIX, O_WAN_GATEWAY, O_FLAGS, O_FILTERING, O_IPSEC_MODE,
  O_DEFAULT_SERVER, SERVER_BYTES, MAP_BYTES, CFG_OK, ConfigRecord, ServerEntry, MapEntry,
  SERVER_NAME, SERVER_PROTO, SERVER_EXT_LO, SERVER_EXT_HI, SERVER_IN_ADDR, SERVER_IN_PORT, MAP_NAME, MAP_IN_ADDR, MAP_EXT_ADDR,
  NAME_BYTES, FILTER_ENDPOINT_INDEPENDENT, FILTER_ADDRESS_DEPENDENT, FILTER_ADDRESS_AND_PORT_DEPENDENT, IPSEC_OFF, IPSEC_SERVER_LIST,
  IPSEC_MULTI, PROTO_SEL_UDP, PROTO_SEL_TCP, PROTO_SEL_BOTH, FLAG_WAN_PING, FLAG_HAIRPIN,
} from "../config";
import { ADVISOR_CATALOG } from "../alg/advisor";
import { NATT_FLOATED } from "../alg/ike-sessions";
import { DUMP_SESSIONS, DUMP_IKE, DUMP_FINDINGS, SessionsRow, IkeRow, FindingsRow } from "../abi";
import { dumpSlots, dumpRow } from "../dump-tables";
import { sessionSlots } from "../nat/sessions";
import { mappingsLive, mappingSlots } from "../nat/mappings";
import { PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { outReset, putc, puts, putBytes, putNum, putNumPadded, putIp, pad, clearScreen, reverse } from "./out";
import { parseIp, parsedIp, parseNum } from "./text";
import { authCheck, lockoutLeft, accountRole, accountIsDefault, accountName, authSetPassword, ROLE_SUPERUSER } from "./auth";
import { staged, stageFromLive, serverCount, mapCount, serverAt, mapAt, ikePortsAt, ikePortCount, addServer, removeServer, addMap, removeMap, checkStaged } from "./record";

// ---- screens ----
const S_LOGIN = 0, S_MAIN = 1, S_QUICK = 2, S_EASY = 3, S_WAN = 4, S_SYSTEM = 5, S_NAT = 6, S_SERVERS = 7, S_MAPS = 8;
const S_NAT_OPTIONS = 9, S_IPSEC = 10, S_UTIL = 11, S_NAT_TABLE = 12, S_TUNNELS = 13, S_ADVISOR = 14, S_STATS = 15;
const S_RESTART = 16, S_SERVER_ADD = 17, S_MAP_ADD = 18, S_PASSWORD = 19, S_BYE = 20;

// ---- keys and characters (ASCII) ----
const KEY_BACKSPACE: u32 = 8, KEY_TAB: u32 = 9, KEY_LF: u32 = 10, KEY_CR: u32 = 13, KEY_ESC: u32 = 27, KEY_SPACE: u32 = 32, KEY_DELETE: u32 = 127;
const KEY_CSI: u32 = 91; // '[' after ESC: an arrow key follows
const KEY_UP: u32 = 65, KEY_DOWN: u32 = 66; // ESC [ A, ESC [ B
const CHAR_NUL: u32 = 0, CHAR_PRINTABLE: u32 = 32, CHAR_STAR: u32 = 42, CHAR_DASH: u32 = 45, CHAR_COLON: u32 = 58, CHAR_UNDERSCORE: u32 = 95;
const CHAR_1: u32 = 49, CHAR_9: u32 = 57;
const CHAR_UPPER_A: u32 = 65, CHAR_LOWER_A: u32 = 97, CHAR_UPPER_Y: u32 = 89, CHAR_LOWER_Y: u32 = 121, CHAR_UPPER_N: u32 = 78, CHAR_LOWER_N: u32 = 110;
const LINE_MAX: u32 = 63; // characters kept of a typed field or login (line holds 64 bytes)
const NAME_SHOWN: u32 = NAME_BYTES - 1; // an entry name's characters the console shows and keeps

// ---- field kinds ----
const F_IP: u32 = 0, F_PREFIX: u32 = 1, F_PORT: u32 = 2, F_FLAG: u32 = 3, F_CHOICE: u32 = 4, F_TEXT: u32 = 5, F_ACTION: u32 = 6, F_SECRET: u32 = 7, F_IP_OR_NONE: u32 = 8;

// ---- the screens, as one table ----
// Every screen's definition in one place, read by one interpreter (drawMenu, drawForm, formKey and
// friends): a SCREEN row (title, and where Esc goes back to), then its menu ITEMs (label, the screen the
// item opens) or form FIELDs (label, kind, where its value lies), in the order they are shown; CHOICE
// rows give the labels of a choice field's values. Adding an item or a field is one more row, and
// nothing else is renumbered. Two words a row: a packed word, then a string's address (string literals
// fold to constants, so nothing runs to build the table and nothing allocates; one static object,
// because static data is RAM on a board).
// The packed word: the row's kind (bits 0-1), its screen or choice set (bits 2-7), then
//   SCREEN  the screen Esc goes back to (bits 8-13)
//   ITEM    the screen the item opens (bits 8-13)
//   FIELD   the field's kind F_* (bits 8-11); where its value lies (bits 12-13: the staged config record,
//           the Server List or Map List entry being composed, or the first IKE port; an action or a
//           password lies nowhere); SEEDS_RANGE (bit 14); a flag's bit or a choice field's set
//           (bits 15-22); the value's offset there (bits 23-31), from the generated layout
//   CHOICE  the value stored (bits 8-15)
const SCREEN: u32 = 0, ITEM: u32 = 1, FIELD: u32 = 2, CHOICE: u32 = 3;
const ROW_KEY_MASK: u32 = 255; // row kind and screen
const WHO = 2, TO = 8, KIND = 8, ARG = 15, OFFSET = 23, VALUE = 8;
const SCREEN_MASK: u32 = 63, KIND_MASK: u32 = 15, ARG_MASK: u32 = 255, VALUE_MASK: u32 = 255;
const AT_NONE: u32 = 0 << 12, AT_STAGED: u32 = 1 << 12, AT_ENTRY: u32 = 2 << 12, AT_IKE_PORT: u32 = 3 << 12;
const AT_MASK: u32 = 3 << 12;
// Typing the external port also sets the range end (a single port until one is given) and, when none
// is given yet, the internal port.
const SEEDS_RANGE: u32 = 1 << 14;
const ROW_WORDS = 2;
const CHOICE_FILTERING: u32 = 1, CHOICE_IPSEC: u32 = 2, CHOICE_PROTO: u32 = 3;

const UI: StaticArray<u32> = [
  SCREEN | S_MAIN << WHO | S_MAIN << TO, changetype<u32>("Main Menu"),
  ITEM | S_MAIN << WHO | S_QUICK << TO, changetype<u32>("Quick View..."),
  ITEM | S_MAIN << WHO | S_EASY << TO, changetype<u32>("Easy Setup..."),
  ITEM | S_MAIN << WHO | S_WAN << TO, changetype<u32>("WAN Configuration..."),
  ITEM | S_MAIN << WHO | S_SYSTEM << TO, changetype<u32>("System Configuration..."),
  ITEM | S_MAIN << WHO | S_UTIL << TO, changetype<u32>("Utilities & Diagnostics..."),
  ITEM | S_MAIN << WHO | S_STATS << TO, changetype<u32>("Statistics & Logs..."),
  ITEM | S_MAIN << WHO | S_RESTART << TO, changetype<u32>("Restart System..."),
  ITEM | S_MAIN << WHO | S_BYE << TO, changetype<u32>("Exit"),

  SCREEN | S_EASY << WHO | S_MAIN << TO, changetype<u32>("Easy Setup"),
  FIELD | S_EASY << WHO | F_IP << KIND | AT_STAGED | O_LAN_ADDR << OFFSET, changetype<u32>("Ethernet (LAN) IP Address"),
  FIELD | S_EASY << WHO | F_PREFIX << KIND | AT_STAGED | O_LAN_PREFIX << OFFSET, changetype<u32>("Ethernet (LAN) Prefix Length"),
  FIELD | S_EASY << WHO | F_IP << KIND | AT_STAGED | O_WAN_ADDR << OFFSET, changetype<u32>("WAN IP Address"),
  FIELD | S_EASY << WHO | F_PREFIX << KIND | AT_STAGED | O_WAN_PREFIX << OFFSET, changetype<u32>("WAN Prefix Length"),
  FIELD | S_EASY << WHO | F_IP << KIND | AT_STAGED | O_WAN_GATEWAY << OFFSET, changetype<u32>("Default IP Gateway"),

  SCREEN | S_WAN << WHO | S_MAIN << TO, changetype<u32>("WAN Configuration"),
  FIELD | S_WAN << WHO | F_IP << KIND | AT_STAGED | O_WAN_ADDR << OFFSET, changetype<u32>("WAN IP Address"),
  FIELD | S_WAN << WHO | F_PREFIX << KIND | AT_STAGED | O_WAN_PREFIX << OFFSET, changetype<u32>("WAN Prefix Length"),
  FIELD | S_WAN << WHO | F_IP << KIND | AT_STAGED | O_WAN_GATEWAY << OFFSET, changetype<u32>("Default IP Gateway"),
  FIELD | S_WAN << WHO | F_FLAG << KIND | AT_STAGED | <u32>FLAG_WAN_PING << ARG | O_FLAGS << OFFSET, changetype<u32>("Answer Pings on the WAN"),

  SCREEN | S_SYSTEM << WHO | S_MAIN << TO, changetype<u32>("System Configuration"),
  ITEM | S_SYSTEM << WHO | S_NAT << TO, changetype<u32>("Network Address Translation (NAT)..."),
  ITEM | S_SYSTEM << WHO | S_IPSEC << TO, changetype<u32>("IPsec Passthrough..."),
  ITEM | S_SYSTEM << WHO | S_PASSWORD << TO, changetype<u32>("Change Password..."),

  SCREEN | S_NAT << WHO | S_SYSTEM << TO, changetype<u32>("Network Address Translation"),
  ITEM | S_NAT << WHO | S_SERVERS << TO, changetype<u32>("Server Lists..."),
  ITEM | S_NAT << WHO | S_MAPS << TO, changetype<u32>("Map Lists (incl. Transparent Maps)..."),
  ITEM | S_NAT << WHO | S_NAT_OPTIONS << TO, changetype<u32>("Default Server and Filtering..."),

  SCREEN | S_SERVERS << WHO | S_NAT << TO, changetype<u32>("Server Lists"),
  SCREEN | S_SERVER_ADD << WHO | S_SERVERS << TO, changetype<u32>("Add Server List Entry"),
  FIELD | S_SERVER_ADD << WHO | F_TEXT << KIND | AT_ENTRY | SERVER_NAME << OFFSET, changetype<u32>("Name"),
  FIELD | S_SERVER_ADD << WHO | F_CHOICE << KIND | AT_ENTRY | CHOICE_PROTO << ARG | SERVER_PROTO << OFFSET, changetype<u32>("Protocol"),
  FIELD | S_SERVER_ADD << WHO | F_PORT << KIND | AT_ENTRY | SEEDS_RANGE | SERVER_EXT_LO << OFFSET, changetype<u32>("External Port"),
  FIELD | S_SERVER_ADD << WHO | F_PORT << KIND | AT_ENTRY | SERVER_EXT_HI << OFFSET, changetype<u32>("External Port (range end)"),
  FIELD | S_SERVER_ADD << WHO | F_IP << KIND | AT_ENTRY | SERVER_IN_ADDR << OFFSET, changetype<u32>("Internal IP Address"),
  FIELD | S_SERVER_ADD << WHO | F_PORT << KIND | AT_ENTRY | SERVER_IN_PORT << OFFSET, changetype<u32>("Internal Port"),
  FIELD | S_SERVER_ADD << WHO | F_ACTION << KIND, changetype<u32>("Add This Entry"),

  SCREEN | S_MAPS << WHO | S_NAT << TO, changetype<u32>("Map Lists"),
  SCREEN | S_MAP_ADD << WHO | S_MAPS << TO, changetype<u32>("Add Map List Entry"),
  FIELD | S_MAP_ADD << WHO | F_TEXT << KIND | AT_ENTRY | MAP_NAME << OFFSET, changetype<u32>("Name"),
  FIELD | S_MAP_ADD << WHO | F_IP << KIND | AT_ENTRY | MAP_IN_ADDR << OFFSET, changetype<u32>("Internal IP Address"),
  FIELD | S_MAP_ADD << WHO | F_IP << KIND | AT_ENTRY | MAP_EXT_ADDR << OFFSET, changetype<u32>("External IP Address (same as internal: Transparent Map)"),
  FIELD | S_MAP_ADD << WHO | F_ACTION << KIND, changetype<u32>("Add This Entry"),

  SCREEN | S_NAT_OPTIONS << WHO | S_NAT << TO, changetype<u32>("Default Server and Filtering"),
  FIELD | S_NAT_OPTIONS << WHO | F_IP_OR_NONE << KIND | AT_STAGED | O_DEFAULT_SERVER << OFFSET, changetype<u32>("Default Server (0.0.0.0: none)"),
  FIELD | S_NAT_OPTIONS << WHO | F_CHOICE << KIND | AT_STAGED | CHOICE_FILTERING << ARG | O_FILTERING << OFFSET, changetype<u32>("Inbound Filtering"),
  FIELD | S_NAT_OPTIONS << WHO | F_FLAG << KIND | AT_STAGED | <u32>FLAG_HAIRPIN << ARG | O_FLAGS << OFFSET, changetype<u32>("Hairpinning"),

  SCREEN | S_IPSEC << WHO | S_SYSTEM << TO, changetype<u32>("IPsec Passthrough"),
  FIELD | S_IPSEC << WHO | F_CHOICE << KIND | AT_STAGED | CHOICE_IPSEC << ARG | O_IPSEC_MODE << OFFSET, changetype<u32>("IPsec Passthrough Mode"),
  FIELD | S_IPSEC << WHO | F_PORT << KIND | AT_IKE_PORT, changetype<u32>("IKE Port"),

  SCREEN | S_PASSWORD << WHO | S_SYSTEM << TO, changetype<u32>("Change Password"),
  FIELD | S_PASSWORD << WHO | F_SECRET << KIND, changetype<u32>("New Password"),

  SCREEN | S_UTIL << WHO | S_MAIN << TO, changetype<u32>("Utilities & Diagnostics"),
  ITEM | S_UTIL << WHO | S_NAT_TABLE << TO, changetype<u32>("NAT Table..."),
  ITEM | S_UTIL << WHO | S_TUNNELS << TO, changetype<u32>("IPsec Tunnel Table..."),
  ITEM | S_UTIL << WHO | S_ADVISOR << TO, changetype<u32>("IPsec Advisor Findings..."),
  SCREEN | S_NAT_TABLE << WHO | S_UTIL << TO, changetype<u32>("NAT Table"),
  SCREEN | S_TUNNELS << WHO | S_UTIL << TO, changetype<u32>("IPsec Tunnel Table"),
  SCREEN | S_ADVISOR << WHO | S_UTIL << TO, changetype<u32>("IPsec Advisor Findings"),

  SCREEN | S_QUICK << WHO | S_MAIN << TO, changetype<u32>("Quick View"),
  SCREEN | S_STATS << WHO | S_MAIN << TO, changetype<u32>("Statistics & Logs"),
  SCREEN | S_RESTART << WHO | S_MAIN << TO, changetype<u32>("Restart System"),

  CHOICE | CHOICE_FILTERING << WHO | <u32>FILTER_ENDPOINT_INDEPENDENT << VALUE, changetype<u32>("endpoint-independent"),
  CHOICE | CHOICE_FILTERING << WHO | <u32>FILTER_ADDRESS_DEPENDENT << VALUE, changetype<u32>("address-dependent"),
  CHOICE | CHOICE_FILTERING << WHO | <u32>FILTER_ADDRESS_AND_PORT_DEPENDENT << VALUE, changetype<u32>("address-and-port-dependent"),
  CHOICE | CHOICE_IPSEC << WHO | <u32>IPSEC_OFF << VALUE, changetype<u32>("off"),
  CHOICE | CHOICE_IPSEC << WHO | <u32>IPSEC_SERVER_LIST << VALUE, changetype<u32>("server-list (4.8)"),
  CHOICE | CHOICE_IPSEC << WHO | <u32>IPSEC_MULTI << VALUE, changetype<u32>("multi (4.10)"),
  CHOICE | CHOICE_PROTO << WHO | <u32>PROTO_SEL_UDP << VALUE, changetype<u32>("UDP"),
  CHOICE | CHOICE_PROTO << WHO | <u32>PROTO_SEL_TCP << VALUE, changetype<u32>("TCP"),
  CHOICE | CHOICE_PROTO << WHO | <u32>PROTO_SEL_BOTH << VALUE, changetype<u32>("UDP+TCP"),
];

/** A string literal whose address the table holds. */
@inline function text(p: u32): string { return changetype<string>(p); }

/** The first row (word index) of kind `kind` for screen or set `who`, from row `from` on, or -1. */
function rowOf(kind: u32, who: i32, from: i32): i32 {
  const t = UI, key = kind | <u32>who << WHO;
  for (let r = from; r < t.length; r += ROW_WORDS) if ((unchecked(t[r]) & ROW_KEY_MASK) == key) return r;
  return -1;
}

/** How many rows of kind `kind` screen or set `who` has. */
function rowsOf(kind: u32, who: i32): i32 {
  let n = 0;
  for (let r = rowOf(kind, who, 0); r >= 0; r = rowOf(kind, who, r + ROW_WORDS)) n++;
  return n;
}

/** The string a row holds. */
@inline function rowText(r: i32): string { return text(unchecked(UI[r + 1])); }
@inline function rowWord(r: i32): u32 { return unchecked(UI[r]); }

// Hosts feed longer input (a paste) in chunks of this size; keys come one by one or a few at a time.
export const IN_CAPACITY: u32 = 1024;
export const inBuf = memory.data(<i32>IN_CAPACITY, 16);
const line = memory.data(64, 16); // the field or login text being typed
const loginName = memory.data(16, 16);
const entry = memory.data(SERVER_BYTES > MAP_BYTES ? SERVER_BYTES : MAP_BYTES, 16); // the Server List / Map List entry being composed

class Con {
  static screen: i32 = S_LOGIN;
  static cursor: i32 = 0;
  static lineLen: u32 = 0;
  static editing: bool = false;
  static loginNameLen: u32 = 0;
  static askingPassword: bool = false;
  static account: i32 = -1;
  static escState: i32 = 0; // 0 none, 1 saw ESC, 2 saw ESC [
  static message: string = "";
  static messageIsError: bool = false;
  static pending: u32 = 0; // 1 save requested, 2 restart requested
  static now: u32 = 0;
  static changed: bool = false;
}

export function pendingFlags(): u32 { return Con.pending; }
export function clearPending(): void { Con.pending = 0; }

function parentOf(s: i32): i32 {
  const r = rowOf(SCREEN, s, 0);
  return r < 0 ? S_MAIN : <i32>((rowWord(r) >> TO) & SCREEN_MASK);
}

function titleOf(s: i32): string { return rowText(rowOf(SCREEN, s, 0)); }

// ---- menus: a menu's items are its ITEM rows ----
/** The i-th item of menu s (items of one menu are consecutive rows). */
@inline function itemRow(s: i32, i: i32): i32 { return rowOf(ITEM, s, 0) + i * ROW_WORDS; }
function isMenu(s: i32): bool { return rowOf(ITEM, s, 0) >= 0; }
function menuCount(s: i32): i32 { return rowsOf(ITEM, s); }
function menuLabel(s: i32, i: i32): string { return rowText(itemRow(s, i)); }
function menuTarget(s: i32, i: i32): i32 { return <i32>((rowWord(itemRow(s, i)) >> TO) & SCREEN_MASK); }

// ---- forms: a form's fields are its FIELD rows; a field is named by its row ----
function formFirst(s: i32): i32 { return rowOf(FIELD, s, 0); }
function formCount(s: i32): i32 { return rowsOf(FIELD, s); }
/** The i-th field of a form whose first field is `first` (fields of one form are consecutive rows). */
@inline function fieldAt(first: i32, i: i32): i32 { return first + i * ROW_WORDS; }

function fieldLabel(f: i32): string { return rowText(f); }
function fieldKind(f: i32): u32 { return (rowWord(f) >> KIND) & KIND_MASK; }
@inline function fieldArg(f: i32): u32 { return (rowWord(f) >> ARG) & ARG_MASK; }

function fieldAddr(f: i32): usize {
  const at = rowWord(f) & AT_MASK, offset = <usize>(rowWord(f) >> OFFSET);
  if (at == AT_STAGED) return staged + offset;
  if (at == AT_ENTRY) return entry + offset;
  if (at == AT_IKE_PORT) return ikePortsAt();
  return 0;
}

/** Whether changing field f changes the staged configuration (an entry being composed does not, yet). */
@inline function fieldIsStaged(f: i32): bool { return (rowWord(f) & AT_MASK) != AT_ENTRY; }

@inline function flagMask(f: i32): u8 { return <u8>fieldArg(f); }

// ---- choices: a set's CHOICE rows ----
function choiceCount(set: u32): u32 { return <u32>rowsOf(CHOICE, <i32>set); }

/** The label of value v in a choice set; a value the set does not hold shows as its last choice. */
function choiceLabel(set: u32, v: u32): string {
  let last = -1;
  for (let r = rowOf(CHOICE, <i32>set, 0); r >= 0; r = rowOf(CHOICE, <i32>set, r + ROW_WORDS)) {
    last = r;
    if (((rowWord(r) >> VALUE) & VALUE_MASK) == v) break;
  }
  return rowText(last);
}

/** The first stored value of a choice set (protocols are stored 1..3, the others 0..2). */
function choiceBase(set: u32): u32 { return (rowWord(rowOf(CHOICE, <i32>set, 0)) >> VALUE) & VALUE_MASK; }

// ---- drawing ----

// header and footer are function values, called indirectly, so that the optimiser does not copy them
// into every screen (see puts in out.ts: compiled console code is RAM on the boards).
const header = (title: string): void => {
  clearScreen();
  puts("natpass");
  pad(30);
  puts(title);
  puts("\n\n");
};

const footer = (): void => {
  puts("\n");
  if (Con.message.length > 0) {
    puts(Con.messageIsError ? "  ** " : "  ");
    puts(Con.message);
    puts("\n");
  }
  puts("\nUp/Down or a number selects; Return opens or saves; Esc goes back.\n");
};

function drawMenu(): void {
  header(titleOf(Con.screen));
  const n = menuCount(Con.screen);
  for (let i = 0; i < n; i++) {
    pad(8);
    if (i == Con.cursor) reverse(true);
    putNum(<u32>i + 1);
    puts(") ");
    puts(menuLabel(Con.screen, i));
    if (i == Con.cursor) reverse(false);
    puts("\n");
  }
  footer();
}

function putFieldValue(f: i32): void {
  const kind = fieldKind(f);
  const p = fieldAddr(f);
  if (kind == F_IP || kind == F_IP_OR_NONE) putIp(load<u32>(p));
  else if (kind == F_PREFIX) putNum(load<u8>(p));
  else if (kind == F_PORT) putNum(load<u16>(p));
  else if (kind == F_FLAG) puts((load<u8>(p) & flagMask(f)) != 0 ? "On" : "Off");
  else if (kind == F_CHOICE) puts(choiceLabel(fieldArg(f), load<u8>(p)));
  else if (kind == F_TEXT) putBytes(p, NAME_SHOWN);
  else if (kind == F_SECRET) puts("********");
}

function drawForm(): void {
  header(titleOf(Con.screen));
  const first = formFirst(Con.screen), n = formCount(Con.screen);
  for (let i = 0; i < n; i++) {
    const f = fieldAt(first, i);
    pad(4);
    const label = fieldLabel(f);
    if (i == Con.cursor) reverse(true);
    puts(label);
    if (i == Con.cursor) reverse(false);
    if (fieldKind(f) != F_ACTION) {
      pad(label.length < 40 ? 40 - <u32>label.length : 1);
      if (i == Con.cursor && Con.editing) {
        if (fieldKind(f) == F_SECRET) for (let k: u32 = 0; k < Con.lineLen; k++) putc(CHAR_STAR);
        else putBytes(line, Con.lineLen);
        putc(CHAR_UNDERSCORE);
      } else {
        putFieldValue(f);
      }
    }
    puts("\n");
  }
  puts("\n    Type a new value and press Return; Backspace, Delete or Tab undo it.");
  if (formHasChoice(first, n)) puts("\n    Space changes On/Off and choice settings.");
  footer();
}

function formHasChoice(first: i32, n: i32): bool {
  for (let i = 0; i < n; i++) { const k = fieldKind(fieldAt(first, i)); if (k == F_CHOICE || k == F_FLAG) return true; }
  return false;
}

function drawServers(): void {
  header(titleOf(S_SERVERS));
  puts("   #  Name              Protocol  External      Internal Host     Port\n");
  const n = serverCount();
  for (let i: u32 = 0; i < n; i++) {
    const e = serverAt(i);
    putNumPadded(i + 1, 4); puts("  ");
    putBytes(changetype<ServerEntry>(e).nameAt, NAME_SHOWN); pad(NAME_BYTES - nameLen(changetype<ServerEntry>(e).nameAt));
    const entry = changetype<ServerEntry>(e);
    puts(choiceLabel(CHOICE_PROTO, entry.proto)); pad(10 - <u32>choiceLabel(CHOICE_PROTO, entry.proto).length);
    putNum(entry.extLo);
    if (entry.extHi != entry.extLo) { putc(CHAR_DASH); putNum(entry.extHi); }
    puts("\t"); putIp(entry.inAddr); puts("\t"); putNum(entry.inPort); puts("\n");
  }
  if (n == 0) puts("    (no entries)\n");
  puts("\n    A) Add a Server List entry    1-9) Delete that entry\n");
  footer();
}

function drawMaps(): void {
  header(titleOf(S_MAPS));
  puts("   #  Name              Internal          External\n");
  const n = mapCount();
  for (let i: u32 = 0; i < n; i++) {
    const e = mapAt(i);
    putNumPadded(i + 1, 4); puts("  ");
    const entry = changetype<MapEntry>(e);
    putBytes(entry.nameAt, NAME_SHOWN); pad(NAME_BYTES - nameLen(entry.nameAt));
    putIp(entry.inAddr); puts("\t"); putIp(entry.extAddr);
    if (entry.inAddr == entry.extAddr) puts("  (Transparent)");
    puts("\n");
  }
  if (n == 0) puts("    (no entries)\n");
  puts("\n    A) Add a Map List entry    1-9) Delete that entry\n");
  footer();
}

function nameLen(p: usize): u32 {
  let n: u32 = 0;
  while (n < NAME_SHOWN && load<u8>(p + n) != 0) n++;
  return n;
}

const row = memory.data(64, 16);

function drawNatTable(): void {
  header(titleOf(S_NAT_TABLE));
  puts("  Proto Inside                 Outside                Remote\n");
  const slots = dumpSlots(DUMP_SESSIONS);
  let shown: u32 = 0, total: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) {
    if (!dumpRow(DUMP_SESSIONS, i, row)) continue;
    total++;
    if (shown >= 15) continue;
    shown++;
    const r = changetype<SessionsRow>(row);
    const proto = r.proto;
    puts(proto == PROTO_TCP ? "  tcp   " : proto == PROTO_UDP ? "  udp   " : "  icmp  ");
    putIp(r.inAddr); putc(CHAR_COLON); putNum(r.inPort); puts("\t");
    putIp(r.extAddr); putc(CHAR_COLON); putNum(r.extPort); puts("\t");
    putIp(r.remAddr); putc(CHAR_COLON); putNum(r.remPort); puts("\n");
  }
  // The tables' fill: a full session table refuses new flows (or evicts a half-open one), so say how near.
  const cap = sessionSlots();
  puts("\n  "); putNum(total); puts(" of "); putNum(cap); puts(" sessions in use (");
  putNum(cap == 0 ? 0 : total * 100 / cap); puts(" %), "); putNum(mappingsLive()); puts(" of "); putNum(mappingSlots()); puts(" mappings\n");
  footer();
}

function drawTunnels(): void {
  header(titleOf(S_TUNNELS));
  puts("  Host              Remote            IKE    State\n");
  const slots = dumpSlots(DUMP_IKE);
  let total: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) {
    if (!dumpRow(DUMP_IKE, i, row)) continue;
    total++;
    const r = changetype<IkeRow>(row);
    puts("  "); putIp(r.host); puts("\t"); putIp(r.remote);
    puts(r.version == 2 ? "\tv2     " : "\tv1     ");
    const st = r.state;
    puts(st == 0 ? "idle" : st == 1 ? "negotiating" : st == 2 ? "held (overlap)" : st == 3 ? "bound" : "awaiting inbound SPI");
    if ((r.natT & NATT_FLOATED) != 0) puts(", NAT-T");
    puts("\n");
  }
  if (total == 0) puts("  (no IPsec tunnels)\n");
  footer();
}

/** Prints field `which` (1 name, 2 reason, 3 fix) of the catalogue line for `code`. */
function putCatalog(code: u32, which: u32): void {
  const s = ADVISOR_CATALOG;
  let lineStart = 0;
  const n = s.length;
  while (lineStart < n) {
    let c: u32 = 0;
    let i = lineStart;
    while (i < n && s.charCodeAt(i) != 124) { c = c * 10 + <u32>(s.charCodeAt(i) - 48); i++; }
    let field: u32 = 0;
    if (c == code) {
      for (; i < n && s.charCodeAt(i) != 10; i++) {
        const ch = s.charCodeAt(i);
        if (ch == 124) { field++; continue; }
        if (field == which) putc(<u32>ch);
      }
      return;
    }
    while (i < n && s.charCodeAt(i) != 10) i++;
    lineStart = i + 1;
  }
}

function drawAdvisor(): void {
  header(titleOf(S_ADVISOR));
  const slots = dumpSlots(DUMP_FINDINGS);
  let total: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) {
    if (!dumpRow(DUMP_FINDINGS, i, row)) continue;
    total++;
    const r = changetype<FindingsRow>(row);
    puts("  "); putCatalog(r.code, 1); puts("  "); putIp(r.host); puts(" -> "); putIp(r.remote);
    puts("  (x"); putNum(r.count); puts(")\n    Why: "); putCatalog(r.code, 2);
    puts("\n    Fix: "); putCatalog(r.code, 3); puts("\n");
  }
  if (total == 0) puts("  No findings: every tunnel seen so far should work through NAT.\n");
  footer();
}

function drawStats(): void {
  header(titleOf(S_STATS));
  countersSettle();
  const names = COUNTER_NAMES;
  let idx: u32 = 0, col: u32 = 0, start = 0;
  for (let i = 0; i <= names.length; i++) {
    if (i < names.length && names.charCodeAt(i) != 44) continue;
    const v = counterValue(<Counter>idx);
    if (v != 0) {
      puts("  ");
      for (let k = start; k < i; k++) putc(<u32>names.charCodeAt(k));
      pad(28 - <u32>(i - start));
      putNumPadded(v, 10);
      col++;
      puts(col % 2 == 0 ? "\n" : "  ");
    }
    idx++;
    start = i + 1;
  }
  if (col % 2 == 1) puts("\n");
  footer();
}

function drawQuick(): void {
  header(titleOf(S_QUICK));
  const r = changetype<ConfigRecord>(staged);
  puts("  WAN address      "); putIp(r.wanAddr); puts("/"); putNum(r.wanPrefix);
  puts("   gateway "); putIp(r.wanGateway);
  puts("\n  LAN address      "); putIp(r.lanAddr); puts("/"); putNum(r.lanPrefix);
  puts("\n  IPsec mode       "); puts(choiceLabel(CHOICE_IPSEC, r.ipsecMode));
  countersSettle();
  puts("\n  Frames in/out    "); putNum(counterValue(Counter.RxFrames)); puts(" / "); putNum(counterValue(Counter.TxFrames));
  puts("\n  NAT in2out/out2in "); putNum(counterValue(Counter.NatIn2Out)); puts(" / "); putNum(counterValue(Counter.NatOut2In));
  puts("\n  Server List entries "); putNum(serverCount()); puts(", Map List entries "); putNum(mapCount());
  if (Con.changed) puts("\n\n  There are unsaved changes: Restart System saves and applies them.");
  puts("\n");
  footer();
}

function drawRestart(): void {
  header(titleOf(S_RESTART));
  puts("  Save the configuration and restart the router now? (Y/N)\n");
  if (Con.changed) puts("  Your changes take effect after the restart.\n");
  footer();
}

// Screens are drawn through the function table rather than by direct calls: the optimiser would
// otherwise inline every single-use drawer into redraw (one 9 KB function), and an engine that compiles
// a function on its first call (wasm3 on the boards) would then compile, and keep in RAM, every screen
// just to show the login prompt. Every menu is drawn by drawMenu and every form by drawForm, from the tables.
export function redraw(): void {
  const s = Con.screen;
  if (s == S_LOGIN) call(drawLogin);
  else if (isMenu(s)) call(drawMenu);
  else if (isForm(s)) call(drawForm);
  else if (s == S_SERVERS) call(drawServers);
  else if (s == S_MAPS) call(drawMaps);
  else if (s == S_NAT_TABLE) call(drawNatTable);
  else if (s == S_TUNNELS) call(drawTunnels);
  else if (s == S_ADVISOR) call(drawAdvisor);
  else if (s == S_STATS) call(drawStats);
  else if (s == S_QUICK) call(drawQuick);
  else if (s == S_RESTART) call(drawRestart);
}

/** An indirect call, which the optimiser does not inline (see redraw). */
function call(draw: () => void): void { draw(); }

function drawLogin(): void {
  clearScreen();
  puts("natpass router console\n\n");
  if (Con.message.length > 0) { puts(Con.message); puts("\n"); }
  if (!Con.askingPassword) { puts("Login: "); putBytes(line, Con.lineLen); }
  else { puts("Password: "); for (let k: u32 = 0; k < Con.lineLen; k++) putc(CHAR_STAR); }
}

// ---- input ----

function go(screen: i32): void {
  Con.message = "";
  Con.screen = screen;
  Con.cursor = 0;
  Con.editing = false;
  Con.lineLen = 0;
  if (screen == S_SERVER_ADD) {
    memory.fill(entry, 0, SERVER_BYTES);
    changetype<ServerEntry>(entry).proto = PROTO_SEL_UDP; // a new entry starts as UDP
  }
  if (screen == S_MAP_ADD) memory.fill(entry, 0, MAP_BYTES);
  if (screen == S_BYE) { logout("Goodbye."); return; }
}

function logout(why: string): void {
  Con.screen = S_LOGIN;
  Con.account = -1;
  Con.askingPassword = false;
  Con.lineLen = 0;
  Con.message = why;
}

function say(msg: string, isError: bool): void {
  Con.message = msg;
  Con.messageIsError = isError;
}

function loginKey(c: u32): void {
  if (c == KEY_CR || c == KEY_LF) {
    if (!Con.askingPassword) {
      memory.copy(loginName, line, min<u32>(Con.lineLen, 16));
      Con.loginNameLen = min<u32>(Con.lineLen, 16);
      Con.askingPassword = true;
      Con.lineLen = 0;
      Con.message = "";
      return;
    }
    const wait = lockoutLeft(Con.now);
    if (wait > 0) {
      Con.message = "Too many failed logins: wait and try again.";
    } else {
      const a = authCheck(loginName, Con.loginNameLen, line, Con.lineLen, Con.now);
      if (a >= 0) {
        Con.account = a;
        stageFromLive();
        Con.changed = false;
        go(S_MAIN);
        say(accountIsDefault(a) ? "Warning: this account still has its default password. Change it under System Configuration." : "", accountIsDefault(a));
        if (accountRole(a) != ROLE_SUPERUSER) {
          say("Logged in read-only: changes cannot be saved (the Superuser login is required).", false);
        }
        return;
      }
      Con.message = lockoutLeft(Con.now) > 0 ? "Login incorrect. Too many failures: further logins are delayed." : "Login incorrect.";
    }
    Con.askingPassword = false;
    Con.lineLen = 0;
    return;
  }
  if (c == KEY_BACKSPACE || c == KEY_DELETE) { if (Con.lineLen > 0) Con.lineLen--; return; }
  if (c >= CHAR_PRINTABLE && c < KEY_DELETE && Con.lineLen < LINE_MAX) store<u8>(line + Con.lineLen++, <u8>c);
}

function isForm(s: i32): bool { return formFirst(s) >= 0; }

function moveCursor(delta: i32): void {
  let n = menuCount(Con.screen);
  if (isForm(Con.screen)) n = formCount(Con.screen);
  if (n == 0) return;
  Con.editing = false;
  Con.lineLen = 0;
  Con.cursor = (Con.cursor + delta + n) % n;
}

function back(): void {
  if (Con.editing) { Con.editing = false; Con.lineLen = 0; return; }
  if (Con.screen == S_MAIN) return;
  const to = parentOf(Con.screen);
  go(to);
}

/** Validates the typed text for field f and stores it; false (with a message) when it is not valid. */
function commitField(f: i32): bool {
  const kind = fieldKind(f);
  const p = fieldAddr(f);
  if (kind == F_IP || kind == F_IP_OR_NONE) {
    if (!parseIp(line, Con.lineLen) || (kind == F_IP && parsedIp == 0)) { say("Not an IP address (for example 192.168.1.10).", true); return false; }
    store<u32>(p, parsedIp);
  } else if (kind == F_PREFIX) {
    const v = parseNum(line, Con.lineLen, 32);
    if (v < 1) { say("A prefix length is a number from 1 to 32.", true); return false; }
    store<u8>(p, <u8>v);
  } else if (kind == F_PORT) {
    const v = parseNum(line, Con.lineLen, 65535);
    if (v < 1) { say("A port is a number from 1 to 65535.", true); return false; }
    store<u16>(p, <u16>v);
    if ((rowWord(f) & SEEDS_RANGE) != 0) {
      const e = changetype<ServerEntry>(entry);
      e.extHi = <u16>v; // a single port until a range end is given
      if (e.inPort == 0) e.inPort = <u16>v;
    }
  } else if (kind == F_TEXT) {
    for (let i: usize = 0; i < <usize>NAME_BYTES; i += 4) store<u32>(p + i, 0); // not memory.fill: the optimiser makes that i64
    memory.copy(p, line, min<u32>(Con.lineLen, NAME_SHOWN));
  } else if (kind == F_SECRET) {
    if (Con.lineLen < 6) { say("Use at least 6 characters.", true); return false; }
    authSetPassword(Con.account, line, Con.lineLen, Con.now);
    Con.pending |= 1; // the auth record changed: the host persists it
    say("Password changed.", false);
    return true;
  }
  if (fieldIsStaged(f)) Con.changed = true;
  say("", false);
  return true;
}

function toggleField(f: i32): void {
  const p = fieldAddr(f);
  const kind = fieldKind(f);
  if (kind == F_FLAG) store<u8>(p, load<u8>(p) ^ flagMask(f));
  else if (kind == F_CHOICE) {
    const base = choiceBase(fieldArg(f));
    store<u8>(p, <u8>(base + ((<u32>load<u8>(p) - base + 1) % choiceCount(fieldArg(f)))));
  } else return;
  if (fieldIsStaged(f)) Con.changed = true;
}

function formAction(): void {
  if (Con.screen == S_SERVER_ADD) {
    const e = changetype<ServerEntry>(entry);
    if (e.extLo == 0 || e.inAddr == 0) { say("Give at least the external port and the internal IP address.", true); return; }
    if (e.extHi < e.extLo) e.extHi = e.extLo;
    if (e.inPort == 0) e.inPort = e.extLo;
    if (!addServer(entry)) { say("The Server List is full.", true); return; }
  } else {
    const e = changetype<MapEntry>(entry);
    if (e.inAddr == 0 || e.extAddr == 0) { say("Give both addresses.", true); return; }
    if (!addMap(entry)) { say("The Map List is full.", true); return; }
  }
  Con.changed = true;
  const to = parentOf(Con.screen);
  go(to);
  say("Entry added. Restart System saves it and puts it into effect.", false);
}

function formKey(c: u32): void {
  const f = fieldAt(formFirst(Con.screen), Con.cursor);
  const kind = fieldKind(f);
  if (c == KEY_CR || c == KEY_LF) {
    if (Con.editing) {
      if (commitField(f)) { Con.editing = false; Con.lineLen = 0; }
      return;
    }
    if (kind == F_ACTION) { formAction(); return; }
    toggleField(f);
    return;
  }
  // The technote's rule: Backspace, Delete or Tab before Return undo the field.
  if (c == KEY_BACKSPACE || c == KEY_DELETE || c == KEY_TAB) { Con.editing = false; Con.lineLen = 0; say("", false); return; }
  if (c == KEY_SPACE && !Con.editing && (kind == F_FLAG || kind == F_CHOICE)) { toggleField(f); return; }
  if (c >= CHAR_PRINTABLE && c < KEY_DELETE && kind != F_FLAG && kind != F_CHOICE && kind != F_ACTION) {
    if (!Con.editing) { Con.editing = true; Con.lineLen = 0; }
    if (Con.lineLen < LINE_MAX) store<u8>(line + Con.lineLen++, <u8>c);
  }
}

function listKey(c: u32): void {
  if (c == CHAR_UPPER_A || c == CHAR_LOWER_A) { go(Con.screen == S_SERVERS ? S_SERVER_ADD : S_MAP_ADD); return; }
  if (c >= CHAR_1 && c <= CHAR_9) {
    const i = c - CHAR_1;
    if (Con.screen == S_SERVERS) { if (i < serverCount()) { removeServer(i); Con.changed = true; say("Entry deleted.", false); } }
    else if (i < mapCount()) { removeMap(i); Con.changed = true; say("Entry deleted.", false); }
  }
}

function restartKey(c: u32): void {
  if (c == CHAR_UPPER_Y || c == CHAR_LOWER_Y) {
    if (accountRole(Con.account) != ROLE_SUPERUSER) { go(S_MAIN); say("The Superuser login is required to save changes.", true); return; }
    const rc = checkStaged();
    if (rc != CFG_OK) { go(S_MAIN); say(refusal(rc), true); return; }
    Con.pending |= 3;
    Con.changed = false;
    logout("Configuration saved. The system is restarting; log in again.");
    return;
  }
  if (c == CHAR_UPPER_N || c == CHAR_LOWER_N) go(S_MAIN);
}

function refusal(rc: i32): string {
  switch (rc) {
    case -4: return "Not saved: the LAN settings are not valid.";
    case -5: return "Not saved: the WAN address, prefix or gateway do not fit together.";
    case -11: return "Not saved: a Server List entry is not valid (its host must be on the LAN).";
    case -12: return "Not saved: a Map List entry is not valid.";
    case -15: return "Not saved: the Default Server must be a LAN host.";
    default: return "Not saved: the configuration is not valid.";
  }
}

function key(c: u32): void {
  if (Con.screen == S_LOGIN) { loginKey(c); return; }
  // Arrow keys: ESC [ A / ESC [ B. A lone ESC (followed by anything else) goes back.
  if (Con.escState == 1) {
    Con.escState = 0;
    if (c == KEY_CSI) { Con.escState = 2; return; }
    back();
  } else if (Con.escState == 2) {
    Con.escState = 0;
    if (c == KEY_UP) moveCursor(-1);
    else if (c == KEY_DOWN) moveCursor(1);
    return;
  }
  if (c == KEY_ESC) { Con.escState = 1; return; }
  if (isForm(Con.screen)) { formKey(c); return; }
  if (Con.screen == S_SERVERS || Con.screen == S_MAPS) { listKey(c); return; }
  if (Con.screen == S_RESTART) { restartKey(c); return; }
  const n = menuCount(Con.screen);
  if (n > 0) {
    if (c >= CHAR_1 && c < CHAR_1 + <u32>n) { Con.cursor = <i32>(c - CHAR_1); go(menuTarget(Con.screen, Con.cursor)); return; }
    if (c == KEY_CR || c == KEY_LF) { go(menuTarget(Con.screen, Con.cursor)); return; }
  }
}

/** Handles `len` input bytes at inBuf, then draws the current screen once. Returns output length. */
export function feed(len: u32, now: u32): void {
  Con.now = now;
  outReset();
  let lastWasCr = false;
  for (let i: u32 = 0; i < len; i++) {
    const c = <u32>load<u8>(inBuf + i);
    if (c == KEY_LF && lastWasCr) { lastWasCr = false; continue; } // CR LF is one Return
    if (c == CHAR_NUL && lastWasCr) { lastWasCr = false; continue; } // telnet's CR NUL
    lastWasCr = c == KEY_CR;
    key(c);
  }
  // A trailing lone ESC is "back" (terminals send it alone); arrow sequences arrive whole.
  if (Con.escState == 1) { Con.escState = 0; back(); }
  redraw();
}

export function start(now: u32): void {
  Con.now = now;
  logout("");
  outReset();
  redraw();
}
