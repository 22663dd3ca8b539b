// The V8 engine: Node's own WebAssembly.
import { Engine, ModuleAbort, readAsString } from './engine.ts';

export function loadV8(wasm: Uint8Array): Engine {
  let memory: WebAssembly.Memory | undefined;
  const view = () => new Uint8Array(memory!.buffer);
  const imports = {
    natpass: {
      abort(msg: number, file: number, line: number, col: number) {
        throw new ModuleAbort(`module abort: ${readAsString(view(), msg)} at ${readAsString(view(), file)}:${line}:${col}`);
      },
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), imports);
  const exports = instance.exports as Record<string, unknown>;
  memory = exports.memory as WebAssembly.Memory;
  return {
    kind: 'v8',
    call(name, ...args) {
      const f = exports[name];
      if (typeof f !== 'function') throw new Error(`module has no export '${name}'`);
      return ((f as (...a: number[]) => number)(...args) ?? 0) | 0;
    },
    memory: view,
  };
}
