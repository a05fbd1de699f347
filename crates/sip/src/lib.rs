//! The carrier SIP trunk.
//!
//! Carriers (Twilio Elastic SIP Trunking, Telnyx, Bandwidth) hand the calls
//! for a rep's dialer number to Ringback as SIP INVITEs with RTP audio. This
//! crate is that SIP endpoint, built on [rsipstack]'s transaction and dialog
//! layers, and it knows nothing else: the application (the server's call
//! exchange) learns of calls through [`TrunkEvent`]s and drives them back
//! through the [`Trunk`] handle.
//!
//! ```text
//! carrier                 Trunk                          application
//!   INVITE ─────────────▶ 403 if not --trunk-allow
//!                         400/488 if unreadable / no PCMU
//!   ◀──────── 100 Trying  TrunkEvent::Invite ──────────▶ route, open RTP
//!   ◀──────── 180 Ringing ◀─────────── InviteDecision::Ring (or a refusal)
//!   ◀── 200 OK (SDP)      ◀──────────────── Trunk::answer (browser, phone,
//!   ACK ────────────────▶                                voicemail took it)
//!   BYE / CANCEL ───────▶ TrunkEvent::Ended ───────────▶ end the call
//!   ◀─────────────── BYE  ◀──────────────── Trunk::hang_up (the rep did)
//! ```
//!
//! Also: OPTIONS (carriers probe trunks with it) gets 200; an in-dialog
//! re-INVITE (hold, session refresh) gets an answer in the mirror direction;
//! a retransmitted INVITE is absorbed by its transaction, so it is one call.
//! rsipstack drops unparseable datagrams (it never answers them 400); a
//! datagram over 8 KB is cut short by it, which the Content-Length check
//! here turns into a 400.
//!
//! [rsipstack]: https://github.com/restsend/rsipstack

pub mod allow;
mod inbound;
mod outbound;
pub mod sdp;

pub use allow::{AllowList, BadCidr, Cidr};
pub use outbound::OutboundTrunk;
pub use sdp::{AudioOffer, Direction, OfferError};

use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Header, StatusCode, Uri};
use rsipstack::transport::{TcpListenerConnection, TransportLayer, udp::UdpConnection};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// A port no TCP socket holds right now (the kernel's own pick), or 0 if
/// none can be had (UDP then picks, as before).
fn port_free_for_tcp(ip: std::net::IpAddr) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|listener| listener.local_addr())
        .map_or(0, |addr| addr.port())
}

/// How the trunk listens and whom it believes.
#[derive(Debug, Clone)]
pub struct TrunkConfig {
    /// UDP and TCP, on the same address (`--sip-listen`).
    pub listen: SocketAddr,
    /// What goes in Contact and in the SDP `c=` line (`--sip-public-addr`):
    /// the address the carrier reaches, when NAT or a load balancer sits in
    /// front. Defaults to `listen`.
    pub public_addr: Option<SocketAddr>,
    /// Source addresses the carrier sends from (`--trunk-allow`).
    pub allow: AllowList,
    /// Calls in progress at most; past it INVITEs get 503.
    pub max_calls: usize,
    /// Where Ringback's own INVITEs go (the forwarding phone); `None`: it
    /// dials nothing.
    pub outbound: Option<OutboundTrunk>,
}

impl TrunkConfig {
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            public_addr: None,
            allow: AllowList::loopback(),
            max_calls: 1000,
            outbound: None,
        }
    }
}

/// A call the carrier offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundInvite {
    /// The SIP Call-ID: the carrier's id for this call.
    pub call_id: String,
    /// The number dialled: the Request-URI user, else the To user, as sent
    /// (`+14155550100` or `14155550100`: carriers differ).
    pub dialed: String,
    /// The caller: P-Asserted-Identity when present, else From.
    pub caller: String,
    pub offer: AudioOffer,
    pub source: SocketAddr,
}

