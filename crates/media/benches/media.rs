//! Call audio benchmark (`make bench`; not a test).
//!
//! Starts the server's media engine in this process and connects N WebRTC
//! softphones to it over UDP on 127.0.0.1 (str0m with full ICE, as a browser
//! does): every call sends and receives PCMU 50 times a second in each
//! direction, SRTP-encrypted. Reports, per number of concurrent calls:
//! - the media thread's CPU use, as a share of one core (it is one thread);
//! - the time audio spends inside the server: in (datagram read → decoded
//!   audio at the caller's side) and out (the 20 ms tick's handler starting →
//!   the encrypted packet handed to the socket, so a call's frame also waits
//!   for the calls before it in that tick), p50 and p99. Tokio's timer wakes
//!   the tick up to 1 ms late; that moves when frames leave (pacing jitter,
//!   absorbed by the browser's jitter buffer) and is not counted;
//! - whether the softphones heard every packet they should have (so a slow
//!   client does not pass for a fast server).
//!
//! The softphones run on the other core; on a 2-core machine they, not the
//! server, are the limit past a few hundred calls, which the "heard" column
//! shows.

// The machine line every benchmark prints, shared with the server's benches.
#[path = "../../server/benches/common/mod.rs"]
mod common;

use media::MediaEngine;
use media::softphone::{Softphone, Voice};
use protocol::CallId;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the softphone thread tells the measuring side.
#[derive(Default)]
struct Progress {
    connected: AtomicUsize,
    heard: AtomicU64,
    stop: AtomicBool,
}

const CONNECT_PATIENCE: Duration = Duration::from_secs(60);
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::var("BENCH_CALLS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![50, 250, 500]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    println!("{}", common::describe_machine());
    println!(
        "{:>6} {:>12} {:>11} {:>11} {:>11} {:>11} {:>9}",
        "calls", "media CPU", "in p50", "in p99", "out p50", "out p99", "heard"
    );
    for calls in sizes {
        let row = runtime.block_on(run(calls))?;
        println!(
            "{:>6} {:>8.1} % {:>8.3} ms {:>8.3} ms {:>8.3} ms {:>8.3} ms {:>7.1} %",
            calls,
            row.cpu_share * 100.0,
            row.ingress_p50_ms,
            row.ingress_p99_ms,
            row.egress_p50_ms,
            row.egress_p99_ms,
            row.heard_share * 100.0
        );
    }
    Ok(())
}

struct Row {
    cpu_share: f64,
    ingress_p50_ms: f64,
    ingress_p99_ms: f64,
    egress_p50_ms: f64,
    egress_p99_ms: f64,
    heard_share: f64,
}

async fn run(calls: usize) -> anyhow::Result<Row> {
    let (engine, _events) = MediaEngine::start("127.0.0.1:0".parse()?, 0..=0)?;

    // The softphones run on a thread of their own until told to stop,
    // publishing how many are connected and how many packets they heard.
    let progress = Arc::new(Progress::default());
    let shared = progress.clone();
    let (new_phones, arriving) = std::sync::mpsc::channel::<Softphone>();
    let client = std::thread::spawn(move || {
        let mut phones: Vec<Softphone> = Vec::new();
        let mut last_report = Instant::now();
        while !shared.stop.load(Ordering::Relaxed) {
            phones.extend(arriving.try_iter());
            let now = Instant::now();
            let mut wake = now + Duration::from_millis(1);
            for phone in &mut phones {
                wake = wake.min(phone.step(now));
            }
            if now.duration_since(last_report) >= Duration::from_millis(100) {
                last_report = now;
                let connected = phones.iter().filter(|p| p.connected()).count();
                let heard = phones.iter().map(|p| p.packets_received()).sum::<u64>();
                shared.connected.store(connected, Ordering::Relaxed);
                shared.heard.store(heard, Ordering::Relaxed);
            }
            std::thread::sleep(wake.saturating_duration_since(Instant::now()));
        }
    });

    // Every call starts at once: each handshake must complete however many
    // run together (the media socket's buffers are sized for it).
    for i in 0..calls {
        let call = CallId(i as i64 + 1);
        let offer = engine.offer(call).await?;
        let (mut phone, answer) = Softphone::answer(&offer)?;
        phone.set_voice(Voice::Tone);
        engine.answer(call, answer).await?;
        new_phones.send(phone)?;
    }

    // Every handshake done, then a moment for the audio to settle.
    let deadline = Instant::now() + CONNECT_PATIENCE;
    while progress.connected.load(Ordering::Relaxed) < calls && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let connected = progress.connected.load(Ordering::Relaxed);
    if connected < calls {
        progress.stop.store(true, Ordering::Relaxed);
        let _ = client.join();
        anyhow::bail!(
            "only {connected} of {calls} softphones connected within {CONNECT_PATIENCE:?}"
        );
    }
    tokio::time::sleep(WARM_UP).await;
    let heard_before = progress.heard.load(Ordering::Relaxed);
    let before = engine.stats(true).await?;
    let started = Instant::now();
    tokio::time::sleep(MEASURE).await;
    let after = engine.stats(false).await?;
    let heard = progress.heard.load(Ordering::Relaxed) - heard_before;
    let wall = started.elapsed();
    progress.stop.store(true, Ordering::Relaxed);
    client
        .join()
        .map_err(|_| anyhow::anyhow!("the softphone thread panicked"))?;

    let expected = calls as f64 * MEASURE.as_secs_f64() * 50.0;
    let ms = |us: u32| f64::from(us) / 1000.0;
    Ok(Row {
        cpu_share: (after.cpu_ms - before.cpu_ms) as f64 / wall.as_millis() as f64,
        ingress_p50_ms: ms(after.ingress.p50_us),
        ingress_p99_ms: ms(after.ingress.p99_us),
        egress_p50_ms: ms(after.egress.p50_us),
        egress_p99_ms: ms(after.egress.p99_us),
        heard_share: heard as f64 / expected,
    })
}
