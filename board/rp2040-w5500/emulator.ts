// Runs the rp2040-w5500 firmware in rp2040js: an RP2040 with two W5500 Ethernet chips (LAN on SPI0
// with chip select GPIO17 and INTn GPIO21, WAN on SPI1 with GPIO13 and GPIO14) and the console on
// UART0. Time is simulated: the CPU runs only while a test waits on the board, and every wait is
// counted in the board's own time, at the clock the firmware sets (rp2040js follows its PLL), so a run
// is the same on any machine under any load. The API mirrors QemuBoard's, except that the waits'
// milliseconds are simulated ones.
import { existsSync, readFileSync } from 'node:fs';
import { Simulator } from 'rp2040js';
import { PORT_LAN, PORT_WAN, Port } from '../../host/abi.ts';
import { Margins, UartBoard, readMargins, typeAndWait } from '../common/uart.ts';
import { SLOT_BYTES } from '../common/slots.ts';
import { BootromModel } from './bootrom-model.ts';
import { W5500 } from './w5500-model.ts';
import { modelUartRxInterrupts } from './uart-rx-model.ts';

/** A raw flash image based at 0x10000000: boot2 (256 bytes), then the vector table. */
export const RP2040_IMAGE = 'build/board/rp2040-w5500.bin';

const FLASH_START = 0x10000000;
const VECTORS = FLASH_START + 0x100;
const RAM_START = 0x20000000;
const XIP_MIRRORS_END = 0x14000000; // flash at 0x10000000 and its three uncached/no-allocate mirrors
const BOOTROM_BYTES = 0x4000; // the flash routines' stubs (bootrom-model.ts)
const SLICE_NANOS = 1e6; // simulated time between looks at the waiting test's condition and the event loop
const BOOT_MS = 60_000; // for boot, both in simulated and in wall-clock time
// The rp2040js components whose warnings are faults on real silicon (bus, core), or a reset that
// rp2040js does not do (watchdog); the rest warn about peripherals it leaves unmodelled.
const FAULTING = ['RP2040', 'CortexM0Core', 'WATCHDOG_BASE'];
const NO_BAUD_RATE = 115_200; // typing pace before the firmware has set the UART's divider

/** The core regulator's register (VREG_AND_CHIP_RESET), its value at reset (1.10 V), and the voltage a
 *  value selects: VSEL (bits 7:4) in 50 mV steps from 0.80 V at 5 (lower values select 0.80 V too). */
const VREG = 0x40064000, VREG_RESET = 0xb1;
const vregVolts = (value: number) => 0.8 + Math.max(0, ((value >>> 4) & 0xf) - 5) * 0.05;

/** Where the config slots (board/common/slots.ts) start: the last 16 KiB of the 2 MiB flash (link.ld). */
const SLOTS_OFFSET = 0x1fc000;

/** Where compiled code follows a linked image of `linkedBytes`, as an offset into flash: the first 4 KiB
 *  sector after it (link.ld's __code_snapshot). */
export const codeRegionAfter = (linkedBytes: number) => Math.ceil(linkedBytes / 4096) * 4096;

/** Where a wasm3 image's compiled code starts (snapshot.ts leaves the linked image beside the final one);
 *  null for an image without it (the AOT build). */
export function compiledCodeOffset(image = RP2040_IMAGE): number | null {
  const linked = image.replace(/\.bin$/, '.linked.bin');
  return existsSync(linked) ? codeRegionAfter(readFileSync(linked).length) : null;
}

export function rp2040Available(image = RP2040_IMAGE): string | null {
  if (!existsSync(image)) return `${image} is not built (make board)`;
  return null;
}

export class Rp2040Board implements UartBoard {
  /** What the chips put on the wire, each with the board's time then. */
  readonly received: { port: Port; data: Uint8Array; atMs: number }[] = [];
  console = '';
  /** The Ethernet chips by port; a chip's `dropped` counts frames sent to it that found no room. */
  readonly nics = [new W5500(), new W5500()] as const;

