//! Messages on the signalling WebSocket (`GET /api/v1/signal`).
//!
//! Each frame is one JSON object tagged by `"type"`. The client opens with
//! [`ClientMessage::Hello`], or names its device in the handshake instead
//! ([`crate::DEVICE_SUBPROTOCOL_PREFIX`]); the server answers [`ServerMessage::Welcome`] and then
//! re-sends every call still ringing for the rep, so a reconnect resumes where the
//! last socket left off. Every client message carries an `id` the server echoes
//! in its [`ServerMessage::Ack`] or [`ServerMessage::Error`], and every
//! state-changing message is idempotent, so a client may retry freely.
//!
//! An `incoming_call` can arrive twice for one call (a ring racing a reconnect's
//! resume): clients key their ringing state by `call_id`.

use crate::availability::Availability;
use crate::model::{CallId, CallOutcome, PersonId, PersonSnapshot, RepId, UnixMillis};
use serde::{Deserialize, Serialize};

/// Chosen by the client, echoed by the server. Up to 64 characters.
pub type MessageId = String;

/// Longest accepted [`MessageId`] and device id.
pub const MAX_ID_LEN: usize = 64;

/// Most keypad keys in one [`ClientMessage::Digits`] (and waiting per call).
pub const MAX_DIGITS: usize = 32;

/// Client (extension) → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message on every socket.
    Hello {
        id: MessageId,
        /// Stable per browser profile (kept in `chrome.storage`), so an Accept
        /// retried over a new socket is recognised as the same browser.
        device_id: String,
        /// e.g. `"ringback-extension/0.1.0"`, for the server's logs.
        #[serde(default)]
        client: Option<String>,
    },
    /// Sent every [`crate::KEEPALIVE_INTERVAL_SECS`]; a silent rep goes offline.
    Keepalive { id: MessageId },
    /// The rep pressed Accept.
    Accept {
        id: MessageId,
        call_id: CallId,
        /// The browser's SDP answer to [`IncomingCall::offer`]. Without one the
        /// call connects with no audio in the browser (notes and logging only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answer: Option<String>,
    },
    /// The rep pressed Close: stop ringing in this browser only; the phone keeps
    /// ringing and the no-answer timer keeps running.
    Close { id: MessageId, call_id: CallId },
    /// The rep hung up a call they answered in this browser.
    HangUp { id: MessageId, call_id: CallId },
    /// "Move to my phone" for the call this browser is on; how it goes
    /// arrives as [`CallUpdate`]s (moving, moved, or failed).
    MoveToPhone { id: MessageId, call_id: CallId },
    /// Put a call this browser is on on hold (`held`: to take or switch to
    /// another call), or take it off hold.
    Hold {
        id: MessageId,
        call_id: CallId,
        held: bool,
    },
    /// The rep pressed keypad keys (0-9, `*`, `#`, A-D) during a call
    /// connected in this browser: sent to the far end as telephone-events
    /// (RFC 4733), after any still waiting. At most [`MAX_DIGITS`] a
    /// message, and as many waiting per call.
    Digits {
        id: MessageId,
        call_id: CallId,
        digits: String,
    },
    /// "Test ring": ring this socket's browser with a test call, answered by
    /// [`ServerMessage::TestRing`] on the same socket. No phone leg, no log.
    TestRing { id: MessageId },
}

impl ClientMessage {
    pub fn id(&self) -> &str {
        match self {
            Self::Hello { id, .. }
            | Self::Keepalive { id }
            | Self::Accept { id, .. }
            | Self::Close { id, .. }
            | Self::HangUp { id, .. }
            | Self::MoveToPhone { id, .. }
            | Self::Hold { id, .. }
            | Self::Digits { id, .. }
            | Self::TestRing { id } => id,
        }
    }
}

/// Server → client (extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Reply to Hello.
    Welcome {
        protocol: u32,
        rep_id: RepId,
        rep_name: String,
        /// How often the client must send a keepalive.
        keepalive_secs: u32,
    },
    /// Ring: show the notification and play the ringtone.
    IncomingCall(IncomingCall),
    /// Something happened to a call this rep was rung for.
    CallUpdate { call_id: CallId, update: CallUpdate },
    /// The message with this id was applied (or had already been).
    Ack { id: MessageId },
    /// The rep's availability: sent after Welcome and whenever it changes
    /// (from the popup, another browser or the web settings page).
    Availability { availability: Availability },
    /// The answer to [`ClientMessage::TestRing`] `id`: ring as for a call,
    /// marked as a test. `sent_at` is the server's clock when it sent this.
    TestRing { id: MessageId, sent_at: UnixMillis },
    /// A single-use ticket for this browser's next socket, good for longer
    /// than one from `POST /ws-tickets`: kept, it lets a worker Chrome
    /// restarts connect without asking for a ticket first. Sent after the
    /// availability (off the ring path), and again at half its life.
    ResumeTicket {
        ticket: String,
        expires_at: UnixMillis,
    },
    /// The message with this id (if it could be read) was refused.
    Error {
        id: Option<MessageId>,
        code: SignalErrorCode,
        message: String,
    },
    /// How an outbound call this browser dialled goes (an extension that
    /// does not dial ignores it).
    DialUpdate {
        call_id: CallId,
        update: DialProgress,
    },
    /// The rep pressed Call on one of the server's pages (the Person page,
    /// a Calls page row): this browser, the one of the rep's the server
    /// chose, places the call as if the rep had dialled `number` here.
    /// The number is the server's record of the Person's, never a page's.
    DialRequested {
        number: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person_id: Option<PersonId>,
    },
}

