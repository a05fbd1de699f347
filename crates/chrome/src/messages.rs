//! Messages between the extension's contexts, over `chrome.runtime.sendMessage`.
//!
//! Every message is an [`Envelope`]: `{"to": "worker", "body": {...}}`. The
//! worker answers a [`WorkerRequest`] with a [`WorkerReply`]; it tells open pages
//! that something changed with [`PageNotice`] and drives the ringtone and the
//! call's audio with [`OffscreenCommand`]. While a call's audio is up the
//! offscreen document tells pages how it sounds ([`PageNotice::Audio`]) a few times a
//! second, straight to them: the worker need not wake for it. Nothing here
//! carries the session token: pages learn what to show, never how to
//! authenticate.
//!
//! Enums use serde's default external tagging (`{"log": {...}}`, `"status"`)
//! rather than a `"type"` field: internally tagged enums make serde buffer
//! every message, which costs the worker's wasm tens of kilobytes.

use protocol::{
    Availability, CallId, DispositionId, PersonId, PersonSnapshot, SentimentId, UnixMillis,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

mod audio;
pub use audio::{
    AudioReply, AudioState, CallAudio, CallDevices, CallQuality, OffscreenCommand, OffscreenStatus,
};

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
    /// Place a call: a `tel:` link the rep clicked on the CRM page (from
    /// Ringback's content script there), or the panel's dial form or
    /// "Call again" (with the Person called).
    Dial {
        number: String,
        #[serde(default)]
        person_id: Option<PersonId>,
    },
    /// Panel: the call is from this other Person on the caller's number
    /// (one of [`PanelCall::also`]); the call and its log go to them.
    ChoosePerson {
        call_id: CallId,
        person_id: PersonId,
    },
    /// Panel: the notes typed so far, kept by the worker until the call is
    /// logged, so a panel opened again starts from them.
    Draft {
        call_id: CallId,
        notes: String,
    },
    /// Panel: keypad keys pressed during a call connected here (sent to
    /// the far end as telephone-events).
    Digits {
        call_id: CallId,
        digits: String,
    },
    /// Panel: stop (or resume) sending the microphone.
    Mute {
        call_id: CallId,
        muted: bool,
    },
    /// Panel: "Move to my phone" — the server rings the forwarding phone
    /// and moves the call there when it answers.
    MoveToPhone {
        call_id: CallId,
    },
    /// Panel: take this held call off hold (the call on now is held).
    Resume {
        call_id: CallId,
    },
    /// Offscreen document loaded: should it be ringing?
    OffscreenReady,
    /// Popup or options page: set the rep's availability (stored on the
    /// server, which routes by it and checks it). An [`Availability`],
    /// relayed to the server unread. Answered with the status.
    SetAvailability {
        #[serde(with = "serde_wasm_bindgen::preserve")]
        availability: JsValue,
    },
    /// Options page or popup: have the server ring this browser with a test
    /// call, and report each step ([`WorkerReply::TestRing`]).
    TestRing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerReply {
    Status(StatusView),
    Panel(Box<PanelView>),
    Ringtone {
        ringing: bool,
    },
    /// What happened on a test ring, a [`TestRingRun`]; the page makes the
    /// report from it ([`TestRingRun::report`]).
    TestRing(#[serde(with = "serde_wasm_bindgen::preserve")] JsValue),
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
    /// The rep's [`Availability`] as the server last sent it (relayed
    /// unread: read it with [`StatusView::availability`]); `null` before
    /// the server has said.
    #[serde(with = "serde_wasm_bindgen::preserve", default = "null")]
    pub availability: JsValue,
    /// The call ringing or being talked on in this browser, if any.
    #[serde(default)]
    pub live_call: Option<LiveCall>,
}

fn null() -> JsValue {
    JsValue::NULL
}

impl StatusView {
    /// The availability in force at `now`.
    pub fn availability(&self, now: UnixMillis) -> Availability {
        crate::js::from_js::<Availability>(self.availability.clone())
            .unwrap_or_default()
            .effective(now)
    }
}

/// The worker's replies the panel reads, read on their own (the panel is at
/// its size ceiling, and need not carry code to read the options page's and
/// popup's). Same JSON as those [`WorkerReply`] variants (a test checks).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelReply {
    Panel(Box<PanelView>),
    Done,
    Error { message: String },
}

/// What the worker saw on a test ring: when the rep asked, each step that
/// happened and when (the worker's clock; the server's for "server sent"),
/// the failure if one stopped it, and the rep's availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRingRun {
    pub asked_at: UnixMillis,
    pub happened: Vec<(TestStep, UnixMillis)>,
    pub failure: Option<StepFailure>,
}

impl TestRingRun {
    pub fn report(&self, availability: Availability, now: UnixMillis) -> TestRingReport {
        TestRingReport::new(
            self.asked_at,
            &self.happened,
            self.failure.clone(),
            availability,
            now,
        )
    }
}

