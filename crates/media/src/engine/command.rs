//! What the rest of the server asks of the media thread, and how the
//! engine carries it out.

use super::*;

/// What the rest of the server asks of the media thread.
pub(crate) enum Command {
    /// The caller is on the trunk: open its RTP port and relay to it.
    TrunkCaller {
        call: CallId,
        peer: TrunkPeer,
        reply: oneshot::Sender<Result<SocketAddr, MediaError>>,
    },
    /// The forwarding phone is being dialled: open the port its SDP offer names.
    OpenPhone {
        call: CallId,
        reply: oneshot::Sender<Result<SocketAddr, MediaError>>,
    },
    /// The phone answered from `peer`: it becomes the answering leg.
    ConnectPhone {
        call: CallId,
        peer: TrunkPeer,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    /// A party Ringback dials (an outbound call): its port pair, whose peer
    /// is known once it answers.
    OpenCallee {
        call: CallId,
        reply: oneshot::Sender<Result<SocketAddr, MediaError>>,
    },
    ConnectCallee {
        call: CallId,
        peer: TrunkPeer,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    /// Keypad tones for the caller side's far end.
    Digits {
        call: CallId,
        keys: String,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    /// The phone leg stopped ringing (or hung up): close its port.
    ClosePhone {
        call: CallId,
    },
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
    /// Call waiting: stop (or start again) relaying the call's audio either way.
    Hold {
        call: CallId,
        held: bool,
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

impl Engine {
    pub(super) fn command(&mut self, command: Command) {
        match command {
            Command::TrunkCaller { call, peer, reply } => {
                let _ = reply.send(self.trunk_caller(call, peer));
            }
            Command::OpenPhone { call, reply } => {
                let _ = reply.send(self.open_phone(call));
            }
            Command::OpenCallee { call, reply } => {
                let _ = reply.send(self.open_callee(call));
            }
            Command::ConnectCallee { call, peer, reply } => {
                let connected = match self.sessions.get_mut(&call).and_then(|s| s.trunk.as_mut()) {
                    Some(callee) => {
                        callee.leg.set_peer(peer);
                        Ok(())
                    }
                    None => Err(MediaError::NoSuchCall),
                };
                let _ = reply.send(connected);
            }
            Command::ConnectPhone { call, peer, reply } => {
                let connected = match self.sessions.get_mut(&call).and_then(|s| s.phone.as_mut()) {
                    Some(phone) => {
                        phone.leg.set_peer(peer);
                        Ok(())
                    }
                    None => Err(MediaError::NoSuchCall),
                };
                if connected.is_ok() {
                    self.release_answering(call);
                    self.session(call).answering = Some(Answering::Phone);
                }
                let _ = reply.send(connected);
            }
            Command::Digits { call, keys, reply } => {
                let queued = match self.trunk_of(call) {
                    Some(trunk) => trunk.leg.queue_digits(&keys).map_err(MediaError::from),
                    None => Err(MediaError::NoSuchCall),
                };
                let _ = reply.send(queued);
            }
            Command::ClosePhone { call } => {
                if let Some(session) = self.sessions.get_mut(&call) {
                    if matches!(session.answering, Some(Answering::Phone)) {
                        session.answering = None;
                    }
                    if let Some(phone) = session.phone.take() {
                        self.ports.release(phone.port);
                    }
                }
            }
            Command::Offer { call, reply } => {
                let caller = if self.trunk_of(call).is_some() {
                    CallerSide::relay()
                } else {
                    CallerSide::StandIn(StandInCaller::new(ClipPlayer::looping(
                        self.prospect.clone(),
                    )))
                };
                let result = BrowserLeg::offer(
                    call,
                    self.local,
                    self.crypto.clone(),
                    caller,
                    Instant::now(),
                )
                .map(|(leg, sdp)| {
                    self.release_answering(call);
                    if let Some(ufrag) = sdp
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("a=ice-ufrag:"))
                    {
                        self.ufrags.insert(ufrag.to_owned(), call);
                    }
                    self.session(call).answering = Some(Answering::Browser(Box::new(leg)));
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
                self.release_answering(call);
                let voicemail = if self.trunk_of(call).is_some() {
                    Voicemail::for_caller(ClipPlayer::once(greeting))
                } else {
                    Voicemail::new(
                        ClipPlayer::once(greeting),
                        ClipPlayer::looping(self.prospect.clone()),
                    )
                };
                self.session(call).answering = Some(Answering::Voicemail(Box::new(voicemail)));
            }
            Command::End { call, reply } => {
                let _ = reply.send(self.end(call));
            }
            Command::Hold { call, held } => {
                if let Some(session) = self.sessions.get_mut(&call) {
                    session.held = held;
                    // Silence while held does not count towards "lost".
                    if !held && let Some(trunk) = session.trunk.as_mut() {
                        trunk.leg.heard(Instant::now());
                    }
                }
            }
            Command::ReleaseBrowserLeg { call } => {
                let browser = matches!(
                    self.sessions.get(&call).and_then(|s| s.answering.as_ref()),
                    Some(Answering::Browser(_))
                );
                if browser {
                    self.release_answering(call);
                }
            }
            Command::Report { call, reply } => {
                let report = self.sessions.get(&call).map(|session| {
                    let trunk = session.trunk.as_ref().map(|t| t.leg.report());
                    match &session.answering {
                        Some(Answering::Browser(leg)) => MediaReport::Browser {
                            leg: leg.report(),
                            trunk,
                        },
                        Some(Answering::Voicemail(voicemail)) => MediaReport::Voicemail {
                            greeting_frames: voicemail.greeting_frames_played(),
                            recorded_ms: voicemail.recorded_ms(),
                            trunk,
                        },
                        Some(Answering::Phone) => MediaReport::Phone {
                            trunk,
                            phone: session.phone.as_ref().map(|p| p.leg.report()),
                        },
                        None => MediaReport::Caller { trunk },
                    }
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
}
