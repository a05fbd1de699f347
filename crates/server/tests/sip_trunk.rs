//! The carrier SIP trunk, with sipp as the carrier over real UDP on
//! 127.0.0.1 and a str0m softphone as the rep's browser.
//!
//! The tests in this binary run one at a time: sipp paces its audio in real
//! time, and the voicemail test compares lengths.

mod common;

use common::sipp::{Sipp, free_udp_port};
use common::*;
use media::audio::{Clip, LevelMeter, level_dbfs};
use media::softphone::Voice;
use protocol::signal::{CallUpdate, ServerMessage};
use protocol::{CallOutcome, DialerSettings, NoAnswerAction};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;
use tokio::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

fn u64_at(report: &serde_json::Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(report, |value, key| &value[*key])
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_sip_call_rings_the_browser_and_audio_crosses_the_bridge_both_ways() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (token, mut browser) = t.alice_online().await;
    // The dialer number without '+', as some carriers send it.
    let dialed = t.alice.dialer_number.trim_start_matches('+');
    let sipp = Sipp::call("prospect-calls.xml", t.sip_addr(), dialed, ADA_PHONE, 8_000);

    let (incoming, phone) = answer_in_browser(&mut browser).await;
    assert_eq!(incoming.person.name.as_deref(), Some("Ada Lovelace"));

    // The rep speaks (a tone) while sipp streams the prospect's recording.
    let phone = talk(phone, Voice::Tone, Duration::from_secs(3)).await;
    assert!(phone.connected(), "ICE and DTLS came up");
    assert!(
        phone.packets_received() > 50 && phone.heard().loud_frames() > 10,
        "the caller's RTP reached the browser as speech ({} packets)",
        phone.packets_received()
    );
    let (status, report) = t.media_report(&sipp.carrier_call_id()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["kind"], "browser", "{report}");
    assert!(
        u64_at(&report, &["trunk", "packets_received"]) > 50,
        "the carrier's RTP arrived: {report}"
    );
    assert!(
        u64_at(&report, &["trunk", "packets_sent"]) > 50,
        "the browser's audio went out to the carrier: {report}"
    );
    assert!(
        report["heard_dbfs"].as_f64().unwrap_or(-100.0) > LevelMeter::SPEECH_DBFS,
        "what went out is the rep's tone: {report}"
    );
    drop(phone);

    // sipp hangs up (BYE): the browser hears it, the call is over.
    sipp.succeeds("sipp").await;
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
async fn a_caller_who_cancels_while_it_rings_is_a_missed_call() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (token, mut browser) = t.alice_online().await;
    let sipp = Sipp::call(
        "prospect-cancels.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        1_000,
    );
    let incoming = browser.expect_incoming().await;
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::CallerHungUp
    );
    sipp.succeeds("sipp got 200 for its CANCEL and 487 for its INVITE")
        .await;
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::Missed)
    );
}

#[tokio::test]
async fn nobody_answers_and_voicemail_records_the_callers_rtp() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let token = t.sign_in(&t.alice).await;
    t.put_settings(
        &token,
        &DialerSettings {
            no_answer_action: NoAnswerAction::Voicemail,
            forwarding_number: None,
            ..DialerSettings::default()
        },
    )
    .await;
    // Offline with no phone: voicemail answers at once.
    let talk_ms = 9_000;
    let sipp = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        talk_ms,
    );
    let carrier_id = sipp.carrier_call_id();
    sipp.succeeds("sipp").await;

    let calls: serde_json::Value = t
        .get(&token, "/api/v1/calls")
        .await
        .json()
        .await
        .expect("calls");
    let call_id = calls["calls"][0]["id"]
        .as_i64()
        .expect("the call is listed");
    let view = t
        .wait_for_call(&token, protocol::CallId(call_id), |v| v.recording.is_some())
        .await;
    assert_eq!(view.outcome, Some(CallOutcome::Voicemail));
    let recording = t
        .get(&token, &format!("/api/v1/calls/{call_id}/recording"))
        .await;
    assert_eq!(recording.status(), 200, "{carrier_id}");
    let wav = Clip::from_wav(&recording.bytes().await.expect("wav"), 600).expect("a readable WAV");
    let greeting = Clip::from_wav(media::audio::shipped::GREETING_WAV, 600).expect("greeting");
    let expected = talk_ms.saturating_sub(greeting.duration_ms());
    let got = wav.duration_ms();
    assert!(
        got.abs_diff(expected) <= 300,
        "sipp talked {talk_ms} ms, the greeting took {} ms, so {expected} ms should be recorded; got {got} ms",
        greeting.duration_ms()
    );
    assert!(
        level_dbfs(wav.samples()) > LevelMeter::SPEECH_DBFS,
        "the recording is the caller's voice, not silence"
    );
}

