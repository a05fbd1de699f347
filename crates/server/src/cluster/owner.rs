//! Questions for the instance that owns a call, on its own subject
//! `ringback.instance.<id>`, which every instance answers from startup to
//! shutdown. (Not the call's subject: that one ends with the call, and a
//! carrier collects the last commands afterwards.)
//!
//! - The webhook carrier reaches whichever instance its load balancer picks,
//!   but a call's state machine, phone commands and audio live with its
//!   owner, named in the call's row: an event, a command poll or a media
//!   report for a call owned elsewhere is asked of the owner.
//! - A rep's socket (re)connects to any instance: what still rings for the
//!   rep, and what this browser is still on, is asked of every instance that
//!   owns one of the rep's live calls ([`AppState::resume_for`]).
//!
//! An owner that is gone answers nothing: the asking instance then answers
//! from what the store knows, as a single instance would after a restart.

use super::{FORWARD_TIMEOUT, encode, serve_subject};
use crate::api::carrier::apply_event;
use crate::error::AppError;
use crate::state::AppState;
use bus::BusError;
use protocol::api::CarrierEventKind;
use protocol::signal::IncomingCall;
use protocol::{CallId, CallStatus, RepId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What an instance asks a call's owner for the carrier.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum OwnerQuestion {
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
    /// What rings for the rep and what `device_id` is on, among the calls
    /// this owner holds; answered with a [`Resume`].
    Resume { rep: RepId, device_id: String },
}

/// What a (re)connecting socket is sent before anything else: the calls
/// still ringing for its rep, and the calls its browser already won.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Resume {
    pub ringing: Vec<IncomingCall>,
    pub connected: Vec<CallId>,
}

/// How long a (re)connecting socket waits for another owner's calls: an
/// owner just dying must not hold up the socket's own resume for long.
const RESUME_TIMEOUT: Duration = Duration::from_secs(1);

fn instance_subject(instance: &str) -> String {
    format!("ringback.instance.{instance}")
}

/// Subscribes to this instance's own subject before returning, and answers
/// the other instances' questions until shutdown.
pub async fn start(state: &AppState) -> Result<(), BusError> {
    let subject = instance_subject(state.cluster().instance());
    serve_subject(state, &subject, |state, message| {
        let question = match serde_json::from_slice::<OwnerQuestion>(&message.payload) {
            Ok(question) => question,
            Err(error) => {
                tracing::warn!(%error, "an unreadable question from another instance");
                return;
            }
        };
        // One at a time would let a slow store stall every other
        // instance's questions; each gets a task of its own.
        tokio::spawn(async move {
            let Some(answer) = answer(&state, question).await else {
                return;
            };
            if let Err(error) = message.respond(answer).await {
                tracing::warn!(%error, "answering another instance failed");
            }
        });
    })
    .await
}

async fn answer(state: &AppState, question: OwnerQuestion) -> Option<bus::Bytes> {
    match question {
        OwnerQuestion::Event {
            call,
            status,
            event,
        } => encode(&apply_event(state, call, status, event).await),
        OwnerQuestion::Commands { carrier_call_id } => {
            encode(&state.webhook_phone().commands(&carrier_call_id))
        }
        OwnerQuestion::Media { call } => encode(&state.media().report(call).await),
        OwnerQuestion::Resume { rep, device_id } => {
            encode(&state.resume_here(rep, &device_id).await)
        }
    }
}

impl AppState {
    /// Asks `owner` the carrier's `question`. `None` when this instance is
    /// the owner or the owner is gone: then it is answered here.
    pub(crate) async fn ask_owner<T: DeserializeOwned>(
        &self,
        owner: &str,
        question: &OwnerQuestion,
    ) -> Result<Option<T>, AppError> {
        self.ask_owner_within(owner, question, FORWARD_TIMEOUT)
            .await
    }

    async fn ask_owner_within<T: DeserializeOwned>(
        &self,
        owner: &str,
        question: &OwnerQuestion,
        timeout: Duration,
    ) -> Result<Option<T>, AppError> {
        if owner == self.cluster().instance() {
            return Ok(None);
        }
        let payload = encode(question)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("encoding a question failed")))?;
        match self
            .cluster()
            .bus
            .request(&instance_subject(owner), payload, timeout)
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

    /// What a socket of `rep`'s browser `device_id` resumes: the calls this
    /// instance holds, and, when there are other instances, those of every
    /// other owner of one of the rep's live calls, in call order.
    pub async fn resume_for(&self, rep: RepId, device_id: &str) -> Resume {
        let mut resume = self.resume_here(rep, device_id).await;
        if self.config().bus.is_none() {
            return resume;
        }
        let owners = match self.store().live_call_owners(rep).await {
            Ok(owners) => owners,
            Err(error) => {
                tracing::warn!(%rep, %error, "finding the owners of the rep's calls failed");
                return resume;
            }
        };
        let question = OwnerQuestion::Resume {
            rep,
            device_id: device_id.to_owned(),
        };
        for owner in owners {
            match self
                .ask_owner_within::<Resume>(&owner, &question, RESUME_TIMEOUT)
                .await
            {
                Ok(Some(theirs)) => {
                    resume.ringing.extend(theirs.ringing);
                    resume.connected.extend(theirs.connected);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%rep, owner, %error, "resuming another instance's calls failed")
                }
            }
        }
        resume.ringing.sort_by_key(|c| c.call_id);
        resume.connected.sort();
        resume
    }

    async fn resume_here(&self, rep: RepId, device_id: &str) -> Resume {
        Resume {
            ringing: self.ringing_for(rep).await,
            connected: self.connected_to(rep, device_id).await,
        }
    }
}
