//! How calls read to a rep, shared by the server's pages and the extension's
//! panel and notifications so both say the same thing.

use crate::api::DialOutcome;
use crate::model::{CallOutcome, PersonSnapshot};

impl PersonSnapshot {
    /// "VP Engineering · Compiler Co", leaving out what is missing; empty when
    /// neither is known.
    pub fn details(&self) -> String {
        [self.title.as_deref(), self.account.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

impl CallOutcome {
    /// "Answered on the phone", "Voicemail", ...
    pub fn describe(self) -> &'static str {
        match self {
            Self::AnsweredInBrowser => "Answered in the browser",
            Self::AnsweredOnPhone => "Answered on the phone",
            Self::Voicemail => "Voicemail",
            Self::Forwarded => "Forwarded, not answered",
            Self::Missed => "Missed",
        }
    }
}

impl DialOutcome {
    /// "No answer", "Busy", ... (an outbound call's outcome).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Connected => "Connected",
            Self::NoAnswer => "No answer",
            Self::Busy => "Busy",
            Self::Declined => "Declined",
            Self::Unreachable => "Unreachable",
            Self::Refused => "Refused by the carrier",
            Self::Cancelled => "Hung up while ringing",
        }
    }
}

/// A call's length as a phone shows it: `m:ss`, or `h:mm:ss` past an hour.
pub fn duration_text(millis: i64) -> String {
    let seconds = millis.max(0) / 1000;
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(title: Option<&str>, account: Option<&str>) -> PersonSnapshot {
        PersonSnapshot {
            id: None,
            name: Some("Ada".into()),
            title: title.map(Into::into),
            account: account.map(Into::into),
            crm_url: None,
            number: "+14155550111".into(),
        }
    }

    #[test]
    fn details_join_what_is_known() {
        assert_eq!(
            person(Some("CTO"), Some("Engines")).details(),
            "CTO · Engines"
        );
        assert_eq!(person(None, Some("Engines")).details(), "Engines");
        assert_eq!(person(Some("  "), None).details(), "");
    }

    #[test]
    fn durations_read_like_a_phone_timer() {
        assert_eq!(duration_text(0), "0:00");
        assert_eq!(duration_text(61_999), "1:01");
        assert_eq!(duration_text(3_723_000), "1:02:03");
        assert_eq!(duration_text(-5), "0:00");
    }
}