/// A SIP request over UDP from a socket of its own; returns the first final
/// status (skipping 1xx), or `None` when nothing answers in a second.
fn final_status(to: SocketAddr, request: &str) -> Option<u16> {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let request = request.replace(
        "{port}",
        &socket.local_addr().expect("addr").port().to_string(),
    );
    socket.send_to(request.as_bytes(), to).expect("send");
    let mut buf = [0u8; 4096];
    loop {
        let (len, _) = socket.recv_from(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..len]);
        let status: u16 = text.split_whitespace().nth(1)?.parse().ok()?;
        if status >= 200 {
            return Some(status);
        }
    }
}

fn invite(user: &str, sdp: &str) -> String {
    let branch = free_udp_port();
    format!(
        "INVITE sip:{user}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{{port}};branch=z9hG4bK{branch};rport\r\nFrom: <sip:+14155550111@127.0.0.1>;tag=raw{branch}\r\nTo: <sip:{user}@127.0.0.1>\r\nCall-ID: raw-{branch}@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:+14155550111@127.0.0.1:{{port}}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

const PCMU_OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn options() -> String {
    let branch = free_udp_port();
    format!(
        "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{{port}};branch=z9hG4bKo{branch};rport\r\nFrom: <sip:carrier@127.0.0.1>;tag=o{branch}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: options-{branch}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn the_trunk_refuses_what_it_cannot_take_with_the_right_status() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (_token, mut browser) = t.alice_online().await;
    let sip = t.sip_addr();
    let ask = |request: String| tokio::task::spawn_blocking(move || final_status(sip, &request));

    assert_eq!(
        ask(options()).await.expect("task"),
        Some(200),
        "OPTIONS probes"
    );
    assert_eq!(
        ask(invite("+19995550000", PCMU_OFFER)).await.expect("task"),
        Some(404),
        "no rep has that dialer number"
    );
    let pcma_only = PCMU_OFFER
        .replace("RTP/AVP 0", "RTP/AVP 8")
        .replace("0 PCMU", "8 PCMA");
    assert_eq!(
        ask(invite(&t.alice.dialer_number, &pcma_only))
            .await
            .expect("task"),
        Some(488),
        "an offer without PCMU"
    );
    browser.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn invites_from_outside_the_allow_list_get_403_and_ring_nothing() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut config = sip_config();
    config.trunk_allow = sip::AllowList::new(vec!["192.0.2.0/24".parse().expect("cidr")]);
    let t = TestServer::start_with(config).await;
    let (_token, mut browser) = t.alice_online().await;
    let sip = t.sip_addr();
    let request = invite(&t.alice.dialer_number, PCMU_OFFER);
    let status = tokio::task::spawn_blocking(move || final_status(sip, &request))
        .await
        .expect("task");
    assert_eq!(status, Some(403));
    browser.expect_silence(Duration::from_millis(500)).await;
    let state = t.server.as_ref().expect("running").state();
    assert_eq!(state.exchange().live_count(), 0, "no call was created");
}

#[tokio::test]
async fn garbage_truncated_and_huge_datagrams_leave_the_trunk_working() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (_token, mut browser) = t.alice_online().await;
    let sip = t.sip_addr();
    let socket = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let whole = invite(&t.alice.dialer_number, PCMU_OFFER);
    let truncated = &whole[..whole.len() / 2];
    let huge = invite(
        &t.alice.dialer_number,
        &format!("{PCMU_OFFER}a={}\r\n", "x".repeat(64_000)),
    );
    for junk in [
        b"\x00\x01\x02garbage".to_vec(),
        b"INVITE\r\n\r\n".to_vec(),
        truncated.as_bytes().to_vec(),
        huge.into_bytes(),
        vec![0xff; 65_000],
    ] {
        socket.send_to(&junk, sip).expect("send");
    }
    let status = tokio::task::spawn_blocking(move || final_status(sip, &options()))
        .await
        .expect("task");
    assert_eq!(status, Some(200), "the trunk still answers");
    browser.expect_silence(Duration::from_millis(300)).await;

    // And the next real call still rings.
    let sipp = Sipp::call(
        "prospect-cancels.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        500,
    );
    let incoming = browser.expect_incoming().await;
    assert_eq!(incoming.person.name.as_deref(), Some("Ada Lovelace"));
    assert!(matches!(
        browser.recv().await,
        ServerMessage::CallUpdate {
            update: CallUpdate::CallerHungUp,
            ..
        }
    ));
    sipp.succeeds("sipp").await;
}

/// Alice's settings with a forwarding phone (the sipp UAS the trunk dials).
async fn with_forwarding_phone(t: &TestServer, token: &str, action: NoAnswerAction) {
    t.put_settings(
        token,
        &DialerSettings {
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: action,
            ring_timeout_secs: 30,
            ..DialerSettings::default()
        },
    )
    .await;
}

#[tokio::test]
async fn the_forwarding_phone_answers_first_and_is_bridged_to_the_caller() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let phone_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(phone_port)).await;
    let (token, mut browser) = t.alice_online().await;
    with_forwarding_phone(&t, &token, NoAnswerAction::Voicemail).await;
    let phone = Sipp::phone("phone-answers.xml", phone_port, 1_000);
    let caller = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        6_000,
    );

    let incoming = browser.expect_incoming().await;
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::AnsweredElsewhere,
        "the phone answered, so the browser's ring clears"
    );
    // sipp's phone echoes what it hears: the caller's audio goes to the
    // phone and comes back to the caller through the bridge.
    let report = t
        .media_report_until(&caller.carrier_call_id(), |report| {
            report["kind"] == "phone"
                && u64_at(report, &["trunk", "packets_received"]) > 50
                && u64_at(report, &["phone", "packets_received"]) > 50
                && u64_at(report, &["trunk", "packets_sent"]) > 50
        })
        .await;
    assert!(u64_at(&report, &["phone", "packets_sent"]) > 50, "{report}");

    caller.succeeds("the caller").await;
    phone.succeeds("the phone got a BYE").await;
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::AnsweredOnPhone)
    );
}

