//! This instance among the others: what it tells them over the bus and
//! what it answers.
//!
//! Subjects (payloads are JSON):
//! - `ringback.rep.<rep>`: every instance holding one of the rep's sockets
//!   subscribes ([`reps`]). [`RepNews::Send`] carries a frame for those
//!   sockets (rings, call updates, availability), [`RepNews::SignOut`]
//!   closes a session's sockets, and a [`RepNews::Presence`] request is
//!   answered by an instance with a socket, so "no responders" means no
//!   instance has one.
//! - `ringback.call.<id>`: the call's owner, the instance that took it from
//!   the carrier, subscribes while the call is live ([`calls`]): another
//!   instance forwards a socket's Accept, Close or Hang up there as a
//!   [`CallCommand`] and relays the [`CallReply`].
//! - `ringback.instance.<id>`: each instance answers questions about the
//!   calls it owns ([`owner`]): the webhook carrier's, asked by the instance
//!   the carrier reached, and "what rings for this rep", asked by an
//!   instance a rep's socket (re)connects to.
//! - `ringback.sign_in`: every instance subscribes; each sign-in outcome
//!   is told to all, so the throttle counts guesses across instances
//!   ([`sign_ins`]).
//!
//! [`lease`] keeps this instance's lease and ends the calls of instances
//! that stopped keeping theirs.

mod calls;
mod dials;
pub mod lease;
mod owner;
mod reps;
pub mod sign_ins;

pub use self::calls::CallLink;
pub(crate) use owner::OwnerQuestion;
pub use owner::start as start_owner_answers;
pub use reps::RepLink;

use axum::extract::ws::Utf8Bytes;
use bus::{Bus, Bytes};
use protocol::signal::{ServerMessage, SignalErrorCode};
use protocol::{CallId, RepId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

/// How long a presence question waits for an instance that has subscribers
/// but does not answer (one just dying): after that the rep counts as away.
const PRESENCE_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a forwarded Accept, Close or Hang up waits for the call's owner.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// This instance's bus and name.
#[derive(Debug)]
pub struct Cluster {
    bus: Arc<dyn Bus>,
    /// Unique among the instances sharing the database and the bus.
    instance: String,
    reps: reps::RepLinks,
}

impl Cluster {
    pub fn new(bus: Arc<dyn Bus>, instance: String) -> Self {
        Self {
            bus,
            instance,
            reps: reps::RepLinks::default(),
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }
}

/// Which of the rep's sockets a frame is for (a wire copy of [`calls::Audience`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "to", content = "device", rename_all = "snake_case")]
enum WireAudience {
    All,
    Device(String),
    AllExcept(String),
}

impl From<&::calls::Audience> for WireAudience {
    fn from(audience: &::calls::Audience) -> Self {
        match audience {
            ::calls::Audience::AllBrowsers => Self::All,
            ::calls::Audience::Device(d) => Self::Device(d.clone()),
            ::calls::Audience::AllBrowsersExcept(d) => Self::AllExcept(d.clone()),
        }
    }
}

impl From<WireAudience> for ::calls::Audience {
    fn from(audience: WireAudience) -> Self {
        match audience {
            WireAudience::All => Self::AllBrowsers,
            WireAudience::Device(d) => Self::Device(d),
            WireAudience::AllExcept(d) => Self::AllBrowsersExcept(d),
        }
    }
}

/// What goes to the instances holding a rep's sockets.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RepNews {
    Send {
        origin: String,
        audience: WireAudience,
        /// The serialised [`ServerMessage`], as the sockets send it.
        frame: String,
    },
    SignOut {
        origin: String,
        session_hash: String,
    },
    /// A request: answered with [`PresenceReply`] by an instance with a socket.
    Presence { origin: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct PresenceReply {
    devices: Vec<String>,
    /// No socket now, but the rep's last one here left then, within the grace.
    #[serde(default)]
    left_at: Option<protocol::UnixMillis>,
    /// The rep's browser used most recently on that instance.
    #[serde(default)]
    latest: Option<String>,
}

/// A socket's message for a call another instance owns.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CallCommand {
    Accept {
        rep: RepId,
        device_id: String,
        answer: Option<String>,
    },
    Close {
        rep: RepId,
        device_id: String,
    },
    HangUp {
        rep: RepId,
        device_id: String,
    },
    MoveToPhone {
        rep: RepId,
        device_id: String,
    },
    Hold {
        rep: RepId,
        device_id: String,
        held: bool,
    },
    Digits {
        rep: RepId,
        device_id: String,
        digits: String,
    },
    /// The browser's SDP answer to a dial's offer (`POST /calls/{id}/answer`
    /// at another instance).
    DialAnswer {
        rep: RepId,
        answer: String,
    },
}

/// The owner's answer: what the socket replies, decided where the call lives.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CallReply {
    Done,
    Refused {
        code: SignalErrorCode,
        message: String,
    },
}

fn rep_subject(rep: RepId) -> String {
    format!("ringback.rep.{rep}")
}

fn call_subject(call: CallId) -> String {
    format!("ringback.call.{call}")
}

/// Subscribes to `subject` (in place once this returns) and hands each
/// message to `handle` until the bus or this instance stops.
async fn serve_subject(
    state: &AppState,
    subject: &str,
    handle: impl Fn(AppState, bus::Message) + Send + 'static,
) -> Result<(), bus::BusError> {
    let mut subscription = state.cluster().bus.subscribe(subject).await?;
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                message = subscription.next() => message,
                () = state.shutting_down() => return,
            };
            let Some(message) = message else { return };
            handle(state.clone(), message);
        }
    });
    Ok(())
}