/// What changed for an outbound call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DialProgress {
    /// The prospect's phone rings.
    Ringing,
    Connected,
    Ended {
        outcome: crate::api::DialOutcome,
    },
}

/// Everything the extension needs to ring, and to open the CRM on Accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingCall {
    pub call_id: CallId,
    pub person: PersonSnapshot,
    /// The rep's dialer number the prospect called.
    pub to: String,
    pub started_at: UnixMillis,
    /// When the no-answer rule takes over; the notification can count down.
    pub ring_deadline: UnixMillis,
    /// The server's SDP offer for the call's audio (audio only, PCMU, DTLS-SRTP,
    /// ICE-lite). The browser answers it with [`ClientMessage::Accept`]; absent
    /// when the server has no media for this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
    /// Other People of the rep's with the caller's number, most likely
    /// first (`person` is the most likely of all): the panel offers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<PersonSnapshot>,
}

/// What changed for a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallUpdate {
    /// This browser won the Accept: connect the panel.
    Accepted,
    /// Another browser of the rep, or the forwarding phone, answered.
    AnsweredElsewhere,
    /// The rep closed the notification: stop ringing here (all the rep's browsers).
    RingingClosed,
    /// The caller hung up before anyone answered.
    CallerHungUp,
    /// Nobody answered in time; the call went on to the phone or voicemail.
    NoAnswer { outcome: CallOutcome },
    /// A connected call ended.
    Ended,
    /// "Move to my phone": the forwarding phone is ringing; the call stays
    /// in this browser until it answers.
    MovingToPhone,
    /// The phone answered: the call is on it now and this browser's audio
    /// is released (the panel still logs the call).
    MovedToPhone,
    /// The phone did not answer the move: the call stays in this browser.
    MoveFailed,
    /// Held (call waiting: the rep took another call): the other party
    /// hears silence, and this browser neither sends nor plays its audio.
    OnHold,
    /// Taken off hold: its audio flows again.
    Resumed,
}

/// Stable codes for [`ServerMessage::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignalErrorCode {
    /// Not JSON, or not a message this protocol knows.
    MalformedMessage,
    /// The frame was larger than [`crate::MAX_SIGNAL_FRAME_BYTES`].
    MessageTooLarge,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// Something other than Hello arrived first.
    HelloRequired,
    /// An id or device id was empty or too long.
    InvalidId,
    /// No such call for this rep.
    CallNotFound,
    /// The call is no longer ringing (answered elsewhere, ended, timed out).
    CallNotRinging,
    /// The SDP answer sent with Accept is not one the server can use; the call
    /// was not accepted and keeps ringing.
    InvalidAnswer,
    /// Keypad tones cannot be sent for this call (the other side does not
    /// take them, a key is not one, too many are waiting, or the call is not
    /// connected in this browser); the message is a sentence for the rep.
    DigitsRefused,
    /// The server failed; the message may be retried.
    Internal,
}

