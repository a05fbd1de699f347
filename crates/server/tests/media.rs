//! Call audio end to end: the ring carries a real SDP offer, a WebRTC
//! softphone (str0m, full ICE, standing in for Chromium) answers it through
//! Accept, and audio crosses real UDP on 127.0.0.1 both ways. Voicemail is
//! recorded to a WAV served with Range support.

mod common;

use common::audio::{one_second_greeting, wav};
use common::*;
use media::audio::{Clip, LevelMeter, SILENCE_DBFS, level_dbfs};
use media::softphone::{Softphone, Voice};
use protocol::signal::{CallUpdate, ClientMessage, ServerMessage, SignalErrorCode};
use protocol::{CallStatus, DialerSettings, LegState, NoAnswerAction};
use reqwest::header::{CONTENT_RANGE, RANGE};
use std::time::Duration;

/// Whether the server lets go of a call's audio (waited on with the suite's
/// patience: how fast it goes is not this test's business).
async fn audio_released(t: &TestServer, carrier_call_id: &str) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if t.media_report(carrier_call_id).await.0 == 404 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn accepted_call_audio_flows_both_ways_and_mute_is_silence() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-audio").await;
    let incoming = browser.expect_incoming().await;
    let offer = incoming
        .offer
        .expect("a ring that reaches the browser carries an SDP offer");
    for line in [
        "m=audio",
        "PCMU/8000",
        "telephone-event/8000",
        "a=fingerprint:",
        "a=ice-lite",
        "typ host",
    ] {
        assert!(offer.contains(line), "the offer has {line}:\n{offer}");
    }
    assert!(!offer.contains("m=video"), "audio only");

    let (phone, answer) = Softphone::answer(&offer).expect("the softphone answers");
    browser
        .send(&accept_with_answer("a1", routed.call_id, &answer))
        .await;
    assert_eq!(
        browser.expect_ack_and_update("a1", routed.call_id).await,
        CallUpdate::Accepted
    );

    // The rep speaks (a tone); the stand-in caller speaks its recording.
    let phone = talk(phone, Voice::Tone, Duration::from_secs(3)).await;
    assert!(phone.connected(), "ICE and DTLS came up");
    assert!(
        phone.packets_received() > 50,
        "the browser side heard the prospect"
    );
    assert!(
        phone.heard().loud_frames() > 10,
        "what arrived is speech, not silence"
    );
    let (status, report) = t.media_report("carrier-audio").await;
    assert_eq!(status, 200);
    assert_eq!(report["kind"], "browser");
    assert_eq!(report["connected"], true);
    assert!(
        report["packets_received"].as_u64().unwrap_or(0) > 50,
        "{report}"
    );
    assert!(
        report["heard_dbfs"].as_f64().unwrap_or(SILENCE_DBFS) > LevelMeter::SPEECH_DBFS,
        "{report}"
    );

    // Muted: the server hears silence.
    let phone = talk(phone, Voice::Silence, Duration::from_secs(1)).await;
    let (_, report) = t.media_report("carrier-audio").await;
    assert!(
        report["heard_dbfs"].as_f64().unwrap_or(0.0) <= LevelMeter::SPEECH_DBFS,
        "{report}"
    );
    drop(phone);

    // The rep hangs up: the call ends and its audio is released.
    browser
        .send(&ClientMessage::HangUp {
            id: "h1".into(),
            call_id: routed.call_id,
        })
        .await;
    assert_eq!(
        browser.expect_ack_and_update("h1", routed.call_id).await,
        CallUpdate::Ended
    );
    let view = t
        .wait_for_call(&token, routed.call_id, |v| v.status == CallStatus::Ended)
        .await;
    let talked = view.ended_at.zip(view.answered_at).map(|(e, a)| e - a);
    assert!(
        talked.is_some_and(|ms| ms >= 4_000),
        "the duration is fixed at hang-up: {talked:?}"
    );
    assert!(
        audio_released(&t, "carrier-audio").await,
        "the call's audio outlived the call"
    );
}

#[tokio::test]
async fn an_unusable_answer_refuses_the_accept_and_the_call_keeps_ringing() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-bad-answer").await;
    let offer = browser.expect_incoming().await.offer.expect("offer");

    for bad in ["v=0\r\nthis is not SDP", &"x".repeat(10_000)] {
        browser
            .send(&accept_with_answer("bad", routed.call_id, bad))
            .await;
        match browser.recv().await {
            ServerMessage::Error { id, code, message } => {
                assert_eq!(id.as_deref(), Some("bad"), "{code:?}: {message}");
                assert_eq!(code, SignalErrorCode::InvalidAnswer);
                assert!(message.contains("still ringing"), "{message}");
            }
            other => panic!("expected invalid_answer, got {other:?}"),
        }
    }
    let view = t.call(&token, routed.call_id).await;
    assert_eq!(view.status, CallStatus::Ringing);
    assert_eq!(view.browser_leg, LegState::Ringing);

    // A good answer still wins the call.
    let (_phone, answer) = Softphone::answer(&offer).expect("answer");
    browser
        .send(&accept_with_answer("good", routed.call_id, &answer))
        .await;
    assert_eq!(
        browser.expect_ack_and_update("good", routed.call_id).await,
        CallUpdate::Accepted
    );
}

