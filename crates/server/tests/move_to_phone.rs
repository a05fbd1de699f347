//! "Move to my phone" (issue 15 item 3): a call answered in the browser goes
//! on to the rep's forwarding phone. sipp is the carrier's caller and the
//! phone over real UDP on 127.0.0.1; a str0m softphone is the browser.

mod common;

use common::sipp::{Sipp, free_udp_port};
use common::*;
use media::softphone::Voice;
use protocol::api::{TimelineEntry, TimelineKind};
use protocol::signal::{CallUpdate, ClientMessage, ServerMessage};
use protocol::{CallId, CallOutcome, DialerSettings, NoAnswerAction};
use std::time::Duration;
use tokio::sync::Mutex;

/// sipp paces its audio in real time: one call at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

fn u64_at(report: &serde_json::Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(report, |value, key| &value[*key])
        .as_u64()
        .unwrap_or(0)
}

fn move_to_phone(id: &str, call_id: CallId) -> ClientMessage {
    ClientMessage::MoveToPhone {
        id: id.into(),
        call_id,
    }
}

async fn with_forwarding_phone(t: &TestServer, token: &str, number: Option<&str>) {
    t.put_settings(
        token,
        &DialerSettings {
            forwarding_number: number.map(str::to_owned),
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_secs: 30,
            ..DialerSettings::default()
        },
    )
    .await;
}

async fn timeline_kinds(t: &TestServer, token: &str, call: CallId) -> Vec<TimelineKind> {
    let response = t
        .get(token, &format!("/api/v1/calls/{call}/timeline"))
        .await;
    assert_eq!(response.status(), 200);
    let entries: Vec<TimelineEntry> = response.json().await.expect("timeline");
    entries.into_iter().map(|e| e.kind).collect()
}

/// A SIP call rings the browser and the phone; the browser answers and the
/// phone's ring is cancelled. Returns the caller, the ring and the softphone.
async fn answered_in_browser(
    t: &TestServer,
    browser: &mut Signal,
    phone_port: u16,
    talk_ms: u64,
) -> (
    Sipp,
    protocol::signal::IncomingCall,
    media::softphone::Softphone,
) {
    let first_ring = Sipp::phone("phone-rings.xml", phone_port, 0);
    let caller = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        talk_ms,
    );
    let (incoming, softphone) = answer_in_browser(browser).await;
    first_ring
        .succeeds("the phone's first ring was cancelled")
        .await;
    (caller, incoming, softphone)
}

#[tokio::test]
async fn a_call_moved_to_the_phone_is_bridged_there_and_the_browser_lets_go() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let phone_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(phone_port)).await;
    let (token, mut browser) = t.alice_online().await;
    with_forwarding_phone(&t, &token, Some("+14155550199")).await;
    let (caller, incoming, softphone) =
        answered_in_browser(&t, &mut browser, phone_port, 10_000).await;
    let softphone = talk(softphone, Voice::Tone, Duration::from_millis(500)).await;
    assert!(
        softphone.packets_received() > 5,
        "the browser is on the call"
    );

    // The phone rings for a second, answers, and echoes what it hears.
    let phone = Sipp::phone("phone-answers.xml", phone_port, 1_000);
    browser.send(&move_to_phone("m1", incoming.call_id)).await;
    assert_eq!(
        browser.expect_ack_and_update("m1", incoming.call_id).await,
        CallUpdate::MovingToPhone
    );
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::MovedToPhone
    );
    // The caller's audio reaches the phone and comes back through the bridge.
    let report = t
        .media_report_until(&caller.carrier_call_id(), |report| {
            report["kind"] == "phone"
                && u64_at(report, &["phone", "packets_received"]) > 50
                && u64_at(report, &["trunk", "packets_sent"]) > 50
        })
        .await;
    assert!(u64_at(&report, &["phone", "packets_sent"]) > 50, "{report}");
    // The browser's audio was let go: nothing more reaches it (once what
    // the softphone's socket queued while it was not reading is read).
    let softphone = talk(softphone, Voice::Silence, Duration::from_millis(300)).await;
    let before = softphone.packets_received();
    let softphone = talk(softphone, Voice::Silence, Duration::from_millis(600)).await;
    assert!(
        softphone.packets_received() <= before + 2,
        "the browser leg was released ({before} then {})",
        softphone.packets_received()
    );

    // The caller hangs up: the phone gets a BYE, and the browser that moved
    // the call hears the end (its panel still logs it).
    caller.succeeds("the caller").await;
    phone.succeeds("the phone got a BYE").await;
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::Ended
    );
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::AnsweredInBrowser)
    );
    let kinds = timeline_kinds(&t, &token, incoming.call_id).await;
    let moving = kinds.iter().position(|k| *k == TimelineKind::MovingToPhone);
    let answered = kinds
        .iter()
        .position(|k| *k == TimelineKind::AnsweredOnPhone);
    assert!(
        moving.is_some() && answered > moving,
        "the move is on the timeline: {kinds:?}"
    );
}

