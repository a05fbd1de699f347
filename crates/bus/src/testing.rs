//! A throwaway `nats-server` on 127.0.0.1, for tests of this crate and of
//! the server. Debian's package `nats-server`; `make rust-test` installs it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server`, stopped (killed) when dropped.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    pub url: String,
}

impl NatsServer {
    /// Starts one on a free port and waits until it accepts connections.
    /// `None` when `nats-server` is not installed, except under `CI=true`,
    /// where that panics: CI must run every test.
    pub fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let spawned = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("nats-server could not be started under CI=true: {error}")
            }
            Err(error) => {
                eprintln!(
                    "skipping: nats-server could not be started ({error}); apt-get install nats-server"
                );
                return None;
            }
        };
        let server = Self {
            child,
            url: format!("nats://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start listening on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
