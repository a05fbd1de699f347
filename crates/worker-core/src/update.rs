//! One step of the worker's call handling: [`update`].
//!
//! The server is the judge of who answered; the worker only shows what it
//! is told and forwards what the rep pressed. So most inputs change a call's
//! [`CallPhase`] and say what Chrome should now show or stop.

use crate::model::{CallPhase, Live, ring_is_over};
use accept::{accept, accept_message, answered, no_audio};
use protocol::signal::{CallUpdate, ClientMessage, DialProgress, IncomingCall, SignalErrorCode};
use protocol::{CallId, CallOutcome, UnixMillis};

/// Notification ids say what they are for: `ring:<call>` rings,
/// `missed:<call>` tells of a missed call, `no-audio:<call>` says why Chrome
/// could not take it.
pub mod notification {
    use protocol::CallId;

    pub const RING: &str = "ring:";
    pub const MISSED: &str = "missed:";
    pub const NO_AUDIO: &str = "no-audio:";

    pub fn ring(call_id: CallId) -> String {
        format!("{RING}{}", call_id.0)
    }

    pub fn missed(call_id: CallId) -> String {
        format!("{MISSED}{}", call_id.0)
    }

    pub fn no_audio(call_id: CallId) -> String {
        format!("{NO_AUDIO}{}", call_id.0)
    }

    /// The call a notification (or message) id of this kind names.
    pub fn parse(id: &str, prefix: &str) -> Option<CallId> {
        id.strip_prefix(prefix)?.parse().ok().map(CallId)
    }
}

/// Accept's message id names the call, so a refusal can be traced back to it.
const ACCEPT_PREFIX: &str = "accept-";

/// Something that happened, for the worker's call handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The server rang this browser: a new call, or one re-sent after a
    /// reconnect.
    Incoming(IncomingCall),
    /// Something happened to a call.
    Update { call_id: CallId, update: CallUpdate },
    /// The server refused a message the worker sent (`id` as sent).
    Refused {
        id: Option<String>,
        code: SignalErrorCode,
        message: String,
    },
    /// A notification's button: Accept (0) or Close (1). `microphone` and
    /// `connected`: whether the microphone is allowed and the socket open.
    Button {
        notification: String,
        button: u32,
        microphone: bool,
        connected: bool,
    },
    /// A notification was dismissed, by the rep (`by_user`) or by Chrome.
    Dismissed { notification: String, by_user: bool },
    /// A click on a notification's body.
    Clicked { notification: String },
    /// The offscreen document made the answer to a call's audio offer, or
    /// says why it could not.
    Answer {
        call_id: CallId,
        answer: Result<String, String>,
    },
    /// The watchdog: calls whose end was lost stop ringing; `everything`
    /// (signed out) stops them all.
    Expire { everything: bool },
    /// The panel's Hang up.
    HangUp { call_id: CallId, connected: bool },
    /// The panel's Mute and Unmute.
    Mute { call_id: CallId, muted: bool },
    /// The panel's "Move to my phone"; `connected`: whether the socket is open.
    MoveToPhone { call_id: CallId, connected: bool },
    /// The panel's Resume (or "Switch to") on a held call: the call on now
    /// is held and this one taken off hold.
    Resume { call_id: CallId, connected: bool },
    /// The server placed a call this browser dialled (`offer` is its audio).
    /// `open_panel`: open a panel on it (none is at hand where the rep dialled).
    Dialled {
        call: IncomingCall,
        open_panel: bool,
    },
    /// How a call this browser dialled goes.
    DialProgress {
        call_id: CallId,
        update: DialProgress,
    },
    /// The panel's keypad: keys pressed during the call. `connected`:
    /// whether the socket is open.
    Digits {
        call_id: CallId,
        digits: String,
        connected: bool,
    },
}

/// A missed call to tell the rep about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    pub call_id: CallId,
    /// What became of the call, for the notification.
    pub context: &'static str,
}

/// What the worker must do after a step, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Show the ringing notification (or show it again), unless the call
    /// has stopped ringing by the time it is up.
    ShowRing(CallId),
    /// Take a notification down.
    Clear(String),
    ShowMissed(Missed),
    /// Chrome cannot carry this call's audio; it still rings on the phone.
    ShowNoAudio {
        call_id: CallId,
        message: String,
    },
    /// Ring or be silent, as the calls now say ([`Live::ringing`]).
    Ringtone,
    Send(ClientMessage),
    /// Give the server this browser's answer to a dialled call's audio offer.
    SendDialAnswer {
        call_id: CallId,
        answer: String,
    },
    /// Have the offscreen document answer the server's audio offer; its
    /// reply comes back as [`Input::Answer`].
    MakeAnswer {
        call_id: CallId,
        offer: String,
    },
    EndAudio(CallId),
    MuteAudio {
        call_id: CallId,
        muted: bool,
    },
    /// Hold (or resume) a call's audio in this browser: no microphone out,
    /// no sound in.
    HoldAudio {
        call_id: CallId,
        held: bool,
    },
    /// Accept was confirmed: open the call's CRM record.
    OpenRecord(CallId),
    /// Open the options page, at a section.
    OpenOptions(Option<&'static str>),
    /// One more missed call for the badge.
    CountMissed,
    /// Tell the rep (options page, badge title); `offline` marks the
    /// connection down too.
    Problem {
        message: String,
        offline: bool,
    },
    /// Refuse the page's request, saying why.
    Refuse(String),
    /// For developers, in the console.
    Warn(String),
    /// Open pages should ask again.
    NotifyPages,
}

