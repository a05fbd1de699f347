//! The ringtone plays in the offscreen document (a worker cannot play audio).
//! The worker decides *whether* it rings; the document asks on load
//! ([`chrome::messages::WorkerRequest::OffscreenReady`]) and is told on change.

use crate::state;
use chrome::api::{call, offscreen, runtime};
use chrome::messages::{Envelope, OffscreenCommand, Target};
use serde::Serialize;

const DOCUMENT: &str = "offscreen.html";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextFilter {
    context_types: [&'static str; 1],
}

#[derive(Serialize)]
struct CreateDocument {
    url: &'static str,
    reasons: [&'static str; 1],
    justification: &'static str,
}

/// Start or stop ringing to match the calls ringing now.
pub async fn update() {
    let exists = document_exists().await;
    // Read after the await: the calls may have changed while Chrome answered.
    let ringing = state::read(|s| s.live.ringing());
    if !exists {
        if ringing {
            // On load it asks whether to ring, so there is no race to lose.
            let request = CreateDocument {
                url: DOCUMENT,
                reasons: ["AUDIO_PLAYBACK"],
                justification: "Plays the ringtone for incoming calls.",
            };
            if let Ok(request) = chrome::js::to_js(&request) {
                let _ = call(offscreen::create_document(&request)).await;
            }
        }
        return;
    }
    let command = if ringing {
        OffscreenCommand::Ring
    } else {
        OffscreenCommand::Silence
    };
    if let Ok(message) = chrome::js::to_js(&Envelope::new(Target::Offscreen, command)) {
        // Rejected only while the document is still loading; it then asks.
        let _ = call(runtime::send_message(&message)).await;
    }
}

async fn document_exists() -> bool {
    let Ok(filter) = chrome::js::to_js(&ContextFilter {
        context_types: ["OFFSCREEN_DOCUMENT"],
    }) else {
        return false;
    };
    match call(runtime::get_contexts(&filter)).await {
        Ok(contexts) => js_sys::Array::from(&contexts).length() > 0,
        Err(_) => false,
    }
}
