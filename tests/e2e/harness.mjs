// Real parts for the end-to-end tests: the `ringback` server binary on a
// fresh SQLite file, a fake CRM (login redirect + strict CSP), and Debian's
// Chromium with the built extension loaded, driven by Playwright.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXTENSION_DIR = join(ROOT, 'target/extension');
export const SERVER_BIN = process.env.RINGBACK_BIN ?? join(ROOT, 'target/debug/ringback');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/lib/chromium/chromium';
export const EXTENSION_ID = 'nafkmlnfjibleaaleiboephocipcbbpk';
export const CARRIER_TOKEN = 'demo-carrier-token';
export const DEMO = { email: 'rep@demo.ringback.test', password: 'ringback-demo', dialer: '+14155550100' };
/** The demo team's second rep (not an admin), with People and calls of their own. */
export const SAM = { email: 'sam@demo.ringback.test', password: 'ringback-demo', dialer: '+14155550101' };

/** Poll `check` until it returns a truthy value; the error names what never happened. */
export async function until(what, check, { timeout = 15000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(interval);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
}

export function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
    probe.on('error', fail);
  });
}

export function freeUdpPort() {
  return new Promise((ok, fail) => {
    const probe = createSocket('udp4');
    probe.once('error', fail);
    probe.bind(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

/**
 * The real server: `ringback serve --demo` on a free port and its own data
 * dir (or `dataDir`, which several instances may share), with `extraArgs`
 * (a cluster's database and NATS). `server.sockets()` counts the sockets
 * this instance holds (its Prometheus metrics).
 */
export async function startServer({ dataDir = mkdtempSync(join(tmpdir(), 'ringback-e2e-')), extraArgs = [] } = {}) {
  const port = await freePort();
  const sipPort = await freePort();
  const metrics = `127.0.0.1:${await freePort()}`;
  const url = `http://127.0.0.1:${port}`;
  const server = { url, dataDir, sip: `127.0.0.1:${sipPort}`, process: null, log: [] };

  server.start = async () => {
    const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--sip-listen', server.sip,
      '--metrics-listen', metrics, ...extraArgs];
    const child = spawn(SERVER_BIN, args, {
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => server.log.push(String(d)));
    child.stderr.on('data', (d) => server.log.push(String(d)));
    server.process = child;
    await until(`the server on ${url}`, async () => (await fetch(`${url}/healthz`)).ok);
  };
  server.stop = async () => {
    const child = server.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
  };
  server.cleanup = async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };

  server.api = async (method, path, { token, body, carrier } = {}) => {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const bearer = carrier ? CARRIER_TOKEN : token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return json;
  };
  server.sockets = async () => {
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    return Number(/^ringback_sockets (\d+)$/m.exec(text)?.[1] ?? NaN);
  };
  server.signIn = async (who = DEMO) => (await server.api('POST', '/sessions', { body: { email: who.email, password: who.password } })).token;

  let carrierCalls = 0;
  /** A prospect calls the rep's dialer number, as the carrier would report it. */
  server.placeCall = async (from, to = DEMO.dialer) => {
    const carrier_call_id = `e2e-${Date.now()}-${++carrierCalls}`;
    const routed = await server.api('POST', '/carrier/inbound', {
      carrier: true,
      body: { from, to, carrier_call_id },
    });
    return { ...routed, carrier_call_id };
  };
  /** Changes some of a rep's dialer settings, keeping the rest. */
  server.updateSettings = async (token, changes) => {
    const settings = await server.api('GET', '/settings/dialer', { token });
    return server.api('PUT', '/settings/dialer', { token, body: { ...settings, ...changes } });
  };
  server.carrierEvent = (call, event) =>
    server.api('POST', '/carrier/events', { carrier: true, body: { carrier_call_id: call.carrier_call_id, event } });
  /** A call answered on the forwarding phone, hung up, then logged through the API as the dialer would. */
  server.loggedCall = async (from, token, log) => {
    const call = await server.placeCall(from);
    await server.carrierEvent(call, 'phone_answered');
    await server.carrierEvent(call, 'phone_hung_up');
    await server.api('POST', `/calls/${call.call_id}/log`, { token, body: log });
    return call;
  };

  await server.start();
  return server;
}

let sippRuns = 0;
/**
 * Runs sipp with `args` in `dir` (its working directory, removed once it
 * exits); `done` resolves with its exit code, error log and output.
 */
function runSipp(dir, args) {
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise((ok) => child.once('exit', (code) => {
    let errors = '';
    try { errors = readFileSync(join(dir, 'errors.log'), 'utf8'); } catch { /* none */ }
    rmSync(dir, { recursive: true, force: true });
    ok({ code, errors, output });
  }));
  return { done, kill: () => child.kill('SIGKILL') };
}

/**
 * sipp as a phone Ringback dials (the prospect of an outbound call): waits
 * on UDP `port` for the INVITE and plays `tests/sipp/<scenario>` once,
 * ringing `pauseMs` before it answers and echoing the audio it gets.
 * `extra`: more arguments (`-key name value` for the scenario's `[name]`).
 * Returns a promise of the exit.
 */
export async function sippPhone(scenario, port, { pauseMs = 1000, extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ringback-sipp-'));
  const mediaPort = await freeUdpPort();
  const args = [
    '-sf', join(ROOT, 'tests/sipp', scenario), '-p', String(port), '-d', String(pauseMs), '-m', '1',
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', String(mediaPort), '-rtp_echo',
    '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log'), '-timeout', '80s', ...extra,
  ];
  return runSipp(dir, args);
}

/**
 * sipp (Debian's sip-tester) as the carrier: runs `tests/sipp/<scenario>`
 * once against `server`'s SIP trunk, calling `dialed` from `from`, with
 * `pauseMs` as its -d (how long it talks, or rings before CANCEL). Its
 * working directory holds the prospect's voice as mu-law. Returns the
 * carrier id the server files the call under, and a promise of the exit.
 */
export async function sipp(server, scenario, { dialed = DEMO.dialer, from, pauseMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'ringback-sipp-'));
  const voice = spawnSync(SERVER_BIN, ['carrier-voice', join(dir, 'voice.ulaw')]);
  if (voice.status !== 0) throw new Error(`ringback carrier-voice failed: ${voice.stderr}`);
  const callId = `e2e-sipp-${process.pid}-${++sippRuns}`;
  const mediaPort = await freeUdpPort();
  const args = [
    '-sf', join(ROOT, 'tests/sipp', scenario), '-s', dialed, '-key', 'from', from,
    '-d', String(pauseMs), '-m', '1', '-i', '127.0.0.1', '-mi', '127.0.0.1',
    '-mp', String(mediaPort), '-cid_str', callId,
    '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log'), '-timeout', '80s', '-timeout_error', server.sip,
  ];
  return { carrierCallId: `sip:${callId}`, ...runSipp(dir, args) };
}

/**
 * A CRM like the ones reps use: the record page needs a login first (a
 * redirect to a form), and every page forbids inline and foreign script with
 * `Content-Security-Policy: script-src 'self'`, as Salesforce does.
 */
export async function startCrm() {
  const csp = "script-src 'self'; object-src 'none'";
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://crm');
    const signedIn = (request.headers.cookie ?? '').includes('crm_session=ok');
    const send = (status, body, headers = {}) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, ...headers });
      response.end(body);
    };
    if (url.pathname === '/login' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const next = new URLSearchParams(body).get('next') || '/';
        send(303, '', { location: next, 'set-cookie': 'crm_session=ok; Path=/; HttpOnly' });
      });
      return;
    }
    if (url.pathname === '/login') {
      const next = url.searchParams.get('next') ?? '/';
      return send(200, `<!doctype html><title>CRM login</title><h1>Sign in to the CRM</h1>
        <form method="post" action="/login"><input type="hidden" name="next" value="${next.replace(/"/g, '')}">
        <input name="user" id="crm-user"><button id="crm-login">Sign in</button></form>`);
    }
    if (url.pathname === '/framed-panel') {
      // A page that frames the (web-accessible) panel on its own.
      return send(200, `<!doctype html><title>Framing</title><iframe src="chrome-extension://${EXTENSION_ID}/panel.html"></iframe>`);
    }
    const record = url.pathname.match(/^\/contacts\/([a-z-]+)$/);
    if (record) {
      if (!signedIn) return send(302, '', { location: `/login?next=${encodeURIComponent(url.pathname)}` });
      return send(200, `<!doctype html><title>Contact ${record[1]}</title><h1 id="record">Contact: ${record[1]}</h1>
        <p>Mobile: <a id="tel" href="tel:+1%20415%20555%200177">+1 415 555 0177</a></p>
        <script>document.title = 'inline script ran';</script>`);
    }
    send(404, '<h1>Not found</h1>');
  });
  const port = await freePort();
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Flags that let Chromium run headless as root on this closed network. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Chromium with the built extension, headless. `microphone: false` leaves the
 * permission unasked; `extensionDir` loads another build (the benchmark's peer).
 */
export async function launchBrowser({ microphone = true, extensionDir = EXTENSION_DIR, extraArgs = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'ringback-chromium-'));
  const args = [
    ...CHROMIUM_FLAGS,
    '--autoplay-policy=no-user-gesture-required',
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
    ...extraArgs,
  ];
  if (microphone) args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
  });
  const browser = { context, profile };
  browser.worker = async () => {
    const live = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`));
    return live ?? context.waitForEvent('serviceworker', { timeout: 15000 });
  };
  browser.inWorker = async (fn, arg) => (await browser.worker()).evaluate(fn, arg);
  // Read-only checks run in an extension page of their own: it sees the same
  // chrome.* state, does not wake the worker, and outlives a worker restart
  // (Playwright does not report a restarted worker as a new one).
  let probe;
  browser.inExtension = async (fn, arg) => {
    if (!probe || probe.isClosed()) {
      probe = await context.newPage();
      await probe.goto(`chrome-extension://${EXTENSION_ID}/manifest.json`);
    }
    return probe.evaluate(fn, arg);
  };
  browser.notificationIds = async () => Object.keys(await browser.inExtension(() => chrome.notifications.getAll()));
  browser.badge = () => browser.inExtension(() => chrome.action.getBadgeText({}));
  /** Record what the worker asks Chrome to show, to read it back (Chrome has no getter). */
  browser.spyOnNotifications = () =>
    browser.inWorker(() => {
      if (globalThis.__shown) return;
      globalThis.__shown = [];
      const create = chrome.notifications.create.bind(chrome.notifications);
      chrome.notifications.create = (id, options) => {
        globalThis.__shown.push({ id, options });
        return create(id, options);
      };
    });
  browser.shown = (id) => browser.inWorker((id) => globalThis.__shown?.find((n) => n.id === id)?.options ?? null, id);
  /** A click on a notification button, as Chrome would deliver it (headless notifications cannot be clicked). */
  browser.press = (id, button) => browser.inWorker(([id, button]) => chrome.notifications.onButtonClicked.dispatch(id, button), [id, button]);
  browser.ringtone = () =>
    browser.inExtension(async () => {
      const contexts = await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] });
      if (contexts.length === 0) return { ringing: false, document: false };
      const status = await chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' });
      return { ...status, document: true };
    });
  /**
   * Stop the extension's worker as Chrome does when it idles, through CDP
   * (while a CDP client is attached Chrome never stops it on its own).
   * Resolves once it is stopped; `restarted()` resolves when it runs again.
   */
  browser.stopWorker = async () => {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const states = [];
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => states.push(...versions.map((v) => v.runningStatus)));
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await until('Chrome to stop the worker', async () => states.includes('stopped'));
    return {
      restarted: () => until('the worker to start again', async () => states.lastIndexOf('running') > states.indexOf('stopped'), { timeout: 60000, interval: 250 }),
      done: async () => {
        await cdp.detach();
        await page.close();
      },
    };
  };
  browser.close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return browser;
}

