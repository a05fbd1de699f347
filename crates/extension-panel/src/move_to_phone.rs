//! "Move to my phone": during a call in Chrome the rep can have it go on to
//! their forwarding phone. The server rings the phone and moves the call
//! when it answers; until then the call stays here. The panel offers it
//! louder when nothing has been heard from the other side for
//! [`OFFER_AFTER_SILENT_MS`] (the quality line says so): one-way audio is
//! what browser calls are most often blamed for, and a phone fixes it.

use chrome::bridge;
use chrome::messages::{CallAudio, CallPhase, PanelCall, WorkerRequest};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Silence from the other side, in ms, after which the move is offered.
pub const OFFER_AFTER_SILENT_MS: f64 = 4_000.0;

/// True when the latest audio report has heard nothing for long enough.
pub fn silent(audio: Option<&CallAudio>) -> bool {
    audio
        .and_then(|a| a.quality)
        .is_some_and(|q| q.silent_ms >= OFFER_AFTER_SILENT_MS)
}

/// The move's button, or how the move goes; nothing once the call is not
/// in Chrome. A failed request goes to `failed`.
pub fn section(call: &PanelCall, audio: Option<&CallAudio>, failed: Callback<String>) -> Html {
    if call.phase != CallPhase::Connected || !call.audio {
        return html! {};
    }
    let call_id = call.call_id;
    let on_move = Callback::from(move |_| {
        let failed = failed.clone();
        spawn_local(async move {
            if let Err(message) = bridge::ask_panel(WorkerRequest::MoveToPhone { call_id }).await {
                failed.emit(message);
            }
        })
    });
    let offered = silent(audio);
    html! {
        <section id="move" class="move" data-offered={offered.to_string()}>
            if call.moving {
                <p id="move-state" role="status" aria-live="polite">{ "Calling your phone… The call stays here until you answer it there." }</p>
            } else {
                <button id="move-to-phone" type="button" class={classes!(offered.then_some("primary"))} onclick={on_move}>
                    { if offered { "No sound? Move the call to my phone" } else { "Move to my phone" } }
                </button>
            }
            if let Some(note) = call.move_note.clone() { <p id="move-note" class="callout" role="alert">{ note }</p> }
        </section>
    }
}
