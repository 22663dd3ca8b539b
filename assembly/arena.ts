// One bump allocation pass at init: every table, ring and queue is carved here once, then the
// per-packet path never allocates. reset() is only called by init() (a restart re-carves all).
// Memory grows only inside init(); after it returns memory.size() is fixed.

let base: usize = 0;
let top: usize = 0;
// A host that gives the module less linear memory than its pages declare (wasm3's memoryLimit, on a
// board whose RAM is counted in KiB) says so here; init then fails cleanly instead of carving tables
// past the end. 0: the declared pages are all there.
let limit: usize = 0;

export function arenaLimit(bytes: usize): void {
  limit = bytes;
}

export function arenaReset(): void {
  // Start above anything the runtime placed at start-up; nothing allocates after that.
  if (base == 0) base = (heap.alloc(16) + 31) & ~15;
  top = base;
}

/** Returns zeroed storage of `bytes`, 16-byte aligned, or 0 when memory cannot grow that far. */
export function arenaTake(bytes: usize): usize {
  const start = top;
  const end = (start + bytes + 15) & ~15;
  if (limit != 0 && end > limit) return 0;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  memory.fill(start, 0, end - start);
  top = end;
  return start;
}

export function arenaUsed(): usize {
  return top;
}
