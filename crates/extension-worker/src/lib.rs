//! Ringback's Manifest V3 service worker, in Rust.
//!
//! Chrome starts and stops this worker at will, and requires every event
//! listener to be registered in the worker's first turn, before any wasm can
//! have loaded. So `extension/sw.js` registers the listeners, and each one
//! waits for [`boot`] and then calls the matching `on_*` function here.
//!
//! What the worker does:
//! - keeps the rep's session and a signalling socket to the server
//!   ([`socket`]), reconnecting with backoff and, if Chrome stopped the
//!   worker, from the watchdog alarm;
//! - rings: a notification with Accept and Close, and the ringtone in the
//!   offscreen document ([`calls`], [`ringtone`], [`offscreen`]). What to do
//!   about a call is decided by `worker_core::update` (pure, tested on the
//!   host); [`calls`] turns Chrome's events into its inputs and runs its
//!   effects;
//! - on Accept has the offscreen document answer the server's audio offer,
//!   and ends that audio when the call ends ([`audio`]);
//! - on Accept opens the CRM record and injects the panel once the record is
//!   showing ([`panel`]);
//! - answers the panel, popup and options pages ([`on_message`]), signs in
//!   and out for them ([`session`]), and sends their logs through an outbox
//!   that survives everything ([`outbox`]);
//! - shows the rep's availability on the badge ([`badge`]), sets it on the
//!   server for the popup ([`availability`]), and runs a test ring
//!   ([`test_ring`]).
//!
//! The session token stays here and in `chrome.storage`; pages get views.

mod audio;
mod availability;
mod badge;
mod calls;
mod choices;
mod dial;
mod http;
mod js_read;
mod js_storage;
mod microphone;
mod offscreen;
mod outbox;
mod panel;
mod panel_view;
mod requests;
mod resume;
mod ringtone;
pub mod rules;
mod session;
mod socket;
mod state;
mod test_ring;
mod wire;

use chrome::api::{alarms, call, context_menus};
use chrome::messages::{
    CallPhase, Envelope, LiveCall, PageNotice, StatusView, Target, WorkerReply, WorkerRequest,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The watchdog alarm: wakes a stopped worker to reconnect and send the outbox.
const WATCHDOG: &str = "ringback-watchdog";
/// Chrome's shortest alarm period.
const WATCHDOG_MINUTES: f64 = 0.5;
const CONTEXT_MENU_ID: &str = "open-dialer";
/// "Call with Ringback" on a selected phone number.
const CALL_MENU_ID: &str = "call-number";

/// Runs once per worker start, before any event is handled. `sw.js` has
/// already asked `chrome.storage` for the durable and live state (the reads
/// overlap the wasm's loading); these are those two reads. `early` is the
/// socket `sw.js` opened from the prepared connection, if any
/// ([`resume`]): `{ socket, heard }` or null. `microphone`: the permission
/// query `sw.js` started ([`microphone::adopt`]).
#[wasm_bindgen]
pub async fn boot(
    durable: js_sys::Promise,
    live: js_sys::Promise,
    early: js_sys::Promise,
    microphone: js_sys::Promise,
) -> Result<(), JsValue> {
    microphone::adopt(microphone);
    state::load(durable, live).await?;
    if state::read(|s| s.durable.device_id.is_none()) {
        let id = format!("dev-{}", random_id());
        state::durable(|d| d.device_id = Some(id)).await?;
    }
    // The ring path first: connect.
    socket::on_event(calls::on_socket_event);
    let early = wasm_bindgen_futures::JsFuture::from(early)
        .await
        .unwrap_or(JsValue::NULL);
    if !socket::adopt(&early) {
        socket::ensure_connected();
    }
    // The rest waits until the ring path has had the browser to itself: a
    // worker Chrome just restarted is usually wanted for a ring the server
    // re-sends right after Welcome, and every call to Chrome sent alongside
    // it (the badge, the alarm, the offscreen document) delays the
    // notification. Not awaited: every event waits for boot.
    after_the_ring(async {
        badge::refresh();
        if state::read(|s| s.durable.session.is_some()) {
            offscreen::ensure_open().await;
        }
        set_watchdog().await;
        outbox::flush().await;
    });
    Ok(())
}

/// How long the worker leaves the browser to the ring path after boot or
/// Welcome (measured: a restarted worker shows a resumed ring about 120 ms
/// after it starts).
pub(crate) const AFTER_THE_RING_MS: u32 = 300;

/// Runs `work` in the background once a ring that may be on its way (the
/// server re-sends what rings right after Welcome) has had the browser to
/// itself: every call to Chrome sent alongside delays its notification.
pub(crate) fn after_the_ring(work: impl std::future::Future<Output = ()> + 'static) {
    // Boxed, so the waiting is compiled once rather than per caller.
    wait_then(Box::pin(work));
}

fn wait_then(work: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(AFTER_THE_RING_MS).await;
        work.await;
    });
}

