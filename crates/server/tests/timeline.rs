//! A call's timeline (issue 13 item 8): what happened, stored as it happened,
//! returned by the API and shown on the Calls and Person pages.

mod common;

use common::*;
use protocol::api::{TimelineEntry, TimelineKind};
use protocol::signal::{CallUpdate, ClientMessage};
use protocol::{CallId, CallStatus, DialerSettings, NoAnswerAction};
use serde_json::json;

const FORWARDING: &str = "+14155550199";

async fn timeline(t: &TestServer, token: &str, call: CallId) -> Vec<TimelineEntry> {
    let response = t
        .get(token, &format!("/api/v1/calls/{call}/timeline"))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("timeline")
}

/// Waits until the call's timeline holds an entry of `kind` (it is stored
/// after the call's actions run, so no socket message marks it).
async fn timeline_with(
    t: &TestServer,
    token: &str,
    call: CallId,
    kind: TimelineKind,
) -> Vec<TimelineEntry> {
    eventually(&format!("a {kind:?} entry"), PATIENCE, || async {
        let entries = timeline(t, token, call).await;
        if entries.iter().any(|e| e.kind == kind) {
            Ok(entries)
        } else {
            Err(format!("{entries:?}"))
        }
    })
    .await
}

fn kinds(entries: &[TimelineEntry]) -> Vec<TimelineKind> {
    entries.iter().map(|e| e.kind).collect()
}

fn detail(entries: &[TimelineEntry], kind: TimelineKind) -> String {
    entries
        .iter()
        .find(|e| e.kind == kind)
        .and_then(|e| e.detail.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn close_then_no_answer_then_voicemail_is_told_in_order() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    t.put_settings(
        &token,
        &DialerSettings {
            forwarding_number: Some(FORWARDING.into()),
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_secs: DialerSettings::MIN_RING_TIMEOUT_SECS,
            ..DialerSettings::default()
        },
    )
    .await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    t.ring(ADA_PHONE, &t.alice, "carrier-timeline-vm").await;
    let call = browser.expect_incoming().await.call_id;
    browser.send(&close("c1", call)).await;
    assert_eq!(
        browser.expect_ack_and_update("c1", call).await,
        CallUpdate::RingingClosed
    );
    timeline_with(&t, &token, call, TimelineKind::Voicemail).await;
    assert_eq!(
        t.carrier_event("carrier-timeline-vm", "caller_hung_up")
            .await,
        204
    );
    let entries = timeline_with(&t, &token, call, TimelineKind::CallerHungUp).await;
    assert_eq!(
        kinds(&entries),
        [
            TimelineKind::Arrived,
            TimelineKind::RangBrowser,
            TimelineKind::RangPhone,
            TimelineKind::Closed,
            TimelineKind::NoAnswer,
            TimelineKind::PhoneStopped,
            TimelineKind::Voicemail,
            TimelineKind::Logged,
            TimelineKind::CallerHungUp,
        ],
        "{entries:#?}"
    );
    assert!(detail(&entries, TimelineKind::RangBrowser).contains("laptop"));
    assert_eq!(detail(&entries, TimelineKind::RangPhone), FORWARDING);
    assert!(detail(&entries, TimelineKind::Closed).contains("laptop"));
    assert!(detail(&entries, TimelineKind::NoAnswer).contains("5 s"));
    assert!(detail(&entries, TimelineKind::Logged).contains("voicemail"));
    assert!(
        entries.windows(2).all(|w| w[0].at <= w[1].at),
        "in time order"
    );

    // The Calls page (the voicemail is logged) and the Person page show it.
    for path in ["/calls".to_owned(), format!("/people/{}", t.ada)] {
        let html = t.page(&token, &path).await;
        let (_, section) = html
            .split_once(&format!(r#"id="timeline-{call}""#))
            .unwrap_or_else(|| panic!("{path} has the call's timeline: {html}"));
        let section = section.split("</details>").next().expect("details");
        let closed = section.find("Closed in Chrome").expect("Close shown");
        let voicemail = section.find("Went to voicemail").expect("voicemail shown");
        assert!(closed < voicemail, "{path}: in order");
    }
}

#[tokio::test]
async fn accept_and_hang_up_name_the_browser_and_the_log_is_noted() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut laptop = t.connect_with_token(&token, "laptop").await;
    let mut desk = t.connect_with_token(&token, "desk").await;
    t.ring(ADA_PHONE, &t.alice, "carrier-timeline-accept").await;
    let call = laptop.expect_incoming().await.call_id;
    desk.expect_incoming().await;
    desk.send(&accept("a1", call)).await;
    assert_eq!(
        desk.expect_ack_and_update("a1", call).await,
        CallUpdate::Accepted
    );
    desk.send(&ClientMessage::HangUp {
        id: "h1".into(),
        call_id: call,
    })
    .await;
    t.wait_for_call(&token, call, |v| v.status == CallStatus::Ended)
        .await;
    let log = json!({"idempotency_key": "timeline-1", "notes": "Spoke"});
    let response = t.post_log(&token, call, &log).await;
    assert_eq!(response.status(), 201);
    // A replayed log is not a second entry.
    let response = t.post_log(&token, call, &log).await;
    assert_eq!(response.status(), 200);

    let entries = timeline_with(&t, &token, call, TimelineKind::Logged).await;
    assert_eq!(
        kinds(&entries),
        [
            TimelineKind::Arrived,
            TimelineKind::RangBrowser,
            TimelineKind::Accepted,
            TimelineKind::RepHungUp,
            TimelineKind::Logged,
        ],
        "{entries:#?}"
    );
    let rang = detail(&entries, TimelineKind::RangBrowser);
    assert!(
        rang.starts_with("2 browsers") && rang.contains("laptop") && rang.contains("desk"),
        "{rang}"
    );
    assert!(detail(&entries, TimelineKind::Arrived).contains("no forwarding phone"));
    assert_eq!(
        detail(&entries, TimelineKind::Accepted),
        "in the browser desk"
    );
    assert_eq!(
        detail(&entries, TimelineKind::RepHungUp),
        "in the browser desk"
    );
    assert_eq!(detail(&entries, TimelineKind::Logged), "by the rep");

    let html = t.page(&token, "/calls").await;
    assert!(html.contains(&format!(r#"id="timeline-{call}""#)));
    assert!(html.contains(r#"data-kind="accepted""#));
}

#[tokio::test]
async fn a_call_that_rings_nowhere_says_why() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    // No browser connected, no forwarding phone: straight to voicemail.
    let call = t
        .ring(ADA_PHONE, &t.alice, "carrier-timeline-nowhere")
        .await
        .call_id;
    let entries = timeline_with(&t, &token, call, TimelineKind::Voicemail).await;
    assert_eq!(kinds(&entries)[0], TimelineKind::Arrived);
    let why = detail(&entries, TimelineKind::Arrived);
    assert!(
        why.contains("no browser is signed in and connected"),
        "{why}"
    );
    assert!(!kinds(&entries).contains(&TimelineKind::RangBrowser));
}