/// The application's answer to an INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteDecision {
    /// It rings (180); [`Trunk::answer`] or [`Trunk::hang_up`] follows.
    Ring,
    /// Refused with this final status, e.g. 404 (no such dialer number),
    /// 480 (nothing can take it), 503 (no capacity).
    Refuse { status: u16 },
}

/// A phone to dial through the trunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneDial {
    /// The number to ring (the rep's forwarding phone).
    pub to: String,
    /// The caller ID it shows: the prospect's number, or the dialer number
    /// for carriers that only let their own numbers out.
    pub from: String,
    /// Where Ringback receives the phone's RTP (the SDP offer's address).
    pub local_rtp: SocketAddr,
}

/// Why a call ended from the carrier's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// CANCEL before it was answered.
    Cancelled,
    /// BYE.
    HungUp,
    /// The dialog failed (no ACK, transport error).
    Failed,
}

/// What the trunk tells the application.
#[derive(Debug)]
pub enum TrunkEvent {
    Invite {
        invite: InboundInvite,
        decide: oneshot::Sender<InviteDecision>,
    },
    Ended {
        call_id: String,
        reason: EndReason,
    },
    /// The phone dialled as `key` rings (its first 180 or 183).
    PhoneRinging {
        key: String,
    },
    /// The phone dialled as `key` answered; its SDP says where its audio is.
    PhoneAnswered {
        key: String,
        answer: AudioOffer,
    },
    /// The phone refused (486 busy, 480, 603) or could not be reached.
    PhoneFailed {
        key: String,
        status: u16,
    },
    /// The phone that answered hung up (BYE).
    PhoneHungUp {
        key: String,
    },
}

/// Why the trunk could not start, or a call could not be driven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SipError {
    #[error(
        "SIP could not listen on {addr}: {source}; is another SIP server using it? (--sip-listen)"
    )]
    Listen {
        addr: SocketAddr,
        #[source]
        source: Box<rsipstack::Error>,
    },
    #[error("no such call on the trunk")]
    NoSuchCall,
    #[error("no --trunk-uri is set, so Ringback cannot dial the forwarding phone")]
    NoOutboundTrunk,
    #[error("SIP: {0}")]
    Stack(Box<rsipstack::Error>),
    #[error("SIP: {0}")]
    Message(Box<rsipstack::sip::Error>),
}

impl From<rsipstack::Error> for SipError {
    fn from(error: rsipstack::Error) -> Self {
        Self::Stack(Box::new(error))
    }
}

impl From<rsipstack::sip::Error> for SipError {
    fn from(error: rsipstack::sip::Error) -> Self {
        Self::Message(Box::new(error))
    }
}

/// The running trunk. Cheap to clone.
#[derive(Clone)]
pub struct Trunk {
    inner: Arc<Inner>,
}

struct Inner {
    dialogs: Arc<DialogLayer>,
    calls: Mutex<HashMap<String, TrunkCall>>,
    /// Phones being dialled or talking, by the application's key.
    phones: Mutex<HashMap<String, outbound::PhoneCall>>,
    events: mpsc::Sender<TrunkEvent>,
    config: TrunkConfig,
    /// The UDP address actually bound (port 0 resolved).
    local: SocketAddr,
    contact: Uri,
    cancel: CancellationToken,
}

/// One call's SIP side.
struct TrunkCall {
    dialog: InviteDialog,
    offer: AudioOffer,
    /// The RTP address the answer gave, kept for re-INVITEs.
    local_rtp: Option<SocketAddr>,
    /// Bumped for every answer sent (the SDP `o=` version).
    sdp_version: u64,
}

/// Events queued for the application before the trunk pushes back.
const EVENT_QUEUE: usize = 1024;

