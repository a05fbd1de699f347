//! Messages between Ringback instances, over one of two backends behind the
//! [`Bus`] trait:
//!
//! - [`InProcessBus`]: subjects inside one process. The default for a single
//!   instance; several servers in one test process can share one.
//! - [`NatsBus`]: a NATS server, for instances on several machines.
//!
//! Both have NATS's semantics, which is all the server relies on: a publish
//! reaches every current subscriber of its subject (none: it is dropped); a
//! request reaches every subscriber and the first reply wins; a request
//! nobody is subscribed for fails at once with [`BusError::NoResponders`]
//! rather than waiting for its timeout. The bus knows nothing of Ringback's
//! messages: subjects are strings, payloads bytes.

mod inprocess;
mod nats;

pub use bytes::Bytes;
pub use inprocess::InProcessBus;
pub use nats::NatsBus;

use std::time::Duration;

/// Messages a subscriber may fall behind by before newer ones are dropped
/// (NATS calls such a subscriber a slow consumer): what one stuck task can
/// hold in memory.
pub const SUBSCRIPTION_CAPACITY: usize = 4096;

/// Largest payload either backend carries (NATS's default server limit is 1 MB).
pub const MAX_PAYLOAD: usize = 512 * 1024;

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// Nobody is subscribed to the request's subject.
    #[error("no instance is listening on {0}")]
    NoResponders(String),
    /// Subscribers exist, but none replied within the timeout.
    #[error("no reply on {0} in time")]
    TimedOut(String),
    #[error("payload of {0} bytes is over the bus's limit")]
    TooLarge(usize),
    /// The NATS server could not be reached or refused the operation.
    #[error("NATS: {0}")]
    Nats(String),
}

/// One message as a subscriber receives it.
#[derive(Debug)]
pub struct Message {
    pub subject: String,
    pub payload: Bytes,
    reply: Option<Reply>,
}

#[derive(Debug)]
enum Reply {
    InProcess(inprocess::ReplySlot),
    Nats {
        client: async_nats::Client,
        subject: async_nats::Subject,
    },
}

impl Message {
    /// Whether the sender waits for a reply (it was a request).
    pub fn wants_reply(&self) -> bool {
        self.reply.is_some()
    }

    /// Answers a request; a plain publish has no one to answer, and a
    /// request already answered elsewhere ignores this one.
    pub async fn respond(self, payload: Bytes) -> Result<(), BusError> {
        check_size(&payload)?;
        match self.reply {
            None => Ok(()),
            Some(Reply::InProcess(slot)) => {
                slot.fill(payload);
                Ok(())
            }
            Some(Reply::Nats { client, subject }) => client
                .publish(subject, payload)
                .await
                .map_err(|e| BusError::Nats(e.to_string())),
        }
    }
}

/// A live subscription; dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription(SubscriptionInner);

#[derive(Debug)]
enum SubscriptionInner {
    InProcess(inprocess::Receiver),
    Nats {
        client: async_nats::Client,
        subscriber: async_nats::Subscriber,
    },
}

impl Subscription {
    /// The next message, or `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Message> {
        match &mut self.0 {
            SubscriptionInner::InProcess(receiver) => receiver.next().await,
            SubscriptionInner::Nats { client, subscriber } => {
                let message = futures_util::StreamExt::next(subscriber).await?;
                Some(Message {
                    subject: message.subject.to_string(),
                    payload: message.payload,
                    reply: message.reply.map(|subject| Reply::Nats {
                        client: client.clone(),
                        subject,
                    }),
                })
            }
        }
    }
}

/// What the server needs of a bus.
#[async_trait::async_trait]
pub trait Bus: Send + Sync + std::fmt::Debug + 'static {
    /// Sends to every current subscriber of `subject`.
    async fn publish(&self, subject: &str, payload: Bytes) -> Result<(), BusError>;

    /// Subscribes; once this returns, messages published afterwards from
    /// any instance reach the subscription.
    async fn subscribe(&self, subject: &str) -> Result<Subscription, BusError>;

    /// Sends to every subscriber of `subject` and returns the first reply.
    async fn request(
        &self,
        subject: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, BusError>;
}

fn check_size(payload: &Bytes) -> Result<(), BusError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(BusError::TooLarge(payload.len()));
    }
    Ok(())
}

pub mod testing;
