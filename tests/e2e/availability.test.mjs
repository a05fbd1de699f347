// Availability and the test ring, in real Chromium against the real server:
// the toolbar popup sets Do not disturb (stored on the server, which routes
// by it), the badge shows it, the web settings page changes it and the popup
// follows; "Test ring" rings this browser and reports each step, or the step
// that failed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO, EXTENSION_ID, signedInBrowser, startServer, until } from './harness.mjs';

const ADA = '+14155550111';
const HOUR = 3600_000;

describe('availability and the test ring', () => {
  let server, browser, token, popup, lastCallId;

  before(async () => {
    server = await startServer();
    browser = await signedInBrowser(server);
    token = await server.signIn();
    popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/popup.html`);
    await popup.waitForSelector('#connection[data-state="online"]');
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  const mode = () => popup.getAttribute('#availability-now', 'data-mode');
  const choose = async (wanted, length) => {
    if (length) await popup.selectOption('#dnd-length', length);
    await popup.click(`button.mode[data-mode="${wanted}"]`);
    await until(`the popup to show ${wanted}`, async () => (await mode()) === wanted);
  };

  it('Do not disturb in Chrome for an hour: stored on the server, shown on the badge, and calls ring the phone only', async () => {
    assert.equal(await mode(), 'available');
    assert.equal(await browser.badge(), '');
    const before = Date.now();
    await choose('dnd_browser', 'one_hour');

    const stored = await server.api('GET', '/availability', { token });
    assert.equal(stored.mode, 'dnd_browser');
    assert.ok(Math.abs(stored.until - (before + HOUR)) < 60_000, `until ${stored.until} is an hour from ${before}`);
    await until('the badge to say dnd', async () => (await browser.badge()) === 'dnd');
    const title = await browser.inExtension(() => chrome.action.getTitle({}));
    assert.match(title, /Do not disturb in Chrome until/);
    assert.match(await popup.textContent('#availability-now'), /Do not disturb in Chrome until/);

    const call = await server.placeCall(ADA);
    assert.equal(call.ring_browser, false, 'Chrome does not ring');
    assert.ok(call.ring_phone, 'the phone still rings');
    await server.carrierEvent(call, 'caller_hung_up');
  });

  it('Do not disturb everywhere until turned off: nothing rings, the call goes straight to the no-answer action', async () => {
    await choose('dnd_everywhere', 'until_turned_off');
    const stored = await server.api('GET', '/availability', { token });
    assert.deepEqual(stored, { mode: 'dnd_everywhere' });
    const call = await server.placeCall(ADA);
    assert.equal(call.ring_browser, false);
    assert.equal(call.ring_phone, null, 'the phone does not ring either');
    assert.ok(['voicemail', 'forwarded'].includes(call.outcome), `outcome ${call.outcome}`);
    await server.carrierEvent(call, 'caller_hung_up').catch(() => {});
  });

  it('the test ring notes a do-not-disturb even when it goes through', async () => {
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.click('#test-ring');
    await options.waitForSelector('#test-ring-result[data-ok="true"]', { timeout: 15000 });
    assert.match(await options.textContent('#test-ring-note'), /Do not disturb everywhere/);
    await browser.press('test-ring', 1);
    await until('the test ring to stop', async () => !(await browser.notificationIds()).includes('test-ring'));
    await options.close();
  });

  it('the web settings page changes it too, and the popup and badge follow at once', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/settings`);
    if (page.url().includes('/login')) {
      await page.fill('input[name=email]', DEMO.email);
      await page.fill('input[name=password]', DEMO.password);
      await page.click('button[type=submit]');
      await page.goto(`${server.url}/settings`);
    }
    assert.equal(await page.getAttribute('#availability-now', 'data-mode'), 'dnd_everywhere');
    await page.selectOption('#availability-mode', 'available');
    await page.click('#availability-save');
    await page.waitForSelector('#availability-now[data-mode="available"]');
    await page.close();

    await until('the popup to show available', async () => (await mode()) === 'available');
    await until('the badge to clear', async () => (await browser.badge()) === '');
    assert.deepEqual(await server.api('GET', '/availability', { token }), { mode: 'available' });
  });

  it('Available again: the call rings in Chrome and the popup shows it', async () => {
    const call = await server.placeCall(ADA);
    lastCallId = call.call_id;
    assert.equal(call.ring_browser, true);
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    await popup.waitForSelector('#live-call[data-phase="ringing"]');
    assert.match(await popup.textContent('#live-call'), /Ada Lovelace/);
    await server.carrierEvent(call, 'caller_hung_up');
    await popup.waitForSelector('#live-call', { state: 'detached' });
  });

  it('Test ring: the server rings this browser, and each step has its time', async () => {
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.click('#test-ring');
    await options.waitForSelector('#test-ring-result[data-ok="true"]', { timeout: 15000 });
    // It rings for a few seconds: the ringtone and Close first, the report after.
    assert.equal((await browser.ringtone()).ringing, true, 'the ringtone plays');
    await browser.press('test-ring', 1);
    await until('Close to stop the test ring', async () => (await browser.ringtone()).ringing === false && !(await browser.notificationIds()).includes('test-ring'));
    const steps = await options.$$eval('#test-ring-result tr.step', (rows) => rows.map((r) => [r.dataset.step, Number(r.dataset.ms)]));
    assert.deepEqual(steps.map(([step]) => step), ['server_sent', 'worker_received', 'notification_shown', 'ringtone_playing']);
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i][1] >= steps[i - 1][1], `steps in order: ${JSON.stringify(steps)}`);
    assert.ok(steps.every(([, ms]) => Number.isFinite(ms) && ms >= 0), JSON.stringify(steps));
    assert.equal(await options.textContent('#test-ring-verdict'), 'You will hear calls in this browser.');
    assert.equal(await options.$('#test-ring-note'), null, 'available: nothing to note');

    // The notification came as for a call, marked as a test; no call was made on the server.
    const shown = await browser.shown('test-ring');
    assert.match(shown.title, /Test call/);
    assert.deepEqual(shown.buttons.map((b) => b.title), ['Accept', 'Close']);
    const next = await server.placeCall(ADA);
    assert.equal(next.call_id, lastCallId + 1, 'the test ring created no call');
    await server.carrierEvent(next, 'caller_hung_up');
    await options.close();
  });

  it('Test ring with the server down names the step that failed and what to do', async () => {
    await server.stop();
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.waitForSelector('#connection:not([data-state="online"])');
    await options.click('#test-ring');
    await options.waitForSelector('#test-ring-result[data-ok="false"]', { timeout: 15000 });
    assert.equal(await options.$$eval('#test-ring-result tr.step td.bad', (tds) => tds.length), 1);
    assert.equal(await options.getAttribute('#test-ring-result tr.step:first-child', 'data-step'), 'server_sent');
    assert.match(await options.textContent('#test-ring-verdict'), /Calls will not ring in this browser/);
    assert.match(await options.textContent('#test-ring-failure'), /server/i);
    await options.close();
  });
});
