//! The media thread: one UDP socket for every call, the 20 ms audio clock, and
//! the timers of every WebRTC leg, on a single-threaded runtime of its own so
//! that call audio never waits behind HTTP work (and its CPU time is its own).

use super::MediaError;
use super::audio::{Clip, ClipPlayer, FRAME_MS, Recorder};
use super::latency::{Latencies, LatencySummary};
use super::leg::{BrowserLeg, LegReport, StandInCaller};
use super::voicemail::Voicemail;
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

/// What the rest of the server asks of the media thread.
pub(super) enum Command {
    Offer {
        call: CallId,
        reply: oneshot::Sender<Result<String, MediaError>>,
    },
    Answer {
        call: CallId,
        sdp: String,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    Voicemail {
        call: CallId,
        greeting: Arc<Clip>,
    },
    End {
        call: CallId,
        reply: oneshot::Sender<Option<Recorder>>,
    },
    ReleaseBrowserLeg {
        call: CallId,
    },
    Report {
        call: CallId,
        reply: oneshot::Sender<Option<MediaReport>>,
    },
    Stats {
        reset: bool,
        reply: oneshot::Sender<EngineStats>,
    },
}

/// Where a call's audio stands, as the caller's side sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaReport {
    Browser(LegReport),
    Voicemail {
        /// 20 ms frames of the greeting played so far.
        greeting_frames: u64,
        recorded_ms: u64,
    },
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

enum Session {
    Browser(Box<BrowserLeg>),
    Voicemail(Box<Voicemail>),
}

pub(super) struct Engine {
    socket: UdpSocket,
    local: SocketAddr,
    crypto: Arc<CryptoProvider>,
    prospect: Arc<Clip>,
    sessions: HashMap<CallId, Session>,
    /// Which leg a remote address belongs to, once one accepted it; saves
    /// asking every leg about every packet.
    routes: HashMap<SocketAddr, CallId>,
    /// Each leg's next timer, soonest first.
    deadlines: BTreeSet<(Instant, CallId)>,
    wake_at: HashMap<CallId, Instant>,
    latencies: Latencies,
}

/// What woke the loop.
enum Wake {
    Command(Option<Command>),
    Datagram(std::io::Result<(usize, SocketAddr)>),
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
    ) -> std::io::Result<Self> {
        Ok(Self {
            local: socket.local_addr()?,
            socket,
            crypto,
            prospect,
            sessions: HashMap::new(),
            routes: HashMap::new(),
            deadlines: BTreeSet::new(),
            wake_at: HashMap::new(),
            latencies: Latencies::default(),
        })
    }

    /// Runs until every [`super::MediaEngine`] handle is gone.
    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
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
                Wake::Tick(at) => self.tick(at),
                Wake::Timer => self.timers(),
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Offer { call, reply } => {
                let caller = StandInCaller::new(ClipPlayer::looping(self.prospect.clone()));
                let result = BrowserLeg::offer(
                    call,
                    self.local,
                    self.crypto.clone(),
                    caller,
                    Instant::now(),
                )
                .map(|(leg, sdp)| {
                    self.end(call);
                    self.sessions.insert(call, Session::Browser(Box::new(leg)));
                    self.drive(call);
                    sdp
                });
                let _ = reply.send(result);
            }
            Command::Answer { call, sdp, reply } => {
                let result = self
                    .with_leg(call, |leg, _, _| leg.accept_answer(&sdp))
                    .unwrap_or(Err(MediaError::NoSuchCall));
                if result.is_ok() {
                    self.drive(call);
                }
                let _ = reply.send(result);
            }
            Command::Voicemail { call, greeting } => {
                self.end(call);
                let voicemail = Voicemail::new(
                    ClipPlayer::once(greeting),
                    ClipPlayer::looping(self.prospect.clone()),
                );
                self.sessions
                    .insert(call, Session::Voicemail(Box::new(voicemail)));
            }
            Command::End { call, reply } => {
                let _ = reply.send(self.end(call));
            }
            Command::ReleaseBrowserLeg { call } => {
                if matches!(self.sessions.get(&call), Some(Session::Browser(_))) {
                    self.end(call);
                }
            }
            Command::Report { call, reply } => {
                let report = self.sessions.get(&call).map(|session| match session {
                    Session::Browser(leg) => MediaReport::Browser(leg.report()),
                    Session::Voicemail(voicemail) => MediaReport::Voicemail {
                        greeting_frames: voicemail.greeting_frames_played(),
                        recorded_ms: voicemail.recorded_ms(),
                    },
                });
                let _ = reply.send(report);
            }
            Command::Stats { reset, reply } => {
                let (ingress, egress) = self.latencies.summary();
                if reset {
                    self.latencies.clear();
                }
                let _ = reply.send(EngineStats {
                    sessions: self.sessions.len(),
                    cpu_ms: thread_cpu_ms(),
                    ingress,
                    egress,
                });
            }
        }
    }

    /// Forgets a call's media; a voicemail hands back its recording.
    fn end(&mut self, call: CallId) -> Option<Recorder> {
        if let Some(at) = self.wake_at.remove(&call) {
            self.deadlines.remove(&(at, call));
        }
        self.routes.retain(|_, routed| *routed != call);
        match self.sessions.remove(&call)? {
            Session::Browser(leg) => {
                tracing::debug!(%call, spoken_secs = leg.spoken_secs(), "browser leg closed");
                None
            }
            Session::Voicemail(voicemail) => Some(voicemail.into_recording()),
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
                let found = self
                    .sessions
                    .iter()
                    .find_map(|(call, session)| match session {
                        Session::Browser(leg) if leg.accepts(now, source, self.local, bytes) => {
                            Some(*call)
                        }
                        _ => None,
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
        let Some(Session::Browser(leg)) = self.sessions.get_mut(&call) else {
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
        let calls: Vec<CallId> = self.sessions.keys().copied().collect();
        for call in calls {
            match self.sessions.get_mut(&call) {
                Some(Session::Browser(_)) => {
                    self.with_leg(call, |leg, _, _| leg.speak(Instant::now()));
                    self.drive(call);
                    self.latencies.record_egress(started.elapsed());
                }
                Some(Session::Voicemail(voicemail)) => voicemail.tick(),
                None => {}
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
    }
}

/// A STUN message (RFC 5389): top two bits zero, the magic cookie at byte 4.
fn looks_like_stun(bytes: &[u8]) -> bool {
    bytes.len() >= 20 && bytes[0] < 2 && bytes[4..8] == [0x21, 0x12, 0xA4, 0x42]
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
