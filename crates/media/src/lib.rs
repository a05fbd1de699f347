//! Call audio: a caller leg plus at most one leg answering it, bridged.
//!
//! - The *caller* is the carrier's RTP through the SIP trunk ([`trunk`]),
//!   or, on the webhook path and in tests, a stand-in that speaks a WAV.
//! - The *answering* leg is the rep's browser (WebRTC), or voicemail
//!   (greeting player and recorder).
//! - The bridge relays PCMU frames as they are, with no transcoding;
//!   telephone-event from the trunk is counted and dropped.
//!
//! Media tells its owner what happened through [`MediaEvent`]s (a caller
//! whose RTP stopped is lost), so a call whose hang-up is lost still ends.
//! This crate knows nothing of the store or of HTTP.
//!
//! Each call that rings in a browser gets a [`leg::BrowserLeg`]: an audio-only
//! WebRTC peer ([str0m], sans I/O) offering PCMU and telephone-event over
//! DTLS-SRTP, ICE-lite, with one host candidate. Every call shares one UDP
//! socket, owned by the [`engine`] thread, which demultiplexes datagrams by
//! ICE credentials and then by source address.
//!
//! Until the SIP trunk exists the caller is a stand-in: it speaks the shipped
//! `assets/prospect.wav` and measures what the browser sends back, which the
//! carrier API reports (`GET /api/v1/carrier/calls/{id}/media`). Voicemail
//! plays the rep's greeting (or the shipped one) and records the caller to an
//! 8 kHz, 16-bit WAV for up to two minutes.
//!
//! [`MediaEngine`] is the handle the rest of the server holds; its methods
//! send a command to the media thread and wait for the reply.
//!
//! [str0m]: https://github.com/algesten/str0m

pub mod audio;
pub mod dtmf;
mod engine;
pub mod g711;
pub mod latency;
pub mod leg;
pub mod ports;
pub mod rtp;
pub mod softphone;
pub mod trunk;
pub mod voicemail;

pub use engine::{EngineStats, MediaReport};
pub use trunk::{TrunkPeer, TrunkReport};

use audio::{Clip, ClipError, Recorder};
use engine::{Command, Engine};
use protocol::CallId;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Why call audio could not be set up or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The browser's SDP answer could not be parsed or does not fit the offer.
    #[error("the SDP answer is not usable: {0}")]
    BadAnswer(String),
    /// A second answer for one offer (another browser lost the race).
    #[error("the call's audio was already answered")]
    AlreadyAnswered,
    #[error("the call has no audio here")]
    NoSuchCall,
    #[error("setting up call audio failed: {0}")]
    Setup(String),
    #[error("the media thread has stopped")]
    Stopped,
    /// Every RTP port pair of `--rtp-ports` is taken.
    #[error("all {pairs} RTP port pairs in {first}-{last} are in use; widen --rtp-ports")]
    NoPorts { pairs: usize, first: u16, last: u16 },
    /// The keypad's tones could not be queued; the message is for the rep.
    #[error(transparent)]
    Keypad(#[from] dtmf::KeypadError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Clip(#[from] ClipError),
}

/// Socket buffers for call audio. At the kernel's default (about 200 KB) a
/// burst of handshakes overflows the queue, DTLS flights are lost, and
/// their retransmission (a second later, then two) delays or fails the call.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// A UDP socket bound to `bind` with [`SOCKET_BUFFER_BYTES`] each way (the
/// kernel may grant less: `net.core.rmem_max` caps it).
pub fn udp_socket(bind: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(bind), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer still works, only less well under bursts.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER_BYTES);
    socket.bind(&bind.into())?;
    Ok(socket.into())
}

/// Commands queued for the media thread at most. A handful arrive per call
/// event; thousands waiting means the thread is stuck or swamped.
const COMMAND_QUEUE: usize = 4096;

/// What media reports back about a call, unasked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// The caller's RTP stopped for [`trunk::LOST_AFTER`] while the call was
    /// answered: treat it as a hang-up whose message never came.
    CallerLost { call: CallId },
    /// The browser that answered lost its audio for good (ICE or DTLS
    /// failed, or no path for [`trunk::LOST_AFTER`]).
    BrowserLost { call: CallId },
}

/// Handle to the media thread. Cheap to clone.
#[derive(Clone)]
pub struct MediaEngine {
    /// Bounded: a media thread that cannot keep up pushes back on callers
    /// rather than queueing without end.
    commands: mpsc::Sender<Command>,
    local_addr: SocketAddr,
    default_greeting: Arc<Clip>,
}

