//! Ringing: notifications, the ringtone, Accept and Close, missed calls, and
//! starting and ending a call's audio.
//!
//! Notification ids say what they are for: `ring:<call>` rings, `missed:<call>`
//! tells of a missed call, `no-audio:<call>` says why Chrome could not take
//! it. The server is the judge of who answered; the worker only shows what it
//! is told and forwards what the rep pressed.

use crate::http::Api;
use crate::state::{self, CallEntry};
use crate::{audio, badge, microphone, panel, ringtone, rules, socket};
use chrome::api::{call, notifications};
use chrome::messages::{CallPhase, ConnectionState};
use protocol::signal::{CallUpdate, ClientMessage, IncomingCall, SignalErrorCode};
use protocol::{CallId, CallOutcome};
use serde::Serialize;

const RING_PREFIX: &str = "ring:";
const MISSED_PREFIX: &str = "missed:";
const NO_AUDIO_PREFIX: &str = "no-audio:";

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

fn ring_id(call_id: CallId) -> String {
    format!("{RING_PREFIX}{}", call_id.0)
}

fn parse_id(notification_id: &str, prefix: &str) -> Option<CallId> {
    notification_id
        .strip_prefix(prefix)?
        .parse()
        .ok()
        .map(CallId)
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

pub async fn on_incoming(incoming: IncomingCall) {
    let call_id = incoming.call_id;
    // Recorded before any `.await`, so an update arriving meanwhile finds the
    // call, and a ring re-sent after a reconnect is recognised.
    let known = state::live_soon(|live| match live.entry(call_id) {
        Some(entry) => Some(entry.phase),
        None => {
            live.calls.push(CallEntry {
                call: incoming,
                phase: CallPhase::Ringing,
                answered_at: None,
                ended_at: None,
                log: None,
                answer: None,
            });
            live.prune();
            None
        }
    });
    match known {
        None => {}
        // The Accept may have been lost with the old socket: send it again
        // (the server recognises this browser's retry). Unless the answer is
        // still being made: then `accept` sends it.
        Some(CallPhase::Accepting) => {
            if state::read(|s| {
                s.live
                    .entry(call_id)
                    .is_some_and(|e| e.call.offer.is_none() || e.answer.is_some())
            }) {
                send_accept(call_id);
            }
            return;
        }
        // Already shown, or already acted on.
        Some(_) => return,
    }
    // The ringtone and the notification start together.
    wasm_bindgen_futures::spawn_local(ringtone::update());
    show_ring(call_id).await;
    crate::notify_pages();
}

/// Show (or show again) the ringing notification, if the call still rings.
async fn show_ring(call_id: CallId) {
    let Some(person) = state::read(|s| s.live.entry(call_id).map(|e| e.call.person.clone())) else {
        return;
    };
    let microphone_ok = microphone::allowed().await;
    let text = rules::ring_text(&person, microphone_ok);
    let options = NotificationOptions {
        r#type: "basic",
        icon_url: chrome::api::runtime::get_url("icons/icon-128.png"),
        title: text.title,
        message: text.message,
        context_message: text.context,
        buttons: vec![Button { title: "Accept" }, Button { title: "Close" }],
        require_interaction: true,
        priority: 2,
        silent: true,
    };
    if phase_of(call_id) != Some(CallPhase::Ringing) {
        return;
    }
    show(&ring_id(call_id), &options).await;
    // The call may have stopped ringing while Chrome was showing it.
    if phase_of(call_id) != Some(CallPhase::Ringing) {
        clear(&ring_id(call_id)).await;
    }
}

pub fn phase_of(call_id: CallId) -> Option<CallPhase> {
    state::read(|s| s.live.entry(call_id).map(|e| e.phase))
}

/// Accept's message id names the call, so a refusal can be traced back to it.
const ACCEPT_PREFIX: &str = "accept-";

/// Send Accept, with the audio answer if there is one. The answer goes as
/// soon as it is made, before ICE has gathered anything: the server is
/// ICE-lite, so this browser checks connectivity to the server's host
/// candidate and the server learns this browser's address from the checks.
/// No candidates need to trickle.
fn send_accept(call_id: CallId) -> bool {
    let answer = state::read(|s| s.live.entry(call_id).and_then(|e| e.answer.clone()));
    socket::send(&ClientMessage::Accept {
        id: format!("{ACCEPT_PREFIX}{}", call_id.0),
        call_id,
        answer,
    })
}

/// Calls that should have stopped ringing by now (their end was lost with a
/// socket): stop ringing for them. Run by the watchdog alarm and on sign-out.
pub async fn expire_ringing(everything: bool) {
    let now = js_sys::Date::now() as i64;
    let expired = state::live(|live| {
        let mut expired = Vec::new();
        for entry in &mut live.calls {
            let ringing = matches!(entry.phase, CallPhase::Ringing | CallPhase::Accepting);
            if ringing && (everything || rules::ring_is_over(entry.call.ring_deadline, now)) {
                expired.push((entry.call.call_id, entry.phase));
                entry.phase = CallPhase::Gone;
            }
        }
        expired
    })
    .await
    .unwrap_or_default();
    for &(call_id, phase) in &expired {
        if phase == CallPhase::Accepting {
            audio::end(call_id).await;
        }
        clear(&ring_id(call_id)).await;
    }
    if !expired.is_empty() {
        ringtone::update().await;
        crate::notify_pages();
    }
}

pub async fn on_update(call_id: CallId, update: CallUpdate) {
    let Some(entry) = state::read(|s| s.live.entry(call_id).cloned()) else {
        return;
    };
    let was_ringing = matches!(entry.phase, CallPhase::Ringing | CallPhase::Accepting);
    let now = js_sys::Date::now() as i64;
    let phase = match &update {
        CallUpdate::Accepted => CallPhase::Connected,
        CallUpdate::Ended if entry.phase == CallPhase::Connected => CallPhase::Ended,
        CallUpdate::Ended if was_ringing => CallPhase::Gone,
        CallUpdate::Ended => entry.phase,
        _ if entry.phase == CallPhase::Connected => CallPhase::Ended,
        _ => CallPhase::Gone,
    };
    // Applied at once, stored in the background: the ringtone stops first.
    state::live_soon(|live| {
        if let Some(e) = live.entry_mut(call_id) {
            e.phase = phase;
            match phase {
                CallPhase::Connected => e.answered_at = e.answered_at.or(Some(now)),
                CallPhase::Ended => e.ended_at = e.ended_at.or(Some(now)),
                _ => {}
            }
        }
        if phase == CallPhase::Connected {
            live.active_call = Some(call_id);
        }
    });
    ringtone::update().await;
    clear(&ring_id(call_id)).await;
    let had_audio = matches!(entry.phase, CallPhase::Accepting | CallPhase::Connected);
    if update != CallUpdate::Accepted && had_audio && entry.call.offer.is_some() {
        audio::end(call_id).await;
    }

    let missed = match update {
        CallUpdate::CallerHungUp => was_ringing.then_some(None),
        CallUpdate::NoAnswer { outcome } => was_ringing.then_some(Some(outcome)),
        _ => None,
    };
    if let Some(outcome) = missed {
        record_missed(&entry, outcome).await;
    }
    if update == CallUpdate::Accepted && entry.phase != CallPhase::Connected {
        panel::open_record(&entry).await;
    }
    crate::notify_pages();
}

async fn record_missed(entry: &CallEntry, outcome: Option<CallOutcome>) {
    let _ = state::durable(|d| d.missed_calls = d.missed_calls.saturating_add(1)).await;
    badge::refresh();
    let context = match outcome {
        Some(CallOutcome::Voicemail) => "They reached your voicemail",
        Some(CallOutcome::Forwarded) => "Forwarded to your phone",
        _ => "They hung up before anyone answered",
    };
    show(
        &format!("{MISSED_PREFIX}{}", entry.call.call_id.0),
        &NotificationOptions {
            r#type: "basic",
            icon_url: chrome::api::runtime::get_url("icons/icon-128.png"),
            title: rules::missed_text(&entry.call.person),
            message: entry.call.person.details(),
            context_message: context.into(),
            buttons: Vec::new(),
            require_interaction: false,
            priority: 1,
            silent: true,
        },
    )
    .await;
}

/// Accept (button 0) or Close (button 1) on a ringing notification.
pub async fn on_button(notification_id: &str, button: u32) {
    let Some(call_id) = parse_id(notification_id, RING_PREFIX) else {
        return;
    };
    if phase_of(call_id) != Some(CallPhase::Ringing) {
        clear(notification_id).await;
        return;
    }
    match button {
        0 => accept(call_id).await,
        _ => close(call_id).await,
    }
}

async fn accept(call_id: CallId) {
    if !microphone::allowed().await {
        // Keep ringing: the rep can enable the microphone and still accept.
        panel::open_options(Some("microphone")).await;
        return;
    }
    if !socket::is_open() {
        socket::set_connection(
            ConnectionState::Offline,
            Some("Could not accept: not connected to the Ringback server. The call is still ringing on your phone.".into()),
        );
        return;
    }
    // The ringtone stops first, within 100 ms of the press (issue 5); the
    // microphone and the answer take longer.
    let offer = state::live_soon(|live| {
        let entry = live.entry_mut(call_id)?;
        entry.phase = CallPhase::Accepting;
        entry.answer = None;
        entry.call.offer.clone()
    });
    ringtone::update().await;
    clear(&ring_id(call_id)).await;
    if let Some(offer) = offer {
        match audio::answer(call_id, offer).await {
            Ok(answer) => {
                let _ = state::live(|live| {
                    if let Some(e) = live.entry_mut(call_id) {
                        e.answer = Some(answer);
                    }
                })
                .await;
            }
            // The call ended or was taken while the answer was being made:
            // its own update has told the rep; "still ringing" would be false.
            Err(_) if phase_of(call_id) != Some(CallPhase::Accepting) => {
                audio::end(call_id).await;
                return;
            }
            Err(message) => return no_audio(call_id, &message).await,
        }
        // It may have ended, or been answered elsewhere, meanwhile.
        if phase_of(call_id) != Some(CallPhase::Accepting) {
            audio::end(call_id).await;
            return;
        }
    }
    // Not sent if the socket dropped meanwhile: the server re-sends the
    // ringing call on reconnect, and `on_incoming` sends this Accept then.
    send_accept(call_id);
}

/// Chrome cannot carry this call's audio (a bad offer, no microphone,
/// WebRTC failed, or the server refused the answer): do not answer here.
/// The browser stops ringing, and the rep is told the call still rings on
/// their phone.
async fn no_audio(call_id: CallId, message: &str) {
    audio::end(call_id).await;
    close(call_id).await;
    show(
        &format!("{NO_AUDIO_PREFIX}{}", call_id.0),
        &NotificationOptions {
            r#type: "basic",
            icon_url: chrome::api::runtime::get_url("icons/icon-128.png"),
            title: "Could not answer in Chrome".into(),
            message: message.to_owned(),
            context_message: "The call is still ringing on your phone.".into(),
            buttons: Vec::new(),
            require_interaction: false,
            priority: 2,
            silent: true,
        },
    )
    .await;
}

async fn close(call_id: CallId) {
    socket::send(&ClientMessage::Close {
        id: socket::message_id("close"),
        call_id,
    });
    // The ringtone stops before anything else is awaited.
    state::live_soon(|live| {
        if let Some(e) = live.entry_mut(call_id) {
            e.phase = CallPhase::Gone;
            e.answer = None;
        }
    });
    ringtone::update().await;
    clear(&ring_id(call_id)).await;
    crate::notify_pages();
}

/// The rep dismissed a notification (not possible with `requireInteraction`
/// on most platforms, but some let them): a dismissed ring is a Close.
pub async fn on_closed(notification_id: &str, by_user: bool) {
    if let Some(call_id) = parse_id(notification_id, RING_PREFIX)
        && by_user
        && phase_of(call_id) == Some(CallPhase::Ringing)
    {
        close(call_id).await;
    }
}

/// A click on a notification's body: a ring is a no-op (the buttons decide);
/// a missed call opens the options page, where the count is cleared.
pub async fn on_clicked(notification_id: &str) {
    if parse_id(notification_id, MISSED_PREFIX).is_some() {
        clear(notification_id).await;
        panel::open_options(None).await;
    }
}

/// The rep hung up in the panel. The audio stops at once; the panel shows
/// the call ended when the server confirms (`CallUpdate::Ended`).
pub async fn hang_up(call_id: CallId) -> Result<(), String> {
    if phase_of(call_id) != Some(CallPhase::Connected) {
        return Err("This call is not connected in this browser.".into());
    }
    if !socket::send(&ClientMessage::HangUp {
        id: socket::message_id("hangup"),
        call_id,
    }) {
        return Err(
            "Not connected to the Ringback server; hang up on your phone or try again in a moment."
                .into(),
        );
    }
    audio::end(call_id).await;
    Ok(())
}

/// The panel's Mute and Unmute.
pub async fn mute(call_id: CallId, muted: bool) -> Result<(), String> {
    if phase_of(call_id) != Some(CallPhase::Connected) {
        return Err("This call is not connected in this browser.".into());
    }
    audio::mute(call_id, muted).await
}

/// The server refused a message: undo what the worker assumed.
pub async fn on_refused(id: Option<String>, code: SignalErrorCode, message: String) {
    let Some(call_id) = id.as_deref().and_then(|id| parse_id(id, ACCEPT_PREFIX)) else {
        web_sys::console::warn_2(
            &"ringback: the server refused a message:".into(),
            &message.into(),
        );
        return;
    };
    if phase_of(call_id) != Some(CallPhase::Accepting) {
        return;
    }
    // Whatever the refusal, this answer will not be used.
    if code == SignalErrorCode::InvalidAnswer {
        // The server's reason is for developers (an SDP parser's words).
        web_sys::console::warn_2(
            &"ringback: the server refused the answer:".into(),
            &message.into(),
        );
        let text = "The Ringback server could not use this browser's audio answer.";
        return no_audio(call_id, text).await;
    }
    audio::end(call_id).await;
    // Not ringing any more: it is gone. A server failure: ring again, so
    // the rep can retry.
    let phase = match code {
        SignalErrorCode::CallNotRinging | SignalErrorCode::CallNotFound => CallPhase::Gone,
        _ => CallPhase::Ringing,
    };
    let _ = state::live(|live| {
        if let Some(e) = live
            .entry_mut(call_id)
            .filter(|e| e.phase == CallPhase::Accepting)
        {
            e.phase = phase;
            e.answer = None;
        }
    })
    .await;
    socket::set_connection(
        socket::connection(),
        Some(format!("Could not accept the call: {message}")),
    );
    if phase == CallPhase::Ringing {
        ringtone::update().await;
        show_ring(call_id).await;
    }
}

/// Fetch the team's dispositions and sentiments for the panel.
pub async fn refresh_choices() {
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return;
    };
    let api = Api::for_session(&session);
    if let Ok(choices) = api.get_raw("/team/choices").await {
        let _ = state::durable(|d| d.choices = choices).await;
    }
}
