//! The in-process signalling bus: which reps have connected extensions, and a
//! queue into each of their sockets.
//!
//! A rep counts as connected while at least one socket has said Hello and not
//! gone silent (the socket task closes itself after the presence timeout), and
//! the session that opened it is still signed in. When a rep's last socket
//! goes (not by signing out), the hub remembers when, for the presence grace
//! ([`calls::PRESENCE_GRACE_MS`]): a worker Chrome stopped is back at once.

use crate::clock::{Clock, SystemClock};
use axum::extract::ws::Utf8Bytes;
use calls::{Audience, BrowserPresence};
use protocol::signal::{ServerMessage, close_code};
use protocol::{RepId, UnixMillis};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Messages queued per socket before it counts as stuck and is dropped.
const SOCKET_QUEUE: usize = 32;

/// Browsers one rep may have connected at once, by default; a new one past
/// the limit closes the one connected longest ([`close_code::TOO_MANY_DEVICES`]).
pub const MAX_DEVICES_PER_REP: usize = 10;

/// What the hub asks of one socket.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A serialised message: shared by every socket of the rep, and a queue
    /// slot is a pointer rather than a whole message (memory per idle socket).
    Frame(Utf8Bytes),
    /// Close with this code and reason.
    Close(u16, &'static str),
}

pub struct Hub {
    reps: Mutex<HashMap<RepId, Vec<Connection>>>,
    /// When each rep's last socket went, until one registers again or the
    /// rep signs out. One entry per rep at most, so bounded by the accounts.
    left_at: Mutex<HashMap<RepId, UnixMillis>>,
    clock: Arc<dyn Clock>,
    /// Sockets one rep may hold at once.
    max_devices: usize,
    next_id: AtomicU64,
    /// Sockets each rep has registered (said Hello on) since the server
    /// started: a client can tell a new connection from a stale one.
    hellos: Mutex<HashMap<RepId, u64>>,
}

/// Whether a rep is reachable, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Presence {
    /// At least one socket has said Hello and is open: calls ring the browser.
    pub online: bool,
    /// Open sockets (browsers) of the rep.
    pub devices: usize,
    /// Hellos since the server started.
    pub hellos: u64,
}

#[derive(Debug)]
struct Connection {
    id: u64,
    /// One socket per browser: Accept is decided per device, so two sockets
    /// with one device id could both "win".
    device_id: String,
    /// Hash of the session that opened it; signing that session out closes it.
    session_hash: String,
    tx: mpsc::Sender<Outbound>,
    /// When the rep last used this browser (said Hello, answered, dialled):
    /// a call asked for from a web page goes to the most recent.
    active_at: UnixMillis,
}

/// A socket's place in the hub; leaving it (drop) unregisters the socket.
#[derive(Debug)]
pub struct Registration<'a> {
    hub: &'a Hub,
    rep: RepId,
    id: u64,
}

impl Registration<'_> {
    /// Unregisters with no presence grace: the socket was signed out, or
    /// had been silent for the presence timeout already.
    pub fn without_grace(self) {
        let this = std::mem::ManuallyDrop::new(self);
        this.hub.remove_then(this.rep, false, |c| c.id == this.id);
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.hub.remove_then(self.rep, true, |c| c.id == self.id);
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (reps, sockets) = self.counts();
        f.debug_struct("Hub")
            .field("reps", &reps)
            .field("sockets", &sockets)
            .field("max_devices", &self.max_devices)
            .finish_non_exhaustive()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new(MAX_DEVICES_PER_REP, Arc::new(SystemClock))
    }
}