impl MediaEngine {
    /// Binds the media socket on `bind` (its address is the ICE candidate the
    /// browser connects to, so it must be one browsers reach) and starts the
    /// media thread.
    ///
    /// Trunk legs take their RTP port pairs from `rtp_ports`, on the same IP.
    /// What happens to calls arrives on the returned receiver.
    pub fn start(
        bind: SocketAddr,
        rtp_ports: std::ops::RangeInclusive<u16>,
    ) -> Result<(Self, mpsc::UnboundedReceiver<MediaEvent>), MediaError> {
        if bind.ip().is_unspecified() {
            return Err(MediaError::Setup(format!(
                "--media-addr {bind} is not an address a browser can reach; give the server's own IP (e.g. 127.0.0.1:0 on one machine)"
            )));
        }
        let socket = udp_socket(bind)?;
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let prospect = Arc::new(Clip::from_wav(audio::shipped::PROSPECT_WAV, 600)?);
        let default_greeting = Arc::new(Clip::from_wav(audio::shipped::GREETING_WAV, 600)?);
        let crypto = Arc::new(str0m::crypto::from_feature_flags());
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let (events, event_receiver) = mpsc::unbounded_channel();
        let ports = ports::PortPool::new(rtp_ports);
        std::thread::Builder::new()
            .name("ringback-media".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        tracing::error!(%error, "the media thread could not start; calls will have no audio");
                        return;
                    }
                };
                runtime.block_on(async move {
                    match tokio::net::UdpSocket::from_std(socket).and_then(|s| Engine::new(s, crypto, prospect, ports, events)) {
                        Ok(engine) => engine.run(receiver).await,
                        Err(error) => tracing::error!(%error, "the media socket failed; calls will have no audio"),
                    }
                });
            })?;
        tracing::info!(%local_addr, "call audio on UDP");
        Ok((
            Self {
                commands,
                local_addr,
                default_greeting,
            },
            event_receiver,
        ))
    }

    /// The UDP address browsers send call audio to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shipped voicemail greeting.
    pub fn default_greeting(&self) -> Arc<Clip> {
        self.default_greeting.clone()
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, MediaError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| MediaError::Stopped)?;
        answer.await.map_err(|_| MediaError::Stopped)
    }

    /// Sends a command that needs no answer, without waiting for room
    /// unless the queue is full (then on a task of its own).
    fn tell(&self, command: Command) {
        match self.commands.try_send(command) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(command)) => {
                tracing::warn!("the media thread is behind; a command waits for room");
                let commands = self.commands.clone();
                tokio::spawn(async move {
                    let _ = commands.send(command).await;
                });
            }
        }
    }

    /// The call's caller is on the trunk at `peer`: opens its RTP port pair
    /// and returns the local RTP address (for the SDP answer).
    pub async fn trunk_caller(
        &self,
        call: CallId,
        peer: TrunkPeer,
    ) -> Result<SocketAddr, MediaError> {
        self.ask(|reply| Command::TrunkCaller { call, peer, reply })
            .await?
    }

    /// The forwarding phone is dialled for `call`: opens the RTP port pair
    /// its SDP offer names, and returns the local RTP address.
    pub async fn open_phone(&self, call: CallId) -> Result<SocketAddr, MediaError> {
        self.ask(|reply| Command::OpenPhone { call, reply }).await?
    }

    /// The phone answered from `peer`: caller and phone are bridged, and
    /// whatever else answered (a browser leg still set up) is released.
    pub async fn connect_phone(&self, call: CallId, peer: TrunkPeer) -> Result<(), MediaError> {
        self.ask(|reply| Command::ConnectPhone { call, peer, reply })
            .await?
    }

    /// Ringback dials a party for `call` (an outbound call): opens the RTP
    /// port pair its SDP offer names, as the call's caller side, and returns
    /// the local RTP address. The browser leg ([`Self::offer`]) relays to it.
    pub async fn open_callee(&self, call: CallId) -> Result<SocketAddr, MediaError> {
        self.ask(|reply| Command::OpenCallee { call, reply })
            .await?
    }

    /// The dialled party answered from `peer`: its audio flows from now on.
    pub async fn connect_callee(&self, call: CallId, peer: TrunkPeer) -> Result<(), MediaError> {
        self.ask(|reply| Command::ConnectCallee { call, peer, reply })
            .await?
    }

    /// Sends keypad tones (RFC 4733 telephone-events) to the far end of
    /// the call's trunk leg, after any still queued.
    pub async fn send_digits(&self, call: CallId, keys: String) -> Result<(), MediaError> {
        self.ask(|reply| Command::Digits { call, keys, reply })
            .await?
    }

    /// The phone leg is over (stopped ringing, or hung up).
    pub fn close_phone(&self, call: CallId) {
        self.tell(Command::ClosePhone { call });
    }

    /// A new WebRTC leg for a call that rings in the browser; returns its SDP offer.
    pub async fn offer(&self, call: CallId) -> Result<String, MediaError> {
        self.ask(|reply| Command::Offer { call, reply }).await?
    }

    /// Applies the winning browser's SDP answer.
    pub async fn answer(&self, call: CallId, sdp: String) -> Result<(), MediaError> {
        leg::parse_answer(&sdp)?;
        self.ask(|reply| Command::Answer { call, sdp, reply })
            .await?
    }

    /// The call goes to voicemail: play `greeting`, then record the caller.
    pub fn start_voicemail(&self, call: CallId, greeting: Arc<Clip>) {
        self.tell(Command::Voicemail { call, greeting });
    }

    /// Call waiting: holds the call (no audio relayed either way; the caller
    /// hears silence) or takes it off hold.
    pub fn hold(&self, call: CallId, held: bool) {
        self.tell(Command::Hold { call, held });
    }

    /// Drops a call's browser leg, if it has one (a voicemail is left alone).
    pub fn release_browser_leg(&self, call: CallId) {
        self.tell(Command::ReleaseBrowserLeg { call });
    }

    /// Ends a call's media; a voicemail's recording comes back to be saved.
    pub async fn end(&self, call: CallId) -> Option<Recorder> {
        self.ask(|reply| Command::End { call, reply })
            .await
            .ok()
            .flatten()
    }

    /// What the caller's side of a call hears and sends.
    pub async fn report(&self, call: CallId) -> Option<MediaReport> {
        self.ask(|reply| Command::Report { call, reply })
            .await
            .ok()
            .flatten()
    }

    /// The media thread's CPU time and latencies; `reset` starts the latency
    /// samples afresh.
    pub async fn stats(&self, reset: bool) -> Result<EngineStats, MediaError> {
        self.ask(|reply| Command::Stats { reset, reply }).await
    }
}
