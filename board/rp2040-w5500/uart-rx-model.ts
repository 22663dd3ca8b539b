// The RP2040 UART's (an ARM PL011's) receive interrupts as silicon raises them, where rp2040js raises
// RXINTR for every byte it is fed: RXINTR while the RX FIFO holds at least its trigger level (UARTIFLS:
// half of 32 at reset; 1 with the FIFO off), RTINTR once it holds data and no byte has come for 32 bit
// periods; reading DR clears RXINTR below the level and RTINTR when the FIFO is empty (PL011 TRM,
// "UARTRTINTR").
// Without this, a firmware that enabled RXIM alone would wake for every key here and for none on silicon.
import type { Simulator } from 'rp2040js';

const UARTDR = 0x00, UARTLCR_H = 0x2c;
const RXINTR = 1 << 4, RTINTR = 1 << 6, FEN = 1 << 4;
const FIFO_DEPTH = 32, TRIGGER_HALF = FIFO_DEPTH / 2;

/** What of rp2040js's RPUART this reaches past its types for. */
interface Pl011 {
  rxFIFO: { push(v: number): void; itemCount: number; empty: boolean };
  interruptStatus: number;
  lineCtrlRegister: number;
  baudRate: number;
  baudDivider: number;
  checkInterrupts(): void;
  feedByte(value: number): void;
  readUint32(offset: number): number;
}

export function modelUartRxInterrupts(mcu: Simulator['rp2040'], clock: Simulator['clock'], uartIndex = 0): void {
  const uart = mcu.uart[uartIndex] as unknown as Pl011;
  const level = () => (uart.lineCtrlRegister & FEN ? TRIGGER_HALF : 1);
  const update = () => {
    if (uart.rxFIFO.itemCount >= level()) uart.interruptStatus |= RXINTR;
    else uart.interruptStatus &= ~RXINTR;
    if (uart.rxFIFO.empty) uart.interruptStatus &= ~RTINTR;
    uart.checkInterrupts();
  };
  const timeout = clock.createAlarm(() => {
    if (!uart.rxFIFO.empty) uart.interruptStatus |= RTINTR;
    update();
  });
  uart.feedByte = (value: number) => {
    uart.rxFIFO.push(value);
    update();
    if (uart.baudDivider) timeout.schedule((32 * 1e9) / uart.baudRate);
  };
  const read = uart.readUint32.bind(uart);
  uart.readUint32 = (offset: number) => {
    const value = read(offset);
    if (offset === UARTDR) update();
    return value;
  };
}
