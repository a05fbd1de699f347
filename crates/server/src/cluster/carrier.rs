//! The webhook carrier's requests about a call another instance owns.
//!
//! The carrier reaches whichever instance its load balancer picks, but a
//! call's state machine, phone commands and audio live with its owner. So an
//! instance that gets a carrier event, a command poll or a media report for
//! a call it does not own asks the owner, named in the call's row, on the
//! owner's own subject `ringback.instance.<id>`, which every instance
//! answers from startup to shutdown. (Not the call's subject: that one ends
//! with the call, and a carrier collects the last commands afterwards.)
//! An owner that is gone answers nothing: the asking instance then answers
//! from what the store knows, as a single instance would after a restart.

use super::{FORWARD_TIMEOUT, encode};
use crate::api::carrier::apply_event;
use crate::error::AppError;
use crate::state::AppState;
use bus::BusError;
use protocol::api::CarrierEventKind;
use protocol::{CallId, CallStatus};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What an instance asks a call's owner for the carrier.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum CarrierQuestion {
    /// Apply the carrier's event; answered with an [`EventAnswer`].
    Event {
        call: CallId,
        status: CallStatus,
        event: CarrierEventKind,
    },
    /// The phone commands issued so far; answered with a list.
    Commands { carrier_call_id: String },
    /// The call's media report; answered with it, or `null`.
    Media { call: CallId },
}

fn instance_subject(instance: &str) -> String {
    format!("ringback.instance.{instance}")
}

/// Subscribes to this instance's own subject before returning, and answers
/// the other instances' questions until shutdown.
pub async fn start(state: &AppState) -> Result<(), BusError> {
    let subject = instance_subject(state.cluster().instance());
    let mut subscription = state.cluster().bus.subscribe(&subject).await?;
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                message = subscription.next() => message,
                () = state.shutting_down() => return,
            };
            let Some(message) = message else { return };
            let question = match serde_json::from_slice::<CarrierQuestion>(&message.payload) {
                Ok(question) => question,
                Err(error) => {
                    tracing::warn!(%error, "an unreadable question from another instance");
                    continue;
                }
            };
            // One at a time would let a slow store stall every other
            // instance's questions; each gets a task of its own.
            let state = state.clone();
            tokio::spawn(async move {
                let Some(answer) = answer(&state, question).await else {
                    return;
                };
                if let Err(error) = message.respond(answer).await {
                    tracing::warn!(%error, "answering another instance failed");
                }
            });
        }
    });
    Ok(())
}

async fn answer(state: &AppState, question: CarrierQuestion) -> Option<bus::Bytes> {
    match question {
        CarrierQuestion::Event {
            call,
            status,
            event,
        } => encode(&apply_event(state, call, status, event).await),
        CarrierQuestion::Commands { carrier_call_id } => {
            encode(&state.webhook_phone().commands(&carrier_call_id))
        }
        CarrierQuestion::Media { call } => encode(&state.media().report(call).await),
    }
}

impl AppState {
    /// Asks `owner` the carrier's `question`. `None` when this instance is
    /// the owner or the owner is gone: then it is answered here.
    pub(crate) async fn ask_owner<T: DeserializeOwned>(
        &self,
        owner: &str,
        question: &CarrierQuestion,
    ) -> Result<Option<T>, AppError> {
        if owner == self.cluster().instance() {
            return Ok(None);
        }
        let payload = encode(question)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("encoding a question failed")))?;
        match self
            .cluster()
            .bus
            .request(&instance_subject(owner), payload, FORWARD_TIMEOUT)
            .await
        {
            Ok(reply) => serde_json::from_slice(&reply).map(Some).map_err(|error| {
                AppError::Internal(anyhow::anyhow!(
                    "unreadable answer from the call's instance: {error}"
                ))
            }),
            Err(BusError::NoResponders(_)) => Ok(None),
            Err(error) => {
                tracing::warn!(owner, %error, "asking the call's instance failed");
                Err(AppError::Unavailable(
                    "the instance that holds this call did not answer; retry in a moment",
                ))
            }
        }
    }
}
