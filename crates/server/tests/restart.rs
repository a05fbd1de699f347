//! What a restart does to calls in flight.

mod common;

use common::*;
use protocol::{CallOutcome, CallStatus, LegState};

#[tokio::test]
async fn a_call_left_ringing_by_a_restart_is_ended_as_missed() {
    let mut t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let call = t.ring(ADA_PHONE, &t.alice, "carrier-restart").await.call_id;
    browser.expect_incoming().await;
    assert_eq!(t.call(&token, call).await.status, CallStatus::Ringing);

    t.restart().await;

    // Sessions survive a restart; the ringing call does not.
    let view = t.call(&token, call).await;
    assert_eq!(view.status, CallStatus::Ended);
    assert_eq!(view.outcome, Some(CallOutcome::Missed));
    assert_eq!(view.browser_leg, LegState::Stopped);
    assert!(view.ended_at.is_some());
    // A reconnecting extension is not rung for it.
    let mut again = t.connect_with_token(&token, "laptop").await;
    again
        .expect_silence(std::time::Duration::from_millis(300))
        .await;
    // And the carrier's late news about it is handled calmly.
    assert_eq!(
        t.carrier_event("carrier-restart", "caller_hung_up").await,
        204
    );
    assert_eq!(
        t.carrier_event("carrier-restart", "phone_answered").await,
        409
    );
}
