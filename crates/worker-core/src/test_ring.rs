//! "Test ring": what the rep is told after the server rang this browser with
//! a test call.
//!
//! The worker times each step of the ring path as it happens (its own clock,
//! from the moment the rep pressed the button) and stops at the first one
//! that fails; [`TestRingReport::new`] turns that into what the options page
//! and the popup show: each step's time, and either "You will hear calls in
//! this browser" or the step that failed and what to do about it.

use protocol::{Availability, AvailabilityMode, UnixMillis};
use serde::{Deserialize, Serialize};

/// The notification a test ring shows (one at a time).
pub const TEST_NOTIFICATION: &str = "test-ring";

/// How long a test rings before it stops by itself.
pub const TEST_RING_MS: u32 = 6_000;

/// How long the worker waits for the server's answer.
pub const SERVER_WAIT_MS: i32 = 5_000;

/// The ring path, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStep {
    /// The server sent the test call (by the server's clock).
    ServerSent,
    /// This worker read it off the socket.
    WorkerReceived,
    /// Chrome shows the notification.
    NotificationShown,
    /// The offscreen document plays the ringtone.
    RingtonePlaying,
}

impl TestStep {
    pub const ALL: [Self; 4] = [
        Self::ServerSent,
        Self::WorkerReceived,
        Self::NotificationShown,
        Self::RingtonePlaying,
    ];

    /// The serialised name, for `data-` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServerSent => "server_sent",
            Self::WorkerReceived => "worker_received",
            Self::NotificationShown => "notification_shown",
            Self::RingtonePlaying => "ringtone_playing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ServerSent => "Server sent the call",
            Self::WorkerReceived => "Extension received it",
            Self::NotificationShown => "Notification shown",
            Self::RingtonePlaying => "Ringtone playing",
        }
    }
}

/// One step that happened, `after_ms` after the rep pressed Test ring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTime {
    pub step: TestStep,
    pub after_ms: i64,
}

/// The step that failed and what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFailure {
    pub step: TestStep,
    pub message: String,
}

/// What the pages show after a test ring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRingReport {
    /// The steps that happened, in order.
    pub steps: Vec<StepTime>,
    pub failure: Option<StepFailure>,
    /// The one line the rep reads first.
    pub verdict: String,
    /// Said even when the test passed: a do-not-disturb keeps real calls
    /// from ringing here however well the test went.
    pub note: Option<String>,
}

impl TestRingReport {
    /// From the moment the rep pressed Test ring (`asked_at`), the times the
    /// steps happened (in order, the worker's clock except for
    /// [`TestStep::ServerSent`], the server's), the failure if one stopped
    /// it, and the availability at `now`.
    ///
    /// A server clock that disagrees with this browser's can put
    /// "server sent" before the press or after the receipt: it is clamped
    /// between them, so the times always read in order.
    pub fn new(
        asked_at: UnixMillis,
        happened: &[(TestStep, UnixMillis)],
        failure: Option<StepFailure>,
        availability: Availability,
        now: UnixMillis,
    ) -> Self {
        let received = happened
            .iter()
            .find(|(step, _)| *step == TestStep::WorkerReceived)
            .map(|(_, at)| *at);
        let mut last = 0;
        let steps = happened
            .iter()
            .map(|&(step, at)| {
                let mut after = at.saturating_sub(asked_at).max(last);
                if step == TestStep::ServerSent
                    && let Some(received) = received
                {
                    after = after.min(received.saturating_sub(asked_at).max(last));
                }
                last = after;
                StepTime {
                    step,
                    after_ms: after,
                }
            })
            .collect();
        let verdict = match &failure {
            None => "You will hear calls in this browser.".to_owned(),
            Some(failure) => format!(
                "Calls will not ring in this browser: the step \"{}\" failed.",
                failure.step.label()
            ),
        };
        let availability = availability.effective(now);
        let note = match availability.mode {
            AvailabilityMode::Available => None,
            mode => Some(format!(
                "You are on \"{}\"{}: real calls will not ring here until you are available.",
                mode.label(),
                if availability.until.is_some() {
                    " for now"
                } else {
                    ""
                }
            )),
        };
        Self {
            steps,
            failure,
            verdict,
            note,
        }
    }

    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMillis = 1_000_000;

    fn all_steps() -> Vec<(TestStep, UnixMillis)> {
        vec![
            (TestStep::ServerSent, T0 + 4),
            (TestStep::WorkerReceived, T0 + 6),
            (TestStep::NotificationShown, T0 + 20),
            (TestStep::RingtonePlaying, T0 + 31),
        ]
    }

    #[test]
    fn a_test_that_went_through_says_calls_will_be_heard_with_each_time() {
        let report = TestRingReport::new(T0, &all_steps(), None, Availability::AVAILABLE, T0);
        assert!(report.passed());
        assert_eq!(report.verdict, "You will hear calls in this browser.");
        let times: Vec<_> = report.steps.iter().map(|s| (s.step, s.after_ms)).collect();
        assert_eq!(
            times,
            vec![
                (TestStep::ServerSent, 4),
                (TestStep::WorkerReceived, 6),
                (TestStep::NotificationShown, 20),
                (TestStep::RingtonePlaying, 31),
            ]
        );
        assert_eq!(report.note, None);
    }

    #[test]
    fn a_failed_step_is_named_with_what_to_do() {
        let failure = StepFailure {
            step: TestStep::NotificationShown,
            message: "Chrome is not allowed to show Ringback's notifications.".into(),
        };
        let report = TestRingReport::new(
            T0,
            &all_steps()[..2],
            Some(failure.clone()),
            Availability::AVAILABLE,
            T0,
        );
        assert!(!report.passed());
        assert_eq!(report.steps.len(), 2);
        assert_eq!(report.failure, Some(failure));
        assert_eq!(
            report.verdict,
            "Calls will not ring in this browser: the step \"Notification shown\" failed."
        );
    }

    #[test]
    fn a_server_clock_out_of_step_still_reads_in_order() {
        // The server's clock is 50 ms ahead: its "sent" would come after the receipt.
        let mut steps = all_steps();
        steps[0].1 = T0 + 56;
        let report = TestRingReport::new(T0, &steps, None, Availability::AVAILABLE, T0);
        assert_eq!(report.steps[0].after_ms, 6);
        // And 50 ms behind: before the press.
        steps[0].1 = T0 - 46;
        let report = TestRingReport::new(T0, &steps, None, Availability::AVAILABLE, T0);
        assert_eq!(report.steps[0].after_ms, 0);
        let times: Vec<_> = report.steps.iter().map(|s| s.after_ms).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }

    #[test]
    fn do_not_disturb_is_noted_even_when_the_test_passed() {
        let dnd = Availability {
            mode: AvailabilityMode::DndBrowser,
            until: Some(T0 + 60_000),
        };
        let report = TestRingReport::new(T0, &all_steps(), None, dnd, T0);
        assert!(report.passed());
        let note = report.note.expect("a note");
        assert!(note.contains("\"Do not disturb in Chrome\""), "{note}");
        // Once it has run out, nothing to say.
        let report = TestRingReport::new(T0, &all_steps(), None, dnd, T0 + 60_000);
        assert_eq!(report.note, None);
    }
}
