//! A call's RTP leg through the carrier trunk: the real caller, or the
//! forwarding phone. Sans I/O like the other legs: the engine owns the
//! sockets and hands datagrams in; frames to send come out.
//!
//! Symmetric RTP: audio goes back to wherever the carrier's audio comes
//! from (a NAT in between may change it), starting at the address its SDP
//! gave.

use crate::dtmf::{Keypad, KeypadError, TICK_SAMPLES};
use crate::rtp::{self, PT_PCMU, RtpSender};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Without RTP for this long a connected leg counts as lost (its hang-up
/// message may have been lost with the network).
pub const LOST_AFTER: Duration = Duration::from_secs(30);

/// What was negotiated with the far end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkPeer {
    /// Where the SDP said to send audio.
    pub rtp: SocketAddr,
    /// The telephone-event payload type, when the far end offered one.
    pub telephone_event: Option<u8>,
}

/// What a trunk leg has seen, for the carrier API and tests.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TrunkReport {
    /// Where audio is sent now (the SDP address, or where RTP came from).
    pub remote: Option<String>,
    pub packets_received: u64,
    pub packets_sent: u64,
    /// Packets that were no RTP (or RTCP, which is accepted and ignored).
    pub packets_dropped: u64,
    pub telephone_events: u64,
    /// Telephone-event packets sent (the rep's keypad).
    #[serde(default)]
    pub telephone_events_sent: u64,
}

/// What one received datagram means.
#[derive(Debug, PartialEq, Eq)]
pub enum TrunkInput<'a> {
    /// 20 ms (or so) of PCMU.
    Audio(&'a [u8]),
    /// A DTMF event, dropped by the bridge.
    TelephoneEvent,
    /// RTCP, garbage, another codec: nothing to relay.
    Nothing,
}

#[derive(Debug)]
pub struct TrunkLeg {
    peer: TrunkPeer,
    remote: SocketAddr,
    sender: RtpSender,
    last_heard: Option<Instant>,
    report: TrunkReport,
    keypad: Keypad,
}

impl TrunkLeg {
    pub fn new(peer: TrunkPeer, seed: u64) -> Self {
        Self {
            remote: peer.rtp,
            peer,
            sender: RtpSender::new(seed),
            last_heard: None,
            report: TrunkReport::default(),
            keypad: Keypad::default(),
        }
    }

    /// The far end answered (the forwarding phone's 200 OK): send there now.
    pub fn set_peer(&mut self, peer: TrunkPeer) {
        self.remote = peer.rtp;
        self.peer = peer;
    }

