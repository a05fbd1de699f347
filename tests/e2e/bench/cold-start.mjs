// Ringback's Rust worker against a plain-JavaScript peer that does only the
// ring path (bench/peer/), in one run, alternating rounds, each ring seen the
// same way: an extension page polling chrome.notifications.getAll every 2 ms.
//
// warm: both workers running and connected; t0 is just before the carrier's
//       POST, t1 when the probe page sees the ring.
// cold: Chrome has stopped the worker (CDP) while a call rings; t0 is when
//       the stop is seen, and the probe page at once sends the worker a
//       runtime message (which starts either worker); t1 when it sees the
//       ring. Ringback's offscreen document also starts its worker by itself.
// storm: Ringback alone. Chrome stops its worker every 3 s while a call comes
//       every 5 s, for 2 minutes; how many of the calls rang in Chrome.
//
// CONTESTANT=floor races the floor (bench/floor/, built by its build.sh)
// instead of Ringback's worker: the peer's ring path with its ringing in
// Rust, as small as a wasm worker can be, so what it costs over the peer is
// the price of wasm alone. LATENCY_MS puts the browsers that many
// milliseconds (one way) from the server, through a relay
// (latency-relay.mjs); the carrier's POSTs go straight to it.
//
// Run by `make bench` (ROUNDS, STORM_SECS to change the counts). The figures
// depend on the machine; the ratios are what to compare.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO, ROOT, SAM, launchBrowser, signIn, startServer, until } from '../harness.mjs';
import { latencyRelay } from './latency-relay.mjs';
import { buildPeer, contestant, percentile } from './race.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const CONTESTANT = process.env.CONTESTANT ?? 'ringback';
const FLOOR_DIR = join(ROOT, 'target/bench-floor');
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 0);
// The storm is Ringback's, at the machine's own distance.
const STORM_SECS = CONTESTANT === 'ringback' && !LATENCY_MS ? Number(process.env.STORM_SECS ?? 120) : 0;
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The stop storm: Ringback's worker stopped every 3 s while a call comes every 5 s. */
async function stopStorm(ours, server) {
  // The probe page keeps every ring it sees (it outlives the worker's stops).
  await ours.probe.evaluate(() => {
    globalThis.rangHere = new Set();
    setInterval(async () => {
      for (const id of Object.keys(await chrome.notifications.getAll())) globalThis.rangHere.add(id);
    }, 5);
  });
  // What happens when, in ms from the start: the stops and the calls are
  // set now; each call's hang-up, 4.5 s after it, once it is placed.
  const started = Date.now();
  const due = [];
  for (let at = 0; at < STORM_SECS * 1000; at += 3000) due.push({ at, act: 'stop' });
  for (let at = 1000; at < STORM_SECS * 1000; at += 5000) due.push({ at, act: 'call' });
  const calls = [];
  while (due.length) {
    due.sort((x, y) => x.at - y.at);
    const next = due.shift();
    await sleep(Math.max(0, started + next.at - Date.now())); // until it is due
    if (next.act === 'stop') await ours.stop();
    if (next.act === 'call') {
      const call = await server.placeCall('+14155550111', DEMO.dialer);
      calls.push(call);
      due.push({ at: next.at + 4500, act: 'hang up', call });
    }
    if (next.act === 'hang up') await server.carrierEvent(next.call, 'caller_hung_up');
  }
  const seen = new Set(await ours.probe.evaluate(() => [...globalThis.rangHere]));
  const rang = calls.filter((c) => seen.has(`ring:${c.call_id}`)).length;
  console.log(`storm  worker stopped every 3 s, a call every 5 s for ${STORM_SECS} s: ${rang} of ${calls.length} calls rang in Chrome (${((100 * rang) / calls.length).toFixed(0)} %)`);
}

const server = await startServer();
// Where the browsers reach the server: itself, or a relay LATENCY_MS away.
const relay = LATENCY_MS ? await latencyRelay(new URL(server.url).port, LATENCY_MS) : null;
const reach = relay ? { ...server, url: `http://127.0.0.1:${relay.port}` } : server;
const peerDir = buildPeer();
const oursBrowser = await launchBrowser({ microphone: false, extensionDir: CONTESTANT === 'floor' ? FLOOR_DIR : undefined });
const peerBrowser = await launchBrowser({ microphone: false, extensionDir: peerDir });
try {
  // Two reps, so each call rings one browser only.
  const demoToken = await server.signIn(DEMO);
  const samToken = await server.signIn(SAM);
  await server.updateSettings(demoToken, { ring_timeout_secs: 120 });
  await server.updateSettings(samToken, { ring_timeout_secs: 120 });
  if (CONTESTANT === 'ringback') await (await signIn(oursBrowser, reach)).close();
  const ours = await contestant(CONTESTANT, oursBrowser, DEMO.dialer, { onlyRings: CONTESTANT !== 'ringback' });
  const peer = await contestant('peer', peerBrowser, SAM.dialer, { onlyRings: true });
  // The peer (and the floor) read their session at start: store it, then
  // restart the worker.
  const startWithSession = async (c, token) => {
    await c.browser.inWorker((session) => chrome.storage.local.set({ peer: session }), { server: reach.url, token });
    await c.stop();
    await until(`the ${c.name} to connect`, async () => {
      await c.probe.evaluate(() => chrome.runtime.sendMessage({}).catch(() => {}));
      return (await server.api('GET', '/presence', { token })).online;
    });
  };
  await startWithSession(peer, samToken);
  if (CONTESTANT !== 'ringback') await startWithSession(ours, demoToken);

  const results = { [ours.name]: { warm: [], cold: [] }, peer: { warm: [], cold: [] } };
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate who goes first, so neither always runs on a warmer machine.
    const order = i % 2 === 0 ? [ours, peer] : [peer, ours];
    for (const c of order) results[c.name].warm.push(await c.warm(server));
    for (const c of order) results[c.name].cold.push(await c.cold(server));
    process.stderr.write(`\rround ${i + 1}/${ROUNDS}`);
  }
  process.stderr.write('\n');

  const who = CONTESTANT === 'floor' ? 'the floor (the least Rust/wasm worker)' : "Ringback's worker";
  const where = LATENCY_MS ? `the server ${LATENCY_MS} ms away (one way)` : 'the server on loopback';
  console.log(`ring latency, ${who} vs a plain-JS peer, ${ROUNDS} alternating rounds, ${where} (Chromium headless, this machine):`);
  for (const mode of ['warm', 'cold']) {
    const line = (name) => {
      const s = results[name][mode];
      return `${name} p50 ${percentile(s, 0.5).toFixed(1)} ms p90 ${percentile(s, 0.9).toFixed(1)} ms`;
    };
    const ratio = (q) => (percentile(results[ours.name][mode], q) / percentile(results.peer[mode], q)).toFixed(2);
    console.log(`${mode.padEnd(5)} ${line(ours.name)} | ${line('peer')} | ratio p50 ${ratio(0.5)}x p90 ${ratio(0.9)}x`);
  }
  if (STORM_SECS) await stopStorm(ours, server);
} finally {
  await oursBrowser.close();
  await peerBrowser.close();
  rmSync(peerDir, { recursive: true, force: true });
  await relay?.close();
  await server.cleanup();
}
