//! The subscription for a rep's subject, held while this instance holds
//! one of the rep's sockets: taken with the first, and dropped
//! [`calls::PRESENCE_GRACE_MS`] after the last, so that for that long this
//! instance still tells the others the rep's browser was here a moment ago
//! (a call then still rings in it when it reconnects, wherever it does).

use super::{PresenceReply, RepNews, encode, rep_subject};
use crate::state::AppState;
use axum::extract::ws::Utf8Bytes;
use protocol::RepId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How long a socket's Welcome waits for the rep's subscription; past it
/// the socket still works here, and rings from other instances miss it.
const SUBSCRIBE_PATIENCE: Duration = Duration::from_secs(5);

/// One entry per rep with a socket here, so bounded by the sockets.
#[derive(Debug, Default)]
pub(super) struct RepLinks(Mutex<HashMap<RepId, Link>>);

#[derive(Debug)]
struct Link {
    sockets: usize,
    /// When the last socket left (the link lingers through the grace).
    left_at: Option<tokio::time::Instant>,
    /// Becomes true once the subscription is in place.
    ready: watch::Receiver<bool>,
    /// Dropped with the last socket: the pump then ends and unsubscribes.
    _stop: oneshot::Sender<()>,
}

/// A socket's share of its rep's subscription; dropping it leaves.
pub struct RepLink {
    state: AppState,
    rep: RepId,
}

/// How long a rep's subscription outlives the rep's last socket here.
const LINGER: Duration = Duration::from_millis(::calls::PRESENCE_GRACE_MS.unsigned_abs());

impl Drop for RepLink {
    fn drop(&mut self) {
        let mut links = self.state.cluster().reps.lock();
        let Some(link) = links.get_mut(&self.rep) else {
            return;
        };
        link.sockets -= 1;
        if link.sockets > 0 {
            return;
        }
        let left_at = tokio::time::Instant::now();
        link.left_at = Some(left_at);
        // Outside a runtime (shutting down) there is nobody left to ask.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            links.remove(&self.rep);
            return;
        };
        let (state, rep) = (self.state.clone(), self.rep);
        runtime.spawn(async move {
            tokio::time::sleep_until(left_at + LINGER).await;
            let mut links = state.cluster().reps.lock();
            // Not if a socket came back meanwhile, or left again later (that
            // departure's own timer ends the link).
            if links
                .get(&rep)
                .is_some_and(|link| link.sockets == 0 && link.left_at == Some(left_at))
            {
                links.remove(&rep);
            }
        });
    }
}

impl RepLinks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RepId, Link>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl AppState {
    /// Joins the rep's subject for one socket; returns once this instance
    /// hears what other instances send the rep (or after [`SUBSCRIBE_PATIENCE`]).
    pub async fn join_rep(&self, rep: RepId) -> RepLink {
        let mut ready = {
            let mut links = self.cluster().reps.lock();
            match links.get_mut(&rep) {
                Some(link) => {
                    link.sockets += 1;
                    link.left_at = None;
                    link.ready.clone()
                }
                None => {
                    let (stop, stopped) = oneshot::channel();
                    let (ready_tx, ready) = watch::channel(false);
                    tokio::spawn(pump(self.clone(), rep, ready_tx, stopped));
                    links.insert(
                        rep,
                        Link {
                            sockets: 1,
                            left_at: None,
                            ready: ready.clone(),
                            _stop: stop,
                        },
                    );
                    ready
                }
            }
        };
        let link = RepLink {
            state: self.clone(),
            rep,
        };
        if tokio::time::timeout(SUBSCRIBE_PATIENCE, ready.wait_for(|r| *r))
            .await
            .is_err()
        {
            tracing::warn!(%rep, "subscribing for the rep on the bus is slow; going on without");
        }
        link
    }
}

/// Subscribes, then hands what arrives for the rep to the hub until stopped.
async fn pump(
    state: AppState,
    rep: RepId,
    ready: watch::Sender<bool>,
    mut stopped: oneshot::Receiver<()>,
) {
    let subscribed = state.cluster().bus.subscribe(&rep_subject(rep)).await;
    let _ = ready.send(true);
    let mut subscription = match subscribed {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::error!(%rep, %error, "subscribing for the rep on the bus failed; rings from other instances will not reach this instance's sockets");
            return;
        }
    };
    let me = state.cluster().instance.clone();
    loop {
        let message = tokio::select! {
            message = subscription.next() => match message {
                Some(message) => message,
                None => return,
            },
            _ = &mut stopped => return,
        };
        let news: RepNews = match serde_json::from_slice(&message.payload) {
            Ok(news) => news,
            Err(error) => {
                tracing::warn!(%rep, %error, "an unreadable bus message for a rep");
                continue;
            }
        };
        match news {
            RepNews::Send { origin, .. }
            | RepNews::SignOut { origin, .. }
            | RepNews::Presence { origin }
                if origin == me => {}
            RepNews::Send {
                audience, frame, ..
            } => state
                .hub()
                .send_frame(rep, &audience.into(), Utf8Bytes::from(frame)),
            RepNews::SignOut { session_hash, .. } => state.hub().sign_out(rep, &session_hash),
            RepNews::Presence { .. } => {
                let devices = state.hub().device_ids(rep);
                // Only an instance where the browser is, or was within the
                // grace, answers: the first reply wins, and either way the
                // call rings in the browser.
                let left_at = match state.hub().browser_presence(rep) {
                    ::calls::BrowserPresence::LeftAt(at)
                        if ::calls::BrowserPresence::LeftAt(at).reachable(state.now()) =>
                    {
                        Some(at)
                    }
                    _ => None,
                };
                if devices.is_empty() && left_at.is_none() {
                    continue;
                }
                let latest = state.hub().latest_device(rep).map(|(device, _)| device);
                if let Some(reply) = encode(&PresenceReply {
                    devices,
                    left_at,
                    latest,
                }) && let Err(error) = message.respond(reply).await
                {
                    tracing::warn!(%rep, %error, "answering a presence question failed");
                }
            }
        }
    }
}
