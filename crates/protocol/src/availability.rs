//! Whether a rep takes calls right now: Available, Do not disturb in Chrome
//! (the phone still rings), or Do not disturb everywhere (calls go straight to
//! the no-answer action), each until a time or until turned off.
//!
//! Stored on the server, which routes by it; the extension shows it on its
//! badge and popup, the web settings page shows and changes it. Both sides
//! read it through [`Availability::effective`], so a do-not-disturb that has
//! run out is Available everywhere at the same moment, with nothing to clear.

use crate::model::UnixMillis;
use serde::{Deserialize, Serialize};

/// What the rep has chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityMode {
    /// Calls ring in Chrome and on the phone, as the dialer settings say.
    #[default]
    Available,
    /// Chrome does not ring; the forwarding phone still does.
    DndBrowser,
    /// Nothing rings: a call goes at once to the no-answer action (forward
    /// or voicemail).
    DndEverywhere,
}

impl AvailabilityMode {
    pub const ALL: [Self; 3] = [Self::Available, Self::DndBrowser, Self::DndEverywhere];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::DndBrowser => "dnd_browser",
            Self::DndEverywhere => "dnd_everywhere",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == s)
    }

    /// How the rep sees it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::DndBrowser => "Do not disturb in Chrome",
            Self::DndEverywhere => "Do not disturb everywhere",
        }
    }

    /// What it means for a call, in a sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Available => "Calls ring in Chrome and on your phone.",
            Self::DndBrowser => "Chrome does not ring; your forwarding phone still does.",
            Self::DndEverywhere => {
                "Nothing rings: calls go straight to your no-answer setting (forward or voicemail)."
            }
        }
    }
}

/// A rep's availability as stored: a mode, and when it ends (`None`: until
/// turned off). Available never ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Availability {
    pub mode: AvailabilityMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<UnixMillis>,
}

/// The longest a do-not-disturb can be set for ahead of time.
pub const MAX_DND_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// How long "for 1 hour" is.
pub const ONE_HOUR_MS: i64 = 60 * 60 * 1000;

/// The local hour "until tomorrow" ends at: the start of a working day, not
/// midnight, when a do-not-disturb everywhere ending would ring the phone.
pub const TOMORROW_HOUR: i64 = 8;

impl Availability {
    pub const AVAILABLE: Self = Self {
        mode: AvailabilityMode::Available,
        until: None,
    };

    /// What it is at `now`: a do-not-disturb whose time has come is Available.
    pub fn effective(self, now: UnixMillis) -> Self {
        match (self.mode, self.until) {
            (AvailabilityMode::Available, _) => Self::AVAILABLE,
            (_, Some(until)) if now >= until => Self::AVAILABLE,
            _ => self,
        }
    }

    /// Checks a requested availability at `now`: an end in the future and
    /// within [`MAX_DND_MS`]; Available drops any end. The error says what to fix.
    pub fn validated(self, now: UnixMillis) -> Result<Self, String> {
        match (self.mode, self.until) {
            (AvailabilityMode::Available, _) => Ok(Self::AVAILABLE),
            (_, None) => Ok(self),
            (_, Some(until)) if until <= now => {
                Err("until: the end of do not disturb must be in the future".into())
            }
            (_, Some(until)) if until - now > MAX_DND_MS => {
                Err("until: do not disturb can be set for at most 7 days; choose \"until turned off\" for longer".into())
            }
            _ => Ok(self),
        }
    }
}

/// A choice of how long a do-not-disturb lasts, as the popup and the web
/// settings page offer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DndLength {
    OneHour,
    /// Until [`TOMORROW_HOUR`] tomorrow, local time.
    UntilTomorrow,
    UntilTurnedOff,
}

