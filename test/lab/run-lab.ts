// make lab: boots one QEMU guest (Debian's kernel: kernel IPsec, strongSwan, coturn from this machine's
// root over 9p) whose two NICs are joined to a `natpass run` process over QEMU datagram links, and runs
// guest/scenarios.sh. The guest asks for each phase in turn (a file want-PHASE in the results share);
// this process restarts natpass with that phase's configuration on the same ports and answers go-PHASE.
// Writes the matrix to build/lab/matrix.md; exit code 1 when any cell's observation differs from what
// natpass documents, or when tshark finds a bad frame in any phase's captures.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CELLS, PHASES, type Phase } from './cells.ts';

const OUT = resolve('build/lab');
const RESULTS = `${OUT}/results`;
const BASE_CONFIG = JSON.parse(readFileSync('test/lab/natpass-lab.json', 'utf8'));
const TSHARK_BAD = 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.malformed || _ws.expert.severity >= "Error"';

/** natpass run's counters line ("  rx_frames=12 ..."), not its "  io: ..." line. */
const COUNTERS_LINE = /^  [a-z0-9_]+=\d/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePorts(n: number): Promise<number[]> {
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createSocket>>((r) => { const s = createSocket('udp4'); s.bind(0, '127.0.0.1', () => r(s)); })));
  const ports = socks.map((s) => s.address().port);
  socks.forEach((s) => s.close());
  return ports;
}

function phaseConfig(p: Phase): string {
  const cfg = { ...BASE_CONFIG, nat: { ...BASE_CONFIG.nat, ...p.nat }, ipsec: { ...BASE_CONFIG.ipsec, ...p.ipsec } };
  const file = `${OUT}/config-${p.name}.json`;
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** One natpass run process for a phase; resolves when it prints "ready". */
async function startNatpass(p: Phase, lan: string, wan: string): Promise<{ proc: ChildProcess; out: () => string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'host/cli.ts', 'run', '--config', phaseConfig(p),
    '--lan', lan, '--wan', wan, '--pcap', `${OUT}/pcap/${p.name}`, '--stats', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  // The guest reads natpass's counters mid-phase (guest/lib.sh natpass_counter): the latest complete stats line.
  writeFileSync(`${RESULTS}/counters.txt`, '');
  proc.stdout!.on('data', (d) => {
    out += d;
    const stats = out.slice(0, out.lastIndexOf('\n')).split('\n').filter((l) => COUNTERS_LINE.test(l)).pop();
    if (stats) writeFileSync(`${RESULTS}/counters.txt`, stats + '\n');
  });
  for (let i = 0; i < 500 && !out.includes('ready'); i++) await sleep(20);
  if (!out.includes('ready')) throw new Error(`natpass run for phase ${p.name} did not start:\n${out}`);
  return { proc, out: () => out };
}

async function stopNatpass(n: { proc: ChildProcess; out: () => string }, p: Phase): Promise<void> {
  const exited = new Promise((r) => n.proc.on('exit', r));
  n.proc.kill('SIGINT');
  await exited;
  const counters = n.out().split('\n').filter((l) => COUNTERS_LINE.test(l)).pop() ?? '';
  console.log(`natpass counters, phase ${p.name}: ${counters.trim()}`);
}

async function main(): Promise<number> {
  const kver = readFileSync(`${OUT}/kernel.version`, 'utf8').trim();
  rmSync(RESULTS, { recursive: true, force: true });
  rmSync(`${OUT}/pcap`, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  const [natLan, natWan, qLan, qWan] = await freePorts(4);
  const lan = `dgram:${natLan}:${qLan}`, wan = `dgram:${natWan}:${qWan}`;
  const nic = (id: string, local: number, remote: number, mac: string) => [
    '-netdev', `dgram,id=${id},local.type=inet,local.host=127.0.0.1,local.port=${local},remote.type=inet,remote.host=127.0.0.1,remote.port=${remote}`,
    '-device', `virtio-net-pci,netdev=${id},mac=${mac},romfile=`,
  ];
  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', [
    '-M', 'q35', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot', '-m', '1024M', '-smp', '1',
    '-kernel', `${OUT}/kernel-${kver}/vmlinux`, '-initrd', `${OUT}/initramfs.cpio.gz`,
    '-append', `console=ttyS0 quiet panic=-1 natpass.script=${resolve('test/lab/guest/scenarios.sh')}`,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${RESULTS},mount_tag=results,security_model=none`,
    ...nic('lan', qLan, natLan, '52:54:00:00:00:01'), ...nic('wan', qWan, natWan, '52:54:00:00:00:02'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let guest = '';
  let shown = 0;
  qemu.stdout.on('data', (d) => {
    guest += d;
    const lines = guest.split('\n');
    for (; shown < lines.length - 1; shown++) if (lines[shown].startsWith('lab:')) console.log(`${lines[shown].trim()} [${((Date.now() - started) / 1000).toFixed(0)} s]`);
  });
  qemu.stderr.on('data', (d) => (guest += d));
  let exited = false;
  qemu.on('exit', () => (exited = true));
  const timer = setTimeout(() => qemu.kill('SIGKILL'), 420_000);

  let running: { proc: ChildProcess; out: () => string } | null = null;
  let phase = 0;
  while (!exited) {
    if (phase < PHASES.length && existsSync(`${RESULTS}/want-${PHASES[phase].name}`)) {
      if (running) await stopNatpass(running, PHASES[phase - 1]);
      running = await startNatpass(PHASES[phase], lan, wan);
      writeFileSync(`${RESULTS}/go-${PHASES[phase].name}`, '');
      phase++;
    }
    await sleep(100);
  }
  clearTimeout(timer);
  if (running) await stopNatpass(running, PHASES[phase - 1]);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!existsSync(`${RESULTS}/done`)) {
    console.error(`lab: the guest did not finish:\n${guest.slice(-3000)}`);
    return 1;
  }

  const observed = new Map(readFileSync(`${RESULTS}/cells.txt`, 'utf8').trim().split('\n').map((l) => { const [id, r, ev] = l.split('|'); return [id, { r, ev }]; }));
  const rows = CELLS.map((c) => {
    const o = observed.get(c.id);
    return { ...c, mode: PHASES.find((p) => p.name === c.phase)!.label, observed: o?.r ?? 'not run', evidence: o?.ev.trim() ?? '', ok: o?.r === c.natpass };
  });
  const md = [
    `Lab run ${new Date().toISOString().slice(0, 10)}: Debian kernel ${kver} IPsec, strongSwan and coturn in one QEMU guest (TCG) through \`natpass run\`, ${PHASES.length} natpass configurations, ${seconds} s.`,
    '',
    '| cell | natpass mode | technote / RFC | natpass documents | observed | evidence |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.mode} | ${r.technote} | ${r.natpass} | ${r.observed}${r.ok ? '' : ' (MISMATCH)'} | ${r.evidence} |`),
  ].join('\n');
  writeFileSync(`${OUT}/matrix.md`, md + '\n');
  console.log(md);

  for (const p of PHASES.slice(0, phase)) {
    for (const side of ['lan', 'wan']) {
      const file = `${OUT}/pcap/${p.name}/${side}.pcap`;
      const bad = execFileSync('tshark', ['-r', file, '-n', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-Y', TSHARK_BAD], { encoding: 'utf8' });
      if (bad.trim()) { console.error(`lab: ${file} has bad frames:\n${bad}`); return 1; }
    }
  }
  console.log(`lab: captures of ${phase} phases pass the tshark check (${OUT}/pcap)`);
  return rows.every((r) => r.ok) ? 0 : 1;
}

process.exit(await main());
