//! Calls this browser dialled: placed, then the server's updates on how
//! the prospect's side goes.

use super::Effect;
use crate::model::{CallPhase, Live, MAX_EARLY};
use protocol::api::DialOutcome;
use protocol::signal::{DialProgress, IncomingCall};
use protocol::{CallId, UnixMillis};

/// The server placed the call the rep dialled: its audio is answered here,
/// and it becomes the call panels show (one opens on it if the rep dialled
/// where there is none).
pub(super) fn dialled(
    live: &mut Live,
    call: IncomingCall,
    open_panel: bool,
    now: UnixMillis,
    fx: &mut Vec<Effect>,
) {
    let call_id = call.call_id;
    if live.entry(call_id).is_some() {
        return;
    }
    let offer = call.offer.clone();
    // Dialling while on a call holds it, as taking a callback does.
    crate::waiting::hold_others(live, call_id, fx);
    live.calls.push(crate::CallEntry::dialled(call));
    live.active_call = Some(call_id);
    live.prune();
    let (early, others) = std::mem::take(&mut live.early)
        .into_iter()
        .partition::<Vec<_>, _>(|(id, _)| *id == call_id);
    live.early = others;
    for (_, update) in early {
        dial_progress(live, call_id, update, now, fx);
    }
    if let Some(offer) = offer {
        fx.push(Effect::MakeAnswer { call_id, offer });
    }
    if open_panel {
        fx.push(Effect::OpenRecord(call_id));
    }
    fx.push(Effect::NotifyPages);
}

pub(super) fn dial_progress(
    live: &mut Live,
    call_id: CallId,
    update: DialProgress,
    now: UnixMillis,
    fx: &mut Vec<Effect>,
) {
    if live.entry(call_id).is_none() {
        if live.early.len() >= MAX_EARLY {
            live.early.remove(0);
        }
        return live.early.push((call_id, update));
    }
    let Some(entry) = live.entry_mut(call_id).filter(|e| e.outbound) else {
        return;
    };
    match update {
        DialProgress::Ringing => entry.remote_ringing = true,
        DialProgress::Connected if entry.phase == CallPhase::Accepting => {
            entry.phase = CallPhase::Connected;
            entry.answered_at = Some(now);
            live.active_call = Some(call_id);
        }
        DialProgress::Ended { outcome } if entry.phase != CallPhase::Ended => {
            // Loggable however it went: "no answer" is worth a note too.
            entry.phase = CallPhase::Ended;
            entry.dial_result = dial_result(outcome).map(str::to_owned);
            entry.ended_at = Some(now);
            fx.push(Effect::EndAudio(call_id));
        }
        // Hold and resume change nothing the worker keeps.
        _ => {}
    }
    fx.push(Effect::NotifyPages);
}

/// How a dial that never connected ended, for the rep; `None` for one
/// that did (it ended as any call does).
fn dial_result(outcome: DialOutcome) -> Option<&'static str> {
    Some(match outcome {
        DialOutcome::Connected => return None,
        DialOutcome::NoAnswer => "No answer",
        DialOutcome::Busy => "Busy: they are on another call",
        DialOutcome::Declined => "Declined",
        DialOutcome::Unreachable => "The number cannot be reached",
        DialOutcome::Refused => "The call could not be placed",
        DialOutcome::Cancelled => "Cancelled",
    })
}
