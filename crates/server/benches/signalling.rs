//! Signalling benchmark (`make bench`; not a test).
//!
//! Starts the real `ringback` binary as its own process on 127.0.0.1, connects
//! N signalling sockets (one per rep) from this process, and reports:
//! - the server's resident memory per idle socket (VmRSS before and after),
//! - ring latency: from sending the carrier's inbound POST to the
//!   incoming-call frame arriving at the rep's socket, p50/p99.
//!
//! Reps, sessions and tickets are written straight into the SQLite file before
//! and while the server runs (10,000 sign-ins over HTTP would benchmark argon2).

mod common;

use futures_util::{SinkExt, StreamExt};
use protocol::CallId;
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

const ORIGIN: &str = "chrome-extension://ringbackbenchmark";
const CARRIER_TOKEN: &str = "bench-carrier-token";
const CALLS_PER_RUN: usize = 400;
const CONNECT_CONCURRENCY: usize = 256;

type Waiters = Arc<Mutex<HashMap<usize, oneshot::Sender<(CallId, Instant)>>>>;

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::var("BENCH_REPS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!("{}", common::describe_machine());
    println!(
        "{:>7} {:>14} {:>12} {:>10} {:>10} {:>10}",
        "sockets", "server RSS", "per socket", "ring p50", "ring p99", "ring max"
    );
    for reps in sizes {
        let row = runtime.block_on(run(reps))?;
        println!(
            "{:>7} {:>11.1} MiB {:>8.1} KiB {:>7.2} ms {:>7.2} ms {:>7.2} ms",
            reps, row.rss_mib, row.per_socket_kib, row.p50_ms, row.p99_ms, row.max_ms
        );
    }
    Ok(())
}

struct Row {
    rss_mib: f64,
    per_socket_kib: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

async fn run(reps: usize) -> anyhow::Result<Row> {
    let dir = tempfile::tempdir()?;
    let store = Store::open_data_dir(dir.path()).await?;
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

    let mut server = spawn_server(dir.path())?;
    let base = server.base.clone();
    let baseline = rss_kib(server.child.id())?;

    eprintln!("connecting {reps} sockets");
    let waiters: Waiters = Arc::default();
    let limiter = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = Vec::with_capacity(reps);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(reps);
    for (index, rep) in rep_ids.iter().enumerate() {
        let session = token_hash(&random_token());
        let now = SystemClock.now();
        store
            .create_session(*rep, &session, now, now + 86_400_000)
            .await?;
        let ticket = random_token();
        store
            .create_ticket(&session, &token_hash(&ticket), now + 300_000)
            .await?;
        let permit = limiter.clone().acquire_owned().await?;
        let (base, waiters, ready) = (base.clone(), waiters.clone(), ready_tx.clone());
        tasks.push(tokio::spawn(async move {
            let result = client(&base, &ticket, index, waiters, ready, permit).await;
            if let Err(error) = result {
                eprintln!("client {index}: {error}");
            }
        }));
    }
    for _ in 0..reps {
        ready_rx
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("a client failed to connect"))?;
    }
    // Let allocations settle before reading memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = rss_kib(server.child.id())?;

    eprintln!("ringing {CALLS_PER_RUN} calls");
    let http = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(CALLS_PER_RUN);
    for n in 0..CALLS_PER_RUN {
        let index = (n * 7919) % reps;
        let (tx, rx) = oneshot::channel();
        waiters
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .insert(index, tx);
        let carrier_call_id = format!("bench-{reps}-{n}");
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
        let (_, arrived) = tokio::time::timeout(Duration::from_secs(10), rx).await??;
        latencies.push(arrived.duration_since(started));
        // End it so later calls meet a quiet server.
        http.post(format!("{base}/api/v1/carrier/events"))
            .bearer_auth(CARRIER_TOKEN)
            .json(
                &serde_json::json!({"carrier_call_id": carrier_call_id, "event": "caller_hung_up"}),
            )
            .send()
            .await?;
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
    };

    for task in &tasks {
        task.abort();
    }
    server.stop();
    store.close().await;
    Ok(Row {
        rss_mib: loaded as f64 / 1024.0,
        per_socket_kib: (loaded.saturating_sub(baseline)) as f64 / reps as f64,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
    })
}

/// One rep's extension: Hello, keepalives, and a timestamp per incoming call.
async fn client(
    base: &str,
    ticket: &str,
    index: usize,
    waiters: Waiters,
    ready: tokio::sync::mpsc::Sender<()>,
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
                    ServerMessage::Welcome { .. } => ready.send(()).await?,
                    ServerMessage::IncomingCall(call) => {
                        let arrived = Instant::now();
                        let waiter = waiters.lock().ok().and_then(|mut w| w.remove(&index));
                        if let Some(waiter) = waiter {
                            let _ = waiter.send((call.call_id, arrived));
                        }
                    }
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

struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_server(data_dir: &std::path::Path) -> anyhow::Result<ServerProcess> {
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

fn dialer_number(index: usize) -> String {
    format!("+1415{:07}", 6_000_000 + index)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}
