//! `ringback`: serve, or act as the carrier from the command line.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use protocol::api::{CarrierEvent, CarrierEventKind, CarrierInbound, CarrierInboundResponse};
use ringback_server::config::{Config, EXTENSION_ORIGIN};
use ringback_server::store::Store;
use ringback_server::{Server, demo};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where `ringback call` and `ringback carrier` send by default.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Carrier token the demo server accepts and the CLI sends by default.
const DEMO_CARRIER_TOKEN: &str = "demo-carrier-token";

#[derive(Parser)]
#[command(name = "ringback", version, about = "Inbound calling for sales reps")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Place an inbound call through the carrier webhook, as a carrier would.
    Call {
        /// The caller's number (the prospect).
        #[arg(long)]
        from: String,
        /// The rep's dialer number.
        #[arg(long, default_value = demo::DEMO_DIALER_NUMBER)]
        to: String,
        /// The carrier's id for this call (default: a fresh one).
        #[arg(long)]
        carrier_call_id: Option<String>,
        #[command(flatten)]
        carrier: CarrierArgs,
    },
    /// Write the demo prospect's voice as headerless mu-law (PCMU), the file
    /// sipp streams as the caller's audio (`tests/sipp/prospect-calls.xml`).
    CarrierVoice {
        /// Where to write it.
        #[arg(default_value = "voice.ulaw")]
        out: PathBuf,
    },
    /// Report the phone leg's news through the carrier webhook.
    Carrier {
        #[arg(value_enum)]
        event: CarrierEventArg,
        carrier_call_id: String,
        #[command(flatten)]
        carrier: CarrierArgs,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    #[arg(long, env = "RINGBACK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The data directory: the SQLite file (unless --database-url names a
    /// database), recordings, greetings and the server's key.
    #[arg(long, env = "RINGBACK_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The database instead of the SQLite file in --data-dir:
    /// sqlite://path/to/file.db or postgres://user:password@host/database.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// A NATS server shared with the other instances (nats://host:4222):
    /// rings, call updates and Accepts cross between instances over it.
    /// Without it this instance runs alone (an in-process bus).
    #[arg(long, env = "NATS_URL")]
    nats_url: Option<String>,
    /// This instance's name, unique among those sharing the database: it
    /// owns the calls it takes, and its startup sweep ends only those.
    /// Default: "local" alone; a random name with --nats-url.
    #[arg(long, env = "RINGBACK_INSTANCE_ID", value_parser = instance_id)]
    instance_id: Option<String>,
    /// Origins allowed to open the signalling socket (repeat or comma-separate).
    #[arg(long = "allowed-origin", env = "RINGBACK_ALLOWED_ORIGINS", value_delimiter = ',',
          default_value = EXTENSION_ORIGIN)]
    allowed_origins: Vec<String>,
    /// Token the carrier sends on webhooks; without it they are disabled
    /// (with --demo the demo token is used).
    #[arg(long, env = "RINGBACK_CARRIER_TOKEN", hide_env_values = true)]
    carrier_token: Option<String>,
    /// UDP address for call audio (one port for every call). Browsers connect
    /// to its IP, so give one they reach; port 0 picks a free one.
    #[arg(long, env = "RINGBACK_MEDIA_ADDR", default_value = "127.0.0.1:0")]
    media_addr: SocketAddr,
    /// Reverse proxies whose X-Forwarded-For names the real client (repeat or
    /// comma-separate), so the sign-in throttle counts per client, not per proxy.
    #[arg(
        long = "trusted-proxy",
        env = "RINGBACK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Serve Prometheus metrics (GET /metrics) on this address, e.g.
    /// 127.0.0.1:9464; off when not given.
    #[arg(long, env = "RINGBACK_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Where the SIP trunk listens, UDP and TCP (`off` for no SIP).
    #[arg(long, env = "RINGBACK_SIP_LISTEN", default_value = "127.0.0.1:5060")]
    sip_listen: String,
    /// The address the carrier reaches, for Contact and the SDP c= line, when
    /// NAT or a load balancer is in front (default: --sip-listen).
    #[arg(long, env = "RINGBACK_SIP_PUBLIC_ADDR")]
    sip_public_addr: Option<SocketAddr>,
    /// UDP ports for the trunk's RTP, one even/odd pair per call.
    #[arg(long, env = "RINGBACK_RTP_PORTS", default_value = "20000-20999", value_parser = parse_port_range)]
    rtp_ports: std::ops::RangeInclusive<u16>,
    /// Addresses or CIDR networks the carrier sends SIP from (repeat or
    /// comma-separate); INVITEs from anywhere else get 403.
    #[arg(
        long = "trunk-allow",
        env = "RINGBACK_TRUNK_ALLOW",
        value_delimiter = ',',
        default_value = "127.0.0.0/8,::1"
    )]
    trunk_allow: Vec<sip::Cidr>,
    /// Where Ringback dials the rep's forwarding phone, e.g.
    /// sip:example.pstn.twilio.com (the carrier's termination URI). Without
    /// it the phone is left to the webhook carrier.
    #[arg(long, env = "RINGBACK_TRUNK_URI")]
    trunk_uri: Option<String>,
    /// Username for the carrier's digest challenge on Ringback's INVITEs.
    #[arg(long, env = "RINGBACK_TRUNK_USERNAME")]
    trunk_username: Option<String>,
    #[arg(long, env = "RINGBACK_TRUNK_PASSWORD", hide_env_values = true)]
    trunk_password: Option<String>,
    /// Show the rep's dialer number to the forwarding phone instead of the
    /// prospect's (for carriers that only let their own numbers out).
    #[arg(long)]
    phone_shows_dialer_number: bool,
    /// A connected call ends after this many minutes even if no hang-up
    /// ever comes (a lost BYE, a browser that vanished).
    #[arg(long, env = "RINGBACK_MAX_CALL_MINUTES", default_value_t = 240)]
    max_call_minutes: u64,
    /// Browsers one rep may have connected at once; one more closes the
    /// one connected longest (close code 4004).
    #[arg(long, env = "RINGBACK_MAX_DEVICES_PER_REP", default_value_t = ringback_server::hub::MAX_DEVICES_PER_REP)]
    max_devices_per_rep: usize,
    /// Seed a demo team, rep and People (once) and print how to sign in.
    #[arg(long)]
    demo: bool,
}

