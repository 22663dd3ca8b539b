// One interface over the WASM engines that run the module: V8 (WebAssembly in Node) and wasm3.
// Both link the same single import, natpass.abort, and expose exports by name plus linear memory.

export type EngineKind = 'v8' | 'wasm3';
export const ENGINE_KINDS: readonly EngineKind[] = ['v8', 'wasm3'];

export interface Engine {
  readonly kind: EngineKind;
  /** Calls an exported function with i32 arguments; returns its i32 result (0 for void). */
  call(name: string, ...args: number[]): number;
  /** A view of linear memory; take a fresh one after any call that may grow memory (init). */
  memory(): Uint8Array;
}

export class ModuleAbort extends Error {}

/** Reads an AssemblyScript string (UTF-16LE, byte length stored 4 bytes before it). */
export function readAsString(mem: Uint8Array, ptr: number): string {
  if (ptr === 0 || ptr < 4 || ptr > mem.length) return '';
  const bytes = new DataView(mem.buffer, mem.byteOffset).getUint32(ptr - 4, true);
  if (ptr + bytes > mem.length) return '';
  return Buffer.from(mem.buffer, mem.byteOffset + ptr, bytes).toString('utf16le');
}

export function engineFromEnv(): EngineKind {
  const e = process.env.NATPASS_ENGINE ?? 'v8';
  if (e !== 'v8' && e !== 'wasm3') throw new Error(`NATPASS_ENGINE must be v8 or wasm3, not '${e}'`);
  return e;
}

export async function loadEngine(kind: EngineKind, wasm: Uint8Array): Promise<Engine> {
  if (kind === 'v8') return (await import('./v8.ts')).loadV8(wasm);
  if (kind === 'wasm3') return (await import('./wasm3.ts')).loadWasm3(wasm);
  throw new Error(`unknown engine '${kind as string}' (choose v8 or wasm3)`);
}
