// host/pack-data.ts merges nearby data segments after asc: the packed module must start with exactly the
// same linear memory as the original, and the shipped module must have been packed.
import { describe, expect, it } from 'vitest';
import { run } from '../host/child.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packData } from '../host/pack-data.ts';
import { WASM_PATH } from '../host/router.ts';

const WAT = `(module (memory (export "memory") 1)
  (data (i32.const 1024) "ab") (data (i32.const 1030) "cd") (data (i32.const 1040) "ef")
  (data (i32.const 4000) "far away") (data (i32.const 1032) "\\01"))`;

function dataCount(wasm: Uint8Array): number {
  const out = run('wasm-objdump', ['-h', '-'], { input: wasm });
  return Number(/Data .* count: (\d+)/.exec(out)![1]);
}

async function memoryOf(wasm: Uint8Array): Promise<Uint8Array> {
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array(wasm)));
  return new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer.slice(0));
}

describe('data segment packing', () => {
  it('merges segments a few bytes apart, keeps distant ones, and leaves memory as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-pack-'));
    writeFileSync(join(dir, 'm.wat'), WAT);
    run('wat2wasm', [join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')]);
    const original = new Uint8Array(readFileSync(join(dir, 'm.wasm')));
    const packed = packData(original);
    expect(dataCount(original)).toBe(5);
    expect(dataCount(packed)).toBe(2); // 1024..1041 in one, 4000 alone
    expect(await memoryOf(packed)).toEqual(await memoryOf(original));
  });

  it('was applied to the module every engine runs', () => {
    const wasm = new Uint8Array(readFileSync(WASM_PATH));
    expect(dataCount(wasm)).toBeLessThan(16);
    expect(packData(wasm)).toEqual(wasm);
  });
});
