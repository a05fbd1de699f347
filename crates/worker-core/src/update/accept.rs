//! Accept: the microphone and the server's reach checked, the call the rep
//! is on held, the offscreen document's answer to the audio offer, and the
//! Accept sent with it (or, when Chrome cannot carry the audio, the call
//! left to ring on the phone).

use super::{ACCEPT_PREFIX, Effect, close, notification};
use crate::model::{CallPhase, Live};
use protocol::CallId;
use protocol::signal::ClientMessage;

pub(super) fn accept_message(live: &Live, call_id: CallId) -> ClientMessage {
    ClientMessage::Accept {
        id: format!("{ACCEPT_PREFIX}{}", call_id.0),
        call_id,
        answer: live.entry(call_id).and_then(|e| e.answer.clone()),
    }
}

pub(super) fn accept(
    live: &mut Live,
    call_id: CallId,
    microphone: bool,
    connected: bool,
    fx: &mut Vec<Effect>,
) {
    if !microphone {
        // Keep ringing: the rep can enable the microphone and still accept.
        fx.push(Effect::OpenOptions(Some("microphone")));
        return;
    }
    if !connected {
        fx.push(Effect::Problem {
            message: "Could not accept: not connected to the Ringback server. The call is still ringing on your phone.".into(),
            offline: true,
        });
        return;
    }
    if live.entry(call_id).is_none() {
        return;
    }
    // Call waiting: the call the rep is on goes on hold first.
    crate::waiting::hold_others(live, call_id, fx);
    let Some(entry) = live.entry_mut(call_id) else {
        return;
    };
    entry.phase = CallPhase::Accepting;
    entry.answer = None;
    let offer = entry.call.offer.clone();
    // The ringtone stops first, within 100 ms of the press; the microphone
    // and the answer take longer.
    fx.push(Effect::Ringtone);
    fx.push(Effect::Clear(notification::ring(call_id)));
    match offer {
        Some(offer) => fx.push(Effect::MakeAnswer { call_id, offer }),
        None => fx.push(Effect::Send(accept_message(live, call_id))),
    }
}

/// The answer is sent as soon as it is made, before ICE has gathered
/// anything: the server is ICE-lite, so this browser checks connectivity to
/// the server's host candidate and the server learns its address from them.
pub(super) fn answered(
    live: &mut Live,
    call_id: CallId,
    answer: Result<String, String>,
    fx: &mut Vec<Effect>,
) {
    // It may have ended, or been answered elsewhere, meanwhile: its own
    // update has told the rep, so only the audio goes.
    let Some(entry) = live
        .entry_mut(call_id)
        .filter(|e| e.phase == CallPhase::Accepting)
    else {
        fx.push(Effect::EndAudio(call_id));
        return;
    };
    if entry.outbound {
        return match answer {
            Ok(sdp) => {
                entry.answer = Some(sdp.clone());
                fx.push(Effect::SendDialAnswer {
                    call_id,
                    answer: sdp,
                });
            }
            // No audio in Chrome: the call is given up at once rather than
            // left ringing a prospect nobody can talk to.
            Err(message) => {
                let id = live.message_id("hangup");
                fx.push(Effect::Send(ClientMessage::HangUp { id, call_id }));
                fx.push(Effect::EndAudio(call_id));
                fx.push(Effect::Problem {
                    message: format!("Could not place the call: {message}"),
                    offline: false,
                });
            }
        };
    }
    match answer {
        Ok(sdp) => {
            entry.answer = Some(sdp);
            // Not delivered if the socket dropped meanwhile: the server
            // re-sends the ringing call on reconnect, and `incoming` sends
            // this Accept then.
            fx.push(Effect::Send(accept_message(live, call_id)));
        }
        Err(message) => no_audio(live, call_id, message, fx),
    }
}

/// Chrome cannot carry this call's audio (a bad offer, no microphone,
/// WebRTC failed, or the server refused the answer): do not answer here.
/// The browser stops ringing, and the rep is told the call still rings on
/// their phone.
pub(super) fn no_audio(live: &mut Live, call_id: CallId, message: String, fx: &mut Vec<Effect>) {
    fx.push(Effect::EndAudio(call_id));
    close(live, call_id, fx);
    fx.push(Effect::ShowNoAudio { call_id, message });
}
