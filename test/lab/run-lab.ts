// make lab: boots one QEMU guest (Debian's kernel: kernel IPsec, strongSwan, coturn from this machine's
// root over 9p) whose two NICs are joined to a `natpass run` process over QEMU datagram links, and runs
// guest/scenarios.sh. The guest asks for each phase in turn (a file want-PHASE in the results share);
// this process restarts natpass with that phase's configuration on the same ports and answers go-PHASE.
// Writes the matrix to build/lab/matrix.md; exit code 1 when any cell's observation differs from what
// natpass documents, or when tshark finds a bad frame in any phase's captures.
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LongLivedChild, run } from '../../host/child.ts';
import { CELLS, PHASES, type Phase } from './cells.ts';

const OUT = resolve('build/lab');
const RESULTS = `${OUT}/results`;
const BASE_CONFIG = JSON.parse(readFileSync('test/lab/natpass-lab.json', 'utf8'));
const TSHARK_BAD = 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.malformed || _ws.expert.severity >= "Error"';
// What natpass writes or reads above UDP and TCP (the IPsec ALG, the lab's STUN), and payload left as data.
// Any other protocol there is tshark's guess from a port number: a hairpin test's random source port 47000
// made it dissect STUN as Hotline (HCrt) and call it malformed. Such frames are judged by their headers'
// checksums alone.
const OURS_ABOVE_TRANSPORT = new Set(['isakmp', 'esp', 'ah', 'udpencap', 'stun', 'classicstun', 'data', 'icmp']);

/** A bad frame (tshark's fields: number, protocols, checksum statuses) that natpass is answerable for. */
function answerable(row: string): boolean {
  const [, protocols = '', ...statuses] = row.split('\t');
  if (statuses.some((s) => s.split(',').includes('0'))) return true; // a bad checksum (status 0) is always ours
  const stack = protocols.split(':');
  const transport = stack.findIndex((p) => p === 'udp' || p === 'tcp');
  return transport < 0 || stack.slice(transport + 1).every((p) => OURS_ABOVE_TRANSPORT.has(p));
}

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

interface Natpass { child: LongLivedChild; out: () => string }

/** One natpass run process for a phase; resolves when it prints "ready", rejects at once if it exits first. */
async function startNatpass(p: Phase, lan: string, wan: string): Promise<Natpass> {
  const child = new LongLivedChild(process.execPath, ['--import', 'tsx', 'host/cli.ts', 'run', '--config', phaseConfig(p),
    '--lan', lan, '--wan', wan, '--pcap', `${OUT}/pcap/${p.name}`, '--stats', '1'], { echoStderr: true });
  let out = '';
  // The guest reads natpass's counters mid-phase (guest/lib.sh natpass_counter): the latest complete stats line.
  writeFileSync(`${RESULTS}/counters.txt`, '');
  child.proc.stdout!.on('data', (d) => {
    out += d;
    const stats = out.slice(0, out.lastIndexOf('\n')).split('\n').filter((l) => COUNTERS_LINE.test(l)).pop();
    if (stats) writeFileSync(`${RESULTS}/counters.txt`, stats + '\n');
  });
  await child.untilReady(() => out.includes('ready'), 10_000, `ready for phase ${p.name}`);
  return { child, out: () => out };
}

async function stopNatpass(n: Natpass, p: Phase): Promise<void> {
  if (!n.child.ended) {
    const exited = new Promise((r) => n.child.proc.on('exit', r));
    n.child.proc.kill('SIGINT');
    await exited;
  }
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
  const qemu = new LongLivedChild('qemu-system-x86_64', [
    '-M', 'q35', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot', '-m', '1024M', '-smp', '1',
    '-kernel', `${OUT}/kernel-${kver}/vmlinux`, '-initrd', `${OUT}/initramfs.cpio.gz`,
    '-append', `console=ttyS0 quiet panic=-1 natpass.script=${resolve('test/lab/guest/scenarios.sh')}`,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${RESULTS},mount_tag=results,security_model=none`,
    ...nic('lan', qLan, natLan, '52:54:00:00:00:01'), ...nic('wan', qWan, natWan, '52:54:00:00:00:02'),
  ]);
  let guest = '';
  let shown = 0;
  qemu.proc.stdout!.on('data', (d) => {
    guest += d;
    const lines = guest.split('\n');
    for (; shown < lines.length - 1; shown++) if (lines[shown].startsWith('lab:')) console.log(`${lines[shown].trim()} [${((Date.now() - started) / 1000).toFixed(0)} s]`);
  });
  qemu.proc.stderr!.on('data', (d) => (guest += d));
  const timer = setTimeout(() => qemu.proc.kill('SIGKILL'), 420_000);
  // A QEMU that dies at boot, or a natpass that cannot start or dies mid-phase, ends the lab at once
  // with its command line, exit code and stderr (host/child.ts), not after the 420 s timeout.
  const fail = (why: string) => {
    clearTimeout(timer);
    console.error(`lab: ${why}\nthe guest's console ends:\n${guest.slice(-3000)}`);
    if (!qemu.ended) qemu.proc.kill('SIGKILL');
    return 1;
  };
  try {
    await qemu.untilReady(() => existsSync(`${RESULTS}/want-${PHASES[0].name}`), 300_000, `booted (its guest asking for phase ${PHASES[0].name})`);
  } catch (e) {
    return fail((e as Error).message);
  }

  let running: Natpass | null = null;
  let phase = 0;
  while (!qemu.ended) {
    if (running?.child.ended) return fail(`natpass run for phase ${PHASES[phase - 1].name} ${running.child.ended}; its stderr ends:\n${running.child.stderrTail()}`);
    if (phase < PHASES.length && existsSync(`${RESULTS}/want-${PHASES[phase].name}`)) {
      if (running) await stopNatpass(running, PHASES[phase - 1]);
      try {
        running = await startNatpass(PHASES[phase], lan, wan);
      } catch (e) {
        return fail((e as Error).message);
      }
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
      let bad: string;
      try {
        const rows = run('tshark', ['-r', file, '-n', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-Y', TSHARK_BAD,
          '-T', 'fields', '-e', 'frame.number', '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status']);
        const frames = rows.split('\n').filter((r) => r.trim() && answerable(r)).map((r) => r.split('\t')[0]);
        bad = frames.length ? run('tshark', ['-r', file, '-n', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
          '-Y', `frame.number in {${frames.join(' ')}}`]) : '';
      } catch (e) {
        console.error(`lab: ${(e as Error).message}`);
        return 1;
      }
      if (bad.trim()) { console.error(`lab: ${file} has bad frames:\n${bad}`); return 1; }
    }
  }
  console.log(`lab: captures of ${phase} phases pass the tshark check (${OUT}/pcap)`);
  return rows.every((r) => r.ok) ? 0 : 1;
}

process.exit(await main());
