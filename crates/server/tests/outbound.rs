//! Outbound calls from the Dialer: Ringback INVITEs the prospect through the
//! trunk (`--trunk-uri`), sipp answering as the prospect over real UDP on
//! 127.0.0.1, and a str0m softphone as the rep's browser.
//!
//! One at a time, as the trunk tests: sipp paces its audio in real time.

mod common;

use common::dial::expect_progress;
use common::sipp::{Sipp, free_udp_port};
use common::*;
use media::softphone::{Softphone, Voice};
use protocol::api::{CallDirection, CallPage, CallView, DialOutcome, DialResponse};
use protocol::signal::{ClientMessage, DialProgress, ServerMessage, SignalErrorCode};
use protocol::{CallId, CallStatus};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

fn u64_at(report: &Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(report, |value, key| &value[*key])
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_call_dialled_from_the_browser_reaches_the_prospect_with_audio_both_ways_and_logs_once() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let prospect_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(prospect_port)).await;
    let (token, mut laptop) = t.alice_online().await;
    // The prospect rings for a second, answers, and echoes what it hears.
    let prospect = Sipp::phone("phone-answers.xml", prospect_port, 1_000);

    // "0" is read in the team's region (US): the number is Ada's.
    let (status, body) = t.dial(&token, "(415) 555-0111").await;
    assert_eq!(status, 201, "{body}");
    let placed: DialResponse = serde_json::from_value(body).expect("dial response");
    assert_eq!(placed.to, ADA_PHONE);
    assert_eq!(
        placed.caller_id, t.alice.dialer_number,
        "her dialer number shows"
    );
    assert_eq!(placed.person.name.as_deref(), Some("Ada Lovelace"));
    let call = placed.call_id;
    let (phone, answer) = Softphone::answer(&placed.offer).expect("an answer to the offer");
    let answered = t
        .post_status(
            &token,
            &format!("/api/v1/calls/{call}/answer"),
            &json!({ "answer": answer }),
        )
        .await;
    assert_eq!(answered, 204);

    assert_eq!(
        expect_progress(&mut laptop, call).await,
        DialProgress::Ringing
    );
    assert_eq!(
        expect_progress(&mut laptop, call).await,
        DialProgress::Connected
    );
    let view: CallView = t.call(&token, call).await;
    assert_eq!(view.status, CallStatus::Connected);
    assert_eq!(view.direction, CallDirection::Outbound);

    // The rep speaks (a tone); the prospect echoes it back.
    let phone = talk(phone, Voice::Tone, Duration::from_secs(3)).await;
    assert!(phone.connected(), "ICE and DTLS came up");
    assert!(
        phone.packets_received() > 50 && phone.heard().loud_frames() > 10,
        "the prospect's RTP reached the browser ({} packets)",
        phone.packets_received()
    );
    let report = t.call_media(call).await.expect("the call's media");
    assert_eq!(report["kind"], "browser", "{report}");
    assert!(
        u64_at(&report, &["trunk", "packets_sent"]) > 50
            && u64_at(&report, &["trunk", "packets_received"]) > 50,
        "the browser's audio went to the prospect and came back: {report}"
    );
    drop(phone);

    // The panel's Hang up, over the socket as for any call.
    laptop
        .send(&ClientMessage::HangUp {
            id: "h1".into(),
            call_id: call,
        })
        .await;
    let mut acked = false;
    let mut ended = None;
    while !acked || ended.is_none() {
        match laptop.recv().await {
            ServerMessage::Ack { id } if id == "h1" => acked = true,
            ServerMessage::DialUpdate { call_id, update } if call_id == call => {
                ended = Some(update)
            }
            other => panic!("expected the hang-up's ack and the end, got {other:?}"),
        }
    }
    assert_eq!(
        ended,
        Some(DialProgress::Ended {
            outcome: DialOutcome::Connected
        })
    );
    prospect.succeeds("the prospect got a BYE").await;
    let view: CallView = t.call(&token, call).await;
    assert_eq!(view.status, CallStatus::Ended);
    assert_eq!(view.dial_outcome, Some(DialOutcome::Connected));
    assert_eq!(view.from, t.alice.dialer_number);
    assert_eq!(view.to, ADA_PHONE);
    assert!(view.answered_at.is_some());

    // Logged once, on Ada.
    for _ in 0..2 {
        let logged = t
            .post_log(
                &token,
                call,
                &json!({"idempotency_key": "dialled-ada", "notes": "Booked a demo"}),
            )
            .await;
        assert!(
            matches!(logged.status().as_u16(), 200 | 201),
            "{}",
            logged.status()
        );
    }
    let history: CallPage = t
        .get(&token, &format!("/api/v1/calls?person_id={}", t.ada.0))
        .await
        .json()
        .await
        .expect("history");
    let listed: Vec<_> = history.calls.iter().filter(|c| c.id == call).collect();
    assert_eq!(listed.len(), 1, "listed once");
    assert_eq!(
        listed[0].log.as_ref().map(|l| l.notes.as_str()),
        Some("Booked a demo")
    );
    // Over: nothing more to hang up.
    let again = t
        .post_status(&token, &format!("/api/v1/calls/{call}/hang-up"), &json!({}))
        .await;
    assert_eq!(again, 404);
}

