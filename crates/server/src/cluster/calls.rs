//! One owner per call: the owner answers on the call's subject; a socket on
//! another instance has its Accept, Close and Hang up forwarded there.

use super::{CallCommand, CallReply, FORWARD_TIMEOUT, call_subject, encode};
use crate::exchange::EventError;
use crate::state::AppState;
use bus::BusError;
use calls::Event;
use protocol::signal::SignalErrorCode;
use protocol::{CallId, RepId};
use tokio::sync::oneshot;

/// The owner's subscription for a live call; dropping it (with the call's
/// entry in the exchange) ends the pump, which unsubscribes.
#[derive(Debug)]
pub struct CallLink {
    _stop: oneshot::Sender<()>,
}

impl AppState {
    /// Subscribes to the call's subject; returns once other instances can reach it.
    pub(crate) async fn own_call(&self, id: CallId) -> Result<CallLink, BusError> {
        let mut subscription = self.cluster().bus.subscribe(&call_subject(id)).await?;
        let (stop, mut stopped) = oneshot::channel::<()>();
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    message = subscription.next() => match message {
                        Some(message) => message,
                        None => return,
                    },
                    _ = &mut stopped => return,
                };
                let reply = match serde_json::from_slice::<CallCommand>(&message.payload) {
                    Ok(command) => state.run_forwarded(id, command).await,
                    Err(error) => CallReply::Refused {
                        code: SignalErrorCode::MalformedMessage,
                        message: format!("unreadable forwarded command: {error}"),
                    },
                };
                if let Some(reply) = encode(&reply)
                    && let Err(error) = message.respond(reply).await
                {
                    tracing::warn!(call = %id, %error, "answering a forwarded command failed");
                }
            }
        });
        Ok(CallLink { _stop: stop })
    }

    /// Applies what a socket elsewhere sent, here where the call lives.
    async fn run_forwarded(&self, id: CallId, command: CallCommand) -> CallReply {
        if self.is_dial_here(id) {
            return self.run_forwarded_dial(id, command).await;
        }
        let applied = match command {
            CallCommand::Accept {
                rep,
                device_id,
                answer,
            } => self.rep_accept_here(rep, id, device_id, answer).await,
            CallCommand::Close { rep, device_id } => {
                self.rep_event_here(rep, id, Event::BrowserClose, &device_id)
                    .await
            }
            CallCommand::HangUp { rep, device_id } => {
                self.rep_event_here(rep, id, Event::RepHungUp, &device_id)
                    .await
            }
            CallCommand::Hold {
                rep,
                device_id,
                held,
            } => {
                let event = if held {
                    Event::Hold {
                        device_id: device_id.clone(),
                    }
                } else {
                    Event::Resume {
                        device_id: device_id.clone(),
                    }
                };
                self.rep_event_here(rep, id, event, &device_id).await
            }
            CallCommand::MoveToPhone { rep, device_id } => {
                let event = Event::MoveToPhone {
                    device_id: device_id.clone(),
                };
                self.rep_event_here(rep, id, event, &device_id).await
            }
            CallCommand::Digits {
                rep,
                device_id,
                digits,
            } => self.rep_digits_here(rep, id, &device_id, digits).await,
            // A dial's own: it is not one (it ended meanwhile).
            CallCommand::DialAnswer { .. } => Err(EventError::NotFound),
        };
        match applied {
            Ok(()) => CallReply::Done,
            Err(error) => {
                let (code, message) = crate::signal::error_reply(error);
                CallReply::Refused { code, message }
            }
        }
    }

    /// Sends a socket's message about a call this instance does not hold to
    /// its owner, and returns the owner's answer. No owner listening means
    /// no such live call.
    pub(crate) async fn forward(
        &self,
        rep: RepId,
        id: CallId,
        event: Event,
        device_id: String,
        answer: Option<String>,
    ) -> Result<(), EventError> {
        let command = match event {
            Event::BrowserAccept { .. } => CallCommand::Accept {
                rep,
                device_id,
                answer,
            },
            Event::BrowserClose => CallCommand::Close { rep, device_id },
            Event::RepHungUp => CallCommand::HangUp { rep, device_id },
            Event::MoveToPhone { .. } => CallCommand::MoveToPhone { rep, device_id },
            Event::Hold { .. } => CallCommand::Hold {
                rep,
                device_id,
                held: true,
            },
            Event::Resume { .. } => CallCommand::Hold {
                rep,
                device_id,
                held: false,
            },
            // Only a socket's messages are forwarded.
            _ => return Err(EventError::NotFound),
        };
        self.forward_command(id, &command).await
    }

    /// Keypad tones for a call another instance owns.
    pub(crate) async fn forward_digits(
        &self,
        rep: RepId,
        id: CallId,
        device_id: String,
        digits: String,
    ) -> Result<(), EventError> {
        let command = CallCommand::Digits {
            rep,
            device_id,
            digits,
        };
        self.forward_command(id, &command).await
    }

    pub(super) async fn forward_command(
        &self,
        id: CallId,
        command: &CallCommand,
    ) -> Result<(), EventError> {
        let payload = encode(command).ok_or(EventError::NotFound)?;
        let reply = match self
            .cluster()
            .bus
            .request(&call_subject(id), payload, FORWARD_TIMEOUT)
            .await
        {
            Ok(reply) => reply,
            Err(BusError::NoResponders(_)) => return Err(EventError::NotFound),
            Err(error) => {
                tracing::warn!(call = %id, %error, "forwarding to the call's owner failed");
                return Err(EventError::Elsewhere {
                    code: SignalErrorCode::Internal,
                    message: "the call's server did not answer; retry".into(),
                });
            }
        };
        match serde_json::from_slice::<CallReply>(&reply) {
            Ok(CallReply::Done) => Ok(()),
            Ok(CallReply::Refused { code, message }) => {
                Err(EventError::Elsewhere { code, message })
            }
            Err(error) => Err(EventError::Elsewhere {
                code: SignalErrorCode::Internal,
                message: format!("unreadable answer from the call's server: {error}"),
            }),
        }
    }
}