#[tokio::test]
async fn a_move_the_phone_refuses_leaves_the_call_in_the_browser() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let phone_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(phone_port)).await;
    let (token, mut browser) = t.alice_online().await;
    with_forwarding_phone(&t, &token, Some("+14155550199")).await;
    let (caller, incoming, softphone) =
        answered_in_browser(&t, &mut browser, phone_port, 6_000).await;

    let busy = Sipp::phone("phone-busy.xml", phone_port, 0);
    browser.send(&move_to_phone("m1", incoming.call_id)).await;
    assert_eq!(
        browser.expect_ack_and_update("m1", incoming.call_id).await,
        CallUpdate::MovingToPhone
    );
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::MoveFailed
    );
    busy.succeeds("the phone answered busy").await;
    // The caller never noticed: the browser still hears them.
    let before = softphone.packets_received();
    let softphone = talk(softphone, Voice::Tone, Duration::from_secs(1)).await;
    assert!(
        softphone.packets_received() > before + 25,
        "the browser keeps the call"
    );
    caller.succeeds("the caller").await;
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::Ended
    );
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::AnsweredInBrowser)
    );
}

#[tokio::test]
async fn only_the_browser_on_the_call_moves_it_and_only_to_a_phone_that_is_set() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start().await;
    let (token, mut laptop) = t.alice_online().await;
    with_forwarding_phone(&t, &token, None).await;
    let mut desktop = t.connect_with_token(&token, "desktop").await;
    let call = t
        .ring(ADA_PHONE, &t.alice, "carrier-move-refused")
        .await
        .call_id;
    let incoming = laptop.expect_incoming().await;
    desktop.expect_incoming().await;

    // Still ringing: there is nothing to move.
    laptop.send(&move_to_phone("m0", incoming.call_id)).await;
    let refusal = |message: ServerMessage| match message {
        ServerMessage::Error { id, message, .. } => (id, message),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let (id, message) = refusal(laptop.recv().await);
    assert_eq!(id.as_deref(), Some("m0"));
    assert!(
        message.contains("not connected in this browser"),
        "{message}"
    );

    laptop.send(&accept("a1", incoming.call_id)).await;
    assert_eq!(
        laptop.expect_ack_and_update("a1", incoming.call_id).await,
        CallUpdate::Accepted
    );
    assert_eq!(
        desktop.expect_update(incoming.call_id).await,
        CallUpdate::AnsweredElsewhere
    );
    // Another browser of the rep's cannot move the laptop's call.
    desktop.send(&move_to_phone("m1", incoming.call_id)).await;
    let (_, message) = refusal(desktop.recv().await);
    assert!(
        message.contains("not connected in this browser"),
        "{message}"
    );
    // No forwarding phone: the rep is told what to do.
    laptop.send(&move_to_phone("m2", incoming.call_id)).await;
    let (_, message) = refusal(laptop.recv().await);
    assert!(
        message.contains("add one in the dialer settings"),
        "{message}"
    );

    // Another rep cannot touch it at all.
    let mut bob = t.connect(&t.bob, "bob-laptop").await;
    bob.send(&move_to_phone("m3", incoming.call_id)).await;
    let (_, message) = refusal(bob.recv().await);
    assert!(message.contains("no such"), "{message}");
    assert_eq!(call, incoming.call_id);
}

#[tokio::test]
async fn a_call_the_rep_placed_moves_to_the_phone_too() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let trunk_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(trunk_port)).await;
    let (token, mut laptop) = t.alice_online().await;
    with_forwarding_phone(&t, &token, Some("+14155550199")).await;
    // The trunk sends every call to one address: one sipp answers the
    // prospect's INVITE, then the forwarding phone's.
    let far_ends = Sipp::phones("phone-answers.xml", trunk_port, 500, 2);

    let (call, softphone) = t.dial_until_connected(&token, &mut laptop).await;
    let softphone = talk(softphone, Voice::Tone, Duration::from_millis(500)).await;
    assert!(
        softphone.packets_received() > 5,
        "the browser is on the call"
    );

    // Only the browser that dialled can move it.
    let mut desktop = t.connect(&t.alice, "desktop").await;
    desktop.send(&move_to_phone("m0", call)).await;
    match desktop.recv().await {
        ServerMessage::Error { message, .. } => {
            assert!(
                message.contains("not connected in this browser"),
                "{message}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    laptop.send(&move_to_phone("m1", call)).await;
    assert_eq!(
        laptop.expect_ack_and_update("m1", call).await,
        CallUpdate::MovingToPhone
    );
    assert_eq!(laptop.expect_update(call).await, CallUpdate::MovedToPhone);
    let report = t.call_media(call).await.expect("the call's media");
    assert_eq!(report["kind"], "phone", "{report}");
    assert!(
        report["phone"]["remote"]
            .as_str()
            .is_some_and(|r| r.starts_with("127.0.0.1:")),
        "{report}"
    );

    // Hung up: the prospect and the phone both get a BYE.
    assert_eq!(t.hang_up_dial(&token, call).await, 204);
    far_ends
        .succeeds("the prospect and the phone got their BYE")
        .await;
    let view = t.call(&token, call).await;
    assert_eq!(view.status, protocol::CallStatus::Ended);
    assert_eq!(
        view.dial_outcome,
        Some(protocol::api::DialOutcome::Connected)
    );
}
