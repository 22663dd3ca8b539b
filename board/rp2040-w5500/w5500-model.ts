// A WIZnet W5500 as the RP2040 firmware sees it: an SPI slave in variable-length data mode (each frame
// between chip select falling and rising is a big-endian 16-bit offset, a control byte, then data bytes
// at auto-incrementing offsets). Modelled: the common registers the driver touches, and socket 0 in
// MACRAW mode with its TX and RX buffers; every command is taken at once (CR reads 0), and a SEND
// completes (the frame out, TX_RD moved, SEND_OK set) after the frame's time on a 100 Mbit/s wire
// (preamble, FCS and inter-frame gap included), as the chip's does. Sockets 1-7 read as 0. Interrupts
// as the datasheet has them: an event sets its bit of Sn_IR only where Sn_IMR enables it, and the INTn
// pin (active low) is asserted while any bit of socket 0's Sn_IR is set and SIMR lets it through (SIR
// reads which), whatever Sn_IMR says by then; INTLEVEL's re-assert delay (26 ns by default) is not
// modelled.
import { GPIOPinState, type RP2040 } from 'rp2040js';

// Common registers (block 0)
const MR = 0x0000, SIR = 0x0017, SIMR = 0x0018, PHYCFGR = 0x002e, VERSIONR = 0x0039;
const MR_RST = 0x80;
const PHY_UP_100M_FULL = 0x07;
const VERSION = 0x04;

// Socket registers (block n*4+1)
const Sn_MR = 0x00, Sn_CR = 0x01, Sn_IR = 0x02, Sn_SR = 0x03;
const Sn_RXBUF_SIZE = 0x1e, Sn_TXBUF_SIZE = 0x1f;
const Sn_TX_FSR = 0x20, Sn_TX_RD = 0x22, Sn_TX_WR = 0x24, Sn_RX_RSR = 0x26, Sn_RX_RD = 0x28, Sn_RX_WR = 0x2a, Sn_IMR = 0x2c;
const READ_ONLY = new Set([Sn_SR, Sn_TX_FSR, Sn_TX_FSR + 1, Sn_TX_RD, Sn_TX_RD + 1, Sn_RX_RSR, Sn_RX_RSR + 1, Sn_RX_WR, Sn_RX_WR + 1]);
const CR_OPEN = 0x01, CR_CLOSE = 0x10, CR_SEND = 0x20, CR_RECV = 0x40;
const IR_SEND_OK = 0x10, IR_RECV = 0x04;
const MR_MACRAW = 0x04, SOCK_CLOSED = 0x00, SOCK_MACRAW = 0x42;
const DEFAULT_BUF_KIB = 2;

const BLOCK_COMMON = 0, BLOCK_S0_REG = 1, BLOCK_S0_TX = 2, BLOCK_S0_RX = 3;
const CONTROL_WRITE = 0x04;
const BUFFER_BYTES = 16 * 1024; // the most one socket can be given
// On the wire besides the frame: 8 bytes of preamble and start delimiter, 4 of FCS, 12 of gap; short
// frames are padded to 60 bytes. 80 ns a byte at 100 Mbit/s.
const WIRE_EXTRA = 8 + 4 + 12, WIRE_MIN = 60, WIRE_NANOS_PER_BYTE = 80;

export class W5500 {
  /** Called with each frame socket 0 SENDs (Ethernet header to payload, no FCS). */
  onFrame: (frame: Uint8Array) => void = () => {};
  /** Frames from the wire that found the socket closed or its RX buffer without room. */
  dropped = 0;
  /** Bytes shifted over this chip's SPI bus so far (each takes 8 bit times at the firmware's clock). */
  spiBytes = 0;
  /** SEND commands issued while the previous SEND was still on the wire (the datasheet forbids it). */
  sendsWhileBusy = 0;
  /** SENDs given while another bit of Sn_IR than SEND_OK held INTn low: where a driver reads INTn as
   *  SEND_OK (the RP2040's), the pin then said nothing about the SEND before. */
  sendsWithIntnHeldByOther = 0;

  private readonly common = new Uint8Array(0x40);
  private readonly socket = new Uint8Array(0x30);
  private readonly tx = new Uint8Array(BUFFER_BYTES);
  private readonly rx = new Uint8Array(BUFFER_BYTES);
  /** Bytes of the current SPI frame so far, or -1 while chip select is high. */
  private position = -1;
  private offset = 0;
  private control = 0;
  /** The SEND on the wire, completed by its alarm (none until attached: then SENDs complete at once). */
  private sending: Uint8Array | null = null;
  private sendDone: { schedule(nanos: number): void; cancel(): void } | null = null;
  /** The GPIO that INTn drives, once attached. */
  private intPin: { setInputValue(value: boolean): void } | null = null;

