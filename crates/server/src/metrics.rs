//! Prometheus metrics (`--metrics-listen`, off by default), in the text
//! exposition format, served on a listener of their own so they are never
//! on the public port.
//!
//! Counters are plain atomics bumped where things happen; gauges are read
//! from the parts that know (the exchange, the hub, the trunk, media) when
//! scraped. Written by hand: a dozen series do not need a metrics stack.

use crate::state::AppState;
use protocol::CallOutcome;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// What happened since the server started.
#[derive(Debug, Default)]
pub struct Metrics {
    pub rings_sent: AtomicU64,
    pub sign_ins: AtomicU64,
    pub sign_ins_failed: AtomicU64,
    pub sign_ins_throttled: AtomicU64,
    pub sign_ins_busy: AtomicU64,
    pub sip_invites: AtomicU64,
    pub sip_invites_refused: AtomicU64,
    outcomes: [AtomicU64; OUTCOMES.len()],
}

const OUTCOMES: [(CallOutcome, &str); 5] = [
    (CallOutcome::AnsweredInBrowser, "answered_in_browser"),
    (CallOutcome::AnsweredOnPhone, "answered_on_phone"),
    (CallOutcome::Forwarded, "forwarded"),
    (CallOutcome::Voicemail, "voicemail"),
    (CallOutcome::Missed, "missed"),
];

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A call ended with `outcome`.
    pub fn call_ended(&self, outcome: Option<CallOutcome>) {
        if let Some(i) = OUTCOMES.iter().position(|(o, _)| Some(*o) == outcome) {
            self.outcomes[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The exposition text for a scrape.
pub async fn render(state: &AppState) -> String {
    let metrics = state.metrics();
    let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let mut out = String::new();
    let mut series = |name: &str, kind: &str, help: &str, values: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in values {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let (reps, sockets) = state.hub().counts();
    let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    series(
        "ringback_live_calls",
        "gauge",
        "Calls ringing or connected now.",
        &[("", as_u64(state.exchange().live_count()))],
    );
    series(
        "ringback_connected_reps",
        "gauge",
        "Reps with at least one extension connected.",
        &[("", as_u64(reps))],
    );
    series(
        "ringback_sockets",
        "gauge",
        "Open signalling sockets that said Hello.",
        &[("", as_u64(sockets))],
    );
    series(
        "ringback_rings_sent_total",
        "counter",
        "Calls rung in the browser.",
        &[("", get(&metrics.rings_sent))],
    );
    let outcomes: Vec<(String, u64)> = OUTCOMES
        .iter()
        .zip(&metrics.outcomes)
        .map(|((_, label), count)| (format!("{{outcome=\"{label}\"}}"), get(count)))
        .collect();
    let outcomes: Vec<(&str, u64)> = outcomes.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    series(
        "ringback_calls_ended_total",
        "counter",
        "Calls ended, by outcome.",
        &outcomes,
    );
    series(
        "ringback_sign_ins_total",
        "counter",
        "Sign-in attempts, by result.",
        &[
            ("{result=\"ok\"}", get(&metrics.sign_ins)),
            ("{result=\"wrong\"}", get(&metrics.sign_ins_failed)),
            ("{result=\"throttled\"}", get(&metrics.sign_ins_throttled)),
            ("{result=\"busy\"}", get(&metrics.sign_ins_busy)),
        ],
    );
    let legs = state
        .media()
        .stats(false)
        .await
        .map(|s| as_u64(s.sessions))
        .unwrap_or(0);
    series(
        "ringback_media_calls",
        "gauge",
        "Calls with audio on the media thread.",
        &[("", legs)],
    );
    let sip_calls = state.trunk().map_or(0, |t| as_u64(t.call_count()));
    series(
        "ringback_sip_calls",
        "gauge",
        "Calls the SIP trunk carries now.",
        &[("", sip_calls)],
    );
    series(
        "ringback_sip_invites_total",
        "counter",
        "INVITEs from the carrier, by result.",
        &[
            ("{result=\"rung\"}", get(&metrics.sip_invites)),
            ("{result=\"refused\"}", get(&metrics.sip_invites_refused)),
        ],
    );
    out
}

/// Serves `GET /metrics` on `listen` until the server stops.
pub async fn serve(
    state: AppState,
    listen: std::net::SocketAddr,
) -> std::io::Result<std::net::SocketAddr> {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let scraped = state.clone();
    let router = axum::Router::new().route(
        "/metrics",
        get(move || {
            let state = scraped.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    render(&state).await,
                )
            }
        }),
    );
    tokio::spawn(async move {
        let stopping = state.clone();
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(async move { stopping.shutting_down().await })
            .await
        {
            tracing::warn!(%error, "the metrics listener failed");
        }
    });
    tracing::info!(%addr, "metrics on /metrics");
    Ok(addr)
}
