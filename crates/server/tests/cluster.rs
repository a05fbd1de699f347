//! Two instances sharing one PostgreSQL and one NATS: a rep's socket on
//! one, the call on the other. Runs under `make rust-test` (which starts
//! the PostgreSQL; the test starts its own nats-server).

mod common;

use common::cluster::Cluster;
use common::{ADA_PHONE, Signal, accept};
use protocol::signal::{CallUpdate, ClientMessage, ServerMessage, SignalErrorCode};
use protocol::{CallId, CallOutcome, CallStatus};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_call_arriving_at_b_rings_the_socket_on_a_and_accept_there_connects() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let token = c.a.sign_in(&c.a.alice).await;
    let mut laptop = c.a.connect_with_token(&token, "laptop").await;

    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-across").await;
    assert!(routed.ring_browser, "B sees Alice's browser on A");
    let incoming = laptop.expect_incoming().await;
    assert_eq!(incoming.call_id, routed.call_id);
    assert_eq!(incoming.person.name.as_deref(), Some("Ada Lovelace"));

    // B owns the call: A forwards the Accept and relays B's answer.
    laptop.send(&accept("a1", routed.call_id)).await;
    assert_eq!(
        laptop.expect_ack_and_update("a1", routed.call_id).await,
        CallUpdate::Accepted
    );
    let view = c.a.call(&token, routed.call_id).await;
    assert_eq!(view.outcome, Some(CallOutcome::AnsweredInBrowser));

    // Hang up from A too; the call ends on B and A's socket is told.
    laptop
        .send(&ClientMessage::HangUp {
            id: "h1".into(),
            call_id: routed.call_id,
        })
        .await;
    assert_eq!(
        laptop.expect_ack_and_update("h1", routed.call_id).await,
        CallUpdate::Ended
    );
    // A call nobody owns any more is as missing as an unknown one.
    laptop.send(&accept("a2", routed.call_id)).await;
    match laptop.recv().await {
        ServerMessage::Error {
            code: SignalErrorCode::CallNotFound,
            ..
        } => {}
        other => panic!("expected call not found, got {other:?}"),
    }
}

/// Reads `id`'s reply and the update for `call`; whether the Accept won.
async fn accept_result(socket: &mut Signal, id: &str, call: CallId) -> bool {
    let mut won = None;
    let mut told = None;
    while won.is_none() || told.is_none() {
        match socket.recv().await {
            ServerMessage::Ack { id: got } if got == id => won = Some(true),
            ServerMessage::Error {
                id: Some(got),
                code: SignalErrorCode::CallNotRinging,
                ..
            } if got == id => won = Some(false),
            ServerMessage::CallUpdate { call_id, update } if call_id == call => told = Some(update),
            other => panic!("unexpected {other:?}"),
        }
    }
    let won = won == Some(true);
    let expected = if won {
        CallUpdate::Accepted
    } else {
        CallUpdate::AnsweredElsewhere
    };
    assert_eq!(told, Some(expected), "{id}");
    won
}

#[tokio::test]
async fn two_sockets_on_two_instances_racing_accept_one_wins_every_time() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let token = c.a.sign_in(&c.a.alice).await;
    let mut on_a = c.a.connect_with_token(&token, "laptop").await;
    let mut on_b = c.b.connect_with_token(&token, "desktop").await;
    let rounds = 100;
    let mut wins = [0; 2];
    for round in 0..rounds {
        // Fresh sockets every 20 rounds: the socket's rate limit (a burst of
        // 60 frames) is not what this test is about.
        if round > 0 && round % 20 == 0 {
            on_a = c.a.connect_with_token(&token, "laptop").await;
            on_b = c.b.connect_with_token(&token, "desktop").await;
        }
        // The call lands on either instance, so each socket is sometimes the
        // owner's and sometimes forwarded.
        let carrier = if round % 2 == 0 { &c.a } else { &c.b };
        let routed = carrier
            .ring(ADA_PHONE, &carrier.alice, &format!("carrier-race-{round}"))
            .await;
        assert_eq!(on_a.expect_incoming().await.call_id, routed.call_id);
        assert_eq!(on_b.expect_incoming().await.call_id, routed.call_id);
        on_a.send(&accept("a", routed.call_id)).await;
        on_b.send(&accept("b", routed.call_id)).await;
        let a_won = accept_result(&mut on_a, "a", routed.call_id).await;
        let b_won = accept_result(&mut on_b, "b", routed.call_id).await;
        assert!(
            a_won != b_won,
            "round {round}: exactly one wins (a {a_won}, b {b_won})"
        );
        wins[usize::from(b_won)] += 1;
        let winner = if a_won { &mut on_a } else { &mut on_b };
        winner
            .send(&ClientMessage::HangUp {
                id: "h".into(),
                call_id: routed.call_id,
            })
            .await;
        assert_eq!(
            winner.expect_ack_and_update("h", routed.call_id).await,
            CallUpdate::Ended
        );
    }
    eprintln!(
        "{rounds} races: socket on A won {}, on B {}",
        wins[0], wins[1]
    );
}

