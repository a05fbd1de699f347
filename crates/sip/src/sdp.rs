//! The SDP of plain RTP calls (RFC 4566, offer/answer RFC 3264), as carriers
//! send it: one `m=audio` line over `RTP/AVP`, PCMU (and PCMA, which
//! Ringback does not take), maybe telephone-event, maybe `a=rtcp-mux`.
//!
//! Only what Ringback needs is read, and everything read is bounded: this
//! text comes from the network. The `sdp` crate serves the browser side.

use std::net::{IpAddr, SocketAddr};

/// The longest SDP read; a carrier's audio offer is well under 2 KB.
pub const MAX_SDP_BYTES: usize = 8 * 1024;

/// Which way audio flows, from the offerer's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// What the answer says to an offer with this direction (RFC 3264 6.1).
    pub fn answer(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }
}

/// What a carrier's offer asks for, as far as Ringback cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioOffer {
    /// Where to send RTP (`c=` and the `m=audio` port). Port 0 means the
    /// stream is declined (or on hold, RFC 3264 8.4 style).
    pub rtp: SocketAddr,
    /// The telephone-event payload type, if offered.
    pub telephone_event: Option<u8>,
    pub rtcp_mux: bool,
    pub direction: Direction,
}

/// Why an offer cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    #[error("the offer is {0} bytes; at most {MAX_SDP_BYTES} are read")]
    TooLarge(usize),
    #[error("the offer has no audio stream")]
    NoAudio,
    #[error("the audio stream is not RTP/AVP")]
    NotRtpAvp,
    /// The one codec Ringback relays is missing: SIP 488.
    #[error("the offer does not include PCMU (payload type 0)")]
    NoPcmu,
    #[error("the offer has no usable connection address")]
    NoAddress,
}

/// Reads a carrier's offer (or re-offer).
pub fn parse_offer(text: &str) -> Result<AudioOffer, OfferError> {
    if text.len() > MAX_SDP_BYTES {
        return Err(OfferError::TooLarge(text.len()));
    }
    let mut session_address: Option<IpAddr> = None;
    let mut media_address: Option<IpAddr> = None;
    let mut audio: Option<(u16, Vec<&str>)> = None;
    let mut telephone_event = None;
    let mut rtcp_mux = false;
    let mut session_direction = Direction::SendRecv;
    let mut media_direction = None;
    let mut in_audio = false;
    let mut seen_audio = false;
    for line in text.lines().map(str::trim) {
        let Some((kind, value)) = line.split_once('=') else {
            continue;
        };
        match kind {
            "m" => {
                let mut fields = value.split_whitespace();
                let media = fields.next().unwrap_or_default();
                // The first audio stream is the call's; any other stream is ignored.
                in_audio = media == "audio" && !seen_audio;
                if in_audio {
                    seen_audio = true;
                    let port = fields
                        .next()
                        .and_then(|p| p.split('/').next()?.parse().ok());
                    let proto = fields.next().unwrap_or_default();
                    if proto != "RTP/AVP" {
                        return Err(OfferError::NotRtpAvp);
                    }
                    let formats: Vec<&str> = fields.take(32).collect();
                    audio = Some((port.ok_or(OfferError::NoAudio)?, formats));
                }
            }
            "c" => {
                let address = value
                    .split_whitespace()
                    .nth(2)
                    .and_then(|a| a.split('/').next()?.parse().ok());
                if seen_audio && in_audio {
                    media_address = address;
                } else if !seen_audio {
                    session_address = address;
                }
            }
            "a" => {
                let direction = match value {
                    "sendrecv" => Some(Direction::SendRecv),
                    "sendonly" => Some(Direction::SendOnly),
                    "recvonly" => Some(Direction::RecvOnly),
                    "inactive" => Some(Direction::Inactive),
                    _ => None,
                };
                match (direction, seen_audio, in_audio) {
                    (Some(d), false, _) => session_direction = d,
                    (Some(d), true, true) => media_direction = Some(d),
                    _ => {}
                }
                if !in_audio {
                    continue;
                }
                if value == "rtcp-mux" {
                    rtcp_mux = true;
                } else if let Some(map) = value.strip_prefix("rtpmap:") {
                    let (pt, encoding) = map.split_once(' ').unwrap_or((map, ""));
                    if encoding
                        .to_ascii_lowercase()
                        .starts_with("telephone-event/8000")
                    {
                        telephone_event = pt.trim().parse().ok();
                    }
                }
            }
            _ => {}
        }
    }
    let (port, formats) = audio.ok_or(OfferError::NoAudio)?;
    if !formats.contains(&"0") {
        return Err(OfferError::NoPcmu);
    }
    // Only a telephone-event the m= line lists counts.
    let telephone_event =
        telephone_event.filter(|pt: &u8| formats.iter().any(|f| *f == pt.to_string()));
    let ip = media_address
        .or(session_address)
        .ok_or(OfferError::NoAddress)?;
    Ok(AudioOffer {
        rtp: SocketAddr::new(ip, port),
        telephone_event,
        rtcp_mux,
        direction: media_direction.unwrap_or(session_direction),
    })
}