/// WebSocket close codes the server uses (4000–4999 is the application range).
pub mod close_code {
    /// The client kept sending malformed frames.
    pub const TOO_MANY_ERRORS: u16 = 4000;
    /// No message within the keepalive window.
    pub const IDLE_TIMEOUT: u16 = 4001;
    /// The rep signed out or the session expired: sign in again.
    pub const SIGNED_OUT: u16 = 4002;
    /// A newer socket of the same browser (device id) took over.
    pub const REPLACED: u16 = 4003;
    /// The rep has more browsers connected than the server allows
    /// (`MAX_DEVICES_PER_REP`); the one connected longest was let go.
    pub const TOO_MANY_DEVICES: u16 = 4004;
    /// A frame was larger than the transport accepts (RFC 6455 "Message Too Big").
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server is shutting down; reconnect with backoff.
    pub const GOING_AWAY: u16 = 1001;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(value: &T) -> T
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        let json = serde_json::to_string(value).expect("serialises");
        serde_json::from_str(&json).expect("deserialises")
    }

    #[test]
    fn client_messages_round_trip_with_a_type_tag() {
        let accept = ClientMessage::Accept {
            id: "m1".into(),
            call_id: CallId(7),
            answer: None,
        };
        let json = serde_json::to_value(&accept).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"type": "accept", "id": "m1", "call_id": 7})
        );
        assert_eq!(round_trip(&accept), accept);
        let with_audio = ClientMessage::Accept {
            id: "m2".into(),
            call_id: CallId(7),
            answer: Some("v=0\r\n".into()),
        };
        assert_eq!(round_trip(&with_audio), with_audio);

        let hello: ClientMessage =
            serde_json::from_str(r#"{"type":"hello","id":"h","device_id":"d"}"#).expect("parses");
        assert_eq!(
            hello,
            ClientMessage::Hello {
                id: "h".into(),
                device_id: "d".into(),
                client: None
            }
        );
        assert_eq!(hello.id(), "h");
    }

    #[test]
    fn server_messages_round_trip() {
        let ring = ServerMessage::IncomingCall(IncomingCall {
            call_id: CallId(1),
            person: PersonSnapshot {
                id: Some(PersonId(3)),
                name: Some("Ada Lovelace".into()),
                title: Some("CTO".into()),
                account: Some("Analytical Engines".into()),
                crm_url: Some("https://crm.example/contacts/3".into()),
                number: "+14155550100".into(),
            },
            to: "+14155550000".into(),
            started_at: 1_000,
            ring_deadline: 21_000,
            offer: Some("v=0\r\n".into()),
            also: Vec::new(),
        });
        let json = serde_json::to_value(&ring).expect("serialises");
        assert_eq!(json["type"], "incoming_call");
        assert_eq!(json["person"]["name"], "Ada Lovelace");
        assert_eq!(round_trip(&ring), ring);

        let update = ServerMessage::CallUpdate {
            call_id: CallId(1),
            update: CallUpdate::NoAnswer {
                outcome: CallOutcome::Voicemail,
            },
        };
        let json = serde_json::to_value(&update).expect("serialises");
        assert_eq!(
            json["update"],
            serde_json::json!({"kind": "no_answer", "outcome": "voicemail"})
        );
        assert_eq!(round_trip(&update), update);
    }

    #[test]
    fn keypad_digits_read_as_sent() {
        let digits: ClientMessage =
            serde_json::from_str(r#"{"type":"digits","id":"keypad-1","call_id":7,"digits":"1#"}"#)
                .expect("parses");
        assert_eq!(
            digits,
            ClientMessage::Digits {
                id: "keypad-1".into(),
                call_id: CallId(7),
                digits: "1#".into()
            }
        );
        assert_eq!(digits.id(), "keypad-1");
        let refused = serde_json::to_value(SignalErrorCode::DigitsRefused).expect("serialises");
        assert_eq!(refused, "digits_refused");
    }

    #[test]
    fn availability_and_test_ring_round_trip() {
        let test_ring: ClientMessage =
            serde_json::from_str(r#"{"type":"test_ring","id":"t1"}"#).expect("parses");
        assert_eq!(test_ring, ClientMessage::TestRing { id: "t1".into() });
        assert_eq!(test_ring.id(), "t1");

        let answer = ServerMessage::TestRing {
            id: "t1".into(),
            sent_at: 1_000,
        };
        assert_eq!(
            serde_json::to_value(&answer).expect("serialises"),
            serde_json::json!({"type": "test_ring", "id": "t1", "sent_at": 1000})
        );
        assert_eq!(round_trip(&answer), answer);

        let dnd = ServerMessage::Availability {
            availability: Availability {
                mode: crate::AvailabilityMode::DndBrowser,
                until: Some(5_000),
            },
        };
        assert_eq!(
            serde_json::to_value(&dnd).expect("serialises"),
            serde_json::json!({
                "type": "availability",
                "availability": {"mode": "dnd_browser", "until": 5000}
            })
        );
        assert_eq!(round_trip(&dnd), dnd);
        let available = ServerMessage::Availability {
            availability: Availability::AVAILABLE,
        };
        assert_eq!(
            serde_json::to_value(&available).expect("serialises")["availability"],
            serde_json::json!({"mode": "available"})
        );
        assert_eq!(round_trip(&available), available);
    }

    #[test]
    fn unknown_or_ill_typed_messages_are_errors_not_panics() {
        for bad in [
            r#"{"type":"dance","id":"x"}"#,
            r#"{"type":"accept","id":"x","call_id":"seven"}"#,
            r#"{"type":"accept","id":"x"}"#,
            r#"{"id":"x"}"#,
            r#"[1,2,3]"#,
            "not json",
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }
}
