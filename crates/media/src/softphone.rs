//! A minimal WebRTC softphone: full ICE, PCMU, its own UDP socket. It answers
//! the server's offer the way the rep's browser does, so the integration tests
//! and `make bench` can exercise the media path without Chromium. It is not
//! used by the server itself.

use super::MediaError;
use super::audio::{FRAME_MS, FRAME_SAMPLES, LevelMeter};
use super::g711;
use super::leg::receive;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

/// What the softphone says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// A steady 440 Hz tone, well above the speech threshold.
    Tone,
    /// Digital silence (what a muted microphone sends).
    Silence,
}

pub struct Softphone {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Option<Mid>,
    connected: bool,
    voice: Voice,
    heard: LevelMeter,
    sent_samples: u64,
    packets_received: u64,
    next_frame: Instant,
    next_timeout: Instant,
    buf: Vec<u8>,
    decoded: Vec<i16>,
}

impl Softphone {
    /// Answers `offer` from a fresh socket on 127.0.0.1; returns the answer SDP.
    pub fn answer(offer: &str) -> Result<(Self, String), MediaError> {
        let socket = crate::udp_socket(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        socket.set_nonblocking(true)?;
        let local = socket.local_addr()?;
        let now = Instant::now();
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_pcmu(true, false)
            .build(now);
        let candidate =
            Candidate::host(local, "udp").map_err(|e| MediaError::Setup(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let offer =
            SdpOffer::from_sdp_string(offer).map_err(|e| MediaError::Setup(e.to_string()))?;
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::Setup(e.to_string()))?;
        let phone = Self {
            rtc,
            socket,
            local,
            mid: None,
            connected: false,
            voice: Voice::Tone,
            heard: LevelMeter::default(),
            sent_samples: 0,
            packets_received: 0,
            next_frame: now,
            next_timeout: now,
            buf: vec![0; 2048],
            decoded: Vec::with_capacity(FRAME_SAMPLES),
        };
        Ok((phone, answer.to_sdp_string()))
    }

    pub fn set_voice(&mut self, voice: Voice) {
        self.voice = voice;
    }

    pub fn connected(&self) -> bool {
        self.connected
    }

    /// What the softphone heard from the server (the stand-in caller's voice).
    pub fn heard(&self) -> &LevelMeter {
        &self.heard
    }

    pub fn packets_received(&self) -> u64 {
        self.packets_received
    }

    /// Runs the phone for `duration` on the calling thread.
    pub fn run_for(&mut self, duration: Duration) {
        let end = Instant::now() + duration;
        while Instant::now() < end {
            let wake = self.step(Instant::now());
            let nap = wake
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(2));
            std::thread::sleep(nap);
        }
    }

    /// Does everything due by `now` (read datagrams, timers, the next frame);
    /// returns when it next has something to do.
    pub fn step(&mut self, now: Instant) -> Instant {
        while let Ok((len, source)) = self.socket.recv_from(&mut self.buf) {
            let Some(input) = receive(now, source, self.local, &self.buf[..len]) else {
                continue;
            };
            let _ = self.rtc.handle_input(input);
            self.drain();
        }
        if now >= self.next_timeout {
            let _ = self.rtc.handle_input(Input::Timeout(now));
            self.drain();
        }
        if now >= self.next_frame {
            self.speak(now);
            self.next_frame += Duration::from_millis(FRAME_MS);
            self.drain();
        }
        self.next_timeout.min(self.next_frame)
    }

    fn speak(&mut self, now: Instant) {
        let (Some(mid), true) = (self.mid, self.connected) else {
            return;
        };
        let frame: Vec<i16> = (0..FRAME_SAMPLES as u64)
            .map(|i| match self.voice {
                Voice::Tone => {
                    let t = (self.sent_samples + i) as f64 / 8000.0;
                    (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
                }
                Voice::Silence => 0,
            })
            .collect();
        let payload = g711::encode_frame(&frame);
        let time = MediaTime::new(self.sent_samples, Frequency::EIGHT_KHZ);
        self.sent_samples += FRAME_SAMPLES as u64;
        if let Some(writer) = self.rtc.writer(mid) {
            let _ = writer.write(Pt::from(0), now, time, payload);
        }
    }

    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.next_timeout = at;
                    return;
                }
                Ok(Output::Transmit(datagram)) => {
                    let _ = self
                        .socket
                        .send_to(&datagram.contents, datagram.destination);
                }
                Ok(Output::Event(event)) => match event {
                    Event::Connected => self.connected = true,
                    Event::MediaAdded(added) => self.mid = Some(added.mid),
                    Event::MediaData(data) if data.params.spec().codec == Codec::PCMU => {
                        self.packets_received += 1;
                        g711::decode_frame(&data.data, &mut self.decoded);
                        self.heard.push(&self.decoded);
                    }
                    _ => {}
                },
                Err(_) => {
                    self.next_timeout = Instant::now() + Duration::from_secs(1);
                    return;
                }
            }
        }
    }
}
