// Calls from the SIP trunk, end to end: sipp plays the carrier over real UDP
// on 127.0.0.1 (INVITE with PCMU, the prospect's recorded voice as RTP), the
// extension rings in real Chromium, and the server's media report shows the
// audio crossing its bridge: the caller's RTP to the browser's WebRTC leg,
// and the browser's microphone back out to the carrier.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedInWithLongRings, sipp, startServer, until } from './harness.mjs';

/** Not a Person: Accept opens the panel on its own page, no CRM in the way. */
const UNKNOWN = '+14155550177';
/** A demo Person. */
const ADA = { name: 'Ada Lovelace', number: '+14155550111' };

describe('calls from the SIP trunk', () => {
  let server, browser, token;

  before(async () => {
    server = await startServer();
    ({ token, browser } = await signedInWithLongRings(server));
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  const media = (carrierCallId) => server.api('GET', `/carrier/calls/${encodeURIComponent(carrierCallId)}/media`, { carrier: true });
  const offscreen = () => browser.inExtension(() => chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' }));
  /** The id of the call whose ring notification shows up. */
  const rung = async () => {
    const id = await until('the ringing notification', async () =>
      (await browser.notificationIds()).find((n) => n.startsWith('ring:')));
    return Number(id.slice('ring:'.length));
  };

  it('a SIP call rings in Chrome, and Accept bridges the caller and the browser both ways', async () => {
    const carrier = await sipp(server, 'prospect-calls.xml', { from: UNKNOWN, pauseMs: 10000 });
    const callId = await rung();
    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(`ring:${callId}`, 0);
    const panel = await tabOpened;
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    await panel.waitForSelector('#audio[data-state="connected"]');

    const report = await until('audio across the bridge, both ways', async () => {
      const r = await media(carrier.carrierCallId);
      return r.kind === 'browser' && r.connected && r.trunk?.packets_received > 50
        && r.packets_sent > 50 && r.trunk?.packets_sent > 50 && r.heard_loud_frames >= 5 && r;
    });
    assert.ok(report.trunk.remote.startsWith('127.0.0.1:'), JSON.stringify(report));
    // The browser receives the prospect's voice: getStats counts the bytes.
    await until('the browser to receive the caller', async () => {
      const audio = (await offscreen()).calls.find((c) => c.call_id === callId);
      return audio?.quality?.bytes_received > 1000;
    });

    // The prospect hangs up (sipp's BYE): the panel shows it, the call is over.
    const exit = await carrier.done;
    assert.equal(exit.code, 0, `sipp: ${exit.errors}\n${exit.output.slice(-2000)}`);
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    const view = await server.api('GET', `/calls/${callId}`, { token });
    assert.equal(view.outcome, 'answered_in_browser');
    await until('the browser to release the audio', async () => (await offscreen()).calls.length === 0);
    await panel.close();
  });

  it('a SIP caller who hangs up while it rings leaves a missed-call notification', async () => {
    const carrier = await sipp(server, 'prospect-cancels.xml', { from: ADA.number, pauseMs: 1500 });
    const callId = await rung();
    await until('the missed-call notification', async () => (await browser.notificationIds()).includes(`missed:${callId}`));
    assert.equal((await browser.shown(`missed:${callId}`)).title, `Missed call from ${ADA.name}`);
    const exit = await carrier.done;
    assert.equal(exit.code, 0, `sipp got 200 and 487: ${exit.errors}\n${exit.output.slice(-2000)}`);
    const view = await server.api('GET', `/calls/${callId}`, { token });
    assert.equal(view.outcome, 'missed');
  });
});
