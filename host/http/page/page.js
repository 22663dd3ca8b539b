// natpass status page: draws the snapshot that /events pushes each second (tunnels, advisor,
// counters, the rate chart), pages /api/flows, and logs in and changes the Server List through
// the JSON API. Text goes in with textContent only, so nothing from the router is read as markup.
'use strict';

const $ = (id) => document.getElementById(id);
const SERIES = { rx_lan: 'LAN in', tx_lan: 'LAN out', rx_wan: 'WAN in', tx_wan: 'WAN out' };
let session = { role: 'visitor' };
let last = null;
const flowView = { q: '', page: 1, size: 25 };
const FLOWS_EVERY = 5; // snapshots (seconds) between two reads of the flows table

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(c instanceof Node ? c : el('td', c));
  return tr;
}

const num = (v) => el('td', Number(v).toLocaleString('en-US'), 'num');
const mono = (v) => el('td', v, 'mono');

function age(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function fill(tableId, rows) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...rows);
}

function render(s) {
  last = s;
  $('summary').textContent = `LAN ${s.config.lan} · WAN ${s.config.wan} via ${s.config.gateway} · engine ${s.engine} · up ${age(s.uptimeMs)}`;
  $('ipsec-mode').textContent = `passthrough mode: ${s.ipsecMode}`;
  fill('tunnels', s.tunnels.length ? s.tunnels.map((t) => {
    const state = el('td', t.state, `state-${t.state.replace(/\W+/g, '-')}`);
    return row([mono(t.host), mono(t.remote), t.ikeVersion, state, mono(t.spisOut.join(' ') || '–'), mono(t.spisIn.join(' ') || '–'), t.transport, num(t.packets), el('td', age(t.ageMs), 'num')]);
  }) : [row([el('td', 'no tunnels', 'empty')])]);
  const advisor = $('advisor');
  advisor.replaceChildren(...(s.advisor.length ? s.advisor.map((f) => {
    const li = el('li');
    li.append(el('span', f.name, 'name'), ` ${f.host} → ${f.remote} (seen ${f.count}×, ${age(f.ageMs)} ago): ${f.reason}${/[.!?]$/.test(f.reason) ? '' : '.'} `, el('strong', 'Fix: '), f.fix);
    return li;
  }) : [el('li', 'No findings: every tunnel the advisor watched looks right.', 'empty')]));
  const showZero = $('show-zero').checked;
  const counterRows = (list, hot) => list.filter(([, v]) => showZero || v > 0).map(([k, v]) => {
    const tr = row([mono(k), num(v)]);
    if (hot && v > 0) tr.className = 'drop-hot';
    return tr;
  });
  fill('traffic', counterRows(s.counters.traffic, false));
  const drops = counterRows(s.counters.drops, true);
  fill('drops', drops.length ? drops : [row([el('td', 'no drops'), el('td')])]);
  $('config-line').textContent = session.role === 'superuser' ? 'you may change it' : 'read-only';
  fill('servers', s.config.serverList.length ? s.config.serverList.map((e, i) => {
    const cells = [num(i + 1), e.name, e.protocol, el('td', e.externalPort === e.externalPortEnd ? e.externalPort : `${e.externalPort}-${e.externalPortEnd}`, 'num'), mono(e.internalHost), num(e.internalPort)];
    const del = el('td');
    if (session.role === 'superuser' && i < 9) {
      const b = el('button', 'delete');
      b.type = 'button';
      b.addEventListener('click', () => changeServers({ action: 'delete', index: i + 1 }));
      del.append(b);
    }
    cells.push(del);
    return row(cells);
  }) : [row([el('td', '(no entries)')])]);
  drawChart(s.rates);
}

function drawChart(rates) {
  const svg = $('chart');
  const ns = 'http://www.w3.org/2000/svg';
  const W = 600, H = 200, L = 44, B = 18, T = 8;
  const max = Math.max(1, ...rates.flatMap((p) => Object.values(p.perSecond)));
  const top = niceCeiling(max);
  const now = rates.length ? rates[rates.length - 1].t : Date.now();
  // The window grows with the data from one minute to five, so a fresh start is not a sliver at the edge.
  const span = Math.min(300, Math.max(60, rates.length ? Math.ceil((now - rates[0].t) / 60000) * 60 : 60));
  $('chart-span').textContent = `per port, last ${span / 60} min`;
  const x = (t) => L + (W - L - 4) * (1 - (now - t) / 1000 / span);
  const y = (v) => H - B - (H - B - T) * (v / top);
  const parts = [];
  for (const f of [0, 0.5, 1]) {
    const line = document.createElementNS(ns, 'line');
    line.setAttribute('x1', L); line.setAttribute('x2', W - 4); line.setAttribute('y1', y(top * f)); line.setAttribute('y2', y(top * f));
    line.setAttribute('class', 'grid');
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', L - 6); label.setAttribute('y', y(top * f) + 4); label.setAttribute('text-anchor', 'end');
    label.textContent = String(top * f);
    parts.push(line, label);
  }
  for (const [sec, text] of [[span, `−${span / 60} min`], [span / 2, `−${span / 120} min`], [0, 'now']]) {
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', x(now - sec * 1000)); label.setAttribute('y', H - 4);
    label.setAttribute('text-anchor', sec === span ? 'start' : sec === 0 ? 'end' : 'middle');
    label.textContent = text;
    parts.push(label);
  }
  for (const k of Object.keys(SERIES)) {
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('class', `s-${k}`);
    line.setAttribute('data-series', k);
    line.setAttribute('points', rates.map((p) => `${x(p.t).toFixed(1)},${y(p.perSecond[k]).toFixed(1)}`).join(' '));
    parts.push(line);
  }
  svg.replaceChildren(...parts);
  const latest = rates.length ? rates[rates.length - 1].perSecond : {};
  $('legend').replaceChildren(...Object.entries(SERIES).map(([k, name]) => {
    const s = el('span');
    s.append(el('i', undefined, `s-${k}`), `${name} ${latest[k] ?? 0}/s`);
    return s;
  }));
}

