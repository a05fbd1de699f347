//! Reads the server's signalling frames.
//!
//! [`ServerMessage`] and [`CallUpdate`] are internally tagged (`"type"`,
//! `"kind"`). Deserialising such an enum through serde buffers the whole
//! value first and brings a generic deserializer per enum into the wasm;
//! reading the tag here and each variant's fields directly costs a fraction
//! of that, on the path every ring takes. The server's own serde is the
//! reference: the e2e suite sends every variant through here.

use chrome::js::from_js;
use protocol::api::DialOutcome;
use protocol::signal::{CallUpdate, DialProgress, ServerMessage};
use wasm_bindgen::JsValue;

fn field(value: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(value, &JsValue::from_str(name))
}

fn tag(value: &JsValue, name: &str) -> Result<String, JsValue> {
    field(value, name)?
        .as_string()
        .ok_or_else(|| JsValue::from_str(&format!("no \"{name}\" in the message")))
}

fn unknown(name: &str) -> JsValue {
    JsValue::from_str(&format!("unknown message {name:?}"))
}

/// A frame as the worker takes it: a [`ServerMessage`], or the rep's
/// availability, which the worker relays to the pages unread (and reads two
/// fields of for the badge).
// One frame at a time, handed straight on: boxing the message would only
// add an allocation per frame.
#[allow(clippy::large_enum_variant)]
pub enum Frame {
    Message(ServerMessage),
    Availability(JsValue),
    /// A ticket for the next socket ([`crate::resume`]).
    ResumeTicket(String),
}

/// One text frame from the server.
pub fn server_frame(text: &str) -> Result<Frame, JsValue> {
    let value = js_sys::JSON::parse(text)?;
    match tag(&value, "type")?.as_str() {
        "availability" => Ok(Frame::Availability(field(&value, "availability")?)),
        "resume_ticket" => Ok(Frame::ResumeTicket(tag(&value, "ticket")?)),
        _ => server_message(value).map(Frame::Message),
    }
}

fn server_message(value: JsValue) -> Result<ServerMessage, JsValue> {
    let kind = tag(&value, "type")?;
    Ok(match kind.as_str() {
        // The struct's deserializer ignores the extra "type" field.
        "incoming_call" => ServerMessage::IncomingCall(from_js(value)?),
        "call_update" => ServerMessage::CallUpdate {
            call_id: from_js(field(&value, "call_id")?)?,
            update: call_update(&field(&value, "update")?)?,
        },
        "ack" => ServerMessage::Ack {
            id: from_js(field(&value, "id")?)?,
        },
        "welcome" => ServerMessage::Welcome {
            protocol: from_js(field(&value, "protocol")?)?,
            rep_id: from_js(field(&value, "rep_id")?)?,
            rep_name: from_js(field(&value, "rep_name")?)?,
            keepalive_secs: from_js(field(&value, "keepalive_secs")?)?,
        },
        "test_ring" => ServerMessage::TestRing {
            id: from_js(field(&value, "id")?)?,
            sent_at: from_js(field(&value, "sent_at")?)?,
        },
        "dial_update" => ServerMessage::DialUpdate {
            call_id: from_js(field(&value, "call_id")?)?,
            update: dial_progress(&field(&value, "update")?)?,
        },
        "dial_requested" => ServerMessage::DialRequested {
            number: tag(&value, "number")?,
            person_id: from_js(field(&value, "person_id")?)?,
        },
        "error" => ServerMessage::Error {
            id: from_js(field(&value, "id")?)?,
            code: from_js(field(&value, "code")?)?,
            message: from_js(field(&value, "message")?)?,
        },
        other => return Err(unknown(other)),
    })
}

fn call_update(value: &JsValue) -> Result<CallUpdate, JsValue> {
    let kind = tag(value, "kind")?;
    Ok(match kind.as_str() {
        "accepted" => CallUpdate::Accepted,
        "answered_elsewhere" => CallUpdate::AnsweredElsewhere,
        "ringing_closed" => CallUpdate::RingingClosed,
        "caller_hung_up" => CallUpdate::CallerHungUp,
        "no_answer" => CallUpdate::NoAnswer {
            outcome: from_js(field(value, "outcome")?)?,
        },
        "ended" => CallUpdate::Ended,
        "moving_to_phone" => CallUpdate::MovingToPhone,
        "moved_to_phone" => CallUpdate::MovedToPhone,
        "move_failed" => CallUpdate::MoveFailed,
        other => return Err(unknown(other)),
    })
}

fn dial_progress(value: &JsValue) -> Result<DialProgress, JsValue> {
    let kind = tag(value, "kind")?;
    Ok(match kind.as_str() {
        "ringing" => DialProgress::Ringing,
        "connected" => DialProgress::Connected,
        "ended" => DialProgress::Ended {
            outcome: dial_outcome(&tag(value, "outcome")?)?,
        },
        other => return Err(unknown(other)),
    })
}

fn dial_outcome(name: &str) -> Result<DialOutcome, JsValue> {
    Ok(match name {
        "connected" => DialOutcome::Connected,
        "no_answer" => DialOutcome::NoAnswer,
        "busy" => DialOutcome::Busy,
        "declined" => DialOutcome::Declined,
        "unreachable" => DialOutcome::Unreachable,
        "refused" => DialOutcome::Refused,
        "cancelled" => DialOutcome::Cancelled,
        other => return Err(unknown(other)),
    })
}
