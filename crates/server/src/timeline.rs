//! A call's timeline: the exchange notes each event it applies and each
//! action it carries out (and signalling says which browser pressed Accept or
//! Close), so "why did this call go to voicemail?" has an answer. Entries are
//! stored as they happen (`call_events`, at most
//! [`crate::store::MAX_EVENTS_PER_CALL`] per call); a failed write is logged,
//! never fails the call.

use crate::state::AppState;
use calls::{Action, Event, RingRequest};
use protocol::api::TimelineKind;
use protocol::{AvailabilityMode, CallId, UnixMillis};

/// Who or what caused an event on a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    /// The rep, in the browser with this device id.
    Browser(String),
    /// The carrier or the SIP trunk: the forwarding phone, or the caller.
    Carrier,
    /// The call's audio: the caller's RTP stopped, or the browser's audio
    /// was lost.
    AudioLost,
}

/// A timeline entry waiting to be stored.
pub type Note = (TimelineKind, Option<String>);

/// Why a call's machine took a step.
#[derive(Debug)]
pub enum Cause {
    /// An event, noted so if it changed the call.
    Event(Note),
    /// Its ring timer or time limit.
    Timer,
}

impl AppState {
    /// Stores a timeline entry for `call`, now.
    pub(crate) async fn note(&self, call: CallId, (kind, detail): Note) {
        let at = self.now();
        if let Err(error) = self
            .store()
            .add_call_event(call, at, kind, detail.as_deref())
            .await
        {
            tracing::warn!(%call, %error, ?kind, "a timeline entry was not stored");
        }
    }
}

/// The entry for an event applied to a call.
pub fn for_event(event: &Event, by: &By) -> Note {
    match event {
        Event::BrowserAccept { device_id } => (
            TimelineKind::Accepted,
            Some(format!("in the browser {device_id}")),
        ),
        Event::BrowserClose => (TimelineKind::Closed, by_browser(by)),
        Event::PhoneAnswered => (TimelineKind::AnsweredOnPhone, None),
        Event::PhoneFailed => (TimelineKind::PhoneFailed, None),
        Event::CallerHungUp => (
            TimelineKind::CallerHungUp,
            (by == &By::AudioLost).then(|| "the caller's audio stopped".to_owned()),
        ),
        Event::Hold { device_id } => (
            TimelineKind::Held,
            Some(format!("in the browser {device_id}")),
        ),
        Event::Resume { device_id } => (
            TimelineKind::Resumed,
            Some(format!("in the browser {device_id}")),
        ),
        Event::MoveToPhone { device_id } => (
            TimelineKind::MovingToPhone,
            Some(format!("from the browser {device_id}")),
        ),
        Event::RepHungUp => (
            TimelineKind::RepHungUp,
            Some(match by {
                By::Browser(device) => format!("in the browser {device}"),
                By::Carrier => "on the phone".to_owned(),
                By::AudioLost => "the browser's audio was lost".to_owned(),
            }),
        ),
    }
}

fn by_browser(by: &By) -> Option<String> {
    match by {
        By::Browser(device) => Some(format!("in the browser {device}")),
        _ => None,
    }
}

/// The entry for an action the exchange carried out; `devices` are the
/// browsers connected when a ring went out.
pub fn for_action(action: &Action, devices: &[String]) -> Option<Note> {
    Some(match action {
        Action::RingBrowser => (
            TimelineKind::RangBrowser,
            Some(match devices {
                [] => {
                    "no browser connected (one that comes back within the grace gets it)".to_owned()
                }
                [one] => format!("1 browser: {one}"),
                many => format!("{} browsers: {}", many.len(), many.join(", ")),
            }),
        ),
        Action::RingPhone { number } => (TimelineKind::RangPhone, Some(number.clone())),
        Action::StopPhone => (TimelineKind::PhoneStopped, None),
        Action::ForwardToPhone { number } => (TimelineKind::Forwarded, Some(number.clone())),
        Action::StartVoicemail => (TimelineKind::Voicemail, None),
        Action::Tell { .. } | Action::EndMedia | Action::HoldCaller | Action::ResumeCaller => {
            return None;
        }
    })
}

/// The entry for a call's arrival: where it rings, or why the browser does not.
pub fn arrival(
    ring: &RingRequest,
    rings_browser: bool,
    rings_phone: bool,
    now: UnixMillis,
) -> Note {
    let mut said = Vec::new();
    if rings_browser {
        said.push("rings the browser".to_owned());
    } else {
        let why = match ring.availability.effective(now).mode {
            AvailabilityMode::DndBrowser => "do not disturb in Chrome",
            AvailabilityMode::DndEverywhere => "do not disturb everywhere",
            AvailabilityMode::Available if !ring.inbound_enabled => {
                "inbound calling is off in the dialer settings"
            }
            AvailabilityMode::Available if ring.custom_caller_id_set => "a custom caller ID is set",
            _ => "no browser is signed in and connected",
        };
        said.push(format!("not the browser: {why}"));
    }
    if rings_phone {
        said.push("rings the forwarding phone".to_owned());
    } else if ring.forwarding_number.is_none() {
        said.push("no forwarding phone".to_owned());
    }
    (TimelineKind::Arrived, Some(said.join("; ")))
}

/// The entry for a step the ring timer took, if it changed anything worth
/// saying: the ring time ran out, or the call hit its time limit.
pub fn for_timer(was_ringing: bool, ringing: bool, ended: bool, ring_ms: i64) -> Option<Note> {
    if was_ringing && !ringing {
        Some((
            TimelineKind::NoAnswer,
            Some(format!("no answer in {} s", ring_ms / 1000)),
        ))
    } else if ended {
        Some((TimelineKind::Ended, Some("the time limit".to_owned())))
    } else {
        None
    }
}

/// The entry for a log the rep wrote (the API or a page).
pub fn logged_by_rep() -> Note {
    (TimelineKind::Logged, Some("by the rep".to_owned()))
}
