//! The SIP trunk's side of the exchange: an INVITE becomes a call routed by
//! the call rules, the carrier's CANCEL or BYE ends it, and the forwarding
//! phone is dialled through the trunk ([`SipPhoneLeg`]) and bridged to the
//! caller when it answers. (The exchange answers and hangs up the carrier's
//! leg itself; see `after_step`.)
//!
//! A call forwarded on no answer is over as far as the call rules go, but
//! its phone still rings: it is kept in `AppState::forwarded` until the
//! phone answers (then bridged), fails, or either side hangs up.

use crate::exchange::{CallerOrigin, EventError};
use crate::outbound::{DialSipNews, PhoneMoveNews, dial_of, phone_move_of};
use crate::phone_leg::{PhoneCall, PhoneCommand, PhoneLeg, PhoneNews, WebhookPhoneLeg};
use crate::state::AppState;
use crate::timeline::By;
use calls::Event;
use media::{MediaEngine, MediaEvent, TrunkPeer};
use protocol::api::CarrierInbound;
use protocol::{CallId, PhoneNumber};
use sip::{EndReason, InboundInvite, InviteDecision, PhoneDial, Trunk, TrunkEvent};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// A call forwarded over the trunk: its caller's dialog and RTP port.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub sip_call_id: String,
    pub local_rtp: SocketAddr,
}

/// What the phone leg reports, applied to the call by [`spawn_phone_news`].
pub type PhoneNewsSender = mpsc::UnboundedSender<(CallId, PhoneNews)>;

/// The key a call's phone leg is dialled under.
fn phone_key(call: CallId) -> String {
    format!("phone-{}", call.0)
}

fn call_of(key: &str) -> Option<CallId> {
    key.strip_prefix("phone-")?.parse().ok().map(CallId)
}

/// Which of Ringback's own INVITEs a SIP key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialled {
    /// A prospect the rep dialled.
    Prospect(CallId),
    /// The forwarding phone a call the rep dialled is moving to.
    MovePhone(CallId),
    /// The forwarding phone of an inbound call (ringing, forwarded or a move).
    ForwardingPhone(CallId),
}

impl Dialled {
    fn of(key: &str) -> Option<Self> {
        dial_of(key)
            .map(Self::Prospect)
            .or_else(|| phone_move_of(key).map(Self::MovePhone))
            .or_else(|| call_of(key).map(Self::ForwardingPhone))
    }
}

/// Which number the forwarding phone sees as caller ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhoneCallerId {
    /// The prospect's: the rep sees who calls.
    #[default]
    Prospect,
    /// The rep's dialer number, for carriers that only let their own out.
    Dialer,
}

/// The forwarding phone, dialled through the SIP trunk for calls that came
/// over it; other calls (the webhook carrier's) go to the webhook leg.
pub struct SipPhoneLeg {
    trunk: Trunk,
    media: MediaEngine,
    webhook: Arc<WebhookPhoneLeg>,
    caller_id: PhoneCallerId,
    news: PhoneNewsSender,
    /// Calls whose phone is about to be dialled (its RTP port is opening);
    /// a stop that comes meanwhile removes the call, and it is not dialled.
    pending: Arc<Mutex<HashSet<CallId>>>,
}

