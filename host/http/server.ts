// The live status page over HTTP (node:http, no framework): the page from host/http/page/, the status
// as JSON and as server-sent events (one snapshot a second for all viewers), the flows by page. Reading
// needs no login and nothing changes on GET. Changing needs the Superuser's session cookie (HttpOnly,
// SameSite=Strict), its CSRF token, a JSON body from this origin, and the password again at the console
// (console-gate.ts). docs/status-page.md explains the whole; it listens on loopback unless told otherwise.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Router } from '../router.ts';
import type { ConsoleSession } from '../console/session.ts';
import { ConsoleGate, Role, ServerListChange } from './console-gate.ts';
import { StatusSource } from './status.ts';

const PAGE_FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/page.js': ['page.js', 'text/javascript; charset=utf-8'],
  '/page.css': ['page.css', 'text/css; charset=utf-8'],
};
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
const COOKIE = 'natpass_session';
const SESSION_IDLE_MS = 15 * 60 * 1000;
const BODY_LIMIT = 4096;
const FLOW_PAGE_MAX = 200;

export interface StatusServerOptions {
  router: Router;
  /** A console session of its own on the module's console: logins and changes go through it. */
  console: ConsoleSession;
  host: string;
  port: number;
  /** True while another console user (telnet) holds the console: the web then refuses logins. */
  consoleBusy?: () => Promise<boolean>;
  log?: (s: string) => void;
}

interface WebSession { name: string; role: Role; csrf: string; expires: number }

export interface StatusServer { url: string; port: number; close(): Promise<void> }

