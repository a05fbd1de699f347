// "Move to my phone" (issue 15 item 3), end to end: sipp is the carrier's
// caller and the rep's forwarding phone over real UDP on 127.0.0.1, the
// extension answers in real Chromium. The prospect cannot be heard (the
// carrier sends no audio after the answer), so the panel offers the move on
// its own; the first phone is busy and the call stays in Chrome, the second
// answers and the call moves there, and the panel still logs it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freeUdpPort, signedInWithLongRings, sipp, sippPhone, startServer, until } from './harness.mjs';

/** Not a Person: Accept opens the panel on its own page. */
const UNKNOWN = '+14155550177';
const FORWARDING_PHONE = '+14155550199';

describe('move to my phone', () => {
  let server, browser, token, phonePort;

  before(async () => {
    phonePort = await freeUdpPort();
    server = await startServer({ extraArgs: ['--trunk-uri', `sip:127.0.0.1:${phonePort}`] });
    ({ token, browser } = await signedInWithLongRings(server));
    await server.updateSettings(token, { forwarding_number: FORWARDING_PHONE, no_answer_action: 'voicemail' });
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  const media = (carrierCallId) => server.api('GET', `/carrier/calls/${encodeURIComponent(carrierCallId)}/media`, { carrier: true });
  const offscreen = () => browser.inExtension(() => chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' }));
  const exited = async (what, run) => {
    const exit = await run.done;
    assert.equal(exit.code, 0, `${what}: ${exit.errors}\n${exit.output.slice(-2000)}`);
  };

  it('a caller who cannot be heard: the panel offers the move within 5 s, a busy phone keeps the call in Chrome, an answering one takes it', async () => {
    // The phone rings alongside Chrome and is cancelled when Chrome answers.
    const firstRing = await sippPhone('phone-rings.xml', phonePort);
    const carrier = await sipp(server, 'prospect-goes-quiet.xml', { from: UNKNOWN, pauseMs: 15000 });
    const id = await until('the ringing notification', async () =>
      (await browser.notificationIds()).find((n) => n.startsWith('ring:')));
    const callId = Number(id.slice('ring:'.length));
    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(id, 0);
    const panel = await tabOpened;
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    await exited('the first ring was cancelled', firstRing);
    // Offered quietly at first.
    await panel.waitForSelector('#move[data-offered="false"] #move-to-phone');

    // Nothing comes from the prospect: the quality line says so and the
    // move is offered, at the first reading past 4 s of silence.
    const silentMs = await panel.waitForFunction(() => {
      const offered = document.querySelector('#move[data-offered="true"] #move-to-phone');
      return offered && Number(document.querySelector('#quality').dataset.silentMs);
    }, undefined, { timeout: 15000 }).then((h) => h.jsonValue());
    assert.ok(silentMs >= 4000 && silentMs < 5000, `offered after ${silentMs} ms of silence`);
    assert.match(await panel.textContent('#quality'), /No sound from the other side for \d+ s/);

    // A busy phone: the call stays in Chrome and the panel says why.
    const busy = await sippPhone('phone-busy.xml', phonePort);
    await panel.click('#move-to-phone');
    await panel.waitForSelector('#move-note');
    assert.match(await panel.textContent('#move-note'), /did not answer, so the call stays here/);
    await exited('the busy phone', busy);
    assert.equal(await panel.getAttribute('#call-state', 'data-phase'), 'connected');
    assert.equal((await media(carrier.carrierCallId)).kind, 'browser');

    // Again, and the phone answers: the call is on it, Chrome lets go.
    const phone = await sippPhone('phone-answers.xml', phonePort, { pauseMs: 1000 });
    await panel.click('#move-to-phone');
    await panel.waitForSelector('#move-state');
    await panel.waitForSelector('#call-state[data-phase="on_phone"]');
    assert.equal(await panel.textContent('#call-state'), 'On your phone');
    assert.equal(await panel.$('#move-note'), null, 'the old note is gone');
    await until('the caller bridged to the phone', async () => (await media(carrier.carrierCallId)).kind === 'phone');
    await until('Chrome to release the call audio', async () =>
      !(await offscreen()).calls.some((c) => c.call_id === callId));

    // The rep logs it from the panel, as any call.
    const choices = await server.api('GET', '/team/choices', { token });
    await panel.fill('#notes', 'Moved to my phone: could not hear them in Chrome');
    await panel.selectOption('#disposition', String(choices.dispositions.find((d) => !d.retired).id));
    await panel.click('#log-call');
    await panel.waitForSelector('#log-status[data-state="logged"]');

    // The prospect hangs up: the phone gets its BYE, the panel shows the end.
    await exited('the caller', carrier);
    await exited('the phone got a BYE', phone);
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    const view = await server.api('GET', `/calls/${callId}`, { token });
    assert.equal(view.outcome, 'answered_in_browser');
    assert.equal(view.log.notes, 'Moved to my phone: could not hear them in Chrome');
    const timeline = await server.api('GET', `/calls/${callId}/timeline`, { token });
    const kinds = timeline.map((e) => e.kind);
    assert.ok(kinds.includes('moving_to_phone') && kinds.includes('answered_on_phone'), kinds.join(', '));
    await panel.close();
  });
});