/** Plain headless Chromium (no extension) for the server's own web pages. */
export async function launchPlainBrowser() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  return browser;
}

/**
 * Chromium with the extension, signed in to `server` through its options
 * page (which opens on install), recording the notifications it shows.
 */
export async function signedInBrowser(server) {
  const browser = await launchBrowser();
  await until('the options page to open on install', () =>
    browser.context.pages().some((p) => p.url().startsWith(`chrome-extension://${EXTENSION_ID}/options.html`)));
  const options = await signIn(browser, server);
  await options.close();
  await browser.spyOnNotifications();
  return browser;
}

/**
 * The demo rep's API token, with calls ringing long enough (120 s) for
 * anything a test does, and Chromium signed in to `server`.
 */
export async function signedInWithLongRings(server) {
  const token = await server.signIn();
  await server.updateSettings(token, { ring_timeout_secs: 120 });
  const browser = await signedInBrowser(server);
  return { token, browser };
}

/** Sign in on the extension's options page, as a rep would. */
export async function signIn(browser, server) {
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
  await page.fill('#server', server.url);
  await page.fill('#email', DEMO.email);
  await page.fill('#password', DEMO.password);
  await page.click('#sign-in-button');
  await page.waitForSelector('#rep-name');
  await page.waitForSelector('#connection[data-state="online"]');
  return page;
}

/** The Dialer Everywhere iframe inside a CRM tab. It is framed at the
 * extension's per-session dynamic URL, which Chromium reports as the static
 * one once loaded. */
export async function panelFrame(page) {
  return until('the panel iframe in the CRM tab', () =>
    page.frames().find((frame) => /^chrome-extension:\/\/[^/]+\/panel\.html/.test(frame.url())));
}
