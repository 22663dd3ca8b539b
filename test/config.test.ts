// The configuration's rules (host/config-schema.ts, then the cross-field rules in host/config.ts) and
// its record: what the host encodes is byte-identical to the record of before the schema (golden
// records), the module accepts it, and decoding gives back the same configuration. Refusals name
// every problem's field, once each, for any JSON a file can hold.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, configToJson, decodeConfig, encodeConfig, parseConfig } from '../host/config.ts';
import { schemaText, SCHEMA_FILE } from '../host/gen-schema.ts';
import { Router } from '../host/router.ts';

const FULL = {
  lan: { address: '192.168.7.1/24', routedSubnet: '203.0.113.32/28' },
  wan: { address: '198.51.100.9/24', gateway: '198.51.100.1', answerPing: false },
  nat: {
    filtering: 'endpoint-independent', hairpin: false, portRange: [20000, 40000], defaultServer: '192.168.7.50',
    serverList: [{ name: 'ike', protocol: 'udp', externalPort: 500, internalHost: '192.168.7.10' }, { name: 'web', protocol: 'tcp', externalPort: '8080-8081', internalHost: '192.168.7.11', internalPort: 80 }],
    mapList: [{ name: 'vpn', internal: '203.0.113.34', external: '203.0.113.34' }],
  },
  ipsec: { mode: 'server-list', ikePorts: [500, 10000] },
  timeouts: { udp: 600 },
  limits: { sessions: 2048 },
};

/** Records encoded by host/config.ts before it moved onto the schema (commit 923d7a3), one per kind of field. */
const GOLDEN: { config: unknown; record: string }[] = JSON.parse(readFileSync(new URL('./fixtures/config-records.json', import.meta.url), 'utf8'));

/** Every problem parseConfig reports, as `field: message` lines. */
function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.field}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('config record', () => {
  it('round-trips through the record and back to JSON', () => {
    const record = encodeConfig(parseConfig(FULL));
    const again = encodeConfig(parseConfig(configToJson(decodeConfig(record))));
    expect(Buffer.from(again).equals(Buffer.from(record))).toBe(true);
  });

  it('encodes every golden config byte for byte as before, and the module accepts each record', async () => {
    const r = await Router.create({});
    for (const g of GOLDEN) {
      const record = encodeConfig(parseConfig(g.config));
      expect(Buffer.from(record).toString('hex'), JSON.stringify(g.config).slice(0, 60)).toBe(g.record);
      r.restartWithRecord(record, 0);
      expect(encodeConfig(parseConfig(configToJson(r.config)))).toEqual(record);
    }
  }, 60_000);

  it('is accepted by the module, which reports the field of a record it refuses', async () => {
    const r = await Router.create(FULL);
    expect(r.config.nat.serverList[1].internalPort).toBe(80);
    const bad = encodeConfig(parseConfig(FULL));
    bad[21] = 0; // WAN prefix /0 slips past nothing in the module
    expect(() => r.restartWithRecord(bad, 0)).toThrow(/module refused the config: wan/);
  });
});

describe('config rules', () => {
  it('natpass.schema.json is what host/config-schema.ts generates (make schema rewrites it)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
    const schema = JSON.parse(schemaText());
    expect(schema.properties.nat.properties.portRange.description).toMatch(/at least 256 ports/);
    expect(schema.properties.timeouts.properties.udp).toMatchObject({ default: 300, minimum: 120 });
  });

  it('reports every problem at once, one per field', () => {
    expect(problems({ lan: { mac: 'zz' }, nat: { hairpin: 'yes' }, limits: { batch: 0 } })).toEqual([
      "lan.mac: 'zz' is not a MAC address like 02:00:00:00:01:01",
      'nat.hairpin: must be true or false, not the text \'yes\'',
      'limits.batch: 0 is out of range 1..1024',
    ]);
  });

  it('suggests the key a typo meant', () => {
    expect(problems({ nat: { fitlering: 'endpoint-independent', Hairpin: true }, timeout: {} })).toEqual([
      "nat.fitlering: is not a known setting (did you mean 'filtering'?)",
      "nat.Hairpin: is not a known setting (did you mean 'hairpin'?)",
      "timeout: is not a known setting (did you mean 'timeouts'?)",
    ]);
    expect(problems({ nat: { serverList: [{ externalPort: 1, internalHost: '192.168.1.9', internalPrt: 2 }] } }))
      .toEqual(["nat.serverList[0].internalPrt: is not a known setting (did you mean 'internalPort'?)"]);
  });

  it('says a reversed port range is reversed and a short one is short', () => {
    expect(problems({ nat: { portRange: [60000, 2000] } })).toEqual(['nat.portRange: [60000, 2000] is reversed: write [low, high]']);
    expect(problems({ nat: { portRange: [2000, 2254] } })).toEqual(['nat.portRange: [2000, 2254] holds 255 ports; at least 256 are needed (high >= low + 255)']);
    expect(problems({ nat: { portRange: [2000, 2255] } })).toEqual([]);
  });

  it('refuses objects where text is expected, empty keys and holes, naming the field', () => {
    expect(problems({ nat: { filtering: { toString: 1 } } })).toEqual(['nat.filtering: {"toString":1} is not one of endpoint-independent, address-dependent, address-and-port-dependent']);
    expect(problems({ lan: { routedSubnet: { toString: 1 } } })).toEqual(['lan.routedSubnet: must be text in quotes, not an object']);
    expect(problems({ nat: { serverList: [{ externalPort: { valueOf: 1 }, internalHost: '192.168.1.9' }] } }))
      .toEqual(['nat.serverList[0].externalPort: {"valueOf":1} is not a port or a range like "5000-5010"']);
    expect(problems({ '': 1 })).toEqual(['[""]: is not a known setting (an empty name)']);
    // A program (not a JSON file) can hand over sparse arrays; the encoder must never see one.
    const sparse = { nat: { serverList: [, { externalPort: 1, internalHost: '192.168.1.9' }], mapList: [, ] }, ipsec: { ikePorts: [500, , 600] } };
    expect(problems(sparse)).toEqual([
      'nat.serverList[0]: is a hole in the list (nothing between two commas)',
      'nat.mapList[0]: is a hole in the list (nothing between two commas)',
      'ipsec.ikePorts[1]: is a hole in the list (nothing between two commas)',
    ]);
  });

  it('checks the rules that span fields after the schema', () => {
    expect(problems({ wan: { gateway: '10.0.0.1' }, nat: { defaultServer: '8.8.8.8', serverList: [{ externalPort: '5000-4000', internalHost: '192.168.1.1' }] } })).toEqual([
      'wan.gateway: 10.0.0.1 is not on the WAN subnet 198.51.100.2/24',
      "nat.serverList[0].externalPort: '5000-4000': the range's end 4000 is out of range 5000..65535",
      'nat.serverList[0].internalHost: 192.168.1.1 is not a host on the LAN',
      'nat.defaultServer: 8.8.8.8 is not a host on the LAN',
    ]);
    expect(problems({ limits: { batch: 600 } })).toEqual(['limits.outSlots: 512 must be at least limits.batch (600)']);
  });

  it('accepts $schema for editors and fills every default', () => {
    const c = parseConfig({ $schema: './natpass.schema.json' });
    expect(c.nat.portRange).toEqual([1024, 65535]);
    expect(c.timeouts.udp).toBe(300);
    expect(c.lan).toEqual({ mac: '02:00:00:00:01:01', address: '192.168.1.1', prefix: 24, routedSubnet: null });
  });
});