#[tokio::test]
async fn the_browser_answering_cancels_the_ringing_phone() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let phone_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(phone_port)).await;
    let (token, mut browser) = t.alice_online().await;
    with_forwarding_phone(&t, &token, NoAnswerAction::Voicemail).await;
    let phone = Sipp::phone("phone-rings.xml", phone_port, 0);
    let caller = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        3_000,
    );

    let (incoming, softphone) = answer_in_browser(&mut browser).await;
    phone
        .succeeds("the phone got CANCEL and answered 487")
        .await;
    let softphone = talk(softphone, Voice::Tone, Duration::from_secs(1)).await;
    assert!(
        softphone.packets_received() > 10,
        "the browser keeps the call"
    );
    caller.succeeds("the caller").await;
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::AnsweredInBrowser)
    );
}

#[tokio::test]
async fn no_answer_with_forward_keeps_the_phone_ringing_and_bridges_it_when_it_answers() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let phone_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(phone_port)).await;
    let token = t.sign_in(&t.alice).await;
    t.put_settings(
        &token,
        &DialerSettings {
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: NoAnswerAction::Forward,
            ring_timeout_secs: DialerSettings::MIN_RING_TIMEOUT_SECS,
            ..DialerSettings::default()
        },
    )
    .await;
    // The phone answers after the ring timeout: by then the call is a forward.
    let ring_ms = u64::from(DialerSettings::MIN_RING_TIMEOUT_SECS) * 1000;
    let phone = Sipp::phone("phone-answers.xml", phone_port, ring_ms + 1_500);
    let caller = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        4_000,
    );
    // Bridged once the phone answers, after the ring timeout.
    let patience = PATIENCE + Duration::from_millis(ring_ms);
    t.media_report_within(&caller.carrier_call_id(), patience, |report| {
        report["kind"] == "phone"
            && u64_at(report, &["phone", "packets_received"]) > 50
            && u64_at(report, &["trunk", "packets_sent"]) > 50
    })
    .await;
    caller.succeeds("the caller").await;
    phone.succeeds("the phone got a BYE").await;
    let calls: serde_json::Value = t
        .get(&token, "/api/v1/calls")
        .await
        .json()
        .await
        .expect("calls");
    let listed = &calls["calls"][0];
    assert_eq!(listed["outcome"], "forwarded", "{calls}");
}

