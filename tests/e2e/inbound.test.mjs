// An inbound call, end to end: real server, real Chromium with the extension,
// a CRM with a login and a strict CSP. The steps share one browser and run
// in order, as a rep's day would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_ID, launchBrowser, panelFrame, signIn, startCrm, startServer, until } from './harness.mjs';

const GRACE = { number: '+14155550142', name: 'Grace Hopper', title: 'VP Engineering', account: 'Compilers Inc' };

describe('inbound calls in Chrome', () => {
  let server, crm, browser, token, grace;

  before(async () => {
    server = await startServer();
    crm = await startCrm();
    token = await server.signIn();
    // Ring long enough that no step races the no-answer timer.
    // Calls ring long enough for anything the test does.
    await server.updateSettings(token, { ring_timeout_secs: 120 });
    grace = await server.api('POST', '/people', {
      token,
      body: { name: GRACE.name, title: GRACE.title, account: GRACE.account, phones: [GRACE.number], crm_url: `${crm.url}/contacts/grace` },
    });
    // An earlier call, answered on the phone and logged: the reason she calls back.
    const choices = await server.api('GET', '/team/choices', { token });
    await server.loggedCall(GRACE.number, token, {
      idempotency_key: 'e2e-earlier', notes: 'Asked for pricing on the enterprise plan\nsend deck', disposition_id: choices.dispositions[0].id,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await crm?.close();
    await server?.cleanup();
  });

  it('opens the options page on install, signs in there and connects', async () => {
    await until('the options page to open on install', () =>
      browser.context.pages().some((p) => p.url() === `chrome-extension://${EXTENSION_ID}/options.html`));
    const options = await signIn(browser, server);
    assert.ok((await options.textContent('#rep-name')).length > 0, 'shows who is signed in');
    assert.equal(await options.getAttribute('#notifications', 'data-state'), 'granted');
    assert.equal(await options.getAttribute('#microphone', 'data-state'), 'granted');
    await until('the badge to clear once online', async () => (await browser.badge()) === '');
    await options.close();
  });

  let accepted;
  it('rings with the caller\'s name, title, account, Accept and Close, and the ringtone', async () => {
    await browser.spyOnNotifications();
    const call = await server.placeCall(GRACE.number);
    assert.equal(call.ring_browser, true, 'the rep is online, so the browser rings');
    const id = `ring:${call.call_id}`;
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(id));
    const shown = await browser.shown(id);
    assert.equal(shown.title, GRACE.name);
    assert.equal(shown.message, `${GRACE.title} · ${GRACE.account}`);
    assert.deepEqual(shown.buttons.map((b) => b.title), ['Accept', 'Close']);
    assert.equal(shown.requireInteraction, true);
    assert.match(shown.iconUrl, /icons\/icon-128\.png$/);
    await until('the ringtone to play', async () => (await browser.ringtone()).ringing);
    accepted = call;
  });

  it('Accept opens the CRM through its login, injects the panel, and logs the call once', async () => {
    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(`ring:${accepted.call_id}`, 0);
    const tab = await tabOpened;
    await until('the ringtone to stop', async () => !(await browser.ringtone()).ringing);
    assert.ok(!(await browser.notificationIds()).includes(`ring:${accepted.call_id}`), 'the notification is gone');

    // The CRM asks the rep to sign in first; the panel must wait for the record.
    await tab.waitForURL(/\/login\?next=/);
    assert.equal(tab.frames().some((f) => f.url().includes('panel.html')), false, 'no panel on the login page');
    await tab.fill('#crm-user', 'rep');
    await tab.click('#crm-login');
    await tab.waitForURL(/\/contacts\/grace$/);
    assert.equal(await tab.textContent('#record'), 'Contact: grace');
    assert.notEqual(await tab.title(), 'inline script ran', 'the CRM CSP is in force');

    const panel = await panelFrame(tab);
    await panel.waitForSelector('#caller-name');
    assert.equal(await panel.textContent('#caller-name'), GRACE.name);
    assert.equal(await panel.textContent('#caller-details'), `${GRACE.title} · ${GRACE.account}`);
    assert.equal(await panel.textContent('#caller-number'), GRACE.number);
    await panel.waitForSelector('#reason-note');
    assert.equal(await panel.textContent('#reason-note'), 'Asked for pricing on the enterprise plan');
    await panel.waitForSelector('#call-state[data-phase="connected"]');

    const choices = await server.api('GET', '/team/choices', { token });
    const disposition = choices.dispositions.find((d) => !d.retired);
    const sentiment = choices.sentiments.find((s) => !s.retired);
    await panel.fill('#notes', 'Wants a demo next Tuesday');
    await panel.selectOption('#disposition', String(disposition.id));
    await panel.selectOption('#sentiment', String(sentiment.id));
    await panel.click('#log-call');
    await panel.waitForSelector('#log-status[data-state="logged"]');
    assert.equal(await panel.isDisabled('#disposition'), true, 'disposition is final once logged');
    assert.equal(await panel.isDisabled('#sentiment'), true, 'sentiment is final once logged');

    const view = await server.api('GET', `/calls/${accepted.call_id}`, { token });
    assert.equal(view.outcome, 'answered_in_browser');
    assert.equal(view.log.notes, 'Wants a demo next Tuesday');
    assert.equal(view.log.disposition.id, disposition.id);
    assert.equal(view.log.sentiment.id, sentiment.id);
    const history = await server.api('GET', `/calls?person_id=${grace.id}&limit=50`, { token });
    assert.equal(history.calls.filter((c) => c.id === accepted.call_id).length, 1, 'the call is listed once');

    // "Open Dialer here" from the context menu puts the active call's panel in another tab.
    const other = await browser.context.newPage();
    await other.goto(`${crm.url}/contacts/other`);
    await browser.inWorker(async (url) => {
      const [tab] = await chrome.tabs.query({ url });
      chrome.contextMenus.onClicked.dispatch({ menuItemId: 'open-dialer', pageUrl: url }, tab);
    }, other.url());
    const otherPanel = await panelFrame(other);
    await otherPanel.waitForSelector('#log-status[data-state="logged"]');
    assert.equal(await otherPanel.textContent('#caller-name'), GRACE.name);
    // The worker trusts that tab only while it shows the CRM: sent to
    // another site, it is forgotten (and so is a tab that closes).
    const otherTabId = await browser.inWorker(async (url) => (await chrome.tabs.query({ url }))[0].id, other.url());
    const injected = () => browser.inWorker(async () =>
      (await chrome.storage.session.get('ringback_live')).ringback_live?.injected_tabs ?? []);
    assert.ok((await injected()).includes(otherTabId), 'the tab is known while it shows the CRM');
    await other.goto(`${server.url}/login`);
    await until('the worker to forget the tab that left the CRM', async () => !(await injected()).includes(otherTabId));
    await other.close();

    // A page that frames panel.html itself cannot even load it: the panel
    // is web-accessible only at its per-session dynamic URL (and the
    // worker would tell such a panel nothing about the call anyway).
    const framer = await browser.context.newPage();
    await framer.goto(`${crm.url}/framed-panel`);
    await framer.waitForLoadState('load');
    const framed = framer.frames().filter((frame) => frame !== framer.mainFrame());
    assert.ok(framed.length > 0, 'the page has its iframe');
    assert.deepEqual(framed.map((frame) => frame.url()), ['chrome-error://chromewebdata/'], 'the static URL is refused');
    for (const frame of framed) {
      assert.equal(await frame.$('#caller-name').catch(() => null), null, `nothing of the call in ${frame.url()}`);
      assert.equal(await frame.$('#log-call').catch(() => null), null);
    }
    await framer.close();

    await panel.click('#hang-up');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    await tab.close();
  });

  it('Close stops ringing here while the phone keeps ringing', async () => {
    const call = await server.placeCall(GRACE.number);
    const id = `ring:${call.call_id}`;
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(id));
    await browser.press(id, 1);
    await until('the notification to go', async () => !(await browser.notificationIds()).includes(id));
    await until('the ringtone to stop', async () => !(await browser.ringtone()).ringing);
    const view = await until('the server to record the Close', async () => {
      const v = await server.api('GET', `/calls/${call.call_id}`, { token });
      return v.browser_leg === 'closed' && v;
    });
    assert.equal(view.status, 'ringing');
    assert.equal(view.phone_leg, 'ringing', 'the forwarding phone still rings');
    await server.carrierEvent(call, 'caller_hung_up');
  });

  it('keyboard shortcuts close and accept the ringing call, and the options page lists them', async () => {
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    const key = (name) => options.textContent(`#shortcuts tr[data-command="${name}"] kbd`);
    await options.waitForSelector('#shortcuts tr[data-command="accept-call"] kbd');
    // Chromium keeps Alt+Shift+A and Alt+Shift+X for itself (an extension
    // asking for them gets no key), so: Y for yes, K to keep it on the phone.
    assert.equal(await key('accept-call'), 'Alt+Shift+Y');
    assert.equal(await key('close-call'), 'Alt+Shift+K');
    assert.equal(await key('open-dialer'), 'Alt+Shift+D');
    await options.close();
    // A pressed shortcut reaches the worker as chrome.commands.onCommand.
    const shortcut = (name) => browser.inWorker((name) => chrome.commands.onCommand.dispatch(name), name);

    const closed = await server.placeCall(GRACE.number);
    await until('the ring', async () => (await browser.notificationIds()).includes(`ring:${closed.call_id}`));
    await shortcut('close-call');
    await until('the server to record the Close', async () =>
      (await server.api('GET', `/calls/${closed.call_id}`, { token })).browser_leg === 'closed');
    assert.ok(!(await browser.notificationIds()).includes(`ring:${closed.call_id}`));
    await server.carrierEvent(closed, 'caller_hung_up');

    const accepted = await server.placeCall(GRACE.number);
    await until('the ring', async () => (await browser.notificationIds()).includes(`ring:${accepted.call_id}`));
    const tabOpened = browser.context.waitForEvent('page');
    await shortcut('accept-call');
    const view = await until('the server to connect the browser', async () => {
      const v = await server.api('GET', `/calls/${accepted.call_id}`, { token });
      return v.browser_leg === 'answered' && v;
    });
    assert.equal(view.status, 'connected');
    const tab = await tabOpened;

    // The panel from the keyboard alone: Tab to each control, type, pick
    // with the arrow keys, log with Enter, then hang up with Enter.
    await tab.waitForURL(/\/contacts\/grace$/);
    const panel = await panelFrame(tab);
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    await tab.bringToFront();
    const focused = () => panel.evaluate(() => document.activeElement?.id ?? '');
    const tabTo = async (id, back = false) => {
      for (let presses = 0; presses < 30; presses++) {
        if ((await focused()) === id) return;
        await tab.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      }
      throw new Error(`Tab never reached #${id} (focus on #${await focused()})`);
    };
    await tabTo('notes');
    await tab.keyboard.type('Typed without a mouse');
    await tabTo('disposition');
    await tab.keyboard.press('ArrowDown');
    await tabTo('sentiment');
    await tab.keyboard.press('ArrowDown');
    await tabTo('log-call');
    await tab.keyboard.press('Enter');
    await panel.waitForSelector('#log-status[data-state="logged"]');
    const logged = await server.api('GET', `/calls/${accepted.call_id}`, { token });
    assert.equal(logged.log.notes, 'Typed without a mouse');
    assert.ok(logged.log.disposition, 'a disposition was chosen with the keyboard');
    assert.ok(logged.log.sentiment, 'a sentiment was chosen with the keyboard');
    await tabTo('hang-up', true);
    await tab.keyboard.press('Enter');
    await panel.waitForSelector('#call-state[data-phase="ended"]');
    assert.equal((await server.api('GET', `/calls/${accepted.call_id}`, { token })).status, 'ended');
    await tab.close();
  });

  it('the panel never hides the record: it collapses to a bar and moves, keeps its state, is remembered per CRM, and lays out right-to-left names', async () => {
    const layla = await server.api('POST', '/people', {
      token,
      body: { name: 'ليلى عبد الله', title: 'مديرة المبيعات', account: 'شركة النخيل', phones: ['+14155550177'], crm_url: `${crm.url}/contacts/layla` },
    });
    const call = await server.placeCall('+14155550177');
    await until('the ring', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(`ring:${call.call_id}`, 0);
    const tab = await tabOpened;
    await tab.waitForURL(/\/contacts\/layla$/);
    const panel = await panelFrame(tab);
    await panel.waitForSelector('#call-state[data-phase="connected"]');
    assert.equal(await panel.textContent('#caller-name'), layla.name);
    const direction = (selector) => panel.$eval(selector, (el) => getComputedStyle(el).direction);
    assert.equal(await direction('#caller-name'), 'rtl', 'an Arabic name reads right to left');
    assert.equal(await direction('#caller-details'), 'rtl');
    await panel.fill('#notes', 'Call back Thursday');

    const host = '#ringback-dialer-everywhere';
    const box = async (page = tab) => (await page.$(host)).boundingBox();
    const collapsed = (page = tab) => page.getAttribute(host, 'data-collapsed');
    // The bar is the host's top 32 px: collapse is the button left of close.
    const pressCollapse = async (page = tab) => {
      const b = await box(page);
      await page.mouse.click(b.x + b.width - 50, b.y + 16);
    };
    const open = await box();
    assert.ok(open.height > 300, `the panel is open (${open.height} px)`);
    await pressCollapse();
    await until('the panel to collapse', async () => (await collapsed()) === 'true');
    const bar = await box();
    assert.ok(bar.height <= 40, `collapsed to its bar (${bar.height} px)`);
    assert.ok(Math.abs(bar.y + bar.height - (open.y + open.height)) < 2, 'the bar stays where the panel ended');

    // Dragged by its bar, 300 px left and 200 px up.
    await tab.mouse.move(bar.x + 40, bar.y + 16);
    await tab.mouse.down();
    await tab.mouse.move(bar.x - 110, bar.y - 84, { steps: 5 });
    await tab.mouse.move(bar.x - 260, bar.y - 184, { steps: 5 });
    await tab.mouse.up();
    const moved = await box();
    assert.ok(Math.abs(moved.x - (bar.x - 300)) < 2 && Math.abs(moved.y - (bar.y - 200)) < 2, `moved: ${JSON.stringify({ bar, moved })}`);

    // Open again: the call and the notes typed are still there.
    await pressCollapse();
    await until('the panel to open', async () => (await collapsed()) === 'false');
    assert.equal(await panel.inputValue('#notes'), 'Call back Thursday');
    await panel.waitForSelector('#call-state[data-phase="connected"]');

    // Remembered for this CRM: collapsed and moved, the Dialer opened on
    // another of its pages comes back the same.
    await pressCollapse();
    await until('the panel to collapse', async () => (await collapsed()) === 'true');
    const remembered = await box();
    const other = await browser.context.newPage();
    await other.goto(`${crm.url}/contacts/other`);
    await browser.inWorker(async (url) => {
      const [t] = await chrome.tabs.query({ url });
      chrome.contextMenus.onClicked.dispatch({ menuItemId: 'open-dialer', pageUrl: url }, t);
    }, other.url());
    await other.waitForSelector(host, { state: 'attached' });
    await until('the other tab\'s panel to come collapsed', async () => (await collapsed(other)) === 'true');
    const there = await box(other);
    assert.ok(Math.abs(there.x - remembered.x) < 2 && Math.abs(there.y - remembered.y) < 2, `same place: ${JSON.stringify({ remembered, there })}`);
    // Opened again there, it comes open from now on (the later steps read it).
    await pressCollapse(other);
    await until('the panel to open', async () => (await collapsed(other)) === 'false');
    await other.close();

    await server.carrierEvent(call, 'caller_hung_up');
    await tab.close();
  });

  it('a call answered on the phone clears the notification, with no missed call', async () => {
    const call = await server.placeCall(GRACE.number);
    const id = `ring:${call.call_id}`;
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(id));
    await server.carrierEvent(call, 'phone_answered');
    await until('the notification to go', async () => !(await browser.notificationIds()).includes(id));
    assert.ok(!(await browser.notificationIds()).includes(`missed:${call.call_id}`));
    await server.carrierEvent(call, 'phone_hung_up');
  });

  it('a caller who hangs up while ringing leaves a missed-call notification and badge', async () => {
    const badgeBefore = Number((await browser.badge()) || 0);
    const call = await server.placeCall(GRACE.number);
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    await server.carrierEvent(call, 'caller_hung_up');
    await until('the missed-call notification', async () => (await browser.notificationIds()).includes(`missed:${call.call_id}`));
    assert.ok(!(await browser.notificationIds()).includes(`ring:${call.call_id}`));
    assert.equal((await browser.shown(`missed:${call.call_id}`)).title, `Missed call from ${GRACE.name}`);
    assert.equal(await browser.badge(), String(badgeBefore + 1));
  });

  it('a log made while the server is down survives a worker stop and arrives once, when the server is back', async () => {
    const call = await server.placeCall(GRACE.number);
    const id = `ring:${call.call_id}`;
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(id));
    const tabOpened = browser.context.waitForEvent('page');
    await browser.press(id, 0);
    const tab = await tabOpened;
    await tab.waitForURL(/\/contacts\/grace$/); // still signed in to the CRM
    const panel = await panelFrame(tab);
    await panel.waitForSelector('#call-state[data-phase="connected"]');

    await server.stop();
    await panel.fill('#notes', 'Logged while the server was down');
    await panel.click('#log-call');
    await panel.waitForSelector('#log-status[data-state="queued"]');
    await until('the failed attempt to be reported', async () => /reachable/.test(await panel.textContent('#log-status')));
    // The log is in chrome.storage, not in the worker: stopping it loses nothing.
    const stopped = await browser.stopWorker();
    await stopped.done();

    await server.start();
    await panel.waitForSelector('#log-status[data-state="logged"]', { timeout: 45000 });
    const view = await server.api('GET', `/calls/${call.call_id}`, { token });
    assert.equal(view.log.notes, 'Logged while the server was down');
    const history = await server.api('GET', `/calls?person_id=${grace.id}&limit=50`, { token });
    assert.equal(history.calls.filter((c) => c.id === call.call_id).length, 1);
    await tab.close();
  });

  it('after Chrome stops the worker it reconnects by itself and the next call rings', async () => {
    // The missed calls of the earlier steps are marked seen, so the badge is
    // empty exactly when the worker is online.
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.click('#missed button');
    await until('the badge to clear', async () => (await browser.badge()) === '');
    await options.close();

    // What the server knows, not the badge, says when the worker is back: a
    // Hello newer than the stop, on a socket that is open.
    const before = await server.api('GET', '/presence', { token });
    // Without its 30-second watchdog alarm, only the offscreen document's
    // port can bring the worker back, and it must.
    assert.equal(await browser.inWorker(() => chrome.alarms.clear('ringback-watchdog')), true);
    const stopped = await browser.stopWorker();
    await stopped.restarted();
    await until('the restarted worker to say Hello to the server', async () => {
      const presence = await server.api('GET', '/presence', { token });
      return presence.online && presence.hellos > before.hellos;
    }, { timeout: 15000 });
    // The badge follows a moment after the ring path (RING_PATH_FIRST_MS).
    await until('the badge to say online too', async () => (await browser.badge()) === '');
    await stopped.done();
    const call = await server.placeCall(GRACE.number);
    assert.equal(call.ring_browser, true);
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    await server.carrierEvent(call, 'caller_hung_up');
    assert.ok(await browser.inExtension(async () => (await chrome.alarms.getAll()).some((a) => a.name === 'ringback-watchdog')),
      'the restarted worker set its watchdog again');
  });

  it('a call that comes while Chrome has stopped the worker rings once it is back', async () => {
    // The worker keeps a prepared connection (a resume ticket the server
    // sent): the restarted one opens its socket with it while its wasm loads.
    const prepared = await until('a prepared connection', async () => (await browser.inExtension(() => chrome.storage.session.get('ringback_resume'))).ringback_resume);
    assert.ok(prepared.protocols.includes('ringback.v1') && prepared.protocols.some((p) => p.startsWith('ticket.')));
    const stopped = await browser.stopWorker();
    // The socket went with the worker: the server rings the browser anyway
    // (it was here a moment ago) and re-sends the ring on the next Hello.
    const call = await server.placeCall(GRACE.number);
    assert.equal(call.ring_browser, true, 'the presence grace keeps the browser in the call');
    await stopped.restarted();
    await stopped.done();
    await until('the ringing notification after the restart', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    await server.carrierEvent(call, 'caller_hung_up');
    await until('the notification to clear', async () => !(await browser.notificationIds()).includes(`ring:${call.call_id}`));
    // It was used (a ticket is single use), and the new socket was sent the next.
    assert.equal(await opensWith(prepared), false, 'the restarted worker spent the prepared ticket');
    await until('a fresh prepared connection', async () => {
      const now = (await browser.inExtension(() => chrome.storage.session.get('ringback_resume'))).ringback_resume;
      return now && now.protocols.join() !== prepared.protocols.join();
    });
  });

  it('a prepared connection the server refuses costs a restarted worker nothing but the usual ticket', async () => {
    const before = await server.api('GET', '/presence', { token });
    await browser.inExtension(async () => {
      const { ringback_resume: prepared } = await chrome.storage.session.get('ringback_resume');
      prepared.protocols = ['ringback.v1', 'ticket.spent-or-made-up'];
      await chrome.storage.session.set({ ringback_resume: prepared });
    });
    const stopped = await browser.stopWorker();
    await stopped.restarted();
    await stopped.done();
    await until('the restarted worker to say Hello the usual way', async () => {
      const presence = await server.api('GET', '/presence', { token });
      return presence.online && presence.hellos > before.hellos;
    }, { timeout: 15000 });
    const call = await server.placeCall(GRACE.number);
    await until('the ringing notification', async () => (await browser.notificationIds()).includes(`ring:${call.call_id}`));
    await server.carrierEvent(call, 'caller_hung_up');
    await until('the notification to clear', async () => !(await browser.notificationIds()).includes(`ring:${call.call_id}`));
  });

  /** Whether the server still opens a socket for `prepared` (from an extension page, so with the extension's Origin). */
  const opensWith = (prepared) => browser.inExtension((prepared) => new Promise((resolve) => {
    const socket = new WebSocket(prepared.url, prepared.protocols);
    socket.onopen = () => { socket.close(); resolve(true); };
    socket.onclose = () => resolve(false);
  }), prepared);

  it('a script in a CRM tab cannot read the session token or the resume ticket from the extension storage', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${crm.url}/contacts/other`);
    const seen = await browser.inWorker(async (url) => {
      const [tab] = await chrome.tabs.query({ url });
      const [result] = await chrome.scripting.executeScript({
        target: { tabId: tab.id },
        // The token is in the local area; the resume ticket in the session one.
        func: async () => Promise.all(['local', 'session'].map(async (area) => {
          try {
            return JSON.stringify(await chrome.storage[area].get(null));
          } catch (error) {
            return `refused: ${error.message}`;
          }
        })),
      });
      return result.result;
    }, page.url());
    assert.equal(seen.length, 2);
    for (const read of seen) assert.match(read, /^refused/, `a content script read: ${read}`);
    await page.close();
  });
});
