//! SIP trunk benchmark (`make bench`; not a test).
//!
//! Starts the real `ringback` binary with its SIP trunk on 127.0.0.1, the demo
//! rep offline (so every call rings the forwarding phone only), and sipp on
//! both sides: one sipp is the carrier placing calls, another is the
//! forwarding phone that Ringback dials through `--trunk-uri`, answering at
//! once and echoing audio. Each call is a full B2BUA setup: INVITE in, routed,
//! stored, phone INVITEd, answered, bridged, 200 to the carrier, ACK, BYE.
//!
//! Reports:
//! - call setups per second sipp achieved at `-r BENCH_SIP_RATE` (default
//!   200) over `BENCH_SIP_CALLS` calls (default 2,000), and how many failed;
//! - for `BENCH_SIP_CONCURRENT` calls held at once (default 200) with PCMU
//!   flowing both ways (the carrier streams the prospect's voice; the phone
//!   echoes it), the share of one core the server process and its media
//!   thread use, over 10 s.
//!
//! sipp runs on the same 2 cores, so past some load it, not the server, is
//! the limit; the "failed" column and sipp's own rate say when.

mod common;

use std::io::Read;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DIALER: &str = "+14155550100";
const PROSPECT: &str = "+14155550111";

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(47_000)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/sipp")
        .join(name)
}

/// CPU ticks (user + system, 1/100 s) of a process or one of its threads.
fn cpu_ticks(stat: &Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(stat) else {
        return 0;
    };
    let Some((_, rest)) = text.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum()
}

/// The `stat` file of the server's media thread.
fn media_thread(pid: u32) -> Option<PathBuf> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    tasks.flatten().find_map(|task| {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        (comm.trim() == "ringback-media").then(|| task.path().join("stat"))
    })
}

struct Server {
    child: Child,
    sip: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(phone_port: u16) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let http = free_port();
    let sip = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_ringback"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{http}")])
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--sip-listen", &sip, "--rtp-ports", "30000-39999"])
        .args(["--trunk-uri", &format!("sip:127.0.0.1:{phone_port}")])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Server {
        child,
        sip,
        _dir: dir,
    })
}

