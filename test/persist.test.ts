// Power-safe configuration: two slots with a CRC; a save cut off at any step leaves the old
// configuration or the new one, never a broken one; torn or corrupt slots are ignored.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlotStore, SaveStep } from '../host/persist.ts';
import { configToJson, decodeConfig, encodeConfig, parseConfig } from '../host/config.ts';

const OLD = encodeConfig(parseConfig({}));
const NEW = encodeConfig(parseConfig({ nat: { serverList: [{ name: 'ike', protocol: 'udp', externalPort: 500, internalHost: '192.168.1.10' }] } }));
const AUTH = new Uint8Array(136).fill(7);
const STEPS: SaveStep[] = ['create-temp', 'write-header', 'write-payload', 'flush', 'rename', 'flush-dir'];

describe('A/B configuration slots', () => {
  it('loads what was saved last, alternating slots', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-slots-'));
    const store = new SlotStore(dir);
    expect(store.load()).toBeNull();
    expect(store.save(OLD, AUTH).slot).toBe('a');
    expect(store.save(NEW, AUTH).slot).toBe('b');
    const loaded = store.load()!;
    expect(loaded.sequence).toBe(2);
    expect(decodeConfig(loaded.config).nat.serverList[0].externalPort).toBe(500);
  });

  for (const step of STEPS) {
    it(`keeps a working configuration when power is lost at '${step}'`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'natpass-fault-'));
      new SlotStore(dir).save(OLD, AUTH);
      expect(() => new SlotStore(dir, step).save(NEW, AUTH)).toThrow(/power lost/);
      const after = new SlotStore(dir).load()!;
      const which = Buffer.from(after.config).equals(Buffer.from(NEW)) ? 'new' : Buffer.from(after.config).equals(Buffer.from(OLD)) ? 'old' : 'broken';
      expect(which).not.toBe('broken');
      // Before the rename nothing has replaced the slot; from the rename on the new record is whole.
      expect(which).toBe(step === 'flush-dir' ? 'new' : 'old');
      expect(parseConfig(configToJson(decodeConfig(after.config)))).toBeTruthy();
    });
  }

  it('ignores a torn or corrupted newest slot and falls back to the other', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-torn-'));
    const store = new SlotStore(dir);
    store.save(OLD, AUTH);
    store.save(NEW, AUTH);
    const b = readFileSync(join(dir, 'config.b'));
    writeFileSync(join(dir, 'config.b'), b.subarray(0, b.length - 10)); // half-written sector
    expect(Buffer.from(store.load()!.config).equals(Buffer.from(OLD))).toBe(true);
    const flipped = Buffer.from(b);
    flipped[40] ^= 0x01; // one bit gone bad
    writeFileSync(join(dir, 'config.b'), flipped);
    expect(store.load()!.slot).toBe('a');
  });
});