impl Trunk {
    /// Listens on UDP and TCP and starts answering. Events arrive on the
    /// returned receiver; when it is dropped, INVITEs get 503.
    pub async fn start(
        config: TrunkConfig,
    ) -> Result<(Self, mpsc::Receiver<TrunkEvent>), SipError> {
        let cancel = CancellationToken::new();
        let listen_error = |source| SipError::Listen {
            addr: config.listen,
            source: Box::new(source),
        };
        let transports = TransportLayer::new(cancel.child_token());
        // rsipstack binds TCP later, in a background task that only logs a
        // failure. With port 0, a port the kernel picked for UDP can be taken
        // by a TCP socket (any client connection's ephemeral port), and
        // calls over TCP would then find nobody listening: pick the port
        // from TCP's side, then take it for UDP too.
        let mut udp = None;
        if config.listen.port() == 0 {
            // A few tries: the port TCP offers may be UDP's already.
            for _ in 0..8 {
                let port = port_free_for_tcp(config.listen.ip());
                if port == 0 {
                    break;
                }
                let listen = SocketAddr::new(config.listen.ip(), port);
                if let Ok(connection) = UdpConnection::create_connection(
                    listen,
                    config.public_addr,
                    Some(cancel.child_token()),
                )
                .await
                {
                    udp = Some(connection);
                    break;
                }
            }
        }
        let udp = match udp {
            Some(udp) => udp,
            None => UdpConnection::create_connection(
                config.listen,
                config.public_addr,
                Some(cancel.child_token()),
            )
            .await
            .map_err(listen_error)?,
        };
        let local = udp.get_addr().get_socketaddr().map_err(listen_error)?;
        transports.add_transport(udp.into());
        // TCP on the port UDP got (the same one, when --sip-listen names it).
        let tcp_addr = SocketAddr::new(config.listen.ip(), local.port());
        let tcp = TcpListenerConnection::new(tcp_addr, config.public_addr)
            .await
            .map_err(listen_error)?;
        transports.add_transport(tcp.into());
        let endpoint = EndpointBuilder::new()
            .with_user_agent("Ringback")
            .with_cancel_token(cancel.child_token())
            .with_transport_layer(transports)
            .build();
        let incoming = endpoint.incoming_transactions()?;
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let public = config.public_addr.unwrap_or(local);
        let contact = Uri::try_from(format!("sip:ringback@{public}").as_str())?;
        let (events, receiver) = mpsc::channel(EVENT_QUEUE);
        let inner = Arc::new(Inner {
            dialogs,
            calls: Mutex::new(HashMap::new()),
            phones: Mutex::new(HashMap::new()),
            events: events.clone(),
            config,
            local,
            contact,
            cancel: cancel.clone(),
        });
        let serving = endpoint.inner.clone();
        tokio::spawn(async move { serving.serve().await });
        tokio::spawn(inbound::run(inner.clone(), incoming, events));
        tracing::info!(%local, "SIP trunk listening (UDP and TCP)");
        Ok((Self { inner }, receiver))
    }

    /// The UDP (and TCP) address the trunk listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// Answers the caller (200 OK with SDP): the browser, the phone or
    /// voicemail has taken the call, and audio flows from `local_rtp`.
    pub fn answer(&self, call_id: &str, local_rtp: SocketAddr) -> Result<(), SipError> {
        let mut calls = self.inner.lock();
        let call = calls.get_mut(call_id).ok_or(SipError::NoSuchCall)?;
        call.local_rtp = Some(local_rtp);
        call.sdp_version += 1;
        let body = sdp::answer(
            &call.offer,
            local_rtp,
            self.inner.sdp_ip(local_rtp),
            call.sdp_version,
        );
        call.dialog.accept(
            Some(vec![Header::ContentType("application/sdp".into())]),
            Some(body.into_bytes()),
        )?;
        Ok(())
    }

    /// Holds the carrier's caller (a re-INVITE offering `sendonly`) or takes
    /// them off hold (`sendrecv`). Only an answered call can be held.
    pub fn hold(&self, call_id: &str, held: bool) -> Result<(), SipError> {
        let (dialog, body) = {
            let mut calls = self.inner.lock();
            let call = calls.get_mut(call_id).ok_or(SipError::NoSuchCall)?;
            let local_rtp = call.local_rtp.ok_or(SipError::NoSuchCall)?;
            call.sdp_version += 1;
            let body = sdp::reoffer(
                local_rtp,
                self.inner.sdp_ip(local_rtp),
                call.offer.telephone_event,
                held,
                call.sdp_version,
            );
            (call.dialog.clone(), body)
        };
        reinvite(dialog, body, held);
        Ok(())
    }

