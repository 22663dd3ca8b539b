// make bench, end-to-end part: the router as a user runs it, against Linux's own NAT, in one run.
// Three network namespaces (LAN host, router, WAN host) joined by veth pairs; the router namespace runs
// either nftables masquerade or `natpass run` (V8 and wasm3) on the same two veths through AF_PACKET,
// and natpass also runs with TAP ports moved into the end namespaces (no veth on that path). Reports TCP
// throughput (iperf3), 64-byte UDP pps (host/bench/udpflood.c sends as fast as it can; delivered is
// what the WAN host's interface received, where a filter then drops it), ping RTT and natpass's CPU time per
// delivered UDP frame; Linux runs once with the veths' offloads on (its usual state, which the natpass
// setups keep too: its ports cut and merge 64 KB TCP super-frames) and once off. Median of ROUNDS rounds, setups interleaved. Root only; every address lies inside the
// namespaces created here. Writes build/bench/e2e.{md,json}.
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { parseConfig } from '../config.ts';
import { LongLivedChild, run as runCommand } from '../child.ts';

const OUT = 'build/bench';
const SECONDS = Number(process.env.E2E_SECONDS ?? 4);
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const NS = { lan: 'npb-lan', rt: 'npb-rt', wan: 'npb-wan' };
const CFG = parseConfig({});
const LAN_HOST = '192.168.1.10', SERVER = CFG.wan.gateway; // the WAN host is the router's gateway
const UDP_PAYLOAD = 18; // 14 Ethernet + 20 IP + 8 UDP + 18 = 60 bytes, 64 on a wire with its FCS
const UDP_SINK_PORT = 9; // discard; the WAN host's input filter drops it so no ICMP comes back
const FLOOD = `${OUT}/udpflood`;

type Setup = { name: string; router: 'linux' | 'natpass'; engine?: 'v8' | 'wasm3'; ports?: 'packet' | 'tap'; offloads?: boolean };
const ALL_SETUPS: Setup[] = [
  { name: 'Linux nftables masquerade', router: 'linux', offloads: true },
  { name: 'Linux nftables, offloads off', router: 'linux', offloads: false },
  { name: 'natpass V8, AF_PACKET', router: 'natpass', engine: 'v8', ports: 'packet' },
  { name: 'natpass wasm3, AF_PACKET', router: 'natpass', engine: 'wasm3', ports: 'packet' },
  { name: 'natpass V8, TAP', router: 'natpass', engine: 'v8', ports: 'tap' },
  { name: 'natpass wasm3, TAP', router: 'natpass', engine: 'wasm3', ports: 'tap' },
];

// E2E_ONLY=TEXT keeps the setups whose name contains TEXT, and Linux's first row as the reference.
const SETUPS = ALL_SETUPS.filter((s, i) => i === 0 || !process.env.E2E_ONLY || s.name.includes(process.env.E2E_ONLY));

interface Result { setup: string; tcpMbps: number; udpOfferedPps: number; udpDeliveredPps: number; rttMs: number; cpuUsPerFrame?: number; io?: string }

const run = (cmd: string, ...args: string[]) => runCommand(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...cmd: string[]) => run('ip', 'netns', 'exec', ns, ...cmd);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'nft', 'iperf3', 'ethtool', 'ping', 'cc']) {
    try { run('sh', '-c', `command -v ${tool}`); } catch { return `${tool} is not installed`; }
  }
  return null;
}

function teardown(): void {
  for (const ns of Object.values(NS)) { try { run('ip', 'netns', 'del', ns); } catch { /* not there */ } }
}

/** The end hosts and, for a veth setup, the router namespace's two links. */
function buildNamespaces(withVeth: boolean): void {
  teardown();
  for (const ns of Object.values(NS)) { run('ip', 'netns', 'add', ns); inNs(ns, 'ip', 'link', 'set', 'lo', 'up'); }
  if (!withVeth) return;
  run('ip', 'link', 'add', 'lan0', 'netns', NS.lan, 'type', 'veth', 'peer', 'name', 'rl', 'netns', NS.rt);
  run('ip', 'link', 'add', 'wan0', 'netns', NS.wan, 'type', 'veth', 'peer', 'name', 'rw', 'netns', NS.rt);
  for (const dev of ['rl', 'rw']) inNs(NS.rt, 'ip', 'link', 'set', dev, 'up');
}

