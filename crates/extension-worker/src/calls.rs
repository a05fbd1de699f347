//! Runs the call core ([`worker_core::update`]) on Chrome: every event about
//! a call becomes an [`Input`], the core changes the model and says what to
//! do, and this module does it (notifications, the ringtone, the socket,
//! the call's audio, the CRM tab). The decisions are all in the core, and
//! unit-tested there; what is here is the doing.

use crate::state::{self, CallEntry};
use crate::{audio, badge, choices, microphone, outbox, panel, ringtone, rules, socket};
use chrome::api::{call, notifications};
use chrome::messages::ConnectionState;
use protocol::CallId;
use protocol::signal::ServerMessage;
use serde::Serialize;
use worker_core::test_ring::TEST_NOTIFICATION;
use worker_core::{CallPhase, Effect, Input, Missed, notification};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationOptions<'a> {
    r#type: &'a str,
    icon_url: String,
    title: String,
    message: String,
    context_message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button<'a>>,
    require_interaction: bool,
    priority: i32,
    silent: bool,
}

#[derive(Serialize)]
struct Button<'a> {
    title: &'a str,
}

impl NotificationOptions<'_> {
    /// A silent notification with Ringback's icon and no buttons.
    fn basic(title: String, message: String, context: String, priority: i32) -> Self {
        Self {
            r#type: "basic",
            icon_url: chrome::api::runtime::get_url("icons/icon-128.png"),
            title,
            message,
            context_message: context,
            buttons: Vec::new(),
            require_interaction: false,
            priority,
            silent: true,
        }
    }
}

/// Applies `input` and carries out what the core says. `Err` is the
/// core's refusal of a page's request (or the audio's, for Mute).
pub async fn dispatch(input: Input) -> Result<(), String> {
    let now = state::now();
    let effects = state::live_unsaved(|live| worker_core::update(live, input, now));
    // A step with no effects left the model as it was (the core's tests
    // hold it to that): nothing to store.
    let changed = !effects.is_empty();
    run(effects, changed).await
}

/// Has the offscreen document answer the call's offer, in the background;
/// its reply comes back to the core as [`Input::Answer`]. (A plain fn, so
/// the future it spawns is not part of `dispatch`'s own.)
fn make_answer(call_id: CallId, offer: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let answer = audio::answer(call_id, offer).await;
        let _ = dispatch(Input::Answer { call_id, answer }).await;
    });
}

/// Carries out `effects`; `changed`: the model changed and must be stored
/// (only then: a write of what was already there could undo another
/// context's change).
async fn run(effects: Vec<Effect>, changed: bool) -> Result<(), String> {
    let ringtone = effects.contains(&Effect::Ringtone);
    let mut effects = effects.into_iter().peekable();
    // A new ring: the notification is what the rep waits for, and Chrome
    // shows it sooner with nothing else in flight (measured: the storage
    // write and the ringtone's messages sent alongside added about 5 ms).
    // So it goes alone; the ringtone starts once it is up.
    let mut rang = false;
    if let Some(&Effect::ShowRing(call_id)) = effects.peek() {
        effects.next();
        show_ring(call_id).await;
        rang = true;
    }
    // Stored in the background, then the ringtone, which follows the calls
    // (read when it runs): started before anything else is awaited, so it
    // stops alongside whatever is cleared.
    if changed {
        state::save_live_soon();
    }
    if ringtone {
        wasm_bindgen_futures::spawn_local(ringtone::update());
    }
    // The team's lists as they are now, for the panel this call may open.
    if rang {
        choices::refresh_soon();
    }
    let mut reply = Ok(());
    for effect in effects {
        match effect {
            Effect::ShowRing(call_id) => show_ring(call_id).await,
            Effect::Clear(id) => clear(&id).await,
            Effect::ShowMissed(missed) => show_missed(missed).await,
            Effect::ShowNoAudio { call_id, message } => show_no_audio(call_id, message).await,
            Effect::Ringtone => {}
            Effect::Send(message) => {
                // Not sent when the socket is down: the server re-sends what
                // still rings on reconnect, and the core sends Accept again.
                socket::send(&message);
            }
            Effect::MakeAnswer { call_id, offer } => make_answer(call_id, offer),
            Effect::SendDialAnswer { call_id, answer } => crate::dial::send_answer(call_id, answer),
            Effect::EndAudio(call_id) => audio::end(call_id).await,
            Effect::MuteAudio { call_id, muted } => reply = audio::mute(call_id, muted).await,
            Effect::HoldAudio { call_id, held } => audio::hold(call_id, held).await,
            Effect::OpenRecord(call_id) => {
                choices::refresh_soon();
                if let Some(entry) = entry(call_id) {
                    panel::open_record(&entry).await;
                }
            }
            Effect::OpenOptions(section) => panel::open_options(section).await,
            Effect::CountMissed => {
                let _ = state::durable(|d| d.missed_calls = d.missed_calls.saturating_add(1)).await;
                badge::refresh();
            }
            Effect::Problem { message, offline } => {
                let connection = if offline {
                    ConnectionState::Offline
                } else {
                    state::connection()
                };
                socket::set_connection(connection, Some(message));
            }
            Effect::Refuse(message) => reply = Err(message),
            Effect::Warn(message) => {
                web_sys::console::warn_1(&format!("ringback: {message}").into())
            }
            Effect::NotifyPages => crate::notify_pages(),
        }
    }
    reply
}

