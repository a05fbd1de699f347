//! One call's WebRTC leg to the rep's browser, sans I/O: packets and time go
//! in, packets to send and the next wake-up come out. The [`super::engine`]
//! owns the socket and the clock; everything here is deterministic given them.
//!
//! On the other end is the caller: on the SIP trunk a real one, whose PCMU
//! the engine relays in and out ([`CallerSide::Relay`]); on the webhook path
//! and in tests a [`StandInCaller`] that speaks a shipped recording. Either
//! way the leg meters what the rep says.

use super::MediaError;
use super::audio::{ClipPlayer, FRAME_SAMPLES, LevelMeter, SAMPLE_RATE};
use super::g711;
use super::latency::Latencies;
use protocol::CallId;
use serde::Serialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::config::CryptoProvider;
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive, Transmit};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};

/// PCMU's static payload type.
const PT_PCMU: u8 = 0;
/// The conventional dynamic payload type for telephone-event (DTMF).
const PT_TELEPHONE_EVENT: u8 = 101;

/// The prospect's side of a browser call on the webhook path: a voice.
#[derive(Debug)]
pub struct StandInCaller {
    voice: ClipPlayer,
}

impl StandInCaller {
    pub fn new(voice: ClipPlayer) -> Self {
        Self { voice }
    }
}

/// Who is on the other end of the browser's audio.
#[derive(Debug)]
pub enum CallerSide {
    StandIn(StandInCaller),
    /// A caller whose audio the engine relays: the browser's PCMU frames wait
    /// here until the engine sends them on, without transcoding.
    Relay {
        to_caller: VecDeque<Vec<u8>>,
    },
}

impl CallerSide {
    pub fn relay() -> Self {
        Self::Relay {
            to_caller: VecDeque::new(),
        }
    }
}

/// Frames of the rep's audio held for the caller at most (a second); more
/// means the engine is not draining, and the oldest are dropped.
const RELAY_BACKLOG: usize = 50;

/// What the caller's side of a call has seen, for the carrier API and tests.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LegReport {
    /// ICE and DTLS are up: audio flows.
    pub connected: bool,
    pub packets_received: u64,
    pub packets_sent: u64,
    /// Loudness of what the caller heard over the last half second.
    pub heard_dbfs: f64,
    /// 20 ms frames the caller heard, and how many of them were speech-loud.
    pub heard_frames: u64,
    pub heard_loud_frames: u64,
    /// DTMF events the browser sent.
    pub telephone_events: u64,
}

/// A call's audio between the server and one browser.
pub struct BrowserLeg {
    call_id: CallId,
    rtc: Rtc,
    mid: Mid,
    /// The offer waiting for the browser's answer; `None` once answered.
    pending: Option<SdpPendingOffer>,
    /// The answer applied, so the same Accept retried (a lost reply, a
    /// reconnect) is recognised rather than refused.
    answered_with: Option<String>,
    /// DTLS completed once: SRTP keys exist.
    dtls_up: bool,
    /// Audio can flow now: DTLS is up and ICE has a working pair.
    connected: bool,
    /// When audio stopped flowing after it had flowed (an ICE blip recovers;
    /// a browser that vanished does not).
    down_since: Option<Instant>,
    /// The WebRTC stack failed (DTLS or ICE gave up): the leg is dead.
    failed: bool,
    caller: CallerSide,
    /// What the rep's browser sends, metered.
    heard: LevelMeter,
    /// RTP time of the next frame the caller speaks, in samples.
    sent_samples: u64,
    packets_received: u64,
    packets_sent: u64,
    telephone_events: u64,
    /// Reused for decoding, so a packet costs no allocation.
    decoded: Vec<i16>,
}