/** Addresses the end hosts' interfaces (lan0, wan0) once they exist in their namespaces. */
function addressEnds(): void {
  inNs(NS.lan, 'ip', 'addr', 'add', `${LAN_HOST}/24`, 'dev', 'lan0');
  inNs(NS.lan, 'ip', 'link', 'set', 'lan0', 'up');
  inNs(NS.lan, 'ip', 'route', 'add', 'default', 'via', CFG.lan.address);
  inNs(NS.wan, 'ip', 'addr', 'add', `${SERVER}/${CFG.wan.prefix}`, 'dev', 'wan0');
  inNs(NS.wan, 'ip', 'link', 'set', 'wan0', 'up');
  inNs(NS.wan, 'nft', `add table inet sink; add chain inet sink in { type filter hook input priority 0; }; add rule inet sink in udp dport ${UDP_SINK_PORT} drop`);
}

function buildFlood(): void {
  const src = 'host/bench/udpflood.c';
  if (!existsSync(FLOOD) || statSync(FLOOD).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(OUT, { recursive: true });
    run('cc', '-O2', '-o', FLOOD, src);
  }
}

const rxPackets = () => Number(inNs(NS.wan, 'cat', '/sys/class/net/wan0/statistics/rx_packets'));

/** Linux's second row: the end hosts send whole segments with their checksums done. */
function offloadsOff(): void {
  const features = ['tso', 'off', 'gso', 'off', 'tx', 'off'];
  inNs(NS.lan, 'ethtool', '-K', 'lan0', ...features);
  inNs(NS.wan, 'ethtool', '-K', 'wan0', ...features);
}

function startLinux(s: Setup): void {
  buildNamespaces(true);
  inNs(NS.rt, 'ip', 'addr', 'add', `${CFG.lan.address}/${CFG.lan.prefix}`, 'dev', 'rl');
  inNs(NS.rt, 'ip', 'addr', 'add', `${CFG.wan.address}/${CFG.wan.prefix}`, 'dev', 'rw');
  inNs(NS.rt, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs(NS.rt, 'nft', 'add table ip nat; add chain ip nat post { type nat hook postrouting priority 100; }; add rule ip nat post oifname "rw" masquerade');
  addressEnds();
  if (!s.offloads) offloadsOff();
}

async function startNatpass(s: Setup): Promise<{ child: ChildProcess; output: () => string }> {
  buildNamespaces(s.ports === 'packet');
  const [lan, wan] = s.ports === 'packet' ? ['packet:rl', 'packet:rw'] : ['tap:lan0', 'tap:wan0'];
  const natpass = new LongLivedChild('ip', ['netns', 'exec', NS.rt, process.execPath, '--import', 'tsx', 'host/cli.ts', 'run', '--lan', lan, '--wan', wan, '--engine', s.engine!]);
  const child = natpass.proc;
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await natpass.untilReady(() => out.includes('ready'), 10_000); // a natpass that exits first fails here at once
  if (s.ports === 'tap') {
    // The TAPs natpass opened move to the end hosts; its descriptors follow them.
    inNs(NS.rt, 'ip', 'link', 'set', 'lan0', 'netns', NS.lan);
    inNs(NS.rt, 'ip', 'link', 'set', 'wan0', 'netns', NS.wan);
  }
  addressEnds(); // offloads on, as Linux ships veths: the ports cut and merge 64 KB TCP super-frames
  return { child, output: () => out };
}

async function stopNatpass(child: ChildProcess, output: () => string): Promise<string> {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, sleep(5000)]);
  return output().split('\n').find((l) => l.includes('io: batches')) ?? '';
}

