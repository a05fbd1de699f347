//! "Move to my phone" for a call the rep placed: as for an inbound call
//! (`crate::call`'s own module), the forwarding phone rings while the call
//! stays in the browser, and the prospect is bridged to it when it answers.

use super::{Dial, DialAction, DialRefusal, DialUpdate};

/// Where the forwarding phone stands in a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhoneLeg {
    #[default]
    None,
    Ringing,
    /// The call is on the phone.
    Answered,
}

impl Dial {
    pub(super) fn move_to_phone(&mut self) -> Result<Vec<DialAction>, DialRefusal> {
        match self.phone {
            PhoneLeg::Answered => return Err(DialRefusal::OnPhone),
            // Asked twice: the phone rings already.
            PhoneLeg::Ringing => return Ok(Vec::new()),
            PhoneLeg::None => {}
        }
        let number = self
            .forwarding_number
            .clone()
            .ok_or(DialRefusal::NoForwardingPhone)?;
        self.phone = PhoneLeg::Ringing;
        Ok(vec![
            DialAction::RingPhone { number },
            self.tell(DialUpdate::MovingToPhone),
        ])
    }

    pub(super) fn phone_answered(&mut self) -> Vec<DialAction> {
        // Late news (the call ended, or the move was given up) changes nothing.
        if self.phone != PhoneLeg::Ringing {
            return Vec::new();
        }
        self.phone = PhoneLeg::Answered;
        vec![self.tell(DialUpdate::MovedToPhone)]
    }

    pub(super) fn phone_failed(&mut self) -> Vec<DialAction> {
        if self.phone != PhoneLeg::Ringing {
            return Vec::new();
        }
        self.phone = PhoneLeg::None;
        vec![self.tell(DialUpdate::MoveFailed)]
    }

    /// Where the forwarding phone stands in a move.
    pub fn phone(&self) -> PhoneLeg {
        self.phone
    }
}
