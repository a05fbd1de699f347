//! One call's state machine (rules 3, 4, 5 and the races around them).

use crate::route::{RingRequest, route};
use protocol::signal::CallUpdate;
use protocol::{CallOutcome, CallStatus, LegState, NoAnswerAction, UnixMillis};

/// The longest voicemail a caller can leave; then the recording stops and
/// the call ends.
pub const MAX_VOICEMAIL_MS: i64 = 2 * 60 * 1000;

/// Who picked the call up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answerer {
    /// The extension on the browser with this device id.
    Browser { device_id: String },
    /// The rep's forwarding phone.
    Phone,
    /// Nobody did; Ringback's voicemail is recording.
    Voicemail,
}

/// Where the call is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Ringing,
    Connected(Answerer),
    Ended,
}

/// Something that happened to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A browser of the rep pressed Accept.
    BrowserAccept { device_id: String },
    /// The rep pressed Close on the notification.
    BrowserClose,
    /// The rep picked up the forwarding phone.
    PhoneAnswered,
    /// The forwarding phone could not be rung or refused the call (busy,
    /// declined, unreachable). The caller is never dropped for it: the
    /// browser keeps ringing, and on no answer voicemail takes the call
    /// even when the setting says forward.
    PhoneFailed,
    /// The caller hung up.
    CallerHungUp,
    /// The rep hung up a connected call (in the browser or on the phone).
    RepHungUp,
    /// "Move to my phone": the browser on the call asks for it to go on to
    /// the forwarding phone. The phone is rung; the call moves when it
    /// answers ([`Event::PhoneAnswered`]) and stays in the browser if it
    /// does not ([`Event::PhoneFailed`]).
    MoveToPhone { device_id: String },
    /// Call waiting: the browser on the call holds it (to take or switch to
    /// another call). The caller hears silence; nothing else changes.
    Hold { device_id: String },
    /// The browser on the call takes it off hold.
    Resume { device_id: String },
}

/// Which of the rep's browsers a [`Action::Tell`] is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    AllBrowsers,
    Device(String),
    AllBrowsersExcept(String),
}

/// What the server must do after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the incoming-call message to every connected browser of the rep.
    RingBrowser,
    /// Ask the carrier to ring the forwarding phone.
    RingPhone { number: String },
    /// Ask the carrier to stop ringing the forwarding phone.
    StopPhone,
    /// Send a call update to some of the rep's browsers.
    Tell {
        audience: Audience,
        update: CallUpdate,
    },
    /// No answer: hand the call over to the forwarding phone.
    ForwardToPhone { number: String },
    /// No answer: play the greeting and record, then log the call as completed.
    StartVoicemail,
    /// Release the caller's media (the call is over).
    EndMedia,
    /// Hold the caller (SIP re-INVITE `sendonly` on the trunk) and stop
    /// relaying audio either way.
    HoldCaller,
    /// Take the caller off hold (re-INVITE `sendrecv`), audio flows again.
    ResumeCaller,
}

/// Why an event was refused. The call is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("the call is no longer ringing")]
    NotRinging,
    #[error("this call was not offered to the browser")]
    NotOfferedToBrowser,
    #[error("this call did not ring the forwarding phone")]
    NotOfferedToPhone,
    #[error("the call is not connected")]
    NotConnected,
    #[error("the call is not connected in this browser")]
    NotConnectedHere,
    #[error("no forwarding phone is set: add one in the dialer settings")]
    NoForwardingPhone,
}

/// One inbound call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    phase: Phase,
    browser: LegState,
    phone: LegState,
    /// The phone the carrier rings; kept for the forward on no answer.
    forwarding_number: Option<String>,
    /// The phone refused or could not be reached: there is nothing to forward to.
    phone_failed: bool,
    no_answer_action: NoAnswerAction,
    max_call_ms: i64,
    /// The browser a "move to my phone" started from: it hears how the
    /// move went, and that the call ended once it is on the phone.
    moved_from: Option<String>,
    /// Held by the browser on it (call waiting).
    held: bool,
    started_at: UnixMillis,
    ring_deadline: UnixMillis,
    answered_at: Option<UnixMillis>,
    ended_at: Option<UnixMillis>,
    outcome: Option<CallOutcome>,
}

impl Call {
    /// A call arrives: decide the legs (rule 2) and ring them together (rule 3).
    ///
    /// A call that can ring nowhere goes straight to the no-answer rule, so
    /// the caller is never left hanging on silence.
    pub fn ring(request: &RingRequest, now: UnixMillis) -> (Self, Vec<Action>) {
        let route = route(request, now);
        let mut call = Self {
            phase: Phase::Ringing,
            browser: if route.ring_browser {
                LegState::Ringing
            } else {
                LegState::NotRung
            },
            phone: if route.ring_phone.is_some() {
                LegState::Ringing
            } else {
                LegState::NotRung
            },
            forwarding_number: request.forwarding_number.clone(),
            phone_failed: false,
            no_answer_action: request.no_answer_action,
            max_call_ms: request.max_call_ms.max(0),
            moved_from: None,
            held: false,
            started_at: now,
            ring_deadline: now.saturating_add(request.ring_timeout_ms.max(0)),
            answered_at: None,
            ended_at: None,
            outcome: None,
        };
        let mut actions = Vec::new();
        if route.ring_browser {
            actions.push(Action::RingBrowser);
        }
        if let Some(number) = route.ring_phone {
            actions.push(Action::RingPhone { number });
        }
        if actions.is_empty() {
            actions = call.no_answer(now);
        }
        (call, actions)
    }

