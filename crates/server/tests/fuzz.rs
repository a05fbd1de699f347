//! Fuzzing on the stable toolchain: property tests that feed arbitrary bytes
//! and hostile structured values to every parser that takes outside input,
//! asserting no panic, a clear error, and (for the live server) unchanged
//! state. `make test` runs a few hundred cases of each; `make fuzz` keeps
//! each one going for `FUZZ_SECS` seconds.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use protocol::signal::{ClientMessage, ServerMessage};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// Runs `test` on values of `strategy`: 256 cases, or, with `FUZZ_SECS`
/// set, batches of them until that many seconds have passed.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let secs: Option<u64> = std::env::var("FUZZ_SECS").ok().and_then(|s| s.parse().ok());
    let deadline = secs.map(|s| Instant::now() + Duration::from_secs(s));
    let mut batches = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(failure) = runner.run(&strategy, &test) {
            panic!("{name}: {failure}");
        }
        batches += 1;
        if deadline.is_none_or(|d| Instant::now() >= d) {
            break;
        }
    }
    if secs.is_some() {
        eprintln!("{name}: {} cases", batches * 256);
    }
}

/// Text that looks enough like the real thing to get past the first checks.
fn sdp_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("v=0".to_owned()),
        "m=(audio|video) [0-9]{0,6} (RTP/AVP|RTP/SAVP|UDP/TLS/RTP/SAVPF) [0-9 ]{0,20}",
        "c=IN IP(4|6) [0-9a-f.:]{0,40}",
        "a=(rtpmap|fmtp|rtcp-mux|sendonly|recvonly|inactive|ice-ufrag|fingerprint)[: ]?[ -~]{0,40}",
        "[ -~]{0,60}",
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\r\n"))
}

#[test]
fn carrier_sdp_offers_never_panic_and_pcmu_offers_round_trip() {
    fuzz("sip::sdp::parse_offer", sdp_like(), |text| {
        if let Ok(offer) = sip::sdp::parse_offer(&text) {
            // Whatever it accepted, its answer must read back.
            let local = "127.0.0.1:20000".parse().expect("addr");
            let answer = sip::sdp::answer(&offer, local, local.ip(), 1);
            prop_assert!(sip::sdp::parse_offer(&answer).is_ok(), "{answer}");
        }
        Ok(())
    });
    fuzz("sip::sdp::parse_offer (bytes)", any::<Vec<u8>>(), |bytes| {
        let _ = sip::sdp::parse_offer(&String::from_utf8_lossy(&bytes));
        Ok(())
    });
}

#[test]
fn browser_sdp_answers_never_panic() {
    fuzz("media::leg::parse_answer", sdp_like(), |text| {
        let _ = media::leg::parse_answer(&text);
        Ok(())
    });
}

#[test]
fn rtp_packets_never_panic_and_what_parses_fits_the_datagram() {
    fuzz(
        "media::rtp::parse",
        prop::collection::vec(any::<u8>(), 0..400),
        |bytes| {
            if let Ok(packet) = media::rtp::parse(&bytes) {
                prop_assert!(packet.payload.len() + 12 <= bytes.len());
            }
            Ok(())
        },
    );
}

#[test]
fn wav_greetings_are_read_or_refused_with_a_reason() {
    // A real WAV header followed by anything, and plain garbage.
    let header = prop::collection::vec(any::<u8>(), 0..200).prop_map(|tail| {
        let mut bytes = media::audio::shipped::GREETING_WAV[..44].to_vec();
        bytes.extend(tail);
        bytes
    });
    fuzz(
        "media::audio::Clip::from_wav",
        prop_oneof![header, any::<Vec<u8>>()],
        |bytes| {
            if let Err(error) = media::audio::Clip::from_wav(&bytes, 60) {
                prop_assert!(!error.to_string().is_empty());
            }
            Ok(())
        },
    );
}