impl BrowserLeg {
    /// A new leg with its SDP offer: audio only, PCMU and telephone-event,
    /// ICE-lite on `local_addr` (the one UDP socket every call shares).
    pub fn offer(
        call_id: CallId,
        local_addr: SocketAddr,
        crypto: Arc<CryptoProvider>,
        caller: CallerSide,
        now: Instant,
    ) -> Result<(Self, String), MediaError> {
        let mut config = RtcConfig::new()
            .set_crypto_provider(crypto)
            // The browser runs full ICE and checks toward our one host
            // candidate; we only answer, so no candidates need to trickle.
            .set_ice_lite(true)
            // Hand audio on as it arrives: holding packets back to reorder
            // them (str0m's default waits up to 15, 300 ms, on a gap) is the
            // playout end's job, and here it would only add delay.
            .set_reordering_size_audio(0)
            .clear_codecs()
            .enable_pcmu(true, false);
        config.codec_config().add_config(
            Pt::from(PT_TELEPHONE_EVENT),
            None,
            Codec::Tele,
            Frequency::EIGHT_KHZ,
            None,
            FormatParams::parse_line("0-16"),
        );
        let mut rtc = config.build(now);
        let candidate = Candidate::host(local_addr, "udp")
            .map_err(|e| MediaError::Setup(format!("host candidate {local_addr}: {e}")))?;
        rtc.add_local_candidate(candidate);
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change
            .apply()
            .ok_or_else(|| MediaError::Setup("no SDP change to offer".into()))?;
        let leg = Self {
            call_id,
            rtc,
            mid,
            pending: Some(pending),
            answered_with: None,
            dtls_up: false,
            connected: false,
            down_since: None,
            failed: false,
            caller,
            heard: LevelMeter::default(),
            sent_samples: 0,
            packets_received: 0,
            packets_sent: 0,
            telephone_events: 0,
            decoded: Vec::with_capacity(FRAME_SAMPLES),
        };
        Ok((leg, offer.to_sdp_string()))
    }

