//! What the signalling benchmarks share: the server as a process, a rep's
//! extension as a socket, and a ring timed from the carrier's POST to the
//! socket's frame.

use futures_util::{SinkExt, StreamExt};
use protocol::RepId;
use protocol::api::CarrierInbound;
use protocol::signal::{ClientMessage, ServerMessage};
use ringback_server::clock::{Clock, SystemClock};
use ringback_server::secrets::{hash_password, random_token, token_hash};
use ringback_server::store::{NewRep, Store};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const ORIGIN: &str = "chrome-extension://ringbackbenchmark";
pub const CARRIER_TOKEN: &str = "bench-carrier-token";

/// Clients connecting at once (each holds a permit until it has said Hello).
const CONNECT_CONCURRENCY: usize = 256;

/// `reps` reps in one team, rep `i` with [`dialer_number`]`(i)`, written
/// straight into the store (sign-ins over HTTP would benchmark argon2).
pub async fn seed_reps(store: &Store, reps: usize) -> anyhow::Result<Vec<RepId>> {
    let now = SystemClock.now();
    let team = store.create_team("Bench", 1).await?;
    let hash = hash_password("bench")?;
    let mut rep_ids = Vec::with_capacity(reps);
    eprint!("seeding {reps} reps");
    for i in 0..reps {
        let rep = NewRep {
            team_id: team,
            name: format!("Rep {i}"),
            email: format!("rep{i}@bench.test"),
            password_hash: hash.clone(),
            is_admin: false,
        };
        let id = store.create_rep(&rep, now).await?;
        store.add_dialer_number(id, &dialer_number(i)).await?;
        rep_ids.push(id);
        if i % 2_000 == 0 {
            eprint!(".");
        }
    }
    eprintln!();
    Ok(rep_ids)
}

/// A session and a fresh ticket for `rep`: what a client signs in with.
pub async fn issue_ticket(store: &Store, rep: RepId) -> anyhow::Result<String> {
    let session = token_hash(&random_token());
    let now = SystemClock.now();
    store
        .create_session(rep, &session, now, now + 86_400_000)
        .await?;
    let ticket = random_token();
    store
        .create_ticket(&session, &token_hash(&ticket), now + 300_000)
        .await?;
    Ok(ticket)
}

/// What a client tells whoever started it.
pub enum Event {
    /// The server has welcomed it: it can be rung.
    Welcomed,
    /// An incoming-call frame arrived at this instant.
    Rang(Instant),
    /// It stopped; before its welcome, it never connected.
    Failed(anyhow::Error),
}

/// Where clients send their events, each with its index.
pub type Report = Arc<dyn Fn(usize, Event) + Send + Sync>;

/// Starts clients, at most [`CONNECT_CONCURRENCY`] still connecting at once.
pub struct Connector {
    limiter: Arc<Semaphore>,
    report: Report,
}

impl Connector {
    pub fn new(report: Report) -> Self {
        Self {
            limiter: Arc::new(Semaphore::new(CONNECT_CONCURRENCY)),
            report,
        }
    }

    /// Waits for a free slot, then connects client `index` to `base` in a
    /// task of its own; its events go to the report.
    pub async fn spawn(
        &self,
        base: String,
        ticket: String,
        index: usize,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let permit = self.limiter.clone().acquire_owned().await?;
        let report = self.report.clone();
        Ok(tokio::spawn(async move {
            if let Err(error) = client(&base, &ticket, index, &report, permit).await {
                report(index, Event::Failed(error));
            }
        }))
    }
}

/// One client per rep in this process, client `i` on the server
/// `base_for(i)`, each with a session and ticket of its own; returns once
/// every one has been welcomed.
// The cluster benchmark holds its clients in worker processes instead.
#[allow(dead_code)]
pub async fn connect_all(
    store: &Store,
    rep_ids: &[RepId],
    base_for: impl Fn(usize) -> String,
    waiters: &Waiters,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<anyhow::Result<()>>();
    let waiters = waiters.clone();
    let connector = Connector::new(Arc::new(move |index, event| match event {
        Event::Welcomed => {
            let _ = ready_tx.send(Ok(()));
        }
        Event::Rang(at) => deliver(&waiters, index, at),
        Event::Failed(error) => {
            eprintln!("client {index}: {error}");
            let _ = ready_tx.send(Err(anyhow::anyhow!("client {index} failed")));
        }
    }));
    let mut tasks = Vec::with_capacity(rep_ids.len());
    for (index, rep) in rep_ids.iter().enumerate() {
        let ticket = issue_ticket(store, *rep).await?;
        tasks.push(connector.spawn(base_for(index), ticket, index).await?);
    }
    for _ in rep_ids {
        ready_rx
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("a client failed to connect"))??;
    }
    Ok(tasks)
}

