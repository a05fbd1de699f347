//! Call waiting in the worker. A callback that rings while the rep is on a
//! call says so on its notification; Accept holds the call the rep is on
//! before taking the new one, and the panel's Resume on a held call holds
//! whichever is on now and resumes it. Nothing here ends a call: a held
//! call stays held until the rep resumes it or someone hangs up.
//!
//! The browser's side of the audio is held at once (no microphone out, no
//! sound in); the server holds the far end (a re-INVITE) and confirms with
//! [`CallUpdate::OnHold`] / [`CallUpdate::Resumed`].

use crate::model::{CallPhase, Live};
use crate::update::{Effect, NOT_CONNECTED_HERE};
use protocol::CallId;
use protocol::signal::{CallUpdate, ClientMessage};

/// The call the rep is talking on now, if any: connected here, not held.
pub fn on_now(live: &Live) -> Option<CallId> {
    live.calls
        .iter()
        .find(|e| e.phase == CallPhase::Connected && !e.held)
        .map(|e| e.call.call_id)
}

/// Holds every call the rep is talking on, but `except`.
pub(crate) fn hold_others(live: &mut Live, except: CallId, fx: &mut Vec<Effect>) {
    let talking: Vec<CallId> = live
        .calls
        .iter()
        .filter(|e| e.call.call_id != except && e.phase == CallPhase::Connected && !e.held)
        .map(|e| e.call.call_id)
        .collect();
    for call_id in talking {
        if let Some(entry) = live.entry_mut(call_id) {
            entry.held = true;
        }
        fx.push(Effect::Send(ClientMessage::Hold {
            id: format!("hold-{}", call_id.0),
            call_id,
            held: true,
        }));
        fx.push(Effect::HoldAudio {
            call_id,
            held: true,
        });
    }
}

/// The panel's Resume on a held call.
pub(crate) fn resume(live: &mut Live, call_id: CallId, connected: bool, fx: &mut Vec<Effect>) {
    let held = live
        .entry(call_id)
        .is_some_and(|e| e.phase == CallPhase::Connected && e.held);
    if !held {
        return fx.push(Effect::Refuse(NOT_CONNECTED_HERE.into()));
    }
    if !connected {
        return fx.push(Effect::Refuse(
            "Not connected to the Ringback server; try again in a moment.".into(),
        ));
    }
    hold_others(live, call_id, fx);
    if let Some(entry) = live.entry_mut(call_id) {
        entry.held = false;
    }
    live.active_call = Some(call_id);
    fx.push(Effect::Send(ClientMessage::Hold {
        id: format!("resume-{}", call_id.0),
        call_id,
        held: false,
    }));
    fx.push(Effect::HoldAudio {
        call_id,
        held: false,
    });
    fx.push(Effect::NotifyPages);
}

/// Applies the server's word on a hold; `false` for any other update.
pub(crate) fn call_update(
    live: &mut Live,
    call_id: CallId,
    update: &CallUpdate,
    fx: &mut Vec<Effect>,
) -> bool {
    let held = match update {
        CallUpdate::OnHold => true,
        CallUpdate::Resumed => false,
        _ => return false,
    };
    let Some(entry) = live.entry_mut(call_id) else {
        return true;
    };
    entry.held = held;
    fx.push(Effect::HoldAudio { call_id, held });
    fx.push(Effect::NotifyPages);
    true
}

#[cfg(test)]
mod tests;
