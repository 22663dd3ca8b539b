// The command line: the same behaviour through `node --import tsx host/cli.ts`, the installed bin and
// npx; option syntax; one-line errors with exit 1 (input) or 2 (usage); replay's three outputs; the demo.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writePcap, readPcap } from '../host/pcap.ts';
import { arpReply, parseFrame, udp } from '../host/packets.ts';
import { checkPcap } from './helpers/tshark.ts';
import { twoHostCaptures, H1, H2 } from './fixtures/two-hosts.ts';

const REPO = resolve(import.meta.dirname, '..');
const ENV = { ...process.env, NO_COLOR: '1', NATPASS_DEBUG: '' };

function natpass(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', ...args], { encoding: 'utf8', env: ENV });
}

/** An error the user can act on: exactly one line on stderr, no stack frame, nothing on stdout. */
function expectOneLineError(r: ReturnType<typeof natpass>, status: number, mentions: string) {
  expect(r.status).toBe(status);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(mentions);
}

function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `natpass-${name}-`));
}

function twoHostFiles(): { dir: string; lan: string; wan: string } {
  const dir = tempDir('replay');
  const { lan, wan } = twoHostCaptures();
  writePcap(join(dir, 'in-lan.pcap'), lan);
  writePcap(join(dir, 'in-wan.pcap'), wan);
  return { dir, lan: join(dir, 'in-lan.pcap'), wan: join(dir, 'in-wan.pcap') };
}

const BAD_SERVER = { nat: { serverList: [{ protocol: 'udp', externalPort: 500, internalHost: '8.8.8.8' }] } };

// What a user who installs natpass gets: npm links the bin into node_modules/.bin and makes it executable.
describe('natpass as installed (node_modules/.bin/natpass) and through npx', () => {
  let bin = '';
  const modes = () => ['host/cli.ts', 'host/natpass.js'].map((f) => statSync(join(REPO, f)).mode & 0o777);
  let modesBefore: number[] = [];
  beforeAll(() => {
    modesBefore = modes();
    const project = tempDir('installed');
    writeFileSync(join(project, 'package.json'), '{"name":"uses-natpass","private":true}');
    execFileSync('npm', ['install', '--offline', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', REPO], { cwd: project, stdio: 'pipe' });
    bin = join(project, 'node_modules', '.bin', 'natpass');
  }, 120_000);
  const installed = (...args: string[]) => spawnSync(bin, args, { encoding: 'utf8', env: ENV, cwd: tmpdir() });

  it('prints help and refuses a bad config with exit 1, from another directory', () => {
    const top = installed('--help');
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('usage: natpass <command>');
    const help = installed('help', 'replay');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('natpass replay --lan');
    const dir = tempDir('bin');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(BAD_SERVER));
    expectOneLineError(installed('config', 'check', join(dir, 'bad.json')), 1, 'nat.serverList[0].internalHost');
  }, 60_000);

  it('runs through npx in the repository and leaves file modes in the tree as they are', () => {
    const r = spawnSync('npx', ['--offline', 'natpass', 'config', 'check', '--help'], { encoding: 'utf8', env: ENV, cwd: REPO });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('natpass config check FILE');
    const dir = tempDir('npx');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(BAD_SERVER));
    const bad = spawnSync('npx', ['--offline', 'natpass', 'config', 'check', join(dir, 'bad.json')], { encoding: 'utf8', env: ENV, cwd: REPO });
    expectOneLineError(bad, 1, 'nat.serverList[0].internalHost');
    expect(modes()).toEqual(modesBefore);
    const tracked = execFileSync('git', ['ls-files', '-s', 'host/cli.ts', 'host/natpass.js'], { cwd: REPO, encoding: 'utf8' });
    expect(tracked).toMatch(/^100644 \S+ 0\thost\/cli\.ts$/m);
    expect(tracked).toMatch(/^100755 \S+ 0\thost\/natpass\.js$/m);
  }, 60_000);
});

