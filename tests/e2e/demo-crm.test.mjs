// The demo works out of the box: `ringback serve --demo` serves a demo CRM
// on its own address and the demo People's CRM links point at it, so a call
// from Ada (from the demo data, nothing added) → Accept → the demo CRM's
// sign-in → Ada's Contact page, under a strict CSP, with the panel on it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { panelFrame, signedInWithLongRings, startServer, until } from './harness.mjs';

const ADA = { name: 'Ada Lovelace', number: '+14155550111', title: 'CTO', account: 'Analytical Engines' };

describe('the demo CRM of serve --demo', () => {
  let server, browser, token;

  before(async () => {
    server = await startServer();
    ({ token, browser } = await signedInWithLongRings(server));
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it('the demo People link to the demo CRM at the server\'s own address', async () => {
    const [ada] = await server.api('GET', '/people?q=Ada', { token });
    assert.equal(ada.crm_url, `${server.url}/demo-crm/contacts/ada`);
  });

  it('Accept on a call from Ada opens her Contact page through the demo CRM\'s sign-in, with the panel', async () => {
    const call = await server.placeCall(ADA.number);
    assert.equal(call.ring_browser, true);
    const id = `ring:${call.call_id}`;
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(id));
    assert.equal((await browser.shown(id)).title, ADA.name);

    const opened = browser.context.waitForEvent('page');
    await browser.press(id, 0);
    const tab = await opened;
    await tab.waitForURL(`${server.url}/demo-crm/login?next=/demo-crm/contacts/ada`);
    const record = tab.waitForResponse((r) => r.url() === `${server.url}/demo-crm/contacts/ada` && r.status() === 200);
    await tab.fill('#crm-user', 'rep');
    await tab.click('#crm-login');
    const response = await record;
    assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
    await tab.waitForURL(`${server.url}/demo-crm/contacts/ada`);
    assert.equal(await tab.textContent('#contact-name'), ADA.name);
    assert.equal(await tab.textContent('#contact-account'), ADA.account);

    const panel = await panelFrame(tab);
    await panel.waitForSelector('#caller-name');
    assert.equal(await panel.textContent('#caller-name'), ADA.name);
    assert.equal(await panel.textContent('#caller-details'), `${ADA.title} · ${ADA.account}`);
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await panel.$('#crm-note'), null, 'the record showed: nothing to explain');

    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    assert.equal((await server.api('GET', `/calls/${call.call_id}`, { token })).outcome, 'answered_in_browser');
    await tab.close();
  });
});