  // Simulator comes with the SimulationClock that the package does not export; its own run loop
  // (execute) is not used, as it runs against the wall clock.
  private readonly sim = new Simulator();
  private readonly mcu = this.sim.rp2040;
  private readonly clock = this.sim.clock;
  private readonly decoder = new TextDecoder();
  private readonly keys: number[] = [];
  private readonly keyAlarm = this.clock.createAlarm(() => this.nextKey());
  private executed = 0;
  private lastFrameNanos = 0;
  private fault: string | null = null;
  private stopped = false;

  /** Each clk_sys the firmware has set since power-on, with the core voltage then. */
  readonly clockChanges: { hz: number; coreVolts: number }[] = [];
  private coreVolts = vregVolts(VREG_RESET);

  /** The bootrom's flash routines (rp2040js has no bootrom): how the firmware saves its config. */
  readonly bootrom: BootromModel;

  private constructor(image: Uint8Array, slots?: Uint8Array, flashWritable = false) {
    const { mcu, clock } = this;
    mcu.flash.set(image);
    // rp2040js lets a store change flash; silicon does not (XIP is read-only), so a store there is a
    // fault, except while the build has the firmware compile its code into flash (snapshot.ts).
    if (!flashWritable) {
      for (const width of ['writeUint8', 'writeUint16', 'writeUint32'] as const) {
        const write = mcu[width].bind(mcu);
        mcu[width] = (address: number, value: number) => {
          if ((address >>> 0) >= FLASH_START && (address >>> 0) < XIP_MIRRORS_END) {
            this.fault ??= `store to flash at 0x${(address >>> 0).toString(16)} (XIP is read-only)`;
            return;
          }
          write(address, value);
        };
      }
    }
    // rp2040js does not model the core's regulator (VREG): its voltage is kept here, from the firmware's
    // writes, and noted with each clk_sys the firmware sets, as silicon needs it raised first.
    const writeWord = mcu.writeUint32.bind(mcu);
    mcu.writeUint32 = (address: number, value: number) => {
      if (address >>> 0 === VREG) this.coreVolts = vregVolts(value);
      writeWord(address, value);
    };
    mcu.addClockListener((hz) => this.clockChanges.push({ hz, coreVolts: this.coreVolts }));
    if (slots) mcu.flash.set(slots.subarray(0, 2 * SLOT_BYTES), SLOTS_OFFSET);
    // No bootrom in rp2040js: start the firmware where boot2 would have handed over.
    mcu.core.VTOR = VECTORS;
    mcu.core.SP = mcu.readUint32(VECTORS);
    mcu.core.PC = mcu.readUint32(VECTORS + 4) & ~1;

    // rp2040js logs, and carries on from, what real silicon would fault on (unaligned access, unmapped
    // addresses, unknown instructions, a BKPT outside the bootrom model): here that stops the board.
    const fatal = (component: string, message: string) => (this.fault ??= `[${component}] ${message}`);
    mcu.logger = {
      debug: () => {},
      info: () => {},
      warn: (component, message) => { if (FAULTING.includes(component)) fatal(component, message); },
      error: fatal,
    };
    this.bootrom = new BootromModel(mcu, (why) => fatal('bootrom', why));
    mcu.onBreak = (code) => {
      if (!this.bootrom.handleBreak(code)) fatal('CortexM0Core', `BKPT or UDF ${code} near 0x${mcu.core.PC.toString(16)}`);
    };

    // port, SPI, chip select GPIO, INTn GPIO (board.c)
    const wiring: [Port, number, number, number][] = [[PORT_LAN, 0, 17, 21], [PORT_WAN, 1, 13, 14]];
    for (const [port, spi, cs, int] of wiring) {
      const chip = this.nics[port];
      chip.attach(mcu, spi, cs, int);
      chip.onFrame = (data) => {
        this.received.push({ port, data, atMs: clock.nanos / 1e6 });
        this.lastFrameNanos = clock.nanos;
      };
    }
    modelUartRxInterrupts(mcu, clock);
    mcu.uart[0].onByte = (byte) => (this.console += this.decoder.decode(Uint8Array.of(byte), { stream: true }));
  }