    /// Applies the browser's answer. Only the first answer counts; the same
    /// answer again is fine (a retried Accept).
    pub fn accept_answer(&mut self, sdp: &str) -> Result<(), MediaError> {
        if self.answered_with.as_deref() == Some(sdp) {
            return Ok(());
        }
        let answer = parse_answer(sdp)?;
        let pending = self.pending.take().ok_or(MediaError::AlreadyAnswered)?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| MediaError::BadAnswer(e.to_string()))?;
        self.answered_with = Some(sdp.to_owned());
        Ok(())
    }

    pub fn call_id(&self) -> CallId {
        self.call_id
    }

    /// Whether a datagram from `source` belongs to this leg (STUN credentials,
    /// or the address ICE settled on).
    pub fn accepts(
        &self,
        now: Instant,
        source: SocketAddr,
        local: SocketAddr,
        bytes: &[u8],
    ) -> bool {
        match receive(now, source, local, bytes) {
            Some(input) => self.rtc.accepts(&input),
            None => false,
        }
    }

    /// Feeds one datagram in. Garbage is dropped (it is UDP: anyone can send).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        local: SocketAddr,
        bytes: &[u8],
    ) {
        if let Some(input) = receive(now, source, local, bytes)
            && let Err(error) = self.rtc.handle_input(input)
        {
            tracing::debug!(call = %self.call_id, %error, "dropped a datagram");
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Err(error) = self.rtc.handle_input(Input::Timeout(now)) {
            tracing::debug!(call = %self.call_id, %error, "timeout handling failed");
        }
    }

    /// The stand-in caller says the next 20 ms. Nothing is sent before ICE
    /// and DTLS are up, so the prospect's first words are not lost to the
    /// handshake.
    pub fn speak(&mut self, now: Instant) {
        if !self.connected {
            return;
        }
        let CallerSide::StandIn(caller) = &mut self.caller else {
            return;
        };
        let Some(frame) = caller.voice.next_frame() else {
            return;
        };
        self.relay_to_browser(now, g711::encode_frame(&frame));
    }

    /// Sends the caller's PCMU to the browser as it is (no transcoding).
    /// Before audio is up it is dropped, as a phone line would.
    pub fn relay_to_browser(&mut self, now: Instant, payload: Vec<u8>) {
        if !self.connected {
            return;
        }
        let samples = payload.len() as u64;
        let rtp_time = MediaTime::new(self.sent_samples, Frequency::EIGHT_KHZ);
        self.sent_samples += samples;
        let Some(writer) = self.rtc.writer(self.mid) else {
            return;
        };
        match writer.write(Pt::from(PT_PCMU), now, rtp_time, payload) {
            Ok(()) => self.packets_sent += 1,
            Err(error) => tracing::debug!(call = %self.call_id, %error, "audio frame not sent"),
        }
    }

    /// Drains what the leg wants to do: datagrams go to `transmit`, heard
    /// audio to the caller. Returns when it next needs [`Self::handle_timeout`].
    pub fn poll(
        &mut self,
        latencies: &mut Latencies,
        mut transmit: impl FnMut(Transmit),
    ) -> Instant {
        loop {
            let output = match self.rtc.poll_output() {
                Ok(output) => output,
                Err(error) => {
                    tracing::warn!(call = %self.call_id, %error, "WebRTC leg failed; closing it");
                    self.rtc.disconnect();
                    self.failed = true;
                    return Instant::now() + std::time::Duration::from_secs(3600);
                }
            };
            match output {
                Output::Timeout(at) => return at,
                Output::Transmit(datagram) => transmit(datagram),
                Output::Event(event) => self.on_event(event, latencies),
            }
        }
    }

    fn on_event(&mut self, event: Event, latencies: &mut Latencies) {
        match event {
            Event::Connected => {
                tracing::info!(call = %self.call_id, "call audio connected");
                self.dtls_up = true;
                self.connected = true;
            }
            // str0m says Connected once; after a network blip ICE recovers on
            // its own and the audio must resume with it.
            Event::IceConnectionStateChange(state) => {
                let flowing = matches!(
                    state,
                    IceConnectionState::Connected | IceConnectionState::Completed
                );
                if self.connected != (self.dtls_up && flowing) {
                    tracing::info!(call = %self.call_id, ?state, "call audio path changed");
                }
                self.connected = self.dtls_up && flowing;
                if self.connected {
                    self.down_since = None;
                } else if self.dtls_up && self.down_since.is_none() {
                    self.down_since = Some(Instant::now());
                }
                if state == IceConnectionState::Disconnected && !self.dtls_up {
                    // ICE gave up before DTLS ever came up.
                    self.down_since.get_or_insert_with(Instant::now);
                }
            }
            Event::MediaData(data) => {
                self.packets_received += 1;
                if data.params.spec().codec == Codec::PCMU {
                    latencies.record_ingress(data.network_time.elapsed());
                    g711::decode_frame(&data.data, &mut self.decoded);
                    self.heard.push(&self.decoded);
                    if let CallerSide::Relay { to_caller } = &mut self.caller {
                        if to_caller.len() >= RELAY_BACKLOG {
                            to_caller.pop_front();
                        }
                        to_caller.push_back(data.data.to_vec());
                    }
                } else {
                    self.telephone_events += 1;
                }
            }
            _ => {}
        }
    }

    pub fn report(&self) -> LegReport {
        LegReport {
            connected: self.connected,
            packets_received: self.packets_received,
            packets_sent: self.packets_sent,
            heard_dbfs: self.heard.recent_dbfs(),
            heard_frames: self.heard.frames(),
            heard_loud_frames: self.heard.loud_frames(),
            telephone_events: self.telephone_events,
        }
    }

    /// The leg is gone for good: its stack failed, or audio that had flowed
    /// has been down for `after` (ICE-lite cannot be restarted from here).
    pub fn lost(&self, now: Instant, after: std::time::Duration) -> bool {
        self.failed
            || self
                .down_since
                .is_some_and(|since| now.duration_since(since) >= after)
    }

    /// The browser's answer was applied (the call is the browser's).
    pub fn answered(&self) -> bool {
        self.answered_with.is_some()
    }

    /// The rep's audio waiting for a relayed caller, oldest first.
    pub fn take_for_caller(&mut self) -> impl Iterator<Item = Vec<u8>> + '_ {
        let frames = match &mut self.caller {
            CallerSide::Relay { to_caller } => Some(to_caller.drain(..)),
            CallerSide::StandIn(_) => None,
        };
        frames.into_iter().flatten()
    }

    /// The caller's voice position, in seconds (for logs).
    pub fn spoken_secs(&self) -> u64 {
        self.sent_samples / u64::from(SAMPLE_RATE)
    }
}

/// Parses an SDP answer, naming what is wrong with a bad one.
pub fn parse_answer(sdp: &str) -> Result<SdpAnswer, MediaError> {
    if sdp.len() > MAX_SDP_BYTES {
        return Err(MediaError::BadAnswer(format!(
            "the answer is {} bytes; the most is {MAX_SDP_BYTES}",
            sdp.len()
        )));
    }
    SdpAnswer::from_sdp_string(sdp).map_err(|e| MediaError::BadAnswer(e.to_string()))
}

/// A browser's audio-only answer is 1 to 4 KB; more is not an answer to our offer.
pub const MAX_SDP_BYTES: usize = 8 * 1024;

/// A datagram as str0m input; `None` for bytes that are no WebRTC protocol.
pub(super) fn receive<'a>(
    now: Instant,
    source: SocketAddr,
    destination: SocketAddr,
    bytes: &'a [u8],
) -> Option<Input<'a>> {
    let contents = bytes.try_into().ok()?;
    Some(Input::Receive(
        now,
        Receive {
            proto: Protocol::Udp,
            source,
            destination,
            contents,
        },
    ))
}