#[tokio::test]
async fn whether_a_rep_is_online_is_answered_across_instances() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let alice = c.a.alice.id;
    let b = c.b.server.as_ref().expect("running").state().clone();

    // No socket anywhere: nobody answers, and that is known at once rather
    // than after the presence timeout.
    let asked = Instant::now();
    assert_eq!(
        b.browser_presence(alice).await,
        calls::BrowserPresence::Away
    );
    let no_responders = asked.elapsed();
    eprintln!("away (no responders) answered in {no_responders:?}");
    assert!(
        no_responders < Duration::from_millis(250),
        "{no_responders:?}"
    );
    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-offline").await;
    assert!(!routed.ring_browser, "nobody online: the phone only");

    let token = c.a.sign_in(&c.a.alice).await;
    let laptop = c.a.connect_with_token(&token, "laptop").await;
    let asked = Instant::now();
    assert_eq!(
        b.browser_presence(alice).await,
        calls::BrowserPresence::Connected
    );
    eprintln!(
        "connected on the other instance answered in {:?}",
        asked.elapsed()
    );
    // Bob has no socket: A's subscription is Alice's alone.
    assert_eq!(
        b.browser_presence(c.a.bob.id).await,
        calls::BrowserPresence::Away
    );

    // The last socket gone from A: for the grace, A still says Alice's
    // browser was there a moment ago, so a call at B rings in it when it
    // reconnects, wherever it does.
    drop(laptop);
    c.a.wait_until_no_sockets().await;
    let left = b.browser_presence(alice).await;
    assert!(
        matches!(left, calls::BrowserPresence::LeftAt(_)),
        "{left:?}"
    );
    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-grace").await;
    assert!(
        routed.ring_browser,
        "within the grace: the browser rings too"
    );
    let mut laptop = c.a.connect_with_token(&token, "laptop").await;
    assert_eq!(laptop.expect_incoming().await.call_id, routed.call_id);
    drop(laptop);
    c.a.wait_until_no_sockets().await;

    // Past the grace, away again.
    c.a.clock
        .advance(Duration::from_millis(calls::PRESENCE_GRACE_MS as u64 + 1));
    assert_eq!(
        b.browser_presence(alice).await,
        calls::BrowserPresence::Away
    );
    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-away").await;
    assert!(!routed.ring_browser, "past the grace: the phone only");
}

#[tokio::test]
async fn the_owner_dying_ends_its_ringing_call_as_missed_and_tells_the_browser() {
    let Some(mut c) = Cluster::start().await else {
        return;
    };
    let token = c.a.sign_in(&c.a.alice).await;
    let mut laptop = c.a.connect_with_token(&token, "laptop").await;
    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-orphan").await;
    assert_eq!(laptop.expect_incoming().await.call_id, routed.call_id);

    c.kill_b();
    let died = Instant::now();
    // The ring time (30 s) is far off: only A's reaping can end the call.
    let update = match laptop.recv_within(Duration::from_secs(15)).await {
        ServerMessage::CallUpdate { call_id, update } if call_id == routed.call_id => update,
        other => panic!("unexpected {other:?}"),
    };
    let took = died.elapsed();
    eprintln!("the dead owner's call ended {took:?} after it died");
    assert!(took <= Duration::from_secs(15), "{took:?}");
    assert_eq!(
        update,
        CallUpdate::NoAnswer {
            outcome: CallOutcome::Missed
        }
    );
    let view = c.a.call(&token, routed.call_id).await;
    assert_eq!(view.status, CallStatus::Ended);
    assert_eq!(view.outcome, Some(CallOutcome::Missed));
}