#[tokio::test]
async fn a_busy_prospect_ends_the_call_as_busy() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let prospect_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(prospect_port)).await;
    let (token, mut laptop) = t.alice_online().await;
    let prospect = Sipp::phone("phone-busy.xml", prospect_port, 0);

    let (status, body) = t.dial(&token, ADA_PHONE).await;
    assert_eq!(status, 201, "{body}");
    let call = CallId(body["call_id"].as_i64().expect("call id"));
    assert_eq!(
        expect_progress(&mut laptop, call).await,
        DialProgress::Ended {
            outcome: DialOutcome::Busy
        }
    );
    prospect.succeeds("the prospect said busy").await;
    let view: CallView = t.call(&token, call).await;
    assert_eq!(
        (view.status, view.dial_outcome),
        (CallStatus::Ended, Some(DialOutcome::Busy))
    );
    let media = t.call_media(call).await;
    assert!(media.is_none(), "the call's audio is released: {media:?}");
}

#[tokio::test]
async fn what_cannot_be_dialled_is_refused_with_the_reason() {
    let _serial = ONE_AT_A_TIME.lock().await;
    // No --trunk-uri: nothing to place calls through.
    let t = TestServer::start_with(sip_config()).await;
    let token = t.sign_in(&t.alice).await;
    let (status, body) = t.dial(&token, ADA_PHONE).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.to_string().contains("--trunk-uri"), "{body}");

    let prospect_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(prospect_port)).await;
    let token = t.sign_in(&t.alice).await;
    let (status, body) = t.dial(&token, "call me maybe").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("to:"), "{body}");
    let no_device = t
        .send_json(
            reqwest::Method::POST,
            &token,
            "/api/v1/calls/dial",
            &json!({"to": ADA_PHONE, "device_id": ""}),
        )
        .await;
    assert_eq!(no_device.status(), 422);
    let bob = t.sign_in(&t.bob).await;
    let someone_elses = t
        .send_json(
            reqwest::Method::POST,
            &bob,
            "/api/v1/calls/dial",
            &json!({"to": ADA_PHONE, "device_id": "desk", "person_id": t.ada.0}),
        )
        .await;
    assert_eq!(someone_elses.status(), 404, "Ada is Alice's, not Bob's");

    // A prospect who never answers: Bob cannot touch Alice's call, she can.
    let prospect = Sipp::phone("phone-rings.xml", prospect_port, 0);
    let (status, body) = t.dial(&token, ADA_PHONE).await;
    assert_eq!(status, 201, "{body}");
    let call = CallId(body["call_id"].as_i64().expect("call id"));
    let answer = json!({"answer": "v=0"});
    assert_eq!(
        t.post_status(&bob, &format!("/api/v1/calls/{call}/answer"), &answer)
            .await,
        404
    );
    assert_eq!(
        t.post_status(&bob, &format!("/api/v1/calls/{call}/hang-up"), &json!({}))
            .await,
        404
    );
    assert_eq!(
        t.post_status(&token, &format!("/api/v1/calls/{call}/answer"), &answer)
            .await,
        422
    );
    assert_eq!(
        t.post_status(&token, &format!("/api/v1/calls/{call}/hang-up"), &json!({}))
            .await,
        204
    );
    prospect
        .succeeds("the prospect's ringing was cancelled")
        .await;
    let view: CallView = t.call(&token, call).await;
    assert_eq!(view.dial_outcome, Some(DialOutcome::Cancelled));
}

/// The reply to keypad `digits` sent on `socket`: `Ok` for an ack, else the
/// error's code and message.
async fn press(
    socket: &mut Signal,
    call_id: CallId,
    digits: &str,
) -> Result<(), (SignalErrorCode, String)> {
    let id = format!("keys-{digits}");
    socket
        .send(&ClientMessage::Digits {
            id: id.clone(),
            call_id,
            digits: digits.into(),
        })
        .await;
    match socket.recv().await {
        ServerMessage::Ack { id: acked } if acked == id => Ok(()),
        ServerMessage::Error {
            id: Some(refused),
            code,
            message,
        } if refused == id => Err((code, message)),
        other => panic!("expected the reply to {id}, got {other:?}"),
    }
}

