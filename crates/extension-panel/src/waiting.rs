//! Call waiting in the panel: a held call says so and offers Resume, and
//! the rep's other calls in this browser are listed, a held one with
//! "Switch to" (it is resumed, and the call on now is held).

use chrome::bridge;
use chrome::messages::{CallPhase, OtherCall, PanelCall, WorkerRequest};
use protocol::CallId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

fn resume(call_id: CallId, failed: Callback<String>) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let failed = failed.clone();
        spawn_local(async move {
            if let Err(message) = bridge::ask_panel(WorkerRequest::Resume { call_id }).await {
                failed.emit(message);
            }
        })
    })
}

/// Resume, under a held call's state.
pub fn held(call: &PanelCall, failed: Callback<String>) -> Html {
    if call.phase != CallPhase::Connected || !call.held {
        return html! {};
    }
    html! {
        <p id="held" class="callout">{ "On hold: they hear silence. " }
            <button id="resume" type="button" onclick={resume(call.call_id, failed)}>{ "Resume" }</button>
        </p>
    }
}

/// The rep's other calls in this browser.
pub fn others(others: &[OtherCall], failed: Callback<String>) -> Html {
    if others.is_empty() {
        return html! {};
    }
    let row = |other: &OtherCall| {
        html! {
            <li data-call-id={other.call_id.0.to_string()} data-held={other.held.to_string()} dir="auto">
                { format!("{} · {}", other.name, if other.held { "on hold" } else { "on the line now" }) }
                if other.held {
                    <button id={format!("switch-{}", other.call_id.0)} type="button"
                        onclick={resume(other.call_id, failed.clone())}>{ "Switch to" }</button>
                }
            </li>
        }
    };
    html! {
        <section id="other-calls" aria-label="Your other calls">
            <h3>{ "Your other calls" }</h3>
            <ul>{ for others.iter().map(row) }</ul>
        </section>
    }
}