/// Signs in to `on` from 127.0.0.1; the HTTP status.
async fn sign_in_status(on: &common::TestServer, email: &str, password: &str) -> u16 {
    on.http
        .post(on.url("/api/v1/sessions"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// Waits until `on` counts `expected` recent failures for `email` from 127.0.0.1.
async fn failures_counted(on: &common::TestServer, email: &str, expected: usize) {
    let state = on.server.as_ref().expect("running").state().clone();
    let source = ringback_server::throttle::Source::from(std::net::IpAddr::from([127, 0, 0, 1]));
    common::eventually("the failures to be counted", common::PATIENCE, || {
        let state = state.clone();
        async move {
            let counted = state
                .sign_in_throttle()
                .recent_failures(email, source, state.now());
            (counted == expected)
                .then_some(())
                .ok_or(format!("{counted} counted, {expected} expected"))
        }
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_spread_over_instances_lock_the_account_on_both() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let max = ringback_server::throttle::MAX_FAILURES;
    let alice = c.a.alice.email.clone();
    // A load balancer without stickiness sends the guesses to each in turn:
    // neither instance sees MAX_FAILURES itself.
    for attempt in 0..max {
        let on = if attempt % 2 == 0 { &c.a } else { &c.b };
        assert_eq!(sign_in_status(on, &alice, "guess").await, 401);
    }
    failures_counted(&c.a, &alice, max).await;
    failures_counted(&c.b, &alice, max).await;
    for on in [&c.a, &c.b] {
        assert_eq!(
            sign_in_status(on, &alice, common::PASSWORD).await,
            429,
            "locked on both instances, even for the right password"
        );
    }

    // A right password on one instance forgets the failures on the other.
    let bob = c.a.bob.email.clone();
    for _ in 0..max - 1 {
        assert_eq!(sign_in_status(&c.a, &bob, "guess").await, 401);
    }
    failures_counted(&c.b, &bob, max - 1).await;
    assert_eq!(sign_in_status(&c.b, &bob, common::PASSWORD).await, 201);
    failures_counted(&c.a, &bob, 0).await;
    for _ in 0..max - 1 {
        assert_eq!(sign_in_status(&c.a, &bob, "guess").await, 401);
    }
    assert_eq!(sign_in_status(&c.a, &bob, common::PASSWORD).await, 201);
}

#[tokio::test]
async fn the_webhook_carrier_reaches_a_call_through_either_instance() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    // Alice's settings and greeting go in through A; the files directory
    // is shared, so B, which will own the call, plays that greeting.
    let token = c.a.sign_in(&c.a.alice).await;
    c.a.put_settings(
        &token,
        &protocol::DialerSettings {
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: protocol::NoAnswerAction::Voicemail,
            ring_timeout_secs: protocol::DialerSettings::MIN_RING_TIMEOUT_SECS,
            ..protocol::DialerSettings::default()
        },
    )
    .await;
    let saved =
        c.a.http
            .put(c.a.url("/api/v1/settings/greeting"))
            .bearer_auth(&token)
            .body(common::audio::one_second_greeting())
            .send()
            .await
            .expect("put");
    assert_eq!(saved.status(), 204);

    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-either").await;
    // The carrier polls A: B's phone commands come back through it.
    let commands = c.a.phone_commands("carrier-either").await;
    assert_eq!(
        commands.first().map(|c| c["command"].clone()),
        Some("ring".into()),
        "{commands:?}"
    );
    // Nobody answers: B's voicemail plays Alice's one-second greeting and
    // records; A reports B's media.
    let patience = common::PATIENCE * 2;
    let report =
        c.a.media_report_within("carrier-either", patience, |r| {
            r["recorded_ms"].as_u64().is_some_and(|ms| ms >= 1_000)
        })
        .await;
    assert_eq!(report["kind"], "voicemail");
    assert_eq!(report["greeting_frames"], 50, "her greeting: {report}");
    // The hang-up, sent to A, ends the call on B.
    assert_eq!(
        c.a.carrier_event("carrier-either", "caller_hung_up").await,
        204
    );
    let view =
        c.a.wait_for_call(&token, routed.call_id, |v| v.recording.is_some())
            .await;
    assert_eq!(view.status, CallStatus::Ended);
    let recording = view.recording.expect("recording");
    // Written by B, served by A.
    let response =
        c.a.http
            .get(c.a.url(&format!("/api/v1/calls/{}/recording", routed.call_id)))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.expect("body").len() as i64,
        recording.bytes
    );
    // The call is over, and its last commands still come through A.
    let commands = c.a.phone_commands("carrier-either").await;
    let names: Vec<_> = commands.iter().map(|c| c["command"].clone()).collect();
    assert_eq!(
        names.last(),
        Some(&serde_json::Value::from("release")),
        "{commands:?}"
    );
    assert_eq!(commands, c.b.phone_commands("carrier-either").await);
    // A late duplicate hang-up changes nothing, wherever it lands.
    assert_eq!(
        c.a.carrier_event("carrier-either", "caller_hung_up").await,
        204
    );
    assert_eq!(
        c.b.carrier_event("carrier-either", "caller_hung_up").await,
        204
    );
}

#[tokio::test]
async fn a_socket_reconnecting_anywhere_resumes_the_calls_another_instance_owns() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let token = c.a.sign_in(&c.a.alice).await;
    let laptop = c.a.connect_with_token(&token, "laptop").await;
    let routed = c.b.ring(ADA_PHONE, &c.b.alice, "carrier-resume").await;
    assert!(routed.ring_browser);
    drop(laptop);
    c.a.wait_until_no_sockets().await;

    // Back on A, which owns nothing: B's call still rings here.
    let mut laptop = c.a.connect_with_token(&token, "laptop").await;
    assert_eq!(
        laptop.resumed.len(),
        1,
        "the ringing call, resumed: {:?}",
        laptop.resumed
    );
    assert_eq!(laptop.expect_incoming().await.call_id, routed.call_id);
    laptop.send(&accept("a1", routed.call_id)).await;
    assert_eq!(
        laptop.expect_ack_and_update("a1", routed.call_id).await,
        CallUpdate::Accepted
    );
    drop(laptop);
    c.a.wait_until_no_sockets().await;

    // Reconnected again: the call this browser won is confirmed, from B.
    let laptop = c.a.connect_with_token(&token, "laptop").await;
    let resumed: Vec<_> = laptop.resumed.iter().cloned().collect();
    assert!(
        matches!(
            resumed.as_slice(),
            [ServerMessage::CallUpdate {
                call_id,
                update: CallUpdate::Accepted,
            }] if *call_id == routed.call_id
        ),
        "{resumed:?}"
    );
    // Another browser of Alice's is not told it is on the call.
    let desktop = c.a.connect_with_token(&token, "desktop").await;
    assert!(desktop.resumed.is_empty(), "{:?}", desktop.resumed);
}

#[tokio::test]
async fn a_call_placed_at_a_is_answered_held_and_hung_up_through_b() {
    let trunk_port = common::sipp::free_udp_port();
    let Some(c) = Cluster::start_with_trunk(Some(trunk_port)).await else {
        return;
    };
    // Ada answers, checks the hold and the resume re-INVITEs, echoes audio.
    let ada = common::sipp::Sipp::phone("prospect-answers-is-held.xml", trunk_port, 500);
    let token = c.a.sign_in(&c.a.alice).await;
    // Alice's socket is on B; A places the call (and runs it).
    let mut laptop = c.b.connect_with_token(&token, "laptop").await;
    let (status, body) = c.a.dial(&token, ADA_PHONE).await;
    assert_eq!(status, 201, "{body}");
    let placed: protocol::api::DialResponse = serde_json::from_value(body).expect("dial");
    let call = placed.call_id;
    let (_phone, answer) =
        media::softphone::Softphone::answer(&placed.offer).expect("an answer to the offer");
    // The browser's answer reaches B, which hands it to A.
    let path = format!("/api/v1/calls/{call}/answer");
    let body = serde_json::json!({ "answer": answer });
    assert_eq!(c.b.post_status(&token, &path, &body).await, 204);
    for expected in [
        protocol::signal::DialProgress::Ringing,
        protocol::signal::DialProgress::Connected,
    ] {
        assert_eq!(
            common::dial::expect_progress(&mut laptop, call).await,
            expected
        );
    }

    // Hold and resume from the socket on B: A holds Ada (re-INVITEs).
    for (id, held, update) in [
        ("h1", true, CallUpdate::OnHold),
        ("r1", false, CallUpdate::Resumed),
    ] {
        laptop
            .send(&ClientMessage::Hold {
                id: id.into(),
                call_id: call,
                held,
            })
            .await;
        assert_eq!(laptop.expect_ack_and_update(id, call).await, update);
    }
    // Bob cannot touch it from B either.
    let bob = c.b.sign_in(&c.b.bob).await;
    assert_eq!(c.b.hang_up_dial(&bob, call).await, 404);

    // Hang up over REST at B: A ends the call and Ada gets her BYE.
    assert_eq!(c.b.hang_up_dial(&token, call).await, 204);
    assert_eq!(
        common::dial::expect_progress(&mut laptop, call).await,
        protocol::signal::DialProgress::Ended {
            outcome: protocol::api::DialOutcome::Connected
        }
    );
    ada.succeeds("Ada took both re-INVITEs, then the BYE").await;
    // Over: nothing left to hang up anywhere.
    assert_eq!(c.b.hang_up_dial(&token, call).await, 404);
}

/// Ada calls back over A's trunk while Alice's browser is on B: the ring
/// reaches B, the browser answers there, and keypad keys pressed on B reach
/// Ada as telephone-events from A, which runs the call.
#[tokio::test]
async fn keypad_keys_pressed_through_b_reach_the_caller_of_a_call_a_runs() {
    let trunk_port = common::sipp::free_udp_port();
    let Some(c) = Cluster::start_with_trunk(Some(trunk_port)).await else {
        return;
    };
    let token = c.a.sign_in(&c.a.alice).await;
    let mut laptop = c.b.connect_with_token(&token, "laptop").await;
    let caller = common::sipp::Sipp::call(
        "prospect-waits-for-bye.xml",
        c.a.sip_addr(),
        &c.a.alice.dialer_number,
        ADA_PHONE,
        0,
    );
    let (incoming, softphone) = common::answer_in_browser(&mut laptop).await;
    let softphone = common::talk(
        softphone,
        media::softphone::Voice::Tone,
        Duration::from_secs(1),
    )
    .await;
    assert!(softphone.connected(), "the browser's audio reaches A");

    laptop
        .send(&ClientMessage::Digits {
            id: "k1".into(),
            call_id: incoming.call_id,
            digits: "5#".into(),
        })
        .await;
    assert!(matches!(laptop.recv().await, ServerMessage::Ack { id } if id == "k1"));
    // Two keys, seven telephone-event packets each, from A.
    c.a.expect_tones_sent(incoming.call_id, 14).await;

    // Hanging up on B ends the call on A, which sends Ada her BYE.
    laptop
        .send(&ClientMessage::HangUp {
            id: "h1".into(),
            call_id: incoming.call_id,
        })
        .await;
    assert_eq!(
        laptop.expect_ack_and_update("h1", incoming.call_id).await,
        CallUpdate::Ended
    );
    caller
        .succeeds("the carrier got a BYE and answered it")
        .await;
}
