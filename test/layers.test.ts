// The module's layers (README "Layers"): every file of assembly/ imports only from its own layer or
// the ones below it, and no files import each other in a circle. Read from the sources, so a new import
// that reaches up fails here before it tangles the module.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = 'assembly';
// Lowest first. The base holds what every layer shares: the ABI, config, counters (with their numbers,
// generated/ from host/layout.ts), the arena, the clock.
const LAYERS: [string, (file: string) => boolean][] = [
  ['base', (f) => ['abi.ts', 'config.ts', 'counters.ts', 'arena.ts', 'work.ts', 'time.ts'].includes(f) || f.startsWith('generated/')],
  ['wire', (f) => f.startsWith('wire/')],
  ['link', (f) => f.startsWith('link/')],
  ['ip', (f) => f.startsWith('ip/')],
  ['nat', (f) => f.startsWith('nat/')],
  ['alg', (f) => f.startsWith('alg/')],
  ['router', (f) => f.startsWith('router/')],
  ['top', (f) => f.startsWith('console/') || ['dump.ts', 'dump-tables.ts', 'index.ts'].includes(f)],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [relative(ROOT, p)] : [];
  });
}

const layerOf = (f: string) => {
  const i = LAYERS.findIndex(([, has]) => has(f));
  if (i < 0) throw new Error(`${f} is in no layer: add it to test/layers.test.ts`);
  return i;
};

function imports(f: string): string[] {
  const text = readFileSync(join(ROOT, f), 'utf8');
  return [...text.matchAll(/^import[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) => normalize(join(dirname(f), m[1])) + '.ts');
}

describe('module layers', () => {
  const all = files(ROOT);
  const graph = new Map(all.map((f) => [f, imports(f)]));

  it('puts every file in a layer, and imports only downward or within a layer', () => {
    const upward = all.flatMap((f) => graph.get(f)!.filter((g) => layerOf(g) > layerOf(f)).map((g) => `${f} -> ${g}`));
    expect(upward).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].join(' -> ')); return; }
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of all) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
