//! Why the prospect is calling back: their previous call, found in the
//! recent calls the worker relays. None of the dialers reps use today shows
//! this on a callback.

use protocol::api::CallView;
use protocol::{CallId, CallOutcome, UnixMillis};

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
pub fn previous_call(history: &[CallView], current: CallId) -> Option<PreviousCall> {
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
    use protocol::api::CallLogView;
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
        }
    }

    #[test]
    fn the_previous_call_is_the_latest_other_than_this_one() {
        let history = [
            call(3, 3_000, "current"),
            call(1, 1_000, "old"),
            call(2, 2_000, "\n  Wants pricing  \nmore"),
        ];
        let previous = previous_call(&history, CallId(3)).expect("a previous call");
        assert_eq!(previous.at, 2_000);
        assert_eq!(previous.note_line.as_deref(), Some("Wants pricing"));
        assert_eq!(previous.disposition.as_deref(), Some("Meeting booked"));
        assert_eq!(previous.sentiment, None);
        assert!(previous_call(&history[..1], CallId(3)).is_none());
    }
}