impl SipPhoneLeg {
    pub fn new(
        trunk: Trunk,
        media: MediaEngine,
        webhook: Arc<WebhookPhoneLeg>,
        caller_id: PhoneCallerId,
        news: PhoneNewsSender,
    ) -> Self {
        Self {
            trunk,
            media,
            webhook,
            caller_id,
            news,
            pending: Arc::default(),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashSet<CallId>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PhoneLeg for SipPhoneLeg {
    fn command(&self, call: &PhoneCall, command: PhoneCommand) {
        if !call.on_trunk {
            return self.webhook.command(call, command);
        }
        tracing::info!(call = %call.id, ?command, "phone leg (SIP)");
        let key = phone_key(call.id);
        match command {
            PhoneCommand::Ring { number } => {
                self.pending().insert(call.id);
                let from = match self.caller_id {
                    PhoneCallerId::Prospect => call.caller.clone(),
                    PhoneCallerId::Dialer => call.dialer.clone(),
                };
                let (trunk, media, news) =
                    (self.trunk.clone(), self.media.clone(), self.news.clone());
                let pending = self.pending.clone();
                let id = call.id;
                tokio::spawn(async move {
                    let opened = media.open_phone(id).await;
                    let still_wanted = pending
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                    let dialled = match opened {
                        Ok(local_rtp) if still_wanted => trunk
                            .dial(
                                &key,
                                PhoneDial {
                                    to: number,
                                    from,
                                    local_rtp,
                                },
                            )
                            .map_err(|e| e.to_string()),
                        Ok(_) => return media.close_phone(id),
                        Err(error) => Err(error.to_string()),
                    };
                    if let Err(error) = dialled {
                        tracing::warn!(call = %id, %error, "the forwarding phone could not be dialled");
                        media.close_phone(id);
                        let _ = news.send((id, PhoneNews::Failed));
                    }
                });
            }
            PhoneCommand::StopRinging | PhoneCommand::Release => {
                self.pending().remove(&call.id);
                self.trunk.stop_dial(&key);
                self.media.close_phone(call.id);
            }
            // The phone keeps ringing as the forward (see `Forwarded`);
            // voicemail follows a StopRinging.
            PhoneCommand::Forward { .. } | PhoneCommand::StartVoicemail => {}
        }
    }
}

/// Applies what the phone leg reports to its call; a forwarded call (over,
/// for the rules) is bridged or ended here.
pub fn spawn_phone_news(state: AppState, mut news: mpsc::UnboundedReceiver<(CallId, PhoneNews)>) {
    tokio::spawn(async move {
        while let Some((call, what)) = news.recv().await {
            phone_news(&state, call, what, None).await;
        }
    });
}

async fn phone_news(state: &AppState, call: CallId, what: PhoneNews, answer: Option<TrunkPeer>) {
    let event = match what {
        PhoneNews::Answered => Event::PhoneAnswered,
        PhoneNews::Failed => Event::PhoneFailed,
        PhoneNews::HungUp => Event::RepHungUp,
    };
    match state.carrier_event(call, event).await {
        Ok(()) => {
            if let Some(peer) = answer
                && let Err(error) = state.media().connect_phone(call, peer).await
            {
                tracing::warn!(%call, %error, "bridging the phone failed");
            }
        }
        Err(EventError::NotFound) => {
            let forwarded = state.forwarded().get(&call).cloned();
            let Some(forwarded) = forwarded else {
                // The call is over and was not forwarded: let the phone go.
                if what == PhoneNews::Answered {
                    stop_phone(state, call);
                }
                return;
            };
            match (what, answer) {
                (PhoneNews::Answered, Some(peer)) => {
                    tracing::info!(%call, "the forward was answered on the phone; bridging");
                    if let Err(error) = state.media().connect_phone(call, peer).await {
                        tracing::warn!(%call, %error, "bridging the forward failed");
                    }
                    if let Some(Err(error)) = state
                        .trunk()
                        .map(|t| t.answer(&forwarded.sip_call_id, forwarded.local_rtp))
                    {
                        tracing::warn!(%call, %error, "answering the forwarded caller failed");
                    }
                }
                _ => end_forward(state, call).await,
            }
        }
        // The browser won meanwhile: the phone that answered late is let go.
        Err(error) => {
            tracing::info!(%call, %error, "the phone's news came too late");
            if what == PhoneNews::Answered {
                stop_phone(state, call);
            }
        }
    }
}

fn stop_phone(state: &AppState, call: CallId) {
    if let Some(trunk) = state.trunk() {
        trunk.stop_dial(&phone_key(call));
    }
    state.media().close_phone(call);
}

/// A forwarded call is over: both legs are let go.
async fn end_forward(state: &AppState, call: CallId) {
    let Some(forwarded) = state.forwarded().remove(&call) else {
        return;
    };
    tracing::info!(%call, "the forwarded call ended");
    if let Some(trunk) = state.trunk() {
        trunk.stop_dial(&phone_key(call));
        trunk.hang_up(&forwarded.sip_call_id);
    }
    state.media().end(call).await;
}

/// How a SIP Call-ID becomes the call's carrier id (which the webhook path
/// fills with the carrier's own id): prefixed, and hashed when too long.
pub fn carrier_call_id(sip_call_id: &str) -> String {
    if sip_call_id.len() <= 120 {
        format!("sip:{sip_call_id}")
    } else {
        format!("sip#{}", crate::secrets::token_hash(sip_call_id))
    }
}

/// Handles what the trunk reports until it stops.
pub fn spawn(state: AppState, mut events: mpsc::Receiver<TrunkEvent>) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let state = state.clone();
            // Each call on its own task: one slow route does not hold up the next.
            tokio::spawn(async move {
                match event {
                    TrunkEvent::Invite { invite, decide } => {
                        let decision = invite_decision(&state, invite).await;
                        let metrics = state.metrics();
                        match decision {
                            InviteDecision::Ring => {
                                crate::metrics::Metrics::count(&metrics.sip_invites)
                            }
                            _ => crate::metrics::Metrics::count(&metrics.sip_invites_refused),
                        }
                        let _ = decide.send(decision);
                    }
                    TrunkEvent::Ended { call_id, reason } => ended(&state, &call_id, reason).await,
                    // Only a prospect's ringing matters: the phones ring for
                    // a call that rings (or is on) already.
                    TrunkEvent::PhoneRinging { key } => {
                        if let Some(Dialled::Prospect(call)) = Dialled::of(&key) {
                            state.dial_sip_news(call, DialSipNews::Ringing).await
                        }
                    }
                    TrunkEvent::PhoneAnswered { key, answer } => {
                        let peer = TrunkPeer {
                            rtp: answer.rtp,
                            telephone_event: answer.telephone_event,
                        };
                        match Dialled::of(&key) {
                            Some(Dialled::Prospect(call)) => {
                                state.dial_sip_news(call, DialSipNews::Answered(peer)).await
                            }
                            Some(Dialled::MovePhone(call)) => {
                                state
                                    .dial_phone_news(call, PhoneMoveNews::Answered(peer))
                                    .await
                            }
                            Some(Dialled::ForwardingPhone(call)) => {
                                phone_news(&state, call, PhoneNews::Answered, Some(peer)).await
                            }
                            None => {}
                        }
                    }
                    TrunkEvent::PhoneFailed { key, status } => match Dialled::of(&key) {
                        Some(Dialled::Prospect(call)) => {
                            state.dial_sip_news(call, DialSipNews::Failed(status)).await
                        }
                        Some(Dialled::MovePhone(call)) => {
                            state
                                .dial_phone_news(call, PhoneMoveNews::Failed(status))
                                .await
                        }
                        Some(Dialled::ForwardingPhone(call)) => {
                            tracing::info!(%call, status, "the forwarding phone did not take the call");
                            state.media().close_phone(call);
                            phone_news(&state, call, PhoneNews::Failed, None).await;
                        }
                        None => {}
                    },
                    TrunkEvent::PhoneHungUp { key } => match Dialled::of(&key) {
                        Some(Dialled::Prospect(call)) => {
                            state.dial_sip_news(call, DialSipNews::HungUp).await
                        }
                        Some(Dialled::MovePhone(call)) => {
                            state.dial_phone_news(call, PhoneMoveNews::HungUp).await
                        }
                        Some(Dialled::ForwardingPhone(call)) => {
                            phone_news(&state, call, PhoneNews::HungUp, None).await
                        }
                        None => {}
                    },
                }
            });
        }
    });
}

