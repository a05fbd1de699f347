//! Scale-out benchmark (`make bench`; not a test).
//!
//! Two `ringback` processes on one PostgreSQL database (the server
//! `RINGBACK_TEST_POSTGRES_URL` names: `make bench` runs a throwaway one)
//! and one `nats-server`, with BENCH_CLUSTER_REPS (20,000) sockets spread
//! over them, one per rep. Calls go alternately to the instance that holds
//! the rep's socket and to the other one, so both kinds meet the same
//! conditions in one run; the difference is the cost of the hop over NATS.
//! Reported: ring p50/p99 from the carrier's POST to the frame at the
//! socket, for each kind, and each instance's resident memory.
//!
//! The client sockets live in client workers, not in this process: this VM
//! allows a process 20,000 open files, fewer than the sockets. A worker is
//! this binary again with BENCH_CLUSTER_WORKER set, holding at most
//! [`SOCKETS_PER_WORKER`]; see [`worker`] for what it and this process say
//! to each other.

mod common;
mod sockets;

use anyhow::Context;
use ringback_server::store::Store;
use sockets::{
    Connector, Event, Waiters, deliver, issue_ticket, quantile_ms, rss_kib, seed_reps,
    settled_rss_kib, spawn_server, timed_ring,
};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

const CALLS_PER_KIND: usize = 300;

/// Set in a client worker's environment.
const WORKER_ENV: &str = "BENCH_CLUSTER_WORKER";

/// Well under the 20,000 open files this VM allows a process.
const SOCKETS_PER_WORKER: usize = 10_000;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Before anything is printed: a worker's stdout is its report.
    if std::env::var_os(WORKER_ENV).is_some() {
        return runtime.block_on(worker());
    }
    let reps: usize = std::env::var("BENCH_CLUSTER_REPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    anyhow::ensure!(reps > 0, "BENCH_CLUSTER_REPS must be at least 1");
    let Ok(admin_url) = std::env::var("RINGBACK_TEST_POSTGRES_URL") else {
        anyhow::bail!(
            "the cluster benchmark needs PostgreSQL: run it under tests/postgres/with-postgres.sh (make bench does)"
        );
    };
    println!("{}", common::describe_machine());
    runtime.block_on(run(reps, &admin_url))
}

/// A client worker's side. It reads one client a line on stdin,
/// `<index> <base URL> <ticket>`, connects it, and writes a line on stdout
/// for each of its clients' events:
/// - `welcomed <index>`
/// - `rang <index> <nanoseconds since the epoch>`, when an incoming-call
///   frame arrived: the system clock, which every process here reads alike
///   (an `Instant` means nothing outside its process)
/// - `failed <index> <error>`
///
/// It stops when its stdin closes.
async fn worker() -> anyhow::Result<()> {
    let connector = Connector::new(Arc::new(|index, event| {
        let line = match event {
            Event::Welcomed => format!("welcomed {index}"),
            Event::Rang(at) => format!("rang {index} {}", to_wall_nanos(at)),
            Event::Failed(error) => format!("failed {index} {error:#}").replace('\n', " "),
        };
        // A blocking write from the runtime, but a short line into a pipe
        // the parent keeps draining.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut clients = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let mut fields = line.split(' ');
        let (Some(index), Some(base), Some(ticket)) = (fields.next(), fields.next(), fields.next())
        else {
            anyhow::bail!("unexpected line from the benchmark: {line}");
        };
        let index = index.parse().context("a client's index")?;
        clients.push(
            connector
                .spawn(base.to_owned(), ticket.to_owned(), index)
                .await?,
        );
    }
    for client in &clients {
        client.abort();
    }
    Ok(())
}

/// `at` as nanoseconds of the system clock since the epoch.
fn to_wall_nanos(at: Instant) -> u64 {
    let wall = SystemTime::now() - at.elapsed();
    wall.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64
}

/// The instant in this process that a worker's [`to_wall_nanos`] stands for.
fn from_wall_nanos(nanos: u64) -> Instant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ago = now.saturating_sub(Duration::from_nanos(nanos));
    let now = Instant::now();
    now.checked_sub(ago).unwrap_or(now)
}

/// A running client worker, killed on drop if it has not stopped.
struct Worker {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
}

impl Worker {
    /// Starts a worker and a task that reads its reports: rings go to
    /// `waiters`, welcomes and failures to `welcomed`.
    fn spawn(
        waiters: &Waiters,
        welcomed: &mpsc::UnboundedSender<anyhow::Result<()>>,
    ) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .env(WORKER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting a client worker")?;
        let stdin = child.stdin.take().context("a worker's stdin")?;
        let stdout = child.stdout.take().context("a worker's stdout")?;
        let (waiters, welcomed) = (waiters.clone(), welcomed.clone());
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut fields = line.splitn(3, ' ');
                let (kind, index, rest) = (fields.next(), fields.next(), fields.next());
                let index = index.and_then(|i| i.parse::<usize>().ok());
                match (kind, index, rest) {
                    (Some("welcomed"), Some(_), None) => {
                        let _ = welcomed.send(Ok(()));
                    }
                    (Some("rang"), Some(index), Some(nanos)) => match nanos.parse() {
                        Ok(nanos) => deliver(&waiters, index, from_wall_nanos(nanos)),
                        Err(_) => eprintln!("unexpected line from a client worker: {line}"),
                    },
                    (Some("failed"), Some(index), error) => {
                        eprintln!("client {index}: {}", error.unwrap_or_default());
                        let _ = welcomed.send(Err(anyhow::anyhow!("client {index} failed")));
                    }
                    _ => eprintln!("unexpected line from a client worker: {line}"),
                }
            }
            // Harmless once every client has been welcomed.
            let _ = welcomed.send(Err(anyhow::anyhow!("a client worker stopped")));
        });
        Ok(Self { child, stdin })
    }

    /// Closes its stdin and waits for it to exit.
    async fn stop(self) -> anyhow::Result<()> {
        let Self { mut child, stdin } = self;
        drop(stdin);
        let status = child.wait().await?;
        anyhow::ensure!(status.success(), "a client worker ended with {status}");
        Ok(())
    }
}

