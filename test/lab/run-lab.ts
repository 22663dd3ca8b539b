// make lab: boots one QEMU guest (Debian's kernel, kernel IPsec) whose two NICs are joined to a
// `natpass run` process over QEMU datagram links, runs the scenarios of guest/scenarios.sh, and writes
// the technote's summary as an executable matrix to build/lab/matrix.md. Exit code 1 when any cell's
// observation differs from natpass's documented behaviour. Captures of both ports are checked by tshark.
import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const OUT = resolve('build/lab');
const RESULTS = `${OUT}/results`;

/** Each cell: what the technote says, what natpass documents, and the scenario that tests it. */
const CELLS = [
  { id: 'esp-tunnel-manual-pat', what: 'ESP tunnel mode, manual keys, through PAT', technote: 'works', natpass: 'pass' },
  { id: 'ah-tunnel-manual-pat', what: 'AH tunnel mode, manual keys, through PAT', technote: 'fails (AH authenticates the rewritten source address)', natpass: 'fail' },
  { id: 'ah-tunnel-manual-transparent', what: 'AH tunnel mode, manual keys, through a Transparent Map', technote: 'works', natpass: 'pass' },
  { id: 'esp-transport-tcp-pat', what: 'ESP transport mode, manual keys, TCP through PAT', technote: 'usually fails (TCP checksum covers the original addresses)', natpass: 'fail' },
];

async function freePorts(n: number): Promise<number[]> {
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createSocket>>((r) => { const s = createSocket('udp4'); s.bind(0, '127.0.0.1', () => r(s)); })));
  const ports = socks.map((s) => s.address().port);
  socks.forEach((s) => s.close());
  return ports;
}

async function main(): Promise<number> {
  const kver = readFileSync(`${OUT}/kernel.version`, 'utf8').trim();
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  const [natLan, natWan, qLan, qWan] = await freePorts(4);
  const natpass = spawn(process.execPath, ['--import', 'tsx', 'host/cli.ts', 'run', '--config', 'test/lab/natpass-lab.json',
    '--lan', `dgram:${natLan}:${qLan}`, '--wan', `dgram:${natWan}:${qWan}`, '--pcap', `${OUT}/pcap`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let natOut = '';
  natpass.stdout.on('data', (d) => (natOut += d));
  for (let i = 0; i < 300 && !natOut.includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
  const nic = (id: string, local: number, remote: number, mac: string) => [
    '-netdev', `dgram,id=${id},local.type=inet,local.host=127.0.0.1,local.port=${local},remote.type=inet,remote.host=127.0.0.1,remote.port=${remote}`,
    '-device', `virtio-net-pci,netdev=${id},mac=${mac},romfile=`,
  ];
  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', [
    '-M', 'q35', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot', '-m', '512M', '-smp', '1',
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
    for (; shown < lines.length - 1; shown++) if (lines[shown].startsWith('lab:')) console.log(lines[shown].trim());
  });
  qemu.stderr.on('data', (d) => (guest += d));
  const timer = setTimeout(() => qemu.kill('SIGKILL'), 240_000);
  await new Promise((r) => qemu.on('exit', r));
  clearTimeout(timer);
  natpass.kill('SIGINT');
  await new Promise((r) => natpass.on('exit', r));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!existsSync(`${RESULTS}/done`)) {
    console.error(`lab: the guest did not finish:\n${guest.slice(-3000)}`);
    return 1;
  }
  const observed = new Map(readFileSync(`${RESULTS}/cells.txt`, 'utf8').trim().split('\n').map((l) => { const [id, r, ev] = l.split('|'); return [id, { r, ev }]; }));
  const rows = CELLS.map((c) => {
    const o = observed.get(c.id);
    const ok = o?.r === c.natpass;
    return { ...c, observed: o?.r ?? 'not run', evidence: o?.ev ?? '', ok };
  });
  const md = [
    `Lab run ${new Date().toISOString().slice(0, 10)}: Debian kernel ${kver} IPsec (manual keys) in a QEMU guest through \`natpass run\` (ipsec.mode multi), ${seconds} s.`,
    '',
    '| cell | technote | natpass documents | observed | evidence |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.technote} | ${r.natpass} | ${r.observed}${r.ok ? '' : ' (MISMATCH)'} | ${r.evidence} |`),
  ].join('\n');
  writeFileSync(`${OUT}/matrix.md`, md + '\n');
  console.log(md);
  const counters = natOut.split('\n').filter((l) => l.includes('nat_in2out') || l.includes('ipsec_')).pop();
  if (counters) console.log(`natpass counters:${counters}`);
  for (const side of ['lan', 'wan']) {
    const bad = execFileSync('tshark', ['-r', `${OUT}/pcap/${side}.pcap`, '-n', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-Y', 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.malformed || _ws.expert.severity >= "Error"'], { encoding: 'utf8' });
    if (bad.trim()) { console.error(`lab: ${side}.pcap has bad frames:\n${bad}`); return 1; }
  }
  return rows.every((r) => r.ok) ? 0 : 1;
}

process.exit(await main());
