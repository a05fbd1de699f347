//! A real Ringback server on 127.0.0.1:0 with a temporary SQLite file, and
//! clients that speak real HTTP and WebSocket to it.
#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod audio;
pub mod cluster;
pub mod dial;
pub mod pages;
mod seed;
pub mod sipp;
mod socket;

pub use seed::Seed;
pub use socket::*;

use protocol::api::{
    CallView, CarrierInbound, CarrierInboundResponse, SessionResponse, TicketResponse,
};
use protocol::signal::{ClientMessage, ServerMessage};
use protocol::{CallId, DialerSettings, PersonId, RepId, TeamId, UnixMillis};
use ringback_server::Server;
use ringback_server::clock::Clock;
use ringback_server::config::Config;
use ringback_server::store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

pub const ORIGIN: &str = "chrome-extension://ringbacktestextension";
pub const CARRIER_TOKEN: &str = "test-carrier-token";
pub const PASSWORD: &str = "correct horse battery";
/// How long a test waits for a message it expects.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A rep the fixture created.
#[derive(Debug, Clone)]
pub struct Rep {
    pub id: RepId,
    pub team: TeamId,
    pub email: String,
    pub dialer_number: String,
}

/// The wall clock plus an offset tests can move forward (token expiry).
#[derive(Debug, Default)]
pub struct TestClock {
    offset_ms: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> UnixMillis {
        ringback_server::clock::SystemClock.now() + self.offset_ms.load(Ordering::SeqCst)
    }
}

pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<TestClock>,
    pub alice: Rep,
    pub bob: Rep,
    /// Alice's Person whose number is [`ADA_PHONE`].
    pub ada: PersonId,
    pub dispositions: Vec<i64>,
    pub sentiments: Vec<i64>,
    dir: TempDir,
}

pub const ADA_PHONE: &str = "+14155550111";

/// [`config`] with the SIP trunk on a free port of 127.0.0.1.
pub fn sip_config() -> Config {
    Config {
        sip_listen: Some("127.0.0.1:0".parse().expect("addr")),
        ..config()
    }
}

/// [`sip_config`], dialling the forwarding phone at `sip:127.0.0.1:<port>`.
pub fn sip_config_with_phone(phone_port: u16) -> Config {
    Config {
        trunk_uri: Some(format!("sip:127.0.0.1:{phone_port}")),
        ..sip_config()
    }
}

