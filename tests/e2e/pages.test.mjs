// The server's own web pages in real Chromium: sign-in, the Calls page
// (notes, filters, pages), the Person profile, settings and team lists, and
// one rep never seeing another's data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO, SAM, launchPlainBrowser, startServer, until } from './harness.mjs';

const NUMBERS = { ada: '+14155550111', grace: '+14155550112', katherine: '+14155550113' };
const SEEDED = 210;

/** A 16-bit PCM WAV of a quiet tone. */
function wav(rate, channels, frames) {
  const data = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames * channels; i++) data.writeInt16LE(Math.round(3000 * Math.sin(i / 3)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

describe('web pages', () => {
  let server, browser, token, choices, people, rows;

  /** A call answered on the phone and logged through the API, as the dialer would. */
  async function loggedCall(from, i) {
    const disposition = choices.dispositions[i % 2];
    const call = await server.loggedCall(from, token, {
      idempotency_key: `seed-${i}`, notes: `Seeded call ${i}`, disposition_id: disposition.id, sentiment_id: choices.sentiments[0].id,
    });
    return { id: call.call_id, disposition: disposition.label, from };
  }

  async function signedIn(who = DEMO) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/calls`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name=email]', who.email);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/calls$/);
    return page;
  }

  before(async () => {
    server = await startServer();
    token = await server.signIn();
    choices = await server.api('GET', '/team/choices', { token });
    people = await server.api('GET', '/people', { token });
    const order = [NUMBERS.ada, NUMBERS.grace, NUMBERS.katherine];
    rows = [];
    for (let i = 0; i < SEEDED; i++) rows.push(await loggedCall(order[i % 3], i));
    browser = await launchPlainBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it('signs in with the rep account and lists the newest calls first, 50 to a page', async () => {
    const page = await signedIn();
    const ids = await page.$$eval('#calls tbody tr', (trs) => trs.map((tr) => Number(tr.id.replace('call-', ''))));
    assert.equal(ids.length, 50);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal(ids[0], rows.at(-1).id);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'rb_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    await page.context().close();
  });

  it('says when the password is wrong, and refuses a form from another session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=email]', DEMO.email);
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    assert.match(await page.textContent('.error'), /do not match an account/);
    assert.equal(await page.inputValue('input[name=email]'), DEMO.email, 'the email stays');
    await context.close();

    const signed = await signedIn();
    const forged = await signed.request.post(`${server.url}/calls/${rows[1].id}/notes`, {
      form: { csrf: 'forged', notes: 'from another site', back: '/calls' },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /older session/);
    const view = await server.api('GET', `/calls/${rows[1].id}`, { token });
    assert.equal(view.log.notes, 'Seeded call 1');
    await signed.context().close();
  });

  it('pages through every call and filters by disposition, outcome and Person', async () => {
    const page = await signedIn();
    const seen = new Set();
    for (;;) {
      for (const id of await page.$$eval('#calls tbody tr', (trs) => trs.map((tr) => tr.id))) seen.add(id);
      const older = await page.$('#older');
      if (!older) break;
      await Promise.all([page.waitForNavigation(), older.click()]);
    }
    assert.equal(seen.size, SEEDED, 'every call once across the pages');

    const wanted = choices.dispositions[1];
    await page.goto(`${server.url}/calls`);
    await page.selectOption('select[name=disposition]', String(wanted.id));
    await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
    const labels = await page.$$eval('#calls tbody td.disposition', (tds) => tds.map((td) => td.textContent));
    assert.equal(labels.length, 50);
    assert.ok(labels.every((l) => l === wanted.label), 'only the chosen disposition');

    await page.goto(`${server.url}/calls?q=Grace&outcome=answered_on_phone`);
    const persons = await page.$$eval('#calls tbody td.person', (tds) => tds.map((td) => td.textContent));
    assert.ok(persons.length > 0 && persons.every((p) => p === 'Grace Hopper'));
    await page.goto(`${server.url}/calls?outcome=voicemail`);
    assert.ok(await page.isVisible('#no-calls'));
    await page.goto(`${server.url}/calls?from=2026-02-31`);
    assert.match(await page.textContent('.error'), /not a date/);
    await page.context().close();
  });

  it('edits a note in place, and it is still there after a reload', async () => {
    const page = await signedIn();
    const target = rows.at(-1).id;
    const row = `#call-${target}`;
    await page.fill(`${row} textarea[name=notes]`, 'Follow up in Q3 with pricing');
    await Promise.all([page.waitForNavigation(), page.click(`${row} form.notes button`)]);
    assert.match(await page.textContent('.notice'), /Notes saved/);
    await page.reload();
    assert.equal(await page.inputValue(`${row} textarea[name=notes]`), 'Follow up in Q3 with pricing');
    const view = await server.api('GET', `/calls/${target}`, { token });
    assert.equal(view.log.notes, 'Follow up in Q3 with pricing');
    await page.context().close();
  });

  it('refuses to change a logged disposition, and says why', async () => {
    const page = await signedIn();
    const target = rows[0];
    const other = choices.dispositions.find((d) => d.label !== target.disposition);
    assert.ok(!(await page.$(`#call-${target.id} select`)), 'no disposition control on a logged call');
    // Post the log form anyway, as a stale tab or a crafted request would.
    await page.goto(`${server.url}/calls`);
    await Promise.all([
      page.waitForNavigation(),
      page.evaluate(([id, disposition]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = `/calls/${id}/log`;
        const fields = { csrf: document.querySelector('input[name=csrf]').value, disposition, notes: 'x', key: 'stale', back: '/calls' };
        for (const [name, value] of Object.entries(fields)) {
          const input = document.createElement('input');
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      }, [target.id, String(other.id)]),
    ]);
    assert.match(await page.textContent('.error'), /already logged: its disposition and sentiment cannot be changed/);
    const view = await server.api('GET', `/calls/${target.id}`, { token });
    assert.equal(view.log.disposition.label, target.disposition, 'unchanged on the server');
    await page.context().close();
  });

  it('logs a call answered on the phone from the Person profile', async () => {
    const call = await server.placeCall(NUMBERS.katherine);
    await server.carrierEvent(call, 'phone_answered');
    await server.carrierEvent(call, 'phone_hung_up');
    const view = await server.api('GET', `/calls/${call.call_id}`, { token });
    const page = await signedIn();
    await page.goto(`${server.url}/people/${view.person.id}`);
    assert.equal(await page.textContent('#person-name'), 'Katherine Johnson');
    const card = `#call-${call.call_id}`;
    await page.fill(`${card} textarea[name=notes]`, 'Asked about the enterprise plan');
    await page.selectOption(`${card} select[name=disposition]`, String(choices.dispositions[1].id));
    await Promise.all([page.waitForNavigation(), page.click(`${card} button[type=submit]`)]);
    assert.match(await page.textContent('.notice'), /Call logged/);
    await page.goto(`${server.url}/calls`);
    assert.equal(await page.textContent(`#call-${call.call_id} td.disposition`), choices.dispositions[1].label);
    await page.context().close();
  });

  it('validates dialer settings and says what to fix', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/settings`);
    // The browser's own checks (min/max) would stop a bad value first; the
    // server must refuse it anyway, as it would a crafted request.
    const unchecked = () => page.$eval('#dialer-settings', (form) => { form.noValidate = true; });
    await unchecked();
    await page.fill('input[name=forwarding_number]', 'call me maybe');
    await Promise.all([page.waitForNavigation(), page.click('#dialer-settings button[type=submit]')]);
    assert.match(await page.textContent('.error'), /^Forwarding number:/);
    assert.equal(await page.inputValue('input[name=forwarding_number]'), 'call me maybe', 'what was typed stays');
    await unchecked();
    await page.fill('input[name=forwarding_number]', '(415) 555-0177');
    await page.fill('input[name=ring_timeout_secs]', '500');
    await Promise.all([page.waitForNavigation(), page.click('#dialer-settings button[type=submit]')]);
    assert.match(await page.textContent('.error'), /Ring for must be between 5 and 120/);
    await page.fill('input[name=ring_timeout_secs]', '45');
    await page.check('input[name=no_answer_action][value=voicemail]');
    await Promise.all([page.waitForNavigation(), page.click('#dialer-settings button[type=submit]')]);
    assert.match(await page.textContent('.notice'), /Settings saved/);
    const saved = await server.api('GET', '/settings/dialer', { token });
    assert.equal(saved.forwarding_number, '+14155550177');
    assert.equal(saved.ring_timeout_secs, 45);
    assert.equal(saved.no_answer_action, 'voicemail');
    await page.context().close();
  });

  it('uploads a voicemail greeting, refuses one in the wrong format, and goes back to the default', async () => {
    const page = await signedIn(SAM);
    await page.goto(`${server.url}/settings`);
    assert.match(await page.textContent('#greeting'), /default greeting/);
    const upload = async (name, buffer) => {
      await page.setInputFiles('#greeting input[type=file]', { name, mimeType: 'audio/wav', buffer });
      await Promise.all([page.waitForNavigation(), page.click('#greeting button:has-text("Upload greeting")')]);
    };
    await upload('cd-quality.wav', wav(44_100, 2, 4_410));
    assert.match(await page.textContent('.error'), /8 kHz, 16-bit, mono.*sox/);
    assert.match(await page.textContent('#greeting'), /default greeting/, 'nothing was saved');

    await upload('hello.wav', wav(8_000, 1, 16_000));
    assert.match(await page.textContent('.notice'), /Greeting saved/);
    assert.match(await page.textContent('#greeting'), /your own greeting/);
    const mine = await page.request.get(`${server.url}/settings/greeting.wav`);
    assert.equal((await mine.body()).length, 44 + 16_000 * 2, 'the page plays the uploaded file');

    await Promise.all([page.waitForNavigation(), page.click('#greeting button:has-text("Use the default greeting")')]);
    assert.match(await page.textContent('.notice'), /default greeting/);
    const fallback = await page.request.get(`${server.url}/settings/greeting.wav`);
    assert.notEqual((await fallback.body()).length, 44 + 16_000 * 2);
    await page.context().close();
  });

  it('lets an admin rename and retire a disposition; old logs keep it', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/team`);
    const first = choices.dispositions[0];
    const renameForm = `#dispositions form:has(input[name=id][value="${first.id}"]):has(input[value=rename])`;
    await page.fill(`${renameForm} input[name=label]`, 'Spoke with them');
    await Promise.all([page.waitForNavigation(), page.click(`${renameForm} button`)]);
    const retireForm = `#dispositions form:has(input[name=id][value="${first.id}"]):has(input[value=retire])`;
    await Promise.all([page.waitForNavigation(), page.click(`${retireForm} button`)]);
    const now = await server.api('GET', '/team/choices', { token });
    const changed = now.dispositions.find((d) => d.id === first.id);
    assert.equal(changed.label, 'Spoke with them');
    assert.equal(changed.retired, true);
    const old = await server.api('GET', `/calls/${rows[0].id}`, { token });
    assert.equal(old.log.disposition.label, 'Spoke with them', 'a retired value stays on old logs');
    await page.context().close();
  });

  it('shows one rep nothing of another rep\'s calls or People', async () => {
    const page = await signedIn(SAM);
    assert.ok(await page.isVisible('#no-calls'), 'Sam has no logged calls');
    assert.equal(await page.$('a[href="/team"]'), null, 'not an admin');
    const csrf = await page.evaluate(() => document.querySelector('input[name=csrf]').value);
    const ada = people.find((p) => p.name === 'Ada Lovelace');
    const response = await page.goto(`${server.url}/people/${ada.id}`);
    assert.equal(response.status(), 404);
    const notes = await page.request.post(`${server.url}/calls/${rows[0].id}/notes`, {
      form: { csrf, notes: 'hijack', back: '/calls' },
      maxRedirects: 0,
    });
    assert.equal(notes.status(), 404);
    const team = await page.goto(`${server.url}/team`);
    assert.equal(team.status(), 403);
    const view = await server.api('GET', `/calls/${rows[0].id}`, { token });
    assert.equal(view.log.notes, 'Seeded call 0', 'Riley\'s note is untouched');
    await page.context().close();
  });

  it('lists a voicemail with its recording, which plays and can be re-marked "no answer"', async () => {
    // Sam has no forwarding phone and no browser online: the call goes
    // straight to voicemail and is logged by the server.
    const call = await server.placeCall('+14155550121', SAM.dialer);
    assert.equal(call.outcome, 'voicemail');
    // The default greeting lasts 4.9 s; the stand-in caller then speaks for
    // about 1.5 s. Hang up once the server has recorded a second of it.
    const media = () => server.api('GET', `/carrier/calls/${call.carrier_call_id}/media`, { carrier: true });
    await until('a second of the message to be recorded', async () => (await media()).recorded_ms >= 1_000, { timeout: 15_000 });
    await server.carrierEvent(call, 'caller_hung_up');
    const samToken = await server.signIn(SAM);
    const recording = await until('the voicemail to be saved', async () =>
      (await server.api('GET', `/calls/${call.call_id}`, { token: samToken })).recording);
    assert.ok(recording.duration_ms >= 1_000 && recording.duration_ms < 2_500, `recorded ${recording.duration_ms} ms`);

    const page = await signedIn(SAM);
    const row = `#call-${call.call_id}`;
    assert.equal(await page.textContent(`${row} td.outcome .outcome-label`), 'Voicemail');
    assert.match(await page.textContent(`${row} td.outcome details.timeline`), /Went to voicemail/);
    // Chromium's own player loads it (its metadata needs Range requests) ...
    const seconds = await page.$eval(`${row} td.recording audio`, (audio) => new Promise((resolve, reject) => {
      audio.onloadedmetadata = () => resolve(audio.duration);
      audio.onerror = () => reject(new Error(`audio error ${audio.error && audio.error.code}`));
      audio.preload = 'metadata';
      audio.load();
    }));
    assert.ok(Math.abs(seconds * 1000 - recording.duration_ms) < 50, `the player sees ${seconds} s`);
    // ... and a seek-style Range request gets exactly those bytes.
    const src = await page.$eval(`${row} td.recording audio`, (audio) => audio.src);
    const partial = await page.request.get(src, { headers: { Range: 'bytes=100-199' } });
    assert.equal(partial.status(), 206);
    assert.equal(partial.headers()['content-range'], `bytes 100-199/${recording.bytes}`);
    assert.equal((await partial.body()).length, 100);
    await Promise.all([page.waitForNavigation(), page.click(`${row} button:has-text("Mark as no answer")`)]);
    assert.match(await page.textContent('.notice'), /Marked as no answer/);
    assert.match(await page.textContent(`${row} td.outcome`), /marked no answer/);
    const view = await server.api('GET', `/calls/${call.call_id}`, { token: samToken });
    assert.equal(view.log.status, 'no_answer');
    await page.context().close();
  });

  it('lays out a right-to-left name, account and notes right to left', async () => {
    const layla = await server.api('POST', '/people', {
      token, body: { name: 'ليلى عبد الله', title: 'مديرة', account: 'شركة النخيل', phones: ['+14155550178'] },
    });
    const current = (await server.api('GET', '/team/choices', { token })).dispositions.find((d) => !d.retired);
    await server.loggedCall('+14155550178', token, { idempotency_key: 'rtl-1', notes: 'اتصلت بشأن العرض', disposition_id: current.id });
    const page = await signedIn();
    await page.goto(`${server.url}/people/${layla.id}`);
    const direction = (selector) => page.$eval(selector, (el) => getComputedStyle(el).direction);
    assert.equal(await direction('#person-name'), 'rtl');
    assert.equal(await direction('p.lead'), 'rtl');
    assert.equal(await direction('p.notes'), 'rtl');
    // The Latin page around them stays left to right.
    assert.equal(await direction('body'), 'ltr');
    await page.context().close();
  });
});