/// `nats-server` on a free port, killed on drop.
struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn run(reps: usize, admin_url: &str) -> anyhow::Result<()> {
    let database = format!("ringback_bench_{}", std::process::id());
    let created = Command::new("psql")
        .args([admin_url, "-v", "ON_ERROR_STOP=1", "-qc"])
        .arg(format!("CREATE DATABASE {database}"))
        .status()?;
    anyhow::ensure!(created.success(), "CREATE DATABASE {database} failed");
    let database_url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => anyhow::bail!("unexpected PostgreSQL URL"),
    };

    let nats_port = free_port()?;
    let nats = Nats(
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &nats_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("nats-server (Debian's package): {e}"))?,
    );
    let nats_url = format!("nats://127.0.0.1:{nats_port}");

    let store = Store::connect(&database_url).await?;
    let rep_ids = seed_reps(&store, reps).await?;

    // Each its own data dir: the benchmark records nothing.
    let dirs = [tempfile::tempdir()?, tempfile::tempdir()?];
    // No SIP trunk: the carrier reaches each instance over its webhook.
    let flags = [
        "--database-url",
        &database_url,
        "--nats-url",
        &nats_url,
        "--sip-listen",
        "off",
    ];
    let mut instances = [
        spawn_server(dirs[0].path(), &flags)?,
        spawn_server(dirs[1].path(), &flags)?,
    ];
    let bases = [instances[0].base.clone(), instances[1].base.clone()];
    let baselines = [
        rss_kib(instances[0].child.id())?,
        rss_kib(instances[1].child.id())?,
    ];

    // Rep i's socket is on instance i % 2 and in worker i * workers / reps,
    // so each worker holds sockets on both instances.
    let worker_count = reps.div_ceil(SOCKETS_PER_WORKER).max(2);
    eprintln!("connecting {reps} sockets over two instances, from {worker_count} client workers");
    let waiters: Waiters = Arc::default();
    let (welcomed_tx, mut welcomed) = mpsc::unbounded_channel();
    let mut workers = (0..worker_count)
        .map(|_| Worker::spawn(&waiters, &welcomed_tx))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (index, rep) in rep_ids.iter().enumerate() {
        let ticket = issue_ticket(&store, *rep).await?;
        let line = format!("{index} {} {ticket}\n", bases[index % 2]);
        // Blocks while the worker's pipe is full: it reads a line only when
        // it may connect another client, so tickets are not issued far
        // ahead of their use (they expire after five minutes).
        workers[index * worker_count / reps]
            .stdin
            .write_all(line.as_bytes())
            .await
            .context("a client worker stopped")?;
    }
    for _ in 0..reps {
        welcomed
            .recv()
            .await
            .context("the client workers stopped")??;
    }
    let loaded = [
        settled_rss_kib(instances[0].child.id()).await?,
        settled_rss_kib(instances[1].child.id()).await?,
    ];

    eprintln!("ringing {CALLS_PER_KIND} calls of each kind, alternating");
    let http = reqwest::Client::new();
    let (mut same, mut across) = (Vec::new(), Vec::new());
    for n in 0..CALLS_PER_KIND * 2 {
        let index = (n * 7919) % reps;
        let holder = index % 2;
        let (through, latencies) = if n % 2 == 0 {
            (holder, &mut same)
        } else {
            (1 - holder, &mut across)
        };
        let carrier_call_id = format!("bench-cluster-{n}");
        latencies
            .push(timed_ring(&http, &bases[through], &waiters, index, carrier_call_id, n).await?);
    }
    same.sort();
    across.sort();

    println!(
        "two instances, {reps} sockets (half on each), PostgreSQL + NATS, {CALLS_PER_KIND} calls of each kind:"
    );
    println!(
        "{:<32} {:>10} {:>10}",
        "ring, carrier POST to socket", "p50", "p99"
    );
    for (kind, latencies) in [
        ("call and socket on one instance", &same),
        ("call and socket on different ones", &across),
    ] {
        println!(
            "{kind:<32} {:>7.2} ms {:>7.2} ms",
            quantile_ms(latencies, 0.5),
            quantile_ms(latencies, 0.99)
        );
    }
    println!(
        "the hop over NATS: {:+.2} ms at p50, {:+.2} ms at p99",
        quantile_ms(&across, 0.5) - quantile_ms(&same, 0.5),
        quantile_ms(&across, 0.99) - quantile_ms(&same, 0.99)
    );
    for (i, (loaded, baseline)) in loaded.iter().zip(baselines).enumerate() {
        println!(
            "instance {}: {:.1} MiB resident, {:.1} KiB per socket",
            ["A", "B"][i],
            *loaded as f64 / 1024.0,
            loaded.saturating_sub(baseline) as f64 / (reps / 2) as f64
        );
    }

    for worker in workers {
        worker.stop().await?;
    }
    for instance in &mut instances {
        instance.stop();
    }
    drop(nats);
    store.close().await;
    Ok(())
}