fn encode(value: &impl Serialize) -> Option<Bytes> {
    match serde_json::to_vec(value) {
        Ok(bytes) => Some(Bytes::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "encoding a bus message failed");
            None
        }
    }
}

impl AppState {
    /// Sends `message` to the rep's sockets that `audience` names, here and
    /// on every other instance holding one.
    pub async fn tell(&self, rep: RepId, audience: &::calls::Audience, message: &ServerMessage) {
        let text = match serde_json::to_string(message) {
            Ok(text) => text,
            Err(error) => {
                tracing::error!(%error, "serialising a signalling message failed");
                return;
            }
        };
        self.hub()
            .send_frame(rep, audience, Utf8Bytes::from(text.clone()));
        let news = RepNews::Send {
            origin: self.cluster().instance.clone(),
            audience: audience.into(),
            frame: text,
        };
        self.publish_rep(rep, &news).await;
    }

    /// Closes the sockets a session opened, on every instance.
    pub async fn sign_out_everywhere(&self, rep: RepId, session_hash: &str) {
        self.hub().sign_out(rep, session_hash);
        let news = RepNews::SignOut {
            origin: self.cluster().instance.clone(),
            session_hash: session_hash.to_owned(),
        };
        self.publish_rep(rep, &news).await;
    }

    async fn publish_rep(&self, rep: RepId, news: &RepNews) {
        let Some(payload) = encode(news) else { return };
        if let Err(error) = self.cluster().bus.publish(&rep_subject(rep), payload).await {
            tracing::warn!(%rep, %error, "telling the other instances failed");
        }
    }

    /// The one browser of the rep's that places a call asked for from a
    /// web page: the one used most recently here, else (asked over the bus)
    /// the one used most recently on the instance that answers first. Only
    /// a rep with no browser here costs the question.
    pub async fn dialling_browser(&self, rep: RepId) -> Option<String> {
        if let Some((device, _)) = self.hub().latest_device(rep) {
            return Some(device);
        }
        let question = RepNews::Presence {
            origin: self.cluster().instance.clone(),
        };
        let reply = self
            .cluster()
            .bus
            .request(&rep_subject(rep), encode(&question)?, PRESENCE_TIMEOUT)
            .await
            .ok()?;
        let reply: PresenceReply = serde_json::from_slice(&reply).ok()?;
        // An older instance does not say which: its latest registered then.
        reply.latest.or_else(|| reply.devices.last().cloned())
    }

    /// Whether a call for `rep` finds a browser: here, on another instance
    /// (asked over the bus; nobody subscribed answers at once), or gone
    /// from here or there a moment ago.
    pub async fn browser_presence(&self, rep: RepId) -> ::calls::BrowserPresence {
        let here = self.hub().browser_presence(rep);
        if here == ::calls::BrowserPresence::Connected {
            return here;
        }
        let question = RepNews::Presence {
            origin: self.cluster().instance.clone(),
        };
        let Some(payload) = encode(&question) else {
            return here;
        };
        let asked = self
            .cluster()
            .bus
            .request(&rep_subject(rep), payload, PRESENCE_TIMEOUT)
            .await;
        match asked.map(|reply| serde_json::from_slice::<PresenceReply>(&reply)) {
            Ok(Ok(reply)) if !reply.devices.is_empty() => ::calls::BrowserPresence::Connected,
            Ok(Ok(PresenceReply {
                left_at: Some(there),
                ..
            })) => match here {
                ::calls::BrowserPresence::LeftAt(at) if at > there => here,
                _ => ::calls::BrowserPresence::LeftAt(there),
            },
            Ok(_) | Err(bus::BusError::NoResponders(_)) => here,
            Err(error) => {
                tracing::warn!(%rep, %error, "asking the other instances for the rep's browsers failed");
                here
            }
        }
    }
}