    /// [`Self::hold`] for a party Ringback dialled as `key`.
    pub fn hold_dial(&self, key: &str, held: bool) -> Result<(), SipError> {
        let (dialog, body) = {
            let mut phones = self.inner.phones();
            let call = phones.get_mut(key).ok_or(SipError::NoSuchCall)?;
            call.sdp_version += 1;
            let body = sdp::reoffer(
                call.local_rtp,
                self.inner.sdp_ip(call.local_rtp),
                Some(sdp::OWN_TELEPHONE_EVENT),
                held,
                call.sdp_version,
            );
            (call.dialog.clone(), body)
        };
        reinvite(dialog, body, held);
        Ok(())
    }

    /// Ends the call from Ringback's side: BYE once answered, or 480 while it
    /// still rings. A call the carrier already ended is left alone.
    pub fn hang_up(&self, call_id: &str) {
        let Some(call) = self.inner.lock().remove(call_id) else {
            return;
        };
        if call.local_rtp.is_some() {
            let dialog = call.dialog;
            tokio::spawn(async move {
                if let Err(error) = dialog.bye().await {
                    tracing::debug!(%error, "BYE to the carrier failed");
                }
            });
        } else if let Err(error) = call
            .dialog
            .reject(Some(StatusCode::TemporarilyUnavailable), None)
        {
            tracing::debug!(%error, "refusing the carrier's call failed");
        }
    }

    /// Rings a phone through `--trunk-uri`. What happens arrives as
    /// [`TrunkEvent::PhoneRinging`], [`TrunkEvent::PhoneAnswered`],
    /// [`TrunkEvent::PhoneFailed`] and [`TrunkEvent::PhoneHungUp`] carrying `key`.
    pub fn dial(&self, key: &str, request: PhoneDial) -> Result<(), SipError> {
        outbound::dial(&self.inner, &self.inner.events, key.to_owned(), request)
    }

    /// Stops ringing the phone dialled as `key` (CANCEL), or hangs it up (BYE).
    pub fn stop_dial(&self, key: &str) {
        outbound::stop(&self.inner, key);
    }

    /// Whether `--trunk-uri` is set.
    pub fn can_dial(&self) -> bool {
        self.inner.config.outbound.is_some()
    }

    /// Calls the trunk is carrying now.
    pub fn call_count(&self) -> usize {
        self.inner.lock().len()
    }

    /// Stops listening; calls in progress are not told.
    pub fn shutdown(&self) {
        self.inner.cancel.cancel();
    }
}

impl Inner {
    fn phones(&self) -> std::sync::MutexGuard<'_, HashMap<String, outbound::PhoneCall>> {
        self.phones.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, TrunkCall>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The address the SDP announces: the public one, else where RTP is bound.
    fn sdp_ip(&self, local_rtp: SocketAddr) -> IpAddr {
        self.config
            .public_addr
            .map_or(local_rtp.ip(), |public| public.ip())
    }
}

/// Sends a hold (or resume) re-INVITE on its own task. A refusal leaves the
/// call as it was on the wire; Ringback's audio is held either way.
fn reinvite(dialog: InviteDialog, body: String, held: bool) {
    tokio::spawn(async move {
        let headers = Some(vec![Header::ContentType("application/sdp".into())]);
        match dialog.reinvite(headers, Some(body.into_bytes())).await {
            Ok(Some(response)) if response.status_code == StatusCode::OK => {}
            Ok(Some(response)) => {
                tracing::info!(held, status = %response.status_code, "the far end refused the hold re-INVITE")
            }
            Ok(None) => tracing::debug!(held, "no re-INVITE: the dialog is not confirmed"),
            Err(error) => tracing::warn!(held, %error, "the hold re-INVITE failed"),
        }
    });
}