describe('options and errors', () => {
  it('takes --name=value and short flags', () => {
    const { dir, lan, wan } = twoHostFiles();
    const r = natpass('replay', `--lan=${lan}`, '-w', wan, '-o', join(dir, 'out'), '-e', 'v8');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('replayed 9 frames');
  }, 30_000);

  it('exits 2 on a usage error: unknown option, missing value, bad number, stray argument', () => {
    for (const [args, says] of [
      [['replay', '--lan', 'x', '--wan', 'y', '--out', 'z', '--bogus'], 'unknown option --bogus'],
      [['replay', '--lan'], '--lan needs a value'],
      [['demo', '--pace', 'soon'], '--pace must be a whole number'],
      [['demo', 'extra'], "unexpected argument 'extra'"],
      [['replay', '--wan', 'y', '--out', 'z'], '--lan is required'],
    ] as [string[], string][]) {
      const r = natpass(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(says);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  }, 60_000);

  it('replay: a missing input, a directory as input and a file as --out are one-line errors', () => {
    const { dir, lan, wan } = twoHostFiles();
    expectOneLineError(natpass('replay', '--lan', join(dir, 'nope.pcap'), '--wan', wan, '--out', join(dir, 'o1')), 1, `${join(dir, 'nope.pcap')}: cannot read: no such file`);
    mkdirSync(join(dir, 'adir'));
    expectOneLineError(natpass('replay', '--lan', lan, '--wan', join(dir, 'adir'), '--out', join(dir, 'o2')), 1, `${join(dir, 'adir')}: cannot read: is a directory`);
    writeFileSync(join(dir, 'taken'), 'x');
    expectOneLineError(natpass('replay', '--lan', lan, '--wan', wan, '--out', join(dir, 'taken')), 1, `--out ${join(dir, 'taken')}: exists and is not a directory`);
  }, 60_000);
});

// Files as an attacker or a careless editor writes them: each refusal is one line naming the file and
// the field, exit 1; a byte-order mark is not a problem.
describe('natpass config check on hostile files', () => {
  const dir = tempDir('hostile');
  const check = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return natpass('config', 'check', join(dir, name));
  };

  it('names the field of an object where text belongs, an empty key and a reversed port range', () => {
    for (const [name, text, says] of [
      ['tostring.json', '{"nat":{"filtering":{"toString":1}}}', 'nat.filtering: {"toString":1} is not one of'],
      ['cidr.json', '{"lan":{"address":{"toString":1}}}', 'lan.address: must be text in quotes, not an object'],
      ['port.json', '{"nat":{"serverList":[{"externalPort":{"toString":1},"internalHost":"192.168.1.9"}]}}', 'nat.serverList[0].externalPort: {"toString":1} is not a port'],
      ['empty.json', '{"": 1}', '[""]: is not a known setting'],
      ['null.json', '{"nat":{"mapList":[null]}}', 'nat.mapList[0]: must be an object, not null'],
      ['reversed.json', '{"nat":{"portRange":[60000,2000]}}', 'nat.portRange: [60000, 2000] is reversed'],
    ]) expectOneLineError(check(name, text), 1, `${join(dir, name)}: ${says}`);
  }, 60_000);

  it('refuses a list with a hole as JSON it cannot read, and accepts a byte-order mark', () => {
    expectOneLineError(check('holes.json', '{"ipsec":{"ikePorts":[500,,600]}}'), 1, `${join(dir, 'holes.json')}: is not valid JSON`);
    const bom = check('bom.json', '\uFEFF{"nat":{"hairpin":false}}');
    expect(bom.stderr).toBe('');
    expect(bom.stdout.trim()).toBe('ok');
  }, 30_000);

  it('lists every problem, one line each', () => {
    const r = check('many.json', '{"nat":{"fitlering":"x","portRange":[1,2]},"limits":{"batch":0}}');
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `natpass config: ${join(dir, 'many.json')}: nat.portRange[0]: 1 is out of range 1024..65535`,
      `natpass config: ${join(dir, 'many.json')}: nat.portRange[1]: 2 is out of range 1024..65535`,
      `natpass config: ${join(dir, 'many.json')}: nat.fitlering: is not a known setting (did you mean 'filtering'?)`,
      `natpass config: ${join(dir, 'many.json')}: limits.batch: 0 is out of range 1..1024`,
    ]);
  }, 30_000);
});

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
    const cfg = join(tempDir('cli'), 'bad.json');
    writeFileSync(cfg, JSON.stringify(BAD_SERVER));
    expectOneLineError(natpass('config', 'check', cfg), 1, `${cfg}: nat.serverList[0].internalHost: 8.8.8.8 is not a host on the LAN`);
  }, 30_000);

  it('replays two LAN hosts talking UDP and TCP to two WAN hosts with the expected translations', () => {
    const { dir, lan, wan } = twoHostFiles();
    const r = natpass('replay', '--lan', lan, '--wan', wan, '--out', join(dir, 'out'));
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

  it('make run installs no Debian package: the demo needs Node and npm packages only', () => {
    const plan = execFileSync('make', ['-n', '-B', 'run'], { cwd: REPO, encoding: 'utf8' });
    expect(plan).toContain('host/cli.ts demo');
    expect(plan).not.toMatch(/apt-get|dpkg/);
  }, 30_000);

  it('replay streams a long capture and reports progress with a count on stderr', () => {
    const dir = tempDir('progress');
    const frames = Array.from({ length: 3000 }, (_, i) => ({ timeMs: 1000 + i, data: udp({ srcMac: H1.mac, dstMac: '02:00:00:00:01:01', src: H1.ip, dst: '203.0.113.53', sport: 40000 + (i % 50), dport: 53 }) }));
    writePcap(join(dir, 'lan.pcap'), frames);
    writePcap(join(dir, 'wan.pcap'), [{ timeMs: 1001.5, data: arpReply({ srcMac: '02:00:00:00:02:fe', dstMac: '02:00:00:00:02:01', senderIp: '198.51.100.1', targetIp: '198.51.100.2' }) }]);
    const r = natpass('replay', '-l', join(dir, 'lan.pcap'), '-w', join(dir, 'wan.pcap'), '-o', join(dir, 'out'), '--progress', '0.000001');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('replayed 3001 frames');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^natpass replay: [\d,]+ frames, \d+% of 0\.\d MB read$/);
    expect(readPcap(join(dir, 'out', 'wan.pcap')).length).toBe(3001); // the ARP request, then every datagram
  }, 60_000);

  it('runs the demo to completion: translations, an IPsec tunnel, and a clean exit', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', 'demo', '--pace', '0'], { encoding: 'utf8' });
    expect(out).toContain('router > WAN  UDP  198.51.100.2:40000 > 203.0.113.53:53');
    expect(out).toContain('udp 192.168.1.11:40000 <-> 198.51.100.2:1024');
    expect(out).toMatch(/IKEv2 192\.168\.1\.20 <-> 203\.0\.113\.1 {2}state bound/);
    expect(out).toContain('esp inbound spi 0xc0ffee01');
    // What the router receives from the WAN is shown too, in order, with TCP flags by name.
    expect(out).toContain('router > WAN  TCP  198.51.100.2:51000 > 203.0.113.80:80 flags SYN\n' +
      '  t= 100ms  web        > router  TCP  203.0.113.80:80 > 198.51.100.2:51000 flags SYN+ACK\n' +
      '  t= 101ms  router > LAN  TCP  203.0.113.80:80 > 192.168.1.10:51000 flags SYN+ACK\n');
    expect(out).toContain('vpn-gw     > router  ESP  203.0.113.1 > 198.51.100.2 spi 0xc0ffee01');
    expect(out).not.toMatch(/flags 0x/);
  }, 60_000);
});
