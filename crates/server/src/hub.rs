//! The in-process signalling bus: which reps have connected extensions, and a
//! queue into each of their sockets.
//!
//! A rep counts as connected while at least one socket has said Hello and not
//! gone silent (the socket task closes itself after the presence timeout).

use axum::extract::ws::Utf8Bytes;
use calls::Audience;
use protocol::RepId;
use protocol::signal::ServerMessage;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Messages queued per socket before it counts as stuck and is dropped.
const SOCKET_QUEUE: usize = 32;

#[derive(Debug, Default)]
pub struct Hub {
    reps: Mutex<HashMap<RepId, Vec<Connection>>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Connection {
    id: u64,
    device_id: String,
    /// Serialised frames: shared by every socket of the rep, and a queue slot
    /// is a pointer rather than a whole message (memory per idle socket).
    tx: mpsc::Sender<Utf8Bytes>,
}

/// A socket's place in the hub; leaving it (drop) unregisters the socket.
#[derive(Debug)]
pub struct Registration<'a> {
    hub: &'a Hub,
    rep: RepId,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut reps = self.hub.lock();
        if let Some(connections) = reps.get_mut(&self.rep) {
            connections.retain(|c| c.id != self.id);
            if connections.is_empty() {
                reps.remove(&self.rep);
            }
        }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RepId, Vec<Connection>>> {
        self.reps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a socket of `rep`; its messages arrive on the returned receiver.
    pub fn register(
        &self,
        rep: RepId,
        device_id: &str,
    ) -> (Registration<'_>, mpsc::Receiver<Utf8Bytes>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
        self.lock().entry(rep).or_default().push(Connection {
            id,
            device_id: device_id.to_owned(),
            tx,
        });
        (Registration { hub: self, rep, id }, rx)
    }

    pub fn is_connected(&self, rep: RepId) -> bool {
        self.lock().contains_key(&rep)
    }

    /// Queues `message` for the rep's sockets that `audience` names. A socket
    /// whose queue is full is stuck: it is dropped, which closes it, and the
    /// extension's reconnect re-sends what still rings.
    pub fn send(&self, rep: RepId, audience: &Audience, message: &ServerMessage) {
        let mut reps = self.lock();
        let Some(connections) = reps.get_mut(&rep) else {
            return;
        };
        let frame = match serde_json::to_string(message) {
            Ok(text) => Utf8Bytes::from(text),
            Err(error) => {
                tracing::error!(%error, "serialising a signalling message failed");
                return;
            }
        };
        connections.retain(|c| {
            let wanted = match audience {
                Audience::AllBrowsers => true,
                Audience::Device(device) => c.device_id == *device,
                Audience::AllBrowsersExcept(device) => c.device_id != *device,
            };
            if !wanted {
                return true;
            }
            match c.tx.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(rep = %rep, connection = c.id, "socket queue full; dropping the socket");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        if connections.is_empty() {
            reps.remove(&rep);
        }
    }

    /// Number of registered sockets (for logs and benchmarks).
    pub fn socket_count(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }
}
