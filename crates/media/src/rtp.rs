//! Plain RTP (RFC 3550) as the trunk speaks it: PCMU in 20 ms packets, maybe
//! telephone-event (RFC 4733), RTCP on the next port or muxed (RFC 5761).
//! Sans I/O: bytes in, bytes out. Anything that is not a well-formed RTP
//! packet is refused, never trusted: the port is open to the internet.

use crate::dtmf::EventPacket;

/// PCMU's static payload type.
pub const PT_PCMU: u8 = 0;

/// A received RTP packet, borrowing its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: &'a [u8],
}

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    #[error("shorter than an RTP header")]
    TooShort,
    #[error("not RTP version 2")]
    WrongVersion,
    #[error("an RTCP packet")]
    Rtcp,
    #[error("the header's lengths do not fit the packet")]
    BadLength,
}

/// Reads an RTP packet (header, CSRCs, extension and padding accounted for).
pub fn parse(bytes: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if bytes.len() < 12 {
        return Err(RtpError::TooShort);
    }
    if bytes[0] >> 6 != 2 {
        return Err(RtpError::WrongVersion);
    }
    // RTCP multiplexed on the RTP port: packet types 200-204 sit where the
    // marker bit and payload type would (RFC 5761 section 4).
    if (200..=204).contains(&bytes[1]) {
        return Err(RtpError::Rtcp);
    }
    let padding = bytes[0] & 0x20 != 0;
    let extension = bytes[0] & 0x10 != 0;
    let csrc_count = usize::from(bytes[0] & 0x0f);
    let mut start = 12 + 4 * csrc_count;
    if extension {
        let words = bytes.get(start + 2..start + 4).ok_or(RtpError::BadLength)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = bytes.len();
    if padding {
        let pad = usize::from(*bytes.last().ok_or(RtpError::BadLength)?);
        end = end.checked_sub(pad).ok_or(RtpError::BadLength)?;
    }
    let payload = bytes.get(start..end).ok_or(RtpError::BadLength)?;
    Ok(RtpPacket {
        payload_type: bytes[1] & 0x7f,
        marker: bytes[1] & 0x80 != 0,
        sequence: u16::from_be_bytes([bytes[2], bytes[3]]),
        timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        payload,
    })
}

/// One outgoing RTP stream: its SSRC, sequence and clock.
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    /// The next packet starts a talkspurt (RFC 3551: marker on the first).
    first: bool,
}

impl RtpSender {
    /// A stream with random-looking starting values (`seed` from the caller,
    /// so this stays deterministic and free of I/O).
    pub fn new(seed: u64) -> Self {
        let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self {
            ssrc: (mixed >> 32) as u32,
            sequence: (mixed >> 16) as u16,
            timestamp: mixed as u32,
            first: true,
        }
    }

    /// A packet carrying `payload`, which lasts `samples` at 8 kHz.
    pub fn packet(&mut self, payload_type: u8, payload: &[u8], samples: u32) -> Vec<u8> {
        let mut packet = Vec::with_capacity(12 + payload.len());
        packet.push(0x80);
        packet.push((payload_type & 0x7f) | if self.first { 0x80 } else { 0 });
        packet.extend_from_slice(&self.sequence.to_be_bytes());
        packet.extend_from_slice(&self.timestamp.to_be_bytes());
        packet.extend_from_slice(&self.ssrc.to_be_bytes());
        packet.extend_from_slice(payload);
        self.first = false;
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples);
        packet
    }

    /// A telephone-event packet: next in sequence, but with the event's
    /// own marker and timestamp (RFC 4733 2.5); the clock is not moved.
    pub fn event(&mut self, payload_type: u8, event: &EventPacket) -> Vec<u8> {
        let mut packet = Vec::with_capacity(16);
        packet.push(0x80);
        packet.push((payload_type & 0x7f) | if event.marker { 0x80 } else { 0 });
        packet.extend_from_slice(&self.sequence.to_be_bytes());
        packet.extend_from_slice(&event.timestamp.to_be_bytes());
        packet.extend_from_slice(&self.ssrc.to_be_bytes());
        packet.extend_from_slice(&event.payload);
        self.sequence = self.sequence.wrapping_add(1);
        packet
    }

    /// Moves the clock on by `samples` with nothing sent (a tone's time).
    pub fn advance(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
    }

    /// The RTP time of the next packet.
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_sent_reads_back() {
        let mut sender = RtpSender::new(7);
        let first = sender.packet(PT_PCMU, &[0xff; 160], 160);
        let second = sender.packet(PT_PCMU, &[0x7f; 160], 160);
        let (a, b) = (parse(&first).expect("rtp"), parse(&second).expect("rtp"));
        assert_eq!(a.payload, &[0xff; 160][..]);
        assert!(a.marker && !b.marker);
        assert_eq!(b.sequence, a.sequence.wrapping_add(1));
        assert_eq!(b.timestamp, a.timestamp.wrapping_add(160));
        assert_eq!((a.ssrc, a.payload_type), (sender.ssrc(), PT_PCMU));
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        let mut packet = vec![0x80 | 0x20 | 0x10 | 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        packet.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        packet.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // a one-word extension
        packet.extend_from_slice(&[5, 6, 7]); // payload
        packet.extend_from_slice(&[0, 2]); // two bytes of padding
        assert_eq!(parse(&packet).expect("rtp").payload, &[5, 6, 7][..]);
    }

    #[test]
    fn hostile_bytes_are_refused_not_trusted() {
        assert_eq!(parse(&[0x80; 4]), Err(RtpError::TooShort));
        assert_eq!(parse(&[0x40; 20]), Err(RtpError::WrongVersion));
        let mut rtcp = vec![0x80, 200];
        rtcp.extend_from_slice(&[0; 26]);
        assert_eq!(parse(&rtcp), Err(RtpError::Rtcp));
        // 15 CSRCs claimed in a 12-byte packet; padding longer than the packet.
        assert_eq!(parse(&[0x8f; 12]), Err(RtpError::BadLength));
        let mut padded = vec![0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        padded.push(200);
        assert_eq!(parse(&padded), Err(RtpError::BadLength));
        // An extension whose length runs past the end.
        let mut extended = vec![0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        extended.extend_from_slice(&[0xbe, 0xde, 0xff, 0xff]);
        assert_eq!(parse(&extended), Err(RtpError::BadLength));
        // Every prefix of a real packet is either a packet or a clear error.
        let full = RtpSender::new(1).packet(PT_PCMU, &[1; 160], 160);
        for len in 0..full.len() {
            let _ = parse(&full[..len]);
        }
    }
}
