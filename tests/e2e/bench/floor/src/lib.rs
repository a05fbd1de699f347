//! The benchmark's floor: the plain-JS peer's ring path (`../peer/sw.js`)
//! in Rust. Take a ticket, open the socket, say Hello, and show the
//! notification on `incoming_call`; nothing else. `sw.js` reads the session
//! and starts the wasm's fetch in its first turn, as Ringback's worker does.
//!
//! It reads the server's frames with `JSON.parse` and builds the
//! notification with `Reflect`, the least code Rust can bring, so the gap
//! between it and the peer is the price of a wasm worker itself.

use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, MessageEvent, RequestInit, Response, WebSocket, WorkerGlobalScope};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "notifications"], js_name = create)]
    fn create_notification(id: &str, options: &Object);
}

/// Connects to `server` as the rep whose session `token` is, and rings
/// every call it is sent.
#[wasm_bindgen]
pub async fn start(server: String, token: String) -> Result<(), JsValue> {
    let ticket = take_ticket(&server, &token).await?;
    let protocols = Array::of2(&"ringback.v1".into(), &format!("ticket.{ticket}").into());
    let url = format!("{}/api/v1/signal", server.replacen("http", "ws", 1));
    let socket = WebSocket::new_with_str_sequence(&url, &protocols)?;

    let hello_on = socket.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        let _ = hello_on.send_with_str(r#"{"type":"hello","id":"hello","device_id":"floor"}"#);
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget(); // lives as long as the socket, which is the worker's

    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            ring(&text);
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    Ok(())
}

/// `POST /ws-tickets`: the single-use ticket the socket's subprotocol names.
async fn take_ticket(server: &str, token: &str) -> Result<String, JsValue> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let headers = Headers::new()?;
    headers.set("authorization", &format!("Bearer {token}"))?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    let request = scope.fetch_with_str_and_init(&format!("{server}/api/v1/ws-tickets"), &init);
    let response: Response = JsFuture::from(request).await?.unchecked_into();
    let body = JsFuture::from(response.json()?).await?;
    text(&body, "ticket").ok_or_else(|| "the server gave no ticket".into())
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
