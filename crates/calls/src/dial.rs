//! One outbound call's state machine: the rep dials a prospect from the
//! Dialer (issue 15). Pure, like [`crate::Call`]: events and `now` in,
//! [`DialAction`]s out; the server carries them out (the SIP INVITE through
//! the trunk, the browser's WebRTC leg, the updates to the rep's panel).
//!
//! ```text
//!  Dial::start ──▶ Dialing ── RemoteRinging ──▶ Ringing ── RemoteAnswered ──▶ Connected
//!                    │                            │                             │  ▲
//!                    │ RepHungUp: Cancel          │ RepHungUp: Cancel      Hold │  │ Resume
//!                    │ RemoteFailed               │ RemoteFailed                ▼  │
//!                    │ no answer by the deadline  │ no answer by the deadline   on hold
//!                    ▼                            ▼                             │
//!                  Ended ◀──────────────────────────────────── RepHungUp: Bye ──┘
//!                                                              RemoteHungUp
//! ```
//!
//! The call's browser leg is the one of the browser that dialled; the other
//! browsers of the rep are never rung for it. Ringback never drops a
//! connected call by itself: only a hang-up (either side's) or the maximum
//! call length (a hang-up taken to be lost) ends it, and holding it only
//! changes the direction of its audio.

use protocol::UnixMillis;

/// How long the prospect's phone may ring before Ringback gives up (the
/// carriers' own limit is about this).
pub const DIAL_TIMEOUT_MS: i64 = 60 * 1000;

/// What the rep asked to dial, and what their settings say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialRequest {
    /// The prospect's number (E.164).
    pub to: String,
    /// The rep's dialer number: the caller ID unless a custom one is set.
    pub dialer_number: String,
    pub custom_caller_id: Option<String>,
    /// The browser that dialled (its extension's device id).
    pub device_id: String,
    pub max_call_ms: i64,
    /// The rep's forwarding phone: "Move to my phone" rings it.
    pub forwarding_number: Option<String>,
}

/// The number the prospect sees: the custom caller ID when the rep set one
/// (that is what the setting is for), else the rep's dialer number.
pub fn caller_id(dialer_number: &str, custom_caller_id: Option<&str>) -> String {
    custom_caller_id
        .map(str::trim)
        .filter(|custom| !custom.is_empty())
        .unwrap_or(dialer_number)
        .to_owned()
}

/// Where an outbound call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialPhase {
    /// The INVITE is out; nothing heard back yet.
    Dialing,
    /// The prospect's phone rings (180 or 183).
    Ringing,
    Connected {
        on_hold: bool,
    },
    Ended,
}

/// Why the prospect could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 486, 600: on another call.
    Busy,
    /// 603: they pressed decline.
    Declined,
    /// 404, 410, 480, 484, 604: no such number, or not reachable now.
    Unreachable,
    /// Anything else the carrier answered (a 5xx, a 403 for the caller ID…).
    Refused(u16),
}

impl Failure {
    /// Reads a final SIP status that is not a success.
    pub fn from_sip_status(status: u16) -> Self {
        match status {
            486 | 600 => Self::Busy,
            603 => Self::Declined,
            404 | 410 | 480 | 484 | 604 => Self::Unreachable,
            other => Self::Refused(other),
        }
    }
}

/// How an outbound call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    /// The prospect answered (however it ended after).
    Connected,
    /// Nobody answered before [`DIAL_TIMEOUT_MS`].
    NoAnswer,
    Failed(Failure),
    /// The rep hung up before the prospect answered.
    Cancelled,
}

impl DialOutcome {
    /// As the API and the store name it.
    pub fn wire(self) -> protocol::api::DialOutcome {
        use protocol::api::DialOutcome as Wire;
        match self {
            Self::Connected => Wire::Connected,
            Self::NoAnswer => Wire::NoAnswer,
            Self::Failed(Failure::Busy) => Wire::Busy,
            Self::Failed(Failure::Declined) => Wire::Declined,
            Self::Failed(Failure::Unreachable) => Wire::Unreachable,
            Self::Failed(Failure::Refused(_)) => Wire::Refused,
            Self::Cancelled => Wire::Cancelled,
        }
    }
}

impl DialUpdate {
    /// As the signalling socket sends it: dial progress, or a move's news
    /// as a call update (the same as for an inbound call's move).
    pub fn message(self, call_id: protocol::CallId) -> protocol::signal::ServerMessage {
        use protocol::signal::{CallUpdate, DialProgress, ServerMessage};
        let call_update = |update| ServerMessage::CallUpdate { call_id, update };
        let progress = match self {
            Self::Ringing => DialProgress::Ringing,
            Self::Connected => DialProgress::Connected,
            Self::Ended(outcome) => DialProgress::Ended {
                outcome: outcome.wire(),
            },
            // A move's news and holding are told as for an inbound call.
            Self::MovingToPhone => return call_update(CallUpdate::MovingToPhone),
            Self::MovedToPhone => return call_update(CallUpdate::MovedToPhone),
            Self::MoveFailed => return call_update(CallUpdate::MoveFailed),
            Self::OnHold => return call_update(CallUpdate::OnHold),
            Self::Resumed => return call_update(CallUpdate::Resumed),
        };
        ServerMessage::DialUpdate {
            call_id,
            update: progress,
        }
    }
}

