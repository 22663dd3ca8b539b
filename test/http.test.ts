// The live status page in a real browser: `natpass demo --http` on a free port, Debian's chromium
// driven by puppeteer-core. What the page shows must match the router's own dump (state.json, read
// before and after the page so live counters are bracketed); the chart must move while the demo's
// hosts talk; a visitor or guest cannot change anything, the Superuser can, and wrong passwords back off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import puppeteer, { Browser, Page } from 'puppeteer-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = 'build/status-page.png';

interface StateJson {
  counters: Record<string, number>;
  advisor: { name: string; host: string; remote: string; reason: string; fix: string }[];
  ipsec: { ikeSessions: { host: string; remote: string; version: string; state: string }[]; sas: { host: string; remote: string; spi: string; direction: string; packets: number; sharedWith: string[] }[] };
}

let demo: ChildProcess;
let browser: Browser;
let page: Page;
let url = '';

async function startDemo(): Promise<string> {
  demo = spawn(process.execPath, ['--import', 'tsx', 'host/cli.ts', 'demo', '--pace', '0', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // The page is served from the start; wait for the script to end so the tunnel is up.
      const m = /steady traffic .*?(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    demo.once('exit', (code) => reject(new Error(`natpass demo exited (${code}) before serving:\n${out}`)));
  });
}

const state = async (): Promise<StateJson> => (await fetch(url + 'state.json')).json() as Promise<StateJson>;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const cellTexts = (p: Page, table: string) =>
  p.$$eval(`#${table} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
const localeNumber = (s: string) => Number(s.replace(/,/g, ''));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: make deps installs Debian's chromium (or set CHROMIUM)`);
  url = await startDemo();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#tunnels tbody td.mono') !== null, { timeout: 15_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  demo?.kill('SIGINT');
});

