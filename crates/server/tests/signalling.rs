//! The signalling socket's handshake and its handling of bad input.

mod common;

use common::*;
use protocol::signal::{ClientMessage, ServerMessage, SignalErrorCode, close_code};
use protocol::{CallId, MAX_SIGNAL_FRAME_BYTES};
use ringback_server::config::Config;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn error_code(message: ServerMessage) -> SignalErrorCode {
    match message {
        ServerMessage::Error { code, .. } => code,
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn keepalive_is_acked(signal: &mut Signal, id: &str) {
    signal
        .send(&ClientMessage::Keepalive { id: id.into() })
        .await;
    assert_eq!(signal.recv().await, ServerMessage::Ack { id: id.into() });
}

#[tokio::test]
async fn bad_frames_get_an_error_and_the_socket_stays_usable() {
    let t = TestServer::start().await;
    let mut signal = t.connect(&t.alice, "laptop").await;

    signal.send_raw(Message::text("this is not json")).await;
    assert_eq!(
        error_code(signal.recv().await),
        SignalErrorCode::MalformedMessage
    );
    keepalive_is_acked(&mut signal, "k1").await;

    // Wrong types: the id of the bad message is echoed when it can be read.
    signal
        .send_raw(Message::text(
            r#"{"type":"accept","id":"wt","call_id":"seven"}"#,
        ))
        .await;
    match signal.recv().await {
        ServerMessage::Error { id, code, message } => {
            assert_eq!(id.as_deref(), Some("wt"));
            assert_eq!(code, SignalErrorCode::MalformedMessage);
            assert!(
                message.contains("call_id") || message.contains("invalid type"),
                "{message}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    signal
        .send_raw(Message::text(r#"{"type":"teleport","id":"x"}"#))
        .await;
    assert_eq!(
        error_code(signal.recv().await),
        SignalErrorCode::MalformedMessage
    );
    signal.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(
        error_code(signal.recv().await),
        SignalErrorCode::BinaryNotSupported
    );
    signal
        .send(&ClientMessage::Keepalive { id: "x".repeat(65) })
        .await;
    assert_eq!(error_code(signal.recv().await), SignalErrorCode::InvalidId);

    // Oversized but under the transport's hard limit: refused, socket kept.
    let big = format!(
        r#"{{"type":"keepalive","id":"big","pad":"{}"}}"#,
        "x".repeat(MAX_SIGNAL_FRAME_BYTES)
    );
    signal.send_raw(Message::text(big)).await;
    assert_eq!(
        error_code(signal.recv().await),
        SignalErrorCode::MessageTooLarge
    );
    keepalive_is_acked(&mut signal, "k2").await;

    // A call that does not exist.
    signal.send(&accept("ghost", CallId(987_654))).await;
    assert_eq!(
        error_code(signal.recv().await),
        SignalErrorCode::CallNotFound
    );
    keepalive_is_acked(&mut signal, "k3").await;
}

#[tokio::test]
async fn a_frame_past_the_hard_limit_closes_the_socket() {
    let t = TestServer::start().await;
    let mut signal = t.connect(&t.alice, "laptop").await;
    let huge = "x".repeat(MAX_SIGNAL_FRAME_BYTES * 8);
    // The server may close while the frame is still being written.
    let _ = futures_util::SinkExt::send(&mut signal.socket, Message::text(huge)).await;
    assert_eq!(signal.closed().await, Some(1009), "Message Too Big");
    // The server itself is fine.
    let mut other = t.connect(&t.alice, "desktop").await;
    keepalive_is_acked(&mut other, "still-up").await;
}

#[tokio::test]
async fn repeated_abuse_closes_the_socket_with_a_clear_code() {
    let t = TestServer::start().await;
    let mut signal = t.connect(&t.alice, "laptop").await;
    let budget = config().max_socket_errors;
    for _ in 0..budget {
        signal.send_raw(Message::text("{")).await;
    }
    for _ in 0..budget {
        assert_eq!(
            error_code(signal.recv().await),
            SignalErrorCode::MalformedMessage
        );
    }
    assert_eq!(signal.closed().await, Some(close_code::TOO_MANY_ERRORS));
}

#[tokio::test]
async fn hello_comes_first() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let ticket = t.ticket(&token).await;
    let mut signal = t.open_socket(&ticket, Some(ORIGIN)).await.expect("opens");
    signal
        .send(&ClientMessage::Keepalive { id: "early".into() })
        .await;
    assert_eq!(
        error_code(signal.recv().await),
        SignalErrorCode::HelloRequired
    );
    signal
        .send(&ClientMessage::Hello {
            id: "h".into(),
            device_id: "d".into(),
            client: Some("test".into()),
        })
        .await;
    assert!(matches!(
        signal.recv().await,
        ServerMessage::Welcome {
            protocol: 1,
            keepalive_secs: 20,
            ..
        }
    ));
}

#[tokio::test]
async fn a_device_named_in_the_handshake_stands_for_hello() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    // A call rings while Alice's browser is away (a worker Chrome stopped).
    let laptop = t.connect_with_token(&token, "laptop").await;
    drop(laptop);
    t.wait_until_no_sockets().await;
    let ringing = t.ring(ADA_PHONE, &t.alice, "carrier-named-device").await;

    // Refused before the ticket is spent: a device name past 64 characters.
    let ticket = t.ticket(&token).await;
    let too_long = "d".repeat(65);
    assert_eq!(
        t.open_socket_offering(
            &format!("ringback.v1, ticket.{ticket}, device.{too_long}"),
            Some(ORIGIN)
        )
        .await
        .err(),
        Some(400)
    );

    // Named in the handshake, the browser is welcomed and the call re-sent
    // without a word from it.
    let mut back = t
        .open_socket_offering(
            &format!("ringback.v1, ticket.{ticket}, device.laptop"),
            Some(ORIGIN),
        )
        .await
        .expect("the same ticket opens the socket");
    assert!(matches!(back.recv().await, ServerMessage::Welcome { .. }));
    assert_eq!(back.expect_incoming().await.call_id, ringing.call_id);
    assert!(matches!(
        back.recv().await,
        ServerMessage::Availability { .. }
    ));
    back.take_resume_ticket().await;
    // It is the device named: its Accept wins the call.
    back.send(&accept("a", ringing.call_id)).await;
    assert_eq!(
        back.expect_ack_and_update("a", ringing.call_id).await,
        protocol::signal::CallUpdate::Accepted
    );
    // A Hello said anyway is only acknowledged.
    back.send(&ClientMessage::Hello {
        id: "late-hello".into(),
        device_id: "laptop".into(),
        client: None,
    })
    .await;
    assert!(matches!(back.recv().await, ServerMessage::Ack { id } if id == "late-hello"));
}

#[tokio::test]
async fn wrong_expired_and_reused_tickets_are_refused() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;

    assert_eq!(
        t.open_socket("made-up-ticket", Some(ORIGIN)).await.err(),
        Some(401)
    );

    let ticket = t.ticket(&token).await;
    let first = t.open_socket(&ticket, Some(ORIGIN)).await;
    assert!(first.is_ok());
    assert_eq!(
        t.open_socket(&ticket, Some(ORIGIN)).await.err(),
        Some(401),
        "single use"
    );

    let stale = t.ticket(&token).await;
    t.clock.advance(Duration::from_secs(61));
    assert_eq!(
        t.open_socket(&stale, Some(ORIGIN)).await.err(),
        Some(401),
        "expired"
    );
}

#[tokio::test]
async fn every_socket_is_sent_a_resume_ticket_for_the_next_one() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut first = t.connect_with_token(&token, "laptop").await;
    let ticket = first.take_resume_ticket().await;
    drop(first);

    // Long after a plain ticket would have gone, it still opens a socket.
    t.clock.advance(Duration::from_secs(20 * 60));
    let mut next = t.open_socket(&ticket, Some(ORIGIN)).await.expect("opens");
    next.send(&ClientMessage::Hello {
        id: "hello-resume".into(),
        device_id: "laptop".into(),
        client: None,
    })
    .await;
    assert!(matches!(next.recv().await, ServerMessage::Welcome { .. }));
    let another = next.take_resume_ticket().await;
    assert_ne!(another, ticket, "a fresh one each time");
    assert_eq!(
        t.open_socket(&ticket, Some(ORIGIN)).await.err(),
        Some(401),
        "the one used is spent"
    );
    drop(next);

    assert_eq!(t.sign_out(&token).await, 204);
    assert_eq!(
        t.open_socket(&another, Some(ORIGIN)).await.err(),
        Some(401),
        "signing out ends them"
    );
}

#[tokio::test]
async fn resume_tickets_expire_and_are_renewed_at_half_their_life() {
    let ttl = Duration::from_millis(600);
    let t = TestServer::start_with(Config {
        resume_ticket_ttl: ttl,
        ..config()
    })
    .await;
    let token = t.sign_in(&t.alice).await;
    let mut browser = t.connect_with_token(&token, "laptop").await;
    let first = browser.take_resume_ticket().await;
    // The next comes by itself, on the open socket, without a request.
    let renewed = browser.take_resume_ticket().await;
    assert_ne!(renewed, first);

    t.clock.advance(ttl + Duration::from_millis(1));
    assert_eq!(
        t.open_socket(&first, Some(ORIGIN)).await.err(),
        Some(401),
        "expired"
    );
}

#[tokio::test]
async fn origin_and_subprotocol_are_checked_before_the_ticket_is_spent() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let ticket = t.ticket(&token).await;
    assert_eq!(
        t.open_socket(&ticket, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(t.open_socket(&ticket, None).await.err(), Some(403));
    // Refused handshakes did not consume the ticket.
    assert!(t.open_socket(&ticket, Some(ORIGIN)).await.is_ok());

    // No ringback.v1 subprotocol offered.
    let url = format!("{}/api/v1/signal", t.base.replace("http://", "ws://"));
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", ORIGIN.parse().expect("header"));
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "chat".parse().expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400)
        }
        other => panic!("expected a 400, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_silent_socket_goes_offline_and_calls_ring_the_phone_only() {
    let mut config = config();
    config.presence_timeout = Duration::from_millis(700);
    let t = TestServer::start_with(config).await;
    let token = t.sign_in(&t.alice).await;
    let mut signal = t.connect_with_token(&token, "laptop").await;

    // Keepalives keep it up past the timeout: each goes out as soon as the
    // last was acked, for twice the timeout (no race with the clock).
    let started = tokio::time::Instant::now();
    let mut i = 0;
    while started.elapsed() < 2 * Duration::from_millis(700) {
        keepalive_is_acked(&mut signal, &format!("k{i}")).await;
        i += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        t.ring(ADA_PHONE, &t.alice, "carrier-online")
            .await
            .ring_browser
    );
    signal.expect_incoming().await;

    // ...silence closes it, and the rep is offline.
    assert_eq!(signal.closed().await, Some(close_code::IDLE_TIMEOUT));
    t.wait_until_no_sockets().await;
    assert!(
        !t.ring(ADA_PHONE, &t.alice, "carrier-offline")
            .await
            .ring_browser
    );
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let mut t = TestServer::start().await;
    let mut signal = t.connect(&t.alice, "laptop").await;
    let server = t.server.take().expect("running");
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(signal.closed().await, Some(close_code::GOING_AWAY));
    stopping.await.expect("joins").expect("clean shutdown");
}

#[tokio::test]
async fn signing_out_closes_that_sessions_socket_and_the_browser_stops_ringing() {
    let t = TestServer::start().await;
    let laptop_token = t.sign_in(&t.alice).await;
    let desktop_token = t.sign_in(&t.alice).await;
    let mut laptop = t.connect_with_token(&laptop_token, "laptop").await;
    let mut desktop = t.connect_with_token(&desktop_token, "desktop").await;

    assert_eq!(t.sign_out(&laptop_token).await, 204);
    assert_eq!(laptop.closed().await, Some(close_code::SIGNED_OUT));
    // The other session's socket is untouched.
    keepalive_is_acked(&mut desktop, "still-here").await;
    assert_eq!(t.sign_out(&desktop_token).await, 204);
    assert_eq!(desktop.closed().await, Some(close_code::SIGNED_OUT));

    // With no signed-in extension left, calls ring the phone only (signing
    // out is final: no presence grace).
    t.wait_until_no_sockets().await;
    assert!(
        !t.ring(ADA_PHONE, &t.alice, "carrier-after-sign-out")
            .await
            .ring_browser
    );
    // And the signed-out session cannot get a new ticket.
    let refused = t
        .http
        .post(t.url("/api/v1/ws-tickets"))
        .bearer_auth(&laptop_token)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn a_new_socket_from_the_same_browser_replaces_the_old_one() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let mut old = t.connect_with_token(&token, "laptop").await;
    let mut new = t.connect_with_token(&token, "laptop").await;
    assert_eq!(old.closed().await, Some(close_code::REPLACED));

    // One device, one socket: a call rings there once and one Accept wins.
    let call = t
        .ring(ADA_PHONE, &t.alice, "carrier-replaced")
        .await
        .call_id;
    assert_eq!(new.expect_incoming().await.call_id, call);
    new.send(&accept("a", call)).await;
    assert_eq!(
        new.expect_ack_and_update("a", call).await,
        protocol::signal::CallUpdate::Accepted
    );
    new.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn signing_out_between_ticket_and_hello_means_no_rings() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let ticket = t.ticket(&token).await;
    // The ticket is spent while the session is still signed in...
    let mut signal = t
        .open_socket(&ticket, Some(ORIGIN))
        .await
        .expect("socket opens");
    // ...and the rep signs out before the socket says Hello.
    assert_eq!(t.sign_out(&token).await, 204);
    signal
        .send(&ClientMessage::Hello {
            id: "hello".into(),
            device_id: "laptop".into(),
            client: None,
        })
        .await;
    assert_eq!(signal.closed().await, Some(close_code::SIGNED_OUT));
    t.wait_until_no_sockets().await;
    assert!(
        !t.ring(ADA_PHONE, &t.alice, "carrier-signed-out-before-hello")
            .await
            .ring_browser,
        "a signed-out extension never rings"
    );
}

#[tokio::test]
async fn pings_do_not_extend_the_wait_for_hello() {
    let mut config = config();
    config.presence_timeout = Duration::from_millis(500);
    let t = TestServer::start_with(config).await;
    let token = t.sign_in(&t.alice).await;
    let ticket = t.ticket(&token).await;
    let mut signal = t
        .open_socket(&ticket, Some(ORIGIN))
        .await
        .expect("socket opens");
    // Ping far more often than the deadline (at a pace the flood limit
    // allows), and never say Hello: the socket is closed anyway, well before
    // the test's patience runs out.
    use futures_util::{SinkExt, StreamExt};
    let gave_up = tokio::time::Instant::now() + PATIENCE;
    let mut next_ping = tokio::time::Instant::now();
    let code = loop {
        assert!(
            tokio::time::Instant::now() < gave_up,
            "pings kept a socket that never said Hello open"
        );
        if tokio::time::Instant::now() >= next_ping {
            signal
                .socket
                .send(Message::Ping(Vec::new().into()))
                .await
                .expect("ping");
            next_ping += Duration::from_millis(50);
        }
        match tokio::time::timeout_at(next_ping, signal.socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) | Err(_) => continue,
            Ok(Some(Err(_)) | None) => break None,
        }
    };
    assert_eq!(code, Some(close_code::IDLE_TIMEOUT));
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_is_closed_with_1007() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let t = TestServer::start().await;
    let mut signal = t.connect(&t.alice, "laptop").await;
    let invalid = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    signal.send_raw(Message::Frame(invalid)).await;
    assert_eq!(signal.closed().await, Some(1007));
}

#[tokio::test]
async fn a_burst_of_bad_frames_gets_every_reply_and_the_close() {
    use futures_util::SinkExt;
    let t = TestServer::start().await;
    let mut signal = t.connect(&t.alice, "laptop").await;
    // Twelve in a row, more than the error budget, so the last ones are
    // still arriving when the server closes: the client must still read each
    // reply the server sent before it closed, and then the close.
    for i in 0..12 {
        // The server may already have closed when the last ones go out.
        let _ = signal
            .socket
            .send(Message::text(format!(
                "not json {i} {}",
                "x".repeat(MAX_SIGNAL_FRAME_BYTES)
            )))
            .await;
        tokio::task::yield_now().await;
    }
    let budget = config().max_socket_errors;
    for _ in 0..budget {
        assert_eq!(
            error_code(signal.recv().await),
            SignalErrorCode::MessageTooLarge
        );
    }
    assert_eq!(signal.closed().await, Some(close_code::TOO_MANY_ERRORS));
}

#[tokio::test]
async fn presence_says_what_the_server_knows() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let presence = || async {
        let body: serde_json::Value = t
            .get(&token, "/api/v1/presence")
            .await
            .json()
            .await
            .expect("presence");
        body
    };
    assert_eq!(presence().await["online"], false);
    let signal = t.connect_with_token(&token, "laptop").await;
    let online = presence().await;
    assert_eq!(
        (online["online"].clone(), online["devices"].clone()),
        (true.into(), 1.into())
    );
    assert_eq!(online["hellos"], 1);
    drop(signal);
    t.wait_until_no_sockets().await;
    let offline = presence().await;
    assert_eq!(offline["online"], false);
    assert_eq!(offline["hellos"], 1, "hellos count up, never down");
    // Another rep's presence is not readable: the endpoint is the caller's own.
    assert_eq!(
        t.http
            .get(t.url("/api/v1/presence"))
            .send()
            .await
            .expect("request")
            .status(),
        401
    );
}

#[tokio::test]
async fn an_eleventh_browser_closes_the_one_connected_longest() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let limit = ringback_server::hub::MAX_DEVICES_PER_REP;
    let mut browsers = Vec::new();
    for i in 0..limit {
        browsers.push(t.connect_with_token(&token, &format!("browser-{i}")).await);
    }
    let mut newest = t.connect_with_token(&token, "one-too-many").await;
    assert_eq!(
        browsers[0].closed().await,
        Some(close_code::TOO_MANY_DEVICES)
    );
    keepalive_is_acked(&mut newest, "k").await;
    keepalive_is_acked(&mut browsers[1], "k").await;
    let presence: serde_json::Value = t
        .get(&token, "/api/v1/presence")
        .await
        .json()
        .await
        .expect("presence");
    assert_eq!(presence["devices"], limit);
}

