//! Calls the rep placed, across instances. A dial is run by the instance
//! that placed it (its SIP dialog and audio live there), which answers on
//! the call's subject as an inbound call's owner does: the browser's SDP
//! answer and Hang up over REST, and a socket's hold, move and keypad keys,
//! reach it from whichever instance the load balancer sent them to.

use super::{CallCommand, CallReply};
use crate::error::AppError;
use crate::exchange::EventError;
use crate::state::AppState;
use protocol::signal::SignalErrorCode;
use protocol::{CallId, RepId};

impl AppState {
    /// What another instance forwards for a dial this one runs.
    pub(super) async fn run_forwarded_dial(&self, id: CallId, command: CallCommand) -> CallReply {
        let done = match command {
            CallCommand::DialAnswer { rep, answer } => self.dial_answer_here(rep, id, answer).await,
            CallCommand::HangUp { rep, .. } => self.dial_hang_up_here(rep, id).await,
            CallCommand::Hold {
                rep,
                device_id,
                held,
            } => self.dial_hold(rep, id, &device_id, held).await,
            CallCommand::MoveToPhone { rep, device_id } => {
                self.dial_move_to_phone(rep, id, &device_id).await
            }
            CallCommand::Digits {
                rep,
                device_id,
                digits,
            } => {
                return match self.rep_digits_here(rep, id, &device_id, digits).await {
                    Ok(()) => CallReply::Done,
                    Err(error) => {
                        let (code, message) = crate::signal::error_reply(error);
                        CallReply::Refused { code, message }
                    }
                };
            }
            CallCommand::Accept { .. } | CallCommand::Close { .. } => {
                Err(AppError::Conflict("a call you placed does not ring".into()))
            }
        };
        match done {
            Ok(()) => CallReply::Done,
            Err(AppError::NotFound(what)) => CallReply::Refused {
                code: SignalErrorCode::CallNotFound,
                message: format!("{what} not found"),
            },
            Err(error) => CallReply::Refused {
                code: SignalErrorCode::CallNotRinging,
                message: error.to_string(),
            },
        }
    }

    /// Hands a REST request for a dial this instance does not run to the
    /// instance that does; none answering means no such live call.
    async fn forward_to_dial(&self, id: CallId, command: CallCommand) -> Result<(), AppError> {
        match self.forward_command(id, &command).await {
            Ok(()) => Ok(()),
            Err(EventError::Elsewhere {
                code: SignalErrorCode::CallNotFound,
                ..
            }) => Err(AppError::NotFound("live call")),
            Err(EventError::Elsewhere { message, .. }) => Err(AppError::Conflict(message)),
            Err(_) => Err(AppError::NotFound("live call")),
        }
    }

    /// [`Self::dial_answer_here`], wherever the dial runs.
    pub async fn dial_answer(
        &self,
        rep: RepId,
        id: CallId,
        answer: String,
    ) -> Result<(), AppError> {
        if self.is_dial_here(id) {
            return self.dial_answer_here(rep, id, answer).await;
        }
        self.forward_to_dial(id, CallCommand::DialAnswer { rep, answer })
            .await
    }

    /// [`Self::dial_hang_up_here`], wherever the dial runs.
    pub async fn dial_hang_up(&self, rep: RepId, id: CallId) -> Result<(), AppError> {
        if self.is_dial_here(id) {
            return self.dial_hang_up_here(rep, id).await;
        }
        let command = CallCommand::HangUp {
            rep,
            device_id: String::new(),
        };
        self.forward_to_dial(id, command).await
    }
}
