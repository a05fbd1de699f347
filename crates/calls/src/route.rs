//! Rule 2: who rings when a call arrives.

use protocol::{Availability, AvailabilityMode, NoAnswerAction, UnixMillis};

/// How long after a rep's last browser went a call still rings in it: a
/// worker Chrome stopped, or a network blip, is back within seconds, and the
/// server re-sends what still rings when it says Hello again.
pub const PRESENCE_GRACE_MS: i64 = 10_000;

/// Where the rep's browsers stand when a call arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserPresence {
    /// At least one of the rep's extensions is signed in and connected.
    Connected,
    /// The last connected one went at this time (not by signing out).
    LeftAt(UnixMillis),
    /// None has been connected lately, or the rep signed out.
    Away,
}

impl BrowserPresence {
    /// Whether a call arriving `now` rings the browser: connected, or gone
    /// for at most [`PRESENCE_GRACE_MS`].
    pub fn reachable(self, now: UnixMillis) -> bool {
        match self {
            Self::Connected => true,
            Self::LeftAt(at) => now.saturating_sub(at) <= PRESENCE_GRACE_MS,
            Self::Away => false,
        }
    }
}

/// Everything routing needs to know about the called rep at ring time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingRequest {
    /// Inbound calling enabled in the rep's dialer settings.
    pub inbound_enabled: bool,
    /// A custom caller ID sends inbound calls to the phone only.
    pub custom_caller_id_set: bool,
    /// Whether the rep's browsers are connected, or were a moment ago.
    pub browser: BrowserPresence,
    /// Available or do not disturb, as stored; [`route`] reads it at `now`,
    /// so one that has run out is Available.
    pub availability: Availability,
    /// The rep's forwarding phone, rung alongside the browser.
    pub forwarding_number: Option<String>,
    pub no_answer_action: NoAnswerAction,
    pub ring_timeout_ms: i64,
    /// A connected call ends after this long even if no hang-up ever comes
    /// (a lost BYE, a browser that vanished): [`crate::DEFAULT_MAX_CALL_MS`].
    pub max_call_ms: i64,
}

/// The legs that ring for a new call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub ring_browser: bool,
    pub ring_phone: Option<String>,
}

/// The browser rings only when inbound calling is on, no custom caller ID is
/// set, the rep is not on do not disturb, and an extension is connected (or
/// was, within the grace); the phone rings whenever there is one, unless the
/// rep is on do not disturb everywhere. A call that rings nowhere goes
/// straight to the no-answer action ([`crate::Call::ring`]).
pub fn route(request: &RingRequest, now: UnixMillis) -> Route {
    let mode = request.availability.effective(now).mode;
    Route {
        ring_browser: mode == AvailabilityMode::Available
            && request.inbound_enabled
            && !request.custom_caller_id_set
            && request.browser.reachable(now),
        ring_phone: request
            .forwarding_number
            .clone()
            .filter(|_| mode != AvailabilityMode::DndEverywhere),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixMillis = 1_000_000;

    fn eligible() -> RingRequest {
        RingRequest {
            inbound_enabled: true,
            custom_caller_id_set: false,
            browser: BrowserPresence::Connected,
            availability: Availability::AVAILABLE,
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_ms: 20_000,
            max_call_ms: crate::DEFAULT_MAX_CALL_MS,
        }
    }

    #[test]
    fn browser_and_phone_ring_together_when_everything_allows_it() {
        let r = route(&eligible(), NOW);
        assert!(r.ring_browser);
        assert_eq!(r.ring_phone.as_deref(), Some("+14155550199"));
    }

    #[test]
    fn inbound_calling_off_means_phone_only() {
        let r = route(
            &RingRequest {
                inbound_enabled: false,
                ..eligible()
            },
            NOW,
        );
        assert!(!r.ring_browser);
        assert!(r.ring_phone.is_some());
    }

    #[test]
    fn custom_caller_id_means_phone_only() {
        let r = route(
            &RingRequest {
                custom_caller_id_set: true,
                ..eligible()
            },
            NOW,
        );
        assert!(!r.ring_browser);
        assert!(r.ring_phone.is_some());
    }

    #[test]
    fn rep_offline_means_phone_only() {
        let r = route(
            &RingRequest {
                browser: BrowserPresence::Away,
                ..eligible()
            },
            NOW,
        );
        assert!(!r.ring_browser);
        assert!(r.ring_phone.is_some());
    }

    #[test]
    fn no_forwarding_number_means_browser_only() {
        let r = route(
            &RingRequest {
                forwarding_number: None,
                ..eligible()
            },
            NOW,
        );
        assert!(r.ring_browser);
        assert_eq!(r.ring_phone, None);
    }

    #[test]
    fn a_browser_gone_for_a_moment_still_rings_and_one_gone_longer_does_not() {
        let left = |ago: i64| RingRequest {
            browser: BrowserPresence::LeftAt(NOW - ago),
            ..eligible()
        };
        assert!(route(&left(0), NOW).ring_browser);
        assert!(route(&left(PRESENCE_GRACE_MS), NOW).ring_browser);
        assert!(!route(&left(PRESENCE_GRACE_MS + 1), NOW).ring_browser);
        // The phone rings alongside, as always.
        assert!(route(&left(3_000), NOW).ring_phone.is_some());
        // A clock that went backwards is not "gone for long".
        assert!(route(&left(-5_000), NOW).ring_browser);
    }

    #[test]
    fn the_grace_does_not_override_the_settings() {
        let request = RingRequest {
            browser: BrowserPresence::LeftAt(NOW - 1_000),
            inbound_enabled: false,
            ..eligible()
        };
        assert!(!route(&request, NOW).ring_browser);
        let request = RingRequest {
            browser: BrowserPresence::LeftAt(NOW - 1_000),
            custom_caller_id_set: true,
            ..eligible()
        };
        assert!(!route(&request, NOW).ring_browser);
    }

    fn on(mode: AvailabilityMode, until: Option<UnixMillis>) -> RingRequest {
        RingRequest {
            availability: Availability { mode, until },
            ..eligible()
        }
    }

    #[test]
    fn do_not_disturb_in_chrome_rings_the_phone_only() {
        let r = route(&on(AvailabilityMode::DndBrowser, None), NOW);
        assert!(!r.ring_browser);
        assert_eq!(r.ring_phone.as_deref(), Some("+14155550199"));
    }

    #[test]
    fn do_not_disturb_everywhere_rings_nothing() {
        let r = route(&on(AvailabilityMode::DndEverywhere, Some(NOW + 1)), NOW);
        assert!(!r.ring_browser);
        assert_eq!(r.ring_phone, None);
    }

    #[test]
    fn a_do_not_disturb_that_ran_out_routes_as_available() {
        for mode in [
            AvailabilityMode::DndBrowser,
            AvailabilityMode::DndEverywhere,
        ] {
            let r = route(&on(mode, Some(NOW)), NOW);
            assert!(r.ring_browser, "{mode:?}");
            assert!(r.ring_phone.is_some(), "{mode:?}");
        }
    }

    #[test]
    fn do_not_disturb_in_chrome_also_holds_within_the_presence_grace() {
        let request = RingRequest {
            browser: BrowserPresence::LeftAt(NOW - 1_000),
            ..on(AvailabilityMode::DndBrowser, None)
        };
        assert!(!route(&request, NOW).ring_browser);
    }
}
