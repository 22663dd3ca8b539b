// The bench figure: packets per second against batch size, one panel per mode (hits, misses), one
// line per engine (colour) and flow count (line style and marker), with each point's spread over its
// runs drawn as a vertical bar from the slowest run to the fastest. The y axis is logarithmic because
// the engines differ by 100x; lines and points (never bars) keep that honest. Re-plot a saved run with
//   node --import tsx host/bench/plot.ts build/bench/results.json OUT.svg
import { readFileSync, writeFileSync } from 'node:fs';

export interface BenchResult { engine: string; batch: number; flows: number; mode: 'hits' | 'misses'; pps: number; runs: number[] }

const ENGINES: [string, string, string][] = [['wasm2c', '#4c72b0', 'wasm2c (native C)'], ['v8', '#55a868', 'V8'], ['wasm3', '#c44e52', 'wasm3'], ['ts', '#8172b2', 'TS baseline']];
const FLOW_STYLES: Record<number, { dash: string; marker: 'circle' | 'square' | 'triangle' }> = {
  1024: { dash: '', marker: 'circle' }, 16384: { dash: '6 3', marker: 'square' }, 65536: { dash: '2 3', marker: 'triangle' },
};
const MODE_TITLES: Record<string, string> = { hits: 'hits: established flows', misses: 'misses: a new flow per packet' };

/** 1 k, 10 k, 1 M: the unit spelled out in the axis label. */
function siLabel(v: number): string {
  if (v >= 1e6) return `${v / 1e6} M`;
  if (v >= 1e3) return `${v / 1e3} k`;
  return String(v);
}

function marker(kind: 'circle' | 'square' | 'triangle', x: number, y: number, color: string): string {
  if (kind === 'circle') return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${color}"/>`;
  if (kind === 'square') return `<rect x="${(x - 3.5).toFixed(1)}" y="${(y - 3.5).toFixed(1)}" width="7" height="7" fill="${color}"/>`;
  return `<path d="M${x.toFixed(1)},${(y - 4.5).toFixed(1)} l4.5,8 h-9 z" fill="${color}"/>`;
}

export function plotSvg(results: BenchResult[], caption: string): string {
  const batches = [...new Set(results.map((r) => r.batch))].sort((a, b) => a - b);
  const flows = [...new Set(results.map((r) => r.flows))].sort((a, b) => a - b);
  const modes = (['hits', 'misses'] as const).filter((m) => results.some((r) => r.mode === m));
  const all = results.flatMap((r) => (r.runs.length ? r.runs : [r.pps]));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all))), hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const W = 1000, H = 460, top = 56, bottom = 60, left = 78, gap = 60, legendW = 170;
  const panelW = (W - left - legendW - gap * (modes.length - 1) - 10) / modes.length;
  const y = (v: number) => top + (H - top - bottom) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  // Batches sit at even steps (1, 32, 256 are a factor 8 to 32 apart): the axis names each one.
  const x = (panel: number, b: number) => left + panel * (panelW + gap) + 20 + (batches.indexOf(b) / Math.max(1, batches.length - 1)) * (panelW - 40);
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`;
  s += `<rect width="${W}" height="${H}" fill="white"/>`;
  s += `<text x="${left}" y="20" font-size="15">natpass: packets per second through process(), 64-byte UDP frames, by batch size</text>`;
  s += `<text x="${left}" y="38" font-size="11" fill="#555">${caption}</text>`;
  s += `<text transform="translate(18,${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle">packets per second (log scale)</text>`;
  modes.forEach((mode, p) => {
    const x0 = left + p * (panelW + gap);
    s += `<text x="${x0 + panelW / 2}" y="${top - 6}" text-anchor="middle" font-weight="bold">${MODE_TITLES[mode]}</text>`;
    for (let v = lo; v < hi; v *= 10) {
      for (const m of [2, 5]) s += `<line x1="${x0}" x2="${x0 + panelW}" y1="${y(v * m).toFixed(1)}" y2="${y(v * m).toFixed(1)}" stroke="#f0f0f0"/>`;
    }
    for (let v = lo; v <= hi * 1.0001; v *= 10) {
      s += `<line x1="${x0}" x2="${x0 + panelW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`;
      s += `<text x="${x0 - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${siLabel(v)}</text>`;
    }
    s += `<rect x="${x0}" y="${top}" width="${panelW}" height="${H - top - bottom}" fill="none" stroke="#999"/>`;
    for (const b of batches) s += `<text x="${x(p, b).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${b}</text>`;
    s += `<text x="${x0 + panelW / 2}" y="${H - bottom + 36}" text-anchor="middle">batch size (frames per process() call)</text>`;
    for (const [engine, color] of ENGINES) {
      for (const f of flows) {
        const pts = batches.map((b) => results.find((r) => r.mode === mode && r.engine === engine && r.flows === f && r.batch === b)).filter((r): r is BenchResult => !!r);
        if (!pts.length) continue;
        const style = FLOW_STYLES[f] ?? { dash: '', marker: 'circle' as const };
        s += `<polyline class="series" data-engine="${engine}" data-flows="${f}" data-mode="${mode}" fill="none" stroke="${color}" stroke-width="1.6" stroke-dasharray="${style.dash}" points="${pts.map((r) => `${x(p, r.batch).toFixed(1)},${y(r.pps).toFixed(1)}`).join(' ')}"/>`;
        for (const r of pts) {
          if (r.runs.length > 1) s += `<line class="spread" x1="${x(p, r.batch).toFixed(1)}" x2="${x(p, r.batch).toFixed(1)}" y1="${y(Math.min(...r.runs)).toFixed(1)}" y2="${y(Math.max(...r.runs)).toFixed(1)}" stroke="${color}" stroke-width="1"/>`;
          s += marker(style.marker, x(p, r.batch), y(r.pps), color);
        }
      }
    }
  });
  const lx = W - legendW + 5;
  s += `<text x="${lx}" y="${top + 4}" font-weight="bold">engine</text>`;
  ENGINES.filter(([e]) => results.some((r) => r.engine === e)).forEach(([, color, name], i) => {
    s += `<line x1="${lx}" x2="${lx + 22}" y1="${top + 20 + i * 18}" y2="${top + 20 + i * 18}" stroke="${color}" stroke-width="3"/><text x="${lx + 28}" y="${top + 24 + i * 18}">${name}</text>`;
  });
  const fy = top + 110;
  s += `<text x="${lx}" y="${fy}" font-weight="bold">active flows</text>`;
  flows.forEach((f, i) => {
    const st = FLOW_STYLES[f] ?? { dash: '', marker: 'circle' as const };
    s += `<line x1="${lx}" x2="${lx + 22}" y1="${fy + 16 + i * 18}" y2="${fy + 16 + i * 18}" stroke="#333" stroke-dasharray="${st.dash}"/>${marker(st.marker, lx + 11, fy + 16 + i * 18, '#333')}<text x="${lx + 28}" y="${fy + 20 + i * 18}">${f / 1024}k flows</text>`;
  });
  s += `<text x="${lx}" y="${fy + 90}" font-size="11" fill="#555">point: median of the runs</text>`;
  s += `<text x="${lx}" y="${fy + 106}" font-size="11" fill="#555">bar: slowest to fastest run</text>`;
  return s + '</svg>\n';
}

if (process.argv[1]?.endsWith('plot.ts') && process.argv.length >= 4) {
  const saved = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { date: string; runs: number; results: BenchResult[]; caption?: string };
  writeFileSync(process.argv[3], plotSvg(saved.results, saved.caption ?? `${saved.date}, median of ${saved.runs} runs, this machine (2 cores, shared)`));
}