/// The last resort that starts a stopped worker (the offscreen document's
/// port is the first).
async fn set_watchdog() {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Period {
        period_in_minutes: f64,
    }
    let Ok(period) = chrome::js::to_js(&Period {
        period_in_minutes: WATCHDOG_MINUTES,
    }) else {
        return;
    };
    if let Err(error) = call(alarms::create(WATCHDOG, &period)).await {
        web_sys::console::error_2(&"ringback: could not set the watchdog alarm".into(), &error);
    }
}

/// A random UUID (`crypto.randomUUID`, always there in a Chrome 116+ worker).
pub(crate) fn random_id() -> String {
    use wasm_bindgen::JsCast;
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    match scope.crypto() {
        Ok(crypto) => crypto.random_uuid(),
        // Integers only: formatting a float would pull in kilobytes of wasm.
        Err(_) => ((js_sys::Math::random() * 1e15) as u64).to_string(),
    }
}

/// `runtime.onInstalled`: set up the context menu; on first install open the
/// options page so the rep can sign in.
#[wasm_bindgen]
pub async fn on_installed(reason: String) -> Result<(), JsValue> {
    #[derive(Serialize)]
    struct MenuItem {
        id: &'static str,
        title: &'static str,
        contexts: [&'static str; 1],
    }
    call(context_menus::remove_all()).await?;
    context_menus::create(&chrome::js::to_js(&MenuItem {
        id: CONTEXT_MENU_ID,
        title: "Open Dialer here",
        contexts: ["page"],
    })?)?;
    context_menus::create(&chrome::js::to_js(&MenuItem {
        id: CALL_MENU_ID,
        title: "Call with Ringback",
        contexts: ["selection"],
    })?)?;
    if reason == "install" {
        panel::open_options(None).await;
    }
    Ok(())
}

#[wasm_bindgen]
pub async fn on_alarm(name: String) {
    if name == WATCHDOG {
        socket::ensure_connected();
        calls::expire_ringing(false).await;
        outbox::flush().await;
    }
}

#[wasm_bindgen]
pub async fn on_notification_button(id: String, button: u32) {
    calls::on_button(&id, button).await;
}

#[wasm_bindgen]
pub async fn on_notification_clicked(id: String) {
    calls::on_clicked(&id).await;
}

#[wasm_bindgen]
pub async fn on_notification_closed(id: String, by_user: bool) {
    calls::on_closed(&id, by_user).await;
}

#[wasm_bindgen]
pub async fn on_tab_updated(tab_id: i32, tab: JsValue) {
    panel::on_tab_updated(tab_id, panel::Tab::read(&tab)).await;
}

/// `tabs.onRemoved`: a tab the panel was in is forgotten; if it held the
/// call the rep is on, the panel comes back in a window of its own.
#[wasm_bindgen]
pub async fn on_tab_removed(tab_id: i32) {
    panel::tab_closed(tab_id).await;
}

/// A keyboard shortcut (`commands` in the manifest; the rep can change the
/// keys at `chrome://extensions/shortcuts`).
#[wasm_bindgen]
pub async fn on_command(command: String, tab: JsValue) {
    match command.as_str() {
        "accept-call" => calls::on_shortcut(0).await,
        "close-call" => calls::on_shortcut(1).await,
        "open-dialer" => {
            panel::on_context_menu(panel::Tab::read(&tab)).await;
        }
        _ => {}
    }
}

/// A context menu item; `selection` is the text selected, if any.
#[wasm_bindgen]
pub async fn on_context_menu(menu_item_id: String, tab: JsValue, selection: String) {
    match menu_item_id.as_str() {
        CONTEXT_MENU_ID => panel::on_context_menu(panel::Tab::read(&tab)).await,
        CALL_MENU_ID => dial::call(&selection, None, true).await,
        _ => {}
    }
}

/// `runtime.onMessage` from a page or the offscreen document. Returns the
/// reply; anything not addressed to the worker gets `undefined`.
#[wasm_bindgen]
pub async fn on_message(message: JsValue, sender: JsValue) -> Result<JsValue, JsValue> {
    let request = match requests::read(&message) {
        requests::Incoming::Request(request) => request,
        requests::Incoming::NotForTheWorker => return Ok(JsValue::UNDEFINED),
        requests::Incoming::Unreadable(problem) => {
            return chrome::js::to_js(&WorkerReply::Error {
                message: format!("Unreadable request: {problem}"),
            });
        }
    };
    let sender = MessageSender::read(&sender);
    let about_a_call = matches!(
        request,
        WorkerRequest::Panel { .. }
            | WorkerRequest::Log { .. }
            | WorkerRequest::HangUp { .. }
            | WorkerRequest::Mute { .. }
            | WorkerRequest::MoveToPhone { .. }
            | WorkerRequest::Resume { .. }
            | WorkerRequest::Digits { .. }
            | WorkerRequest::Draft { .. }
            | WorkerRequest::ChoosePerson { .. }
    );
    let checked = state::read(|s| {
        let own_origin = chrome::api::runtime::get_url("");
        let rules_sender = sender.as_rules();
        match request {
            WorkerRequest::Dial { .. } => {
                rules::check_dial_sender(&rules_sender, &own_origin, &s.live.injected_tabs)
            }
            _ => rules::check_sender(
                &rules_sender,
                &own_origin,
                &s.live.injected_tabs,
                about_a_call,
            ),
        }
    });
    let reply = match checked {
        Ok(()) => handle(request)
            .await
            .unwrap_or_else(|message| WorkerReply::Error { message }),
        Err(refusal) => WorkerReply::Error {
            message: refusal.into(),
        },
    };
    chrome::js::to_js(&reply)
}

/// The parts of `runtime.MessageSender` the worker checks.
#[derive(Debug, Default)]
struct MessageSender {
    id: Option<String>,
    url: Option<String>,
    tab: Option<panel::Tab>,
}

impl MessageSender {
    fn read(sender: &JsValue) -> Self {
        Self {
            id: js_read::string(sender, "id"),
            url: js_read::string(sender, "url"),
            tab: js_read::field(sender, "tab").map(|tab| panel::Tab::read(&tab)),
        }
    }

    fn as_rules(&self) -> rules::Sender<'_> {
        rules::Sender {
            id: self.id.as_deref(),
            url: self.url.as_deref(),
            tab: self
                .tab
                .as_ref()
                .and_then(|tab| Some((tab.id?, tab.url.as_deref()))),
        }
    }
}