    /// Applies an event. On refusal the call is unchanged.
    pub fn handle(&mut self, event: Event, now: UnixMillis) -> Result<Vec<Action>, Refusal> {
        match event {
            Event::BrowserAccept { device_id } => self.browser_accept(device_id, now),
            Event::BrowserClose => Ok(self.browser_close()),
            Event::PhoneAnswered => self.phone_answered(now),
            Event::PhoneFailed => Ok(self.phone_failed()),
            Event::CallerHungUp => Ok(self.caller_hung_up(now)),
            Event::RepHungUp => self.rep_hung_up(now),
            Event::MoveToPhone { device_id } => self.move_to_phone(device_id),
            Event::Hold { device_id } => self.hold(device_id, true),
            Event::Resume { device_id } => self.hold(device_id, false),
        }
    }

    /// Lets time pass. At the ring deadline a still-ringing call follows the
    /// no-answer rule (rule 5); a voicemail ends at [`MAX_VOICEMAIL_MS`], any
    /// other connected call at its maximum length (its hang-up was lost).
    /// Returns no actions when nothing is due.
    pub fn on_time(&mut self, now: UnixMillis) -> Vec<Action> {
        match self.next_deadline() {
            Some(due) if now >= due => {}
            _ => return Vec::new(),
        }
        match self.phase {
            Phase::Ringing => self.no_answer(now),
            Phase::Connected(Answerer::Voicemail) => {
                self.end(now);
                vec![Action::EndMedia]
            }
            _ => self.hang_up(now),
        }
    }

    /// When [`Call::on_time`] next has something to do, if ever.
    pub fn next_deadline(&self) -> Option<UnixMillis> {
        match (&self.phase, self.answered_at) {
            (Phase::Ringing, _) => Some(self.ring_deadline),
            (Phase::Connected(Answerer::Voicemail), Some(start)) => {
                Some(start.saturating_add(MAX_VOICEMAIL_MS))
            }
            (Phase::Connected(_), Some(start)) => Some(start.saturating_add(self.max_call_ms)),
            _ => None,
        }
    }

    fn browser_accept(
        &mut self,
        device_id: String,
        now: UnixMillis,
    ) -> Result<Vec<Action>, Refusal> {
        match &self.phase {
            // A retried Accept from the winner is answered again, not refused.
            Phase::Connected(Answerer::Browser { device_id: winner }) if *winner == device_id => {
                return Ok(vec![Action::Tell {
                    audience: Audience::Device(device_id),
                    update: CallUpdate::Accepted,
                }]);
            }
            Phase::Ringing => {}
            _ => return Err(Refusal::NotRinging),
        }
        // A closed notification can still be accepted (say, from the Calls
        // list); a call routed to the phone only was never the browser's.
        if self.browser == LegState::NotRung {
            return Err(Refusal::NotOfferedToBrowser);
        }
        let mut actions = vec![
            Action::Tell {
                audience: Audience::Device(device_id.clone()),
                update: CallUpdate::Accepted,
            },
            Action::Tell {
                audience: Audience::AllBrowsersExcept(device_id.clone()),
                update: CallUpdate::AnsweredElsewhere,
            },
        ];
        actions.extend(self.stop_phone());
        self.browser = LegState::Answered;
        self.connect(
            Answerer::Browser { device_id },
            CallOutcome::AnsweredInBrowser,
            now,
        );
        Ok(actions)
    }

    fn browser_close(&mut self) -> Vec<Action> {
        // Only the browser stops: the phone and the deadline are untouched (rule 4).
        if self.phase == Phase::Ringing && self.browser == LegState::Ringing {
            self.browser = LegState::Closed;
            vec![Action::Tell {
                audience: Audience::AllBrowsers,
                update: CallUpdate::RingingClosed,
            }]
        } else {
            Vec::new()
        }
    }

    fn phone_answered(&mut self, now: UnixMillis) -> Result<Vec<Action>, Refusal> {
        if self.moving() {
            return Ok(self.moved());
        }
        if self.phase != Phase::Ringing {
            return Err(Refusal::NotRinging);
        }
        if self.phone != LegState::Ringing {
            return Err(Refusal::NotOfferedToPhone);
        }
        let actions = self.stop_browser(CallUpdate::AnsweredElsewhere);
        self.phone = LegState::Answered;
        self.connect(Answerer::Phone, CallOutcome::AnsweredOnPhone, now);
        Ok(actions)
    }

    fn phone_failed(&mut self) -> Vec<Action> {
        if self.moving() {
            return self.move_failed();
        }
        if self.phone == LegState::Ringing {
            self.phone = LegState::Stopped;
            self.phone_failed = true;
        }
        Vec::new()
    }

