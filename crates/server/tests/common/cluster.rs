//! Two server instances sharing one PostgreSQL, one `nats-server` and one
//! files directory (recordings, greetings, the server key), as several
//! instances behind a load balancer would. Instance B runs on a
//! runtime of its own, so a test can kill it as a crash would: its tasks,
//! lease renewals, bus connection and sockets stop at once, without any
//! shutdown of its own.

use super::{Seed, TestClock, TestServer, config};
use bus::testing::NatsServer;
use ringback_server::Server;
use ringback_server::clock::Clock;
use ringback_server::store::Store;
use std::io::Write;
use std::sync::Arc;

const POSTGRES_URL_VAR: &str = "RINGBACK_TEST_POSTGRES_URL";

pub struct Cluster {
    pub a: TestServer,
    pub b: TestServer,
    /// B's runtime, until B is killed.
    b_runtime: Option<tokio::runtime::Runtime>,
    _nats: NatsServer,
}

impl Cluster {
    /// `None` (said on stderr) without PostgreSQL or nats-server, except
    /// under `CI=true`, where either missing fails the test.
    pub async fn start() -> Option<Self> {
        Self::start_with_trunk(None).await
    }

    /// [`Self::start`], A placing calls through a trunk at
    /// `sip:127.0.0.1:<trunk_port>` (B has no SIP).
    pub async fn start_with_trunk(trunk_port: Option<u16>) -> Option<Self> {
        let url = new_postgres_database().await?;
        let nats = NatsServer::start()?;
        let clock = Arc::new(TestClock::default());
        let seeding = Store::connect(&url).await.expect("PostgreSQL store opens");
        let seed = Seed::plant(&seeding, clock.now()).await;
        seeding.close().await;

        // A's test directory is the shared one; B's stays empty.
        let shared = tempfile::tempdir().expect("temp dir");
        let files = shared.path().to_path_buf();
        let a = instance(
            "a",
            files.clone(),
            url.clone(),
            nats.url.clone(),
            clock.clone(),
            trunk_port,
        )
        .await;
        let b_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("B's runtime");
        let b = b_runtime
            .spawn(instance(
                "b",
                files,
                url,
                nats.url.clone(),
                clock.clone(),
                None,
            ))
            .await
            .expect("B starts");
        let b_dir = tempfile::tempdir().expect("temp dir");
        let b_seed = seed.clone();
        Some(Self {
            a: TestServer::around(a, clock.clone(), seed, shared),
            b: TestServer::around(b, clock, b_seed, b_dir),
            b_runtime: Some(b_runtime),
            _nats: nats,
        })
    }

    /// B dies: its runtime stops with every task on it, mid-call.
    pub fn kill_b(&mut self) {
        if let Some(runtime) = self.b_runtime.take() {
            runtime.shutdown_background();
        }
        // What is left of B's server is inert; it is never shut down.
        std::mem::forget(self.b.server.take());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill_b();
    }
}

async fn instance(
    name: &'static str,
    files: std::path::PathBuf,
    database: String,
    nats: String,
    clock: Arc<TestClock>,
    trunk_port: Option<u16>,
) -> Server {
    let bus = bus::NatsBus::connect(&nats).await.expect("NATS connects");
    let mut config = match trunk_port {
        Some(port) => super::sip_config_with_phone(port),
        None => config(),
    };
    config.files_dir = files;
    config.instance_id = name.to_owned();
    config.bus = Some(Arc::new(bus));
    let store = Store::connect(&database)
        .await
        .expect("PostgreSQL store opens");
    Server::start_with_clock("127.0.0.1:0".parse().expect("addr"), store, config, clock)
        .await
        .expect("instance starts")
}

/// An empty database of the test's own on the test PostgreSQL; its URL.
async fn new_postgres_database() -> Option<String> {
    let server = match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("{POSTGRES_URL_VAR} is not set: under CI=true the cluster tests must run")
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "*** SKIPPED: two instances need PostgreSQL. Set {POSTGRES_URL_VAR} (make rust-test does). ***"
            );
            return None;
        }
    };
    Some(ringback_server::store::testing::create_database(&server, "ringback_cluster").await)
}
