// Several People on one number: the notification says "… and 1 other",
// Accept opens the most likely one's record, the panel offers the other,
// the log goes to the Person chosen, and the choice leads the next call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { panelFrame, signedInBrowser, startCrm, startServer, until } from './harness.mjs';

const SWITCHBOARD = '+14155550190';

describe('several People on one number', () => {
  let server, crm, browser, token, jane, john;

  before(async () => {
    server = await startServer();
    crm = await startCrm();
    token = await server.signIn();
    await server.updateSettings(token, { ring_timeout_secs: 120 });
    jane = await server.api('POST', '/people', { token, body: { name: 'Jane Doe', account: 'Acme', phones: [SWITCHBOARD], crm_url: `${crm.url}/contacts/jane` } });
    // Edited last: John leads while neither was ever called.
    john = await server.api('POST', '/people', { token, body: { name: 'John Roe', account: 'Acme', phones: [SWITCHBOARD], crm_url: `${crm.url}/contacts/john` } });
    browser = await signedInBrowser(server);
  });

  after(async () => {
    await browser?.close();
    await crm?.close();
    await server?.cleanup();
  });

  it('rings as "John Roe and 1 other", the panel offers Jane, and the log goes to the Person chosen', async () => {
    const call = await server.placeCall(SWITCHBOARD);
    const id = `ring:${call.call_id}`;
    await until('the ring', async () => (await browser.notificationIds()).includes(id));
    assert.equal((await browser.shown(id)).title, 'John Roe and 1 other');

    const opened = browser.context.waitForEvent('page');
    await browser.press(id, 0);
    const tab = await opened;
    await tab.waitForURL(/\/login\?next=%2Fcontacts%2Fjohn|\/login\?next=\/contacts\/john/);
    await tab.fill('#crm-user', 'rep');
    await tab.click('#crm-login');
    await tab.waitForURL(/\/contacts\/john$/);
    const panel = await panelFrame(tab);
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await panel.textContent('#caller-name'), 'John Roe');
    const offered = await panel.$$eval('#person-choice option', (options) => options.map((o) => o.textContent));
    assert.deepEqual(offered, ['John Roe', 'Jane Doe · Acme']);

    // It is Jane.
    await panel.selectOption('#person-choice', String(jane.id));
    await until('the panel to show Jane', async () => (await panel.textContent('#caller-name')) === 'Jane Doe');
    assert.equal((await server.api('GET', `/calls/${call.call_id}`, { token })).person.name, 'Jane Doe');
    await panel.fill('#notes', 'Jane picked up the switchboard line');
    const choices = await server.api('GET', '/team/choices', { token });
    await panel.selectOption('#disposition', String(choices.dispositions.find((d) => !d.retired).id));
    await panel.click('#log-call');
    await panel.waitForSelector('#log-status[data-state="logged"]');
    const janes = await server.api('GET', `/calls?person_id=${jane.id}&limit=50`, { token });
    assert.ok(janes.calls.some((c) => c.id === call.call_id && c.log?.notes === 'Jane picked up the switchboard line'), 'logged to Jane');
    const johns = await server.api('GET', `/calls?person_id=${john.id}&limit=50`, { token });
    assert.ok(!johns.calls.some((c) => c.id === call.call_id), 'not to John');
    await panel.click('#hang-up');
    await tab.close();

    // The next call from the number leads with Jane.
    const next = await server.placeCall(SWITCHBOARD);
    await until('the next ring', async () => (await browser.notificationIds()).includes(`ring:${next.call_id}`));
    assert.equal((await browser.shown(`ring:${next.call_id}`)).title, 'Jane Doe and 1 other');
    await server.carrierEvent(next, 'caller_hung_up');
  });
});
