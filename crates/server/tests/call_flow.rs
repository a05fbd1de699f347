//! Calls end to end: the carrier webhook rings a real socket, the rep accepts
//! or closes, the no-answer rule runs, and the call is logged and listed.

mod common;

use common::*;
use protocol::api::{CallPage, CallView};
use protocol::signal::{CallUpdate, ServerMessage, SignalErrorCode};
use protocol::{
    CallId, CallOutcome, CallStatus, DialerSettings, LegState, LogStatus, NoAnswerAction,
};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const FORWARDING: &str = "+14155550199";

/// Settings with a forwarding phone, the given no-answer action and timeout.
fn with_phone(no_answer_action: NoAnswerAction, ring_timeout_secs: u32) -> DialerSettings {
    DialerSettings {
        forwarding_number: Some(FORWARDING.into()),
        no_answer_action,
        ring_timeout_secs,
        ..DialerSettings::default()
    }
}

/// Alice signed in, with a forwarding phone and these no-answer settings.
async fn alice_with_phone(
    t: &TestServer,
    action: NoAnswerAction,
    ring_timeout_secs: u32,
) -> String {
    let token = t.sign_in(&t.alice).await;
    t.put_settings(&token, &with_phone(action, ring_timeout_secs))
        .await;
    token
}

#[tokio::test]
async fn ring_accept_log_and_list() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;

    let routed = t.ring("(415) 555-0111", &t.alice, "carrier-1").await;
    assert!(routed.ring_browser);
    assert_eq!(routed.outcome, None, "still ringing");
    let incoming = browser.expect_incoming().await;
    assert_eq!(incoming.call_id, routed.call_id);
    assert_eq!(incoming.person.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(incoming.person.title.as_deref(), Some("CTO"));
    assert_eq!(
        incoming.person.account.as_deref(),
        Some("Analytical Engines")
    );
    assert_eq!(incoming.person.number, ADA_PHONE);
    assert_eq!(
        incoming.ring_deadline - incoming.started_at,
        20_000,
        "default ring timeout"
    );

    browser.send(&accept("a1", incoming.call_id)).await;
    assert_eq!(
        browser.expect_ack_and_update("a1", incoming.call_id).await,
        CallUpdate::Accepted
    );
    let view = t.call(&token, incoming.call_id).await;
    assert_eq!(view.status, CallStatus::Connected);
    assert_eq!(view.outcome, Some(CallOutcome::AnsweredInBrowser));
    assert_eq!(
        view.phone_leg,
        LegState::NotRung,
        "no forwarding number configured"
    );

    // Not on the Calls page until it is logged.
    let page: CallPage = t
        .get(&token, "/api/v1/calls?logged=true")
        .await
        .json()
        .await
        .expect("page");
    assert!(page.calls.is_empty());

    let log = json!({
        "idempotency_key": "log-1",
        "notes": "Wants a demo next week",
        "disposition_id": t.dispositions[1],
        "sentiment_id": t.sentiments[0],
    });
    let path = format!("/api/v1/calls/{}/log", incoming.call_id);
    let response = t.send_json(Method::POST, &token, &path, &log).await;
    assert_eq!(response.status(), 201);
    let logged: CallView = response.json().await.expect("view");
    let entry = logged.log.expect("log present");
    assert_eq!(entry.notes, "Wants a demo next week");
    assert_eq!(
        entry.disposition.map(|d| d.label).as_deref(),
        Some("Meeting booked")
    );
    assert_eq!(
        entry.sentiment.map(|s| s.label).as_deref(),
        Some("Positive")
    );
    assert_eq!(entry.status, LogStatus::Completed);

    let page: CallPage = t
        .get(&token, "/api/v1/calls?logged=true")
        .await
        .json()
        .await
        .expect("page");
    assert_eq!(page.calls.len(), 1);
    assert_eq!(page.calls[0].id, incoming.call_id);
}

