// What the ring races (cold-start.mjs, cold-trace.mjs) share: the plain-JS
// peer's build, and a contestant, a browser whose ring the bench times.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EXTENSION_ID, ROOT, until } from '../harness.mjs';

const now = () => performance.timeOrigin + performance.now();

/** The peer, unpacked with Ringback's manifest key (so the same Origin). */
export function buildPeer() {
  const dir = mkdtempSync(join(tmpdir(), 'ringback-peer-'));
  const key = readFileSync(join(ROOT, 'static/manifest-key.pub'), 'utf8').replace(/\n/g, '');
  const manifest = readFileSync(join(ROOT, 'tests/e2e/bench/peer/manifest.json'), 'utf8').replace('@MANIFEST_KEY@', key);
  writeFileSync(join(dir, 'manifest.json'), manifest);
  copyFileSync(join(ROOT, 'tests/e2e/bench/peer/sw.js'), join(dir, 'sw.js'));
  copyFileSync(join(ROOT, 'static/icons/icon-128.png'), join(dir, 'icon-128.png'));
  return dir;
}

/**
 * One browser under test: its probe page, and a CDP session that sees the
 * worker stop. `onlyRings`: the peer, which shows rings and nothing else (the
 * bench takes its notifications down, and it stores no calls).
 */
export async function contestant(name, browser, dialer, { onlyRings }) {
  const probe = await browser.context.newPage();
  await probe.goto(`chrome-extension://${EXTENSION_ID}/manifest.json`);
  const cdp = await browser.context.newCDPSession(probe);
  const states = [];
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => states.push(...versions.map((v) => v.runningStatus)));
  await cdp.send('ServiceWorker.enable');
  /** The rings showing now, to tell a new one by. */
  const ringsNow = () => probe.evaluate(async () => Object.keys(await chrome.notifications.getAll()));
  /** Resolves with the time the probe first sees a ring not in `known`, polling every 2 ms. */
  const nextRing = (known) => probe.evaluate(async (known) => {
    for (;;) {
      const ids = Object.keys(await chrome.notifications.getAll());
      if (ids.some((id) => id.startsWith('ring:') && !known.includes(id))) return performance.timeOrigin + performance.now();
      await new Promise((ok) => setTimeout(ok, 2));
    }
  }, known);
  /** The ring of `callId` is over here, and so is all that follows it. */
  const cleared = async (callId) => {
    const id = `ring:${callId}`;
    // The peer does only the ring path: the bench takes its notification down.
    if (onlyRings) await probe.evaluate((id) => chrome.notifications.clear(id), id);
    await gone(id);
    if (!onlyRings) {
      // Ringback then says the call was missed (a notification, the badge):
      // the next round starts once it has, so it is not timed alongside.
      const missed = `missed:${callId}`;
      await until(`${name}: the missed-call notice`, () => probe.evaluate(async (id) => Boolean((await chrome.notifications.getAll())[id]), missed), { interval: 5 });
      await probe.evaluate((id) => chrome.notifications.clear(id), missed);
    }
  };
  const gone = (id) => until(`${name}: the ring to clear`, async () => !(await probe.evaluate(async (id) => Boolean((await chrome.notifications.getAll())[id]), id)), { interval: 5 });
  return {
    name, browser, dialer, probe, cdp,
    async warm(server) {
      // What shows before the call is read first, so the poller cannot
      // miss a ring that comes quickly.
      const seen = nextRing(await ringsNow());
      const t0 = now();
      const call = await server.placeCall('+14155550111', dialer);
      const t1 = await seen;
      await server.carrierEvent(call, 'caller_hung_up');
      await cleared(call.call_id);
      return t1 - t0;
    },
    async cold(server) {
      const call = await server.placeCall('+14155550111', dialer);
      const id = `ring:${call.call_id}`;
      await until(`${name}: the ring before stopping`, () => probe.evaluate(async (id) => Boolean((await chrome.notifications.getAll())[id]), id), { interval: 5 });
      // Ringback stores the call once the notification is up: wait for that
      // write, or it could land after the clear below.
      if (!onlyRings) {
        await until(`${name}: the call stored`, () => probe.evaluate(async (callId) =>
          ((await chrome.storage.session.get('ringback_live')).ringback_live?.calls ?? []).some((c) => c.call.call_id === callId), call.call_id), { interval: 5 });
      }
      // Forget that this browser showed it (the live calls, not the rest of
      // what the worker keeps for a restart), then stop the worker while it rings.
      await probe.evaluate(async (id) => {
        await chrome.notifications.clear(id);
        await chrome.storage.session.remove('ringback_live');
      }, id);
      states.length = 0;
      await cdp.send('ServiceWorker.stopAllWorkers');
      await until(`${name}: the worker to stop`, async () => states.includes('stopped'), { interval: 1 });
      const t0 = now();
      const t1 = await probe.evaluate(async (id) => {
        chrome.runtime.sendMessage({ to: 'worker', body: 'status' }).catch(() => {});
        for (;;) {
          if ((await chrome.notifications.getAll())[id]) return performance.timeOrigin + performance.now();
          await new Promise((ok) => setTimeout(ok, 2));
        }
      }, id);
      await server.carrierEvent(call, 'caller_hung_up');
      await cleared(call.call_id);
      return t1 - t0;
    },
    async stop() {
      states.length = 0;
      await cdp.send('ServiceWorker.stopAllWorkers');
    },
  };
}

export function percentile(samples, q) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

