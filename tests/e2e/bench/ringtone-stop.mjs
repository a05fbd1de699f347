// How fast the ringtone stops after Accept, Close, or the caller hanging up
// (the rule: within 100 ms). t0 is the button press in the worker (or, for a
// hang-up, just before the carrier webhook is sent); t1 is when the offscreen
// document silenced the ringtone (both on the same machine clock).
//
// Run by `make bench`. Prints p50/p99 per case; numbers depend on the machine.
import { EXTENSION_ID, launchBrowser, signIn, startServer, until } from '../harness.mjs';
import { summary } from './stats.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const UNKNOWN = '+14155550177';

const server = await startServer();
const browser = await launchBrowser();
try {
  const token = await server.signIn();
  // Calls ring long enough for anything the test does.
  await server.updateSettings(token, { ring_timeout_secs: 120 });
  await until('the options page', () =>
    browser.context.pages().some((p) => p.url().startsWith(`chrome-extension://${EXTENSION_ID}/options.html`)));
  await (await signIn(browser, server)).close();
  const offscreen = () => browser.inExtension(() => chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' }));
  const ring = async () => {
    const call = await server.placeCall(UNKNOWN);
    await until('the ringtone', async () => (await offscreen())?.ringing);
    return call;
  };
  const press = (call, button) => browser.inWorker(([id, index]) => {
    const at = Date.now();
    chrome.notifications.onButtonClicked.dispatch(id, index);
    return at;
  }, [`ring:${call.call_id}`, button]);
  const silencedAfter = async (t0) => {
    await until('the ringtone to stop', async () => !(await offscreen()).ringing);
    return (await offscreen()).silenced_at - t0;
  };

  const close = [];
  const hangUp = [];
  const accept = [];
  for (let i = 0; i < ROUNDS; i++) {
    const closed = await ring();
    close.push(await silencedAfter(await press(closed, 1)));
    await server.carrierEvent(closed, 'caller_hung_up');

    const cancelled = await ring();
    const t0 = Date.now();
    await server.carrierEvent(cancelled, 'caller_hung_up');
    hangUp.push(await silencedAfter(t0));

    const accepted = await ring();
    const tab = browser.context.waitForEvent('page');
    accept.push(await silencedAfter(await press(accepted, 0)));
    const panel = await tab;
    await server.carrierEvent(accepted, 'caller_hung_up');
    await panel.close();
  }
  summary('accept', accept, { width: 9, digits: 0 });
  summary('close', close, { width: 9, digits: 0 });
  summary('hang-up', hangUp, { width: 9, digits: 0 });
} finally {
  await browser.close();
  await server.cleanup();
}