#[tokio::test]
async fn voicemail_plays_the_reps_greeting_and_records_the_caller() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    t.put_settings(
        &token,
        &DialerSettings {
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_secs: DialerSettings::MIN_RING_TIMEOUT_SECS,
            ..DialerSettings::default()
        },
    )
    .await;

    // A greeting that is not 8 kHz mono is refused with the fix.
    let greeting_url = t.url("/api/v1/settings/greeting");
    let refused = t
        .http
        .put(&greeting_url)
        .bearer_auth(&token)
        .body(wav(&[0; 4410], 44_100, 2))
        .send()
        .await
        .expect("put");
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.expect("error body");
    assert!(body.to_string().contains("sox"), "{body}");
    let saved = t
        .http
        .put(&greeting_url)
        .bearer_auth(&token)
        .body(one_second_greeting())
        .send()
        .await
        .expect("put");
    assert_eq!(saved.status(), 204);

    let mut browser = t.connect_with_token(&token, "laptop").await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-voicemail").await;
    let call = browser.expect_incoming().await.call_id;
    assert_eq!(
        browser.expect_update(call).await,
        CallUpdate::NoAnswer {
            outcome: protocol::CallOutcome::Voicemail
        }
    );
    // Wait on what the server reports, never on the clock: the one-second
    // greeting plays in full (and no further), then two seconds are recorded.
    let report = t
        .media_report_until("carrier-voicemail", |r| r["greeting_frames"] == 50)
        .await;
    assert_eq!(report["kind"], "voicemail");
    let report = t
        .media_report_until("carrier-voicemail", |r| {
            r["recorded_ms"].as_u64().is_some_and(|ms| ms >= 2_000)
        })
        .await;
    assert_eq!(
        report["greeting_frames"], 50,
        "the rep's one-second greeting played once: {report}"
    );
    let recorded_at_hang_up = report["recorded_ms"].as_i64().unwrap_or(0);
    assert_eq!(
        t.carrier_event("carrier-voicemail", "caller_hung_up").await,
        204
    );

    let view = t
        .wait_for_call(&token, routed.call_id, |v| v.recording.is_some())
        .await;
    let recording = view.recording.expect("recording");
    assert!(
        (recording.duration_ms - recorded_at_hang_up).abs() < 400,
        "recorded {} ms, the server reported {recorded_at_hang_up} ms just before the hang-up",
        recording.duration_ms
    );

    // The WAV: 8 kHz, 16-bit mono, that length, not silent.
    let url = t.url(&format!("/api/v1/calls/{}/recording", routed.call_id));
    let response = t
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("body");
    assert_eq!(bytes.len() as i64, recording.bytes);
    let clip = Clip::from_wav(&bytes, 120).expect("an 8 kHz 16-bit mono WAV");
    assert_eq!(clip.duration_ms() as i64, recording.duration_ms);
    assert!(
        level_dbfs(clip.samples()) > LevelMeter::SPEECH_DBFS,
        "not silent"
    );

    // Range requests work, so the page's player can seek.
    let partial = t
        .http
        .get(&url)
        .bearer_auth(&token)
        .header(RANGE, "bytes=44-1043")
        .send()
        .await
        .expect("range get");
    assert_eq!(partial.status(), 206);
    let range = partial.headers()[CONTENT_RANGE]
        .to_str()
        .expect("header")
        .to_owned();
    assert_eq!(range, format!("bytes 44-1043/{}", recording.bytes));
    assert_eq!(partial.bytes().await.expect("body")[..], bytes[44..1044]);

    // Another rep cannot fetch it.
    let bob = t.sign_in(&t.bob).await;
    let other = t
        .http
        .get(&url)
        .bearer_auth(&bob)
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn a_closed_ring_keeps_its_audio_until_the_phone_answers() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    t.put_settings(
        &token,
        &DialerSettings {
            forwarding_number: Some("+14155550199".into()),
            ..DialerSettings::default()
        },
    )
    .await;

    // Closed, then accepted after all (say, from the Calls list): audio flows.
    let first = t.ring(ADA_PHONE, &t.alice, "carrier-close-accept").await;
    let offer = browser.expect_incoming().await.offer.expect("offer");
    browser.send(&close("c1", first.call_id)).await;
    assert_eq!(
        browser.expect_ack_and_update("c1", first.call_id).await,
        CallUpdate::RingingClosed
    );
    assert_eq!(
        t.media_report("carrier-close-accept").await.0,
        200,
        "the leg stays"
    );
    let (phone, answer) = Softphone::answer(&offer).expect("answer");
    browser
        .send(&accept_with_answer("a1", first.call_id, &answer))
        .await;
    assert_eq!(
        browser.expect_ack_and_update("a1", first.call_id).await,
        CallUpdate::Accepted
    );
    // The same Accept again (a lost reply) is recognised, not refused.
    browser
        .send(&accept_with_answer("a2", first.call_id, &answer))
        .await;
    assert_eq!(
        browser.expect_ack_and_update("a2", first.call_id).await,
        CallUpdate::Accepted
    );
    let phone = talk(phone, Voice::Tone, Duration::from_secs(2)).await;
    assert!(phone.connected() && phone.packets_received() > 20);

    // Answered on the phone: the browser's leg goes at once, the call goes on.
    let second = t.ring(ADA_PHONE, &t.alice, "carrier-phone-answers").await;
    browser.expect_incoming().await;
    assert_eq!(t.media_report("carrier-phone-answers").await.0, 200);
    assert_eq!(
        t.carrier_event("carrier-phone-answers", "phone_answered")
            .await,
        204
    );
    assert!(
        audio_released(&t, "carrier-phone-answers").await,
        "the browser leg went when the phone answered"
    );
    let view = t.call(&token, second.call_id).await;
    assert_eq!(
        view.status,
        CallStatus::Connected,
        "the call goes on, on the phone"
    );
}
