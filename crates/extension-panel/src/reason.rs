//! Why the prospect is calling back: their previous call, found in the
//! recent calls the worker relays. None of the dialers reps use today shows
//! this on a callback.
//!
//! The previous call may have gone either way: the rep's own call the
//! prospect did not answer is the usual reason they call back ("You called
//! on 3 Nov, no answer").
//!
//! The relayed page is a `protocol::api::CallPage`; the panel reads only the
//! fields it shows ([`History`]): reading every field of a call costs the
//! panel's wasm kilobytes it does not have (serde skips the rest).

use protocol::api::{CallDirection, DialOutcome};
use protocol::{CallId, CallOutcome, UnixMillis};
use serde::Deserialize;

/// The part of a `CallPage` the panel reads.
#[derive(Debug, Clone, Deserialize)]
pub struct History {
    pub calls: Vec<EarlierCall>,
}

/// The part of a `CallView` the panel reads.
#[derive(Debug, Clone, Deserialize)]
pub struct EarlierCall {
    pub id: CallId,
    pub started_at: UnixMillis,
    pub outcome: Option<CallOutcome>,
    pub log: Option<EarlierLog>,
    /// A `CallDirection` and a `DialOutcome` by name: read as strings, they
    /// bring none of serde's enum readers into the panel's wasm.
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub dial_outcome: Option<String>,
}

/// The part of a `CallLogView` the panel reads.
#[derive(Debug, Clone, Deserialize)]
pub struct EarlierLog {
    pub notes: String,
    pub disposition: Option<Label>,
    pub sentiment: Option<Label>,
}

/// A disposition's or sentiment's label.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousCall {
    pub at: UnixMillis,
    pub direction: CallDirection,
    pub outcome: Option<CallOutcome>,
    pub dial_outcome: Option<DialOutcome>,
    pub disposition: Option<String>,
    pub sentiment: Option<String>,
    /// First line of its notes.
    pub note_line: Option<String>,
}

/// The Person's most recent call before `current`: the reason they call back.
pub fn previous_call(history: &[EarlierCall], current: CallId) -> Option<PreviousCall> {
    let call = history
        .iter()
        .filter(|call| call.id != current)
        .max_by_key(|call| call.started_at)?;
    let log = call.log.as_ref();
    Some(PreviousCall {
        at: call.started_at,
        direction: match call.direction.as_deref() {
            Some("outbound") => CallDirection::Outbound,
            _ => CallDirection::Inbound,
        },
        outcome: call.outcome,
        dial_outcome: call.dial_outcome.as_deref().and_then(dial_outcome_named),
        disposition: log
            .and_then(|l| l.disposition.as_ref())
            .map(|d| d.label.clone()),
        sentiment: log
            .and_then(|l| l.sentiment.as_ref())
            .map(|s| s.label.clone()),
        note_line: log
            .and_then(|l| l.notes.lines().map(str::trim).find(|line| !line.is_empty()))
            .map(str::to_owned),
    })
}

/// The reason's first line, `day` being the call's date as the rep reads
/// it: "You called on 3 Nov, no answer", "You called on 3 Nov · Meeting
/// booked", "They called on 3 Nov · Voicemail".
pub fn headline(previous: &PreviousCall, day: &str) -> String {
    let mut line = match previous.direction {
        CallDirection::Outbound => format!("You called on {day}"),
        CallDirection::Inbound => format!("They called on {day}"),
    };
    if let Some(missed) = previous.dial_outcome.and_then(unanswered) {
        line.push_str(", ");
        line.push_str(missed);
        return line;
    }
    for label in [&previous.disposition, &previous.sentiment]
        .into_iter()
        .flatten()
    {
        line.push_str(" · ");
        line.push_str(label);
    }
    // Without a disposition, an inbound call's outcome says how it went.
    if let (None, Some(outcome)) = (&previous.disposition, previous.outcome) {
        line.push_str(" · ");
        line.push_str(outcome.describe());
    }
    line
}

