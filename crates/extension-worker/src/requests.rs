//! A page's (or the offscreen document's) request to the worker, read by
//! hand: `{"to": "worker", "body": "status"}` for a request without fields,
//! `{"to": "worker", "body": {"hang_up": {"call_id": 7}}}` for one with.
//!
//! It is the shape serde gives [`WorkerRequest`], read field by field as
//! `js_read` explains: through serde every variant with fields brought its
//! own struct reader into the wasm.

use crate::js_read::{field, string};
use chrome::messages::WorkerRequest;
use protocol::{CallId, DispositionId, PersonId, SentimentId};
use wasm_bindgen::JsValue;

/// What a message to the worker's `onMessage` is.
pub enum Incoming {
    Request(WorkerRequest),
    /// For the offscreen document or the pages.
    NotForTheWorker,
    /// Why it cannot be read.
    Unreadable(String),
}

pub fn read(message: &JsValue) -> Incoming {
    match string(message, "to").as_deref() {
        Some("worker") => {}
        Some(_) => return Incoming::NotForTheWorker,
        None => return Incoming::Unreadable("no `to`".into()),
    }
    let Some(body) = field(message, "body") else {
        return Incoming::Unreadable("no `body`".into());
    };
    match request(&body) {
        Ok(request) => Incoming::Request(request),
        Err(problem) => Incoming::Unreadable(problem),
    }
}

fn request(body: &JsValue) -> Result<WorkerRequest, String> {
    if let Some(name) = body.as_string() {
        return Ok(match name.as_str() {
            "status" => WorkerRequest::Status,
            "sign_out" => WorkerRequest::SignOut,
            "clear_missed" => WorkerRequest::ClearMissed,
            "offscreen_ready" => WorkerRequest::OffscreenReady,
            "test_ring" => WorkerRequest::TestRing,
            other => return Err(format!("unknown request `{other}`")),
        });
    }
    let keys = js_sys::Object::keys(&js_sys::Object::from(body.clone()));
    let name = match keys.length() {
        1 => keys.get(0).as_string().unwrap_or_default(),
        _ => return Err("a request names one kind".into()),
    };
    let fields = field(body, &name).unwrap_or(JsValue::NULL);
    let text = |key: &str| string(&fields, key).ok_or_else(|| missing(&name, key));
    let id = |key: &str| id(&fields, key).ok_or_else(|| missing(&name, key));
    let call_id = || id("call_id").map(CallId);
    Ok(match name.as_str() {
        "sign_in" => WorkerRequest::SignIn {
            server: text("server")?,
            email: text("email")?,
            password: text("password")?,
        },
        "panel" => WorkerRequest::Panel {
            call_id: self::id(&fields, "call_id").map(CallId),
        },
        "log" => WorkerRequest::Log {
            call_id: call_id()?,
            notes: text("notes")?,
            disposition_id: self::id(&fields, "disposition_id").map(DispositionId),
            sentiment_id: self::id(&fields, "sentiment_id").map(SentimentId),
        },
        "hang_up" => WorkerRequest::HangUp {
            call_id: call_id()?,
        },
        "dial" => WorkerRequest::Dial {
            number: text("number")?,
            person_id: self::id(&fields, "person_id").map(PersonId),
        },
        "choose_person" => WorkerRequest::ChoosePerson {
            call_id: call_id()?,
            person_id: PersonId(id("person_id")?),
        },
        "digits" => WorkerRequest::Digits {
            call_id: call_id()?,
            digits: text("digits")?,
        },
        "draft" => WorkerRequest::Draft {
            call_id: call_id()?,
            notes: text("notes")?,
        },
        "mute" => WorkerRequest::Mute {
            call_id: call_id()?,
            muted: field(&fields, "muted")
                .and_then(|v| v.as_bool())
                .ok_or_else(|| missing(&name, "muted"))?,
        },
        "move_to_phone" => WorkerRequest::MoveToPhone {
            call_id: call_id()?,
        },
        "resume" => WorkerRequest::Resume {
            call_id: call_id()?,
        },
        "set_availability" => WorkerRequest::SetAvailability {
            availability: field(&fields, "availability")
                .ok_or_else(|| missing(&name, "availability"))?,
        },
        other => return Err(format!("unknown request `{other}`")),
    })
}

fn missing(request: &str, key: &str) -> String {
    format!("`{request}` needs `{key}`")
}

/// A whole-number id field (JavaScript numbers are exact to 2^53).
fn id(value: &JsValue, name: &str) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_991.0;
    let number = field(value, name)?.as_f64()?;
    (number.fract() == 0.0 && number.abs() <= EXACT).then_some(number as i64)
}