#[tokio::test]
async fn a_flood_is_closed_and_other_reps_keep_ringing() {
    use futures_util::SinkExt;
    let t = TestServer::start().await;
    let mut flooder = t.connect(&t.alice, "laptop").await;
    let mut bob = t.connect(&t.bob, "desktop").await;
    for i in 0..(ringback_server::rate::SOCKET_BURST * 3) {
        let keepalive = ClientMessage::Keepalive {
            id: format!("k{i}"),
        };
        let text = serde_json::to_string(&keepalive).expect("json");
        if flooder.socket.send(Message::text(text)).await.is_err() {
            break;
        }
    }
    let code = loop {
        match tokio::time::timeout(PATIENCE, futures_util::StreamExt::next(&mut flooder.socket))
            .await
            .expect("the flood ends in time")
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(code, Some(close_code::TOO_MANY_ERRORS));
    // Bob was never slowed: his calls ring.
    let routed = t.ring(ADA_PHONE, &t.bob, "carrier-bob-during-flood").await;
    assert!(routed.ring_browser);
    assert_eq!(bob.expect_incoming().await.call_id, routed.call_id);
}

#[tokio::test]
async fn a_session_holds_a_bounded_number_of_tickets() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let first = t.ticket(&token).await;
    for _ in 0..50 {
        t.ticket(&token).await;
    }
    let last = t.ticket(&token).await;
    let db = t.raw_db().await;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ws_tickets")
        .fetch_one(&db)
        .await
        .expect("count");
    assert!(
        count <= ringback_server::store::MAX_TICKETS_PER_SESSION,
        "{count} tickets kept"
    );
    assert_eq!(
        t.open_socket(&first, Some(ORIGIN)).await.err(),
        Some(401),
        "the oldest made room"
    );
    assert!(
        t.open_socket(&last, Some(ORIGIN)).await.is_ok(),
        "the newest works"
    );
}

