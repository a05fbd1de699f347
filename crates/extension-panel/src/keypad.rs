//! The keypad during a call connected here, for the IVRs a rep dials into
//! ("press 1 for sales"): its keys go, through the worker, to the far end
//! as telephone-events. Usable from the keyboard: each key is a button
//! with its own label, and typing a key while focus is in the keypad
//! presses it.

use chrome::bridge;
use chrome::messages::{PanelCall, WorkerRequest};
use protocol::CallId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

const KEYS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

fn press(call_id: CallId, key: char, failed: Callback<String>) {
    spawn_local(async move {
        let request = WorkerRequest::Digits {
            call_id,
            digits: key.to_string(),
        };
        if let Err(message) = bridge::ask_panel(request).await {
            failed.emit(message);
        }
    });
}

pub fn keypad(call: &PanelCall, failed: Callback<String>) -> Html {
    let call_id = call.call_id;
    let on_key = {
        let failed = failed.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            let mut chars = key.chars();
            if let (Some(key), None) = (chars.next(), chars.next())
                && KEYS.contains(&key)
            {
                e.prevent_default();
                press(call_id, key, failed.clone());
            }
        })
    };
    let buttons = KEYS.iter().map(|&key| {
        let failed = failed.clone();
        let onclick = Callback::from(move |_| press(call_id, key, failed.clone()));
        html! {
            <button type="button" class="key" data-key={key.to_string()} aria-label={format!("Key {key}")} {onclick}>{ key }</button>
        }
    });
    html! {
        <section id="keypad" class="keypad" role="group" aria-label="Keypad" onkeydown={on_key}>
            <output id="keyed" aria-live="polite" aria-label="Keys sent">{ call.keyed.clone() }</output>
            <div class="keys">{ for buttons }</div>
            if let Some(note) = call.keypad_note.clone() { <p id="keypad-note" class="error" role="alert">{ note }</p> }
        </section>
    }
}