/// Who waits for the next ring of which client.
pub type Waiters = Arc<Mutex<HashMap<usize, oneshot::Sender<Instant>>>>;

/// Hands a ring that reached client `index` at `at` to whoever waits for it.
pub fn deliver(waiters: &Waiters, index: usize, at: Instant) {
    let waiter = waiters.lock().ok().and_then(|mut w| w.remove(&index));
    if let Some(waiter) = waiter {
        let _ = waiter.send(at);
    }
}

/// Rings client `index` with call number `n` through the server at `base`
/// and hangs it up once it has rung: how long from the POST to the frame.
pub async fn timed_ring(
    http: &reqwest::Client,
    base: &str,
    waiters: &Waiters,
    index: usize,
    carrier_call_id: String,
    n: usize,
) -> anyhow::Result<Duration> {
    let (tx, rx) = oneshot::channel();
    waiters
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .insert(index, tx);
    let body = CarrierInbound {
        from: format!("+1212555{:04}", n % 10_000),
        to: dialer_number(index),
        carrier_call_id: carrier_call_id.clone(),
    };
    let started = Instant::now();
    let response = http
        .post(format!("{base}/api/v1/carrier/inbound"))
        .bearer_auth(CARRIER_TOKEN)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "inbound failed: {}",
        response.status()
    );
    let arrived = tokio::time::timeout(Duration::from_secs(10), rx).await??;
    // End it so later calls meet a quiet server.
    http.post(format!("{base}/api/v1/carrier/events"))
        .bearer_auth(CARRIER_TOKEN)
        .json(&serde_json::json!({"carrier_call_id": carrier_call_id, "event": "caller_hung_up"}))
        .send()
        .await?;
    Ok(arrived.duration_since(started))
}

/// The `q` quantile of sorted durations, in milliseconds.
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

/// One rep's extension: Hello, keepalives, and a timestamp per incoming call.
async fn client(
    base: &str,
    ticket: &str,
    index: usize,
    report: &Report,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> anyhow::Result<()> {
    let mut request =
        format!("{}/api/v1/signal", base.replace("http://", "ws://")).into_client_request()?;
    request.headers_mut().insert("Origin", ORIGIN.parse()?);
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        format!("ringback.v1, ticket.{ticket}").parse()?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let hello = ClientMessage::Hello {
        id: "h".into(),
        device_id: format!("bench-{index}"),
        client: None,
    };
    socket
        .send(Message::text(serde_json::to_string(&hello)?))
        .await?;
    drop(permit);
    let mut keepalive = tokio::time::interval(Duration::from_secs(20));
    keepalive.tick().await;
    loop {
        tokio::select! {
            frame = socket.next() => {
                let Some(frame) = frame else { return Ok(()) };
                let Message::Text(text) = frame? else { continue };
                match serde_json::from_str::<ServerMessage>(text.as_str())? {
                    ServerMessage::Welcome { .. } => report(index, Event::Welcomed),
                    ServerMessage::IncomingCall(_) => report(index, Event::Rang(Instant::now())),
                    _ => {}
                }
            }
            _ = keepalive.tick() => {
                let ping = ClientMessage::Keepalive { id: "k".into() };
                socket.send(Message::text(serde_json::to_string(&ping)?)).await?;
            }
        }
    }
}

pub struct ServerProcess {
    pub child: Child,
    pub base: String,
}

impl ServerProcess {
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The real binary on a free port, with `extra` flags (a shared database and
/// NATS, for the cluster benchmark).
pub fn spawn_server(data_dir: &std::path::Path, extra: &[&str]) -> anyhow::Result<ServerProcess> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringback"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allowed-origin",
            ORIGIN,
            "--carrier-token",
            CARRIER_TOKEN,
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("server exited before listening"))??;
        if let Some(rest) = line.strip_prefix("Ringback is listening on ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(ServerProcess { child, base })
}

pub fn dialer_number(index: usize) -> String {
    format!("+1415{:07}", 6_000_000 + index)
}

/// `pid`'s resident memory once it has stopped growing: read every 100 ms
/// until two readings in a row are within 64 KiB (or 5 s have passed), so
/// allocations still under way after the last Welcome are counted.
pub async fn settled_rss_kib(pid: u32) -> anyhow::Result<u64> {
    const STEADY_KIB: u64 = 64;
    let mut last = rss_kib(pid)?;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = rss_kib(pid)?;
        if now.abs_diff(last) <= STEADY_KIB {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}
