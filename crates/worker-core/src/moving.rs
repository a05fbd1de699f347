//! "Move to my phone" in the worker: the panel asks, the server rings the
//! forwarding phone and says how it went. Until the phone answers the call
//! stays here, audio and all; once it has, this browser's audio ends and
//! the call is [`CallPhase::OnPhone`] (the panel still logs it). A move the
//! phone did not take, or the server refused, leaves a note for the panel.

use crate::model::{CallPhase, Live};
use crate::update::{Effect, NOT_CONNECTED_HERE};
use protocol::signal::{CallUpdate, ClientMessage};
use protocol::{CallId, UnixMillis};

/// The move's message id names the call, so a refusal finds its way back.
const MOVE_PREFIX: &str = "move-";

/// The panel's "Move to my phone".
pub(crate) fn ask(live: &mut Live, call_id: CallId, connected: bool, fx: &mut Vec<Effect>) {
    let Some(entry) = live
        .entry_mut(call_id)
        .filter(|e| e.phase == CallPhase::Connected)
    else {
        return fx.push(Effect::Refuse(NOT_CONNECTED_HERE.into()));
    };
    if !connected {
        return fx.push(Effect::Refuse(
            "Not connected to the Ringback server; try again in a moment.".into(),
        ));
    }
    entry.moving = true;
    entry.move_note = None;
    fx.push(Effect::Send(ClientMessage::MoveToPhone {
        id: format!("{MOVE_PREFIX}{}", call_id.0),
        call_id,
    }));
    fx.push(Effect::NotifyPages);
}

/// Applies a move's update; `false` for any other update (or call).
pub(crate) fn call_update(
    live: &mut Live,
    call_id: CallId,
    update: &CallUpdate,
    now: UnixMillis,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(entry) = live.entry_mut(call_id) else {
        return false;
    };
    match update {
        CallUpdate::MovingToPhone => entry.moving = true,
        CallUpdate::MovedToPhone => {
            entry.moving = false;
            entry.phase = CallPhase::OnPhone;
            fx.push(Effect::EndAudio(call_id));
        }
        CallUpdate::MoveFailed => {
            entry.moving = false;
            entry.move_note = Some("Your phone did not answer, so the call stays here.".into());
        }
        // The call ended on the phone: it is over here too.
        CallUpdate::Ended if entry.phase == CallPhase::OnPhone => {
            entry.phase = CallPhase::Ended;
            entry.ended_at = entry.ended_at.or(Some(now));
        }
        _ => return false,
    }
    fx.push(Effect::NotifyPages);
    true
}

/// The server refused a move: the panel says why. `false` for any other
/// message's refusal.
pub(crate) fn refused(
    live: &mut Live,
    id: Option<&str>,
    message: &str,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(call_id) = id.and_then(|id| crate::notification::parse(id, MOVE_PREFIX)) else {
        return false;
    };
    if let Some(entry) = live.entry_mut(call_id) {
        entry.moving = false;
        entry.move_note = Some(format!("Could not move the call: {message}."));
        fx.push(Effect::NotifyPages);
    }
    true
}

#[cfg(test)]
mod tests;
