// The wasm3 engine: the module under the real wasm3 interpreter, through our N-API addon
// (host/wasm3/natpass_wasm3.c, built by `make wasm3-addon`).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine, ModuleAbort } from './engine.ts';

interface Addon {
  load(wasm: Uint8Array): unknown;
  call(handle: unknown, name: string, ...args: number[]): number;
  memory(handle: unknown): ArrayBuffer;
}

const ADDON_PATH = fileURLToPath(new URL('../wasm3/build/Release/natpass_wasm3.node', import.meta.url));

function addon(): Addon {
  if (!existsSync(ADDON_PATH)) throw new Error(`the wasm3 engine is not built (${ADDON_PATH} is missing): run make wasm3-addon`);
  return createRequire(import.meta.url)(ADDON_PATH) as Addon;
}

export function loadWasm3(wasm: Uint8Array): Engine {
  const a = addon();
  const handle = a.load(wasm);
  let buffer: ArrayBuffer | null = null;
  let view = new Uint8Array(0);
  return {
    kind: 'wasm3',
    call(name, ...args) {
      try {
        return a.call(handle, name, ...args.map((x) => x | 0)) | 0;
      } catch (e) {
        const msg = (e as Error).message;
        if (msg.includes('module abort')) throw new ModuleAbort(msg);
        throw e;
      }
    },
    memory() {
      const b = a.memory(handle);
      if (b !== buffer) {
        buffer = b;
        view = new Uint8Array(b);
      }
      return view;
    },
  };
}
