//! The domain vocabulary shared by server and extension.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A team: reps share its dispositions and sentiments.
    TeamId
);
id_type!(
    /// A sales rep, the user of the extension.
    RepId
);
id_type!(
    /// A prospect the rep has called before.
    PersonId
);
id_type!(
    /// One inbound call.
    CallId
);
id_type!(
    /// A team-configured disposition ("Connected", "Left voicemail", ...).
    DispositionId
);
id_type!(
    /// A team-configured sentiment ("Interested", "Not interested", ...).
    SentimentId
);

/// Milliseconds since the Unix epoch. The one time type on the wire, so the
/// extension can compute a countdown without parsing dates.
pub type UnixMillis = i64;

/// What the caller sees of a Person at ring time: a snapshot, so a later edit
/// of the Person does not change what a notification said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSnapshot {
    /// `None` for an unknown caller: the call still rings, shown as the number.
    pub id: Option<PersonId>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub account: Option<String>,
    pub crm_url: Option<String>,
    /// The caller's number in E.164.
    pub number: String,
}

impl PersonSnapshot {
    /// The line a notification leads with: the name, or the number when unknown.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.number)
    }
}

/// A Person as stored and edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub title: Option<String>,
    pub account: Option<String>,
    /// E.164 numbers; routing matches the caller's number against these.
    pub phones: Vec<String>,
    pub crm_url: Option<String>,
}

/// What happens to a call nobody answered by the ring timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoAnswerAction {
    /// Hand the call to the forwarding phone (and its own voicemail).
    Forward,
    /// Ringback records a voicemail and logs the call with it.
    Voicemail,
}

impl NoAnswerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Voicemail => "voicemail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "forward" => Some(Self::Forward),
            "voicemail" => Some(Self::Voicemail),
            _ => None,
        }
    }
}

/// A rep's inbound call settings (the article's "Dialer settings").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialerSettings {
    pub inbound_enabled: bool,
    /// The rep's own phone, rung alongside the browser.
    pub forwarding_number: Option<String>,
    /// When set, inbound calls go to the phone only (the article's rule).
    pub custom_caller_id: Option<String>,
    pub no_answer_action: NoAnswerAction,
    pub ring_timeout_secs: u32,
}

impl DialerSettings {
    pub const DEFAULT_RING_TIMEOUT_SECS: u32 = 20;
    pub const MIN_RING_TIMEOUT_SECS: u32 = 5;
    pub const MAX_RING_TIMEOUT_SECS: u32 = 120;
}

impl Default for DialerSettings {
    fn default() -> Self {
        Self {
            inbound_enabled: true,
            forwarding_number: None,
            custom_caller_id: None,
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_secs: Self::DEFAULT_RING_TIMEOUT_SECS,
        }
    }
}

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Ringing,
    /// Answered (browser or phone) or taken by voicemail; media is flowing.
    Connected,
    Ended,
}

/// How a call left the ringing state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    AnsweredInBrowser,
    AnsweredOnPhone,
    /// Nobody answered; handed to the forwarding phone.
    Forwarded,
    /// Nobody answered; the caller reached Ringback's voicemail.
    Voicemail,
    /// The caller hung up before anyone answered.
    Missed,
}

/// The state of one ringing leg, as the call detail API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    /// This leg was never rung (rule 2, or no forwarding number).
    NotRung,
    Ringing,
    /// The rep closed the notification (browser leg only).
    Closed,
    /// Stopped by the server: answered elsewhere, hung up, timed out.
    Stopped,
    Answered,
}

/// Status of a call log. A voicemail is logged as completed; the rep may
/// re-mark it as "no answer" (the article's rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStatus {
    Completed,
    NoAnswer,
}

/// An entry of a team's disposition or sentiment list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice<Id> {
    pub id: Id,
    pub label: String,
    /// Retired values stay on old logs but are not offered for new ones.
    pub retired: bool,
}

pub type Disposition = Choice<DispositionId>;
pub type Sentiment = Choice<SentimentId>;