    fn caller_hung_up(&mut self, now: UnixMillis) -> Vec<Action> {
        match &self.phase {
            Phase::Ringing => {
                let mut actions = self.stop_browser(CallUpdate::CallerHungUp);
                actions.extend(self.stop_phone());
                self.outcome = Some(CallOutcome::Missed);
                self.end(now);
                actions
            }
            Phase::Connected(_) => self.hang_up(now),
            // A repeated hang-up webhook changes nothing.
            Phase::Ended => Vec::new(),
        }
    }

    fn rep_hung_up(&mut self, now: UnixMillis) -> Result<Vec<Action>, Refusal> {
        match &self.phase {
            Phase::Connected(_) => Ok(self.hang_up(now)),
            Phase::Ended => Ok(Vec::new()),
            _ => Err(Refusal::NotConnected),
        }
    }

    /// Ends a connected call, whichever side hung up. A browser that answered
    /// (and the panel it shows) learns it ended from the server, even when it
    /// was the one hanging up.
    fn hang_up(&mut self, now: UnixMillis) -> Vec<Action> {
        let mut actions = Vec::new();
        let told = match &self.phase {
            Phase::Connected(Answerer::Browser { device_id }) => Some(device_id.clone()),
            // Its panel still shows the call it moved to the phone.
            Phase::Connected(Answerer::Phone) => self.moved_from.clone(),
            _ => None,
        };
        if let Some(device_id) = told {
            actions.push(Action::Tell {
                audience: Audience::Device(device_id),
                update: CallUpdate::Ended,
            });
        }
        // A move under way: the phone stops ringing.
        actions.extend(self.stop_phone());
        actions.push(Action::EndMedia);
        self.end(now);
        actions
    }

    /// Rule 5: nobody answered.
    fn no_answer(&mut self, now: UnixMillis) -> Vec<Action> {
        let forward_to = match self.no_answer_action {
            NoAnswerAction::Forward if !self.phone_failed => self.forwarding_number.clone(),
            NoAnswerAction::Forward => None,
            // Voicemail is also the fallback when there is no phone to forward to.
            NoAnswerAction::Voicemail => None,
        };
        let outcome = if forward_to.is_some() {
            CallOutcome::Forwarded
        } else {
            CallOutcome::Voicemail
        };
        let mut actions = self.stop_browser(CallUpdate::NoAnswer { outcome });
        self.outcome = Some(outcome);
        match forward_to {
            Some(number) => {
                // The phone keeps the call; Ringback's part in it is over.
                if self.phone == LegState::Ringing {
                    self.phone = LegState::Stopped;
                }
                actions.push(Action::ForwardToPhone { number });
                self.end(now);
            }
            None => {
                actions.extend(self.stop_phone());
                actions.push(Action::StartVoicemail);
                self.phase = Phase::Connected(Answerer::Voicemail);
                self.answered_at = Some(now);
            }
        }
        actions
    }

    fn stop_browser(&mut self, update: CallUpdate) -> Vec<Action> {
        match self.browser {
            LegState::Ringing | LegState::Closed => {
                // A closed notification still hears the news, so the extension can
                // leave a "Missed call" behind.
                if self.browser == LegState::Ringing {
                    self.browser = LegState::Stopped;
                }
                vec![Action::Tell {
                    audience: Audience::AllBrowsers,
                    update,
                }]
            }
            _ => Vec::new(),
        }
    }

    fn stop_phone(&mut self) -> Vec<Action> {
        if self.phone == LegState::Ringing {
            self.phone = LegState::Stopped;
            vec![Action::StopPhone]
        } else {
            Vec::new()
        }
    }

    fn connect(&mut self, answerer: Answerer, outcome: CallOutcome, now: UnixMillis) {
        self.phase = Phase::Connected(answerer);
        self.outcome = Some(outcome);
        self.answered_at = Some(now);
    }

    fn end(&mut self, now: UnixMillis) {
        self.phase = Phase::Ended;
        self.ended_at = Some(now);
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn status(&self) -> CallStatus {
        match self.phase {
            Phase::Ringing => CallStatus::Ringing,
            Phase::Connected(_) => CallStatus::Connected,
            Phase::Ended => CallStatus::Ended,
        }
    }

    pub fn browser_leg(&self) -> LegState {
        self.browser
    }

    pub fn phone_leg(&self) -> LegState {
        self.phone
    }

    /// True while the rep's browsers should show this call as ringing.
    pub fn rings_in_browser(&self) -> bool {
        self.phase == Phase::Ringing && self.browser == LegState::Ringing
    }

    pub fn outcome(&self) -> Option<CallOutcome> {
        self.outcome
    }

    pub fn started_at(&self) -> UnixMillis {
        self.started_at
    }

    pub fn ring_deadline(&self) -> UnixMillis {
        self.ring_deadline
    }

    pub fn answered_at(&self) -> Option<UnixMillis> {
        self.answered_at
    }

    pub fn ended_at(&self) -> Option<UnixMillis> {
        self.ended_at
    }
}

mod hold;
mod move_to_phone;
#[cfg(test)]
mod tests;
