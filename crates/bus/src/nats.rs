//! The bus over a NATS server (async-nats).

use crate::check_size;
use crate::{Bus, BusError, Bytes, SUBSCRIPTION_CAPACITY, Subscription, SubscriptionInner};
use async_nats::{RequestErrorKind, client::RequestError};
use std::time::Duration;

/// How often the client pings the server. A dead instance's connection (and
/// with it its subscriptions, which answer presence requests) is noticed by
/// the server after two missed pings, so this bounds how long a dead
/// instance still looks like it holds a rep's sockets.
pub const PING_INTERVAL: Duration = Duration::from_secs(2);

/// A connection to a NATS server; clones share it.
#[derive(Debug, Clone)]
pub struct NatsBus {
    client: async_nats::Client,
}

impl NatsBus {
    /// Connects to `url` (`nats://host:port`); fails at once if the server
    /// cannot be reached, rather than retrying in the background.
    pub async fn connect(url: &str) -> Result<Self, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("ringback")
            .ping_interval(PING_INTERVAL)
            .subscription_capacity(SUBSCRIPTION_CAPACITY)
            .connect(url)
            .await
            .map_err(|e| BusError::Nats(e.to_string()))?;
        Ok(Self { client })
    }
}

fn nats_error(error: impl std::fmt::Display) -> BusError {
    BusError::Nats(error.to_string())
}

#[async_trait::async_trait]
impl Bus for NatsBus {
    async fn publish(&self, subject: &str, payload: Bytes) -> Result<(), BusError> {
        check_size(&payload)?;
        self.client
            .publish(subject.to_owned(), payload)
            .await
            .map_err(nats_error)
    }

    async fn subscribe(&self, subject: &str) -> Result<Subscription, BusError> {
        let subscriber = self
            .client
            .subscribe(subject.to_owned())
            .await
            .map_err(nats_error)?;
        // The server has the subscription once the flush's PONG is back:
        // from then on nothing published for it is missed.
        self.client.flush().await.map_err(nats_error)?;
        Ok(Subscription(SubscriptionInner::Nats {
            client: self.client.clone(),
            subscriber,
        }))
    }

    async fn request(
        &self,
        subject: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, BusError> {
        check_size(&payload)?;
        let request = async_nats::Request::new()
            .payload(payload)
            .timeout(Some(timeout));
        match self.client.send_request(subject.to_owned(), request).await {
            Ok(message) => Ok(message.payload),
            Err(error) => Err(request_error(subject, &error)),
        }
    }
}

fn request_error(subject: &str, error: &RequestError) -> BusError {
    match error.kind() {
        RequestErrorKind::NoResponders => BusError::NoResponders(subject.to_owned()),
        RequestErrorKind::TimedOut => BusError::TimedOut(subject.to_owned()),
        _ => nats_error(error),
    }
}
