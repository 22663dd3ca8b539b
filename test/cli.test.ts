// The command line: help, field-named config errors, replay's three outputs, and the demo (make run).
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap, readPcap } from '../host/pcap.ts';
import { parseFrame } from '../host/packets.ts';
import { checkPcap } from './helpers/tshark.ts';
import { twoHostCaptures, H1, H2 } from './fixtures/two-hosts.ts';

function natpass(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('natpass CLI', () => {
  it('explains itself and every command', () => {
    const top = natpass('--help');
    expect(top.status).toBe(0);
    for (const c of ['replay', 'demo', 'config']) {
      expect(top.stdout).toContain(c);
      const h = natpass(c, '--help');
      expect(h.status).toBe(0);
      expect(h.stdout).toContain(`natpass ${c}`);
    }
    expect(natpass('nonsense').status).toBe(2);
  }, 60_000);

  it('refuses a bad config with the field it concerns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-cli-'));
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ nat: { serverList: [{ protocol: 'udp', externalPort: 500, internalHost: '8.8.8.8' }] } }));
    const r = natpass('config', 'check', cfg);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nat.serverList[0].internalHost');
  }, 30_000);

  it('replays two LAN hosts talking UDP and TCP to two WAN hosts with the expected translations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-replay-'));
    const { lan, wan } = twoHostCaptures();
    writePcap(join(dir, 'in-lan.pcap'), lan);
    writePcap(join(dir, 'in-wan.pcap'), wan);
    const r = natpass('replay', '--lan', join(dir, 'in-lan.pcap'), '--wan', join(dir, 'in-wan.pcap'), '--out', join(dir, 'out'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['lan.pcap', 'wan.pcap', 'state.json']) expect(existsSync(join(dir, 'out', f))).toBe(true);
    checkPcap(join(dir, 'out', 'lan.pcap'));
    checkPcap(join(dir, 'out', 'wan.pcap'));
    const sentWan = readPcap(join(dir, 'out', 'wan.pcap')).map((x) => parseFrame(x.data)).filter((p) => p.ip);
    expect(sentWan.map((p) => `${p.ip!.src}:${(p.udp ?? p.tcp)!.sport}`)).toEqual(['198.51.100.2:40000', '198.51.100.2:51000', '198.51.100.2:51000', '198.51.100.2:1024']);
    const sentLan = readPcap(join(dir, 'out', 'lan.pcap')).map((x) => parseFrame(x.data)).filter((p) => p.ip);
    expect(sentLan.map((p) => p.ip!.dst).sort()).toEqual([H1.ip, H2.ip]);
    const state = JSON.parse(readFileSync(join(dir, 'out', 'state.json'), 'utf8'));
    expect(state.mappings).toHaveLength(3);
    expect(state.counters.nat_in2out).toBe(4);
  }, 60_000);

  it('runs the demo to completion: translations, an IPsec tunnel, and a clean exit', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', 'demo', '--pace', '0'], { encoding: 'utf8' });
    expect(out).toContain('router > WAN  UDP  198.51.100.2:40000 > 203.0.113.53:53');
    expect(out).toContain('udp 192.168.1.11:40000 <-> 198.51.100.2:1024');
    expect(out).toMatch(/IKEv2 192\.168\.1\.20 <-> 203\.0\.113\.1 {2}state bound/);
    expect(out).toContain('esp inbound spi 0xc0ffee01');
  }, 60_000);
});
