// The config record's two twins agree: what the host encodes, the module accepts, and decoding it
// gives back the same configuration (the console saves records; export turns them into JSON).
import { describe, expect, it } from 'vitest';
import { configToJson, decodeConfig, encodeConfig, parseConfig } from '../host/config.ts';
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

describe('config record', () => {
  it('round-trips through the record and back to JSON', () => {
    const record = encodeConfig(parseConfig(FULL));
    const again = encodeConfig(parseConfig(configToJson(decodeConfig(record))));
    expect(Buffer.from(again).equals(Buffer.from(record))).toBe(true);
  });

  it('is accepted by the module, which reports the field of a record it refuses', async () => {
    const r = await Router.create(FULL);
    expect(r.config.nat.serverList[1].internalPort).toBe(80);
    const bad = encodeConfig(parseConfig(FULL));
    bad[21] = 0; // WAN prefix /0 slips past nothing in the module
    expect(() => r.restartWithRecord(bad, 0)).toThrow(/module refused the config: wan/);
  });
});
