//! The panel's keypad during a call connected in the rep's browser: its
//! keys go to the far end of the call's trunk leg as RFC 4733
//! telephone-events (an IVR's "press 1"). Dials and inbound calls alike;
//! an inbound call another instance owns has the keys forwarded there.

use crate::exchange::EventError;
use crate::state::AppState;
use media::MediaError;
use protocol::signal::{MAX_DIGITS, SignalErrorCode};
use protocol::{CallId, RepId};

const NOT_CONNECTED_HERE: &str =
    "The keypad works during a call connected in this browser, and this one is not.";

/// A refusal the rep reads as it is.
fn refused(message: impl Into<String>) -> EventError {
    EventError::Elsewhere {
        code: SignalErrorCode::DigitsRefused,
        message: message.into(),
    }
}

/// Keys that cannot be sent at all, before any call is looked at.
fn check_digits(digits: &str) -> Result<(), EventError> {
    if digits.chars().count() > MAX_DIGITS {
        return Err(refused(format!(
            "At most {MAX_DIGITS} keypad keys go in one message."
        )));
    }
    media::dtmf::event_codes(digits)
        .map(drop)
        .map_err(|error| refused(error.to_string()))
}

impl AppState {
    /// The rep pressed `digits` in the browser `device_id` on call `id`:
    /// queued for the far end if the call is theirs and connected there.
    pub async fn rep_digits(
        &self,
        rep: RepId,
        id: CallId,
        device_id: &str,
        digits: String,
    ) -> Result<(), EventError> {
        check_digits(&digits)?;
        if let Some(connected) = self.dial_connected_in(rep, id, device_id).await {
            return self.send_digits(connected, id, digits).await;
        }
        if self.lives_here(id) {
            return self.rep_digits_here(rep, id, device_id, digits).await;
        }
        self.forward_digits(rep, id, device_id.to_owned(), digits)
            .await
    }

    /// [`Self::rep_digits`] for a call this instance runs: a dial it
    /// placed, or an inbound call it owns.
    pub(crate) async fn rep_digits_here(
        &self,
        rep: RepId,
        id: CallId,
        device_id: &str,
        digits: String,
    ) -> Result<(), EventError> {
        check_digits(&digits)?;
        let connected = match self.dial_connected_in(rep, id, device_id).await {
            Some(connected) => Some(connected),
            None => self.answered_in_browser(rep, id, device_id).await,
        }
        .ok_or(EventError::NotFound)?;
        self.send_digits(connected, id, digits).await
    }

    async fn send_digits(
        &self,
        connected: bool,
        id: CallId,
        digits: String,
    ) -> Result<(), EventError> {
        if !connected {
            return Err(refused(NOT_CONNECTED_HERE));
        }
        match self.media().send_digits(id, digits).await {
            Ok(()) => Ok(()),
            Err(MediaError::Keypad(error)) => Err(refused(error.to_string())),
            // A webhook call's caller is a stand-in, with no trunk leg.
            Err(MediaError::NoSuchCall) => Err(refused(
                "The other side of this call does not accept keypad tones.",
            )),
            Err(error) => {
                tracing::warn!(call = %id, %error, "keypad tones could not be queued");
                Err(refused("The keypad tones could not be sent; try again."))
            }
        }
    }
}
