//! The Ringback server: REST API, signalling WebSocket, call routing, storage.
//!
//! [`app`] builds the HTTP router for a given [`AppState`]; [`Server::start`]
//! binds it, sweeps calls a crash left ringing, and serves until
//! [`Server::shutdown`]. Tests start a real server on `127.0.0.1:0` this way.

pub mod api;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod demo_crm;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod hashing;
pub mod hub;
pub mod keypad;
pub mod metrics;
pub mod outbound;
pub mod phone;
pub mod phone_leg;
pub mod rate;
pub mod route;
pub mod secrets;
pub mod signal;
pub mod state;
pub mod throttle;
pub mod timeline;
pub mod trunk;
pub mod web;

/// The store is its own crate (`crates/store`); the server and its tests
/// name it `store` as before.
pub use store;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::phone_leg::{PhoneLeg, WebhookPhoneLeg};
use crate::state::{AppState, Carriers};
use crate::store::Store;
use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use media::MediaEngine;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The whole HTTP surface of a server.
pub fn app(state: AppState) -> Router {
    let limit = state.config().max_body_bytes;
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api::router())
        .merge(web::router());
    if state.config().demo_crm {
        router = router.merge(demo_crm::router());
    }
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::map_response(security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Whether the server is up, and nothing more: anyone can ask, so it
/// tells a stranger nothing about the calls or reps it carries.
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Headers every response carries: pages run only their own script (no
/// inline script at all), cannot be framed, and leak no URLs to other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Forgets expired sessions and unused tickets every few minutes.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        every.tick().await;
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(error) = state.store().purge_expired(state.now()).await {
                        tracing::warn!(%error, "purging expired sessions failed");
                    }
                }
                () = state.shutting_down() => return,
            }
        }
    });
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    /// Where `/metrics` is served, when `--metrics-listen` asked for it.
    metrics_addr: Option<SocketAddr>,
    state: AppState,
    shutdown: watch::Sender<bool>,
    /// Ends (`None`) once every signalling socket's task has finished.
    sockets_done: tokio::sync::mpsc::Receiver<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// How long shutdown waits for sockets to finish their close handshakes.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Server {
    /// Binds `listen`, ends calls a previous run left ringing, and serves.
    pub async fn start(listen: SocketAddr, store: Store, config: Config) -> anyhow::Result<Self> {
        Self::start_with_clock(listen, store, config, Arc::new(SystemClock)).await
    }

    /// Serves on a listener already bound, for a caller that needs the
    /// address first (the demo's CRM links name it; port 0 picks it).
    pub async fn start_on(
        listener: TcpListener,
        store: Store,
        config: Config,
    ) -> anyhow::Result<Self> {
        Self::start_on_with_clock(listener, store, config, Arc::new(SystemClock)).await
    }

    pub async fn start_with_clock(
        listen: SocketAddr,
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        Self::start_on_with_clock(listener, store, config, clock).await
    }

    pub async fn start_on_with_clock(
        listener: TcpListener,
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let swept = store
            .sweep_interrupted_calls(clock.now(), &config.instance_id)
            .await?;
        if swept > 0 {
            tracing::warn!(
                swept,
                "ended calls that a previous run left ringing or connected"
            );
        }
        store.purge_expired(clock.now()).await?;

        let addr = listener.local_addr()?;
        let (media, media_events) = MediaEngine::start(config.media_addr, config.rtp_ports.clone())
            .with_context(|| format!("starting call audio on UDP {}", config.media_addr))?;
        let (trunk, trunk_events) = match config.sip_listen {
            Some(listen) => {
                let mut sip_config = sip::TrunkConfig::new(listen);
                sip_config.public_addr = config.sip_public_addr;
                sip_config.allow = config.trunk_allow.clone();
                sip_config.outbound = config.trunk_uri.clone().map(|uri| sip::OutboundTrunk {
                    uri,
                    username: config.trunk_username.clone(),
                    password: config.trunk_password.clone(),
                });
                let (trunk, events) = sip::Trunk::start(sip_config).await?;
                (Some(trunk), Some(events))
            }
            None => (None, None),
        };
        let webhook_phone = Arc::new(WebhookPhoneLeg::default());
        let (phone_news, phone_news_rx) = tokio::sync::mpsc::unbounded_channel();
        // The seam the call rules drive the phone through: dialled over the
        // trunk when there is one to dial with, else the webhook carrier's.
        let phone: Arc<dyn PhoneLeg> = match &trunk {
            Some(sip) if sip.can_dial() => Arc::new(trunk::SipPhoneLeg::new(
                sip.clone(),
                media.clone(),
                webhook_phone.clone(),
                config.phone_caller_id,
                phone_news,
            )),
            _ => webhook_phone.clone(),
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let carriers = Carriers {
            trunk,
            phone,
            webhook_phone,
        };
        let (sockets_alive, sockets_done) = tokio::sync::mpsc::channel(1);
        let state = AppState::new(
            store,
            config,
            clock,
            media,
            carriers,
            shutdown_rx,
            sockets_alive,
        );
        cluster::lease::start(&state)
            .await
            .context("taking this instance's lease")?;
        cluster::start_owner_answers(&state)
            .await
            .context("subscribing to this instance's own subject")?;
        cluster::sign_ins::start(&state)
            .await
            .context("subscribing to the other instances' sign-ins")?;
        trunk::spawn_phone_news(state.clone(), phone_news_rx);
        spawn_housekeeping(state.clone());
        let metrics_addr = match state.config().metrics_listen {
            Some(listen) => Some(
                metrics::serve(state.clone(), listen)
                    .await
                    .with_context(|| format!("serving metrics on {listen}"))?,
            ),
            None => None,
        };
        trunk::spawn_media_events(state.clone(), media_events);
        if let Some(events) = trunk_events {
            trunk::spawn(state.clone(), events);
        }
        let router = app(state.clone());
        let stopping = state.clone();
        // No Nagle: signalling is small frames in a row (Welcome, then the
        // rings resumed on reconnect), and with Nagle the second waits for
        // the browser's delayed ACK of the first, about 40 ms (measured).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stopping.shutting_down().await })
            .await
        });
        Ok(Self {
            addr,
            metrics_addr,
            state,
            shutdown,
            sockets_done,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Closes every socket (code 1001, each close handshake finished or
    /// given up on within a bounded grace), finishes requests in flight,
    /// and stops.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        // Upgraded sockets are not the HTTP server's to wait for: wait here.
        self.state.stop_accepting_sockets();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.sockets_done.recv())
            .await
            .is_err()
        {
            tracing::warn!("some sockets were still closing when the server stopped");
        }
        if let Some(trunk) = self.state.trunk() {
            trunk.shutdown();
        }
        self.task.await??;
        self.state.store().close().await;
        Ok(())
    }
}
