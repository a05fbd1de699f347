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
mod sockets;

use ringback_server::store::Store;
use sockets::{
    Waiters, connect_all, quantile_ms, rss_kib, seed_reps, settled_rss_kib, spawn_server,
    timed_ring,
};
use std::sync::Arc;

const CALLS_PER_RUN: usize = 400;

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
    let rep_ids = seed_reps(&store, reps).await?;

    let mut server = spawn_server(dir.path(), &[])?;
    let base = server.base.clone();
    let baseline = rss_kib(server.child.id())?;

    eprintln!("connecting {reps} sockets");
    let waiters: Waiters = Arc::default();
    let tasks = connect_all(&store, &rep_ids, |_| base.clone(), &waiters).await?;
    let loaded = settled_rss_kib(server.child.id()).await?;

    eprintln!("ringing {CALLS_PER_RUN} calls");
    let http = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(CALLS_PER_RUN);
    for n in 0..CALLS_PER_RUN {
        let index = (n * 7919) % reps;
        let carrier_call_id = format!("bench-{reps}-{n}");
        latencies.push(timed_ring(&http, &base, &waiters, index, carrier_call_id, n).await?);
    }
    latencies.sort();
    let pick = |q: f64| quantile_ms(&latencies, q);

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