#[tokio::test]
async fn a_call_while_the_only_socket_is_briefly_gone_rings_when_it_reconnects() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let signal = t.connect_with_token(&token, "laptop").await;
    // Chrome stops the worker: its socket just goes, with no close frame.
    drop(signal);
    t.wait_until_no_sockets().await;

    let ringing = t.ring(ADA_PHONE, &t.alice, "carrier-during-restart").await;
    assert!(ringing.ring_browser, "the browser was here a moment ago");

    // The worker is back: the call rings there, and Accept wins it.
    let mut back = t.connect_with_token(&token, "laptop").await;
    assert_eq!(back.expect_incoming().await.call_id, ringing.call_id);
    back.send(&accept("a", ringing.call_id)).await;
    assert_eq!(
        back.expect_ack_and_update("a", ringing.call_id).await,
        protocol::signal::CallUpdate::Accepted
    );

    // Gone for longer than the grace: the phone only.
    drop(back);
    t.wait_until_no_sockets().await;
    t.clock
        .advance(Duration::from_millis(calls::PRESENCE_GRACE_MS as u64 + 1));
    assert!(
        !t.ring(ADA_PHONE, &t.alice, "carrier-long-gone")
            .await
            .ring_browser
    );
}

#[tokio::test]
async fn a_socket_closed_for_silence_leaves_no_grace() {
    let mut config = config();
    config.presence_timeout = Duration::from_millis(300);
    let t = TestServer::start_with(config).await;
    let mut signal = t.connect(&t.alice, "laptop").await;
    // Silent for the whole presence timeout already: not "a moment ago".
    assert_eq!(signal.closed().await, Some(close_code::IDLE_TIMEOUT));
    t.wait_until_no_sockets().await;
    assert!(
        !t.ring(ADA_PHONE, &t.alice, "carrier-after-silence")
            .await
            .ring_browser
    );
}