/// Applies `input` to `live` at `now`, and says what to do. A step that
/// says nothing leaves `live` as it was, so the worker stores the model
/// only after steps with effects.
pub fn update(live: &mut Live, input: Input, now: UnixMillis) -> Vec<Effect> {
    let mut effects = Vec::new();
    let fx = &mut effects;
    match input {
        Input::Incoming(call) => incoming(live, call, fx),
        Input::Update { call_id, update } => call_update(live, call_id, update, now, fx),
        Input::Refused { id, code, message } => refused(live, id, code, message, fx),
        Input::Button {
            notification,
            button,
            microphone,
            connected,
        } => {
            let Some(call_id) = notification::parse(&notification, notification::RING) else {
                return effects;
            };
            if live.phase_of(call_id) != Some(CallPhase::Ringing) {
                fx.push(Effect::Clear(notification));
            } else if button == 0 {
                accept(live, call_id, microphone, connected, fx);
            } else {
                close(live, call_id, fx);
            }
        }
        Input::Dismissed {
            notification,
            by_user,
        } => {
            if let Some(call_id) = notification::parse(&notification, notification::RING)
                && by_user
                && live.phase_of(call_id) == Some(CallPhase::Ringing)
            {
                close(live, call_id, fx);
            }
        }
        Input::Clicked { notification } => {
            if notification::parse(&notification, notification::MISSED).is_some() {
                fx.push(Effect::Clear(notification));
                fx.push(Effect::OpenOptions(None));
            }
        }
        Input::Answer { call_id, answer } => answered(live, call_id, answer, fx),
        Input::Expire { everything } => expire(live, everything, now, fx),
        Input::HangUp { call_id, connected } => {
            // A call dialled here can be hung up before it is answered.
            let dialling = live
                .entry(call_id)
                .is_some_and(|e| e.outbound && e.phase == CallPhase::Accepting);
            if live.phase_of(call_id) != Some(CallPhase::Connected) && !dialling {
                fx.push(Effect::Refuse(NOT_CONNECTED_HERE.into()));
            } else if !connected {
                fx.push(Effect::Refuse(NOT_CONNECTED_TO_SERVER.into()));
            } else {
                let id = live.message_id("hangup");
                fx.push(Effect::Send(ClientMessage::HangUp { id, call_id }));
                fx.push(Effect::EndAudio(call_id));
            }
        }
        Input::Mute { call_id, muted } => {
            if live.phase_of(call_id) == Some(CallPhase::Connected) {
                fx.push(Effect::MuteAudio { call_id, muted });
            } else {
                fx.push(Effect::Refuse(NOT_CONNECTED_HERE.into()));
            }
        }
        Input::MoveToPhone { call_id, connected } => {
            crate::moving::ask(live, call_id, connected, fx)
        }
        Input::Resume { call_id, connected } => {
            crate::waiting::resume(live, call_id, connected, fx)
        }
        Input::Digits {
            call_id,
            digits,
            connected,
        } => keypad::press(live, call_id, digits, connected, fx),
        Input::Dialled { call, open_panel } => dial::dialled(live, call, open_panel, now, fx),
        Input::DialProgress { call_id, update } => {
            dial::dial_progress(live, call_id, update, now, fx)
        }
    }
    effects
}

pub(crate) const NOT_CONNECTED_HERE: &str = "This call is not connected in this browser.";
const NOT_CONNECTED_TO_SERVER: &str =
    "Not connected to the Ringback server; hang up on your phone or try again in a moment.";

fn incoming(live: &mut Live, call: IncomingCall, fx: &mut Vec<Effect>) {
    let call_id = call.call_id;
    match live.entry(call_id) {
        None => {
            live.calls.push(crate::CallEntry::ringing(call));
            live.prune();
            // The notification first: it is what the rep waits for.
            fx.push(Effect::ShowRing(call_id));
            fx.push(Effect::Ringtone);
            fx.push(Effect::NotifyPages);
        }
        // The Accept may have been lost with the old socket: send it again
        // (the server recognises this browser's retry). Unless the answer
        // is still being made: then it goes when the answer comes.
        Some(entry) if entry.phase == CallPhase::Accepting => {
            if entry.call.offer.is_none() || entry.answer.is_some() {
                fx.push(Effect::Send(accept_message(live, call_id)));
            }
        }
        // Already shown, or already acted on.
        Some(_) => {}
    }
}

