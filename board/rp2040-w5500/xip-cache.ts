// A model of the RP2040's XIP cache, for what rp2040js does not show: it reads flash at RAM speed, while
// silicon reads it through a 16 KiB two-way set-associative cache of 8-byte lines (RP2040 datasheet,
// "XIP cache"), each miss a QSPI read (with our boot2's plain 03h reads at clk_sys/4, about 3 us). The
// model sees every read the emulated core makes of cached flash (0x10000000; the uncached mirrors are not
// used) and counts misses, split at `split`: the image before it, wasm3's compiled code after it
// (board/common/code_snapshot.h). Least recently used way replaced (assumed: the datasheet does not say).
import type { Rp2040Board } from './emulator.ts';

const FLASH = 0x10000000, CACHED_END = 0x11000000;
const LINE_SHIFT = 3, SETS = 1024; // 16 KiB = 1,024 sets x 2 ways x 8 bytes

export class XipCacheModel {
  /** Misses since the last reset: reads of the image, and of what lies from `split` on. */
  image = 0;
  after = 0;
  private readonly tags = new Int32Array(SETS * 2).fill(-1);
  private readonly victim = new Uint8Array(SETS); // the way a miss in the set replaces next

  constructor(board: Rp2040Board, private readonly split: number) {
    board.onFlashRead((address) => this.read(address));
  }

  reset(): void {
    this.image = this.after = 0;
  }

  private read(address: number): void {
    if (address < FLASH || address >= CACHED_END) return;
    const line = (address - FLASH) >>> LINE_SHIFT, set = line & (SETS - 1), tag = line >>> 10, at = set * 2;
    if (this.tags[at] === tag) { this.victim[set] = 1; return; }
    if (this.tags[at + 1] === tag) { this.victim[set] = 0; return; }
    if (address >= this.split) this.after++;
    else this.image++;
    const way = this.victim[set];
    this.tags[at + way] = tag;
    this.victim[set] = way ^ 1;
  }
}
