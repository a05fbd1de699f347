//! The benchmark's floor: the least a Rust/wasm worker can be for the
//! plain-JS peer's ring path (`../peer/sw.js`). As in Ringback's worker,
//! `sw.js` starts everything the ring needs in its first turn (the
//! session's read, then the ticket and the socket, with Hello) while the
//! wasm loads; Rust then takes the socket over with the frames it heard,
//! and shows the notification on `incoming_call`.
//!
//! It reads frames with `JSON.parse` and builds the notification with
//! `Reflect`, the least code Rust can bring (40 KB of wasm), so its gap to
//! the peer is the price of a wasm worker itself, before Ringback's code.

use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, WebSocket};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "notifications"], js_name = create)]
    fn create_notification(id: &str, options: &Object);
}

/// Takes `socket` over from `sw.js`: rings for what it heard before the
/// module was ready, then for every frame after.
#[wasm_bindgen]
pub fn adopt(socket: WebSocket, heard: Array) {
    for frame in heard.iter() {
        if let Some(text) = frame.as_string() {
            ring(&text);
        }
    }
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            ring(&text);
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // lives as long as the socket, which is the worker's
}

/// Shows the notification for an `incoming_call` frame, as the peer does.
fn ring(frame: &str) {
    let Ok(message) = JSON::parse(frame) else {
        return;
    };
    if text(&message, "type").as_deref() != Some("incoming_call") {
        return;
    }
    // Integers only: formatting a float would bring kilobytes of wasm.
    let Some(call_id) = field(&message, "call_id").as_f64().map(|id| id as u64) else {
        return;
    };
    let person = field(&message, "person");
    let number = text(&person, "number").unwrap_or_default();
    let title = text(&person, "name").unwrap_or_else(|| format!("Call from {number}"));
    let details: Vec<String> = [text(&person, "title"), text(&person, "account")]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect();
    let message = if details.is_empty() {
        number
    } else {
        details.join(" · ")
    };

    let options = Object::new();
    set(&options, "type", &"basic".into());
    set(&options, "iconUrl", &"icon-128.png".into());
    set(&options, "title", &title.into());
    set(&options, "message", &message.into());
    set(
        &options,
        "buttons",
        &Array::of2(&button("Accept"), &button("Close")),
    );
    set(&options, "requireInteraction", &true.into());
    create_notification(&format!("ring:{call_id}"), &options);
}

fn button(title: &str) -> Object {
    let button = Object::new();
    set(&button, "title", &title.into());
    button
}

fn field(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, key: &str) -> Option<String> {
    field(object, key).as_string()
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}
