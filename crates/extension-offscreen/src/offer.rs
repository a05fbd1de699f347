//! Checking the server's SDP offer before the browser answers it.
//!
//! Chrome would accept far more than Ringback's server should ever send
//! (video, other codecs, plain RTP), so the offer is read with the `sdp`
//! crate first and refused unless it is what the server promises: audio
//! only, PCMU offered, and a DTLS fingerprint so the audio is encrypted. A
//! refusal's message is read by the rep (in a notification), so it says what
//! is wrong in plain words; the call then stays on their phone.

use sdp::SessionDescription;
use std::io::Cursor;

/// Why an offer was refused. The message is a sentence for the rep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    #[error("The server's audio offer is empty.")]
    Empty,
    #[error("The server's audio offer could not be read ({0}).")]
    Unreadable(String),
    #[error("The server's offer has no audio in it.")]
    NoAudio,
    #[error("The server's offer asks for {0}, not only audio.")]
    NotAudioOnly(String),
    #[error("The server's offer has no PCMU (G.711) audio, the only kind Ringback uses.")]
    NoPcmu,
    #[error("The server's offer has no DTLS fingerprint, so the audio could not be encrypted.")]
    NoFingerprint,
}

/// PCMU's static RTP payload type (RFC 3551).
const PCMU_PAYLOAD_TYPE: &str = "0";

/// Accept `text` if it is an offer Ringback's server would send.
pub fn check(text: &str) -> Result<(), OfferError> {
    if text.trim().is_empty() {
        return Err(OfferError::Empty);
    }
    let offer = SessionDescription::unmarshal(&mut Cursor::new(text.as_bytes()))
        .map_err(|e| OfferError::Unreadable(e.to_string()))?;
    if offer.media_descriptions.is_empty() {
        return Err(OfferError::NoAudio);
    }
    if let Some(other) = offer
        .media_descriptions
        .iter()
        .find(|m| m.media_name.media != "audio")
    {
        return Err(OfferError::NotAudioOnly(other.media_name.media.clone()));
    }
    let pcmu = offer.media_descriptions.iter().any(|m| {
        m.media_name.formats.iter().any(|f| f == PCMU_PAYLOAD_TYPE)
            || m.attributes
                .iter()
                .filter(|a| a.key == "rtpmap")
                .filter_map(|a| a.value.as_deref())
                .any(is_pcmu_rtpmap)
    });
    if !pcmu {
        return Err(OfferError::NoPcmu);
    }
    let fingerprint = offer.has_attribute("fingerprint")
        || offer
            .media_descriptions
            .iter()
            .all(|m| m.has_attribute("fingerprint"));
    if !fingerprint {
        return Err(OfferError::NoFingerprint);
    }
    Ok(())
}

/// `a=rtpmap:<pt> PCMU/8000` (encoding names are case-insensitive).
fn is_pcmu_rtpmap(value: &str) -> bool {
    value
        .split_whitespace()
        .nth(1)
        .is_some_and(|codec| codec.eq_ignore_ascii_case("PCMU/8000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An offer as str0m writes it for an ICE-lite, audio-only call.
    const GOOD: &str = "v=0\r\n\
o=str0m-2474837206516426394 1762340000 2 IN IP4 0.0.0.0\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=fingerprint:sha-256 3B:1F:0D:6C:8A:52:E7:91:43:AA:0C:5E:77:19:B2:DE:60:04:F1:9A:38:C2:7D:55:E0:13:8B:46:21:9F:CA:70\r\n\
a=ice-lite\r\n\
a=msid-semantic: WMS\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:Yq6s\r\n\
a=ice-pwd:h0XbqnhVUmrmHJ1RAh0S4EAf\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=sendrecv\r\n\
a=msid:prospect 0\r\n\
a=rtcp-mux\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ssrc:2914516178 cname:prospect\r\n\
a=candidate:1 1 udp 2130706175 127.0.0.1 40000 typ host\r\n\
a=end-of-candidates\r\n";

    #[test]
    fn a_server_offer_is_accepted() {
        assert_eq!(check(GOOD), Ok(()));
    }

    #[test]
    fn pcmu_may_be_named_by_rtpmap_alone() {
        let dynamic = GOOD
            .replace("SAVPF 0 101", "SAVPF 96 101")
            .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 pcmu/8000");
        assert_eq!(check(&dynamic), Ok(()));
    }

    #[test]
    fn a_media_level_fingerprint_is_enough() {
        let line = GOOD
            .lines()
            .find(|l| l.starts_with("a=fingerprint"))
            .expect("the offer has one");
        let moved = GOOD.replace(&format!("{line}\r\n"), "").replace(
            "a=setup:actpass\r\n",
            &format!("a=setup:actpass\r\n{line}\r\n"),
        );
        assert_eq!(check(&moved), Ok(()));
    }

    #[test]
    fn video_is_refused() {
        let video = format!(
            "{GOOD}m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n"
        );
        assert_eq!(check(&video), Err(OfferError::NotAudioOnly("video".into())));
        let only_video = GOOD.replace("m=audio", "m=video");
        assert_eq!(
            check(&only_video),
            Err(OfferError::NotAudioOnly("video".into()))
        );
    }

    #[test]
    fn an_offer_without_pcmu_is_refused() {
        let opus = GOOD
            .replace("SAVPF 0 101", "SAVPF 111 101")
            .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:111 opus/48000/2");
        assert_eq!(check(&opus), Err(OfferError::NoPcmu));
    }

    #[test]
    fn an_offer_without_a_fingerprint_is_refused() {
        let plain: String = GOOD
            .split_inclusive("\r\n")
            .filter(|l| !l.starts_with("a=fingerprint"))
            .collect();
        assert_eq!(check(&plain), Err(OfferError::NoFingerprint));
    }

    #[test]
    fn garbage_is_refused_with_a_sentence() {
        for text in ["hello, I am not SDP", "v=0\r\no=broken\r\n"] {
            let error = check(text).expect_err(text);
            assert!(
                matches!(error, OfferError::Unreadable(_)),
                "{text}: {error:?}"
            );
            assert!(
                error
                    .to_string()
                    .starts_with("The server's audio offer could not be read")
            );
        }
        assert_eq!(check(" \r\n"), Err(OfferError::Empty));
        let no_media = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
        assert_eq!(check(no_media), Err(OfferError::NoAudio));
    }

    #[test]
    fn messages_read_as_sentences() {
        for error in [
            OfferError::Empty,
            OfferError::NoAudio,
            OfferError::NotAudioOnly("video".into()),
            OfferError::NoPcmu,
            OfferError::NoFingerprint,
        ] {
            let text = error.to_string();
            assert!(text.starts_with("The server's"), "{text}");
            assert!(text.ends_with('.'), "{text}");
        }
    }
}
