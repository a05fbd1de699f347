//! Keypad tones to the far end as RFC 4733 telephone-events: what an IVR
//! ("press 1 for sales") reads. Sans I/O: digits are queued, and each 20 ms
//! tick of the media clock says which event packet (if any) goes out.
//!
//! Per RFC 4733 section 2.5: every packet of one tone carries the timestamp
//! of its start and a duration that grows by 20 ms a packet; the first has
//! the marker bit; the last has the E bit and is sent three times. Digits
//! are [`TONE_TICKS`] long with [`GAP_TICKS`] of nothing between them.

use std::collections::VecDeque;

/// Ticks (20 ms each) a tone lasts: 100 ms, which every IVR detects.
pub const TONE_TICKS: u16 = 5;
/// Ticks of silence between two tones, so they read as two presses.
pub const GAP_TICKS: u8 = 3;
/// How often the end packet goes (RFC 4733 2.5.1.4 recommends three).
pub const END_COPIES: u8 = 3;
/// The loudness carried in each packet, in −dBm0 (RFC 4733 2.3.4).
pub const VOLUME: u8 = 10;
/// Samples (at 8 kHz) per tick.
pub const TICK_SAMPLES: u16 = 160;
/// Digits a call may have waiting at once; more are refused, so a client
/// cannot queue minutes of tones.
pub const MAX_PENDING: usize = 32;

/// Why digits were not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeypadError {
    #[error("The other side does not accept keypad tones.")]
    NotAccepted,
    #[error("{0:?} is not a keypad key (0-9, *, #, A-D).")]
    NotAKey(char),
    #[error("No keys were given.")]
    Empty,
    #[error("Too many keypad tones are waiting (at most {MAX_PENDING}); wait for them to be sent.")]
    TooMany,
}

/// The RFC 4733 event code of a keypad key: 0-9, `*` 10, `#` 11, A-D 12-15.
pub fn event_code(key: char) -> Option<u8> {
    match key {
        '0'..='9' => Some(key as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(key as u8 - b'A' + 12),
        'a'..='d' => Some(key as u8 - b'a' + 12),
        _ => None,
    }
}

/// Reads `keys` as event codes, refusing the whole string for one bad key.
pub fn event_codes(keys: &str) -> Result<Vec<u8>, KeypadError> {
    if keys.is_empty() {
        return Err(KeypadError::Empty);
    }
    keys.chars()
        .map(|key| event_code(key).ok_or(KeypadError::NotAKey(key)))
        .collect()
}

/// One telephone-event packet to send: the RTP header's marker and
/// timestamp, and the 4-byte payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    pub marker: bool,
    pub timestamp: u32,
    pub payload: [u8; 4],
}

