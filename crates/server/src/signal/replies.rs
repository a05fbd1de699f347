//! What a socket answers: the checks on a message's ids, and the reply to a
//! message that changes a call.

use crate::exchange::EventError;
use calls::Refusal;
use protocol::signal::{ClientMessage, MAX_ID_LEN, ServerMessage, SignalErrorCode};

/// Why a message's ids are refused, if they are.
pub(super) fn invalid_ids(message: &ClientMessage) -> Option<&'static str> {
    if bad_id(message.id()) {
        return Some("id must be 1 to 64 characters");
    }
    match message {
        ClientMessage::Hello { device_id, .. } if bad_id(device_id) => {
            Some("device_id must be 1 to 64 characters")
        }
        _ => None,
    }
}

/// An id the protocol refuses: empty, or longer than [`MAX_ID_LEN`].
pub(super) fn bad_id(id: &str) -> bool {
    id.is_empty() || id.chars().count() > MAX_ID_LEN
}

/// The reply to a state-changing message: Ack, or an Error naming why.
pub(super) fn reply_to(id: String, applied: Result<(), EventError>) -> ServerMessage {
    let (code, message) = match applied {
        Ok(()) => return ServerMessage::Ack { id },
        Err(error) => error_reply(error),
    };
    ServerMessage::Error {
        id: Some(id),
        code,
        message,
    }
}

/// What a socket is told of an event that was not applied (here, or by the
/// call's owner for a forwarded one).
pub(crate) fn error_reply(error: EventError) -> (SignalErrorCode, String) {
    match error {
        EventError::NotFound => (
            SignalErrorCode::CallNotFound,
            "no such ringing call".to_owned(),
        ),
        EventError::Refused(Refusal::NotOfferedToBrowser) => (
            SignalErrorCode::CallNotRinging,
            "this call rings on your phone only (inbound calling off or custom caller ID set)"
                .into(),
        ),
        EventError::Refused(refusal) => (SignalErrorCode::CallNotRinging, refusal.to_string()),
        EventError::Media(error) => (
            SignalErrorCode::InvalidAnswer,
            format!("{error}; the call is still ringing"),
        ),
        EventError::Store(error) => {
            tracing::error!(%error, "applying a signalling event failed");
            (SignalErrorCode::Internal, "server error; retry".into())
        }
        EventError::Elsewhere { code, message } => (code, message),
    }
}

/// The `id` of a message that failed to parse, if one can be read, so the
/// client can match the error to what it sent.
pub(super) fn salvage_id(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let id = value.get("id")?.as_str()?;
    (id.chars().count() <= MAX_ID_LEN).then(|| id.to_owned())
}