/// The telephone-event payload type Ringback offers.
pub const OWN_TELEPHONE_EVENT: u8 = 101;

/// Ringback's own offer (dialling the phone): PCMU and telephone-event 101.
pub fn offer(local: SocketAddr, public_ip: IpAddr) -> String {
    let own = AudioOffer {
        rtp: local,
        telephone_event: Some(OWN_TELEPHONE_EVENT),
        rtcp_mux: false,
        direction: Direction::SendRecv,
    };
    answer(&own, local, public_ip, 1)
}

/// Ringback's offer again within a call (a re-INVITE): `sendonly` holds the
/// other party, `sendrecv` takes them off hold (RFC 3264 8.4). `version` is
/// the `o=` version, one more than the last SDP sent in the dialog.
pub fn reoffer(
    local: SocketAddr,
    public_ip: IpAddr,
    telephone_event: Option<u8>,
    held: bool,
    version: u64,
) -> String {
    let own = AudioOffer {
        rtp: local,
        telephone_event,
        rtcp_mux: false,
        direction: Direction::SendRecv,
    };
    let direction = if held {
        Direction::SendOnly
    } else {
        Direction::SendRecv
    };
    describe(&own, local, public_ip, version, direction)
}

/// The answer to `offer`: PCMU (and telephone-event if offered) on `local`,
/// announced at `public_ip` (what the carrier can reach).
pub fn answer(offer: &AudioOffer, local: SocketAddr, public_ip: IpAddr, version: u64) -> String {
    describe(offer, local, public_ip, version, offer.direction.answer())
}

