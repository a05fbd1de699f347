//! A call's audio, carried by the offscreen document: the worker asks it for
//! the answer to the server's offer on Accept, relays the panel's mute, and
//! ends the audio whenever the call ends here.

use crate::offscreen;
use chrome::messages::{AudioReply, OffscreenCommand};
use protocol::CallId;

/// Opening the microphone and answering takes well under a second; past
/// this the rep is better off on the phone.
const ANSWER_TIMEOUT_MS: i32 = 15_000;
const COMMAND_TIMEOUT_MS: i32 = 2_000;

const NO_ANSWER: &str = "Ringback's audio page did not answer.";

fn read(reply: Option<wasm_bindgen::JsValue>) -> Result<AudioReply, String> {
    let reply = reply.ok_or_else(|| NO_ANSWER.to_owned())?;
    chrome::js::from_js(reply).map_err(|e| format!("{NO_ANSWER} ({})", chrome::js::error_text(&e)))
}

/// The browser's SDP answer to the server's `offer`. The error is a
/// sentence for the rep (a bad offer, no microphone, WebRTC failed).
pub async fn answer(call_id: CallId, offer: String) -> Result<String, String> {
    let command = OffscreenCommand::Answer { call_id, offer };
    match read(offscreen::ask(&command, true, ANSWER_TIMEOUT_MS).await)? {
        AudioReply::Answer { sdp } => Ok(sdp),
        AudioReply::Failed { message } => Err(message),
        AudioReply::Done => Err(NO_ANSWER.into()),
    }
}

pub async fn mute(call_id: CallId, muted: bool) -> Result<(), String> {
    let command = OffscreenCommand::Mute { call_id, muted };
    match read(offscreen::ask(&command, false, COMMAND_TIMEOUT_MS).await)? {
        AudioReply::Failed { message } => Err(message),
        _ => Ok(()),
    }
}

/// Holds (or resumes) a call's audio here; a call with no audio here has
/// nothing to hold.
pub async fn hold(call_id: CallId, held: bool) {
    let command = OffscreenCommand::Hold { call_id, held };
    let _ = offscreen::ask(&command, false, COMMAND_TIMEOUT_MS).await;
}

/// End a call's audio here; nothing to end is fine.
pub async fn end(call_id: CallId) {
    let _ = offscreen::ask(
        &OffscreenCommand::EndAudio { call_id },
        false,
        COMMAND_TIMEOUT_MS,
    )
    .await;
}

/// Signed out: no call's audio goes on.
pub async fn end_all() {
    let _ = offscreen::ask(&OffscreenCommand::EndAllAudio, false, COMMAND_TIMEOUT_MS).await;
}