fn entry(call_id: CallId) -> Option<CallEntry> {
    state::read(|s| s.live.entry(call_id).cloned())
}

pub fn phase_of(call_id: CallId) -> Option<CallPhase> {
    state::read(|s| s.live.phase_of(call_id))
}

/// The socket's events (installed with [`socket::on_event`] at boot).
pub fn on_socket_event(event: socket::SocketEvent) {
    wasm_bindgen_futures::spawn_local(async move {
        match event {
            socket::SocketEvent::Message(message) => on_server_message(message).await,
            socket::SocketEvent::SignedOut(reason) => signed_out(Some(reason)).await,
            socket::SocketEvent::Availability(availability) => {
                crate::availability::set_here(availability).await
            }
        }
    });
}

/// What the server sent, for the call core (or, for Welcome, the rest).
async fn on_server_message(message: ServerMessage) {
    let input = match message {
        ServerMessage::Welcome { .. } => {
            // The server re-sends what rings right after Welcome: let that
            // ring go first, then send the queued logs and re-read the
            // team's lists (neither is on the ring path).
            crate::after_the_ring(async {
                outbox::flush().await;
                choices::refresh().await;
            });
            return;
        }
        ServerMessage::IncomingCall(call) => Input::Incoming(call),
        ServerMessage::CallUpdate { call_id, update } => Input::Update { call_id, update },
        ServerMessage::Ack { .. } => return,
        ServerMessage::Error { id, code, message } => Input::Refused { id, code, message },
        ServerMessage::TestRing { id, sent_at } => return crate::test_ring::on_reply(&id, sent_at),
        // Read by hand where the socket reads frames (`wire`).
        ServerMessage::Availability { .. } | ServerMessage::ResumeTicket { .. } => return,
        ServerMessage::DialUpdate { call_id, update } => Input::DialProgress { call_id, update },
        // The rep pressed Call on a Ringback page: dial as from a selection.
        ServerMessage::DialRequested { number, person_id } => {
            return crate::dial::call(&number, person_id, true).await;
        }
    };
    let _ = dispatch(input).await;
}

/// Accept (button 0) or Close (button 1) on a notification.
pub async fn on_button(notification: &str, button: u32) {
    if notification == TEST_NOTIFICATION {
        return crate::test_ring::end().await;
    }
    let microphone = microphone::allowed().await;
    let _ = dispatch(Input::Button {
        notification: notification.to_owned(),
        button,
        microphone,
        connected: socket::is_open(),
    })
    .await;
}

/// Accept (0) or Close (1) from the keyboard: the newest call ringing here.
pub async fn on_shortcut(button: u32) {
    let ringing = state::read(|s| s.live.ringing_call(state::now()));
    if let Some(call_id) = ringing {
        on_button(&notification::ring(call_id), button).await;
    }
}

/// The rep (or Chrome) dismissed a notification; a dismissed ring is a Close.
pub async fn on_closed(notification: &str, by_user: bool) {
    if notification == TEST_NOTIFICATION {
        return crate::test_ring::end().await;
    }
    let _ = dispatch(Input::Dismissed {
        notification: notification.to_owned(),
        by_user,
    })
    .await;
}

/// A click on a notification's body.
pub async fn on_clicked(notification: &str) {
    if notification == TEST_NOTIFICATION {
        return crate::test_ring::end().await;
    }
    let _ = dispatch(Input::Clicked {
        notification: notification.to_owned(),
    })
    .await;
}

/// Rings whose end was lost stop (the watchdog); `everything` on sign-out.
pub async fn expire_ringing(everything: bool) {
    let _ = dispatch(Input::Expire { everything }).await;
}

/// The rep hung up in the panel. The audio stops at once; the panel shows
/// the call ended when the server confirms.
pub async fn hang_up(call_id: CallId) -> Result<(), String> {
    dispatch(Input::HangUp {
        call_id,
        connected: socket::is_open(),
    })
    .await
}