async fn handle(request: WorkerRequest) -> Result<WorkerReply, String> {
    Ok(match request {
        WorkerRequest::Status => WorkerReply::Status(status()),
        WorkerRequest::SignIn {
            server,
            email,
            password,
        } => {
            session::sign_in(&server, email, password).await?;
            WorkerReply::Status(status())
        }
        WorkerRequest::SignOut => {
            session::sign_out().await;
            WorkerReply::Status(status())
        }
        WorkerRequest::ClearMissed => {
            let _ = state::durable(|d| d.missed_calls = 0).await;
            badge::refresh();
            WorkerReply::Status(status())
        }
        WorkerRequest::Panel { call_id } => {
            WorkerReply::Panel(Box::new(panel_view::view(call_id).await))
        }
        WorkerRequest::Log {
            call_id,
            notes,
            disposition_id,
            sentiment_id,
        } => {
            if !calls::phase_of(call_id).is_some_and(CallPhase::loggable) {
                return Err("Only a call answered in this browser can be logged here.".into());
            }
            outbox::enqueue(outbox::NewLog {
                call_id,
                notes,
                disposition_id,
                sentiment_id,
            })
            .await?;
            WorkerReply::Done
        }
        // From the content script of a tab with the panel in it.
        WorkerRequest::Dial { number, person_id } => {
            dial::call(&number, person_id, false).await;
            WorkerReply::Done
        }
        WorkerRequest::HangUp { call_id } => {
            calls::hang_up(call_id).await?;
            WorkerReply::Done
        }
        WorkerRequest::MoveToPhone { call_id } => {
            calls::move_to_phone(call_id).await?;
            WorkerReply::Done
        }
        WorkerRequest::Resume { call_id } => {
            calls::resume(call_id).await?;
            WorkerReply::Done
        }
        WorkerRequest::ChoosePerson { call_id, person_id } => {
            panel::choose_person(call_id, person_id).await?;
            WorkerReply::Done
        }
        WorkerRequest::Draft { call_id, notes } => {
            panel::keep_draft(call_id, notes).await;
            WorkerReply::Done
        }
        WorkerRequest::Mute { call_id, muted } => {
            calls::mute(call_id, muted).await?;
            WorkerReply::Done
        }
        WorkerRequest::Digits { call_id, digits } => {
            calls::press_keys(call_id, digits).await?;
            WorkerReply::Done
        }
        WorkerRequest::OffscreenReady => WorkerReply::Ringtone {
            ringing: ringtone::wanted(),
        },
        WorkerRequest::SetAvailability { availability } => {
            availability::set(availability).await?;
            WorkerReply::Status(status())
        }
        WorkerRequest::TestRing => WorkerReply::TestRing(test_ring::run().await),
    })
}