/// Ringback's side of the audio: `media` says which telephone-event type
/// and whether RTCP is muxed; `direction` is written as it is.
fn describe(
    media: &AudioOffer,
    local: SocketAddr,
    public_ip: IpAddr,
    version: u64,
    direction: Direction,
) -> String {
    let offer = media;
    let family = if public_ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut formats = String::from("0");
    if let Some(pt) = offer.telephone_event {
        formats.push_str(&format!(" {pt}"));
    }
    let mut sdp = format!(
        "v=0\r\no=ringback {session} {version} IN {family} {public_ip}\r\ns=Ringback\r\nc=IN {family} {public_ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\na=rtpmap:0 PCMU/8000\r\n",
        session = local.port(),
        port = local.port(),
    );
    if let Some(pt) = offer.telephone_event {
        sdp.push_str(&format!(
            "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        ));
    }
    sdp.push_str("a=ptime:20\r\n");
    sdp.push_str(&format!("a={}\r\n", direction.attribute()));
    if offer.rtcp_mux {
        sdp.push_str("a=rtcp-mux\r\n");
    }
    sdp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Twilio's Elastic SIP Trunking offers (shape from its docs).
    const TWILIO: &str = "v=0\r\no=root 1234 1234 IN IP4 54.172.60.1\r\ns=Twilio Media Gateway\r\nc=IN IP4 54.172.60.1\r\nt=0 0\r\nm=audio 16384 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";

    #[test]
    fn a_carrier_offer_is_read() {
        let offer = parse_offer(TWILIO).expect("offer");
        assert_eq!(offer.rtp, "54.172.60.1:16384".parse().expect("addr"));
        assert_eq!(offer.telephone_event, Some(101));
        assert!(!offer.rtcp_mux);
        assert_eq!(offer.direction, Direction::SendRecv);
    }

    #[test]
    fn the_answer_takes_pcmu_and_telephone_event_only() {
        let offer = parse_offer(TWILIO).expect("offer");
        let local = "10.0.0.5:20000".parse().expect("addr");
        let sdp = answer(&offer, local, "203.0.113.5".parse().expect("ip"), 1);
        assert!(sdp.contains("c=IN IP4 203.0.113.5\r\n"), "{sdp}");
        assert!(sdp.contains("m=audio 20000 RTP/AVP 0 101\r\n"), "{sdp}");
        assert!(!sdp.contains("PCMA"), "{sdp}");
        assert!(sdp.contains("a=sendrecv\r\n"), "{sdp}");
        // Our answer reads back as an offer with the same choices.
        let back = parse_offer(&sdp).expect("our answer parses");
        assert_eq!(back.rtp, "203.0.113.5:20000".parse().expect("addr"));
        assert_eq!(back.telephone_event, Some(101));
    }

    #[test]
    fn ringback_holds_with_sendonly_and_resumes_with_sendrecv_at_a_newer_version() {
        let local: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let held = reoffer(local, local.ip(), Some(101), true, 3);
        assert!(held.contains("a=sendonly\r\n"), "{held}");
        assert!(held.contains("o=ringback 40000 3 IN IP4"), "{held}");
        assert!(held.contains("m=audio 40000 RTP/AVP 0 101\r\n"), "{held}");
        let resumed = reoffer(local, local.ip(), None, false, 4);
        assert!(resumed.contains("a=sendrecv\r\n"), "{resumed}");
        assert!(resumed.contains("m=audio 40000 RTP/AVP 0\r\n"), "{resumed}");
        // What Ringback holds with reads back as a hold.
        assert_eq!(
            parse_offer(&held).map(|o| o.direction),
            Ok(Direction::SendOnly)
        );
    }

    #[test]
    fn ringbacks_own_offer_takes_keypad_tones() {
        // A dialled prospect's IVR answers with telephone-event only if offered.
        let local = "10.0.0.5:20000".parse().expect("addr");
        let sdp = offer(local, local.ip());
        assert!(sdp.contains("m=audio 20000 RTP/AVP 0 101\r\n"), "{sdp}");
        assert!(
            sdp.contains("a=rtpmap:101 telephone-event/8000\r\n"),
            "{sdp}"
        );
        assert_eq!(parse_offer(&sdp).expect("reads").telephone_event, Some(101));
    }

    #[test]
    fn hold_is_answered_in_the_mirror_direction() {
        let hold = TWILIO.replace("a=sendrecv", "a=sendonly");
        let offer = parse_offer(&hold).expect("offer");
        assert_eq!(offer.direction, Direction::SendOnly);
        let local = "10.0.0.5:20000".parse().expect("addr");
        assert!(answer(&offer, local, local.ip(), 2).contains("a=recvonly\r\n"));
    }

    #[test]
    fn offers_without_pcmu_or_audio_are_refused_clearly() {
        let pcma_only = TWILIO.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101");
        assert_eq!(parse_offer(&pcma_only), Err(OfferError::NoPcmu));
        assert_eq!(
            parse_offer("v=0\r\nm=video 4000 RTP/AVP 96\r\n"),
            Err(OfferError::NoAudio)
        );
        assert_eq!(
            parse_offer("v=0\r\nm=audio 4000 RTP/SAVP 0\r\n"),
            Err(OfferError::NotRtpAvp)
        );
        assert_eq!(
            parse_offer("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(OfferError::NoAddress)
        );
        assert_eq!(parse_offer(""), Err(OfferError::NoAudio));
        let huge = "a=x\r\n".repeat(4000);
        assert!(matches!(parse_offer(&huge), Err(OfferError::TooLarge(_))));
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "m=audio",
            "m=audio x RTP/AVP 0",
            "c=IN IP4",
            "c=IN IP4 999.1.1.1\r\nm=audio 1 RTP/AVP 0",
            "m=audio 65536 RTP/AVP 0",
            "a=rtpmap:",
            "a=rtpmap:999 telephone-event/8000",
            "=\r\n=\r\n",
            "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 ::1\r\na=rtcp-mux",
        ];
        for sample in samples {
            let _ = parse_offer(sample);
        }
        let v6 = parse_offer("m=audio 4000 RTP/AVP 0\r\nc=IN IP6 ::1\r\na=rtcp-mux").expect("v6");
        assert!(v6.rtcp_mux && v6.rtp.is_ipv6());
    }
}
