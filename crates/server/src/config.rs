//! Runtime settings of a server instance (the binary fills them from flags).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// How a server instance behaves. [`Config::default`] is what `ringback serve`
/// uses when no flag says otherwise.
#[derive(Debug, Clone)]
pub struct Config {
    /// Origins allowed to open the signalling socket (the extension's
    /// `chrome-extension://<id>`). A browser always sends Origin, so this stops a
    /// web page from riding a rep's ticket.
    pub allowed_origins: Vec<String>,
    /// Token the carrier presents on its webhooks. `None` disables them.
    pub carrier_token: Option<String>,
    /// Lifetime of a sign-in session's bearer token.
    pub session_ttl: Duration,
    /// Lifetime of a WebSocket ticket; short, since it is used at once.
    pub ticket_ttl: Duration,
    /// Lifetime of a resume ticket, which each socket is sent (and sent
    /// anew at half its life) for the browser to keep, memory only, so a
    /// worker Chrome restarts can open its socket without asking for a
    /// ticket first. Still single use.
    pub resume_ticket_ttl: Duration,
    /// A socket silent this long is closed and the rep counts as offline
    /// (clients send a keepalive every 20 s).
    pub presence_timeout: Duration,
    /// Browsers (signalling sockets) one rep may have connected at once.
    pub max_devices_per_rep: usize,
    /// Malformed frames tolerated on one socket before it is closed.
    pub max_socket_errors: u32,
    /// Largest REST request body, in bytes.
    pub max_body_bytes: usize,
    /// The UDP address for call audio, shared by every call. Its IP is the ICE
    /// candidate browsers connect to, so it must be one they can reach.
    pub media_addr: SocketAddr,
    /// Reverse proxies (e.g. the TLS terminator) whose `X-Forwarded-For` is
    /// believed: behind one, every request's peer is the proxy, and the
    /// sign-in throttle must see the client instead.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where Prometheus metrics are served (`GET /metrics`); `None`: nowhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Where the SIP trunk listens (UDP and TCP); `None`: no SIP.
    pub sip_listen: Option<SocketAddr>,
    /// What goes in Contact and the SDP `c=` line, when NAT sits in front.
    pub sip_public_addr: Option<SocketAddr>,
    /// Addresses the carrier's INVITEs may come from.
    pub trunk_allow: sip::AllowList,
    /// A connected call ends after this long even if no hang-up comes.
    pub max_call: Duration,
    /// Where Ringback's own INVITEs go (the forwarding phone), e.g.
    /// `sip:example.pstn.twilio.com`; `None`: the phone is not dialled over SIP.
    pub trunk_uri: Option<String>,
    /// Digest credentials for the carrier's challenge on those INVITEs.
    pub trunk_username: Option<String>,
    pub trunk_password: Option<String>,
    /// What the forwarding phone shows as caller ID.
    pub phone_caller_id: crate::trunk::PhoneCallerId,
    /// Ports for the trunk's RTP (one even/odd pair per call).
    pub rtp_ports: RangeInclusive<u16>,
    /// Where voicemail recordings (`recordings/`) and reps' greetings
    /// (`greetings/`) are kept.
    pub files_dir: PathBuf,
    /// Serve the demo CRM (`crate::demo_crm`, `serve --demo`).
    pub demo_crm: bool,
    /// This instance's name among those sharing the database and the bus:
    /// it owns the calls it took from the carrier, and its startup sweep
    /// ends only those.
    pub instance_id: String,
    /// The bus to the other instances; `None` is one of this instance's
    /// own (in-process: no other instance).
    pub bus: Option<std::sync::Arc<dyn bus::Bus>>,
    /// How long the instance's lease lasts; it is renewed every third of it.
    pub lease: Duration,
}

impl Config {
    /// Where a call's voicemail recording is kept.
    pub fn recording_path(&self, call: protocol::CallId) -> PathBuf {
        self.files_dir
            .join("recordings")
            .join(format!("{}.wav", call.0))
    }

    /// Where a rep's own voicemail greeting is kept.
    pub fn greeting_path(&self, rep: protocol::RepId) -> PathBuf {
        self.files_dir
            .join("greetings")
            .join(format!("rep-{}.wav", rep.0))
    }
}

/// The extension's id. Chrome derives it from the public key in
/// `static/manifest-key.pub`, which goes into the manifest as `key`, so every
/// unpacked install has this same id.
pub const EXTENSION_ORIGIN: &str = "chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk";

/// The instance name of a server that runs alone.
pub const DEFAULT_INSTANCE_ID: &str = "local";

impl Default for Config {
    fn default() -> Self {
        Self {
            allowed_origins: vec![EXTENSION_ORIGIN.to_owned()],
            carrier_token: None,
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            ticket_ttl: Duration::from_secs(60),
            resume_ticket_ttl: Duration::from_secs(30 * 60),
            presence_timeout: Duration::from_secs(45),
            max_socket_errors: 10,
            max_devices_per_rep: crate::hub::MAX_DEVICES_PER_REP,
            max_body_bytes: 64 * 1024,
            media_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            sip_listen: None,
            sip_public_addr: None,
            trunk_allow: sip::AllowList::loopback(),
            rtp_ports: 20_000..=20_999,
            max_call: Duration::from_millis(calls::DEFAULT_MAX_CALL_MS.unsigned_abs()),
            trunk_uri: None,
            trunk_username: None,
            trunk_password: None,
            phone_caller_id: crate::trunk::PhoneCallerId::Prospect,
            files_dir: PathBuf::from("./data"),
            demo_crm: false,
            instance_id: DEFAULT_INSTANCE_ID.to_owned(),
            bus: None,
            lease: Duration::from_secs(9),
        }
    }
}
