// The module's exports: the whole ABI of assembly/abi.ts. Nothing else is exported, so the host,
// wasm3 and the board all link the same small surface.

import { ABI_VERSION, SLOT_BYTES, DUMP_RECORD_BYTES, DUMP_MAX } from "./abi";
import { CFG_CAPACITY, configBuffer } from "./config";
import { Counter, COUNTER_NAMES, counterBase, countersSettle } from "./counters";
import { routerInit, routerProcess, routerFastPath, Rings } from "./router/router";
import { dumpTable, dumpArea, dumpNext } from "./dump";
import { ADVISOR_CATALOG } from "./alg/advisor";
import { arenaLimit, arenaUsed } from "./arena";
import { workPeakTake } from "./work";

export function abiVersion(): u32 { return ABI_VERSION; }
export function slotBytes(): u32 { return SLOT_BYTES; }
export function configPtr(): usize { return configBuffer; }
export function configCapacity(): u32 { return CFG_CAPACITY; }

/** Parses the config record (length bytes at configPtr) and carves every table. 0 or an ERR_ code. */
export function init(length: u32, nowMs: u32): i32 { return routerInit(length, nowMs); }

/** Linear memory in use after init (static data and every table): what a board must provide. */
export function memoryUsed(): usize { return arenaUsed(); }
/** Caps the linear memory init may use, for a host that gives the module less than its pages
 *  declare (wasm3's memoryLimit); call before init. 0 removes the cap. */
export function memoryLimit(bytes: u32): void { arenaLimit(bytes); }

export function inRing(): usize { return Rings.inRing; }
export function outRing(): usize { return Rings.outRing; }
export function batchCapacity(): u32 { return Rings.inSlots; }
export function outCapacity(): u32 { return Rings.outSlots; }

/** Handles `count` frames from the input ring at time nowMs; returns how many frames it wrote out. */
export function process(count: u32, nowMs: u32): u32 { return routerProcess(count, nowMs); }

/** The most table work (steps, assembly/work.ts) one process() call did since the last call of this. */
export function workPeak(): u32 { return workPeakTake(); }
// Fast path on (1, the default after load) or off (0): off, every frame takes the long way (tests, debugging).
export function fastPath(on: u32): void { routerFastPath(on != 0); }

export function counters(): usize { countersSettle(); return counterBase; }
export function counterCount(): u32 { return <u32>Counter.Count; }
export function counterNames(): usize { return changetype<usize>(COUNTER_NAMES); }
export function counterNamesLength(): u32 { return <u32>COUNTER_NAMES.length; }

export function dump(table: u32, cursor: u32): u32 { return dumpTable(table, cursor); }
export function dumpBuffer(): usize { return dumpArea; }
export function dumpCursor(): u32 { return dumpNext; }
export function dumpRecordBytes(): u32 { return DUMP_RECORD_BYTES; }
export function dumpMax(): u32 { return DUMP_MAX; }

/** The advisor's findings: "code|name|reason|fix" lines (AS string, UTF-16). */
export function advisorCatalog(): usize { return changetype<usize>(ADVISOR_CATALOG); }
export * from "./console/exports";