/// What media reports: a caller whose RTP stopped has hung up, as far as
/// the call rules are concerned.
pub fn spawn_media_events(state: AppState, mut events: mpsc::UnboundedReceiver<MediaEvent>) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                MediaEvent::CallerLost { call } => {
                    if let Err(error) = state
                        .call_event(call, Event::CallerHungUp, By::AudioLost)
                        .await
                    {
                        tracing::debug!(%call, %error, "a lost caller's call was already over");
                    }
                }
                // Nothing can bring the browser's audio back (ICE-lite, no
                // restart): the call ends as if the rep hung up.
                MediaEvent::BrowserLost { call } => {
                    if let Err(error) = state
                        .call_event(call, Event::RepHungUp, By::AudioLost)
                        .await
                    {
                        tracing::debug!(%call, %error, "a lost browser's call was already over");
                    }
                }
                other => tracing::debug!(?other, "media event"),
            }
        }
    });
}

async fn invite_decision(state: &AppState, invite: InboundInvite) -> InviteDecision {
    let refuse = |status| InviteDecision::Refuse { status };
    // Carriers send the dialer number with or without '+' (and Telnyx lets
    // the customer choose): try it as written, then as international.
    let mut dialed = None;
    for candidate in [
        invite.dialed.clone(),
        format!("+{}", invite.dialed.trim_start_matches('+')),
    ] {
        let Ok(number) = PhoneNumber::parse(&candidate, 1) else {
            continue;
        };
        match state.store().rep_for_dialer_number(number.as_str()).await {
            Ok(Some(_)) => {
                dialed = Some(number);
                break;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, "routing a SIP call failed");
                return refuse(500);
            }
        }
    }
    let Some(dialed) = dialed else {
        tracing::info!(dialed = %invite.dialed, "SIP call for no rep's dialer number");
        return refuse(404);
    };
    let request = CarrierInbound {
        from: invite.caller.clone(),
        to: dialed.to_string(),
        carrier_call_id: carrier_call_id(&invite.call_id),
    };
    let origin = CallerOrigin::Trunk {
        sip_call_id: invite.call_id.clone(),
        peer: TrunkPeer {
            rtp: invite.offer.rtp,
            telephone_event: invite.offer.telephone_event,
        },
    };
    match state.inbound_call(&request, origin).await {
        Ok(_) => InviteDecision::Ring,
        Err(crate::error::AppError::Validation(message)) => {
            tracing::info!(caller = %invite.caller, %message, "SIP call refused");
            refuse(400)
        }
        Err(crate::error::AppError::Busy { .. }) => refuse(503),
        Err(error) => {
            tracing::error!(%error, "a SIP call could not be set up");
            refuse(500)
        }
    }
}

async fn ended(state: &AppState, sip_call_id: &str, reason: EndReason) {
    let carrier_id = carrier_call_id(sip_call_id);
    let call = match state.store().call_by_carrier_id(&carrier_id).await {
        Ok(Some(call)) => call.id,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, "ending a SIP call failed");
            return;
        }
    };
    tracing::info!(%call, ?reason, "the carrier ended the call");
    match state.carrier_event(call, Event::CallerHungUp).await {
        Err(EventError::NotFound) => end_forward(state, call).await,
        Err(error) => tracing::debug!(%call, %error, "the call was already over"),
        Ok(()) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sip_key_names_one_kind_of_dial() {
        assert_eq!(Dialled::of("dial-7"), Some(Dialled::Prospect(CallId(7))));
        assert_eq!(Dialled::of("move-7"), Some(Dialled::MovePhone(CallId(7))));
        assert_eq!(
            Dialled::of("phone-7"),
            Some(Dialled::ForwardingPhone(CallId(7)))
        );
        // A dial's row key before its id is known, or anything else: none.
        assert_eq!(Dialled::of("dial-new-abc"), None);
        assert_eq!(Dialled::of("phone-"), None);
        assert_eq!(Dialled::of("sip:abc"), None);
    }
}