  /** Boots the firmware image and runs it until it reports ready. `slots` (16 KiB, slot A then B)
   *  preloads the config flash sectors, e.g. with another board's flashSlots() to model a power cycle. */
  static async start(opts: { slots?: Uint8Array; image?: string | Uint8Array; flashWritable?: boolean } = {}): Promise<Rp2040Board> {
    const image = opts.image instanceof Uint8Array ? opts.image : readFileSync(opts.image ?? RP2040_IMAGE);
    const board = new Rp2040Board(image, opts.slots, opts.flashWritable);
    const wallEnd = Date.now() + BOOT_MS;
    await board.run(board.clock.nanos + BOOT_MS * 1e6, () => /natpass: ready|halted/.test(board.console) || Date.now() > wallEnd);
    if (!board.console.includes('natpass: ready')) throw new Error(`board did not start:\n${board.console}`);
    return board;
  }

  /** Calls `listener` with the address of every read the core makes below RAM (flash and the bootrom);
   *  for models of what rp2040js does not time, such as the XIP cache (xip-cache.ts). */
  onFlashRead(listener: (address: number) => void): void {
    const { mcu } = this;
    for (const width of ['readUint8', 'readUint16', 'readUint32'] as const) {
      const read = mcu[width].bind(mcu);
      mcu[width] = (address: number) => {
        if ((address >>> 0) < RAM_START) listener(address >>> 0);
        return read(address);
      };
    }
  }

  /** `length` bytes of flash from `offset`, as they are now. */
  flashBytes(offset: number, length: number): Uint8Array {
    return this.mcu.flash.slice(offset, offset + length);
  }

  /** What the config flash sectors hold now (slot A then B). */
  flashSlots(): Uint8Array {
    return this.mcu.flash.slice(SLOTS_OFFSET, SLOTS_OFFSET + 2 * SLOT_BYTES);
  }

  /** The board's clock: milliseconds since power-on. */
  simulatedMs(): number {
    return this.clock.nanos / 1e6;
  }

  /** Instructions executed since power-on. */
  get instructions(): number {
    return this.executed;
  }

  /** The clocks the firmware has set (rp2040js follows its PLL and clock registers): clk_sys, and
   *  each port's SPI clock. */
  get clockHz(): number {
    return this.mcu.clkSys;
  }
  spiHz(port: Port): number {
    return this.mcu.spi[port === PORT_LAN ? 0 : 1].clockFrequency;
  }
  /** The console UART's baud rate, from clk_peri and the divisor the firmware set. */
  get uartBaud(): number {
    return this.mcu.uart[0].baudRate;
  }

  /** CPU cycles spent executing them (sleep excluded). */
  get cycles(): number {
    return this.mcu.core.cycles;
  }

  /** Runs the board for `simMs` simulated milliseconds. */
  async runFor(simMs: number): Promise<void> {
    await this.run(this.clock.nanos + simMs * 1e6);
  }