  constructor() {
    this.reset();
  }

  /** Wires the chip to an RP2040: MOSI/MISO on SPI `spiIndex`, chip select on GPIO `csGpio` and INTn
   *  on GPIO `intGpio` (both active low). */
  attach(mcu: RP2040, spiIndex: number, csGpio: number, intGpio: number): void {
    const spi = mcu.spi[spiIndex];
    // The answer to a byte arrives once the byte has been clocked out at the rate the firmware set, so
    // SPI transfers take board time as on the real board, where they bound the frames per second.
    let answer = 0;
    const shifted = mcu.clock.createAlarm(() => spi.completeTransmit(answer));
    spi.onTransmit = (byte) => {
      answer = this.transfer(byte);
      if (spi.clockFrequency) shifted.schedule((spi.dataBits * 1e9) / spi.clockFrequency);
      else spi.completeTransmit(answer);
    };
    mcu.gpio[csGpio].addListener((state) => this.select(state === GPIOPinState.Low));
    this.sendDone = mcu.clock.createAlarm(() => this.sent());
    this.intPin = mcu.gpio[intGpio];
    this.interrupts();
  }

  /** Socket 0's interrupts: SIR's bit, set while Sn_IR is not 0, and the pin low while SIMR passes it. */
  private interrupts(): number {
    const sir = this.socket[Sn_IR] ? 1 : 0;
    this.intPin?.setInputValue(!(sir & this.common[SIMR]));
    return sir;
  }

  /** Chip select: a new SPI frame starts each time it is asserted. */
  select(selected: boolean): void {
    this.position = selected ? 0 : -1;
  }

  /** One byte in on MOSI; returns the byte shifted out on MISO at the same time. */
  transfer(byte: number): number {
    if (this.position < 0) return 0;
    this.spiBytes++;
    switch (this.position++) {
      case 0: this.offset = byte << 8; return 0;
      case 1: this.offset |= byte; return 0;
      case 2: this.control = byte; return 0;
    }
    const block = this.control >> 3, offset = this.offset;
    this.offset = (offset + 1) & 0xffff;
    if (!(this.control & CONTROL_WRITE)) return this.read(block, offset);
    this.write(block, offset, byte);
    return 0;
  }

  /** A frame from the wire (without FCS) for socket 0's RX buffer, after a 2-byte big-endian length that
   *  counts itself, as MACRAW stores it; false (and counted in `dropped`) when it is not taken. */
  receive(frame: Uint8Array): boolean {
    const record = frame.length + 2, pending = this.u16(Sn_RX_RSR);
    if (this.socket[Sn_SR] !== SOCK_MACRAW || pending + record > this.bufferBytes(Sn_RXBUF_SIZE)) {
      this.dropped++;
      return false;
    }
    const wr = this.u16(Sn_RX_WR);
    const put = (i: number, b: number) => (this.rx[this.bufferAddress(wr + i, Sn_RXBUF_SIZE)] = b);
    put(0, record >> 8);
    put(1, record & 0xff);
    frame.forEach((b, i) => put(i + 2, b));
    this.setU16(Sn_RX_WR, wr + record);
    this.setU16(Sn_RX_RSR, pending + record);
    this.socket[Sn_IR] |= IR_RECV & this.socket[Sn_IMR];
    this.interrupts();
    return true;
  }

  private reset(): void {
    this.sending = null; // a reset or OPEN drops the frame on the wire
    this.sendDone?.cancel();
    this.common.fill(0);
    this.socket.fill(0);
    this.socket[Sn_RXBUF_SIZE] = DEFAULT_BUF_KIB;
    this.socket[Sn_TXBUF_SIZE] = DEFAULT_BUF_KIB;
    this.socket[Sn_IMR] = 0xff; // every socket interrupt enabled; SIMR (0) keeps them off INTn
    this.interrupts();
  }