#[tokio::test]
async fn a_busy_phone_never_drops_the_caller_and_voicemail_follows() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let phone_port = free_udp_port();
    let t = TestServer::start_with(sip_config_with_phone(phone_port)).await;
    let (token, mut browser) = t.alice_online().await;
    t.put_settings(
        &token,
        &DialerSettings {
            forwarding_number: Some("+14155550199".into()),
            no_answer_action: NoAnswerAction::Forward,
            ring_timeout_secs: DialerSettings::MIN_RING_TIMEOUT_SECS,
            ..DialerSettings::default()
        },
    )
    .await;
    let phone = Sipp::phone("phone-busy.xml", phone_port, 0);
    let caller = Sipp::call(
        "prospect-calls.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        2_000,
    );
    let incoming = browser.expect_incoming().await;
    phone.succeeds("the phone said busy").await;
    // The browser still rings; at the timeout there is no phone to forward
    // to, so voicemail answers the caller.
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::NoAnswer {
            outcome: CallOutcome::Voicemail
        }
    );
    caller.succeeds("voicemail answered the caller").await;
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::Voicemail)
    );
}

#[tokio::test]
async fn keypad_tones_reach_the_caller_and_the_rep_hanging_up_sends_a_bye() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (token, mut browser) = t.alice_online().await;
    let caller = Sipp::call(
        "prospect-waits-for-bye.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        0,
    );
    let (incoming, softphone) = answer_in_browser(&mut browser).await;
    let softphone = talk(softphone, Voice::Tone, Duration::from_secs(1)).await;
    assert!(softphone.connected());
    // The keypad works on a callback too (the caller offered telephone-event 101).
    browser
        .send(&protocol::signal::ClientMessage::Digits {
            id: "k1".into(),
            call_id: incoming.call_id,
            digits: "5#".into(),
        })
        .await;
    assert!(matches!(browser.recv().await, ServerMessage::Ack { id } if id == "k1"));
    t.expect_tones_sent(incoming.call_id, 14).await;
    browser
        .send(&protocol::signal::ClientMessage::HangUp {
            id: "h1".into(),
            call_id: incoming.call_id,
        })
        .await;
    assert_eq!(
        browser.expect_ack_and_update("h1", incoming.call_id).await,
        CallUpdate::Ended
    );
    caller
        .succeeds("the carrier got a BYE and answered it")
        .await;
    assert_eq!(
        t.outcome_once_ended(&token, incoming.call_id).await,
        Some(CallOutcome::AnsweredInBrowser)
    );
}

#[tokio::test]
async fn a_re_invite_for_hold_is_answered_in_the_mirror_direction() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    // Offline with no phone: voicemail answers at once.
    let caller = Sipp::call(
        "prospect-holds.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        ADA_PHONE,
        1_000,
    );
    caller
        .succeeds("the hold re-INVITE got 200 with a=recvonly")
        .await;
}

#[tokio::test]
async fn a_call_over_tcp_works_like_one_over_udp() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (_token, mut browser) = t.alice_online().await;
    let caller = Sipp::run(
        "prospect-cancels.xml",
        t.sip_addr(),
        &[
            "-t",
            "t1",
            "-s",
            &t.alice.dialer_number,
            "-key",
            "from",
            ADA_PHONE,
            "-d",
            "500",
            "-m",
            "1",
        ],
    );
    let incoming = browser.expect_incoming().await;
    assert_eq!(incoming.person.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::CallerHungUp
    );
    caller.succeeds("over TCP").await;
}

#[tokio::test]
async fn a_withheld_number_still_rings_as_an_unknown_caller() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestServer::start_with(sip_config()).await;
    let (_token, mut browser) = t.alice_online().await;
    let caller = Sipp::call(
        "prospect-cancels.xml",
        t.sip_addr(),
        &t.alice.dialer_number,
        "anonymous",
        500,
    );
    let incoming = browser.expect_incoming().await;
    assert_eq!(
        incoming.person.name, None,
        "no Person for a withheld number"
    );
    assert_eq!(incoming.person.number, ringback_server::exchange::WITHHELD);
    assert_eq!(
        browser.expect_update(incoming.call_id).await,
        CallUpdate::CallerHungUp
    );
    caller.succeeds("sipp").await;
}