#[test]
fn phone_numbers_are_read_or_refused_never_panic() {
    let number = "[+]?[0-9 ()\\-.]{0,30}(@[a-z.]{0,10})?(;[a-z=]{0,10})?";
    fuzz(
        "protocol::PhoneNumber::parse",
        prop_oneof![number, ".{0,40}"],
        |text| {
            for country in [1, 44, 0, 999] {
                if let Ok(number) = protocol::PhoneNumber::parse(&text, country) {
                    prop_assert!(number.as_str().starts_with('+'));
                    prop_assert!(number.as_str()[1..].chars().all(|c| c.is_ascii_digit()));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn signalling_frames_parse_or_fail_cleanly() {
    let framed = prop_oneof![
        "\\{\"type\":\"(hello|keepalive|accept|close|hang_up|teleport)\",\"id\":\"[ -~]{0,80}\"(,\"call_id\":[-0-9a-z\"]{0,25})?(,\"device_id\":\"[ -~]{0,80}\")?(,\"answer\":\"[ -~]{0,50}\")?\\}",
        ".{0,200}",
    ];
    fuzz("protocol ClientMessage", framed, |text| {
        if let Ok(message) = serde_json::from_str::<ClientMessage>(&text) {
            // Anything read writes back to the same message.
            let again =
                serde_json::to_string(&message).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let reread: ClientMessage =
                serde_json::from_str(&again).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(reread, message);
        }
        Ok(())
    });
}

/// The live server: hostile frames on a signalling socket and hostile
/// datagrams on the SIP port. Each is answered or dropped; afterwards the
/// server still works, and nothing changed: no call exists, the rep is
/// still reachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_server_takes_hostile_input_and_stays_as_it_was() {
    let t = TestServer::start_with(sip_config()).await;
    let sip = t.sip_addr();

    let frames: Vec<String> = {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = prop_oneof![
            "\\{\"type\":\"(accept|close|hang_up)\",\"id\":\"[a-z]{1,8}\",\"call_id\":-?[0-9]{1,12}\\}",
            "\\{\"type\":\"[a-z_]{0,12}\"[ -~]{0,60}\\}",
            ".{0,120}",
        ];
        (0..64)
            .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
            .collect()
    };
    // A socket has an error budget; use a fresh one when it is spent.
    let mut signal = t.connect(&t.alice, "fuzzer").await;
    for (i, frame) in frames.iter().enumerate() {
        signal
            .send_raw(tokio_tungstenite::tungstenite::Message::text(frame.clone()))
            .await;
        match tokio::time::timeout(PATIENCE, futures_util::StreamExt::next(&mut signal.socket))
            .await
        {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(reply)))) => {
                let reply: ServerMessage =
                    serde_json::from_str(reply.as_str()).expect("every reply is a ServerMessage");
                assert!(
                    matches!(
                        reply,
                        ServerMessage::Error { .. } | ServerMessage::Ack { .. }
                    ),
                    "frame {i} {frame:?} got {reply:?}"
                );
            }
            // Closed for too many errors (4000): carry on with a new socket.
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))))
            | Ok(None)
            | Ok(Some(Err(_))) => {
                signal = t.connect(&t.alice, &format!("fuzzer-{i}")).await;
            }
            Ok(Some(Ok(other))) => panic!("frame {i} {frame:?} got {other:?}"),
            Err(_) => panic!("frame {i} {frame:?} got no reply"),
        }
    }

    let datagrams: Vec<Vec<u8>> = {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..1500),
            "(INVITE|OPTIONS|BYE|CANCEL|ACK|REGISTER) sip:[+0-9a-z@.:]{0,30} SIP/2.0\r\n([A-Za-z-]{1,20}: [ -~]{0,60}\r\n){0,12}\r\n[ -~]{0,200}"
                .prop_map(String::into_bytes),
        ];
        (0..64)
            .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
            .collect()
    };
    let socket = UdpSocket::bind("127.0.0.1:0").expect("socket");
    for datagram in &datagrams {
        socket.send_to(datagram, sip).expect("send");
    }

    // Still working, and nothing changed.
    let state = t.server.as_ref().expect("running").state();
    let mut probe = t.connect(&t.alice, "after-fuzzing").await;
    probe
        .send(&ClientMessage::Keepalive { id: "k".into() })
        .await;
    assert_eq!(probe.recv().await, ServerMessage::Ack { id: "k".into() });
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-after-fuzzing").await;
    assert!(routed.ring_browser, "the rep is still reachable");
    assert_eq!(
        state.exchange().live_count(),
        1,
        "only the call placed just now is live"
    );
}