#[tokio::test]
async fn close_keeps_the_phone_ringing_then_timeout_goes_to_voicemail() {
    let t = TestServer::start().await;
    let token = alice_with_phone(
        &t,
        NoAnswerAction::Voicemail,
        DialerSettings::MIN_RING_TIMEOUT_SECS,
    )
    .await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-close").await;
    assert_eq!(routed.ring_phone.as_deref(), Some(FORWARDING));
    let call = browser.expect_incoming().await.call_id;

    browser.send(&close("c1", call)).await;
    assert_eq!(
        browser.expect_ack_and_update("c1", call).await,
        CallUpdate::RingingClosed
    );
    let view = t.call(&token, call).await;
    assert_eq!(view.browser_leg, LegState::Closed);
    assert_eq!(
        view.phone_leg,
        LegState::Ringing,
        "Close stops the browser only"
    );
    assert_eq!(view.status, CallStatus::Ringing);

    // The timer kept running: at the deadline the call goes to voicemail.
    assert_eq!(
        browser.expect_update(call).await,
        CallUpdate::NoAnswer {
            outcome: CallOutcome::Voicemail
        }
    );
    let view = t.wait_for_call(&token, call, |v| v.log.is_some()).await;
    assert_eq!(view.outcome, Some(CallOutcome::Voicemail));
    assert_eq!(view.phone_leg, LegState::Stopped);
    let log = view.log.expect("automatic log");
    assert!(log.automatic);
    assert_eq!(log.status, LogStatus::Completed);
    let commands = t.phone_commands("carrier-close").await;
    let names: Vec<&str> = commands
        .iter()
        .filter_map(|c| c["command"].as_str())
        .collect();
    assert_eq!(names, ["ring", "stop_ringing", "start_voicemail"]);

    // The rep re-marks the voicemail as "no answer".
    let path = format!("/api/v1/calls/{call}/log");
    let response = t
        .send_json(
            Method::PATCH,
            &token,
            &path,
            &json!({"status": "no_answer"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let view: CallView = response.json().await.expect("view");
    assert_eq!(view.log.map(|l| l.status), Some(LogStatus::NoAnswer));

    // The caller hangs up on the voicemail: the call ends.
    assert_eq!(
        t.carrier_event("carrier-close", "caller_hung_up").await,
        204
    );
    let view = t
        .wait_for_call(&token, call, |v| v.status == CallStatus::Ended)
        .await;
    assert!(view.ended_at.is_some());
}

#[tokio::test]
async fn forward_setting_hands_an_unanswered_call_to_the_phone() {
    let t = TestServer::start().await;
    let token = alice_with_phone(
        &t,
        NoAnswerAction::Forward,
        DialerSettings::MIN_RING_TIMEOUT_SECS,
    )
    .await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-forward").await;
    browser.expect_incoming().await;
    assert_eq!(
        browser.expect_update(routed.call_id).await,
        CallUpdate::NoAnswer {
            outcome: CallOutcome::Forwarded
        }
    );
    let view = t
        .wait_for_call(&token, routed.call_id, |v| v.status == CallStatus::Ended)
        .await;
    assert_eq!(view.outcome, Some(CallOutcome::Forwarded));
    assert!(view.log.is_none(), "a forwarded call is not a voicemail");
    let commands = t.phone_commands("carrier-forward").await;
    assert_eq!(
        commands.last(),
        Some(&json!({"command": "forward", "number": FORWARDING}))
    );
}

#[tokio::test]
async fn two_browsers_racing_accept_exactly_one_wins() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut laptop = t.connect_with_token(&token, "laptop").await;
    let mut desktop = t.connect_with_token(&token, "desktop").await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-race").await;
    let call = laptop.expect_incoming().await.call_id;
    assert_eq!(desktop.expect_incoming().await.call_id, call);

    // Both frames are on the wire before either reply is read.
    laptop.send(&accept("l", call)).await;
    desktop.send(&accept("d", call)).await;

    let mut winners = 0;
    let mut losers = 0;
    for (socket, id) in [(&mut laptop, "l"), (&mut desktop, "d")] {
        let mut replied = false;
        let mut told = false;
        while !(replied && told) {
            match socket.recv().await {
                ServerMessage::Ack { id: got } if got == id => {
                    winners += 1;
                    replied = true;
                }
                ServerMessage::Error {
                    id: Some(got),
                    code: SignalErrorCode::CallNotRinging,
                    ..
                } if got == id => {
                    losers += 1;
                    replied = true;
                }
                ServerMessage::CallUpdate {
                    update: CallUpdate::Accepted | CallUpdate::AnsweredElsewhere,
                    ..
                } => {
                    told = true;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!((winners, losers), (1, 1));
    let view = t.call(&token, routed.call_id).await;
    assert_eq!(view.outcome, Some(CallOutcome::AnsweredInBrowser));
}

#[tokio::test]
async fn answering_on_the_phone_clears_the_browser() {
    let t = TestServer::start().await;
    let token = alice_with_phone(
        &t,
        NoAnswerAction::Voicemail,
        DialerSettings::DEFAULT_RING_TIMEOUT_SECS,
    )
    .await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-phone").await;
    let call = browser.expect_incoming().await.call_id;

    assert_eq!(
        t.carrier_event("carrier-phone", "phone_answered").await,
        204
    );
    assert_eq!(
        browser.expect_update(call).await,
        CallUpdate::AnsweredElsewhere
    );
    browser.send(&accept("late", call)).await;
    assert!(matches!(
        browser.recv().await,
        ServerMessage::Error {
            code: SignalErrorCode::CallNotFound | SignalErrorCode::CallNotRinging,
            ..
        }
    ));
    let view = t.call(&token, routed.call_id).await;
    assert_eq!(view.outcome, Some(CallOutcome::AnsweredOnPhone));

    // A call answered on the phone can be logged too.
    let path = format!("/api/v1/calls/{call}/log");
    let response = t
        .send_json(
            Method::POST,
            &token,
            &path,
            &json!({"idempotency_key": "phone-log", "notes": "Took it on my cell"}),
        )
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn caller_hanging_up_while_ringing_is_a_missed_call() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let routed = t.ring("+1 415 555 0177", &t.alice, "carrier-missed").await;
    let incoming = browser.expect_incoming().await;
    assert_eq!(incoming.person.name, None, "unknown caller still rings");
    assert_eq!(incoming.person.display_name(), "+14155550177");

    assert_eq!(
        t.carrier_event("carrier-missed", "caller_hung_up").await,
        204
    );
    assert_eq!(
        browser.expect_update(routed.call_id).await,
        CallUpdate::CallerHungUp
    );
    let view = t.call(&token, routed.call_id).await;
    assert_eq!(view.outcome, Some(CallOutcome::Missed));
    assert_eq!(view.status, CallStatus::Ended);
    // Repeated hang-up webhooks are harmless; a late answer is refused.
    assert_eq!(
        t.carrier_event("carrier-missed", "caller_hung_up").await,
        204
    );
    assert_eq!(
        t.carrier_event("carrier-missed", "phone_answered").await,
        409
    );
}

#[tokio::test]
async fn browser_rings_only_when_settings_and_presence_allow() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let phone = Some(FORWARDING.to_owned());

    // Offline: phone only.
    let offline = t.ring(ADA_PHONE, &t.alice, "carrier-offline").await;
    assert!(!offline.ring_browser);
    assert_eq!(offline.ring_phone, None, "no forwarding number yet");
    assert_eq!(
        offline.outcome,
        Some(CallOutcome::Voicemail),
        "nowhere to ring: voicemail at once"
    );
    let mut browser = t.connect_with_token(&token, "laptop").await;
    browser.expect_silence(Duration::from_millis(300)).await;

    for (label, settings) in [
        (
            "inbound off",
            DialerSettings {
                inbound_enabled: false,
                forwarding_number: phone.clone(),
                ..DialerSettings::default()
            },
        ),
        (
            "custom caller id",
            DialerSettings {
                custom_caller_id: Some("+14155550999".into()),
                forwarding_number: phone.clone(),
                ..DialerSettings::default()
            },
        ),
    ] {
        t.put_settings(&token, &settings).await;
        let routed = t
            .ring(ADA_PHONE, &t.alice, &format!("carrier-{label}"))
            .await;
        assert!(!routed.ring_browser, "{label}: phone only");
        assert_eq!(routed.ring_phone, phone, "{label}: the phone rings");
        browser.expect_silence(Duration::from_millis(300)).await;
        // And the browser cannot take a call it was not offered.
        browser.send(&accept("sneak", routed.call_id)).await;
        assert!(matches!(
            browser.recv().await,
            ServerMessage::Error {
                code: SignalErrorCode::CallNotRinging,
                ..
            }
        ));
    }
}

#[tokio::test]
async fn a_reconnecting_extension_is_sent_calls_still_ringing() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut first = t.connect_with_token(&token, "laptop").await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-resume").await;
    first.expect_incoming().await;
    drop(first);

    let mut again = t.connect_with_token(&token, "laptop").await;
    let resent = again.expect_incoming().await;
    assert_eq!(resent.call_id, routed.call_id);
    again.send(&accept("after-reconnect", resent.call_id)).await;
    let view = t
        .wait_for_call(&token, routed.call_id, |v| {
            v.outcome == Some(CallOutcome::AnsweredInBrowser)
        })
        .await;
    assert_eq!(view.browser_leg, LegState::Answered);

    // The Accepted reply is lost with the socket: the next socket of that
    // browser hears it again; another browser of the rep does not.
    drop(again);
    let mut resumed = t.connect_with_token(&token, "laptop").await;
    assert_eq!(
        resumed.expect_update(routed.call_id).await,
        CallUpdate::Accepted
    );
    let mut other = t.connect_with_token(&token, "desktop").await;
    other.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn accepting_a_callback_never_drops_a_live_call() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let first = t.ring(ADA_PHONE, &t.alice, "carrier-live-1").await.call_id;
    browser.expect_incoming().await;
    browser.send(&accept("a1", first)).await;
    assert_eq!(
        browser.expect_ack_and_update("a1", first).await,
        CallUpdate::Accepted
    );

    // While on the first call, a second rings all the same...
    let second = t.ring("+14155550188", &t.alice, "carrier-live-2").await;
    assert!(second.ring_browser, "a rep on a call still gets rung");
    assert_eq!(browser.expect_incoming().await.call_id, second.call_id);
    browser.send(&accept("a2", second.call_id)).await;
    assert_eq!(
        browser.expect_ack_and_update("a2", second.call_id).await,
        CallUpdate::Accepted
    );

    // ...and taking it leaves the first one connected: that is the rep's choice.
    let view = t.call(&token, first).await;
    assert_eq!(view.status, CallStatus::Connected);
    assert_eq!(
        t.call(&token, second.call_id).await.status,
        CallStatus::Connected
    );
}

#[tokio::test]
async fn logging_twice_with_one_key_writes_one_log() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let call = t.ring(ADA_PHONE, &t.alice, "carrier-idem").await.call_id;
    browser.expect_incoming().await;

    let path = format!("/api/v1/calls/{call}/log");
    let early = json!({"idempotency_key": "k0", "notes": "x"});
    assert_eq!(
        t.send_json(Method::POST, &token, &path, &early)
            .await
            .status(),
        409,
        "still ringing"
    );
    browser.send(&accept("a", call)).await;
    t.wait_for_call(&token, call, |v| v.status == CallStatus::Connected)
        .await;

    let log = json!({"idempotency_key": "k1", "notes": "first", "disposition_id": t.dispositions[0], "sentiment_id": t.sentiments[0]});
    let first = t.send_json(Method::POST, &token, &path, &log).await;
    assert_eq!(first.status(), 201);
    let first: CallView = first.json().await.expect("view");
    let again = t.send_json(Method::POST, &token, &path, &log).await;
    assert_eq!(again.status(), 200, "a retry is answered, not repeated");
    let again: CallView = again.json().await.expect("view");
    assert_eq!(again.log, first.log);

    let other_key =
        json!({"idempotency_key": "k2", "notes": "second", "disposition_id": t.dispositions[1]});
    assert_eq!(
        t.send_json(Method::POST, &token, &path, &other_key)
            .await
            .status(),
        409
    );

    // Disposition and sentiment are fixed now; notes are not.
    let change = json!({"disposition_id": t.dispositions[1]});
    let refused = t.send_json(Method::PATCH, &token, &path, &change).await;
    assert_eq!(refused.status(), 409);
    let body: serde_json::Value = refused.json().await.expect("error body");
    assert_eq!(body["error"]["code"], "conflict");
    let notes = t
        .send_json(
            Method::PATCH,
            &token,
            &path,
            &json!({"notes": "edited later"}),
        )
        .await;
    assert_eq!(notes.status(), 200);
    let view = t.call(&token, call).await;
    let log = view.log.expect("log");
    assert_eq!(log.notes, "edited later");
    assert_eq!(log.disposition.map(|d| d.id.0), Some(t.dispositions[0]));
    // Only a voicemail can be re-marked "no answer".
    let status = t
        .send_json(
            Method::PATCH,
            &token,
            &path,
            &json!({"status": "no_answer"}),
        )
        .await;
    assert_eq!(status.status(), 409);

    // The database refuses the change as well, bypassing the API, and a
    // rep's log cannot be turned back into an automatic one to reopen it.
    let db = t.raw_db().await;
    for sql in [
        "UPDATE call_logs SET disposition_id = ?1 WHERE call_id = ?2",
        "UPDATE call_logs SET sentiment_id = NULL WHERE call_id = ?2 AND ?1 IS NOT NULL",
        "UPDATE call_logs SET automatic = 1 WHERE call_id = ?2 AND ?1 IS NOT NULL",
    ] {
        let refused = sqlx::query(sql)
            .bind(t.dispositions[1])
            .bind(call.0)
            .execute(&db)
            .await;
        let message = refused.expect_err(sql).to_string();
        assert!(
            message.contains("cannot change once a call is logged"),
            "{sql}: {message}"
        );
    }
    let reserved =
        json!({"idempotency_key": format!("voicemail:{call}"), "notes": "sneaky replay"});
    assert_eq!(
        t.send_json(Method::POST, &token, &path, &reserved)
            .await
            .status(),
        422
    );

    let page: CallPage = t
        .get(&token, "/api/v1/calls?logged=true")
        .await
        .json()
        .await
        .expect("page");
    assert_eq!(
        page.calls.iter().filter(|c| c.id == CallId(call.0)).count(),
        1
    );
}

#[tokio::test]
async fn a_retried_carrier_webhook_returns_the_same_call() {
    let t = TestServer::start().await;
    let first = t.ring(ADA_PHONE, &t.alice, "carrier-dup").await;
    let second = t.ring(ADA_PHONE, &t.alice, "carrier-dup").await;
    assert_eq!(first.call_id, second.call_id);
    let token = t.sign_in(&t.alice).await;
    let page: CallPage = t
        .get(&token, "/api/v1/calls")
        .await
        .json()
        .await
        .expect("page");
    assert_eq!(page.calls.len(), 1);
}

#[tokio::test]
async fn a_log_must_use_the_teams_current_choices() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let call = t.ring(ADA_PHONE, &t.alice, "carrier-choices").await.call_id;
    browser.expect_incoming().await;
    browser.send(&accept("a", call)).await;
    t.wait_for_call(&token, call, |v| v.status == CallStatus::Connected)
        .await;
    let path = format!("/api/v1/calls/{call}/log");

    let unknown = json!({"idempotency_key": "u", "disposition_id": 9_999});
    let response = t.send_json(Method::POST, &token, &path, &unknown).await;
    let status = response.status();
    let body: serde_json::Value = response.json().await.expect("error body");
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("disposition_id")),
        "{body}"
    );

    let store = t.server.as_ref().expect("running").state().store().clone();
    store
        .set_disposition_required(t.alice.team, true)
        .await
        .expect("setting saved");
    let bare = json!({"idempotency_key": "b", "notes": "no disposition"});
    assert_eq!(
        t.send_json(Method::POST, &token, &path, &bare)
            .await
            .status(),
        422
    );

    // Nothing was written by the refused attempts.
    assert!(t.call(&token, call).await.log.is_none());
    let good = json!({"idempotency_key": "g", "disposition_id": t.dispositions[0]});
    assert_eq!(
        t.send_json(Method::POST, &token, &path, &good)
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn hanging_up_ends_the_call_on_either_side() {
    let t = TestServer::start().await;
    let token = alice_with_phone(
        &t,
        NoAnswerAction::Voicemail,
        DialerSettings::DEFAULT_RING_TIMEOUT_SECS,
    )
    .await;
    let mut browser = t.connect_with_token(&token, "laptop").await;

    // Answered in the browser, hung up from the panel.
    let first = t
        .ring(ADA_PHONE, &t.alice, "carrier-hangup-browser")
        .await
        .call_id;
    browser.expect_incoming().await;
    browser.send(&accept("a", first)).await;
    assert_eq!(
        browser.expect_ack_and_update("a", first).await,
        CallUpdate::Accepted
    );
    browser
        .send(&protocol::signal::ClientMessage::HangUp {
            id: "h".into(),
            call_id: first,
        })
        .await;
    // The browser that hung up hears the call ended, like any other ending.
    assert_eq!(
        browser.expect_ack_and_update("h", first).await,
        CallUpdate::Ended
    );
    let view = t
        .wait_for_call(&token, first, |v| v.status == CallStatus::Ended)
        .await;
    assert!(view.ended_at >= view.answered_at);
    let commands = t.phone_commands("carrier-hangup-browser").await;
    assert_eq!(commands.last(), Some(&json!({"command": "release"})));

    // Answered on the phone, hung up there.
    let second = t
        .ring(ADA_PHONE, &t.alice, "carrier-hangup-phone")
        .await
        .call_id;
    browser.expect_incoming().await;
    assert_eq!(
        t.carrier_event("carrier-hangup-phone", "phone_answered")
            .await,
        204
    );
    assert_eq!(
        browser.expect_update(second).await,
        CallUpdate::AnsweredElsewhere
    );
    assert_eq!(
        t.carrier_event("carrier-hangup-phone", "phone_hung_up")
            .await,
        204
    );
    let view = t
        .wait_for_call(&token, second, |v| v.status == CallStatus::Ended)
        .await;
    assert_eq!(view.outcome, Some(CallOutcome::AnsweredOnPhone));
}
