//! Scale-out benchmark (`make bench`; not a test).
//!
//! Two `ringback` processes on one PostgreSQL database (the server
//! `RINGBACK_TEST_POSTGRES_URL` names: `make bench` runs a throwaway one)
//! and one `nats-server`, with BENCH_CLUSTER_REPS (18,000) sockets spread
//! over them, one per rep. Calls go alternately to the instance that holds
//! the rep's socket and to the other one, so both kinds meet the same
//! conditions in one run; the difference is the cost of the hop over NATS.
//! Reported: ring p50/p99 from the carrier's POST to the frame at the
//! socket, for each kind, and each instance's resident memory.

mod common;
mod sockets;

use ringback_server::store::Store;
use sockets::{Waiters, connect_all, quantile_ms, rss_kib, seed_reps, spawn_server, timed_ring};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const CALLS_PER_KIND: usize = 300;

fn main() -> anyhow::Result<()> {
    let reps: usize = std::env::var("BENCH_CLUSTER_REPS")
        .ok()
        .and_then(|n| n.parse().ok())
        // The clients are in this one process: 20,000 sockets need more
        // than the 20,000 open files this VM's hard limit allows it.
        .unwrap_or(18_000);
    let Ok(admin_url) = std::env::var("RINGBACK_TEST_POSTGRES_URL") else {
        anyhow::bail!(
            "the cluster benchmark needs PostgreSQL: run it under tests/postgres/with-postgres.sh (make bench does)"
        );
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!("{}", common::describe_machine());
    runtime.block_on(run(reps, &admin_url))
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

    // Rep i's socket is on instance i % 2.
    eprintln!("connecting {reps} sockets over two instances");
    let waiters: Waiters = Arc::default();
    let tasks = connect_all(&store, &rep_ids, |index| bases[index % 2].clone(), &waiters).await?;
    // Let allocations settle before reading memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = [
        rss_kib(instances[0].child.id())?,
        rss_kib(instances[1].child.id())?,
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

    for task in &tasks {
        task.abort();
    }
    for instance in &mut instances {
        instance.stop();
    }
    drop(nats);
    store.close().await;
    Ok(())
}