#[derive(clap::Args)]
struct CarrierArgs {
    #[arg(long, env = "RINGBACK_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    #[arg(long, env = "RINGBACK_CARRIER_TOKEN", default_value = DEMO_CARRIER_TOKEN, hide_env_values = true)]
    carrier_token: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CarrierEventArg {
    /// The rep picked up the forwarding phone.
    Answer,
    /// The caller hung up.
    HangUp,
    /// The rep hung up the forwarding phone.
    PhoneHangUp,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn,rsipstack=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(*args).await,
        Command::Call {
            from,
            to,
            carrier_call_id,
            carrier,
        } => {
            let carrier_call_id = carrier_call_id
                .unwrap_or_else(|| format!("cli-{}", ringback_server::secrets::random_token()));
            let body = CarrierInbound {
                from,
                to,
                carrier_call_id: carrier_call_id.clone(),
            };
            let response: CarrierInboundResponse = post(&carrier, "/api/v1/carrier/inbound", &body)
                .await?
                .json()
                .await?;
            println!("call {} (carrier id {carrier_call_id})", response.call_id);
            println!(
                "  rings in the browser: {}",
                if response.ring_browser { "yes" } else { "no" }
            );
            println!(
                "  rings the phone:      {}",
                response.ring_phone.as_deref().unwrap_or("no")
            );
            // The commands as this one was run (`./target/debug/ringback`
            // after `make run`), at the same server.
            let me = std::env::args().next().unwrap_or_else(|| "ringback".into());
            let server = if carrier.server == DEFAULT_SERVER {
                String::new()
            } else {
                format!(" --server {}", carrier.server)
            };
            println!("answer it on the phone: {me} carrier answer {carrier_call_id}{server}");
            println!("hang up as the caller:  {me} carrier hang-up {carrier_call_id}{server}");
            Ok(())
        }
        Command::CarrierVoice { out } => {
            let clip = media::audio::Clip::from_wav(media::audio::shipped::PROSPECT_WAV, 600)?;
            let pcmu = media::g711::encode_frame(clip.samples());
            std::fs::write(&out, &pcmu).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} s of PCMU at 8 kHz)",
                out.display(),
                pcmu.len() / 8000
            );
            Ok(())
        }
        Command::Carrier {
            event,
            carrier_call_id,
            carrier,
        } => {
            let event = match event {
                CarrierEventArg::Answer => CarrierEventKind::PhoneAnswered,
                CarrierEventArg::HangUp => CarrierEventKind::CallerHungUp,
                CarrierEventArg::PhoneHangUp => CarrierEventKind::PhoneHungUp,
            };
            post(
                &carrier,
                "/api/v1/carrier/events",
                &CarrierEvent {
                    carrier_call_id,
                    event,
                },
            )
            .await?;
            println!("done");
            Ok(())
        }
    }
}

