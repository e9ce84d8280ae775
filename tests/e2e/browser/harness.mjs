// harness.mjs - what the browser tests stand on, mirroring tests/e2e/prefdtest.py: a fresh
// database in the test cluster (tools/pg.sh), users made with `prefd user add`, prefd on a
// free port, a small API client (Node's fetch), and headless Debian Chromium through
// playwright-core with every console error and CSP violation recorded, and axe-core's accessibility
// checks run in any page.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = process.env.PREFD_BIN || path.join(TOP, 'build', 'prefd');
export const TMP = process.env.PREFD_TEST_TMP || fs.mkdtempSync('/tmp/prefd-browser-');
export const PGDIR = process.env.PREFD_TEST_PGDIR || '';
export const CHROMIUM = process.env.PREFD_CHROMIUM || '/usr/bin/chromium';
export const DATA = path.join(TOP, 'tests', 'data', 'vicuna80');

// axe-core's browser build, evaluated in the page by Browser.axe() (through the DevTools protocol,
// so the page's CSP, which allows no inline script, neither blocks it nor reports it).
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const PGSH = path.join(TOP, 'tools', 'pg.sh');

/** Runs tools/pg.sh CMD PGDIR ARGS...; returns its stdout, trimmed. */
export function pg(cmd, ...args) {
  return execFileSync('sh', [PGSH, cmd, PGDIR, ...args], { cwd: TOP, encoding: 'utf8' }).trim();
}

/** A fresh database in the test cluster: {name, url}. */
export function newDatabase(prefix) {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  pg('createdb', name);
  return { name, url: pg('url', name) };
}

/** Runs SQL in database db; rows as arrays of strings. */
export function psql(db, sql) {
  const out = execFileSync('sh', [PGSH, 'psql', PGDIR, db, '-X', '-q', '-t', '-A', '-F', '\t',
    '-v', 'ON_ERROR_STOP=1', '-c', sql], { cwd: TOP, encoding: 'utf8' });
  const text = out.replace(/\n$/, '');
  return text ? text.split('\n').map((l) => l.split('\t')) : [];
}

/** `prefd ARGS` against a database; returns stdout (throws with stderr on failure). */
export function cli(dbUrl, args, input) {
  try {
    return execFileSync(BIN, args, {
      input,
      encoding: 'utf8',
      env: { ...process.env, PREFD_DATABASE_URL: dbUrl, PREFD_SCRYPT_N: '1024' },
      timeout: 60000,
    }).trim();
  } catch (err) {
    throw new Error(`prefd ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One prefd process on a free port. */
export class Prefd {
  constructor(dbUrl, env = {}) {
    this.dbUrl = dbUrl;
    this.env = env;
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.logPath = path.join(TMP, `prefd-browser-${this.port}.log`);
    const log = fs.openSync(this.logPath, 'w');
    this.proc = spawn(BIN, [], {
      env: { ...process.env, PREFD_DATABASE_URL: this.dbUrl, PREFD_LISTEN: `127.0.0.1:${this.port}`,
        PREFD_SCRYPT_N: '1024', PREFD_DB_POOL: '4', PREFD_LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => resolve(code ?? sig)));
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`prefd exited with ${this.proc.exitCode}:\n${this.log()}`);
      try {
        const r = await fetch(`${this.url}/readyz`);
        if (r.status === 200) return this;
      } catch (_) { /* not listening yet */ }
      await sleep(50);
    }
    throw new Error(`prefd did not become ready:\n${this.log()}`);
  }

  log() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch (_) { return ''; }
  }

  /** SIGTERM and wait; returns the exit code. */
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc ? this.proc.exitCode : 0;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** A token-authenticated API client. */
export class Api {
  constructor(base, token) {
    this.base = base;
    this.token = token;
  }

  async request(method, p, { json, raw, contentType } = {}) {
    const headers = { Authorization: `Bearer ${this.token}` };
    let body;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (raw !== undefined) {
      headers['Content-Type'] = contentType || 'application/x-ndjson';
      body = raw;
    }
    const r = await fetch(this.base + p, { method, headers, body });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
    return { status: r.status, body: data, headers: r.headers, text };
  }

  get(p) { return this.request('GET', p); }
  post(p, json) { return this.request('POST', p, { json }); }
  patch(p, json) { return this.request('PATCH', p, { json }); }

  /** Like request, but throws unless the status is one of want. */
  async must(want, method, p, opts) {
    const r = await this.request(method, p, opts);
    const ok = Array.isArray(want) ? want.includes(r.status) : r.status === want;
    if (!ok) throw new Error(`${method} ${p}: expected ${want}, got ${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  }
}

/**
 * Headless Chromium with a fresh profile directory. Every page opened through newPage() records
 * console errors, uncaught exceptions, CSP violations and dialogs into `problems` / `dialogs`.
 */
export class Browser {
  async launch() {
    this.profile = fs.mkdtempSync(path.join(TMP, 'chromium-profile-'));
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage', '--lang=en-US'],
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'UTC',
      colorScheme: 'light',
      reducedMotion: 'reduce',
      acceptDownloads: true,
    });
    // Runs before the page's own scripts, outside the page's CSP (injected by the browser).
    await this.context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    this.problems = [];
    this.dialogs = [];
    this.page = this.context.pages()[0] || await this.context.newPage();
    this.watch(this.page);
    return this;
  }

  watch(page) {
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      const text = msg.text();
      const where = msg.location() && msg.location().url ? msg.location().url : '';
      // A failed API call is logged by Chromium itself ("Failed to load resource: ... 401"); the
      // pages expect and handle those (GET /me before login, the error scenarios).
      // The failure scenarios also cut the connection of some API calls on purpose.
      if (/^Failed to load resource: (the server responded with a status of|net::ERR_CONNECTION_REFUSED)/.test(text) &&
          /\/api\/v1\//.test(where)) return;
      if (msg.type() === 'warning' && !/Content Security Policy|Refused/.test(text)) return;
      this.problems.push(`console ${msg.type()} on ${page.url()}: ${text} ${where}`);
    });
    page.on('pageerror', (err) => this.problems.push(`uncaught exception on ${page.url()}: ${err.message}`));
    page.on('dialog', async (d) => {
      this.dialogs.push(`${d.type()}: ${d.message()}`);
      await d.dismiss().catch(() => {});
    });
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (r.status() >= 400 && !u.pathname.startsWith('/api/v1/')) this.problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
  }

  /**
   * axe-core on the page as it is now: its serious and critical violations, one line each (rule,
   * impact, help and up to three of the elements), [] when there is none.
   */
  async axe(page = this.page) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary ? `(${n.failureSummary.split('\n').slice(1, 2).join('').trim()})` : ''}`) }));
    });
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.join('; ')}`);
  }

  /** CSP violations the current document saw. */
  async cspViolations() {
    return this.page.evaluate(() => window.__csp || []).catch(() => []);
  }

  async close() {
    if (this.context) await this.context.close();
  }
}
