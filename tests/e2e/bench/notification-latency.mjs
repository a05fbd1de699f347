// How long from the server ringing to the notification existing in Chrome.
//
// warm: the worker is running and connected. t0 is just before the carrier
//       webhook is sent (the server rings the socket while handling it; the
//       signalling bench puts that step under 1 ms); t1 is when
//       chrome.notifications.create resolved in the worker.
// cold: Chrome has stopped the worker while a call rings. t0 is the event that
//       wakes it (a runtime message); t1 is when a probe page, polling
//       chrome.notifications.getAll every 2 ms, first sees the ring. That
//       covers loading the wasm, restoring state, a WebSocket ticket, the
//       socket, Hello, and the server re-sending the ringing call.
//
// Run by `make bench`. Prints p50/p99 per mode; numbers depend on the machine.
import { performance } from 'node:perf_hooks';
import { EXTENSION_ID, launchBrowser, signIn, startServer, until } from '../harness.mjs';
import { summary } from './stats.mjs';

const CALLS = Number(process.env.CALLS ?? 50);
const now = () => performance.timeOrigin + performance.now();

const server = await startServer();
const browser = await launchBrowser();
try {
  const token = await server.signIn();
  // Calls ring long enough for anything the test does.
  await server.updateSettings(token, { ring_timeout_secs: 120 });
  await (await signIn(browser, server)).close();
  const probe = await browser.context.newPage();
  await probe.goto(`chrome-extension://${EXTENSION_ID}/manifest.json`);

  // Warm.
  await browser.inWorker(() => {
    globalThis.__shownAt = {};
    const create = chrome.notifications.create.bind(chrome.notifications);
    chrome.notifications.create = async (id, options) => {
      const result = await create(id, options);
      globalThis.__shownAt[id] = performance.timeOrigin + performance.now();
      return result;
    };
  });
  const warm = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = now();
    const call = await server.placeCall('+14155550111');
    const id = `ring:${call.call_id}`;
    const t1 = await until('the warm ring', () => browser.inWorker((id) => globalThis.__shownAt[id], id), { interval: 5 });
    warm.push(t1 - t0);
    await server.carrierEvent(call, 'caller_hung_up');
    await until('the ring to clear', async () => !(await browser.notificationIds()).includes(id), { interval: 5 });
    process.stderr.write(`\rwarm ${i + 1}/${CALLS}`);
  }
  process.stderr.write('\n');

  // Cold.
  const cdp = await browser.context.newCDPSession(probe);
  const states = [];
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => states.push(...versions.map((v) => v.runningStatus)));
  await cdp.send('ServiceWorker.enable');
  const cold = [];
  for (let i = 0; i < CALLS; i++) {
    const call = await server.placeCall('+14155550111');
    const id = `ring:${call.call_id}`;
    await until('the ring before stopping', async () => (await browser.notificationIds()).includes(id), { interval: 5 });
    // Forget that this browser showed it, then stop the worker while it rings.
    await probe.evaluate(async (id) => {
      await chrome.notifications.clear(id);
      await chrome.storage.session.clear();
    }, id);
    states.length = 0;
    await cdp.send('ServiceWorker.stopAllWorkers');
    await until('the worker to stop', async () => states.includes('stopped'), { interval: 5 });
    const elapsed = await probe.evaluate(async (id) => {
      const t0 = performance.timeOrigin + performance.now();
      chrome.runtime.sendMessage({ to: 'worker', body: 'status' }).catch(() => {});
      for (;;) {
        if ((await chrome.notifications.getAll())[id]) return performance.timeOrigin + performance.now() - t0;
        await new Promise((ok) => setTimeout(ok, 2));
      }
    }, id);
    cold.push(elapsed);
    await server.carrierEvent(call, 'caller_hung_up');
    await until('the ring to clear', async () => !(await browser.notificationIds()).includes(id), { interval: 5 });
    process.stderr.write(`\rcold ${i + 1}/${CALLS}`);
  }
  process.stderr.write('\n');
  console.log(`notification latency, ${CALLS} calls each (Chromium headless, this machine):`);
  summary('warm', warm);
  summary('cold', cold);
} finally {
  await browser.close();
  await server.cleanup();
}
