// Engine parity: one 100,000-frame mixed trace through the module on V8 and on wasm3 must give
// byte-identical output, identical counters and identical state tables.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Router } from '../host/router.ts';
import { DUMP_SESSIONS, DUMP_MAPPINGS, DUMP_IKE, DUMP_SAS, DUMP_FINDINGS, DUMP_ARP } from '../host/abi.ts';
import { mixedTrace, TraceFrame } from './helpers/trace.ts';

async function run(engine: 'v8' | 'wasm3', trace: TraceFrame[]) {
  const router = await Router.create({}, { engine, nowMs: 0 });
  const hash = createHash('sha256');
  const outputs: string[] = [];
  let sent = 0;
  let i = 0;
  while (i < trace.length) {
    const t = trace[i].t;
    while (i < trace.length && trace[i].t === t) router.receive(trace[i].port, trace[i++].data);
    for (const f of router.process(t)) {
      hash.update(new Uint8Array([f.port])).update(f.data);
      if (outputs.length < 200_000) outputs.push(`${t}/${f.port}/${Buffer.from(f.data).toString('hex')}`);
      sent++;
    }
  }
  const tables = [DUMP_SESSIONS, DUMP_MAPPINGS, DUMP_IKE, DUMP_SAS, DUMP_FINDINGS, DUMP_ARP].map((id) => router.dumpTable(id).map((r) => Array.from(r)));
  return { digest: hash.digest('hex'), sent, outputs, counters: router.counters(), tables };
}

describe('engine parity', () => {
  it('gives byte-identical output on V8 and wasm3 for a 100,000-frame mixed trace', async () => {
    const trace = mixedTrace(100_000, 7);
    const a = await run('v8', trace);
    const b = await run('wasm3', trace);
    // The trace must exercise what it claims to: translation both ways, IPsec, fragments, drops.
    expect(a.counters.nat_in2out).toBeGreaterThan(10_000);
    expect(a.counters.nat_out2in).toBeGreaterThan(1_000);
    expect(a.counters.ipsec_esp_out2in).toBeGreaterThan(100);
    expect(a.counters.fragments_translated).toBeGreaterThan(100);
    expect(a.counters.drop_ip_checksum + a.counters.drop_ip_malformed + a.counters.drop_oversize).toBeGreaterThan(100);
    expect(a.counters.sessions_expired).toBeGreaterThan(0);
    if (a.digest !== b.digest) {
      const k = a.outputs.findIndex((x, j) => x !== b.outputs[j]);
      expect(b.outputs[k], `first difference at output frame ${k}`).toBe(a.outputs[k]);
    }
    expect(b.sent).toBe(a.sent);
    expect(b.counters).toEqual(a.counters);
    expect(b.tables).toEqual(a.tables);
  }, 300_000);
});
