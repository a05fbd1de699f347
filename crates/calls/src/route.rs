//! Rule 2: who rings when a call arrives.

use protocol::NoAnswerAction;

/// Everything routing needs to know about the called rep at ring time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingRequest {
    /// Inbound calling enabled in the rep's dialer settings.
    pub inbound_enabled: bool,
    /// A custom caller ID sends inbound calls to the phone only.
    pub custom_caller_id_set: bool,
    /// At least one of the rep's extensions is signed in and connected.
    pub browser_connected: bool,
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
/// set and an extension is connected; the phone rings whenever there is one.
pub fn route(request: &RingRequest) -> Route {
    Route {
        ring_browser: request.inbound_enabled
            && !request.custom_caller_id_set
            && request.browser_connected,
        ring_phone: request.forwarding_number.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eligible() -> RingRequest {
        RingRequest {
            inbound_enabled: true,
            custom_caller_id_set: false,
            browser_connected: true,
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_ms: 20_000,
            max_call_ms: crate::DEFAULT_MAX_CALL_MS,
        }
    }

    #[test]
    fn browser_and_phone_ring_together_when_everything_allows_it() {
        let r = route(&eligible());
        assert!(r.ring_browser);
        assert_eq!(r.ring_phone.as_deref(), Some("+14155550199"));
    }

    #[test]
    fn inbound_calling_off_means_phone_only() {
        let r = route(&RingRequest {
            inbound_enabled: false,
            ..eligible()
        });
        assert!(!r.ring_browser);
        assert!(r.ring_phone.is_some());
    }

    #[test]
    fn custom_caller_id_means_phone_only() {
        let r = route(&RingRequest {
            custom_caller_id_set: true,
            ..eligible()
        });
        assert!(!r.ring_browser);
        assert!(r.ring_phone.is_some());
    }

    #[test]
    fn rep_offline_means_phone_only() {
        let r = route(&RingRequest {
            browser_connected: false,
            ..eligible()
        });
        assert!(!r.ring_browser);
        assert!(r.ring_phone.is_some());
    }

    #[test]
    fn no_forwarding_number_means_browser_only() {
        let r = route(&RingRequest {
            forwarding_number: None,
            ..eligible()
        });
        assert!(r.ring_browser);
        assert_eq!(r.ring_phone, None);
    }
}