impl DialPhase {
    /// The status the Calls list shows.
    pub fn status(self) -> protocol::CallStatus {
        match self {
            Self::Dialing | Self::Ringing => protocol::CallStatus::Ringing,
            Self::Connected { .. } => protocol::CallStatus::Connected,
            Self::Ended => protocol::CallStatus::Ended,
        }
    }
}

/// Something that happened to an outbound call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialEvent {
    RemoteRinging,
    RemoteAnswered,
    /// A final failure status for the INVITE.
    RemoteFailed(Failure),
    /// The prospect hung up (BYE).
    RemoteHungUp,
    /// The rep pressed Hang up.
    RepHungUp,
    /// The rep put the call on hold (another call took the browser).
    Hold,
    Resume,
    /// "Move to my phone" from the browser on the call (the server checks
    /// it is that browser): the forwarding phone rings, and the call moves
    /// when it answers.
    MoveToPhone,
    /// The forwarding phone answered a move.
    PhoneAnswered,
    /// The forwarding phone did not take the move: the call stays put.
    PhoneFailed,
}

/// What the rep's browser that dialled is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialUpdate {
    Ringing,
    Connected,
    OnHold,
    Resumed,
    Ended(DialOutcome),
    /// A move's news, told as an inbound call's move is
    /// ([`protocol::signal::CallUpdate`]s).
    MovingToPhone,
    MovedToPhone,
    MoveFailed,
}

/// What the server must do after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialAction {
    /// INVITE `to` through the trunk, showing `caller_id`.
    Invite { to: String, caller_id: String },
    /// Withdraw the INVITE (CANCEL).
    Cancel,
    /// End the answered call (BYE).
    Bye,
    /// Re-INVITE the prospect `sendonly` (they hear the hold: silence).
    HoldRemote,
    /// Re-INVITE the prospect `sendrecv` again.
    ResumeRemote,
    /// Tell the browser that dialled.
    Tell {
        device_id: String,
        update: DialUpdate,
    },
    /// Dial the forwarding phone (a move); its news comes back as
    /// [`DialEvent::PhoneAnswered`] or [`DialEvent::PhoneFailed`].
    RingPhone { number: String },
    /// Let the forwarding phone go: stop its ringing, or hang it up.
    StopPhone,
    /// Release the call's media.
    EndMedia,
}

/// Why an event was refused. The call is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialRefusal {
    #[error("the call is over")]
    Ended,
    #[error("the call is not connected yet")]
    NotConnected,
    #[error("no forwarding phone is set: add one in the dialer settings")]
    NoForwardingPhone,
    #[error("the call is on your phone already")]
    OnPhone,
}

/// One outbound call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    phase: DialPhase,
    to: String,
    caller_id: String,
    device_id: String,
    max_call_ms: i64,
    forwarding_number: Option<String>,
    /// Where the forwarding phone stands in a move.
    phone: PhoneLeg,
    started_at: UnixMillis,
    answered_at: Option<UnixMillis>,
    ended_at: Option<UnixMillis>,
    outcome: Option<DialOutcome>,
}

impl Dial {
    /// The rep dials: the INVITE goes out at once.
    pub fn start(request: &DialRequest, now: UnixMillis) -> (Self, Vec<DialAction>) {
        let caller_id = caller_id(&request.dialer_number, request.custom_caller_id.as_deref());
        let dial = Self {
            phase: DialPhase::Dialing,
            to: request.to.clone(),
            caller_id: caller_id.clone(),
            device_id: request.device_id.clone(),
            max_call_ms: request.max_call_ms.max(0),
            forwarding_number: request.forwarding_number.clone(),
            phone: PhoneLeg::None,
            started_at: now,
            answered_at: None,
            ended_at: None,
            outcome: None,
        };
        let invite = DialAction::Invite {
            to: request.to.clone(),
            caller_id,
        };
        (dial, vec![invite])
    }