fn status() -> StatusView {
    let now = state::now();
    state::read(|s| StatusView {
        availability: s.durable.availability.clone(),
        live_call: live_call(&s.live, now),
        server: s.durable.session.as_ref().map(|x| x.server.clone()),
        rep_name: s.durable.session.as_ref().map(|x| x.rep_name.clone()),
        email: s.durable.session.as_ref().map(|x| x.email.clone()),
        connection: state::connection(),
        last_error: s.transient.last_error.clone(),
        missed_calls: s.durable.missed_calls,
        pending_logs: outbox::pending_count(),
    })
}

/// The call the popup shows: the newest ringing here, else the active one
/// while it is connected.
fn live_call(live: &state::Live, now: protocol::UnixMillis) -> Option<LiveCall> {
    let call_id = live.ringing_call(now).or(live
        .active_call
        .filter(|id| live.phase_of(*id) == Some(CallPhase::Connected)))?;
    let entry = live.entry(call_id)?;
    Some(LiveCall {
        call_id,
        name: entry.call.person.display_name().to_owned(),
        phase: entry.phase,
    })
}

/// Tell open pages (options, panels) to ask again. Nobody listening is fine.
pub(crate) fn notify_pages() {
    wasm_bindgen_futures::spawn_local(async {
        if let Ok(message) = chrome::js::to_js(&Envelope::new(Target::Pages, PageNotice::Changed)) {
            let _ = call(chrome::api::runtime::send_message(&message)).await;
        }
    });
}