/** Parses --http's ADDR:PORT (or PORT alone, on 127.0.0.1); a clear message when it is not one. */
export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d+)$/.exec(spec) ?? /^()()(\d+)$/.exec(spec);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`--http wants ADDR:PORT such as 127.0.0.1:8080, not '${spec}'`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const status = new StatusSource(opts.router);
  const gate = new ConsoleGate(opts.console);
  const sessions = new Map<string, WebSession>();
  const viewers = new Set<ServerResponse>();
  const pageDir = new URL('./page/', import.meta.url);
  const pages = Object.fromEntries(Object.entries(PAGE_FILES).map(([path, [file, type]]) => [path, { body: readFileSync(new URL(file, pageDir)), type }]));
  let port = opts.port;

  const send = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(code, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const sessionOf = (req: IncomingMessage): WebSession | null => {
    const token = (req.headers.cookie ?? '').split(';').map((c) => c.trim().split('=')).find(([k]) => k === COOKIE)?.[1];
    const s = token ? sessions.get(token) : undefined;
    if (!s || !token) return null;
    if (s.expires < Date.now()) { sessions.delete(token); return null; }
    s.expires = Date.now() + SESSION_IDLE_MS;
    return s;
  };

  /** A loopback server answers only to loopback names, so a web page elsewhere cannot rebind a name to it. */
  const hostAllowed = (req: IncomingMessage) => !isLoopback(opts.host) || [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(req.headers.host ?? '');

  const readJson = (req: IncomingMessage): Promise<unknown> => new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => { size += c.length; if (size > BODY_LIMIT) { reject(new Error('body too large')); req.destroy(); } else chunks.push(c); });
    req.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { reject(new Error('body is not JSON')); } });
    req.on('error', reject);
  });

  const get = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const page = pages[url.pathname];
    if (page) { res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': page.type }); res.end(page.body); return; }
    switch (url.pathname) {
      case '/state.json': return send(res, 200, status.state());
      case '/api/status': return send(res, 200, status.snapshot());
      case '/api/session': {
        const s = sessionOf(req);
        return send(res, 200, s ? { name: s.name, role: s.role, csrf: s.csrf } : { role: 'visitor' });
      }
      case '/api/flows': {
        const size = Math.min(FLOW_PAGE_MAX, Math.max(1, Number(url.searchParams.get('size')) || 25));
        return send(res, 200, status.flows(url.searchParams.get('q') ?? '', Number(url.searchParams.get('page')) || 1, size));
      }
      case '/events': {
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
        res.write(`retry: 2000\ndata: ${JSON.stringify(status.snapshot())}\n\n`);
        viewers.add(res);
        req.on('close', () => viewers.delete(res));
        return;
      }
    }
    send(res, 404, { error: 'not found' });
  };

  const post = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'POST a JSON body (Content-Type: application/json)' });
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return send(res, 403, { error: 'cross-origin request refused' });
    const body = (await readJson(req).catch((e: Error) => ({ __error: e.message }))) as Record<string, unknown>;
    if (body === null || typeof body !== 'object' || '__error' in body) return send(res, 400, { error: (body as { __error?: string })?.__error ?? 'body must be a JSON object' });
    const session = sessionOf(req);
    switch (url.pathname) {
      case '/api/login': {
        if (await opts.consoleBusy?.()) return send(res, 503, { error: 'The console is in use (telnet): one session at a time.' });
        const r = gate.login(body.name as string, body.password as string);
        if (!r.ok) { opts.log?.(`http: failed login for '${String(body.name).slice(0, 16)}' from ${req.socket.remoteAddress}`); return send(res, r.status, { error: r.message }); }
        for (const [k, v] of sessions) if (v.expires < Date.now()) sessions.delete(k); // sessions never outlive their idle time
        const token = randomBytes(32).toString('base64url');
        const s: WebSession = { name: r.name, role: r.role, csrf: randomBytes(24).toString('base64url'), expires: Date.now() + SESSION_IDLE_MS };
        sessions.set(token, s);
        return send(res, 200, { name: s.name, role: s.role, csrf: s.csrf }, {
          'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_IDLE_MS / 1000}`,
        });
      }
      case '/api/logout': {
        if (session && req.headers['x-csrf-token'] === session.csrf) for (const [k, v] of sessions) if (v === session) sessions.delete(k);
        return send(res, 200, { role: 'visitor' }, { 'Set-Cookie': `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
      }
      case '/api/server-list': {
        if (!session) return send(res, 401, { error: 'Log in as the Superuser to change anything.' });
        if (req.headers['x-csrf-token'] !== session.csrf) return send(res, 403, { error: 'missing or wrong CSRF token' });
        if (session.role !== 'superuser') return send(res, 403, { error: 'Logged in read-only: the Superuser login is required to save changes.' });
        if (await opts.consoleBusy?.()) return send(res, 503, { error: 'The console is in use (telnet): one session at a time.' });
        const r = gate.changeServerList(session.name, body.password as string, body.change as ServerListChange);
        opts.log?.(`http: Server List change by ${session.name}: ${r.message}`);
        status.invalidate();
        return send(res, r.ok ? 200 : r.status, r.ok ? { message: r.message } : { error: r.message });
      }
    }
    send(res, 404, { error: 'not found' });
  };

  const failed = (res: ServerResponse) => (e: Error) => {
    opts.log?.(`http: ${e.message}`);
    if (!res.headersSent) send(res, 500, { error: 'internal error' });
    else res.end();
  };
  const server: Server = createServer((req, res) => {
    // The path alone, parsed as a path: "//host/x" is not a URL with another host here.
    const path = (req.url ?? '/').split('?')[0];
    const url = URL.parse('http://status.invalid' + (req.url ?? '/'));
    if (!url || !path.startsWith('/')) return send(res, 400, { error: 'bad request path' });
    if (!hostAllowed(req)) return send(res, 421, { error: 'unexpected Host header' });
    try {
      if (req.method === 'GET') return get(req, res, url);
      if (req.method === 'POST') return void post(req, res, url).catch(failed(res));
    } catch (e) {
      return failed(res)(e as Error);
    }
    send(res, 405, { error: 'GET or POST only' }, { Allow: 'GET, POST' });
  });
  const ticker = setInterval(() => {
    if (viewers.size === 0) return;
    const data = `data: ${JSON.stringify(status.snapshot())}\n\n`;
    for (const v of viewers) v.write(data);
  }, 1000);
  ticker.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      clearInterval(ticker);
      status.close();
      for (const v of viewers) v.end();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
