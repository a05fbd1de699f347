// Ringback's service worker entry. Chrome only delivers events to listeners
// registered in the worker's first turn, and forbids top-level await here, so
// this file starts loading the Rust module without waiting for it, registers
// every listener at once, and has each listener wait for the module to boot
// before calling into Rust. All behaviour lives in crates/extension-worker; the
// one thing done here is opening the connection a previous worker prepared.
import init, * as worker from './worker/ringback_worker.js';

// A restarted worker is usually wanted for a ring, so everything the ring
// needs starts now, in parallel, and boot takes each over: the stored state
// (the keys are DURABLE_KEY and LIVE_KEY in crates/extension-worker/src/
// state.rs), the wasm (compiled off this thread as it arrives), and the
// microphone's permission, which the ring's text depends on.
const durable = chrome.storage.local.get('ringback');
const live = chrome.storage.session.get(['ringback_live', 'ringback_resume']);
const wasm = fetch(new URL('./worker/ringback_worker_bg.wasm', import.meta.url));
const microphone = navigator.permissions.query({ name: 'microphone' }).catch(() => null);
// The connection the last worker prepared (crates/extension-worker/src/
// resume.rs: the address, and subprotocols naming a resume ticket and this
// browser, which stands for Hello) opens as soon as the session storage
// answers; the server speaks first, and boot adopts the socket and the frames
// it heard.
const early = live.then(({ ringback_resume: prepared }) => {
  if (!prepared) return null;
  const socket = new WebSocket(prepared.url, prepared.protocols);
  const heard = [];
  socket.onmessage = ({ data }) => heard.push(data);
  return { socket, heard };
}).catch(() => null);
const ready = init({ module_or_path: wasm })
  .then(() => worker.boot(durable, live, early, microphone));

// The badge outlives the worker: a restarted worker is not online until the
// server has welcomed it, so say "off" from the first turn (after the ring
// path is under way; the Rust side sets it again once it knows).
chrome.action.setBadgeText({ text: 'off' });
chrome.action.setBadgeBackgroundColor({ color: '#5f6368' });

// The session token is in chrome.storage.local: keep that area from content
// scripts (by default they can read it), so a script in a CRM tab cannot.
chrome.storage.local.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' })?.catch?.(() => {});

const later = (handler) => (...args) => {
  ready.then(() => handler(...args)).catch((error) => console.error('ringback:', error));
};

chrome.runtime.onInstalled.addListener(later(({ reason }) => worker.on_installed(reason)));
chrome.runtime.onStartup.addListener(later(() => {}));
chrome.alarms.onAlarm.addListener(later(({ name }) => worker.on_alarm(name)));
chrome.notifications.onButtonClicked.addListener(later((id, button) => worker.on_notification_button(id, button)));
chrome.notifications.onClicked.addListener(later((id) => worker.on_notification_clicked(id)));
chrome.notifications.onClosed.addListener(later((id, byUser) => worker.on_notification_closed(id, byUser)));
chrome.tabs.onUpdated.addListener(later((tabId, _change, tab) => worker.on_tab_updated(tabId, tab)));
chrome.tabs.onRemoved.addListener(later((tabId) => worker.on_tab_removed(tabId)));
chrome.commands.onCommand.addListener(later((command, tab) => worker.on_command(command, tab)));
chrome.contextMenus.onClicked.addListener(later((info, tab) => worker.on_context_menu(String(info.menuItemId), tab, info.selectionText ?? '')));
// The offscreen document holds this port so that, when Chrome stops this
// worker, connecting again starts it at once (crates/extension-offscreen,
// wake.rs). Starting is all it is for: the boot above reconnects.
chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== 'ringback-wake' || port.sender?.url !== chrome.runtime.getURL('offscreen.html')) port.disconnect();
});

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  if (message?.to !== 'worker') return false;
  ready
    .then(() => worker.on_message(message, sender))
    .then(reply, (error) => reply({ error: { message: String(error) } }));
  return true; // the reply comes asynchronously
});
