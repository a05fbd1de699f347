//! REST request and response bodies (`/api/v1/...`).

use crate::model::{
    CallId, CallOutcome, CallStatus, Disposition, DispositionId, LegState, LogStatus, PersonId,
    PersonSnapshot, RepId, Sentiment, SentimentId, TeamId, UnixMillis,
};
use serde::{Deserialize, Serialize};

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`invalid_credentials`, `not_found`, ...).
    pub code: String,
    /// For people: says what went wrong and what to do next.
    pub message: String,
}

/// `GET /api/v1/team` (any rep of the team) and the answer to `PUT` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSettings {
    /// ISO 3166 country code, e.g. "GB": numbers written without a country
    /// code (a Person's, the forwarding number, a caller's) are read in it.
    pub default_region: String,
    /// That region's calling code (44), read-only.
    pub calling_code: u16,
}

/// `PUT /api/v1/team` (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSettingsInput {
    pub default_region: String,
}

/// `POST /api/v1/sessions`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepProfile {
    pub id: RepId,
    pub team_id: TeamId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    /// The numbers prospects call back; each routes to this rep.
    pub dialer_numbers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// Bearer token. Shown once; the server keeps only its hash.
    pub token: String,
    pub expires_at: UnixMillis,
    pub rep: RepProfile,
}

/// `POST /api/v1/ws-tickets`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketResponse {
    /// Single use; offer it as the `ticket.<ticket>` WebSocket subprotocol.
    pub ticket: String,
    pub expires_at: UnixMillis,
}

/// `POST /api/v1/people` and `PUT /api/v1/people/{id}`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PersonInput {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    /// Any common format; stored in E.164.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub crm_url: Option<String>,
}

/// `GET /api/v1/team/choices`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamChoices {
    pub dispositions: Vec<Disposition>,
    pub sentiments: Vec<Sentiment>,
    pub disposition_required: bool,
}

/// The log written for a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLogView {
    pub notes: String,
    pub disposition: Option<Disposition>,
    pub sentiment: Option<Sentiment>,
    pub status: LogStatus,
    pub logged_at: UnixMillis,
    /// Written by the server (voicemail), not by the rep.
    pub automatic: bool,
}

/// A call as listed and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub id: CallId,
    pub from: String,
    pub to: String,
    pub person: PersonSnapshot,
    pub status: CallStatus,
    pub outcome: Option<CallOutcome>,
    pub browser_leg: LegState,
    pub phone_leg: LegState,
    pub started_at: UnixMillis,
    pub answered_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    pub ring_deadline: UnixMillis,
    pub log: Option<CallLogView>,
    /// A voicemail's recording, at `GET /api/v1/calls/{id}/recording`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingView>,
    /// Inbound (a callback) or outbound (the rep dialled); for an outbound
    /// call `from` is the caller ID the prospect saw and `to` the prospect.
    #[serde(default)]
    pub direction: CallDirection,
    /// How an outbound call went (`outcome` is for inbound calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_outcome: Option<DialOutcome>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    #[default]
    Inbound,
    Outbound,
}

/// How an outbound call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialOutcome {
    /// The prospect answered.
    Connected,
    /// Nobody answered in time.
    NoAnswer,
    Busy,
    Declined,
    /// No such number, or not reachable now.
    Unreachable,
    /// The carrier refused the call.
    Refused,
    /// The rep hung up before the prospect answered.
    Cancelled,
}

/// `POST /api/v1/calls/dial`: the rep dials from the Dialer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialRequest {
    /// Any common format; read in the team's region.
    pub to: String,
    /// The Person called, when the rep dialled from one (logged to them).
    #[serde(default)]
    pub person_id: Option<PersonId>,
    /// The browser that dials: its audio leg, and its call updates.
    pub device_id: String,
}

/// The call placed: the SDP offer for the browser's audio leg, to answer
/// with `POST /api/v1/calls/{id}/answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialResponse {
    pub call_id: CallId,
    /// The prospect's number, E.164.
    pub to: String,
    /// The number the prospect sees.
    pub caller_id: String,
    pub person: PersonSnapshot,
    pub offer: String,
    pub started_at: UnixMillis,
    /// When Ringback gives up if nobody answers.
    pub ring_deadline: UnixMillis,
}