describe('status page (natpass demo --http, headless chromium)', () => {
  it('shows the tunnels and counters that the router dumps in state.json', async () => {
    // The page catches up within a snapshot (a second): the phone's tunnel and its finding come just after the script.
    const settled = await state();
    await page.waitForFunction((t, f) => document.querySelectorAll('#tunnels tbody tr').length === t && document.querySelectorAll('#advisor li:not(.empty)').length === f,
      { timeout: 5000 }, settled.ipsec.ikeSessions.length, settled.advisor.length);
    const before = await state() as StateJson & { engine: string };
    expect(before.engine).toBe(process.env.NATPASS_ENGINE ?? 'v8'); // the demo runs on the suite's engine
    expect(await page.$eval('#summary', (e) => e.textContent)).toContain(`engine ${before.engine}`);
    const tunnels = await cellTexts(page, 'tunnels');
    const traffic = await cellTexts(page, 'traffic');
    const after = await state();
    // The tunnel table: one row per LAN host and remote gateway, its IKE session and both SPIs.
    expect(before.ipsec.ikeSessions.length).toBeGreaterThan(0);
    expect(tunnels).toHaveLength(before.ipsec.ikeSessions.length);
    for (const ike of before.ipsec.ikeSessions) {
      const row = tunnels.find((r) => r[0] === ike.host && r[1] === ike.remote);
      expect(row, `tunnel ${ike.host} <-> ${ike.remote}`).toBeDefined();
      const sas = before.ipsec.sas.filter((a) => a.host === ike.host && a.remote === ike.remote);
      const spis = (dir: string) => sas.filter((a) => a.direction === dir).map((a) => a.spi + (a.sharedWith.length ? ` (shared with ${a.sharedWith.join(', ')})` : '')).join(' ') || '–';
      expect(row!.slice(2, 6)).toEqual([ike.version, ike.state, spis('outbound'), spis('inbound')]);
      const packets = (s: StateJson) => s.ipsec.sas.filter((a) => a.host === ike.host && a.remote === ike.remote).reduce((n, a) => n + a.packets, 0);
      expect(localeNumber(row![7])).toBeGreaterThanOrEqual(packets(before) - 10); // the page's copy may be up to a second older
      expect(localeNumber(row![7])).toBeLessThanOrEqual(packets(after));
      expect(row![6]).toMatch(sas.length ? /^raw ESP \(IP 50\)$/ : /^raw \(no SA yet\)$/); // the demo's peers do not float to UDP 4500
    }
    // The demo's phone negotiates IKEv1 without NAT-T: the advisor's finding, its reason and its fix.
    const advisor = await page.$$eval('#advisor li', (items) => items.map((li) => li.textContent ?? ''));
    expect(before.advisor.length).toBeGreaterThan(0);
    expect(advisor).toHaveLength(before.advisor.length);
    before.advisor.forEach((f, i) => {
      for (const part of [f.name, `${f.host} → ${f.remote}`, f.reason, f.fix]) expect(advisor[i]).toContain(part);
    });
    // Counters: every one shown is the router's, between the dump before and the dump after
    // (the page's snapshot may be a second older than the first dump); every non-zero one is shown.
    const shown = new Map(traffic.map(([k, v]) => [k, localeNumber(v)]));
    expect(shown.get('ipsec_esp_in2out')).toBeGreaterThan(0);
    for (const [k, v] of shown) {
      expect(v, k).toBeLessThanOrEqual(after.counters[k]);
      expect(v, k).toBeGreaterThanOrEqual(0);
    }
    const nonZeroBefore = Object.entries(before.counters).filter(([k, v]) => v > 0 && !k.startsWith('drop_') && k !== 'out_ring_full').map(([k]) => k);
    for (const k of nonZeroBefore) expect(shown.has(k), k).toBe(true);
    // Drop reasons are listed by name (all of them with "show zeros").
    await page.click('#show-zero');
    await page.waitForFunction(() => document.querySelectorAll('#drops tbody tr').length > 5);
    const drops = (await cellTexts(page, 'drops')).map((r) => r[0]);
    expect(drops).toEqual(Object.keys(after.counters).filter((k) => k.startsWith('drop_') || k === 'out_ring_full'));
    await page.click('#show-zero');
  }, 30_000);

  it('moves the rate chart while the demo hosts send frames', async () => {
    const line = () => page.$eval('#chart polyline[data-series="rx_lan"]', (p) => p.getAttribute('points') ?? '');
    const legend = () => page.$eval('#legend', (e) => e.textContent ?? '');
    await page.waitForFunction(() => (document.querySelector('#chart polyline[data-series="rx_lan"]')?.getAttribute('points') ?? '').split(' ').length >= 2, { timeout: 10_000 });
    const first = await line();
    await new Promise((r) => setTimeout(r, 2500));
    const second = await line();
    expect(second).not.toBe(first);
    expect(second.split(' ').length).toBeGreaterThan(first.split(' ').length);
    // The demo's VPN client sends five ESP frames a second: the newest LAN-in rate is above zero,
    // so its point lies above the chart's baseline.
    expect(Number(/LAN in ([\d.]+)\/s/.exec(await legend())![1])).toBeGreaterThan(0);
    const lastY = Number(second.split(' ').pop()!.split(',')[1]);
    // The zero line is the lowest grid line (every sample may be above it when the rate is steady).
    const baseY = await page.$eval('#chart', (svg) => Math.max(...[...svg.querySelectorAll('line.grid')].map((l) => Number(l.getAttribute('y1')))));
    expect(lastY).toBeLessThan(baseY);
    mkdirSync('build', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 30_000);

  it('pages and filters the flows table, rows as the router dumps them', async () => {
    // The demo's phone looks a name up from a new port every two seconds: soon more than one page of 10.
    await page.select('#flow-size', '10');
    await page.waitForFunction(() => /page 1 of [2-9]/.test(document.querySelector('#flow-page')?.textContent ?? ''), { timeout: 20_000 });
    const sessions = ((await state()) as unknown as { sessions: { proto: string; inAddr: string; inPort: number; remAddr: string; remPort: number }[] }).sessions;
    const inside = new Set(sessions.map((s) => `${s.inAddr}:${s.inPort}`));
    const first = await cellTexts(page, 'flows');
    expect(first).toHaveLength(10);
    await page.click('#flow-next');
    await page.waitForFunction(() => /page 2 of/.test(document.querySelector('#flow-page')?.textContent ?? ''));
    const second = await cellTexts(page, 'flows');
    expect(second.length).toBeGreaterThan(0);
    for (const r of [...first, ...second]) expect(inside.has(r[1]), r[1]).toBe(true); // every row is a session the router holds
    expect(new Set([...first, ...second].map((r) => r[1])).size).toBe(first.length + second.length); // no row on both pages
    await page.type('#flow-filter', '192.168.1.11:41001');
    await page.waitForFunction(() => /· 1 match/.test(document.querySelector('#flow-page')?.textContent ?? ''));
    const only = await cellTexts(page, 'flows');
    expect(only.map((r) => [r[0], r[1], r[3]])).toEqual([['udp', '192.168.1.11:41001', '203.0.113.53:53']]);
    await page.$eval('#flow-filter', (e) => ((e as HTMLInputElement).value = ''));
    await page.select('#flow-size', '25');
  }, 30_000);

  it('lets neither a visitor nor a guest change anything, and GET changes nothing', async () => {
    const servers = async () => ((await (await fetch(url + 'api/status')).json()) as { config: { serverList: unknown[] } }).config.serverList;
    const entry = { name: 'x', protocol: 'udp', externalPort: 500, internalHost: '192.168.1.20' };
    const change = { password: 'admin', change: { action: 'add', entry } };
    expect((await post('api/server-list', change)).status).toBe(401); // no session
    expect((await fetch(url + 'api/server-list')).status).toBe(404); // nothing is changed by GET
    expect((await fetch(url + 'api/server-list', { method: 'PUT' })).status).toBe(405);
    // A cross-site page cannot post: no JSON without a preflight, and a foreign Origin is refused.
    expect((await fetch(url + 'api/login', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"name":"admin","password":"admin"}' })).status).toBe(415);
    expect((await post('api/login', { name: 'admin', password: 'admin' }, { Origin: 'http://evil.example' })).status).toBe(403);
    // The guest logs in through the page: read-only, no editor, and the API refuses its change.
    await page.type('#login-name', 'guest');
    await page.type('#login-password', 'guest');
    await page.click('#login-button');
    await page.waitForFunction(() => document.querySelector('#who')?.textContent === 'guest (read-only)');
    expect(await page.$eval('#server-add', (f) => (f as HTMLElement).hidden)).toBe(true);
    const cookie = (await browser.cookies()).find((c) => c.name === 'natpass_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: the page's script cannot read it
    const guestTry = await page.evaluate(async (body) => {
      const s = await (await fetch('/api/session')).json();
      const r = await fetch('/api/server-list', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    }, change);
    expect(guestTry.status).toBe(403);
    expect(guestTry.body.error).toContain('Superuser');
    expect(await servers()).toEqual([]);
    await page.click('#logout-button');
    await page.waitForFunction(() => document.querySelector('#who')?.textContent === 'read-only view');
  }, 30_000);

  it('lets the Superuser add a Server List entry, checked and applied as at the console', async () => {
    await page.type('#login-name', 'admin');
    await page.type('#login-password', 'admin');
    await page.click('#login-button');
    await page.waitForFunction(() => document.querySelector('#who')?.textContent === 'admin (superuser)');
    // Without the CSRF token the session cookie alone is not enough.
    const noToken = await page.evaluate(async () => (await fetch('/api/server-list', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
    expect(noToken).toBe(403);
    // A host off the LAN is refused by the module's own check, with the console's words.
    await page.type('#sv-name', 'offlan');
    await page.type('#sv-port', '8080');
    await page.type('#sv-host', '10.9.9.9');
    await page.type('#sv-password', 'admin');
    await page.click('#sv-add');
    await page.waitForFunction(() => /Not saved/.test(document.querySelector('#server-message')?.textContent ?? ''));
    for (const id of ['#sv-name', '#sv-port', '#sv-host']) await page.$eval(id, (e) => ((e as HTMLInputElement).value = ''));
    await page.type('#sv-name', 'vpn-client');
    await page.type('#sv-port', '500');
    await page.type('#sv-host', '192.168.1.20');
    await page.type('#sv-password', 'admin');
    await page.click('#sv-add');
    await page.waitForFunction(() => /saved/.test(document.querySelector('#server-message')?.textContent ?? '') && !/Not saved/.test(document.querySelector('#server-message')?.textContent ?? ''));
    const list = ((await (await fetch(url + 'api/status')).json()) as { config: { serverList: unknown[] } }).config.serverList;
    expect(list).toEqual([{ name: 'vpn-client', protocol: 'udp', externalPort: 500, externalPortEnd: 500, internalHost: '192.168.1.20', internalPort: 500 }]);
    await page.waitForFunction(() => [...document.querySelectorAll('#servers td')].some((td) => td.textContent === 'vpn-client'), { timeout: 5000 });
    await page.click('#logout-button');
  }, 30_000);

  it('backs off wrong passwords as the console does, even for the right one afterwards', async () => {
    const tries = [];
    for (let i = 0; i < 4; i++) tries.push((await post('api/login', { name: 'admin', password: 'wrong' + i })).status);
    expect(tries.slice(0, 2)).toEqual([401, 401]);
    expect(tries.slice(2)).toEqual([429, 429]);
    const right = await post('api/login', { name: 'admin', password: 'admin' });
    expect(right.status).toBe(429);
    expect(right.headers.get('set-cookie')).toBeNull();
  }, 30_000);
});
