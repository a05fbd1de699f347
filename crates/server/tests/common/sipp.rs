//! sipp (Debian's sip-tester, 3.6) as the carrier, over real UDP on
//! 127.0.0.1, with the scenarios in `tests/sipp/`.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;

/// How long any one sipp run may take before the test fails.
const SIPP_PATIENCE: Duration = Duration::from_secs(90);

pub fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/sipp")
        .join(name)
}

/// A UDP port free right now, for sipp's SIP or media socket.
pub fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
    socket.local_addr().expect("its address").port()
}

/// A port free right now for both TCP and UDP.
pub fn free_tcp_and_udp_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("a free TCP port");
        let port = tcp.local_addr().expect("its address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The shipped prospect recording as headerless mu-law, what sipp streams.
pub fn write_voice(dir: &std::path::Path) -> u64 {
    let clip = media::audio::Clip::from_wav(media::audio::shipped::PROSPECT_WAV, 600)
        .expect("the shipped voice loads");
    let pcmu = media::g711::encode_frame(clip.samples());
    std::fs::write(dir.join("voice.ulaw"), &pcmu).expect("voice.ulaw written");
    clip.duration_ms()
}

/// One sipp run.
pub struct Sipp {
    child: tokio::process::Child,
    /// sipp's working directory: voice.ulaw and its error log.
    dir: TempDir,
    /// The Call-ID it uses, so tests can find the call.
    pub call_id: String,
}

/// What a finished run says.
#[derive(Debug)]
pub struct SippResult {
    pub success: bool,
    pub errors: String,
    pub output: String,
}

impl Sipp {
    /// Runs `scenario` once against `target`, calling `dialed` from `from`,
    /// with `-d pause_ms` (how long it talks, or waits before CANCEL).
    pub fn call(
        scenario_name: &str,
        target: SocketAddr,
        dialed: &str,
        from: &str,
        pause_ms: u64,
    ) -> Self {
        Self::run(
            scenario_name,
            target,
            &[
                "-s",
                dialed,
                "-key",
                "from",
                from,
                "-d",
                &pause_ms.to_string(),
                "-m",
                "1",
            ],
        )
    }

    /// The forwarding phone: waits on UDP `port` for Ringback's INVITE and
    /// plays `scenario_name` once (`-d pause_ms`, echoing audio back).
    pub fn phone(scenario_name: &str, port: u16, pause_ms: u64) -> Self {
        Self::phone_with(scenario_name, port, pause_ms, &[])
    }

    /// [`Self::phone`] with more arguments (`-key name value` for the
    /// scenario's `[name]`).
    pub fn phone_with(scenario_name: &str, port: u16, pause_ms: u64, extra: &[&str]) -> Self {
        Self::phones_with(scenario_name, port, pause_ms, 1, extra)
    }

    /// [`Self::phone`] for `calls` INVITEs, one after the other or at once:
    /// the trunk sends every call to one address, so one sipp plays the
    /// prospect and the forwarding phone alike.
    pub fn phones(scenario_name: &str, port: u16, pause_ms: u64, calls: u32) -> Self {
        Self::phones_with(scenario_name, port, pause_ms, calls, &[])
    }

    fn phones_with(
        scenario_name: &str,
        port: u16,
        pause_ms: u64,
        calls: u32,
        extra: &[&str],
    ) -> Self {
        let (port, pause_ms, calls) = (port.to_string(), pause_ms.to_string(), calls.to_string());
        let mut args = vec!["-p", &port, "-d", &pause_ms, "-m", &calls, "-rtp_echo"];
        args.extend_from_slice(extra);
        Self::start(scenario_name, None, &args)
    }

    pub fn run(scenario_name: &str, target: SocketAddr, extra: &[&str]) -> Self {
        let mut args = extra.to_vec();
        // Over TCP (`-t t1`) sipp binds this port for TCP too: a port that
        // is only free for UDP can be held by a TCP socket (one of the
        // suite's own connections in TIME_WAIT), and sipp then never calls.
        let port = free_tcp_and_udp_port().to_string();
        args.extend(["-p", &port]);
        Self::start(scenario_name, Some(target), &args)
    }

    fn start(scenario_name: &str, target: Option<SocketAddr>, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("sipp dir");
        write_voice(dir.path());
        let call_id = format!("ringback-test-{}-{}", std::process::id(), free_udp_port());
        let mut command = tokio::process::Command::new("sipp");
        command
            .current_dir(dir.path())
            .arg("-sf")
            .arg(scenario(scenario_name))
            .args(extra)
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-mp", &free_udp_port().to_string()])
            .args(["-cid_str", &call_id])
            .args(["-nostdin", "-trace_err", "-error_file", "errors.log"])
            .args(["-timeout", "80s", "-timeout_error"])
            .args(target.map(|t| t.to_string()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .expect("sipp runs (make test installs Debian's sip-tester)");
        Self {
            child,
            dir,
            call_id,
        }
    }

    /// The carrier id the server files this call under.
    pub fn carrier_call_id(&self) -> String {
        ringback_server::trunk::carrier_call_id(&self.call_id)
    }

    /// Waits for sipp to end and asserts its scenario passed; `what` says
    /// what passing means.
    pub async fn succeeds(self, what: &str) {
        let result = self.finish().await;
        assert!(
            result.success,
            "{what}: {}\n{}",
            result.errors, result.output
        );
    }

    /// Waits for sipp to end.
    pub async fn finish(self) -> SippResult {
        let Self { child, dir, .. } = self;
        let output = tokio::time::timeout(SIPP_PATIENCE, child.wait_with_output())
            .await
            .expect("sipp finishes in time")
            .expect("sipp's output");
        SippResult {
            success: output.status.success(),
            errors: std::fs::read_to_string(dir.path().join("errors.log")).unwrap_or_default(),
            output: String::from_utf8_lossy(&output.stdout).into_owned(),
        }
    }
}
