// Where a cold ring's time goes: Chrome's own trace of the worker starting
// again for a ring, read into phases, over ROUNDS cold rounds (as in
// cold-start.mjs), medians printed. CONTESTANT=ringback (the default), floor
// or peer. The worker runs from a copy whose sw.js marks the ring's
// notification request in the trace (console.timeStamp); nothing else in
// it changes. Tracing slows Chrome a little: compare the phases, not the
// totals with cold-start.mjs.
//
//   cd tests/e2e && RINGBACK_BIN=../../target/release/ringback node bench/cold-trace.mjs
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO, EXTENSION_DIR, ROOT, launchBrowser, signIn, startServer, until } from '../harness.mjs';
import { buildPeer, contestant, percentile } from './race.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const CONTESTANT = process.env.CONTESTANT ?? 'ringback';
const CATEGORIES = ['ServiceWorker', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8',
  'v8.wasm', 'disabled-by-default-v8.wasm.detailed', 'disabled-by-default-v8.compile', 'toplevel'];
const RING_MARK = 'ring asked';

/** A copy of the contestant's extension whose sw.js marks the ring's request. */
function instrumentedCopy() {
  // The peer is built into a fresh directory already; the others are copied.
  let dir = CONTESTANT === 'peer' ? buildPeer() : null;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'ringback-trace-'));
    cpSync(CONTESTANT === 'floor' ? join(ROOT, 'target/bench-floor') : EXTENSION_DIR, dir, { recursive: true });
  }
  const mark = `{ const create = chrome.notifications.create.bind(chrome.notifications);
  chrome.notifications.create = (id, ...rest) => {
    if (String(id).startsWith('ring:')) console.timeStamp(${JSON.stringify(RING_MARK)});
    return create(id, ...rest);
  }; }\n`;
  writeFileSync(join(dir, 'sw.js'), mark + readFileSync(join(dir, 'sw.js'), 'utf8'));
  return dir;
}

/** Records Chrome's trace around `work`; resolves with its events. */
async function traced(cdp, work) {
  await cdp.send('Tracing.start', {
    traceConfig: { recordMode: 'recordAsMuchAsPossible', includedCategories: CATEGORIES },
    transferMode: 'ReturnAsStream',
  });
  const result = await work();
  const complete = new Promise((done) => cdp.once('Tracing.tracingComplete', done));
  await cdp.send('Tracing.end');
  const { stream } = await complete;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const trace = JSON.parse(text);
  return { result, events: Array.isArray(trace) ? trace : trace.traceEvents };
}

/**
 * The restarted worker's phases, in ms from its thread's first task: when
 * each milestone came, and what kept its thread busy until the ring was asked for.
 */
function phases(events) {
  const workerThreads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'ServiceWorker thread');
  const onThread = (t) => events.filter((e) => e.pid === t.pid && e.tid === t.tid && e.ph !== 'M');
  // The restarted worker is the thread that started last.
  const threads = workerThreads.map(onThread).filter((list) => list.length)
    .map((list) => list.sort((a, b) => a.ts - b.ts));
  const own = threads.sort((a, b) => b[0].ts - a[0].ts)[0];
  if (!own) return null;
  const start = own[0].ts;
  const at = (e) => e && (e.ts + (e.dur ?? 0) - start) / 1000;
  const first = (name, test = () => true) => own.find((e) => e.name === name && test(e));
  const ring = first('TimeStamp', (e) => e.args?.data?.message === RING_MARK);
  if (!ring) return null;
  const before = own.filter((e) => e.ts <= ring.ts);
  // Time spent before the ring was asked for (a task running then counts up to that moment).
  const spent = (e) => (Math.min(e.ts + (e.dur ?? 0), ring.ts) - e.ts) / 1000;
  const total = (name) => before.filter((e) => e.name === name).reduce((sum, e) => sum + spent(e), 0);
  const count = (name) => before.filter((e) => e.name === name).length;
  return {
    'first turn done': at(first('ServiceWorkerGlobalScopeProxy::DidEvaluateTopLevelScript')),
    'wasm decoded': at(first('v8.wasm.compileConsume')),
    'socket created': at(first('WebSocketCreate')),
    'first frame in': at(first('WebSocketReceive')),
    'ring asked': at(ring),
    'busy: all tasks': total('RunTask'),
    'busy: wasm decode': total('v8.wasm.compileConsume'),
    'busy: wasm lazy compile': total('wasm.CompileLazy'),
    'wasm functions compiled': count('wasm.CompileLazy'),
    'busy: JS compile': total('V8.CompileCode') + total('V8.ParseFunction'),
    'JS functions compiled': count('V8.CompileCode'),
  };
}

const server = await startServer();
const dir = instrumentedCopy();
const browser = await launchBrowser({ microphone: false, extensionDir: dir });
try {
  const token = await server.signIn(DEMO);
  await server.updateSettings(token, { ring_timeout_secs: 120 });
  const ringback = CONTESTANT === 'ringback';
  if (ringback) await (await signIn(browser, server)).close();
  const c = await contestant(CONTESTANT, browser, DEMO.dialer, { onlyRings: !ringback });
  if (!ringback) {
    await browser.inWorker((session) => chrome.storage.local.set({ peer: session }), { server: server.url, token });
    await c.stop();
    await until(`the ${CONTESTANT} to connect`, async () => {
      await c.probe.evaluate(() => chrome.runtime.sendMessage({}).catch(() => {}));
      return (await server.api('GET', '/presence', { token })).online;
    });
  }
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { result: visible, events } = await traced(c.cdp, () => c.cold(server));
    const read = phases(events);
    if (read) rounds.push({ ...read, 'visible (probe, from the stop)': visible });
    process.stderr.write(`\rround ${i + 1}/${ROUNDS}`);
  }
  process.stderr.write('\n');
  console.log(`a cold ring traced, ${CONTESTANT}, median of ${rounds.length} rounds, ms from the worker thread's first task (Chromium headless, this machine):`);
  for (const key of Object.keys(rounds[0] ?? {})) {
    const values = rounds.map((r) => r[key]).filter((v) => v !== undefined);
    const shown = values.length ? percentile(values, 0.5).toFixed(key.endsWith('compiled') ? 0 : 1) : '-';
    console.log(`  ${key.padEnd(32)} ${shown}`);
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
  await server.cleanup();
}
