// Calls the rep places from Ringback's own pages, and the reason a callback
// then shows. Call on the Person page and Call back on a Calls page row ask
// the rep's browser (over its signalling socket) to dial: the call runs in
// Chromium, out through `--trunk-uri` to sipp as the prospect. When the
// prospect calls back, the panel says what came before: the rep's own call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO, freeUdpPort, panelFrame, signedInWithLongRings, sipp, sippPhone, startServer, until } from './harness.mjs';

/** A Person with no CRM record: the panel opens on its own page. */
const MARY = { name: 'Mary Jackson', number: '+14155550188' };

describe('calls placed from the pages', () => {
  let server, browser, token, prospectPort, mary, page, callbackId;

  before(async () => {
    prospectPort = await freeUdpPort();
    server = await startServer({ extraArgs: ['--trunk-uri', `sip:127.0.0.1:${prospectPort}`] });
    ({ token, browser } = await signedInWithLongRings(server));
    mary = await server.api('POST', '/people', { token, body: { name: MARY.name, phones: [MARY.number] } });
    // The rep's pages, in the Chrome the extension is signed in to.
    page = await browser.context.newPage();
    await page.goto(`${server.url}/people/${mary.id}`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name=email]', DEMO.email);
    await page.fill('input[name=password]', DEMO.password);
    await page.click('button[type=submit]');
    await page.waitForURL(new RegExp(`/people/${mary.id}$`));
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  /** The id of the call whose ring notification shows up. */
  const rung = async () => {
    const id = await until('the ringing notification', async () =>
      (await browser.notificationIds()).find((n) => n.startsWith('ring:')));
    return Number(id.slice('ring:'.length));
  };
  /** The newest call with Mary. */
  const latestCallId = async () =>
    (await server.api('GET', `/calls?person_id=${mary.id}&limit=1`, { token })).calls[0]?.id;
  /**
   * The tab that opens when `click` runs: Mary has no CRM record, so the
   * server's page for her, with the panel in it (as on Accept).
   */
  const panelOpenedBy = async (click) => {
    const opened = browser.context.waitForEvent('page');
    await click();
    const tab = await opened;
    await tab.waitForURL(new RegExp(`/people/${mary.id}$`));
    return { tab, panel: await panelFrame(tab) };
  };

  it('Call on the Person page dials from Chrome; busy, then the callback\'s reason says "You called on <date>, busy"', async () => {
    // Busy after ringing a moment: the panel has the call by then.
    const prospect = await sippPhone('phone-rings-then-busy.xml', prospectPort, { pauseMs: 2000 });
    const before = await latestCallId();
    const { tab, panel } = await panelOpenedBy(() => page.click('form.call button'));
    await page.waitForSelector('.notice');
    assert.match(await page.textContent('.notice'), /Calling \+14155550188 from Chrome/);
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    const exit = await prospect.done;
    assert.equal(exit.code, 0, `the prospect was dialled: ${exit.errors}\n${exit.output.slice(-2000)}`);
    const callId = await latestCallId();
    assert.notEqual(callId, before, 'a new call');
    const dialled = await until('the dial to end busy', async () => {
      const view = await server.api('GET', `/calls/${callId}`, { token });
      return view.dial_outcome === 'busy' && view;
    });
    assert.equal(dialled.direction, 'outbound');
    assert.equal(dialled.to, MARY.number);
    assert.equal(dialled.person.id, mary.id, 'dialled as Mary, from her record');
    await tab.close();

    // Mary saw the missed call and calls back; the rep accepts in Chrome.
    const carrier = await sipp(server, 'prospect-waits-for-bye.xml', { from: MARY.number, pauseMs: 1000 });
    callbackId = await rung();
    const accepted = await panelOpenedBy(() => browser.press(`ring:${callbackId}`, 0));
    const callback = accepted.panel;
    await callback.waitForSelector('#call-state[data-phase="connected"]');
    const day = await callback.evaluate((at) =>
      new Date(at).toLocaleString('default', { day: 'numeric', month: 'short' }), dialled.started_at);
    await callback.waitForSelector('#reason-line');
    assert.equal(await callback.textContent('#reason-line'), `You called on ${day}, busy`);

    // Logged, so it is a row of the Calls page for the next step.
    await callback.fill('#notes', 'Called back after a busy line');
    await callback.click('#log-call');
    await callback.waitForSelector('#log-status[data-state="logged"]');
    await callback.click('#hang-up');
    await callback.waitForSelector('#call-state[data-phase="ended"]');
    const done = await carrier.done;
    assert.equal(done.code, 0, `the caller got a BYE: ${done.errors}\n${done.output.slice(-2000)}`);
    await accepted.tab.close();
  });

  it('Call back on a Calls page row dials the call\'s number from Chrome: the prospect answers, and the call is logged as outbound on the Person', async () => {
    assert.ok(callbackId, 'the callback of the first step is on the Calls page');
    await page.goto(`${server.url}/calls`);
    const prospect = await sippPhone('phone-answers.xml', prospectPort, { pauseMs: 1000 });
    const { tab, panel } = await panelOpenedBy(() => page.click(`#call-${callbackId} form.call-back button`));
    await page.waitForURL(new RegExp(`/calls\\?.*notice=.*#call-${callbackId}$`));
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    const callId = await latestCallId();
    assert.notEqual(callId, callbackId, 'a new call');
    const view = await server.api('GET', `/calls/${callId}`, { token });
    assert.equal(view.direction, 'outbound');
    assert.equal(view.to, MARY.number);
    assert.equal(view.person.id, mary.id);

    await panel.fill('#notes', 'Reached her from the Calls page');
    await panel.click('#log-call');
    await panel.waitForSelector('#log-status[data-state="logged"]');
    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    const exit = await prospect.done;
    assert.equal(exit.code, 0, `the prospect got a BYE: ${exit.errors}\n${exit.output.slice(-2000)}`);

    const { calls } = await server.api('GET', `/calls?person_id=${mary.id}`, { token });
    const logged = calls.find((c) => c.id === callId);
    assert.equal(logged?.direction, 'outbound');
    assert.equal(logged?.log?.notes, 'Reached her from the Calls page');
    // The Person page lists it as hers, outbound, with its notes.
    await page.goto(`${server.url}/people/${mary.id}`);
    const card = await page.textContent(`#call-${callId}`);
    assert.match(card, /Outbound/);
    assert.match(card, /Reached her from the Calls page/);
    await tab.close();
  });
});