/// The panel's "Move to my phone"; how it goes reaches the panel with the
/// server's updates.
pub async fn move_to_phone(call_id: CallId) -> Result<(), String> {
    dispatch(Input::MoveToPhone {
        call_id,
        connected: socket::is_open(),
    })
    .await
}

/// The panel's Resume on a held call: the call on now is held.
pub async fn resume(call_id: CallId) -> Result<(), String> {
    dispatch(Input::Resume {
        call_id,
        connected: socket::is_open(),
    })
    .await
}

/// The panel's keypad.
pub async fn press_keys(call_id: CallId, digits: String) -> Result<(), String> {
    dispatch(Input::Digits {
        call_id,
        digits,
        connected: socket::is_open(),
    })
    .await
}

/// The panel's Mute and Unmute.
pub async fn mute(call_id: CallId, muted: bool) -> Result<(), String> {
    dispatch(Input::Mute { call_id, muted }).await
}

/// Forget the session: close the socket, stop ringing and any call's audio,
/// close the offscreen document, and say why (`None` when the rep signed
/// out themselves).
pub async fn signed_out(reason: Option<String>) {
    socket::disconnect();
    crate::resume::forget();
    let _ = state::durable(|d| d.session = None).await;
    expire_ringing(true).await;
    audio::end_all().await;
    socket::set_connection(ConnectionState::SignedOut, reason);
    crate::offscreen::close().await;
}

async fn show(id: &str, options: &NotificationOptions<'_>) {
    let shown = match chrome::js::to_js(options) {
        Ok(options) => call(notifications::create(id, &options)).await.map(drop),
        Err(error) => Err(error),
    };
    if let Err(error) = shown {
        web_sys::console::error_2(&"ringback: notification failed".into(), &error);
    }
}

async fn clear(id: &str) {
    let _ = call(notifications::clear(id)).await;
}

/// Show (or show again) the ringing notification, if the call still rings.
async fn show_ring(call_id: CallId) {
    let Some((person, others)) = entry(call_id).map(|e| (e.call.person, e.call.also.len())) else {
        return;
    };
    let microphone_ok = microphone::allowed().await;
    let mut text = rules::ring_text(&person, others, microphone_ok);
    // Call waiting: the rep hears of the call they are on.
    let talking_to = state::read(|s| {
        let on_now = worker_core::on_now(&s.live).filter(|&id| id != call_id)?;
        Some(s.live.entry(on_now)?.call.person.display_name().to_owned())
    });
    if let Some(name) = talking_to.filter(|_| microphone_ok) {
        text.context = rules::on_a_call_text(&name);
    }
    let options = NotificationOptions {
        buttons: vec![Button { title: "Accept" }, Button { title: "Close" }],
        require_interaction: true,
        ..NotificationOptions::basic(text.title, text.message, text.context, 2)
    };
    if phase_of(call_id) != Some(CallPhase::Ringing) {
        return;
    }
    let id = notification::ring(call_id);
    show(&id, &options).await;
    // The call may have stopped ringing while Chrome was showing it.
    if phase_of(call_id) != Some(CallPhase::Ringing) {
        clear(&id).await;
    }
}

/// A test ring's notification: a real ring's, marked as a test.
pub async fn show_test_ring() -> Result<(), String> {
    let options = NotificationOptions {
        buttons: vec![Button { title: "Accept" }, Button { title: "Close" }],
        require_interaction: true,
        ..NotificationOptions::basic(
            "Test call from Ringback".into(),
            "This is how a prospect's call rings in this browser.".into(),
            "A test: nothing is logged and your phone does not ring.".into(),
            2,
        )
    };
    let options = chrome::js::to_js(&options).map_err(|e| chrome::js::error_text(&e))?;
    call(notifications::create(TEST_NOTIFICATION, &options))
        .await
        .map(drop)
        .map_err(|e| chrome::js::error_text(&e))
}

async fn show_missed(missed: Missed) {
    let Some(person) = entry(missed.call_id).map(|e| e.call.person) else {
        return;
    };
    show(
        &notification::missed(missed.call_id),
        &NotificationOptions::basic(
            rules::missed_text(&person),
            person.details(),
            missed.context.into(),
            1,
        ),
    )
    .await;
}

async fn show_no_audio(call_id: CallId, message: String) {
    show(
        &notification::no_audio(call_id),
        &NotificationOptions::basic(
            "Could not answer in Chrome".into(),
            message,
            "The call is still ringing on your phone.".into(),
            2,
        ),
    )
    .await;
}
