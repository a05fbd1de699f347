//! Subjects inside one process: a map from subject to the subscribers' queues.

use crate::{Bus, BusError, Bytes, Message, Reply, SUBSCRIPTION_CAPACITY, Subscription};
use crate::{SubscriptionInner, check_size};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// A bus within one process; clones share the subjects.
#[derive(Debug, Clone, Default)]
pub struct InProcessBus {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Subject → subscriber id → queue. Entries go when their subscription
    /// is dropped, so the map holds only live subscriptions.
    subjects: Mutex<HashMap<String, HashMap<u64, mpsc::Sender<Message>>>>,
    next_id: AtomicU64,
}

impl Inner {
    fn subjects(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<u64, mpsc::Sender<Message>>>> {
        self.subjects.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The first reply to a request, shared by every subscriber the request reached.
#[derive(Debug, Clone)]
pub(crate) struct ReplySlot(Arc<Mutex<Option<oneshot::Sender<Bytes>>>>);

impl ReplySlot {
    pub(crate) fn fill(&self, payload: Bytes) {
        let sender = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(payload);
        }
    }
}

/// One subscription's queue; dropping it removes the subscriber.
#[derive(Debug)]
pub(crate) struct Receiver {
    rx: mpsc::Receiver<Message>,
    subject: String,
    id: u64,
    bus: Weak<Inner>,
}

impl Receiver {
    pub(crate) async fn next(&mut self) -> Option<Message> {
        self.rx.recv().await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let Some(bus) = self.bus.upgrade() else {
            return;
        };
        let mut subjects = bus.subjects();
        if let Some(subscribers) = subjects.get_mut(&self.subject) {
            subscribers.remove(&self.id);
            if subscribers.is_empty() {
                subjects.remove(&self.subject);
            }
        }
    }
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a message for every subscriber of `subject`; how many there were.
    /// A subscriber whose queue is full misses it, as a slow NATS consumer does.
    fn deliver(&self, subject: &str, payload: &Bytes, reply: Option<&ReplySlot>) -> usize {
        let subjects = self.inner.subjects();
        let Some(subscribers) = subjects.get(subject) else {
            return 0;
        };
        for tx in subscribers.values() {
            let message = Message {
                subject: subject.to_owned(),
                payload: payload.clone(),
                reply: reply.map(|slot| Reply::InProcess(slot.clone())),
            };
            if tx.try_send(message).is_err() {
                tracing::warn!(subject, "a bus subscriber is full; a message was dropped");
            }
        }
        subscribers.len()
    }
}

#[async_trait::async_trait]
impl Bus for InProcessBus {
    async fn publish(&self, subject: &str, payload: Bytes) -> Result<(), BusError> {
        check_size(&payload)?;
        self.deliver(subject, &payload, None);
        Ok(())
    }

    async fn subscribe(&self, subject: &str) -> Result<Subscription, BusError> {
        let (tx, rx) = mpsc::channel(SUBSCRIPTION_CAPACITY);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.inner
            .subjects()
            .entry(subject.to_owned())
            .or_default()
            .insert(id, tx);
        Ok(Subscription(SubscriptionInner::InProcess(Receiver {
            rx,
            subject: subject.to_owned(),
            id,
            bus: Arc::downgrade(&self.inner),
        })))
    }

    async fn request(
        &self,
        subject: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, BusError> {
        check_size(&payload)?;
        let (tx, rx) = oneshot::channel();
        let slot = ReplySlot(Arc::new(Mutex::new(Some(tx))));
        if self.deliver(subject, &payload, Some(&slot)) == 0 {
            return Err(BusError::NoResponders(subject.to_owned()));
        }
        drop(slot);
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => Ok(reply),
            // Every subscriber dropped the request unanswered.
            Ok(Err(_)) | Err(_) => Err(BusError::TimedOut(subject.to_owned())),
        }
    }
}
