//! Messages between the extension's contexts, over `chrome.runtime.sendMessage`.
//!
//! Every message is an [`Envelope`]: `{"to": "worker", "body": {...}}`. The
//! worker answers a [`WorkerRequest`] with a [`WorkerReply`]; it tells open pages
//! that something changed with [`PageNotice`] and drives the ringtone with
//! [`OffscreenCommand`]. Nothing here carries the session token: pages learn
//! what to show, never how to authenticate.
//!
//! Enums use serde's default external tagging (`{"log": {...}}`, `"status"`)
//! rather than a `"type"` field: internally tagged enums make serde buffer
//! every message, which costs the worker's wasm tens of kilobytes.

use protocol::{CallId, DispositionId, PersonSnapshot, SentimentId, UnixMillis};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// Which context a message is for; the others ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Worker,
    Offscreen,
    Pages,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub to: Target,
    pub body: T,
}

impl<T> Envelope<T> {
    pub fn new(to: Target, body: T) -> Self {
        Self { to, body }
    }
}

/// Pages and the offscreen document → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerRequest {
    /// Options page: sign-in and connection state.
    Status,
    SignIn {
        server: String,
        email: String,
        password: String,
    },
    SignOut,
    /// Options page was opened: the rep has seen the missed calls.
    ClearMissed,
    /// Panel: the call to show (the active one when `None`).
    Panel {
        call_id: Option<CallId>,
    },
    /// Panel: log the call. Stored in the outbox first; never lost.
    Log {
        call_id: CallId,
        notes: String,
        disposition_id: Option<DispositionId>,
        sentiment_id: Option<SentimentId>,
    },
    /// Panel: end a call answered in this browser.
    HangUp {
        call_id: CallId,
    },
    /// Offscreen document loaded: should it be ringing?
    OffscreenReady,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerReply {
    Status(StatusView),
    Panel(Box<PanelView>),
    Ringtone {
        ringing: bool,
    },
    Done,
    /// Says what went wrong and what to do next.
    Error {
        message: String,
    },
}

/// The worker's reply to [`WorkerRequest::OffscreenReady`], read on its own:
/// the offscreen document need not carry code to read every other reply.
/// Same JSON as [`WorkerReply::Ringtone`] (a test checks).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingtoneReply {
    Ringtone { ringing: bool },
}

/// The signalling connection, as the options page and badge show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    SignedOut,
    Connecting,
    Online,
    /// Waiting to retry; `last_error` says why.
    Offline,
}

impl ConnectionState {
    /// The serialised name, for `data-` attributes and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::Connecting => "connecting",
            Self::Online => "online",
            Self::Offline => "offline",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusView {
    pub server: Option<String>,
    pub rep_name: Option<String>,
    pub email: Option<String>,
    pub connection: ConnectionState,
    pub last_error: Option<String>,
    pub missed_calls: u32,
    /// Logs written here and not yet confirmed by the server.
    pub pending_logs: u32,
}

/// Where a call the rep was rung for stands, in this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallPhase {
    Ringing,
    /// Accept sent; waiting for the server to confirm.
    Accepting,
    Connected,
    Ended,
    /// Not for this browser any more: closed, answered elsewhere, missed.
    Gone,
}

impl CallPhase {
    /// A call answered in this browser, on or over: the panel can log it.
    pub fn loggable(self) -> bool {
        matches!(self, Self::Connected | Self::Ended)
    }

    /// The serialised name, for `data-` attributes and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Accepting => "accepting",
            Self::Connected => "connected",
            Self::Ended => "ended",
            Self::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogDelivery {
    /// Kept in `chrome.storage`; retried until the server confirms.
    Queued {
        attempts: u32,
        last_error: Option<String>,
    },
    Logged,
    /// The server refused it for good; the message says why.
    Refused {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    pub notes: String,
    pub disposition_id: Option<DispositionId>,
    pub sentiment_id: Option<SentimentId>,
    pub delivery: LogDelivery,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PanelCall {
    pub call_id: CallId,
    pub person: PersonSnapshot,
    pub to: String,
    pub phase: CallPhase,
    pub started_at: UnixMillis,
    pub answered_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    pub log: Option<LogState>,
}

/// What the panel shows. The server's answers the worker does not need
/// itself are relayed as the server sent them, for the panel to read: the
/// worker stays small and knows nothing of their shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PanelView {
    pub call: Option<PanelCall>,
    /// The team's lists, a [`protocol::api::TeamChoices`]; `null` if never fetched.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub choices: JsValue,
    /// The caller's recent calls, a [`protocol::api::CallPage`]; `null` when
    /// unknown (no Person, or the server could not be asked).
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub history: JsValue,
    pub connection: ConnectionState,
}

/// Worker → open pages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageNotice {
    /// Ask again: the status or a call changed.
    Changed,
}

/// Worker → offscreen document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffscreenCommand {
    Ring,
    Silence,
    /// Reply `{"ringing": bool}`; the end-to-end tests use it to check.
    Status,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offscreen_document_reads_the_worker_ringtone_reply() {
        for ringing in [true, false] {
            let json = serde_json::to_value(WorkerReply::Ringtone { ringing }).expect("serialises");
            let reply: RingtoneReply = serde_json::from_value(json).expect("reads");
            assert_eq!(reply, RingtoneReply::Ringtone { ringing });
        }
    }

    #[test]
    fn messages_carry_their_target() {
        let json = serde_json::to_value(Envelope::new(Target::Offscreen, OffscreenCommand::Status))
            .expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"to": "offscreen", "body": "status"})
        );
    }
}
