//! The SIP trunk's side of the exchange: an INVITE becomes a call routed by
//! the call rules, and the carrier's CANCEL or BYE ends it. (The exchange
//! answers and hangs up the carrier's leg itself; see `after_step`.)

use crate::exchange::CallerOrigin;
use crate::state::AppState;
use calls::Event;
use media::{MediaEvent, TrunkPeer};
use protocol::PhoneNumber;
use protocol::api::CarrierInbound;
use sip::{EndReason, InboundInvite, InviteDecision, TrunkEvent};
use tokio::sync::mpsc;

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
                        let _ = decide.send(invite_decision(&state, invite).await);
                    }
                    TrunkEvent::Ended { call_id, reason } => ended(&state, &call_id, reason).await,
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
                    if let Err(error) = state.carrier_event(call, Event::CallerHungUp).await {
                        tracing::debug!(%call, %error, "a lost caller's call was already over");
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
            // The caller's number cannot be read (withheld, or not a number).
            tracing::info!(caller = %invite.caller, %message, "SIP call refused");
            refuse(433)
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
        Ok(Some((id, _, _))) => id,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, "ending a SIP call failed");
            return;
        }
    };
    tracing::info!(%call, ?reason, "the carrier ended the call");
    if let Err(error) = state.carrier_event(call, Event::CallerHungUp).await {
        tracing::debug!(%call, %error, "the call was already over");
    }
}