/// `POST /api/v1/calls/{id}/answer`: the browser's SDP answer to the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialAnswer {
    pub answer: String,
}

/// A voicemail recording: an 8 kHz, 16-bit mono WAV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingView {
    pub duration_ms: i64,
    pub bytes: i64,
}

/// `GET /api/v1/calls`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPage {
    pub calls: Vec<CallView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<CallId>,
}

/// `POST /api/v1/calls/{id}/log`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogCallRequest {
    /// Generated by the client once per log; a retry with the same key is
    /// answered with the log already written, never a second one.
    pub idempotency_key: String,
    #[serde(default)]
    pub notes: String,
    pub disposition_id: Option<DispositionId>,
    pub sentiment_id: Option<SentimentId>,
    /// Only for calls without a Person: who the call should be logged to.
    #[serde(default)]
    pub person_id: Option<PersonId>,
}

/// `PUT /api/v1/calls/{id}/person`: the call is from this other Person with
/// the caller's number (one of [`crate::signal::IncomingCall::also`]). The
/// call and its log go to them, and the next call from the number leads
/// with them. Answered with the Person as the call now shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoosePersonRequest {
    pub person_id: PersonId,
}

/// `PATCH /api/v1/calls/{id}/log`: notes and status only. Disposition and
/// sentiment are refused with 409 once logged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateLogRequest {
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub status: Option<LogStatus>,
    #[serde(default)]
    pub disposition_id: Option<DispositionId>,
    #[serde(default)]
    pub sentiment_id: Option<SentimentId>,
}

/// `POST /api/v1/carrier/inbound` (carrier token): a call arrives.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CarrierInbound {
    /// The caller's number, any common format.
    pub from: String,
    /// The rep's dialer number that was called.
    pub to: String,
    /// The carrier's own id for the call; a retried webhook with the same id
    /// returns the existing call.
    pub carrier_call_id: String,
}

/// How the server routed an inbound call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierInboundResponse {
    pub call_id: CallId,
    pub ring_browser: bool,
    /// The number the carrier should ring alongside, if any.
    pub ring_phone: Option<String>,
    pub ring_deadline: UnixMillis,
    /// Set once the call has left ringing, e.g. straight to voicemail when
    /// there was nowhere to ring.
    pub outcome: Option<CallOutcome>,
}

/// `POST /api/v1/carrier/events` (carrier token): the phone leg's news.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CarrierEvent {
    pub carrier_call_id: String,
    pub event: CarrierEventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierEventKind {
    /// The rep picked up the forwarding phone.
    PhoneAnswered,
    /// The caller hung up (ringing or connected).
    CallerHungUp,
    /// The rep hung up a call they took on the forwarding phone.
    PhoneHungUp,
}

/// One thing that happened to a call, as it happened: `GET
/// /api/v1/calls/{id}/timeline` answers them oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: UnixMillis,
    pub kind: TimelineKind,
    /// For people: which browsers, which number, who hung up, why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a [`TimelineEntry`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimelineKind {
    /// The carrier delivered the call; the detail says where it rings, or
    /// why the browser does not.
    Arrived,
    /// The ring went to the rep's browsers (the detail names them).
    RangBrowser,
    /// The forwarding phone was rung.
    RangPhone,
    /// Close on the notification: the browser stopped ringing.
    Closed,
    /// Accept, in the browser the detail names.
    Accepted,
    AnsweredOnPhone,
    /// The forwarding phone could not be rung or refused the call.
    PhoneFailed,
    /// The forwarding phone was told to stop ringing.
    PhoneStopped,
    /// Nobody answered within the ring time.
    NoAnswer,
    Forwarded,
    Voicemail,
    CallerHungUp,
    /// The rep hung up (the detail says where).
    RepHungUp,
    /// "Move to my phone" in the browser the detail names: the forwarding
    /// phone rings, and the call moves when it answers.
    MovingToPhone,
    /// Put on hold in the browser the detail names (another call took it).
    Held,
    /// Taken off hold.
    Resumed,
    /// The call ended on its own (the voicemail or call time limit).
    Ended,
    /// A log was written (by the rep, or automatically for a voicemail).
    Logged,
}
