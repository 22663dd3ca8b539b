// The bench figure (host/bench/plot.ts) says what it measures: one line per engine and flow count in
// each mode's panel, batch on the x axis, a labelled log axis of packets per second, a spread bar per
// point from the slowest to the fastest run, and no bars standing on a cut-off axis.
import { describe, expect, it } from 'vitest';
import { BenchResult, plotSvg } from '../host/bench/plot.ts';

const ENGINES = ['wasm2c', 'v8', 'wasm3', 'ts'];
const results: BenchResult[] = [];
for (const mode of ['hits', 'misses'] as const) {
  ENGINES.forEach((engine, e) => {
    for (const flows of [1024, 16384, 65536]) {
      for (const batch of [1, 32, 256]) {
        const pps = 3e7 / (e + 1) ** 2 / (flows / 1024) ** 0.3 * (batch === 1 ? 0.7 : 1);
        results.push({ engine, mode, flows, batch, pps, runs: [pps * 0.8, pps, pps * 1.1] });
      }
    }
  });
}

const attr = (el: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(el)![1];

describe('bench plot', () => {
  const svg = plotSvg(results, '2026-12-03, median of 3 runs');

  it('draws one line per engine and flow count in each mode, batch on the x axis', () => {
    const lines = svg.match(/<polyline [^>]*>/g)!;
    expect(lines).toHaveLength(2 * 4 * 3);
    for (const l of lines) {
      const xs = attr(l, 'points').split(' ').map((p) => Number(p.split(',')[0]));
      expect(xs).toHaveLength(3);
      expect(xs[0]).toBeLessThan(xs[1]);
      expect(xs[1]).toBeLessThan(xs[2]);
    }
    // Faster is higher: V8's 1k-flow hits line sits above wasm3's at every batch.
    const ys = (engine: string) => attr(lines.find((l) => attr(l, 'data-engine') === engine && attr(l, 'data-flows') === '1024' && attr(l, 'data-mode') === 'hits')!, 'points').split(' ').map((p) => Number(p.split(',')[1]));
    ys('v8').forEach((yv, i) => expect(yv).toBeLessThan(ys('wasm3')[i]));
  });

  it('labels both axes with units and shows each point\'s spread', () => {
    expect(svg).toContain('packets per second (log scale)');
    expect(svg).toContain('batch size (frames per process() call)');
    expect(svg).toMatch(/>1 M</);
    expect(svg).toMatch(/>100 k</);
    expect(svg.match(/class="spread"/g)).toHaveLength(2 * 4 * 3 * 3);
    expect(svg).toContain('median of 3 runs');
  });

  it('draws no bars: the only rectangles are the background, the panels and square markers', () => {
    const rects = svg.match(/<rect [^>]*>/g)!;
    for (const r of rects) expect(['white', 'none'].includes(attr(r, 'fill')) || attr(r, 'width') === '7').toBe(true);
  });
});