/// A `DialOutcome` by its serde name.
fn dial_outcome_named(name: &str) -> Option<DialOutcome> {
    Some(match name {
        "connected" => DialOutcome::Connected,
        "no_answer" => DialOutcome::NoAnswer,
        "busy" => DialOutcome::Busy,
        "declined" => DialOutcome::Declined,
        "unreachable" => DialOutcome::Unreachable,
        "refused" => DialOutcome::Refused,
        "cancelled" => DialOutcome::Cancelled,
        _ => return None,
    })
}

/// How a call the rep placed went when the prospect never picked up.
fn unanswered(outcome: DialOutcome) -> Option<&'static str> {
    match outcome {
        DialOutcome::Connected => None,
        // The rep hung up while it rang: to the prospect, a missed call.
        DialOutcome::NoAnswer | DialOutcome::Cancelled => Some("no answer"),
        DialOutcome::Busy => Some("busy"),
        DialOutcome::Declined => Some("declined"),
        DialOutcome::Unreachable => Some("could not reach them"),
        DialOutcome::Refused => Some("the call did not go through"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::api::{CallLogView, CallPage, CallView};
    use protocol::{
        CallStatus, Choice, DispositionId, LegState, LogStatus, PersonId, PersonSnapshot,
    };

    fn ada() -> PersonSnapshot {
        PersonSnapshot {
            id: Some(PersonId(7)),
            name: Some("Ada Lovelace".into()),
            title: None,
            account: None,
            crm_url: None,
            number: "+14155550111".into(),
        }
    }

    /// A call as the server sends it.
    fn call(id: i64, started_at: i64, notes: &str) -> CallView {
        CallView {
            id: CallId(id),
            from: "+14155550111".into(),
            to: "+14155550100".into(),
            person: ada(),
            status: CallStatus::Ended,
            outcome: Some(CallOutcome::AnsweredInBrowser),
            browser_leg: LegState::Answered,
            phone_leg: LegState::NotRung,
            started_at,
            answered_at: Some(started_at + 1_000),
            ended_at: Some(started_at + 60_000),
            ring_deadline: started_at + 20_000,
            log: Some(CallLogView {
                notes: notes.into(),
                disposition: Some(Choice {
                    id: DispositionId(1),
                    label: "Meeting booked".into(),
                    retired: false,
                }),
                sentiment: None,
                status: LogStatus::Completed,
                logged_at: started_at + 70_000,
                automatic: false,
            }),
            recording: None,
            direction: protocol::api::CallDirection::Inbound,
            dial_outcome: None,
        }
    }

    /// The server's page, read the way the panel reads it.
    fn history(calls: Vec<CallView>) -> Vec<EarlierCall> {
        let page = CallPage {
            calls,
            next_before: None,
        };
        let json = serde_json::to_value(page).expect("serialises");
        serde_json::from_value::<History>(json)
            .expect("the panel reads the server's page")
            .calls
    }

    #[test]
    fn the_previous_call_is_the_latest_other_than_this_one() {
        let history = history(vec![
            call(3, 3_000, "current"),
            call(1, 1_000, "old"),
            call(2, 2_000, "\n  Wants pricing  \nmore"),
        ]);
        let previous = previous_call(&history, CallId(3)).expect("a previous call");
        assert_eq!(previous.at, 2_000);
        assert_eq!(previous.outcome, Some(CallOutcome::AnsweredInBrowser));
        assert_eq!(previous.note_line.as_deref(), Some("Wants pricing"));
        assert_eq!(previous.disposition.as_deref(), Some("Meeting booked"));
        assert_eq!(previous.sentiment, None);
        assert!(previous_call(&history[..1], CallId(3)).is_none());
    }

    /// An outbound call to Ada that went `outcome`, never logged.
    fn dialled(id: i64, started_at: i64, outcome: DialOutcome) -> CallView {
        let answered = outcome == DialOutcome::Connected;
        CallView {
            from: "+14155550100".into(),
            to: "+14155550111".into(),
            outcome: None,
            answered_at: answered.then_some(started_at + 5_000),
            log: None,
            direction: CallDirection::Outbound,
            dial_outcome: Some(outcome),
            ..call(id, started_at, "")
        }
    }

    fn headline_of(calls: Vec<CallView>, current: i64) -> String {
        let previous = previous_call(&history(calls), CallId(current)).expect("a previous call");
        headline(&previous, "3 Nov")
    }

    #[test]
    fn the_rep_s_own_unanswered_call_is_the_reason_they_call_back() {
        // The outbound call is later than the last callback: it is the one.
        let calls = vec![
            call(9, 9_000, "current"),
            dialled(5, 5_000, DialOutcome::NoAnswer),
            call(2, 2_000, "Wants pricing"),
        ];
        let previous = previous_call(&history(calls.clone()), CallId(9)).expect("previous");
        assert_eq!(previous.direction, CallDirection::Outbound);
        assert_eq!(previous.note_line, None);
        assert_eq!(headline_of(calls, 9), "You called on 3 Nov, no answer");
    }

    #[test]
    fn each_way_an_outbound_call_can_go_unanswered_reads_as_such() {
        for (outcome, expected) in [
            (DialOutcome::NoAnswer, "You called on 3 Nov, no answer"),
            (DialOutcome::Cancelled, "You called on 3 Nov, no answer"),
            (DialOutcome::Busy, "You called on 3 Nov, busy"),
            (DialOutcome::Declined, "You called on 3 Nov, declined"),
            (
                DialOutcome::Unreachable,
                "You called on 3 Nov, could not reach them",
            ),
            (
                DialOutcome::Refused,
                "You called on 3 Nov, the call did not go through",
            ),
        ] {
            let calls = vec![call(9, 9_000, ""), dialled(5, 5_000, outcome)];
            assert_eq!(headline_of(calls, 9), expected, "{outcome:?}");
        }
    }

    #[test]
    fn an_answered_outbound_call_reads_with_its_log() {
        let mut answered = dialled(5, 5_000, DialOutcome::Connected);
        answered.log = call(5, 5_000, "Call back after the board meeting").log;
        let calls = vec![call(9, 9_000, ""), answered];
        let previous = previous_call(&history(calls.clone()), CallId(9)).expect("previous");
        assert_eq!(
            previous.note_line.as_deref(),
            Some("Call back after the board meeting")
        );
        assert_eq!(
            headline_of(calls, 9),
            "You called on 3 Nov · Meeting booked"
        );
        // Not logged: the date alone (no inbound outcome to tell).
        let calls = vec![
            call(9, 9_000, ""),
            dialled(5, 5_000, DialOutcome::Connected),
        ];
        assert_eq!(headline_of(calls, 9), "You called on 3 Nov");
    }

    #[test]
    fn an_inbound_call_reads_as_theirs_with_its_log_or_outcome() {
        let calls = vec![call(9, 9_000, ""), call(5, 5_000, "")];
        assert_eq!(
            headline_of(calls, 9),
            "They called on 3 Nov · Meeting booked"
        );
        let mut missed = call(5, 5_000, "");
        missed.outcome = Some(CallOutcome::Voicemail);
        missed.log = None;
        let calls = vec![call(9, 9_000, ""), missed];
        assert_eq!(headline_of(calls, 9), "They called on 3 Nov · Voicemail");
    }

    #[test]
    fn every_dial_outcome_is_read_by_its_serde_name() {
        for outcome in [
            DialOutcome::Connected,
            DialOutcome::NoAnswer,
            DialOutcome::Busy,
            DialOutcome::Declined,
            DialOutcome::Unreachable,
            DialOutcome::Refused,
            DialOutcome::Cancelled,
        ] {
            let name = serde_json::to_value(outcome).expect("serialises");
            assert_eq!(
                dial_outcome_named(name.as_str().expect("a name")),
                Some(outcome)
            );
        }
        assert_eq!(dial_outcome_named("hung_up"), None);
    }

    #[test]
    fn a_page_from_an_older_server_reads_as_inbound() {
        let json = serde_json::json!({"calls": [{
            "id": 4, "started_at": 4_000, "outcome": "missed", "log": null,
        }]});
        let page: History = serde_json::from_value(json).expect("reads without direction");
        let previous = previous_call(&page.calls, CallId(9)).expect("previous");
        assert_eq!(previous.direction, CallDirection::Inbound);
        assert_eq!(
            headline(&previous, "1 Oct"),
            "They called on 1 Oct · Missed"
        );
    }
}