  /** Runs the board until `cond` holds (looked at every simulated millisecond) or `ms` simulated ms pass. */
  async waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    await this.run(this.clock.nanos + ms * 1e6, cond);
    return cond();
  }

  /** Puts a frame on a port's wire; false when its chip had no room for it. */
  send(port: Port, frame: Uint8Array): boolean {
    return this.nics[port].receive(frame);
  }

  /** Sends a frame and collects what the board transmits until it has been quiet for `quietMs` simulated ms.
   *  `atLeast`, the frames due, is for the QEMU boards (frames.ts): this board's clock is its own, so
   *  they come in the same simulated time however loaded the machine is. */
  async exchange(port: Port, frame: Uint8Array, quietMs = 250, _atLeast = 0): Promise<{ port: Port; data: Uint8Array; atMs: number }[]> {
    const start = this.received.length, from = this.clock.nanos;
    this.send(port, frame);
    const quietAt = () => Math.max(from, this.lastFrameNanos) + quietMs * 1e6;
    while (!this.stopped && this.clock.nanos < quietAt()) await this.run(quietAt());
    return this.received.slice(start);
  }

  /** Types text on UART0 at the line's pace: one character time (10 bits at the firmware's baud rate) each. */
  typeOnConsole(text: string): void {
    const idle = this.keys.length === 0;
    this.keys.push(...Buffer.from(text));
    if (idle) this.keyAlarm.schedule(0);
  }

  /** The firmware's own margins report (board/common/uart.ts). */
  margins(): Promise<Margins> {
    return readMargins(this);
  }

  /** Types keys and waits until the console shows `expect` (board/common/uart.ts). */
  type(keys: string, expect: string | RegExp, ms = 10_000): Promise<string> {
    return typeAndWait(this, keys, expect, ms);
  }

  /** Lets `ms` of the board's time pass. */
  async pause(ms: number): Promise<void> {
    await this.runFor(ms);
  }

  /** Ends the board: waits in progress return, and the CPU runs no more. */
  stop(): void {
    this.stopped = true;
  }

  private nextKey(): void {
    const uart = this.mcu.uart[0];
    uart.feedByte(this.keys.shift()!);
    if (this.keys.length) this.keyAlarm.schedule((10 * 1e9) / (uart.baudDivider ? uart.baudRate : NO_BAUD_RATE));
  }

  /** Runs the CPU in slices until `done` or simulated time reaches `untilNanos`, letting the event loop
   *  turn between slices; throws once the firmware has crashed. */
  private async run(untilNanos: number, done = () => false): Promise<void> {
    for (;;) {
      if (this.fault) throw new Error(`the board crashed: ${this.fault}\n${this.console}`);
      if (this.stopped || done() || this.clock.nanos >= untilNanos) return;
      if (this.idle()) this.clock.tick(untilNanos - this.clock.nanos);
      else this.slice(Math.min(untilNanos, this.clock.nanos + SLICE_NANOS));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Runs the CPU to `endNanos`, unless it crashes or falls idle first. */
  private slice(endNanos: number): void {
    const { mcu, clock } = this, { core } = mcu;
    const flashEnd = FLASH_START + mcu.flash.length, ramEnd = RAM_START + mcu.sram.length;
    while (clock.nanos < endNanos && !this.fault) {
      // SysTick makes itself pending without waking the core (rp2040js): executing takes it.
      if (core.waiting && !core.interruptsUpdated) {
        if (this.idle()) return;
        clock.tick(Math.min(clock.nanosToNextAlarm, endNanos - clock.nanos)); // asleep until the next alarm
        continue;
      }
      const pc = core.PC;
      if (!(pc >= FLASH_START && pc < flashEnd) && !(pc >= RAM_START && pc < ramEnd) && !(pc < BOOTROM_BYTES)) {
        this.fault = `PC left flash, RAM and the bootrom: 0x${(pc >>> 0).toString(16)}`;
        return;
      }
      const cycles = core.executeInstruction();
      this.executed++;
      clock.tick((cycles * 1e9) / mcu.clkSys);
    }
  }

  /** Asleep (WFI/WFE) with no alarm set (timer, SPI byte, key): then only the test can wake the board. */
  private idle(): boolean {
    const { core } = this.mcu;
    if (!core.waiting || core.interruptsUpdated) return false;
    this.clock.tick(0); // fires the alarms due now, which may wake it
    return core.waiting && !core.interruptsUpdated && this.clock.nanosToNextAlarm === 0;
  }
}
