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

    // The last socket gone from A, A leaves Alice's subject: away again.
    drop(laptop);
    c.a.wait_until_no_sockets().await;
    common::eventually("A to leave Alice's subject", common::PATIENCE, || async {
        match b.browser_presence(alice).await {
            calls::BrowserPresence::Away => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
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
