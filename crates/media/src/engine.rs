//! The media thread: one UDP socket for every call, the 20 ms audio clock, and
//! the timers of every WebRTC leg, on a single-threaded runtime of its own so
//! that call audio never waits behind HTTP work (and its CPU time is its own).

use super::audio::{Clip, ClipPlayer, FRAME_MS, Recorder};
use super::latency::{Latencies, LatencySummary};
use super::leg::{BrowserLeg, CallerSide, LegReport, StandInCaller};
use super::ports::PortPool;
use super::trunk::{LOST_AFTER, TrunkPeer, TrunkReport};
use super::voicemail::Voicemail;
use super::{MediaError, MediaEvent, g711};
use protocol::CallId;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::config::CryptoProvider;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;

mod command;
mod rtp_legs;
mod stun;

pub(crate) use command::Command;
use rtp_legs::{RTP_QUEUE, RtpDatagram, RtpPort};
use stun::{looks_like_stun, stun_username};

/// Where a call's audio stands, as the caller's side sees it. `trunk` is
/// the caller's RTP leg, for a call that came over the SIP trunk.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaReport {
    Browser {
        #[serde(flatten)]
        leg: LegReport,
        trunk: Option<TrunkReport>,
    },
    Voicemail {
        /// 20 ms frames of the greeting played so far.
        greeting_frames: u64,
        recorded_ms: u64,
        trunk: Option<TrunkReport>,
    },
    /// The forwarding phone answered; `phone` is its RTP leg.
    Phone {
        trunk: Option<TrunkReport>,
        phone: Option<TrunkReport>,
    },
    /// Only the caller's leg so far: the call rings.
    Caller { trunk: Option<TrunkReport> },
}

/// The media thread's own figures, for `make bench`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EngineStats {
    pub sessions: usize,
    /// CPU time the media thread has used since it started.
    pub cpu_ms: u64,
    pub ingress: LatencySummary,
    pub egress: LatencySummary,
}

/// A call's audio: the caller, and at most one leg answering it.
struct Session {
    /// The caller on the trunk; `None` on the webhook path, where the
    /// stand-in speaks inside the answering leg.
    trunk: Option<RtpPort>,
    /// The forwarding phone's RTP leg, from the moment it is dialled; it
    /// answers only once [`Answering::Phone`] says so.
    phone: Option<RtpPort>,
    answering: Option<Answering>,
    /// When the caller's leg started, for "lost" when RTP never came.
    since: Instant,
    /// The exchange has been told this caller is lost (told once).
    lost_reported: bool,
    /// ... and that the browser answering it is (told once).
    browser_lost_reported: bool,
    /// On hold (call waiting): no audio is relayed either way, and a caller
    /// that sends nothing meanwhile (as a held party may) is not lost.
    held: bool,
}

enum Answering {
    Browser(Box<BrowserLeg>),
    Voicemail(Box<Voicemail>),
    /// The forwarding phone (its leg is [`Session::phone`]).
    Phone,
}

pub(super) struct Engine {
    socket: UdpSocket,
    local: SocketAddr,
    crypto: Arc<CryptoProvider>,
    prospect: Arc<Clip>,
    sessions: HashMap<CallId, Session>,
    ports: PortPool,
    rtp_tx: mpsc::Sender<RtpDatagram>,
    rtp_rx: mpsc::Receiver<RtpDatagram>,
    events: mpsc::UnboundedSender<MediaEvent>,
    /// Seeds each trunk leg's SSRC and sequence.
    trunk_seed: u64,
    /// Which leg a remote address belongs to, once one accepted it; saves
    /// asking every leg about every packet.
    routes: HashMap<SocketAddr, CallId>,
    /// Each browser leg's ICE username fragment (from its offer): a STUN
    /// check from a new address names the leg it is for, so it is routed
    /// without asking every call.
    ufrags: HashMap<String, CallId>,
    /// Each leg's next timer, soonest first.
    deadlines: BTreeSet<(Instant, CallId)>,
    wake_at: HashMap<CallId, Instant>,
    latencies: Latencies,
}

/// What woke the loop.
enum Wake {
    Command(Option<Command>),
    Datagram(std::io::Result<(usize, SocketAddr)>),
    Rtp(Option<RtpDatagram>),
    Tick(Instant),
    Timer,
}

/// Datagrams read in one go before the loop looks at its other inputs.
const DATAGRAM_BATCH: usize = 64;

impl Engine {
    pub(super) fn new(
        socket: UdpSocket,
        crypto: Arc<CryptoProvider>,
        prospect: Arc<Clip>,
        ports: PortPool,
        events: mpsc::UnboundedSender<MediaEvent>,
    ) -> std::io::Result<Self> {
        let (rtp_tx, rtp_rx) = mpsc::channel(RTP_QUEUE);
        Ok(Self {
            local: socket.local_addr()?,
            socket,
            crypto,
            prospect,
            sessions: HashMap::new(),
            ports,
            rtp_tx,
            rtp_rx,
            events,
            trunk_seed: 0,
            routes: HashMap::new(),
            ufrags: HashMap::new(),
            deadlines: BTreeSet::new(),
            wake_at: HashMap::new(),
            latencies: Latencies::default(),
        })
    }