impl Hub {
    pub fn new(max_devices: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            reps: Mutex::default(),
            left_at: Mutex::default(),
            clock,
            max_devices: max_devices.max(1),
            next_id: AtomicU64::default(),
            hellos: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RepId, Vec<Connection>>> {
        self.reps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a socket of `rep`; its messages arrive on the returned receiver.
    /// An older socket of the same device is told to close: it was replaced.
    pub fn register(
        &self,
        rep: RepId,
        device_id: &str,
        session_hash: &str,
    ) -> (Registration<'_>, mpsc::Receiver<Outbound>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
        let mut reps = self.lock();
        let connections = reps.entry(rep).or_default();
        connections.retain(|c| {
            let replaced = c.device_id == device_id;
            if replaced {
                let _ = c.tx.try_send(Outbound::Close(
                    close_code::REPLACED,
                    "replaced by a newer connection",
                ));
            }
            !replaced
        });
        while connections.len() >= self.max_devices {
            let oldest = connections.remove(0);
            let _ = oldest.tx.try_send(Outbound::Close(
                close_code::TOO_MANY_DEVICES,
                "too many browsers connected; this one was connected longest",
            ));
        }
        connections.push(Connection {
            id,
            device_id: device_id.to_owned(),
            session_hash: session_hash.to_owned(),
            tx,
            active_at: self.clock.now(),
        });
        drop(reps);
        self.left().remove(&rep);
        *self
            .hellos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(rep)
            .or_default() += 1;
        (Registration { hub: self, rep, id }, rx)
    }

    pub fn presence(&self, rep: RepId) -> Presence {
        let devices = self.lock().get(&rep).map_or(0, Vec::len);
        let hellos = self
            .hellos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&rep)
            .copied()
            .unwrap_or(0);
        Presence {
            online: devices > 0,
            devices,
            hellos,
        }
    }

    fn left(&self) -> std::sync::MutexGuard<'_, HashMap<RepId, UnixMillis>> {
        self.left_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The device ids of the rep's connected browsers.
    pub fn device_ids(&self, rep: RepId) -> Vec<String> {
        self.lock().get(&rep).map_or_else(Vec::new, |connections| {
            connections.iter().map(|c| c.device_id.clone()).collect()
        })
    }

    /// The rep used the browser `device_id` just now.
    pub fn touch(&self, rep: RepId, device_id: &str) {
        let now = self.clock.now();
        if let Some(connections) = self.lock().get_mut(&rep) {
            for connection in connections.iter_mut().filter(|c| c.device_id == device_id) {
                connection.active_at = now;
            }
        }
    }

    /// The rep's browser used most recently here, and when.
    pub fn latest_device(&self, rep: RepId) -> Option<(String, UnixMillis)> {
        self.lock().get(&rep).and_then(|connections| {
            connections
                .iter()
                // The last of equals wins: registered later, it said Hello last.
                .max_by_key(|c| c.active_at)
                .map(|c| (c.device_id.clone(), c.active_at))
        })
    }

    pub fn is_connected(&self, rep: RepId) -> bool {
        self.lock().contains_key(&rep)
    }

    /// Whether a call for `rep` finds a browser: connected, gone a moment
    /// ago, or away.
    pub fn browser_presence(&self, rep: RepId) -> BrowserPresence {
        if self.is_connected(rep) {
            return BrowserPresence::Connected;
        }
        self.left()
            .get(&rep)
            .map_or(BrowserPresence::Away, |at| BrowserPresence::LeftAt(*at))
    }

    /// Closes the sockets a session opened (the rep signed out).
    /// Signing out is final: no grace for the browsers it closed.
    pub fn sign_out(&self, rep: RepId, session_hash: &str) {
        self.remove_then(rep, false, |c| {
            let signed_out = c.session_hash == session_hash;
            if signed_out {
                let _ = c.tx.try_send(Outbound::Close(
                    close_code::SIGNED_OUT,
                    "signed out; sign in again",
                ));
            }
            signed_out
        });
    }

    /// Queues `message` for the rep's sockets that `audience` names. A socket
    /// whose queue is full is stuck: it is dropped, which closes it, and the
    /// extension's reconnect re-sends what still rings.
    pub fn send(&self, rep: RepId, audience: &Audience, message: &ServerMessage) {
        match serde_json::to_string(message) {
            Ok(text) => self.send_frame(rep, audience, Utf8Bytes::from(text)),
            Err(error) => tracing::error!(%error, "serialising a signalling message failed"),
        }
    }

    /// [`Self::send`] with the message already serialised.
    pub fn send_frame(&self, rep: RepId, audience: &Audience, frame: Utf8Bytes) {
        let frame = Outbound::Frame(frame);
        self.remove(rep, |c| {
            let wanted = match audience {
                Audience::AllBrowsers => true,
                Audience::Device(device) => c.device_id == *device,
                Audience::AllBrowsersExcept(device) => c.device_id != *device,
            };
            if !wanted {
                return false;
            }
            match c.tx.try_send(frame.clone()) {
                Ok(()) => false,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(rep = %rep, connection = c.id, "socket queue full; dropping the socket");
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => true,
            }
        });
    }

    /// Drops the rep's connections for which `gone` says so.
    fn remove(&self, rep: RepId, gone: impl FnMut(&Connection) -> bool) {
        self.remove_then(rep, true, gone);
    }

    /// [`Self::remove`]; when the rep's last socket goes, remembers when if
    /// `grace`, and forgets an earlier departure if not.
    fn remove_then(&self, rep: RepId, grace: bool, mut gone: impl FnMut(&Connection) -> bool) {
        let mut reps = self.lock();
        let Some(connections) = reps.get_mut(&rep) else {
            return;
        };
        connections.retain(|c| !gone(c));
        if !connections.is_empty() {
            return;
        }
        reps.remove(&rep);
        // Under the sockets' lock, so a socket registering meanwhile (which
        // clears the entry after taking that lock) cannot be undone.
        let mut left = self.left();
        if grace {
            left.insert(rep, self.clock.now());
        } else {
            left.remove(&rep);
        }
    }

    /// Reps with a socket, and sockets (for metrics).
    pub fn counts(&self) -> (usize, usize) {
        let reps = self.lock();
        (reps.len(), reps.values().map(Vec::len).sum())
    }

    /// Number of registered sockets (for logs and benchmarks).
    pub fn socket_count(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }
}
