// Audio devices, end to end, with Chromium's fake devices
// (--use-fake-device-for-media-stream): three audio inputs ("default" =
// "Fake Default Audio Input", "Fake Audio Input 1" and "2") and three outputs
// ("default" = "Fake Default Audio Output", "Fake Audio Output 1" and "2").
// The options page lists them; a real call then uses the chosen microphone
// and speaker and rings on the chosen ringtone device, as the offscreen
// document reports them (the track's getSettings().deviceId, the element's
// and the AudioContext's sinkId). A chosen device that is not connected falls
// back to the default, the call still has audio, and the panel says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_ID, signedInWithLongRings, startServer, until } from './harness.mjs';

/** Not a Person: Accept opens the panel on its own page, no CRM in the way. */
const UNKNOWN = '+14155550177';

describe('audio devices chosen on the options page', () => {
  let server, browser, token, options;

  before(async () => {
    server = await startServer();
    ({ token, browser } = await signedInWithLongRings(server));
    options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  const offscreen = () => browser.inExtension(() => chrome.runtime.sendMessage({ to: 'offscreen', body: 'status' }));
  /** Each option of a select, as [value, text]. */
  const choices = (select) => options.$$eval(`${select} option`, (all) => all.map((o) => [o.value, o.textContent]));
  const selected = (select) => options.$eval(select, (s) => [s.value, s.selectedOptions[0]?.textContent]);
  /** What Chrome lists, read in the options page itself: {kind: [[id, label]]}. */
  const listed = () => options.evaluate(async () => {
    const byKind = { audioinput: [], audiooutput: [] };
    for (const d of await navigator.mediaDevices.enumerateDevices()) byKind[d.kind]?.push([d.deviceId, d.label]);
    return byKind;
  });
  /** Heard by the server's stand-in caller: the browser's microphone beeps. */
  const heardLoud = (call) => until('the server to hear the browser', async () => {
    const report = await server.api('GET', `/carrier/calls/${call.carrier_call_id}/media`, { carrier: true });
    return report.connected && report.heard_loud_frames >= 5 && report;
  });
  const ring = async () => {
    const call = await server.placeCall(UNKNOWN);
    assert.equal(call.ring_browser, true);
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    return call;
  };
  const accept = async (call) => {
    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(`ring:${call.call_id}`, 0);
    const panel = await tabOpened;
    await panel.waitForURL(new RegExp(`call\\.html\\?call=${call.call_id}$`));
    await panel.waitForSelector('#audio[data-state="connected"]');
    return panel;
  };
  const hangUp = async (panel) => {
    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    await until('the browser to release the audio', async () => (await offscreen()).calls.length === 0);
    await panel.close();
  };

  let devices;
  it('lists the fake microphones and speakers once the microphone is granted, Default first', async () => {
    // The page reads the permission (and then the devices) after it loads.
    await options.waitForSelector('#microphone[data-state="granted"]');
    devices = await listed();
    const named = (kind) => devices[kind].filter(([id]) => id !== 'default');
    assert.deepEqual(named('audioinput').map(([, label]) => label), ['Fake Audio Input 1', 'Fake Audio Input 2']);
    assert.deepEqual(named('audiooutput').map(([, label]) => label), ['Fake Audio Output 1', 'Fake Audio Output 2']);

    const microphones = await until('the microphones listed', async () => {
      const all = await choices('#microphone-device');
      return all.length > 1 && all;
    });
    assert.deepEqual(microphones, [['', 'Default (Fake Default Audio Input)'], ...named('audioinput')]);
    const speakers = [['', 'Default (Fake Default Audio Output)'], ...named('audiooutput')];
    assert.deepEqual(await choices('#speaker-device'), speakers);
    assert.deepEqual(await choices('#ringtone-device'), speakers);
    for (const select of ['#microphone-device', '#speaker-device', '#ringtone-device']) {
      assert.equal((await selected(select))[0], '', `${select} starts on Default`);
    }
  });

  it('a call uses the chosen microphone and speaker, and rings on the chosen ringtone device', async () => {
    const id = (kind, label) => devices[kind].find(([, l]) => l === label)[0];
    const microphone = id('audioinput', 'Fake Audio Input 2');
    const speaker = id('audiooutput', 'Fake Audio Output 1');
    const ringtone = id('audiooutput', 'Fake Audio Output 2');
    await options.selectOption('#microphone-device', microphone);
    await options.selectOption('#speaker-device', speaker);
    await options.selectOption('#ringtone-device', ringtone);
    const stored = await until('the choice to be stored', async () => {
      const json = await options.evaluate(() => localStorage.getItem('ringback.devices'));
      const value = json && JSON.parse(json);
      return value?.ringtone && value;
    });
    assert.deepEqual(stored, {
      microphone: { id: microphone, label: 'Fake Audio Input 2' },
      speaker: { id: speaker, label: 'Fake Audio Output 1' },
      ringtone: { id: ringtone, label: 'Fake Audio Output 2' },
    });
    // Still chosen when the page opens again.
    await options.reload();
    await until('the choice shown again', async () => (await selected('#ringtone-device'))[0] === ringtone);
    assert.deepEqual(await selected('#microphone-device'), [microphone, 'Fake Audio Input 2']);

    const call = await ring();
    const ringing = await until('the ringtone on its device', async () => {
      const status = await offscreen();
      return status.ringing && status.ringtone_device === ringtone && status;
    });
    assert.equal(ringing.ringtone_note, null);

    const panel = await accept(call);
    const status = await offscreen();
    assert.deepEqual(status.devices, [{ call_id: call.call_id, microphone, speaker }]);
    assert.equal(status.calls[0].device_note, null);
    await heardLoud(call);
    assert.equal(await panel.$('#device-note'), null, 'no note when every device is there');
    await hangUp(panel);
  });

  it('a chosen device that is not connected falls back to the default, and the panel says so', async () => {
    // Chosen earlier, unplugged since: ids Chrome does not list now.
    await options.evaluate(() => localStorage.setItem('ringback.devices', JSON.stringify({
      microphone: { id: 'unplugged-headset', label: 'USB Headset' },
      speaker: { id: 'unplugged-speaker', label: 'Desk Speakers' },
      ringtone: { id: 'unplugged-ringer', label: 'Loud Speaker' },
    })));
    await options.reload();
    await until('the missing microphone shown', async () =>
      (await selected('#microphone-device'))[1] === 'USB Headset (not connected)');
    assert.deepEqual(await selected('#ringtone-device'), ['unplugged-ringer', 'Loud Speaker (not connected)']);

    const call = await ring();
    const ringing = await until('the ringtone back on the default device', async () => {
      const status = await offscreen();
      return status.ringing && status.ringtone_device === '' && status;
    });
    assert.equal(ringing.ringtone_note, 'Your chosen ringtone device (Loud Speaker) is not connected: calls ring on the default speaker.');

    const panel = await accept(call);
    const status = await offscreen();
    assert.deepEqual(status.devices, [{ call_id: call.call_id, microphone: 'default', speaker: '' }]);
    // The call has audio all the same: the default microphone reaches the server.
    await heardLoud(call);
    const note = await panel.waitForSelector('#device-note');
    assert.equal(await note.textContent(), [
      'Your chosen microphone (USB Headset) is not connected: using the default microphone.',
      'Your chosen speaker (Desk Speakers) is not connected: the call plays on the default speaker.',
      'Your chosen ringtone device (Loud Speaker) is not connected: calls ring on the default speaker.',
    ].join(' '));
    await hangUp(panel);
  });

  it('choosing Default again forgets the device', async () => {
    await options.selectOption('#microphone-device', '');
    await until('the microphone choice forgotten', async () => {
      const stored = JSON.parse(await options.evaluate(() => localStorage.getItem('ringback.devices')));
      return stored.microphone === null && stored.speaker?.id === 'unplugged-speaker';
    });
    assert.equal((await choices('#microphone-device')).some(([, text]) => /not connected/.test(text)), false);
  });
});
