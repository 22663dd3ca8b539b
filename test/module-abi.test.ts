// The module's ABI through the production loader: init, rings, counters, refusal of bad records.
import { describe, expect, it } from 'vitest';
import { Router } from '../host/router.ts';
import { PORT_LAN } from '../host/abi.ts';

describe('module ABI', () => {
  it('initialises from the default config and names every counter', async () => {
    const r = await Router.create();
    const c = r.counters();
    expect(Object.keys(c)).toContain('rx_frames');
    expect(Object.keys(c)).toContain('drop_esp_unknown_spi');
    expect(r.batchCapacity).toBe(256);
  });

  it('counts an oversize frame as a drop instead of trapping', async () => {
    const r = await Router.create();
    r.receive(PORT_LAN, new Uint8Array(4000));
    expect(r.process(1)).toEqual([]);
    expect(r.counters().drop_oversize).toBe(1);
  });
});

describe('engines', () => {
  it('runs on the engine the suite was asked for (NATPASS_ENGINE)', async () => {
    const r = await Router.create();
    expect(r.engine.kind).toBe(process.env.NATPASS_ENGINE ?? 'v8');
  });

  it('keeps linear memory at its init size on every engine', async () => {
    const r = await Router.create({ limits: { sessions: 1024, mappings: 1024 } });
    const size = r.memoryBytes();
    r.restart(r.config, 5);
    expect(r.memoryBytes()).toBe(size);
  });
});
