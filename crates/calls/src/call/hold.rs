//! Call waiting: a call answered in the browser can be held while the rep
//! takes (or switches to) another, and resumed. The browser on the call
//! decides; holding never ends anything, and a held call stays held until
//! that browser resumes it or someone hangs up.

use super::{Action, Answerer, Audience, Call, Phase, Refusal};
use protocol::signal::CallUpdate;

impl Call {
    pub(super) fn hold(&mut self, device_id: String, held: bool) -> Result<Vec<Action>, Refusal> {
        let here = matches!(
            &self.phase,
            Phase::Connected(Answerer::Browser { device_id: on_call }) if *on_call == device_id
        );
        if !here {
            return Err(Refusal::NotConnectedHere);
        }
        // Asked twice (a retry): nothing more to do.
        if self.held == held {
            return Ok(Vec::new());
        }
        self.held = held;
        let (media, update) = if held {
            (Action::HoldCaller, CallUpdate::OnHold)
        } else {
            (Action::ResumeCaller, CallUpdate::Resumed)
        };
        Ok(vec![
            media,
            Action::Tell {
                audience: Audience::Device(device_id),
                update,
            },
        ])
    }

    /// Held by the browser on it.
    pub fn held(&self) -> bool {
        self.held
    }
}