/// `20000-20999`: the RTP port range.
fn parse_port_range(text: &str) -> Result<std::ops::RangeInclusive<u16>, String> {
    let (first, last) = text
        .split_once('-')
        .ok_or_else(|| format!("{text:?}: give a range like 20000-20999"))?;
    let (first, last): (u16, u16) = (
        first
            .trim()
            .parse()
            .map_err(|_| format!("{first:?} is not a port"))?,
        last.trim()
            .parse()
            .map_err(|_| format!("{last:?} is not a port"))?,
    );
    if last <= first {
        return Err(format!(
            "{text:?}: the range must hold at least one even/odd pair"
        ));
    }
    Ok(first..=last)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = match &args.database_url {
        // The URL may hold a password: not repeated in the error.
        Some(url) => Store::connect(url)
            .await
            .context("opening the database --database-url names")?,
        None => Store::open_data_dir(&args.data_dir)
            .await
            .with_context(|| format!("opening the database in {}", args.data_dir.display()))?,
    };

    let bus: Option<std::sync::Arc<dyn bus::Bus>> = match &args.nats_url {
        Some(url) => Some(std::sync::Arc::new(
            bus::NatsBus::connect(url)
                .await
                .context("connecting to the NATS server --nats-url names")?,
        )),
        None => None,
    };
    let instance_id = match (args.instance_id, &bus) {
        (Some(id), _) => id,
        (None, Some(_)) => format!("ringback-{:016x}", rand::random::<u64>()),
        (None, None) => ringback_server::config::DEFAULT_INSTANCE_ID.to_owned(),
    };
    let carrier_token = args
        .carrier_token
        .or_else(|| args.demo.then(|| DEMO_CARRIER_TOKEN.to_owned()));
    let config = Config {
        allowed_origins: args.allowed_origins,
        carrier_token,
        media_addr: args.media_addr,
        trusted_proxies: args.trusted_proxies,
        metrics_listen: args.metrics_listen,
        sip_listen: match args.sip_listen.as_str() {
            "off" | "" => None,
            addr => Some(addr.parse().with_context(|| {
                format!("--sip-listen {addr}: give an address like 127.0.0.1:5060, or off")
            })?),
        },
        sip_public_addr: args.sip_public_addr,
        trunk_allow: sip::AllowList::new(args.trunk_allow),
        rtp_ports: args.rtp_ports,
        trunk_uri: args.trunk_uri,
        max_devices_per_rep: args.max_devices_per_rep,
        max_call: std::time::Duration::from_secs(args.max_call_minutes.saturating_mul(60)),
        trunk_username: args.trunk_username,
        trunk_password: args.trunk_password,
        phone_caller_id: if args.phone_shows_dialer_number {
            ringback_server::trunk::PhoneCallerId::Dialer
        } else {
            ringback_server::trunk::PhoneCallerId::Prospect
        },
        files_dir: args.data_dir.clone(),
        demo_crm: args.demo,
        instance_id,
        bus,
        ..Config::default()
    };
    let carrier_enabled = config.carrier_token.is_some();
    let starting = || {
        format!(
            "starting on {} (is another ringback running? pick --listen)",
            args.listen
        )
    };
    // Bound before the demo is seeded: the demo People's CRM links name the
    // address (port 0 picks one), and the server is not up until they do.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(starting)?;
    let bound = listener.local_addr()?;
    let crm_base = demo::crm_base(bound);
    let seeded = if args.demo {
        Some(
            demo::seed(
                &store,
                ringback_server::clock::Clock::now(&ringback_server::clock::SystemClock),
                &crm_base,
            )
            .await?,
        )
    } else {
        None
    };

    let server = Server::start_on(listener, store, config)
        .await
        .with_context(starting)?;
    let url = format!("http://{}", server.addr());
    println!("Ringback is listening on {url} (health: {url}/healthz)");
    let media = server.state().media().local_addr();
    println!("Call audio on UDP {media}");
    if media.ip().is_loopback() {
        println!(
            "  only browsers on this machine can reach it; for reps elsewhere start with --media-addr <this host's IP>:<port>"
        );
    }
    if let Some(seed) = seeded {
        println!(
            "Demo data {}:",
            if seed.created {
                "created"
            } else {
                "already present"
            }
        );
        println!(
            "  sign in as {} / {}",
            demo::DEMO_EMAIL,
            demo::DEMO_PASSWORD
        );
        println!(
            "  dialer number {}; People who can call back:",
            demo::DEMO_DIALER_NUMBER
        );
        for (name, phone) in &seed.people {
            println!("    {name:<20} {phone}");
        }
        println!("  the demo CRM (their Contact pages, any name signs in): {crm_base}");
        let local = demo::browser_url(bound);
        let server_flag = if local == DEFAULT_SERVER {
            String::new()
        } else {
            format!(" --server {local}")
        };
        println!(
            "  ring the rep: ./target/debug/ringback call --from {}{server_flag}",
            seed.people[0].1
        );
    }
    if let Some(metrics) = server.metrics_addr() {
        println!("Metrics on http://{metrics}/metrics");
    }
    if let Some(trunk) = server.state().trunk() {
        let sip = trunk.local_addr();
        println!("SIP trunk on UDP and TCP {sip}");
        if args.demo {
            println!(
                "  place a real SIP call into the demo (sipp from Debian's sip-tester):\n    ./target/debug/ringback carrier-voice target/voice.ulaw && cd target && \\\n    sipp -sf ../tests/sipp/prospect-calls.xml -s {} -key from +14155550111 -d 20000 -m 1 {sip}",
                demo::DEMO_DIALER_NUMBER
            );
        }
    }
    if !carrier_enabled {
        println!("Carrier webhooks are off: pass --carrier-token to accept calls.");
    }

    let stopping = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! { r = ctrl_c => r?, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        ctrl_c.await?;
        anyhow::Ok(())
    };
    stopping.await?;
    println!("shutting down");
    server.shutdown().await
}

async fn post<T: serde::Serialize>(
    carrier: &CarrierArgs,
    path: &str,
    body: &T,
) -> anyhow::Result<reqwest::Response> {
    let url = format!("{}{path}", carrier.server.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&carrier.carrier_token)
        .json(body)
        .send()
        .await
        .with_context(|| format!("reaching {url}; is `ringback serve` running?"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        bail!("{url} answered {status}: {text}");
    }
    Ok(response)
}

/// An instance name is part of NATS subjects (`ringback.instance.<id>`), so
/// it must be one subject token: no dots, spaces or wildcards.
fn instance_id(name: &str) -> Result<String, String> {
    let fits = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fits {
        Ok(name.to_owned())
    } else {
        Err("use 1 to 64 letters, digits, '-' or '_' (e.g. ringback-a)".into())
    }
}
