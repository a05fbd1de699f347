//! Placing a call from the browser: "Call with Ringback" on a selected
//! number. The server places it through its SIP trunk and answers with the
//! audio offer; from there the call core ([`worker_core::update`]) runs it
//! as one of the rep's calls (the panel opens on it, the audio is answered
//! here, Hang up and the log work as for a callback).

use crate::http::Api;
use crate::{calls, microphone, panel, state};
use protocol::signal::IncomingCall;
use protocol::{CallId, PersonId};
use wasm_bindgen::JsValue;
use worker_core::Input;

/// `{name: value, …}` for a request body, built by hand: a serde type
/// per body costs the worker's wasm about a kilobyte each.
fn object(fields: &[(&str, &str)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&object, &(*name).into(), &(*value).into());
    }
    object.into()
}

/// Longest selection read as a number: anything longer is not one.
const MAX_NUMBER_TEXT: usize = 64;

/// The rep asked to call `number` (as selected or clicked on a page, or
/// `person`'s from a Ringback page); `open_panel`: no panel is at hand
/// there, so one opens on the call.
pub async fn call(number: &str, person: Option<PersonId>, open_panel: bool) {
    let number = number.trim();
    if number.is_empty() || number.len() > MAX_NUMBER_TEXT {
        return problem("Select a phone number to call it with Ringback.".into());
    }
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return panel::open_options(None).await;
    };
    if !microphone::allowed().await {
        return panel::open_options(Some("microphone")).await;
    }
    let device_id = state::read(|s| s.durable.device_id.clone()).unwrap_or_default();
    let body = object(&[("to", number), ("device_id", &device_id)]);
    if let Some(person) = person {
        // A number in JSON (ids are well within f64's integers).
        let id = JsValue::from_f64(person.0 as f64);
        let _ = js_sys::Reflect::set(&body, &"person_id".into(), &id);
    }
    let placed = match Api::for_session(&session)
        .post_object("/calls/dial", body)
        .await
    {
        Ok(placed) => placed,
        Err(error) => return problem(format!("Could not call {number}: {}", error.message())),
    };
    // The answer has the ring's shape (call_id, person, to, started_at,
    // ring_deadline, offer): read as one, it needs no reader of its own.
    match chrome::js::from_js::<IncomingCall>(placed) {
        Ok(call) => {
            let _ = calls::dispatch(Input::Dialled { call, open_panel }).await;
        }
        Err(_) => problem(format!(
            "Could not call {number}: the server's answer was unreadable"
        )),
    }
}

/// Hands this browser's audio answer to the server.
pub fn send_answer(call_id: CallId, answer: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let Some(session) = state::read(|s| s.durable.session.clone()) else {
            return;
        };
        let path = format!("/calls/{}/answer", call_id.0);
        let body = object(&[("answer", &answer)]);
        if let Err(error) = Api::for_session(&session).post_object(&path, body).await {
            problem(format!(
                "The call's audio could not be set up: {}",
                error.message()
            ));
        }
    });
}

fn problem(message: String) {
    crate::socket::set_connection(state::connection(), Some(message));
}
