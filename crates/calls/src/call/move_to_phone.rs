//! "Move to my phone": a call answered in the browser goes on to the rep's
//! forwarding phone. The phone is rung while the call stays in the browser;
//! when it answers the caller is bridged to it and the browser lets go, and
//! when it does not the call simply stays where it was. Ringback never drops
//! the caller for a move.

use super::{Action, Answerer, Audience, Call, Phase, Refusal};
use protocol::LegState;
use protocol::signal::CallUpdate;

impl Call {
    pub(super) fn move_to_phone(&mut self, device_id: String) -> Result<Vec<Action>, Refusal> {
        let here = matches!(
            &self.phase,
            Phase::Connected(Answerer::Browser { device_id: on_call }) if *on_call == device_id
        );
        if !here {
            return Err(Refusal::NotConnectedHere);
        }
        // Asked twice (a second click): the phone rings already.
        if self.moving() {
            return Ok(Vec::new());
        }
        let number = self
            .forwarding_number
            .clone()
            .ok_or(Refusal::NoForwardingPhone)?;
        self.phone = LegState::Ringing;
        self.moved_from = Some(device_id.clone());
        Ok(vec![
            Action::RingPhone { number },
            Action::Tell {
                audience: Audience::Device(device_id),
                update: CallUpdate::MovingToPhone,
            },
        ])
    }

    /// True while the phone rings for a call still in the browser.
    pub(super) fn moving(&self) -> bool {
        matches!(self.phase, Phase::Connected(Answerer::Browser { .. }))
            && self.phone == LegState::Ringing
    }

    /// The phone answered a move: the call is on it from now on.
    pub(super) fn moved(&mut self) -> Vec<Action> {
        self.phone = LegState::Answered;
        self.phase = Phase::Connected(Answerer::Phone);
        let mut actions = self.tell_mover(CallUpdate::MovedToPhone);
        // Held in the browser meanwhile: on the phone the rep talks at once.
        if self.held {
            self.held = false;
            actions.push(Action::ResumeCaller);
        }
        actions
    }

    /// The phone did not take a move: the call stays in the browser.
    pub(super) fn move_failed(&mut self) -> Vec<Action> {
        self.phone = LegState::Stopped;
        self.tell_mover(CallUpdate::MoveFailed)
    }

    fn tell_mover(&self, update: CallUpdate) -> Vec<Action> {
        self.moved_from
            .iter()
            .map(|device_id| Action::Tell {
                audience: Audience::Device(device_id.clone()),
                update: update.clone(),
            })
            .collect()
    }

    /// The browser the call was moved (or is moving) from.
    pub fn moved_from(&self) -> Option<&str> {
        self.moved_from.as_deref()
    }
}
