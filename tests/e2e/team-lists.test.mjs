// Team lists are live: a disposition an admin renames or retires reaches a
// panel already open, without a reconnect (the worker re-reads the lists on
// each ring and Accept and tells open panels), and a retired value is never
// offered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO, panelFrame, signedInBrowser, startServer, until } from './harness.mjs';

const GRACE = { name: 'Grace Hopper', number: '+14155550171' };

describe('team lists in an open panel', () => {
  let server, browser, token;

  before(async () => {
    server = await startServer();
    token = await server.signIn();
    await server.updateSettings(token, { ring_timeout_secs: 120 });
    await server.api('POST', '/people', { token, body: { name: GRACE.name, phones: [GRACE.number], crm_url: `${server.url}/calls` } });
    browser = await signedInBrowser(server);
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it('a renamed and a retired disposition reach the open panel at the next ring', async () => {
    const first = await server.placeCall(GRACE.number);
    await until('the ring', async () => (await browser.notificationIds()).includes(`ring:${first.call_id}`));
    const opened = browser.context.waitForEvent('page');
    await browser.press(`ring:${first.call_id}`, 0);
    const tab = await opened;
    // The CRM link is the server's own Calls page: sign in there, and the
    // panel comes once the page is the record.
    await tab.waitForURL(/\/login/);
    await tab.fill('input[name=email]', DEMO.email);
    await tab.fill('input[name=password]', DEMO.password);
    await tab.click('button[type=submit]');
    await tab.waitForURL(/\/calls$/);
    const panel = await panelFrame(tab);
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    const offered = () => panel.$$eval('#disposition option', (options) => options.map((o) => o.textContent.trim()));
    const [renamed, retired] = (await server.api('GET', '/team/choices', { token })).dispositions.filter((d) => !d.retired);
    await until('the panel to offer the lists', async () => (await offered()).includes(renamed.label));
    assert.ok((await offered()).includes(retired.label));

    // The admin changes the list on the team page.
    const admin = await browser.context.newPage();
    await admin.goto(`${server.url}/team`);
    const row = (id, action) => admin.locator(`section#dispositions form:has(input[name=id][value="${id}"]):has(input[name=action][value=${action}])`);
    await row(renamed.id, 'rename').locator('input[name=label]').fill('Demo booked (renamed)');
    await row(renamed.id, 'rename').locator('button').click();
    await admin.waitForLoadState();
    await row(retired.id, 'retire').locator('button').click();
    await admin.waitForLoadState();
    const lists = await server.api('GET', '/team/choices', { token });
    assert.equal(lists.dispositions.find((d) => d.id === renamed.id).label, 'Demo booked (renamed)');
    assert.equal(lists.dispositions.find((d) => d.id === retired.id).retired, true);
    await admin.close();

    // The next ring re-reads the lists; the panel open on the first call follows.
    const second = await server.placeCall(GRACE.number);
    await until('the second ring', async () => (await browser.notificationIds()).includes(`ring:${second.call_id}`));
    await until('the open panel to offer the renamed value', async () => (await offered()).includes('Demo booked (renamed)'));
    assert.ok(!(await offered()).includes(renamed.label), 'the old name is gone');
    assert.ok(!(await offered()).includes(retired.label), 'a retired value is not offered');
    await server.carrierEvent(second, 'caller_hung_up');
    await panel.click('#hang-up');
    await tab.close();
  });
});
