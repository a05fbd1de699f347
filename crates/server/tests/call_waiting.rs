//! Call waiting (issue 15 item 2): a callback rings while the rep is on a
//! call; the browser holds the call (SIP re-INVITE `sendonly`, no audio
//! either way), takes the callback, and resumes the first call afterwards.
//! sipp plays the prospects over real UDP on 127.0.0.1 and checks the
//! re-INVITEs' directions; str0m softphones are the browser's legs.

mod common;

use common::sipp::{Sipp, free_udp_port};
use common::*;
use media::softphone::{Softphone, Voice};
use protocol::api::CallPage;
use protocol::signal::{CallUpdate, ClientMessage, ServerMessage};
use protocol::{CallId, CallOutcome};
use serde_json::json;
use std::time::Duration;
use tokio::sync::Mutex;

/// sipp paces its audio in real time: one call at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Not a Person of Alice's.
const CALLER: &str = "+14155550177";

fn hold(id: &str, call_id: CallId) -> ClientMessage {
    ClientMessage::Hold {
        id: id.into(),
        call_id,
        held: true,
    }
}

fn resume(id: &str, call_id: CallId) -> ClientMessage {
    ClientMessage::Hold {
        id: id.into(),
        call_id,
        held: false,
    }
}

/// Packets the softphone receives in `for_`, once what queued while it was
/// not reading is read.
async fn heard_in(phone: Softphone, for_: Duration) -> (Softphone, u64) {
    let phone = talk(phone, Voice::Tone, Duration::from_millis(300)).await;
    let before = phone.packets_received();
    let phone = talk(phone, Voice::Tone, for_).await;
    let heard = phone.packets_received() - before;
    (phone, heard)
}

#[tokio::test]
async fn a_callback_during_a_dialled_call_holds_it_switches_and_resumes_and_both_are_logged() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let trunk_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(trunk_port)).await;
    let (token, mut laptop) = t.alice_online().await;
    // Ada answers, checks the hold and the resume re-INVITEs, echoes audio.
    let ada = Sipp::phone("prospect-answers-is-held.xml", trunk_port, 500);
    let (dial, dial_phone) = t.dial_until_connected(&token, &mut laptop).await;
    let (dial_phone, heard) = heard_in(dial_phone, Duration::from_millis(600)).await;
    assert!(heard > 20, "Ada's echo reaches the browser ({heard})");

    // A callback rings while Alice is on the call with Ada.
    let caller = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        CALLER,
        3_000,
    );
    let incoming = laptop.expect_incoming().await;

    // Accept: the browser holds Ada first (the worker's core does this).
    laptop.send(&hold("h1", dial)).await;
    assert_eq!(
        laptop.expect_ack_and_update("h1", dial).await,
        CallUpdate::OnHold
    );
    let (dial_phone, heard) = heard_in(dial_phone, Duration::from_millis(600)).await;
    assert!(heard <= 2, "nothing flows while Ada is held ({heard})");

    let offer = incoming.offer.clone().expect("an offer");
    let (callback_phone, answer) = Softphone::answer(&offer).expect("an answer");
    laptop
        .send(&accept_with_answer("a1", incoming.call_id, &answer))
        .await;
    assert_eq!(
        laptop.expect_ack_and_update("a1", incoming.call_id).await,
        CallUpdate::Accepted
    );
    let (callback_phone, heard) = heard_in(callback_phone, Duration::from_secs(1)).await;
    assert!(heard > 25, "the callback's caller is heard ({heard})");
    drop(callback_phone);
    // The caller hangs up; Ada stays on hold until Alice resumes her.
    caller.succeeds("the caller").await;
    assert_eq!(
        laptop.expect_update(incoming.call_id).await,
        CallUpdate::Ended
    );

    laptop.send(&resume("r1", dial)).await;
    assert_eq!(
        laptop.expect_ack_and_update("r1", dial).await,
        CallUpdate::Resumed
    );
    let (dial_phone, heard) = heard_in(dial_phone, Duration::from_millis(600)).await;
    assert!(heard > 20, "Ada is heard again ({heard})");
    drop(dial_phone);
    assert_eq!(t.hang_up_dial(&token, dial).await, 204);
    ada.succeeds("Ada took both re-INVITEs, then the BYE").await;

    // Both calls are logged, each once.
    for (call, notes) in [(dial, "Ada: demo booked"), (incoming.call_id, "Callback")] {
        let logged = t
            .post_log(
                &token,
                call,
                &json!({"idempotency_key": format!("log-{call}"), "notes": notes}),
            )
            .await;
        assert!(matches!(logged.status().as_u16(), 200 | 201));
    }
    let page: CallPage = t
        .get(&token, "/api/v1/calls")
        .await
        .json()
        .await
        .expect("calls");
    for call in [dial, incoming.call_id] {
        let listed: Vec<_> = page.calls.iter().filter(|c| c.id == call).collect();
        assert_eq!(listed.len(), 1, "call {call} listed once");
        assert!(listed[0].log.is_some(), "call {call} logged");
    }
}

#[tokio::test]
async fn a_held_caller_gets_a_sendonly_re_invite_and_a_resumed_one_gets_sendrecv() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (token, mut laptop) = t.alice_online().await;
    let caller = Sipp::call(
        "prospect-is-held.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        CALLER,
        2_000,
    );
    let (incoming, phone) = answer_in_browser(&mut laptop).await;
    let call = incoming.call_id;
    let (phone, heard) = heard_in(phone, Duration::from_millis(600)).await;
    assert!(heard > 20, "the caller is heard ({heard})");

    laptop.send(&hold("h1", call)).await;
    assert_eq!(
        laptop.expect_ack_and_update("h1", call).await,
        CallUpdate::OnHold
    );
    let (phone, heard) = heard_in(phone, Duration::from_millis(600)).await;
    assert!(
        heard <= 2,
        "nothing reaches the browser while held ({heard})"
    );
    // Another browser of Alice's cannot resume it.
    let mut desktop = t.connect(&t.alice, "desktop").await;
    desktop.send(&resume("r0", call)).await;
    match desktop.recv().await {
        ServerMessage::Error { message, .. } => {
            assert!(
                message.contains("not connected in this browser"),
                "{message}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    laptop.send(&resume("r1", call)).await;
    assert_eq!(
        laptop.expect_ack_and_update("r1", call).await,
        CallUpdate::Resumed
    );
    let (phone, heard) = heard_in(phone, Duration::from_millis(600)).await;
    assert!(heard > 20, "the caller is heard again ({heard})");
    drop(phone);
    caller
        .succeeds("the caller took both re-INVITEs, then hung up")
        .await;
    assert_eq!(laptop.expect_update(call).await, CallUpdate::Ended);
    assert_eq!(
        t.outcome_once_ended(&token, call).await,
        Some(CallOutcome::AnsweredInBrowser)
    );
}