pub fn config() -> Config {
    Config {
        allowed_origins: vec![ORIGIN.into()],
        carrier_token: Some(CARRIER_TOKEN.into()),
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(config()).await
    }

    pub async fn start_with(mut config: Config) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // Recordings and greetings live with the test's database.
        config.files_dir = dir.path().to_path_buf();
        let store = Store::open_data_dir(dir.path()).await.expect("store opens");
        let clock = Arc::new(TestClock::default());
        let seed = Seed::plant(&store, clock.now()).await;
        let server = Server::start_with_clock(
            "127.0.0.1:0".parse().expect("addr"),
            store,
            config,
            clock.clone(),
        )
        .await
        .expect("server starts");
        Self::around(server, clock, seed, dir)
    }

    /// The test's view of a server already started on the fixture's data
    /// (`dir` holds its files).
    pub fn around(server: Server, clock: Arc<TestClock>, seed: Seed, dir: TempDir) -> Self {
        let base = format!("http://{}", server.addr());
        Self {
            server: Some(server),
            base,
            http: reqwest::Client::new(),
            clock,
            alice: seed.alice,
            bob: seed.bob,
            ada: seed.ada,
            dispositions: seed.dispositions,
            sentiments: seed.sentiments,
            dir,
        }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        let store = Store::open_data_dir(self.dir.path())
            .await
            .expect("store reopens");
        let server = Server::start_with_clock(
            "127.0.0.1:0".parse().expect("addr"),
            store,
            config(),
            self.clock.clone(),
        )
        .await
        .expect("server restarts");
        self.base = format!("http://{}", server.addr());
        self.server = Some(server);
    }

    /// A second, raw connection to the server's SQLite file, for checking
    /// what the database itself enforces.
    pub async fn raw_db(&self) -> sqlx::SqlitePool {
        let options =
            sqlx::sqlite::SqliteConnectOptions::new().filename(self.dir.path().join("ringback.db"));
        sqlx::SqlitePool::connect_with(options)
            .await
            .expect("raw connection")
    }

    /// Where the SIP trunk listens (the server was started with one).
    pub fn sip_addr(&self) -> std::net::SocketAddr {
        self.server
            .as_ref()
            .and_then(|s| s.state().trunk())
            .expect("started with a SIP trunk (sip_config)")
            .local_addr()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn sign_in(&self, rep: &Rep) -> String {
        let response = self
            .http
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"email": rep.email, "password": PASSWORD}))
            .send()
            .await
            .expect("sign-in request");
        assert_eq!(response.status(), 201, "sign-in should succeed");
        let session: SessionResponse = response.json().await.expect("session body");
        session.token
    }

    pub async fn ticket(&self, token: &str) -> String {
        let response = self
            .http
            .post(self.url("/api/v1/ws-tickets"))
            .bearer_auth(token)
            .send()
            .await
            .expect("ticket request");
        assert_eq!(response.status(), 201);
        let ticket: TicketResponse = response.json().await.expect("ticket body");
        ticket.ticket
    }

    /// Signs in, opens a socket, says Hello and reads Welcome, the
    /// availability that follows the resumed calls (those stay to be read,
    /// in order) and the resume ticket (kept in the [`Signal`]).
    pub async fn connect(&self, rep: &Rep, device_id: &str) -> Signal {
        let token = self.sign_in(rep).await;
        self.connect_with_token(&token, device_id).await
    }

    /// Alice signed in with her "laptop" extension connected.
    pub async fn alice_online(&self) -> (String, Signal) {
        let token = self.sign_in(&self.alice).await;
        let browser = self.connect_with_token(&token, "laptop").await;
        (token, browser)
    }

    pub async fn connect_with_token(&self, token: &str, device_id: &str) -> Signal {
        let mut signal = self.open_and_hello(token, device_id).await;
        match signal.recv().await {
            ServerMessage::Welcome { .. } => {}
            other => panic!("expected welcome, got {other:?}"),
        }
        // The resumed calls come before the availability: keep them for
        // the test to read.
        let mut resumed = Vec::new();
        loop {
            match signal.recv().await {
                ServerMessage::Availability { .. } => break,
                message @ (ServerMessage::IncomingCall(_) | ServerMessage::CallUpdate { .. }) => {
                    resumed.push(message)
                }
                other => panic!("expected the resumed calls and the availability, got {other:?}"),
            }
        }
        signal.resumed = resumed.into();
        // Then, always, the ticket for this browser's next socket.
        match signal.next_message().await {
            ServerMessage::ResumeTicket { ticket, .. } => signal.resume_ticket = Some(ticket),
            other => panic!("expected the resume ticket after the availability, got {other:?}"),
        }
        signal
    }

    /// Opens a socket and says Hello, reading nothing yet.
    pub async fn open_and_hello(&self, token: &str, device_id: &str) -> Signal {
        let ticket = self.ticket(token).await;
        let mut signal = self
            .open_socket(&ticket, Some(ORIGIN))
            .await
            .expect("socket opens");
        signal
            .send(&ClientMessage::Hello {
                id: "hello".into(),
                device_id: device_id.into(),
                client: None,
            })
            .await;
        signal
    }

    /// Opens the signalling socket with a ticket; the HTTP status on refusal.
    pub async fn open_socket(&self, ticket: &str, origin: Option<&str>) -> Result<Signal, u16> {
        self.open_socket_offering(&format!("ringback.v1, ticket.{ticket}"), origin)
            .await
    }

    /// Opens the signalling socket offering `protocols` (the handshake's
    /// `Sec-WebSocket-Protocol`); the HTTP status on refusal.
    pub async fn open_socket_offering(
        &self,
        protocols: &str,
        origin: Option<&str>,
    ) -> Result<Signal, u16> {
        let url = format!("{}/api/v1/signal", self.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocols).expect("header"),
        );
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("Origin", HeaderValue::from_str(origin).expect("header"));
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, response)) => {
                let chosen = response
                    .headers()
                    .get("Sec-WebSocket-Protocol")
                    .and_then(|v| v.to_str().ok());
                assert_eq!(
                    chosen,
                    Some("ringback.v1"),
                    "server selects the protocol, never echoes the ticket"
                );
                Ok(Signal {
                    socket,
                    resumed: Default::default(),
                    resume_ticket: None,
                })
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("unexpected socket error: {other}"),
        }
    }

    /// Places an inbound call as the carrier.
    pub async fn ring(
        &self,
        from: &str,
        to: &Rep,
        carrier_call_id: &str,
    ) -> CarrierInboundResponse {
        let body = CarrierInbound {
            from: from.into(),
            to: to.dialer_number.clone(),
            carrier_call_id: carrier_call_id.into(),
        };
        let response = self
            .http
            .post(self.url("/api/v1/carrier/inbound"))
            .bearer_auth(CARRIER_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("inbound request");
        assert_eq!(response.status(), 200, "carrier inbound accepted");
        response.json().await.expect("inbound body")
    }

    pub async fn carrier_event(&self, carrier_call_id: &str, event: &str) -> u16 {
        self.http
            .post(self.url("/api/v1/carrier/events"))
            .bearer_auth(CARRIER_TOKEN)
            .json(&json!({"carrier_call_id": carrier_call_id, "event": event}))
            .send()
            .await
            .expect("event request")
            .status()
            .as_u16()
    }

    pub async fn phone_commands(&self, carrier_call_id: &str) -> Vec<Value> {
        self.http
            .get(self.url(&format!("/api/v1/carrier/calls/{carrier_call_id}/commands")))
            .bearer_auth(CARRIER_TOKEN)
            .send()
            .await
            .expect("commands request")
            .json()
            .await
            .expect("commands body")
    }

    /// The caller's side of a call's audio: status and JSON.
    pub async fn media_report(&self, carrier_call_id: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(&format!("/api/v1/carrier/calls/{carrier_call_id}/media")))
            .bearer_auth(CARRIER_TOKEN)
            .send()
            .await
            .expect("media request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn call(&self, token: &str, id: CallId) -> CallView {
        let response = self.get(token, &format!("/api/v1/calls/{id}")).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("call body")
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Logs a call through the API (`POST /api/v1/calls/{call}/log`).
    pub async fn post_log(&self, token: &str, call: CallId, log: &Value) -> reqwest::Response {
        self.send_json(
            reqwest::Method::POST,
            token,
            &format!("/api/v1/calls/{call}/log"),
            log,
        )
        .await
    }

    pub async fn put_settings(&self, token: &str, settings: &DialerSettings) {
        let body = serde_json::to_value(settings).expect("settings json");
        let response = self
            .send_json(
                reqwest::Method::PUT,
                token,
                "/api/v1/settings/dialer",
                &body,
            )
            .await;
        assert_eq!(response.status(), 200, "settings saved");
    }

    /// Waits until the server holds no signalling socket (what its hub says).
    pub async fn wait_until_no_sockets(&self) {
        let hub = || self.server.as_ref().expect("running").state().hub();
        eventually("the sockets to close", PATIENCE, || async {
            match hub().socket_count() {
                0 => Ok(()),
                open => Err(format!("{open} open")),
            }
        })
        .await
    }

    /// The media report once `check` holds for it, polled until `patience`
    /// runs out.
    pub async fn media_report_within(
        &self,
        carrier_call_id: &str,
        patience: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        eventually("the media report to get there", patience, || async {
            match self.media_report(carrier_call_id).await {
                (200, report) if check(&report) => Ok(report),
                (status, report) => Err(format!("{status} {report}")),
            }
        })
        .await
    }

    /// [`Self::media_report_within`] [`PATIENCE`].
    pub async fn media_report_until(
        &self,
        carrier_call_id: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        self.media_report_within(carrier_call_id, PATIENCE, check)
            .await
    }

    /// Signs a session out; the HTTP status.
    pub async fn sign_out(&self, token: &str) -> u16 {
        self.http
            .delete(self.url("/api/v1/sessions/current"))
            .bearer_auth(token)
            .send()
            .await
            .expect("sign out")
            .status()
            .as_u16()
    }

    /// The call's outcome once it has ended.
    pub async fn outcome_once_ended(
        &self,
        token: &str,
        id: CallId,
    ) -> Option<protocol::CallOutcome> {
        self.wait_for_call(token, id, |v| v.status == protocol::CallStatus::Ended)
            .await
            .outcome
    }

    /// Waits until `check` holds for the call, or fails after [`PATIENCE`].
    pub async fn wait_for_call(
        &self,
        token: &str,
        id: CallId,
        check: impl Fn(&CallView) -> bool,
    ) -> CallView {
        eventually("the call to reach the expected state", PATIENCE, || async {
            let view = self.call(token, id).await;
            if check(&view) {
                Ok(view)
            } else {
                Err(format!("{view:?}"))
            }
        })
        .await
    }
}

impl TestServer {
    /// Waits until this instance's media has sent `expected` RFC 4733
    /// telephone-event packets on `call`'s trunk leg (seven per key).
    pub async fn expect_tones_sent(&self, call: CallId, expected: u64) {
        let media = self
            .server
            .as_ref()
            .expect("running")
            .state()
            .media()
            .clone();
        eventually(
            &format!("{expected} telephone-event packets sent on the trunk leg"),
            Duration::from_secs(5),
            || {
                let media = media.clone();
                async move {
                    let report = serde_json::to_value(media.report(call).await)
                        .map_err(|e| e.to_string())?;
                    match report
                        .pointer("/trunk/telephone_events_sent")
                        .and_then(serde_json::Value::as_u64)
                    {
                        Some(sent) if sent == expected => Ok(()),
                        _ => Err(report.to_string()),
                    }
                }
            },
        )
        .await;
    }
}

/// Polls `probe` until it succeeds, or fails the test after `patience`
/// naming `what` and the last thing `probe` saw. The one poll loop of the
/// tests: for what the server tells no socket (a stored timeline, a media
/// report, the hub's count).
pub async fn eventually<T, F, Fut>(what: &str, patience: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(last) => assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; last: {last}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