function niceCeiling(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((c) => c >= v);
}

async function loadFlows() {
  const u = new URLSearchParams({ q: flowView.q, page: String(flowView.page), size: String(flowView.size) });
  const r = await fetch(`/api/flows?${u}`);
  if (!r.ok) return;
  const f = await r.json();
  flowView.page = f.page;
  $('flow-count').textContent = `${f.total} session(s), read ${age(f.ageMs)} ago`;
  $('flow-page').textContent = `page ${f.page} of ${f.pages} · ${f.matches} match(es)`;
  $('flow-prev').disabled = f.page <= 1;
  $('flow-next').disabled = f.page >= f.pages;
  const kind = (flags) => [flags & 1 && 'server list', flags & 2 && 'default server', flags & 4 && 'IPsec ALG', flags & 8 && 'static map'].filter(Boolean).join(', ') || 'NAPT';
  fill('flows', f.rows.length ? f.rows.map((r) => row([r.proto, mono(`${r.inAddr}:${r.inPort}`), mono(`${r.extAddr}:${r.extPort}`), mono(`${r.remAddr}:${r.remPort}`),
    r.proto === 'tcp' ? tcpState(r.tcpState) : '', kind(r.flags), num(r.pktsIn2Out), num(r.pktsOut2In), el('td', age(r.ageMs), 'num')])) : [row([el('td', 'no flows match')])]);
}

/** A session's TCP state word: the flags seen so far (assembly/nat/sessions.ts, RFC 5382 section 5). */
function tcpState(bits) {
  if (bits & 16) return 'reset';
  if ((bits & 12) === 12) return 'closed (FIN both ways)';
  if (bits & 12) return 'closing';
  if ((bits & 3) === 3) return 'established';
  return bits & 3 ? 'opening' : '';
}

async function api(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
  return { ok: r.ok, status: r.status, body: await r.json().catch(() => ({})) };
}

function say(id, text, isError) {
  $(id).textContent = text;
  $(id).className = isError ? 'message error' : 'message';
}

function showSession() {
  const inside = session.role !== 'visitor';
  $('who').textContent = inside ? `${session.name} (${session.role})` : 'read-only view';
  for (const id of ['login-name', 'login-password', 'login-button']) $(id).hidden = inside;
  $('logout-button').hidden = !inside;
  $('server-add').hidden = session.role !== 'superuser';
  if (last) render(last);
}

async function changeServers(change) {
  const password = $('sv-password').value;
  if (!password) { say('server-message', 'Give the Superuser password: every change asks for it again.', true); return; }
  say('server-message', 'checking, saving and restarting…', false);
  const r = await api('/api/server-list', { change, password });
  $('sv-password').value = '';
  say('server-message', r.ok ? r.body.message : r.body.error, !r.ok);
}

function start() {
  const events = new EventSource('/events');
  // The session table may be large: the server reads it at most every 5 s, and so does the page.
  let messages = 0;
  events.onmessage = (m) => { render(JSON.parse(m.data)); if (messages++ % FLOWS_EVERY === 0) loadFlows(); };
  events.onopen = () => { $('live').textContent = 'live'; $('live').className = 'live'; };
  events.onerror = () => { $('live').textContent = 'offline'; $('live').className = 'live off'; };
  fetch('/api/session').then((r) => r.json()).then((s) => { session = s; showSession(); });
  $('show-zero').addEventListener('change', () => last && render(last));
  $('flow-filter').addEventListener('input', (e) => { flowView.q = e.target.value; flowView.page = 1; loadFlows(); });
  $('flow-prev').addEventListener('click', () => { flowView.page--; loadFlows(); });
  $('flow-next').addEventListener('click', () => { flowView.page++; loadFlows(); });
  $('flow-size').addEventListener('change', (e) => { flowView.size = Number(e.target.value); flowView.page = 1; loadFlows(); });
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await api('/api/login', { name: $('login-name').value, password: $('login-password').value });
    $('login-password').value = '';
    if (!r.ok) { say('login-message', r.body.error, true); return; }
    session = r.body;
    $('login-name').value = '';
    say('login-message', session.role === 'superuser' ? 'Logged in as the Superuser: the Server List may be changed.' : 'Logged in read-only.', false);
    showSession();
  });
  $('logout-button').addEventListener('click', async () => {
    await api('/api/logout', {});
    session = { role: 'visitor' };
    say('login-message', 'Logged out.', false);
    showSession();
  });
  $('server-add').addEventListener('submit', (e) => {
    e.preventDefault();
    const port = (id) => ($(id).value.trim() === '' ? undefined : Number($(id).value));
    changeServers({ action: 'add', entry: { name: $('sv-name').value, protocol: $('sv-protocol').value, externalPort: port('sv-port'), internalHost: $('sv-host').value.trim(), internalPort: port('sv-internal-port') } });
  });
}

start();
