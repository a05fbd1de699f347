// `make screenshots`: the real pages with demo data, rendered by headless
// Chromium into docs/screenshots/*.png (the README shows them).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO, EXTENSION_ID, ROOT, launchBrowser, launchPlainBrowser, panelFrame, signIn, startCrm, startServer, until } from './harness.mjs';

const OUT = join(ROOT, 'docs/screenshots');
mkdirSync(OUT, { recursive: true });
const shot = async (page, name) => {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
};

const server = await startServer();
const crm = await startCrm();
try {
  const token = await server.signIn();
  const choices = await server.api('GET', '/team/choices', { token });
  const notes = [
    'Wants pricing for 40 seats; send the enterprise deck',
    'Asked about the SSO integration, booked a demo for Tuesday',
    'Happy with the pilot, looping in procurement',
    'Not the right time, call back next quarter',
  ];
  const callers = ['+14155550111', '+14155550112', '+14155550113', '+14155550115'];
  for (let i = 0; i < 12; i++) {
    await server.loggedCall(callers[i % callers.length], token, {
      idempotency_key: `shot-${i}`, notes: notes[i % notes.length], disposition_id: choices.dispositions[i % 3].id, sentiment_id: choices.sentiments[i % 3].id,
    });
  }
  const unlogged = await server.placeCall('+14155550111');
  await server.carrierEvent(unlogged, 'phone_answered');
  await server.carrierEvent(unlogged, 'phone_hung_up');
  const ada = (await server.api('GET', '/people?q=Ada', { token }))[0];

  const plain = await launchPlainBrowser();
  const page = await (await plain.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${server.url}/login`);
  await shot(page, 'sign-in');
  await page.fill('input[name=email]', DEMO.email);
  await page.fill('input[name=password]', DEMO.password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await shot(page, 'calls');
  await page.goto(`${server.url}/people/${ada.id}`);
  await shot(page, 'person');
  await page.goto(`${server.url}/settings`);
  await shot(page, 'dialer-settings');
  await page.goto(`${server.url}/team`);
  await shot(page, 'team-lists');
  await plain.close();

  // The extension: its options page, and the panel on a CRM record.
  const grace = (await server.api('GET', '/people?q=Grace', { token }))[0];
  await server.api('PUT', `/people/${grace.id}`, {
    token,
    body: { name: grace.name, title: grace.title, account: grace.account, phones: grace.phones, crm_url: `${crm.url}/contacts/grace` },
  });
  const browser = await launchBrowser();
  const options = await signIn(browser, server);
  await options.setViewportSize({ width: 900, height: 760 });
  await shot(options, 'extension-options');
  // The toolbar popup, after a test ring, on do not disturb in Chrome.
  const popup = await browser.context.newPage();
  await popup.setViewportSize({ width: 360, height: 720 });
  await popup.goto(`chrome-extension://${EXTENSION_ID}/popup.html`);
  await popup.waitForSelector('#connection[data-state="online"]');
  await popup.click('button.mode[data-mode="dnd_browser"]');
  await popup.waitForSelector('#availability-now[data-mode="dnd_browser"]');
  await popup.click('#test-ring');
  await popup.waitForSelector('#test-ring-result');
  await shot(popup, 'popup');
  await popup.click('button.mode[data-mode="available"]');
  await popup.waitForSelector('#availability-now[data-mode="available"]');
  await popup.close();
  const call = await server.placeCall('+14155550112');
  await until('the ring', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
  const opened = browser.context.waitForEvent('page');
  await browser.press(`ring:${call.call_id}`, 0);
  const tab = await opened;
  await tab.setViewportSize({ width: 1280, height: 800 });
  await tab.waitForURL(/\/login/);
  await tab.fill('#crm-user', 'rep');
  await tab.click('#crm-login');
  const panel = await panelFrame(tab);
  await panel.waitForSelector('#reason-note');
  await panel.fill('#notes', 'Confirmed the Tuesday demo; wants SSO details first');
  // Talking: the audio is up and the quality line has figures.
  await panel.waitForSelector('#audio[data-state="connected"]');
  await until('call quality', async () => Number(await panel.getAttribute('#quality', 'data-bytes-received')) > 0);
  await shot(tab, 'panel-on-crm');
  await browser.close();
} finally {
  await crm.close();
  await server.cleanup();
}
