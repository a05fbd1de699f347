//! Shared state of one server instance, handed to every handler.

use crate::clock::Clock;
use crate::cluster::Cluster;
use crate::config::Config;
use crate::exchange::Exchange;
use crate::hashing::HashingSlots;
use crate::hub::Hub;
use crate::phone_leg::{PhoneLeg, WebhookPhoneLeg};
use crate::secrets::{ServerKey, token_hash};
use crate::store::Store;
use crate::throttle::SignInThrottle;
use crate::trunk::Forwarded;
use media::MediaEngine;
use protocol::CallId;
use protocol::UnixMillis;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// How calls reach the server and how its phone leg is carried out.
pub struct Carriers {
    /// The SIP trunk, when it listens.
    pub trunk: Option<sip::Trunk>,
    /// The seam the call rules drive the forwarding phone through.
    pub phone: Arc<dyn PhoneLeg>,
    /// The webhook carrier's command queue (also the phone leg of calls
    /// that came through the webhook).
    pub webhook_phone: Arc<WebhookPhoneLeg>,
}

/// Cheap to clone; everything inside is shared.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    config: Config,
    clock: Arc<dyn Clock>,
    hub: Hub,
    /// The bus to the other instances and this one's name among them.
    cluster: Cluster,
    exchange: Exchange,
    /// The outbound calls this instance placed.
    dials: crate::outbound::Dials,
    /// Call audio: the WebRTC legs to browsers and voicemail.
    media: MediaEngine,
    /// The carrier's SIP trunk, when it listens.
    trunk: Option<sip::Trunk>,
    /// The phone leg the call rules drive.
    phone: Arc<dyn PhoneLeg>,
    /// Calls forwarded over the trunk whose phone still rings or talks.
    forwarded: std::sync::Mutex<HashMap<CallId, Forwarded>>,
    /// The same leg, seen as the webhook carrier's command queue.
    webhook_phone: Arc<WebhookPhoneLeg>,
    carrier_token_hash: Option<String>,
    /// Keys the pages' CSRF tokens.
    server_key: ServerKey,
    metrics: crate::metrics::Metrics,
    /// Failed sign-ins per account and source (API and pages alike).
    sign_in_throttle: std::sync::Mutex<SignInThrottle>,
    /// Argon2 runs here, a few at a time, so sign-ins cannot exhaust memory.
    hashing: HashingSlots,
    /// Held while an availability is stored and pushed, so the rep's
    /// browsers are told the changes in the order they were stored.
    availability_writes: tokio::sync::Mutex<()>,
    /// Flips to `true` when the server starts shutting down.
    shutdown: watch::Receiver<bool>,
    /// Cloned into every signalling socket's task; taken (dropped) at
    /// shutdown, whose receiver then waits until every clone is gone.
    sockets_alive: std::sync::Mutex<Option<tokio::sync::mpsc::Sender<()>>>,
}

impl AppState {
    pub fn new(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
        media: MediaEngine,
        carriers: Carriers,
        shutdown: watch::Receiver<bool>,
        sockets_alive: tokio::sync::mpsc::Sender<()>,
    ) -> Self {
        let Carriers {
            trunk,
            phone,
            webhook_phone,
        } = carriers;
        let hub = Hub::new(config.max_devices_per_rep, clock.clone());
        // Kept with the data; without a writable data dir, a key for this run.
        let server_key = ServerKey::load_or_create(&config.files_dir).unwrap_or_else(|error| {
            tracing::warn!(%error, "no server key on disk; forms will need a reload after a restart");
            ServerKey::random()
        });
        let carrier_token_hash = config.carrier_token.as_deref().map(token_hash);
        let bus = config
            .bus
            .clone()
            .unwrap_or_else(|| Arc::new(bus::InProcessBus::new()));
        let cluster = Cluster::new(bus, config.instance_id.clone());
        Self(Arc::new(Inner {
            store,
            config,
            clock,
            hub,
            cluster,
            exchange: Exchange::default(),
            dials: crate::outbound::Dials::default(),
            media,
            trunk,
            phone,
            forwarded: std::sync::Mutex::default(),
            webhook_phone,
            carrier_token_hash,
            server_key,
            metrics: crate::metrics::Metrics::default(),
            sign_in_throttle: std::sync::Mutex::default(),
            hashing: HashingSlots::for_this_machine(),
            availability_writes: tokio::sync::Mutex::default(),
            shutdown,
            sockets_alive: std::sync::Mutex::new(Some(sockets_alive)),
        }))
    }

    /// The sign-in throttle; a poisoned lock (a panic while held) still works.
    pub fn sign_in_throttle(&self) -> std::sync::MutexGuard<'_, SignInThrottle> {
        self.0
            .sign_in_throttle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn hashing(&self) -> &HashingSlots {
        &self.0.hashing
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn now(&self) -> UnixMillis {
        self.0.clock.now()
    }

    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }

    pub fn cluster(&self) -> &Cluster {
        &self.0.cluster
    }

    pub fn exchange(&self) -> &Exchange {
        &self.0.exchange
    }

    pub fn dials(&self) -> &crate::outbound::Dials {
        &self.0.dials
    }

    pub fn media(&self) -> &MediaEngine {
        &self.0.media
    }

    pub fn trunk(&self) -> Option<&sip::Trunk> {
        self.0.trunk.as_ref()
    }

    /// Calls forwarded over the trunk, still bridged or ringing the phone.
    pub fn forwarded(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, Forwarded>> {
        self.0
            .forwarded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn phone(&self) -> &dyn PhoneLeg {
        self.0.phone.as_ref()
    }

    pub fn webhook_phone(&self) -> &WebhookPhoneLeg {
        &self.0.webhook_phone
    }

    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.0.metrics
    }

    /// Taken while an availability is stored and pushed (one change at a time).
    pub async fn availability_writes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.0.availability_writes.lock().await
    }

    pub fn server_key(&self) -> &ServerKey {
        &self.0.server_key
    }

    pub fn carrier_token_hash(&self) -> Option<&str> {
        self.0.carrier_token_hash.as_deref()
    }

    /// A token a signalling socket holds while it runs; `None` once the
    /// server is shutting down (no new sockets then).
    pub fn socket_alive(&self) -> Option<tokio::sync::mpsc::Sender<()>> {
        self.0
            .sockets_alive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops handing out socket tokens; the caller then waits for the rest.
    pub fn stop_accepting_sockets(&self) {
        self.0
            .sockets_alive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// Resolves once the server begins to shut down.
    pub async fn shutting_down(&self) {
        let mut rx = self.0.shutdown.clone();
        // An error means the sender is gone: that is a shutdown too.
        let _ = rx.wait_for(|down| *down).await;
    }
}