#[tokio::test]
async fn keypad_digits_reach_the_prospect_as_telephone_events_in_the_audio_stream() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let prospect_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(prospect_port)).await;
    let (token, mut laptop) = t.alice_online().await;
    // The prospect's SDP names this socket: what Ringback sends lands here.
    let rtp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("the prospect's RTP socket");
    let rtp_port = rtp.local_addr().expect("address").port().to_string();
    let prospect = Sipp::phone_with(
        "phone-answers-keypad.xml",
        prospect_port,
        500,
        &["-key", "rtp_port", &rtp_port],
    );
    let (call, phone) = t.dial_until_connected(&token, &mut laptop).await;
    // The rep talks throughout; her audio reaches the prospect first.
    let talking = tokio::spawn(talk(phone, Voice::Tone, Duration::from_secs(6)));
    let mut buf = [0u8; 2048];
    let mut read = async || {
        let (len, _) = tokio::time::timeout(Duration::from_secs(10), rtp.recv_from(&mut buf))
            .await
            .expect("RTP from Ringback in time")
            .expect("a datagram");
        buf[..len].to_vec()
    };
    let audio = loop {
        let packet = read().await;
        let parsed = media::rtp::parse(&packet).expect("RTP");
        if parsed.payload_type == 0 {
            break parsed.ssrc;
        }
    };

    assert_eq!(press(&mut laptop, call, "1#9").await, Ok(()));
    // Each event's packets, in order, and what audio came while one sounded.
    let mut events: Vec<Vec<(u32, [u8; 4])>> = Vec::new();
    let mut audio_during_a_tone = 0;
    let mut ends_of_last = 0;
    while events.len() < 3 || ends_of_last < 3 {
        let packet = read().await;
        let p = media::rtp::parse(&packet).expect("RTP");
        assert_eq!(p.ssrc, audio, "one stream: the audio's SSRC");
        if p.payload_type == 0 {
            if ends_of_last < 3 && !events.is_empty() {
                audio_during_a_tone += 1;
            }
            continue;
        }
        assert_eq!(p.payload_type, 101, "the payload type the prospect offered");
        let payload: [u8; 4] = p.payload.try_into().expect("a 4-byte event");
        if p.marker {
            events.push(Vec::new());
            ends_of_last = 0;
        }
        let event = events.last_mut().expect("an event starts with the marker");
        event.push((p.timestamp, payload));
        if payload[1] & 0x80 != 0 {
            ends_of_last += 1;
        }
    }
    assert_eq!(audio_during_a_tone, 0, "no audio while a tone sounds");
    let codes: Vec<u8> = events.iter().map(|e| e[0].1[0]).collect();
    assert_eq!(codes, [1, 11, 9], "the digits' event codes, in order");
    for event in &events {
        let timestamps: Vec<u32> = event.iter().map(|p| p.0).collect();
        assert!(
            timestamps.iter().all(|&ts| ts == timestamps[0]),
            "{timestamps:?}"
        );
        let durations: Vec<u16> = event
            .iter()
            .map(|p| u16::from_be_bytes([p.1[2], p.1[3]]))
            .collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        let ends = event.iter().filter(|p| p.1[1] & 0x80 != 0).count();
        assert_eq!(ends, 3, "the end is sent three times");
        assert!(event.iter().all(|p| p.1[1] & 0x3f == 10), "volume 10");
    }
    // A gap between digits: the next starts 60 ms after the last one ended.
    let gap = events[1][0].0.wrapping_sub(events[0][0].0);
    assert!(gap >= 10 * 160, "{gap} samples from one digit to the next");
    let report = t.call_media(call).await.expect("the call's media");
    assert_eq!(u64_at(&report, &["trunk", "telephone_events_sent"]), 21);

    drop(talking.await.expect("the softphone"));
    assert_eq!(
        t.post_status(&token, &format!("/api/v1/calls/{call}/hang-up"), &json!({}))
            .await,
        204
    );
    prospect.succeeds("the prospect got a BYE").await;
}

#[tokio::test]
async fn keypad_digits_are_refused_clearly_when_they_cannot_be_sent() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let prospect_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(prospect_port)).await;
    let (token, mut laptop) = t.alice_online().await;
    // This prospect offers PCMU alone: no telephone-event.
    let prospect = Sipp::phone("phone-answers.xml", prospect_port, 500);
    let (call, _phone) = t.dial_until_connected(&token, &mut laptop).await;

    let (code, message) = press(&mut laptop, call, "1").await.expect_err("refused");
    assert_eq!(code, SignalErrorCode::DigitsRefused);
    assert_eq!(message, "The other side does not accept keypad tones.");
    let (code, message) = press(&mut laptop, call, "12x").await.expect_err("refused");
    assert_eq!(code, SignalErrorCode::DigitsRefused);
    assert!(message.contains("'x' is not a keypad key"), "{message}");
    let (code, _) = press(&mut laptop, call, &"1".repeat(33))
        .await
        .expect_err("too many");
    assert_eq!(code, SignalErrorCode::DigitsRefused);
    // Her other browser is not the one on the call.
    let mut desk = t.connect_with_token(&token, "desk").await;
    let (code, message) = press(&mut desk, call, "1").await.expect_err("refused");
    assert_eq!(code, SignalErrorCode::DigitsRefused);
    assert!(message.contains("not"), "{message}");
    // Bob cannot press keys on Alice's call: it is as missing as none.
    let bob = t.sign_in(&t.bob).await;
    let mut bobs = t.connect_with_token(&bob, "bobs").await;
    let (code, _) = press(&mut bobs, call, "1").await.expect_err("refused");
    assert_eq!(code, SignalErrorCode::CallNotFound);

    assert_eq!(
        t.post_status(&token, &format!("/api/v1/calls/{call}/hang-up"), &json!({}))
            .await,
        204
    );
    prospect.succeeds("the prospect got a BYE").await;
}