    /// Applies an event. On refusal the call is unchanged.
    pub fn handle(
        &mut self,
        event: DialEvent,
        now: UnixMillis,
    ) -> Result<Vec<DialAction>, DialRefusal> {
        if self.phase == DialPhase::Ended {
            // A late ringing or hang-up from the far end changes nothing.
            return match event {
                DialEvent::RemoteRinging
                | DialEvent::RemoteHungUp
                | DialEvent::RemoteFailed(_)
                | DialEvent::PhoneAnswered
                | DialEvent::PhoneFailed => Ok(Vec::new()),
                _ => Err(DialRefusal::Ended),
            };
        }
        match (event, self.phase) {
            (DialEvent::RemoteRinging, DialPhase::Dialing) => {
                self.phase = DialPhase::Ringing;
                Ok(vec![self.tell(DialUpdate::Ringing)])
            }
            (DialEvent::RemoteRinging, _) => Ok(Vec::new()),
            (DialEvent::RemoteAnswered, DialPhase::Dialing | DialPhase::Ringing) => {
                self.phase = DialPhase::Connected { on_hold: false };
                self.answered_at = Some(now);
                self.outcome = Some(DialOutcome::Connected);
                Ok(vec![self.tell(DialUpdate::Connected)])
            }
            // A retransmitted 200 for a call already up.
            (DialEvent::RemoteAnswered, _) => Ok(Vec::new()),
            (DialEvent::RemoteFailed(failure), DialPhase::Dialing | DialPhase::Ringing) => {
                Ok(self.end(DialOutcome::Failed(failure), now, None))
            }
            (DialEvent::RemoteFailed(_), _) => Ok(Vec::new()),
            (DialEvent::RemoteHungUp, DialPhase::Connected { .. }) => {
                Ok(self.end(DialOutcome::Connected, now, None))
            }
            // A BYE before the answer is not how SIP ends a call attempt;
            // the failure status that follows it does.
            (DialEvent::RemoteHungUp, _) => Ok(Vec::new()),
            (DialEvent::RepHungUp, DialPhase::Connected { .. }) => {
                Ok(self.end(DialOutcome::Connected, now, Some(DialAction::Bye)))
            }
            (DialEvent::RepHungUp, _) => {
                Ok(self.end(DialOutcome::Cancelled, now, Some(DialAction::Cancel)))
            }
            (DialEvent::Hold, DialPhase::Connected { on_hold }) => {
                if on_hold {
                    return Ok(Vec::new());
                }
                self.phase = DialPhase::Connected { on_hold: true };
                Ok(vec![DialAction::HoldRemote, self.tell(DialUpdate::OnHold)])
            }
            (DialEvent::Resume, DialPhase::Connected { on_hold }) => {
                if !on_hold {
                    return Ok(Vec::new());
                }
                self.phase = DialPhase::Connected { on_hold: false };
                Ok(vec![
                    DialAction::ResumeRemote,
                    self.tell(DialUpdate::Resumed),
                ])
            }
            (DialEvent::Hold | DialEvent::Resume, _) => Err(DialRefusal::NotConnected),
            (DialEvent::MoveToPhone, DialPhase::Connected { .. }) => self.move_to_phone(),
            (DialEvent::MoveToPhone, _) => Err(DialRefusal::NotConnected),
            (DialEvent::PhoneAnswered, _) => Ok(self.phone_answered()),
            (DialEvent::PhoneFailed, _) => Ok(self.phone_failed()),
        }
    }

    /// Lets time pass: a prospect who has not answered by
    /// [`DIAL_TIMEOUT_MS`] is given up on; a connected call past its
    /// maximum length is taken to have lost its hang-up.
    pub fn on_time(&mut self, now: UnixMillis) -> Vec<DialAction> {
        match self.next_deadline() {
            Some(due) if now >= due => {}
            _ => return Vec::new(),
        }
        match self.phase {
            DialPhase::Dialing | DialPhase::Ringing => {
                self.end(DialOutcome::NoAnswer, now, Some(DialAction::Cancel))
            }
            DialPhase::Connected { .. } => {
                self.end(DialOutcome::Connected, now, Some(DialAction::Bye))
            }
            DialPhase::Ended => Vec::new(),
        }
    }

    /// When [`Dial::on_time`] next has something to do, if ever.
    pub fn next_deadline(&self) -> Option<UnixMillis> {
        match (self.phase, self.answered_at) {
            (DialPhase::Dialing | DialPhase::Ringing, _) => {
                Some(self.started_at.saturating_add(DIAL_TIMEOUT_MS))
            }
            (DialPhase::Connected { .. }, Some(start)) => {
                Some(start.saturating_add(self.max_call_ms))
            }
            _ => None,
        }
    }

    fn tell(&self, update: DialUpdate) -> DialAction {
        DialAction::Tell {
            device_id: self.device_id.clone(),
            update,
        }
    }

    fn end(
        &mut self,
        outcome: DialOutcome,
        now: UnixMillis,
        signal: Option<DialAction>,
    ) -> Vec<DialAction> {
        self.phase = DialPhase::Ended;
        self.ended_at = Some(now);
        self.outcome = Some(outcome);
        let mut actions: Vec<DialAction> = signal.into_iter().collect();
        if self.phone != PhoneLeg::None {
            self.phone = PhoneLeg::None;
            actions.push(DialAction::StopPhone);
        }
        actions.push(DialAction::EndMedia);
        actions.push(self.tell(DialUpdate::Ended(outcome)));
        actions
    }

    pub fn phase(&self) -> DialPhase {
        self.phase
    }

    pub fn to(&self) -> &str {
        &self.to
    }

    pub fn caller_id(&self) -> &str {
        &self.caller_id
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn outcome(&self) -> Option<DialOutcome> {
        self.outcome
    }

    pub fn started_at(&self) -> UnixMillis {
        self.started_at
    }

    pub fn answered_at(&self) -> Option<UnixMillis> {
        self.answered_at
    }

    pub fn ended_at(&self) -> Option<UnixMillis> {
        self.ended_at
    }
}

mod move_to_phone;
pub use move_to_phone::PhoneLeg;

#[cfg(test)]
mod tests;