    /// A datagram from `source` on this leg's port.
    pub fn receive<'a>(
        &mut self,
        now: Instant,
        source: SocketAddr,
        bytes: &'a [u8],
    ) -> TrunkInput<'a> {
        let Ok(packet) = rtp::parse(bytes) else {
            self.report.packets_dropped += 1;
            return TrunkInput::Nothing;
        };
        self.report.packets_received += 1;
        self.last_heard = Some(now);
        // Symmetric RTP: answer where the audio really comes from.
        self.remote = source;
        if packet.payload_type == PT_PCMU {
            TrunkInput::Audio(packet.payload)
        } else if Some(packet.payload_type) == self.peer.telephone_event {
            self.report.telephone_events += 1;
            TrunkInput::TelephoneEvent
        } else {
            self.report.packets_dropped += 1;
            TrunkInput::Nothing
        }
    }

    /// An RTP packet carrying `pcmu`, and where to send it; nothing while
    /// the peer's address is not known yet (a party dialled that has not
    /// answered).
    /// Nothing either while a keypad tone is sent: the far end would hear
    /// both on one stream.
    pub fn send(&mut self, pcmu: &[u8]) -> Option<(SocketAddr, Vec<u8>)> {
        if self.remote.ip().is_unspecified() || self.keypad.sounding() {
            return None;
        }
        self.report.packets_sent += 1;
        let samples = u32::try_from(pcmu.len()).unwrap_or(160);
        Some((self.remote, self.sender.packet(PT_PCMU, pcmu, samples)))
    }

    /// Counts as heard at `now` (a call taken off hold starts afresh).
    pub fn heard(&mut self, now: Instant) {
        self.last_heard = Some(now);
    }

    /// Queues keypad tones for the far end, in the telephone-event payload
    /// type it offered.
    pub fn queue_digits(&mut self, keys: &str) -> Result<(), KeypadError> {
        if self.peer.telephone_event.is_none() {
            return Err(KeypadError::NotAccepted);
        }
        self.keypad.queue(keys)
    }

    /// The 20 ms clock: the telephone-event packet due now, if a tone is
    /// being sent. Its time counts on the stream's clock (the audio held
    /// back meanwhile does not).
    pub fn tick(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        let payload_type = self.peer.telephone_event?;
        if self.keypad.idle() || self.remote.ip().is_unspecified() {
            return None;
        }
        let event = self.keypad.tick(self.sender.timestamp())?;
        let packet = self.sender.event(payload_type, &event);
        self.sender.advance(u32::from(TICK_SAMPLES));
        self.report.telephone_events_sent += 1;
        Some((self.remote, packet))
    }

    /// No RTP for [`LOST_AFTER`] since the last packet (or since `since`,
    /// when none ever came).
    pub fn lost(&self, now: Instant, since: Instant) -> bool {
        now.duration_since(self.last_heard.unwrap_or(since)) >= LOST_AFTER
    }

    pub fn report(&self) -> TrunkReport {
        TrunkReport {
            remote: Some(self.remote.to_string()),
            ..self.report.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    #[test]
    fn nothing_is_sent_to_a_party_dialled_until_its_address_is_known() {
        let unknown = TrunkPeer {
            rtp: addr("0.0.0.0:9"),
            telephone_event: None,
        };
        let mut leg = TrunkLeg::new(unknown, 1);
        assert_eq!(leg.send(&[0xff; 160]), None);
        leg.set_peer(TrunkPeer {
            rtp: addr("192.0.2.1:4000"),
            telephone_event: None,
        });
        assert!(leg.send(&[0xff; 160]).is_some());
        assert_eq!(
            leg.report().packets_sent,
            1,
            "only the packet really sent counts"
        );
    }

    #[test]
    fn audio_goes_back_where_it_comes_from() {
        let peer = TrunkPeer {
            rtp: addr("192.0.2.1:4000"),
            telephone_event: Some(101),
        };
        let mut leg = TrunkLeg::new(peer, 1);
        let to = |sent: Option<(SocketAddr, Vec<u8>)>| sent.map(|(to, _)| to);
        assert_eq!(to(leg.send(&[0xff; 160])), Some(addr("192.0.2.1:4000")));
        let mut far = RtpSender::new(2);
        let packet = far.packet(PT_PCMU, &[0x55; 160], 160);
        let now = Instant::now();
        assert_eq!(
            leg.receive(now, addr("198.51.100.9:31000"), &packet),
            TrunkInput::Audio(&[0x55; 160][..])
        );
        assert_eq!(
            to(leg.send(&[0xff; 160])),
            Some(addr("198.51.100.9:31000")),
            "NAT moved it"
        );
        let dtmf = far.packet(101, &[1, 0x8a, 0, 160], 160);
        assert_eq!(
            leg.receive(now, addr("198.51.100.9:31000"), &dtmf),
            TrunkInput::TelephoneEvent
        );
        assert_eq!(
            leg.receive(now, addr("198.51.100.9:31000"), b"junk"),
            TrunkInput::Nothing
        );
        let report = leg.report();
        assert_eq!((report.packets_received, report.packets_sent), (2, 2));
        assert_eq!((report.telephone_events, report.packets_dropped), (1, 1));
    }

    #[test]
    fn keypad_tones_share_the_audio_stream_and_hold_its_audio_back() {
        let peer = TrunkPeer {
            rtp: addr("192.0.2.1:4000"),
            telephone_event: Some(101),
        };
        let mut leg = TrunkLeg::new(peer, 9);
        let (_, audio) = leg.send(&[0xff; 160]).expect("audio goes");
        let audio = rtp::parse(&audio).expect("rtp").clone();
        leg.queue_digits("7").expect("queued");
        let (to, first) = leg.tick().expect("the tone starts");
        assert_eq!(to, addr("192.0.2.1:4000"));
        let first = rtp::parse(&first).expect("rtp").clone();
        assert_eq!(first.payload_type, 101);
        assert_eq!(first.ssrc, audio.ssrc);
        assert_eq!(first.sequence, audio.sequence.wrapping_add(1));
        assert_eq!(first.timestamp, audio.timestamp.wrapping_add(160));
        assert!(first.marker);
        assert_eq!(leg.send(&[0xff; 160]), None, "no audio during the tone");
        let mut sent = 1;
        while let Some((_, packet)) = leg.tick() {
            let packet = rtp::parse(&packet).expect("rtp").clone();
            assert_eq!(packet.timestamp, first.timestamp);
            sent += 1;
        }
        assert_eq!(sent, 7);
        // The audio after it goes on from the tone's time.
        let (_, after) = leg.send(&[0xff; 160]).expect("audio again");
        let after = rtp::parse(&after).expect("rtp").clone();
        assert_eq!(after.sequence, first.sequence.wrapping_add(7));
        assert_eq!(after.timestamp, first.timestamp.wrapping_add(7 * 160));
        assert_eq!(leg.report().telephone_events_sent, 7);
    }

    #[test]
    fn a_far_end_without_telephone_event_gets_no_tones() {
        let peer = TrunkPeer {
            rtp: addr("192.0.2.1:4000"),
            telephone_event: None,
        };
        let mut leg = TrunkLeg::new(peer, 9);
        assert_eq!(leg.queue_digits("1"), Err(KeypadError::NotAccepted));
        assert_eq!(leg.tick(), None);
    }

    #[test]
    fn a_silent_leg_is_lost_after_thirty_seconds() {
        let peer = TrunkPeer {
            rtp: addr("192.0.2.1:4000"),
            telephone_event: None,
        };
        let mut leg = TrunkLeg::new(peer, 1);
        let start = Instant::now();
        assert!(!leg.lost(start + LOST_AFTER / 2, start));
        assert!(leg.lost(start + LOST_AFTER, start));
        let packet = RtpSender::new(3).packet(PT_PCMU, &[0; 160], 160);
        leg.receive(start + LOST_AFTER, addr("192.0.2.1:4000"), &packet);
        assert!(!leg.lost(start + LOST_AFTER + Duration::from_secs(1), start));
    }
}
