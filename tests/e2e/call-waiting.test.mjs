// Call waiting (issue 15 item 2), end to end in real Chromium: the rep is on
// a call they placed (sipp answers as the prospect, and checks the hold and
// resume re-INVITEs), a callback rings and says who the rep is on a call
// with, Accept holds the first call and takes the callback, the panels list
// both calls, and once the callback is over the rep resumes the first call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freeUdpPort, signedInWithLongRings, sipp, sippPhone, startServer, until } from './harness.mjs';

/** Not People: each call's panel opens on its own page. */
const DIALLED = '+14155550177';
const CALLER = '+14155550188';

describe('call waiting', () => {
  let server, browser, token, trunkPort;

  before(async () => {
    trunkPort = await freeUdpPort();
    server = await startServer({ extraArgs: ['--trunk-uri', `sip:127.0.0.1:${trunkPort}`] });
    ({ token, browser } = await signedInWithLongRings(server));
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  const offscreen = () => browser.inExtension(() => chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' }));
  const bytesIn = async (callId) =>
    (await offscreen()).calls.find((c) => c.call_id === callId)?.quality?.bytes_received ?? 0;
  const exited = async (what, run) => {
    const exit = await run.done;
    assert.equal(exit.code, 0, `${what}: ${exit.errors}\n${exit.output.slice(-2000)}`);
  };

  it('a callback during a call says so, Accept holds the call, and the rep resumes it afterwards', async () => {
    const prospect = await sippPhone('prospect-answers-is-held.xml', trunkPort, { pauseMs: 500 });
    let opened = browser.context.waitForEvent('page');
    await browser.inWorker((selectionText) =>
      chrome.contextMenus.onClicked.dispatch({ menuItemId: 'call-number', selectionText }, undefined), DIALLED);
    const first = await opened;
    await first.waitForURL(/call\.html\?call=\d+$/);
    const dialled = Number(new URL(first.url()).searchParams.get('call'));
    await first.waitForSelector('#call-state[data-phase="connected"]');
    await until('the prospect to be heard', async () => (await bytesIn(dialled)) > 1000);

    // The callback rings, and says who the rep is talking to.
    const caller = await sipp(server, 'prospect-calls.xml', { from: CALLER, pauseMs: 6000 });
    const ring = await until('the callback to ring', async () =>
      (await browser.notificationIds()).find((n) => n.startsWith('ring:')));
    const callback = Number(ring.slice('ring:'.length));
    const shown = await until('the ring to be shown', () => browser.shown(ring));
    assert.match(shown.contextMessage, /You are on a call with \+14155550177 · Accept puts it on hold/);

    opened = browser.context.waitForEvent('page');
    await browser.press(ring, 0);
    const second = await opened;
    await second.waitForSelector('#call-state[data-phase="connected"]');
    // The first call is held, not ended; each panel lists the other call.
    await first.waitForSelector('#held #resume');
    assert.equal(await first.textContent('#call-state'), 'On hold');
    await second.waitForSelector(`#other-calls li[data-call-id="${dialled}"][data-held="true"]`);
    await first.waitForSelector(`#other-calls li[data-call-id="${callback}"][data-held="false"]`);
    assert.equal((await server.api('GET', `/calls/${dialled}`, { token })).status, 'connected');
    await until('the callback to be heard', async () => (await bytesIn(callback)) > 1000);

    // The caller hangs up; the first call stays on hold until resumed.
    await exited('the caller', caller);
    await second.waitForSelector('#call-state[data-phase="ended"]');
    assert.equal(await first.textContent('#call-state'), 'On hold');
    const before = await bytesIn(dialled);
    await first.click('#resume');
    await first.waitForSelector('#call-state[data-phase="connected"]:not(:has-text("On hold"))');
    assert.equal(await first.$('#held'), null);
    await until('the prospect to be heard again', async () => (await bytesIn(dialled)) > before + 1000);

    await first.click('#hang-up');
    await first.waitForSelector('#call-state[data-phase="ended"]');
    await exited('the prospect took the hold and resume re-INVITEs, then the BYE', prospect);
    const view = await server.api('GET', `/calls/${callback}`, { token });
    assert.equal(view.outcome, 'answered_in_browser');
    await first.close();
    await second.close();
  });
});