/// sipp with the prospect's voice in its working directory.
fn sipp(dir: &Path, args: &[&str]) -> anyhow::Result<Child> {
    Ok(Command::new("sipp")
        .current_dir(dir)
        .args(args)
        .args(["-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?)
}

fn write_voice(dir: &Path) -> anyhow::Result<()> {
    let clip = media::audio::Clip::from_wav(media::audio::shipped::PROSPECT_WAV, 600)?;
    std::fs::write(
        dir.join("voice.ulaw"),
        media::g711::encode_frame(clip.samples()),
    )?;
    Ok(())
}

/// The last value of `column` in a sipp `-trace_stat` CSV.
fn stat(csv: &Path, column: &str) -> Option<f64> {
    let text = std::fs::read_to_string(csv).ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let index = header.iter().position(|h| *h == column)?;
    let last = lines.rfind(|l| !l.trim().is_empty())?;
    last.split(';').nth(index)?.trim().parse().ok()
}

fn phone(dir: &Path, port: u16, calls: usize) -> anyhow::Result<Child> {
    sipp(
        dir,
        &[
            "-sf",
            &scenario("phone-answers.xml").to_string_lossy(),
            "-p",
            &port.to_string(),
            "-mp",
            &free_port().to_string(),
            "-rtp_echo",
            "-d",
            "0",
            "-m",
            &calls.to_string(),
        ],
    )
}

/// How the carrier places its calls.
struct Load {
    /// New calls per second (`-r`).
    rate: usize,
    /// Calls in all (`-m`).
    calls: usize,
    /// Calls in progress at most (`-l`).
    at_once: usize,
    /// How long each call talks before its BYE (`-d`).
    hold_ms: u64,
}

/// sipp as the carrier: the prospect calling the demo rep, `load` calls.
fn carrier(dir: &Path, target: &str, load: Load, extra: &[&str]) -> anyhow::Result<Child> {
    let scenario = scenario("prospect-calls.xml");
    let (rate, calls, at_once, hold) = (
        load.rate.to_string(),
        load.calls.to_string(),
        load.at_once.to_string(),
        load.hold_ms.to_string(),
    );
    let media_port = free_port().to_string();
    let mut args = vec![
        "-sf",
        scenario.to_str().unwrap_or_default(),
        "-s",
        DIALER,
        "-key",
        "from",
        PROSPECT,
        "-r",
        &rate,
        "-m",
        &calls,
        "-l",
        &at_once,
        "-d",
        &hold,
        "-mp",
        &media_port,
    ];
    args.extend_from_slice(extra);
    args.push(target);
    sipp(dir, &args)
}

fn setups(rate: usize, calls: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    write_voice(dir.path())?;
    let phone_port = free_port();
    let server = start_server(phone_port)?;
    let mut phone = phone(dir.path(), phone_port, calls)?;
    let csv = dir.path().join("setups.csv");
    let started = Instant::now();
    let csv_path = csv.to_string_lossy();
    let mut carrier = carrier(
        dir.path(),
        &server.sip,
        Load {
            rate,
            calls,
            at_once: rate * 2,
            hold_ms: 200,
        },
        &[
            "-trace_stat",
            "-stf",
            &csv_path,
            "-fd",
            "1",
            "-timeout",
            "120s",
        ],
    )?;
    let status = carrier.wait()?;
    let elapsed = started.elapsed();
    let _ = phone.kill();
    let _ = phone.wait();
    let ok = stat(&csv, "SuccessfulCall(C)").unwrap_or(0.0);
    let failed = stat(&csv, "FailedCall(C)").unwrap_or(f64::NAN);
    let mut stderr = String::new();
    if let Some(mut err) = carrier.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    println!(
        "setups: -r {rate} -m {calls}: {ok:.0} calls OK, {failed:.0} failed, {:.1} s, {:.0} setups/s (sipp exit {})",
        elapsed.as_secs_f64(),
        ok / elapsed.as_secs_f64(),
        status.code().unwrap_or(-1)
    );
    if !stderr.trim().is_empty() {
        println!("  sipp: {}", stderr.lines().last().unwrap_or_default());
    }
    drop(server);
    Ok(())
}

fn concurrent(calls: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    write_voice(dir.path())?;
    let phone_port = free_port();
    let server = start_server(phone_port)?;
    let pid = server.child.id();
    let mut phone = phone(dir.path(), phone_port, calls)?;
    let ramp = (calls / 50).max(1);
    let hold_ms = (ramp as u64 + 15) * 1000;
    let mut carrier = carrier(
        dir.path(),
        &server.sip,
        Load {
            rate: 50,
            calls,
            at_once: calls,
            hold_ms,
        },
        &["-timeout", "180s"],
    )?;
    // Every call is up once the ramp is over; then measure 10 s.
    std::thread::sleep(Duration::from_secs(ramp as u64 + 2));
    let process = PathBuf::from(format!("/proc/{pid}/stat"));
    let thread = media_thread(pid);
    let (p0, m0) = (cpu_ticks(&process), thread.as_deref().map_or(0, cpu_ticks));
    let window = Duration::from_secs(10);
    std::thread::sleep(window);
    let (p1, m1) = (cpu_ticks(&process), thread.as_deref().map_or(0, cpu_ticks));
    let share = |ticks: u64| ticks as f64 / (window.as_secs_f64() * 100.0) * 100.0;
    let status = carrier.wait()?;
    let _ = phone.kill();
    let _ = phone.wait();
    println!(
        "concurrent: {calls} bridged calls, PCMU both ways: server {:.1} % of a core, its media thread {:.1} % (sipp exit {})",
        share(p1.saturating_sub(p0)),
        share(m1.saturating_sub(m0)),
        status.code().unwrap_or(-1)
    );
    drop(server);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    println!("{}", common::describe_machine());
    setups(
        env_or("BENCH_SIP_RATE", 200),
        env_or("BENCH_SIP_CALLS", 2_000),
    )?;
    concurrent(env_or("BENCH_SIP_CONCURRENT", 200))?;
    Ok(())
}
