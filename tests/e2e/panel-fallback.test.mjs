// After Accept there is always a panel: a CRM that is down gets the panel in
// a window of its own; a CRM login the rep has not got through yet gets the
// panel on the login page after a few seconds, then on the record once
// signed in; and closing the CRM tab mid-call brings the panel back in a
// window with the notes typed so far. Each time the panel says why the CRM
// page is not there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_ID, panelFrame, signedInBrowser, startCrm, startServer, until } from './harness.mjs';

const DOWN = { name: 'Dana Down', number: '+14155550161' };
const GRACE = { name: 'Grace Hopper', number: '+14155550162' };

describe('after Accept there is always a panel', () => {
  let server, crm, browser, token;

  before(async () => {
    server = await startServer();
    crm = await startCrm();
    token = await server.signIn();
    await server.updateSettings(token, { ring_timeout_secs: 120 });
    // Port 9 on loopback refuses connections: Chrome shows its error page.
    await server.api('POST', '/people', { token, body: { name: DOWN.name, phones: [DOWN.number], crm_url: 'http://127.0.0.1:9/contacts/dana' } });
    await server.api('POST', '/people', { token, body: { name: GRACE.name, phones: [GRACE.number], crm_url: `${crm.url}/contacts/grace` } });
    browser = await signedInBrowser(server);
  });

  after(async () => {
    await browser?.close();
    await crm?.close();
    await server?.cleanup();
  });

  /** Rings `who`, presses Accept, and returns the call and the tab Accept opened. */
  async function accept(who) {
    const call = await server.placeCall(who.number);
    await until('the ring', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    const opened = browser.context.waitForEvent('page');
    await browser.press(`ring:${call.call_id}`, 0);
    return { call, tab: await opened };
  }

  /** The panel's own window for `call` (call.html), once it opens. */
  const callWindow = (call) => until('the panel in a window of its own', () =>
    browser.context.pages().find((p) => p.url() === `chrome-extension://${EXTENSION_ID}/call.html?call=${call.call_id}`));

  it('a CRM that is down: the panel opens in a window of its own and says why', async () => {
    const { call, tab } = await accept(DOWN);
    const window = await callWindow(call);
    await window.waitForSelector('#crm-note');
    assert.match(await window.textContent('#crm-note'), /did not load|has not opened/);
    await window.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await window.textContent('#caller-name'), DOWN.name);
    await window.click('#hang-up');
    await window.waitForSelector('#call-state[data-phase="ended"]');
    assert.equal((await server.api('GET', `/calls/${call.call_id}`, { token })).status, 'ended');
    await window.close();
    await tab.close();
  });

  it('a CRM login not done yet: the panel comes on the login page, then on the record; closing the tab keeps the call and the notes', async () => {
    const { call, tab } = await accept(GRACE);
    await tab.waitForURL(/\/login\?next=/);
    // A few seconds on, the login page gets the panel, with the reason.
    const onLogin = await panelFrame(tab);
    await onLogin.waitForSelector('#crm-note', { timeout: 20000 });
    assert.match(await onLogin.textContent('#crm-note'), /has not opened yet/);
    await onLogin.waitForSelector('#call-state[data-phase="connected"]');

    // Signed in, the record shows and the panel is on it, with nothing to excuse.
    await tab.fill('#crm-user', 'rep');
    await tab.click('#crm-login');
    await tab.waitForURL(/\/contacts\/grace$/);
    const onRecord = await panelFrame(tab);
    await onRecord.waitForSelector('#caller-name');
    assert.equal(await onRecord.textContent('#caller-name'), GRACE.name);
    assert.equal(await onRecord.$('#crm-note'), null);

    // Notes typed, then the tab closed by mistake: the panel comes back in a
    // window, with the call and the notes.
    await onRecord.fill('#notes', 'Wants the pilot extended to May');
    await until('the worker to keep the notes typed', async () => {
      const live = await browser.inExtension(async () => (await chrome.storage.session.get('ringback_live')).ringback_live);
      return live.calls.some((c) => c.call.call_id === call.call_id && c.draft === 'Wants the pilot extended to May');
    });
    await tab.close();
    const window = await callWindow(call);
    await window.waitForSelector('#crm-note');
    assert.match(await window.textContent('#crm-note'), /tab was closed/);
    await window.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await window.inputValue('#notes'), 'Wants the pilot extended to May');
    const choices = await server.api('GET', '/team/choices', { token });
    await window.selectOption('#disposition', String(choices.dispositions.find((d) => !d.retired).id));
    await window.click('#log-call');
    await window.waitForSelector('#log-status[data-state="logged"]');
    assert.equal((await server.api('GET', `/calls/${call.call_id}`, { token })).log.notes, 'Wants the pilot extended to May');
    await window.click('#hang-up');
    await window.close();
  });
});