  private read(block: number, offset: number): number {
    switch (block) {
      case BLOCK_COMMON:
        if (offset === PHYCFGR) return PHY_UP_100M_FULL;
        if (offset === VERSIONR) return VERSION;
        if (offset === SIR) return this.interrupts();
        return this.common[offset] ?? 0;
      case BLOCK_S0_REG:
        if (offset === Sn_TX_FSR || offset === Sn_TX_FSR + 1) {
          const used = (this.u16(Sn_TX_WR) - this.u16(Sn_TX_RD)) & 0xffff;
          const free = Math.max(0, this.bufferBytes(Sn_TXBUF_SIZE) - used);
          return offset === Sn_TX_FSR ? free >> 8 : free & 0xff;
        }
        return this.socket[offset] ?? 0; // Sn_CR is never stored, so it reads 0: the command is done
      case BLOCK_S0_TX: return this.tx[this.bufferAddress(offset, Sn_TXBUF_SIZE)];
      case BLOCK_S0_RX: return this.rx[this.bufferAddress(offset, Sn_RXBUF_SIZE)];
      default: return 0;
    }
  }

  // Writes past a register block's end land outside its typed array, which ignores them.
  private write(block: number, offset: number, value: number): void {
    switch (block) {
      case BLOCK_COMMON:
        if (offset === MR && value & MR_RST) this.reset(); // the reset bit clears itself at once
        else if (offset !== SIR) this.common[offset] = value;
        this.interrupts();
        return;
      case BLOCK_S0_REG:
        if (offset === Sn_CR) this.command(value);
        else if (offset === Sn_IR) this.socket[Sn_IR] &= ~value;
        else if (!READ_ONLY.has(offset)) this.socket[offset] = value;
        this.interrupts();
        return;
      case BLOCK_S0_TX:
        this.tx[this.bufferAddress(offset, Sn_TXBUF_SIZE)] = value;
        return;
      case BLOCK_S0_RX:
        this.rx[this.bufferAddress(offset, Sn_RXBUF_SIZE)] = value;
        return;
    }
  }

  private command(cmd: number): void {
    switch (cmd) {
      case CR_OPEN:
        this.sending = null;
        this.sendDone?.cancel();
        // Only MACRAW is modelled: any other protocol leaves the socket closed. Buffers start empty.
        for (const reg of [Sn_TX_RD, Sn_TX_WR, Sn_RX_RSR, Sn_RX_RD, Sn_RX_WR]) this.setU16(reg, 0);
        this.socket[Sn_IR] = 0;
        this.interrupts();
        this.socket[Sn_SR] = (this.socket[Sn_MR] & 0x0f) === MR_MACRAW ? SOCK_MACRAW : SOCK_CLOSED;
        return;
      case CR_CLOSE:
        this.socket[Sn_SR] = SOCK_CLOSED;
        return;
      case CR_SEND: {
        if (this.socket[Sn_SR] !== SOCK_MACRAW) return;
        if (this.sending) { this.sendsWhileBusy++; return; }
        if (this.socket[Sn_IR] & ~IR_SEND_OK && this.common[SIMR] & 1) this.sendsWithIntnHeldByOther++;
        const rd = this.u16(Sn_TX_RD), wr = this.u16(Sn_TX_WR);
        const frame = new Uint8Array((wr - rd) & 0xffff);
        frame.forEach((_, i) => (frame[i] = this.tx[this.bufferAddress(rd + i, Sn_TXBUF_SIZE)]));
        this.sending = frame;
        if (this.sendDone) this.sendDone.schedule((Math.max(frame.length, WIRE_MIN) + WIRE_EXTRA) * WIRE_NANOS_PER_BYTE);
        else this.sent();
        return;
      }
      case CR_RECV:
        this.setU16(Sn_RX_RSR, this.u16(Sn_RX_WR) - this.u16(Sn_RX_RD));
        return;
    }
  }

  /** The SEND's last bit is out: TX_RD reaches TX_WR as it was at the SEND, and SEND_OK is set. */
  private sent(): void {
    const frame = this.sending;
    if (!frame) return;
    this.sending = null;
    this.setU16(Sn_TX_RD, this.u16(Sn_TX_RD) + frame.length);
    this.socket[Sn_IR] |= IR_SEND_OK & this.socket[Sn_IMR];
    this.interrupts();
    this.onFrame(frame);
  }

  private bufferBytes(sizeRegister: number): number {
    return this.socket[sizeRegister] * 1024;
  }

  /** Where a 16-bit buffer pointer lands: it wraps inside the socket's buffer (and a size the chip
   *  would not accept still stays inside the 16 KiB). */
  private bufferAddress(pointer: number, sizeRegister: number): number {
    return pointer & (this.bufferBytes(sizeRegister) - 1) & (BUFFER_BYTES - 1);
  }

  private u16(reg: number): number {
    return (this.socket[reg] << 8) | this.socket[reg + 1];
  }

  private setU16(reg: number, value: number): void {
    this.socket[reg] = (value >> 8) & 0xff;
    this.socket[reg + 1] = value & 0xff;
  }
}