fn call_update(
    live: &mut Live,
    call_id: CallId,
    update: CallUpdate,
    now: UnixMillis,
    fx: &mut Vec<Effect>,
) {
    if crate::moving::call_update(live, call_id, &update, now, fx)
        || crate::waiting::call_update(live, call_id, &update, fx)
    {
        return;
    }
    let Some(entry) = live.entry_mut(call_id) else {
        return;
    };
    let before = entry.phase;
    let was_ringing = before.ringing();
    let phase = match &update {
        CallUpdate::Accepted => CallPhase::Connected,
        CallUpdate::Ended if before == CallPhase::Connected => CallPhase::Ended,
        CallUpdate::Ended if was_ringing => CallPhase::Gone,
        CallUpdate::Ended => before,
        _ if before == CallPhase::Connected => CallPhase::Ended,
        _ => CallPhase::Gone,
    };
    entry.phase = phase;
    match phase {
        CallPhase::Connected => entry.answered_at = entry.answered_at.or(Some(now)),
        CallPhase::Ended => entry.ended_at = entry.ended_at.or(Some(now)),
        _ => {}
    }
    let has_offer = entry.call.offer.is_some();
    if phase == CallPhase::Connected {
        live.active_call = Some(call_id);
    }
    // The ringtone stops first.
    fx.push(Effect::Ringtone);
    fx.push(Effect::Clear(notification::ring(call_id)));
    let had_audio = matches!(before, CallPhase::Accepting | CallPhase::Connected);
    if update != CallUpdate::Accepted && had_audio && has_offer {
        fx.push(Effect::EndAudio(call_id));
    }
    let missed = match update {
        CallUpdate::CallerHungUp if was_ringing => Some("They hung up before anyone answered"),
        CallUpdate::NoAnswer { outcome } if was_ringing => Some(match outcome {
            CallOutcome::Voicemail => "They reached your voicemail",
            CallOutcome::Forwarded => "Forwarded to your phone",
            _ => "They hung up before anyone answered",
        }),
        _ => None,
    };
    if let Some(context) = missed {
        fx.push(Effect::CountMissed);
        fx.push(Effect::ShowMissed(Missed { call_id, context }));
    }
    if update == CallUpdate::Accepted && before != CallPhase::Connected {
        fx.push(Effect::OpenRecord(call_id));
    }
    fx.push(Effect::NotifyPages);
}

fn close(live: &mut Live, call_id: CallId, fx: &mut Vec<Effect>) {
    let id = live.message_id("close");
    fx.push(Effect::Send(ClientMessage::Close { id, call_id }));
    if let Some(entry) = live.entry_mut(call_id) {
        entry.phase = CallPhase::Gone;
        entry.answer = None;
    }
    fx.push(Effect::Ringtone);
    fx.push(Effect::Clear(notification::ring(call_id)));
    fx.push(Effect::NotifyPages);
}

fn expire(live: &mut Live, everything: bool, now: UnixMillis, fx: &mut Vec<Effect>) {
    let mut expired = Vec::new();
    for entry in &mut live.calls {
        if entry.phase.ringing() && (everything || ring_is_over(entry.call.ring_deadline, now)) {
            expired.push((entry.call.call_id, entry.phase));
            entry.phase = CallPhase::Gone;
        }
    }
    for &(call_id, phase) in &expired {
        if phase == CallPhase::Accepting {
            fx.push(Effect::EndAudio(call_id));
        }
        fx.push(Effect::Clear(notification::ring(call_id)));
    }
    if !expired.is_empty() {
        fx.push(Effect::Ringtone);
        fx.push(Effect::NotifyPages);
    }
}

/// The server refused a message: undo what the worker assumed.
fn refused(
    live: &mut Live,
    id: Option<String>,
    code: SignalErrorCode,
    message: String,
    fx: &mut Vec<Effect>,
) {
    if crate::moving::refused(live, id.as_deref(), &message, fx)
        || keypad::refused(live, id.as_deref(), &message, fx)
    {
        return;
    }
    let Some(call_id) = id
        .as_deref()
        .and_then(|id| notification::parse(id, ACCEPT_PREFIX))
    else {
        fx.push(Effect::Warn(format!(
            "the server refused a message: {message}"
        )));
        return;
    };
    if live.phase_of(call_id) != Some(CallPhase::Accepting) {
        return;
    }
    if code == SignalErrorCode::InvalidAnswer {
        // The server's reason is for developers (an SDP parser's words).
        fx.push(Effect::Warn(format!(
            "the server refused the answer: {message}"
        )));
        let text = "The Ringback server could not use this browser's audio answer.";
        return no_audio(live, call_id, text.into(), fx);
    }
    // Whatever the refusal, this answer will not be used.
    fx.push(Effect::EndAudio(call_id));
    // Not ringing any more: it is gone. A server failure: ring again, so
    // the rep can retry.
    let phase = match code {
        SignalErrorCode::CallNotRinging | SignalErrorCode::CallNotFound => CallPhase::Gone,
        _ => CallPhase::Ringing,
    };
    if let Some(entry) = live.entry_mut(call_id) {
        entry.phase = phase;
        entry.answer = None;
    }
    fx.push(Effect::Problem {
        message: format!("Could not accept the call: {message}"),
        offline: false,
    });
    if phase == CallPhase::Ringing {
        fx.push(Effect::ShowRing(call_id));
        fx.push(Effect::Ringtone);
    }
}

mod accept;
mod dial;
mod keypad;
#[cfg(test)]
mod tests;