/** User plus system CPU time of a process, in microseconds (/proc/PID/stat, clock ticks of 10 ms). */
function cpuUs(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = run('cat', `/proc/${pid}/stat`).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function measure(routerPid?: number): Promise<Omit<Result, 'setup'>> {
  inNs(NS.lan, 'ping', '-c', '3', '-i', '0.2', '-W', '2', SERVER); // ARP and the first session settle
  const server = spawn('ip', ['netns', 'exec', NS.wan, 'iperf3', '-s', '-B', SERVER], { stdio: 'ignore' });
  await sleep(500);
  try {
    const iperf = (...args: string[]) => JSON.parse(inNs(NS.lan, 'iperf3', '-c', SERVER, '-t', String(SECONDS), '-J', ...args));
    const tcp = iperf();
    const cpu0 = cpuUs(routerPid), rx0 = rxPackets();
    const [sent, seconds] = inNs(NS.lan, FLOOD, SERVER, String(UDP_SINK_PORT), String(SECONDS), String(UDP_PAYLOAD)).trim().split(' ').map(Number);
    await sleep(200); // frames still queued in the router arrive
    const delivered = rxPackets() - rx0, cpu = cpuUs(routerPid) - cpu0;
    const ping = inNs(NS.lan, 'ping', '-q', '-c', '100', '-i', '0.01', SERVER);
    const rtt = /= [\d.]+\/([\d.]+)\//.exec(ping);
    return {
      tcpMbps: tcp.end.sum_received.bits_per_second / 1e6,
      udpOfferedPps: sent / seconds,
      udpDeliveredPps: delivered / seconds,
      rttMs: rtt ? Number(rtt[1]) : NaN,
      cpuUsPerFrame: routerPid ? cpu / delivered : undefined,
    };
  } finally {
    server.kill();
  }
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function measureSetup(s: Setup): Promise<Result> {
  if (s.router === 'linux') {
    startLinux(s);
    return { setup: s.name, ...(await measure()) };
  }
  const { child, output } = await startNatpass(s);
  try {
    const r = await measure(child.pid);
    return { setup: s.name, ...r, io: await stopNatpass(child, output) };
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const skip = skipReason();
  if (skip) { console.log(`end-to-end bench skipped: ${skip}`); return; }
  buildFlood();
  const rounds: Result[][] = SETUPS.map(() => []);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, s] of SETUPS.entries()) {
        process.stdout.write(`end-to-end round ${round}: ${s.name} ... `);
        const r = await measureSetup(s);
        rounds[i].push(r);
        console.log(`${fmt(r.tcpMbps)} Mbit/s, ${fmt(r.udpDeliveredPps)} of ${fmt(r.udpOfferedPps)} pps, ${fmt(r.rttMs, 3)} ms`);
      }
    }
  } finally {
    teardown();
  }
  const results: Result[] = rounds.map((rs) => ({
    setup: rs[0].setup,
    tcpMbps: median(rs.map((r) => r.tcpMbps)),
    udpOfferedPps: median(rs.map((r) => r.udpOfferedPps)),
    udpDeliveredPps: median(rs.map((r) => r.udpDeliveredPps)),
    rttMs: median(rs.map((r) => r.rttMs)),
    cpuUsPerFrame: rs[0].cpuUsPerFrame === undefined ? undefined : median(rs.map((r) => r.cpuUsPerFrame!)),
    io: rs[rs.length - 1].io,
  }));
  const linux = results[0];
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    `End to end, ${date}: median of ${ROUNDS} interleaved rounds, ${SECONDS} s per measurement (iperf3 TCP; udpflood with`,
    `${UDP_PAYLOAD}-byte payloads = 64-byte frames as fast as one core sends, delivered = received at the WAN host's`,
    `interface; ping -i 0.01 x100). Ratios against the first row.`,
    '',
    '| through | TCP Mbit/s | TCP vs Linux | 64-byte UDP offered pps | delivered pps | delivered vs Linux | RTT avg ms | natpass CPU us/frame |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.setup} | ${fmt(r.tcpMbps)} | ${(r.tcpMbps / linux.tcpMbps).toFixed(2)} | ${fmt(r.udpOfferedPps)} | ${fmt(r.udpDeliveredPps)} | ${(r.udpDeliveredPps / linux.udpDeliveredPps).toFixed(2)} | ${fmt(r.rttMs, 3)} | ${r.cpuUsPerFrame === undefined ? '-' : fmt(r.cpuUsPerFrame, 1)} |`),
    '',
    `Per round, against Linux in the same round (rounds 1 / … / ${ROUNDS}):`,
    '',
    '| through | 64-byte UDP delivered vs Linux | TCP vs Linux |',
    '|---|---|---|',
    ...rounds.slice(1).map((rs) => {
      const ratio = (f: (r: Result) => number) => rs.map((r, k) => (f(r) / f(rounds[0][k])).toFixed(2)).join(' / ');
      return `| ${rs[0].setup} | ${ratio((r) => r.udpDeliveredPps)} | ${ratio((r) => r.tcpMbps)} |`;
    }),
    '',
    'Host I/O counters at the end of the last round (natpass run --stats):',
    ...results.filter((r) => r.io).map((r) => `- ${r.setup}: ${r.io!.trim()}`),
  ];
  console.log(lines.join('\n'));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/e2e.json`, JSON.stringify({ date, seconds: SECONDS, rounds: ROUNDS, results, all: rounds }, null, 2));
  writeFileSync(`${OUT}/e2e.md`, lines.join('\n') + '\n');
}

await main();
