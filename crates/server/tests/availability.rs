//! Availability over real HTTP and WebSocket: stored, validated, pushed to
//! the rep's browsers, obeyed by routing, and shown and changed on the
//! settings page; and the test ring, which only answers the socket that asked.

mod common;

use common::pages::{csrf_in, no_redirects, session_cookie};
use common::*;
use protocol::api::ErrorBody;
use protocol::availability::{MAX_DND_MS, ONE_HOUR_MS};
use protocol::signal::{ClientMessage, ServerMessage, SignalErrorCode};
use protocol::{
    Availability, AvailabilityMode, CallOutcome, DialerSettings, DndLength, NoAnswerAction,
    UnixMillis,
};
use reqwest::Method;
use ringback_server::clock::Clock;
use serde_json::{Value, json};
use std::time::Duration;

const FORWARDING: &str = "+14155550199";

fn dnd(mode: AvailabilityMode, until: Option<UnixMillis>) -> Availability {
    Availability { mode, until }
}

async fn get_availability(t: &TestServer, token: &str) -> Value {
    let response = t.get(token, "/api/v1/availability").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("availability body")
}

async fn put_availability(t: &TestServer, token: &str, body: &Value) -> reqwest::Response {
    t.send_json(Method::PUT, token, "/api/v1/availability", body)
        .await
}

/// Sets an availability through the API, which must take it.
async fn set(t: &TestServer, token: &str, availability: Availability) {
    let body = serde_json::to_value(availability).expect("json");
    let response = put_availability(t, token, &body).await;
    assert_eq!(response.status(), 200, "availability saved");
    let saved: Availability = response.json().await.expect("saved body");
    assert_eq!(saved, availability);
}

/// Alice signed in, with a forwarding phone and this no-answer action.
async fn alice_with_phone(t: &TestServer, action: NoAnswerAction) -> String {
    let token = t.sign_in(&t.alice).await;
    let settings = DialerSettings {
        forwarding_number: Some(FORWARDING.into()),
        no_answer_action: action,
        ..DialerSettings::default()
    };
    t.put_settings(&token, &settings).await;
    token
}

async fn expect_availability(signal: &mut Signal) -> Availability {
    match signal.recv().await {
        ServerMessage::Availability { availability } => availability,
        other => panic!("expected the availability, got {other:?}"),
    }
}

