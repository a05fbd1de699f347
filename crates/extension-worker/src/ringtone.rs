//! The ringtone plays in the offscreen document (a worker cannot play audio).
//! The worker decides *whether* it rings; the document asks on load
//! ([`chrome::messages::WorkerRequest::OffscreenReady`]) and is told on change.

use crate::{offscreen, state};
use chrome::api::{call, runtime};
use chrome::messages::{Envelope, OffscreenCommand, Target};

/// Whether the ringtone should play now: a call rings here, or a test ring.
pub fn wanted() -> bool {
    state::read(|s| s.live.ringing(state::now())) || crate::test_ring::ringing()
}

/// Start or stop ringing to match the calls ringing now.
pub async fn update() {
    let exists = offscreen::exists().await;
    // Read after the await: the calls may have changed while Chrome answered.
    let ringing = wanted();
    if !exists {
        if ringing {
            // On load it asks whether to ring, so there is no race to lose.
            offscreen::create().await;
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