    /// Runs until every [`super::MediaEngine`] handle is gone.
    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut ticker = tokio::time::interval(Duration::from_millis(FRAME_MS));
        // A late tick still sends its frame: RTP time must keep pace with the clock.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut buf = vec![0u8; 2048];
        loop {
            let wake_at = self
                .deadlines
                .first()
                .map(|(at, _)| *at)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            let wake = tokio::select! {
                command = commands.recv() => Wake::Command(command),
                received = self.socket.recv_from(&mut buf) => Wake::Datagram(received),
                rtp = self.rtp_rx.recv() => Wake::Rtp(rtp),
                _ = ticker.tick() => Wake::Tick(Instant::now()),
                () = tokio::time::sleep_until(wake_at.into()) => Wake::Timer,
            };
            match wake {
                Wake::Command(None) => return,
                Wake::Command(Some(command)) => self.command(command),
                Wake::Datagram(Ok((len, source))) => {
                    self.datagram(source, &buf[..len]);
                    // Drain what else has arrived before the next select.
                    for _ in 0..DATAGRAM_BATCH {
                        match self.socket.try_recv_from(&mut buf) {
                            Ok((len, source)) => self.datagram(source, &buf[..len]),
                            Err(_) => break,
                        }
                    }
                }
                // ICMP "port unreachable" from a browser that left shows up here.
                Wake::Datagram(Err(error)) => tracing::debug!(%error, "media socket read"),
                Wake::Rtp(Some(datagram)) => {
                    self.rtp(datagram);
                    for _ in 0..DATAGRAM_BATCH {
                        match self.rtp_rx.try_recv() {
                            Ok(datagram) => self.rtp(datagram),
                            Err(_) => break,
                        }
                    }
                }
                // The engine holds a sender itself: this does not happen.
                Wake::Rtp(None) => {}
                Wake::Tick(at) => self.tick(at),
                Wake::Timer => self.timers(),
            }
        }
    }

    fn session(&mut self, call: CallId) -> &mut Session {
        self.sessions.entry(call).or_insert_with(|| Session {
            trunk: None,
            phone: None,
            answering: None,
            since: Instant::now(),
            lost_reported: false,
            browser_lost_reported: false,
            held: false,
        })
    }

    /// Drops whatever answers the call; a call with no caller leg left is forgotten.
    fn release_answering(&mut self, call: CallId) {
        if let Some(at) = self.wake_at.remove(&call) {
            self.deadlines.remove(&(at, call));
        }
        self.routes.retain(|_, routed| *routed != call);
        self.ufrags.retain(|_, routed| *routed != call);
        let Some(session) = self.sessions.get_mut(&call) else {
            return;
        };
        if let Some(Answering::Browser(leg)) = session.answering.take() {
            tracing::debug!(%call, spoken_secs = leg.spoken_secs(), "browser leg closed");
        }
        if session.trunk.is_none() && session.phone.is_none() {
            self.sessions.remove(&call);
        }
    }

    /// Forgets a call's media; a voicemail hands back its recording.
    fn end(&mut self, call: CallId) -> Option<Recorder> {
        if let Some(at) = self.wake_at.remove(&call) {
            self.deadlines.remove(&(at, call));
        }
        self.routes.retain(|_, routed| *routed != call);
        self.ufrags.retain(|_, routed| *routed != call);
        let session = self.sessions.remove(&call)?;
        for port in [&session.trunk, &session.phone].into_iter().flatten() {
            self.ports.release(port.port);
        }
        match session.answering? {
            Answering::Browser(leg) => {
                tracing::debug!(%call, spoken_secs = leg.spoken_secs(), "browser leg closed");
                None
            }
            Answering::Voicemail(voicemail) => Some(voicemail.into_recording()),
            Answering::Phone => None,
        }
    }

    fn datagram(&mut self, source: SocketAddr, bytes: &[u8]) {
        let now = Instant::now();
        let routed = self
            .routes
            .get(&source)
            .copied()
            .filter(|call| self.sessions.contains_key(call));
        let call = match routed {
            Some(call) => call,
            // ICE starts with a STUN check from each new address; anything
            // else from an unknown address is not for us, and asking every
            // leg about it would let a flood of junk slow every call.
            None if !looks_like_stun(bytes) => {
                tracing::trace!(%source, "datagram from an unknown address");
                return;
            }
            None => {
                // "ours:theirs": the first part is the leg's own fragment.
                let named = stun_username(bytes)
                    .and_then(|username| username.split(':').next())
                    .and_then(|ufrag| self.ufrags.get(ufrag).copied());
                let found = named.filter(|call| {
                    matches!(
                        self.sessions.get(call).and_then(|s| s.answering.as_ref()),
                        Some(Answering::Browser(leg)) if leg.accepts(now, source, self.local, bytes)
                    )
                });
                let Some(call) = found else {
                    tracing::trace!(%source, "datagram for no call");
                    return;
                };
                self.routes.insert(source, call);
                call
            }
        };
        let local = self.local;
        self.with_leg(call, |leg, _, _| {
            leg.handle_datagram(now, source, local, bytes)
        });
        self.drive(call);
    }

    /// Runs `work` on a call's browser leg. A panic inside the WebRTC stack
    /// costs that call its audio, not every call on the thread.
    fn with_leg<R>(
        &mut self,
        call: CallId,
        work: impl FnOnce(&mut BrowserLeg, &mut Latencies, &UdpSocket) -> R,
    ) -> Option<R> {
        let Some(Answering::Browser(leg)) = self
            .sessions
            .get_mut(&call)
            .and_then(|s| s.answering.as_mut())
        else {
            return None;
        };
        let (latencies, socket) = (&mut self.latencies, &self.socket);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            work(leg, latencies, socket)
        })) {
            Ok(result) => Some(result),
            Err(_) => {
                tracing::error!(%call, "the call's WebRTC leg panicked; its audio is dropped");
                self.end(call);
                None
            }
        }
    }

    /// Every call's next 20 ms of audio. `started` is when this tick's work
    /// began: a frame's time in the server counts from there.
    fn tick(&mut self, started: Instant) {
        let now = Instant::now();
        let calls: Vec<CallId> = self.sessions.keys().copied().collect();
        for call in calls {
            let Some(session) = self.sessions.get_mut(&call) else {
                continue;
            };
            if let Some(trunk) = &session.trunk
                && session.answering.is_some()
                && !session.held
                && !session.lost_reported
                && trunk.leg.lost(now, session.since)
            {
                session.lost_reported = true;
                tracing::info!(%call, "no RTP from the caller for 30 s; the call is lost");
                let _ = self.events.send(MediaEvent::CallerLost { call });
            }
            if let Some(Answering::Browser(leg)) = &session.answering
                && leg.answered()
                && !session.browser_lost_reported
                && leg.lost(now, LOST_AFTER)
            {
                session.browser_lost_reported = true;
                tracing::info!(%call, "the browser's audio is gone; the call is lost");
                let _ = self.events.send(MediaEvent::BrowserLost { call });
            }
            if let Some(trunk) = session.trunk.as_mut()
                && let Some((to, packet)) = trunk.leg.tick()
            {
                send(&trunk.socket, &packet, to);
            }
            match session.answering.as_mut() {
                // A relayed caller speaks when its packets arrive, not on the clock.
                Some(Answering::Browser(_)) if session.trunk.is_none() && !session.held => {
                    self.with_leg(call, |leg, _, _| leg.speak(Instant::now()));
                    self.drive(call);
                    self.latencies.record_egress(started.elapsed());
                }
                Some(Answering::Voicemail(voicemail)) => {
                    if let (Some(frame), Some(trunk)) = (voicemail.tick(), session.trunk.as_mut())
                        && let Some((to, packet)) = trunk.leg.send(&g711::encode_frame(&frame))
                    {
                        send(&trunk.socket, &packet, to);
                    }
                }
                _ => {}
            }
        }
    }

    fn timers(&mut self) {
        let now = Instant::now();
        while let Some(&(at, call)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            self.wake_at.remove(&call);
            self.with_leg(call, |leg, _, _| leg.handle_timeout(now));
            self.drive(call);
        }
    }

    /// Lets a leg send what it has to and notes its next timer.
    fn drive(&mut self, call: CallId) {
        let Some(next) = self.with_leg(call, |leg, latencies, socket| {
            leg.poll(latencies, |datagram| {
                // UDP: a full send buffer drops the packet, as the network would.
                if let Err(error) = socket.try_send_to(&datagram.contents, datagram.destination) {
                    tracing::trace!(%error, "media packet not sent");
                }
            })
        }) else {
            return;
        };
        if let Some(previous) = self.wake_at.insert(call, next) {
            self.deadlines.remove(&(previous, call));
        }
        self.deadlines.insert((next, call));
        self.relay_to_caller(call);
    }

    /// The rep's audio, as it came from the browser, out to a caller on the trunk.
    fn relay_to_caller(&mut self, call: CallId) {
        let Some(Session {
            trunk: Some(trunk),
            answering: Some(Answering::Browser(leg)),
            held,
            ..
        }) = self.sessions.get_mut(&call)
        else {
            return;
        };
        let frames = leg.take_for_caller();
        // Held: the caller hears silence (the frames are dropped).
        if *held {
            return;
        }
        for frame in frames {
            if let Some((to, packet)) = trunk.leg.send(&frame) {
                send(&trunk.socket, &packet, to);
            }
        }
    }
}

/// UDP: a full send buffer drops the packet, as the network would.
fn send(socket: &UdpSocket, packet: &[u8], to: SocketAddr) {
    if let Err(error) = socket.try_send_to(packet, to) {
        tracing::trace!(%error, "RTP packet not sent");
    }
}

/// CPU time (user + system) of the calling thread, from `/proc/thread-self/stat`.
fn thread_cpu_ms() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return 0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: indices 11 and 12 after the name..
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // Linux reports these in USER_HZ, which is 100 on every supported platform.
    ticks * 10
}
