// Calls the rep places from the browser: "Call with Ringback" on a number
// selected on any page. The server dials through its SIP trunk
// (`--trunk-uri`), where sipp answers as the prospect and echoes what it
// hears, so the audio the browser gets back has crossed both ways.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_ID, freeUdpPort, panelFrame, signedInBrowser, sippPhone, startCrm, startServer, until } from './harness.mjs';

/** Not a Person: the panel opens on its own page. */
const PROSPECT = { typed: '(415) 555-0177', e164: '+14155550177' };

describe('calls placed from the browser', () => {
  let server, browser, token, prospectPort, crm;

  before(async () => {
    crm = await startCrm();
    prospectPort = await freeUdpPort();
    server = await startServer({ extraArgs: ['--trunk-uri', `sip:127.0.0.1:${prospectPort}`] });
    token = await server.signIn();
    browser = await signedInBrowser(server);
  });

  after(async () => {
    await browser?.close();
    await crm?.close();
    await server?.cleanup();
  });

  const offscreen = () => browser.inExtension(() => chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' }));
  /** "Call with Ringback" on `text`, selected on a page. */
  const callWithRingback = (text) =>
    browser.inWorker((selectionText) =>
      chrome.contextMenus.onClicked.dispatch({ menuItemId: 'call-number', selectionText }, undefined), text);

  it('"Call with Ringback" on a selected number dials it: the panel shows the call, audio goes both ways, the rep logs and hangs up', async () => {
    const prospect = await sippPhone('phone-answers.xml', prospectPort, { pauseMs: 1500 });
    const opened = browser.context.waitForEvent('page');
    await callWithRingback(PROSPECT.typed);
    const panel = await opened;
    await panel.waitForURL(/call\.html\?call=\d+$/);
    const callId = Number(new URL(panel.url()).searchParams.get('call'));
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await panel.textContent('#caller-number'), PROSPECT.e164);
    const view = await server.api('GET', `/calls/${callId}`, { token });
    assert.equal(view.direction, 'outbound');
    assert.equal(view.to, PROSPECT.e164);
    assert.equal(view.status, 'connected');

    // The fake microphone's beeps go out to the prospect and come back.
    await panel.waitForSelector('#audio[data-state="connected"]');
    await until('the browser to hear the prospect', async () => {
      const audio = (await offscreen()).calls.find((c) => c.call_id === callId);
      return audio?.quality?.bytes_received > 1000;
    });

    const choices = await server.api('GET', '/team/choices', { token });
    await panel.fill('#notes', 'Called from a web page');
    await panel.selectOption('#disposition', String(choices.dispositions.find((d) => !d.retired).id));
    await panel.click('#log-call');
    await panel.waitForSelector('#log-status[data-state="logged"]');
    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    const exit = await prospect.done;
    assert.equal(exit.code, 0, `the prospect got a BYE: ${exit.errors}\n${exit.output.slice(-2000)}`);
    const ended = await server.api('GET', `/calls/${callId}`, { token });
    assert.equal(ended.dial_outcome, 'connected');
    assert.equal(ended.log?.notes, 'Called from a web page');
    await until('the browser to release the audio', async () => !(await offscreen()).calls.some((c) => c.call_id === callId));
    await panel.close();
  });

  it('the panel shows the prospect ringing, then its keypad sends the keys to the prospect as telephone-events', async () => {
    // The prospect's SDP names this socket: Ringback's RTP to it lands here.
    const rtp = createSocket('udp4');
    await new Promise((ok) => rtp.bind(0, '127.0.0.1', ok));
    const packets = [];
    rtp.on('message', (m) => packets.push(m));
    try {
      const prospect = await sippPhone('phone-answers-keypad.xml', prospectPort, {
        pauseMs: 3000, extra: ['-key', 'rtp_port', String(rtp.address().port)],
      });
      const opened = browser.context.waitForEvent('page');
      await callWithRingback(PROSPECT.typed);
      const panel = await opened;
      await panel.waitForURL(/call\.html\?call=\d+$/);
      // Before the prospect answers (sipp rings for 3 s): ringing, and Hang up is there.
      await panel.waitForSelector('#call-state[data-phase="accepting"]:text("Ringing…")');
      assert.ok(await panel.isVisible('#hang-up'), 'the rep can give up while it rings');
      assert.ok(!(await panel.isVisible('#keypad')), 'no keypad before the answer');
      await panel.waitForSelector('#call-state[data-phase="connected"]:text("On call")');
      await panel.waitForSelector('#call-timer');

      await panel.click('#keypad [aria-label="Key 1"]');
      await panel.click('#keypad [aria-label="Key #"]');
      // From the keyboard: focus in the keypad, a typed key is pressed.
      await panel.focus('#keypad [aria-label="Key 5"]');
      await panel.keyboard.press('9');
      await panel.waitForSelector('#keyed:text("1#9")');

      // RTP: version 2, PT in byte 1, SSRC at 8; an event's payload at 12.
      const parsed = () => packets.map((p) => ({
        pt: p[1] & 0x7f, marker: (p[1] & 0x80) !== 0, ssrc: p.readUInt32BE(8), timestamp: p.readUInt32BE(4),
        event: p[12], end: (p[13] & 0x80) !== 0, duration: p.readUInt16BE(14),
      }));
      const events = () => parsed().filter((p) => p.pt === 101);
      await until('three keypad tones to reach the prospect', () => events().filter((p) => p.end).length >= 9);
      const tones = events();
      assert.deepEqual(tones.filter((p) => p.marker).map((p) => p.event), [1, 11, 9], 'the keys, in order');
      const audio = parsed().find((p) => p.pt === 0);
      assert.ok(audio, 'the rep\'s audio reached the prospect too');
      assert.ok(tones.every((p) => p.ssrc === audio.ssrc), 'in the audio\'s stream');
      for (const start of tones.filter((p) => p.marker)) {
        const tone = tones.filter((p) => p.timestamp === start.timestamp);
        assert.deepEqual(tone.map((p) => p.duration), [160, 320, 480, 640, 800, 800, 800]);
        assert.equal(tone.filter((p) => p.end).length, 3);
      }

      await panel.click('#hang-up');
      await panel.waitForSelector('#call-state[data-phase="ended"]');
      const exit = await prospect.done;
      assert.equal(exit.code, 0, `the prospect got a BYE: ${exit.errors}\n${exit.output.slice(-2000)}`);
      await panel.close();
    } finally {
      rtp.close();
    }
  });

  it('a number the server cannot read is refused, and the options page says why', async () => {
    await callWithRingback('call me maybe');
    const message = await until('the problem to be shown', () =>
      browser.inExtension(async () => {
        const reply = await chrome.runtime.sendMessage({ to: 'worker', body: 'status' });
        return (reply?.status ?? reply)?.last_error;
      }));
    assert.match(message, /Could not call call me maybe/);
  });

  it('a tel: link on the CRM page the panel is in dials with Ringback, and the panel there shows the call', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${crm.url}/contacts/grace`);
    await page.fill('#crm-user', 'rep');
    await page.click('#crm-login');
    await page.waitForURL(/\/contacts\/grace$/);
    // "Open Dialer here" puts the panel in; from then on its links dial
    // (a tab the panel is not in has no Ringback script to catch them, and
    // the worker refuses a tel: link from one: crates/extension-worker rules).
    await browser.inWorker(async (url) => {
      const [tab] = await chrome.tabs.query({ url });
      chrome.contextMenus.onClicked.dispatch({ menuItemId: 'open-dialer', pageUrl: url }, tab);
    }, page.url());
    const panel = await panelFrame(page);

    const prospect = await sippPhone('phone-answers.xml', prospectPort, { pauseMs: 1000 });
    const pages = browser.context.pages().length;
    await page.click('#tel');
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await panel.textContent('#caller-number'), PROSPECT.e164);
    assert.equal(browser.context.pages().length, pages, 'no other tab: the panel here has the call');
    const [call] = (await server.api('GET', '/calls?limit=1', { token })).calls;
    assert.equal(call.direction, 'outbound');
    assert.equal(call.to, PROSPECT.e164);
    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    const exit = await prospect.done;
    assert.equal(exit.code, 0, `the prospect got a BYE: ${exit.errors}\n${exit.output.slice(-2000)}`);
    await page.close();
  });

  it('the panel dials a typed number, and calls the Person of a call that is over again', async () => {
    const exited = async (what, run) => {
      const exit = await run.done;
      assert.equal(exit.code, 0, `${what}: ${exit.errors}\n${exit.output.slice(-2000)}`);
    };
    const latest = async () => (await server.api('GET', '/calls?limit=1', { token })).calls[0];
    let prospect = await sippPhone('phone-answers.xml', prospectPort, { pauseMs: 500 });
    const panel = await browser.context.newPage();
    await panel.goto(`chrome-extension://${EXTENSION_ID}/call.html`);
    // Nothing on (or the last call over): the panel offers its dial form.
    await panel.fill('#dial-number', PROSPECT.typed);
    await panel.click('#dial-button');
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await panel.textContent('#caller-number'), PROSPECT.e164);
    const first = await latest();
    assert.equal(first.direction, 'outbound');
    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    await exited('the prospect got a BYE', prospect);

    // "Call again" on the call that is over dials the same number, and the
    // panel follows the new call.
    prospect = await sippPhone('phone-answers.xml', prospectPort, { pauseMs: 500 });
    assert.equal(await panel.textContent('#call-again'), `Call ${PROSPECT.e164}`);
    await panel.click('#call-again');
    const second = await until('the second call', async () => {
      const call = await latest();
      return call.id !== first.id && call;
    });
    assert.equal(second.to, PROSPECT.e164);
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    await exited('the prospect got a BYE again', prospect);
    await panel.close();
  });
});