/// The call the popup shows: one ringing here, or the one the rep is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCall {
    pub call_id: CallId,
    /// The Person's name, or the number for an unknown caller.
    pub name: String,
    pub phase: CallPhase,
}

// The call's phase and its log's state are the worker core's model, shown
// to the pages as they are.
pub use worker_core::{CallPhase, LogDelivery, LogState};
// A test ring's report is the core's too.
pub use worker_core::{StepFailure, StepTime, TestRingReport, TestStep};

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
    /// The server offered audio for this call: the rep talks in the browser.
    #[serde(default)]
    pub audio: bool,
    /// Notes typed in a panel and not logged yet.
    #[serde(default)]
    pub draft: Option<String>,
    /// Other People of the rep's with the caller's number: the panel offers them.
    #[serde(default)]
    pub also: Vec<PersonSnapshot>,
    /// "Move to my phone" was asked; the phone has not answered yet.
    #[serde(default)]
    pub moving: bool,
    /// Why the last move did not happen.
    #[serde(default)]
    pub move_note: Option<String>,
    /// On hold (call waiting).
    #[serde(default)]
    pub held: bool,
    /// The rep dialled this call here (`to` is the prospect's number).
    #[serde(default)]
    pub outbound: bool,
    /// A dialled prospect's phone rings.
    #[serde(default)]
    pub remote_ringing: bool,
    /// How a dialled call that never connected ended, a sentence.
    #[serde(default)]
    pub dial_result: Option<String>,
    /// The keypad keys pressed so far.
    #[serde(default)]
    pub keyed: String,
    /// Why the server refused the last keys.
    #[serde(default)]
    pub keypad_note: Option<String>,
}

/// Another call the rep is on in this browser (call waiting): the panel
/// lists it, and switches to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherCall {
    pub call_id: CallId,
    pub name: String,
    pub held: bool,
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
    /// Why the panel is not on the CRM record (it never showed, the page
    /// failed, the tab was closed): the panel says so.
    #[serde(default)]
    pub crm_note: Option<String>,
    /// The rep's other calls in this browser, connected or held.
    #[serde(default)]
    pub others: Vec<OtherCall>,
}

/// Worker and offscreen document → open pages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageNotice {
    /// From the worker. Ask again: the status or a call changed.
    Changed,
    /// From the offscreen document, a few times a second while a call's
    /// audio is up: `{"audio": {...}}`. Written as an [`AudioNotice`]: the
    /// worker serialises this enum (for `Changed`), and skipping this variant
    /// keeps `CallAudio`'s serialiser out of the worker's wasm.
    #[serde(skip_serializing)]
    Audio(CallAudio),
}

/// [`PageNotice::Audio`] as the offscreen document writes it (same JSON).
#[derive(Debug, Clone, Serialize)]
pub struct AudioNotice {
    pub audio: CallAudio,
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
    fn the_panel_reads_the_worker_replies_it_needs() {
        let json = serde_json::to_value(WorkerReply::Done).expect("serialises");
        assert!(matches!(
            serde_json::from_value::<PanelReply>(json),
            Ok(PanelReply::Done)
        ));
        let json = serde_json::to_value(WorkerReply::Error {
            message: "no".into(),
        })
        .expect("serialises");
        assert!(matches!(
            serde_json::from_value::<PanelReply>(json),
            Ok(PanelReply::Error { message }) if message == "no"
        ));
    }

    #[test]
    fn audio_commands_and_notices_have_plain_json() {
        let json = serde_json::to_value(Envelope::new(
            Target::Offscreen,
            OffscreenCommand::Mute {
                call_id: CallId(4),
                muted: true,
            },
        ))
        .expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"to": "offscreen", "body": {"mute": {"call_id": 4, "muted": true}}})
        );
        let reply: AudioReply =
            serde_json::from_value(serde_json::json!({"answer": {"sdp": "v=0"}})).expect("reads");
        assert_eq!(reply, AudioReply::Answer { sdp: "v=0".into() });
        let audio = CallAudio {
            call_id: CallId(4),
            state: AudioState::Connected,
            muted: false,
            mic_level: 0.5,
            quality: None,
            device_note: Some("Your chosen microphone is not connected.".into()),
        };
        let notice = serde_json::to_value(AudioNotice {
            audio: audio.clone(),
        })
        .expect("serialises");
        assert_eq!(notice["audio"]["state"], "connected");
        // The same JSON as a PageNotice, which is what the panel reads.
        match serde_json::from_value(notice).expect("reads") {
            PageNotice::Audio(read) => assert_eq!(read, audio),
            PageNotice::Changed => panic!("read as Changed"),
        }
        // A report from before device notes reads as having none.
        let old: CallAudio = serde_json::from_value(serde_json::json!({
            "call_id": 4, "state": "connected", "muted": false, "mic_level": 0.5, "quality": null
        }))
        .expect("reads");
        assert_eq!(old.device_note, None);
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