#[tokio::test]
async fn availability_is_stored_validated_and_pushed_to_every_browser() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    assert_eq!(
        get_availability(&t, &token).await,
        json!({"mode": "available"})
    );

    // Right after Welcome, before anything else, a socket is told.
    let mut laptop = t.open_and_hello(&token, "laptop").await;
    assert!(matches!(laptop.recv().await, ServerMessage::Welcome { .. }));
    assert_eq!(
        expect_availability(&mut laptop).await,
        Availability::AVAILABLE
    );
    let mut desktop = t.connect_with_token(&token, "desktop").await;

    let until = t.clock.now() + ONE_HOUR_MS;
    let response =
        put_availability(&t, &token, &json!({"mode": "dnd_browser", "until": until})).await;
    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.expect("body");
    assert_eq!(saved, json!({"mode": "dnd_browser", "until": until}));
    let wanted = dnd(AvailabilityMode::DndBrowser, Some(until));
    assert_eq!(expect_availability(&mut laptop).await, wanted);
    assert_eq!(expect_availability(&mut desktop).await, wanted);
    assert_eq!(get_availability(&t, &token).await, saved);

    // A browser connecting later is told what it is now.
    let mut phone_browser = t.open_and_hello(&token, "tablet").await;
    assert!(matches!(
        phone_browser.recv().await,
        ServerMessage::Welcome { .. }
    ));
    assert_eq!(expect_availability(&mut phone_browser).await, wanted);

    // Refused, naming the field, and nothing changes or is pushed.
    let now = t.clock.now();
    for (body, says) in [
        (
            json!({"mode": "dnd_everywhere", "until": now - 1000}),
            "until:",
        ),
        (
            json!({"mode": "dnd_browser", "until": now + MAX_DND_MS + 60_000}),
            "7 days",
        ),
        (json!({"mode": "dnd_somewhere"}), "mode"),
        (json!({"until": now + 1000}), "mode"),
    ] {
        let response = put_availability(&t, &token, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: ErrorBody = response.json().await.expect("error body");
        assert_eq!(error.error.code, "validation_failed");
        assert!(error.error.message.contains(says), "{body}: {error:?}");
    }
    assert_eq!(get_availability(&t, &token).await, saved);
    laptop.expect_silence(Duration::from_millis(200)).await;

    // Until turned off has no end; Available drops any end it is sent.
    set(&t, &token, dnd(AvailabilityMode::DndEverywhere, None)).await;
    assert_eq!(
        get_availability(&t, &token).await,
        json!({"mode": "dnd_everywhere"})
    );
    let response = put_availability(
        &t,
        &token,
        &json!({"mode": "available", "until": now + 1000}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("body"),
        json!({"mode": "available"})
    );
    for signal in [&mut laptop, &mut desktop, &mut phone_browser] {
        assert_eq!(
            expect_availability(signal).await,
            dnd(AvailabilityMode::DndEverywhere, None)
        );
        assert_eq!(expect_availability(signal).await, Availability::AVAILABLE);
    }

    // Another rep is neither told nor changed.
    let bob = t.sign_in(&t.bob).await;
    assert_eq!(
        get_availability(&t, &bob).await,
        json!({"mode": "available"})
    );
}

#[tokio::test]
async fn do_not_disturb_in_chrome_rings_the_phone_only() {
    let t = TestServer::start().await;
    let token = alice_with_phone(&t, NoAnswerAction::Voicemail).await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    let until = t.clock.now() + ONE_HOUR_MS;
    set(&t, &token, dnd(AvailabilityMode::DndBrowser, Some(until))).await;
    expect_availability(&mut browser).await;

    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-dnd-browser").await;
    assert!(
        !routed.ring_browser,
        "a connected browser on DND is not rung"
    );
    assert_eq!(routed.ring_phone.as_deref(), Some(FORWARDING));
    assert_eq!(routed.outcome, None, "the phone is ringing");
    browser.expect_silence(Duration::from_millis(300)).await;
    let commands = t.phone_commands("carrier-dnd-browser").await;
    assert_eq!(
        commands.first(),
        Some(&json!({"command": "ring", "number": FORWARDING})),
        "{commands:?}"
    );
    // And a reconnect is not sent it either.
    drop(browser);
    let mut again = t.connect_with_token(&token, "laptop").await;
    again.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn do_not_disturb_everywhere_goes_straight_to_the_no_answer_action() {
    for (action, outcome) in [
        (NoAnswerAction::Voicemail, CallOutcome::Voicemail),
        (NoAnswerAction::Forward, CallOutcome::Forwarded),
    ] {
        let t = TestServer::start().await;
        let token = alice_with_phone(&t, action).await;
        let mut browser = t.connect_with_token(&token, "laptop").await;
        set(&t, &token, dnd(AvailabilityMode::DndEverywhere, None)).await;
        expect_availability(&mut browser).await;

        let routed = t.ring(ADA_PHONE, &t.alice, "carrier-dnd-all").await;
        assert!(!routed.ring_browser, "{action:?}");
        assert_eq!(
            routed.ring_phone, None,
            "{action:?}: the phone does not ring"
        );
        assert_eq!(routed.outcome, Some(outcome), "{action:?}: at once");
        browser.expect_silence(Duration::from_millis(300)).await;
        let commands = t.phone_commands("carrier-dnd-all").await;
        let expected = match action {
            NoAnswerAction::Forward => json!({"command": "forward", "number": FORWARDING}),
            NoAnswerAction::Voicemail => json!({"command": "start_voicemail"}),
        };
        assert_eq!(commands.first(), Some(&expected), "{commands:?}");
    }
}

#[tokio::test]
async fn a_do_not_disturb_that_ran_out_routes_as_available() {
    let t = TestServer::start().await;
    let token = alice_with_phone(&t, NoAnswerAction::Voicemail).await;
    let until = t.clock.now() + ONE_HOUR_MS;
    set(
        &t,
        &token,
        dnd(AvailabilityMode::DndEverywhere, Some(until)),
    )
    .await;
    t.clock
        .advance(Duration::from_millis(ONE_HOUR_MS as u64 + 1000));

    assert_eq!(
        get_availability(&t, &token).await,
        json!({"mode": "available"})
    );
    let mut browser = t.open_and_hello(&token, "laptop").await;
    assert!(matches!(
        browser.recv().await,
        ServerMessage::Welcome { .. }
    ));
    assert_eq!(
        expect_availability(&mut browser).await,
        Availability::AVAILABLE
    );
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-dnd-over").await;
    assert!(routed.ring_browser);
    assert_eq!(routed.ring_phone.as_deref(), Some(FORWARDING));
    assert_eq!(browser.expect_incoming().await.call_id, routed.call_id);
}

#[tokio::test]
async fn a_test_ring_answers_only_the_socket_that_asked_and_keeps_nothing() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut laptop = t.connect_with_token(&token, "laptop").await;
    let mut desktop = t.connect_with_token(&token, "desktop").await;

    let before = t.clock.now();
    laptop
        .send(&ClientMessage::TestRing {
            id: "test-1".into(),
        })
        .await;
    match laptop.recv().await {
        ServerMessage::TestRing { id, sent_at } => {
            assert_eq!(id, "test-1");
            assert!((before..=t.clock.now()).contains(&sent_at), "{sent_at}");
        }
        other => panic!("expected the test ring, got {other:?}"),
    }
    desktop.expect_silence(Duration::from_millis(300)).await;

    // Validated like every message: the id is 1 to 64 characters.
    laptop
        .send(&ClientMessage::TestRing { id: "x".repeat(65) })
        .await;
    assert!(matches!(
        laptop.recv().await,
        ServerMessage::Error {
            code: SignalErrorCode::InvalidId,
            ..
        }
    ));

    // Many test rings leave nothing behind: no call, no log, no live state.
    for i in 0..30 {
        laptop
            .send(&ClientMessage::TestRing {
                id: format!("t{i}"),
            })
            .await;
        assert!(matches!(
            laptop.recv().await,
            ServerMessage::TestRing { .. }
        ));
    }
    let calls: Value = t
        .get(&token, "/api/v1/calls")
        .await
        .json()
        .await
        .expect("calls");
    assert_eq!(calls["calls"], json!([]), "{calls}");
    let state = t.server.as_ref().expect("running").state();
    assert_eq!(state.exchange().live_count(), 0);
    desktop.expect_silence(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn the_settings_page_shows_and_changes_availability() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    let cookie = session_cookie(&token);

    let html = t.page(&token, "/settings").await;
    for wanted in [
        r#"id="availability-now" data-mode="available""#,
        r#"id="availability-mode""#,
        r#"id="availability-length""#,
        r#"id="availability-save""#,
        r#"name="utc_offset_minutes""#,
        "Do not disturb in Chrome",
        "Until tomorrow (8:00)",
    ] {
        assert!(html.contains(wanted), "the page has {wanted}");
    }
    let csrf = csrf_in(&html);

    let post = |fields: Vec<(&'static str, String)>| {
        no_redirects()
            .post(t.url("/settings/availability"))
            .header("cookie", &cookie)
            .form(&fields)
            .send()
    };
    let before = t.clock.now();
    let response = post(vec![
        ("csrf", csrf.clone()),
        ("mode", "dnd_browser".into()),
        ("length", "until_tomorrow".into()),
        ("utc_offset_minutes", "60".into()),
    ])
    .await
    .expect("post");
    let after = t.clock.now();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with("/settings?notice=Availability%20saved")
            && location.ends_with("#availability"),
        "{location}"
    );
    let pushed = expect_availability(&mut browser).await;
    assert_eq!(pushed.mode, AvailabilityMode::DndBrowser);
    let tomorrow = |now| DndLength::UntilTomorrow.until(now, 60);
    assert!(
        pushed.until == tomorrow(before) || pushed.until == tomorrow(after),
        "8:00 tomorrow at UTC+1: {pushed:?}"
    );
    let stored: Availability = t
        .get(&token, "/api/v1/availability")
        .await
        .json()
        .await
        .expect("availability");
    assert_eq!(stored, pushed);
    let html = t.page(&token, "/settings").await;
    assert!(
        html.contains(r#"id="availability-now" data-mode="dnd_browser""#),
        "{html}"
    );
    assert!(html.contains("Do not disturb in Chrome until <time datetime="));

    // Without the script's offset "tomorrow" is UTC's; "until turned off" has no end.
    let response = post(vec![
        ("csrf", csrf.clone()),
        ("mode", "dnd_everywhere".into()),
        ("length", "until_turned_off".into()),
    ])
    .await
    .expect("post");
    assert_eq!(response.status(), 303);
    assert_eq!(
        expect_availability(&mut browser).await,
        dnd(AvailabilityMode::DndEverywhere, None)
    );
    let html = t.page(&token, "/settings").await;
    assert!(html.contains(r#"data-mode="dnd_everywhere""#));
    assert!(html.contains("Do not disturb everywhere until turned off"));

    // A made-up mode is an error on the page, and changes nothing.
    let response = post(vec![
        ("csrf", csrf.clone()),
        ("mode", "on_holiday".into()),
        ("length", "one_hour".into()),
    ])
    .await
    .expect("post");
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(location.starts_with("/settings?error="), "{location}");
    // A form without this session's token changes nothing either.
    let response = post(vec![
        ("csrf", "forged".into()),
        ("mode", "available".into()),
    ])
    .await
    .expect("post");
    assert_eq!(response.status(), 403);
    browser.expect_silence(Duration::from_millis(200)).await;

    let response = post(vec![("csrf", csrf), ("mode", "available".into())])
        .await
        .expect("post");
    assert_eq!(response.status(), 303);
    assert_eq!(
        expect_availability(&mut browser).await,
        Availability::AVAILABLE
    );
}
