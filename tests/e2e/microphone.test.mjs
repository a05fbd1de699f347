// Without the microphone the rep cannot talk: the notification says so and
// Accept opens the page where Chrome can ask, leaving the call ringing. Then
// the rep signs out and the browser stops ringing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_ID, launchBrowser, signIn, startServer, until } from './harness.mjs';

describe('a browser without the microphone, then signed out', () => {
  let server, browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ microphone: false });
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it('Accept leads to the microphone page and the call keeps ringing', async () => {
    const options = await signIn(browser, server);
    assert.notEqual(await options.getAttribute('#microphone', 'data-state'), 'granted');
    await options.close();

    await browser.spyOnNotifications();
    const call = await server.placeCall('+14155550111'); // Ada, from the demo data
    const id = `ring:${call.call_id}`;
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(id));
    assert.match((await browser.shown(id)).contextMessage, /Microphone is off/);

    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(id, 0);
    const page = await tabOpened;
    await page.waitForLoadState();
    assert.equal(page.url(), `chrome-extension://${EXTENSION_ID}/options.html#microphone`);
    await page.waitForSelector('#enable-microphone');
    assert.match(await page.textContent('.callout'), /still ringing/);

    const token = await server.signIn();
    const view = await server.api('GET', `/calls/${call.call_id}`, { token });
    assert.equal(view.status, 'ringing', 'nothing was accepted');
    assert.equal(view.browser_leg, 'ringing');
    assert.ok((await browser.notificationIds()).includes(id), 'the notification stays up');
  });

  it('signing out on the options page stops calls ringing in this browser', async () => {
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.click('#sign-out');
    await options.waitForSelector('#sign-in');
    await until('the badge to show signed out', async () => (await browser.badge()) === 'off');
    await until('the server to stop ringing this browser', async () => {
      const call = await server.placeCall('+14155550112');
      await server.carrierEvent(call, 'caller_hung_up');
      return call.ring_browser === false;
    });
    const stored = await browser.inExtension(() => chrome.storage.local.get('ringback'));
    assert.equal(stored.ringback.session, null, 'the token is forgotten');
    await options.close();
  });
});