impl EventPacket {
    fn new(event: u8, end: bool, duration: u16, marker: bool, timestamp: u32) -> Self {
        let [high, low] = duration.to_be_bytes();
        Self {
            marker,
            timestamp,
            payload: [event, (u8::from(end) << 7) | VOLUME, high, low],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// A tone started at `start` (RTP time); `ticks` of it sent so far,
    /// then `ends` copies of its end packet.
    Tone {
        event: u8,
        start: u32,
        ticks: u16,
        ends: u8,
    },
    /// Silence after a tone: `left` ticks to go.
    Gap {
        left: u8,
    },
}

/// The tones a call's trunk leg still has to send.
#[derive(Debug, Clone)]
pub struct Keypad {
    pending: VecDeque<u8>,
    state: State,
}

impl Default for Keypad {
    fn default() -> Self {
        Self {
            pending: VecDeque::new(),
            state: State::Idle,
        }
    }
}

impl Keypad {
    /// Queues `keys` (all or none).
    pub fn queue(&mut self, keys: &str) -> Result<(), KeypadError> {
        let codes = event_codes(keys)?;
        if self.pending.len() + codes.len() > MAX_PENDING {
            return Err(KeypadError::TooMany);
        }
        self.pending.extend(codes);
        Ok(())
    }

    /// A tone is being sent: the caller's own audio must not go meanwhile
    /// (the far end would hear both on one stream).
    pub fn sounding(&self) -> bool {
        matches!(self.state, State::Tone { .. })
    }

    /// Nothing queued or under way.
    pub fn idle(&self) -> bool {
        self.state == State::Idle && self.pending.is_empty()
    }

    /// One 20 ms tick; `now` is the stream's RTP time at this tick. Returns
    /// the packet to send, if any.
    pub fn tick(&mut self, now: u32) -> Option<EventPacket> {
        if self.state == State::Idle {
            let event = self.pending.pop_front()?;
            self.state = State::Tone {
                event,
                start: now,
                ticks: 0,
                ends: 0,
            };
        }
        match &mut self.state {
            State::Idle => None,
            State::Gap { left } => {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    self.state = State::Idle;
                }
                None
            }
            State::Tone {
                event,
                start,
                ticks,
                ends,
            } => {
                let (event, start) = (*event, *start);
                if *ticks < TONE_TICKS {
                    *ticks += 1;
                    let duration = *ticks * TICK_SAMPLES;
                    let end = *ticks == TONE_TICKS;
                    if end {
                        *ends = 1;
                    }
                    return Some(EventPacket::new(event, end, duration, *ticks == 1, start));
                }
                *ends += 1;
                if *ends >= END_COPIES {
                    self.state = State::Gap { left: GAP_TICKS };
                }
                let duration = TONE_TICKS * TICK_SAMPLES;
                Some(EventPacket::new(event, true, duration, false, start))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ticks `keypad` until idle, the RTP clock advancing 160 a tick; each
    /// tick's packet (or none).
    fn run(keypad: &mut Keypad, from: u32) -> Vec<Option<EventPacket>> {
        let mut out = Vec::new();
        let mut now = from;
        while !keypad.idle() {
            out.push(keypad.tick(now));
            now = now.wrapping_add(u32::from(TICK_SAMPLES));
            assert!(out.len() < 1000, "never idle");
        }
        out
    }

    #[test]
    fn keys_map_to_rfc_4733_event_codes() {
        let codes = event_codes("0123456789*#ABCDd").expect("keys");
        assert_eq!(
            codes,
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15]
        );
        assert_eq!(event_codes("12x"), Err(KeypadError::NotAKey('x')));
        assert_eq!(event_codes(""), Err(KeypadError::Empty));
        assert_eq!(event_codes("١"), Err(KeypadError::NotAKey('١')));
    }

    #[test]
    fn one_tone_grows_then_ends_three_times_at_its_start_timestamp() {
        let mut keypad = Keypad::default();
        keypad.queue("5").expect("queued");
        let ticks = run(&mut keypad, u32::MAX - 100);
        let packets: Vec<EventPacket> = ticks.iter().flatten().copied().collect();
        assert_eq!(
            packets.len(),
            5 + 2,
            "five growing packets, the end sent thrice"
        );
        assert!(packets.iter().all(|p| p.timestamp == u32::MAX - 100));
        assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
        let durations: Vec<u16> = packets
            .iter()
            .map(|p| u16::from_be_bytes([p.payload[2], p.payload[3]]))
            .collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        let ends: Vec<bool> = packets.iter().map(|p| p.payload[1] & 0x80 != 0).collect();
        assert_eq!(ends, [false, false, false, false, true, true, true]);
        assert!(
            packets
                .iter()
                .all(|p| p.payload[0] == 5 && p.payload[1] & 0x3f == VOLUME)
        );
        assert_eq!(
            ticks.len(),
            packets.len() + usize::from(GAP_TICKS),
            "then a gap"
        );
    }

    #[test]
    fn digits_follow_each_other_with_a_gap_and_their_own_start() {
        let mut keypad = Keypad::default();
        keypad.queue("1#").expect("queued");
        assert!(!keypad.sounding());
        let first = keypad.tick(1000).expect("a packet");
        assert!(keypad.sounding());
        let ticks = run(&mut keypad, 1160);
        let packets: Vec<EventPacket> = ticks.iter().flatten().copied().collect();
        let second: Vec<&EventPacket> = packets.iter().filter(|p| p.payload[0] == 11).collect();
        assert_eq!((first.payload[0], first.timestamp), (1, 1000));
        assert_eq!(second.len(), 7);
        // One tone of 7 ticks and a gap of 3 after the first tick at 1000.
        assert_eq!(second[0].timestamp, 1000 + 10 * 160);
        assert!(second[0].marker);
        let rest = ticks.iter().take_while(|t| t.is_some()).count();
        assert_eq!(rest, 6, "the rest of the first tone, then the gap");
        assert!(ticks[6..9].iter().all(Option::is_none));
        assert!(!keypad.sounding() && keypad.tick(9999).is_none());
    }

    #[test]
    fn a_client_cannot_queue_without_end() {
        let mut keypad = Keypad::default();
        keypad.queue(&"1".repeat(MAX_PENDING - 1)).expect("fits");
        assert_eq!(keypad.queue("23"), Err(KeypadError::TooMany));
        keypad.queue("2").expect("exactly full");
        assert_eq!(keypad.queue("3"), Err(KeypadError::TooMany));
        // Each one started frees a place.
        keypad.tick(0);
        keypad.queue("3").expect("room again");
        assert_eq!(keypad.queue("4x"), Err(KeypadError::NotAKey('x')));
    }
}