impl DndLength {
    pub const ALL: [Self; 3] = [Self::OneHour, Self::UntilTomorrow, Self::UntilTurnedOff];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneHour => "one_hour",
            Self::UntilTomorrow => "until_tomorrow",
            Self::UntilTurnedOff => "until_turned_off",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|length| length.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OneHour => "For 1 hour",
            Self::UntilTomorrow => "Until tomorrow (8:00)",
            Self::UntilTurnedOff => "Until turned off",
        }
    }

    /// When a do-not-disturb chosen at `now` ends. `utc_offset_minutes` is
    /// the rep's local time minus UTC (e.g. +60 in Paris in winter, −300 in
    /// New York), for "until tomorrow".
    pub fn until(self, now: UnixMillis, utc_offset_minutes: i64) -> Option<UnixMillis> {
        const DAY_MS: i64 = 24 * ONE_HOUR_MS;
        match self {
            Self::OneHour => Some(now.saturating_add(ONE_HOUR_MS)),
            Self::UntilTomorrow => {
                let offset = utc_offset_minutes.clamp(-14 * 60, 14 * 60) * 60_000;
                let local_midnight = (now + offset).div_euclid(DAY_MS) * DAY_MS;
                Some(local_midnight + DAY_MS + TOMORROW_HOUR * ONE_HOUR_MS - offset)
            }
            Self::UntilTurnedOff => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = ONE_HOUR_MS;
    /// 2026-12-04 15:30 UTC.
    const NOW: UnixMillis = 1_796_398_200_000;

    fn dnd(mode: AvailabilityMode, until: Option<UnixMillis>) -> Availability {
        Availability { mode, until }
    }

    #[test]
    fn a_do_not_disturb_is_available_again_once_its_time_has_come() {
        let one_hour = dnd(AvailabilityMode::DndBrowser, Some(NOW + HOUR));
        assert_eq!(one_hour.effective(NOW), one_hour);
        assert_eq!(one_hour.effective(NOW + HOUR - 1), one_hour);
        assert_eq!(one_hour.effective(NOW + HOUR), Availability::AVAILABLE);
        let forever = dnd(AvailabilityMode::DndEverywhere, None);
        assert_eq!(forever.effective(NOW + 1000 * HOUR), forever);
        // Available never carries an end.
        assert_eq!(
            dnd(AvailabilityMode::Available, Some(NOW + HOUR)).effective(NOW),
            Availability::AVAILABLE
        );
    }

    #[test]
    fn validation_wants_an_end_in_the_future_and_within_a_week() {
        let past = dnd(AvailabilityMode::DndBrowser, Some(NOW));
        assert!(
            past.validated(NOW)
                .expect_err("refused")
                .starts_with("until:")
        );
        let too_far = dnd(AvailabilityMode::DndEverywhere, Some(NOW + MAX_DND_MS + 1));
        assert!(
            too_far
                .validated(NOW)
                .expect_err("refused")
                .contains("7 days")
        );
        let week = dnd(AvailabilityMode::DndEverywhere, Some(NOW + MAX_DND_MS));
        assert_eq!(week.validated(NOW), Ok(week));
        assert_eq!(
            dnd(AvailabilityMode::Available, Some(NOW - 5)).validated(NOW),
            Ok(Availability::AVAILABLE)
        );
    }

    #[test]
    fn until_tomorrow_is_eight_in_the_morning_local_time() {
        // 15:30 UTC is 16:30 in Paris (UTC+1): tomorrow 08:00 there is 07:00 UTC.
        let paris = DndLength::UntilTomorrow.until(NOW, 60).expect("an end");
        assert_eq!(paris, NOW - 15 * HOUR - HOUR / 2 + 24 * HOUR + 7 * HOUR);
        // 15:30 UTC is 10:30 in New York (UTC−5): tomorrow 08:00 is 13:00 UTC.
        let new_york = DndLength::UntilTomorrow.until(NOW, -300).expect("an end");
        assert_eq!(new_york, NOW - 15 * HOUR - HOUR / 2 + 24 * HOUR + 13 * HOUR);
        // 23:30 in Tokyo (UTC+9) is 14:30 UTC; tomorrow 08:00 is 8.5 hours away.
        let tokyo_now = NOW - HOUR;
        let tokyo = DndLength::UntilTomorrow
            .until(tokyo_now, 540)
            .expect("an end");
        assert_eq!(tokyo - tokyo_now, 8 * HOUR + HOUR / 2);
        assert_eq!(DndLength::OneHour.until(NOW, 0), Some(NOW + HOUR));
        assert_eq!(DndLength::UntilTurnedOff.until(NOW, 0), None);
        // Whatever the offset, the end validates.
        for offset in [-720, -300, 0, 60, 330, 840, 100_000] {
            let until = DndLength::UntilTomorrow.until(NOW, offset);
            assert!(
                dnd(AvailabilityMode::DndBrowser, until)
                    .validated(NOW)
                    .is_ok()
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for mode in AvailabilityMode::ALL {
            assert_eq!(AvailabilityMode::parse(mode.as_str()), Some(mode));
            let json = serde_json::to_value(mode).expect("serialises");
            assert_eq!(json, mode.as_str());
        }
        for length in DndLength::ALL {
            assert_eq!(DndLength::parse(length.as_str()), Some(length));
        }
        let json =
            serde_json::to_value(dnd(AvailabilityMode::DndBrowser, None)).expect("serialises");
        assert_eq!(json, serde_json::json!({"mode": "dnd_browser"}));
    }
}
