//! Why the prospect is calling back: their previous call, found in the
//! recent calls the worker relays. None of the dialers reps use today shows
//! this on a callback.
//!
//! The relayed page is a `protocol::api::CallPage`; the panel reads only the
//! fields it shows ([`History`]): reading every field of a call costs the
//! panel's wasm kilobytes it does not have (serde skips the rest).

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
    pub outcome: Option<CallOutcome>,
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
        outcome: call.outcome,
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
}
