//! The UAS: every transaction the carrier starts comes through [`run`].

use crate::sdp::{self, AudioOffer, OfferError};
use crate::{EndReason, InboundInvite, Inner, InviteDecision, TrunkCall, TrunkEvent};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Method, Request, StatusCode, Uri};
use rsipstack::transaction::{Transaction, TransactionReceiver};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long the application may take to route an INVITE before it is
/// refused 500 (it reads the database, so normally milliseconds).
const DECISION_PATIENCE: Duration = Duration::from_secs(5);

/// Call-IDs longer than this are refused (RFC 3261 sets no limit; carriers
/// send under 100 characters).
const MAX_CALL_ID: usize = 256;

pub(crate) async fn run(
    inner: Arc<Inner>,
    mut incoming: TransactionReceiver,
    events: mpsc::Sender<TrunkEvent>,
) {
    let (states, state_rx) = inner.dialogs.new_dialog_state_channel();
    tokio::spawn(dialog_states(inner.clone(), state_rx, events.clone()));
    loop {
        let mut tx = tokio::select! {
            tx = incoming.recv() => match tx {
                Some(tx) => tx,
                None => return,
            },
            () = inner.cancel.cancelled() => return,
        };
        let source = source_of(&tx.original);
        if !source.is_some_and(|s| inner.config.allow.allows(s.ip())) {
            tracing::warn!(?source, method = %tx.original.method, "SIP from outside --trunk-allow refused");
            reply(&mut tx, StatusCode::Forbidden).await;
            continue;
        }
        let in_dialog = tx
            .original
            .to_header()
            .ok()
            .and_then(|to| to.tag().ok().flatten())
            .is_some();
        if in_dialog {
            match inner.dialogs.match_dialog(&tx) {
                Some(mut dialog) => {
                    tokio::spawn(async move {
                        if let Err(error) = dialog.handle(&mut tx).await {
                            tracing::debug!(%error, "in-dialog request failed");
                        }
                    });
                }
                None => reply(&mut tx, StatusCode::CallTransactionDoesNotExist).await,
            }
            continue;
        }
        match tx.original.method {
            Method::Invite => {
                let inner = inner.clone();
                let states = states.clone();
                let events = events.clone();
                tokio::spawn(async move { invite(inner, tx, source, states, events).await });
            }
            // Carriers probe a trunk with OPTIONS; 200 says it is up.
            Method::Options => {
                let allow = Header::Allow("INVITE, ACK, CANCEL, BYE, OPTIONS, INFO".into());
                if let Err(error) = tx.reply_with(StatusCode::OK, vec![allow], None).await {
                    tracing::debug!(%error, "answering OPTIONS failed");
                }
            }
            // ACK and CANCEL never get here (their transactions take them).
            Method::Bye => reply(&mut tx, StatusCode::CallTransactionDoesNotExist).await,
            _ => reply(&mut tx, StatusCode::MethodNotAllowed).await,
        }
    }
}

async fn reply(tx: &mut Transaction, status: StatusCode) {
    if let Err(error) = tx.reply(status).await {
        tracing::debug!(%error, "a SIP reply failed");
    }
}

/// Where a request came from: the top Via's `received` (which the stack adds
/// whenever the packet's source differs from what the Via claims) or its
/// sent-by, with `rport`.
fn source_of(request: &Request) -> Option<SocketAddr> {
    let via = request.via_header().ok()?.typed().ok()?;
    let ip = match via.received() {
        Some(received) => received.ok()?,
        None => via.uri.host_with_port.host.to_string().parse().ok()?,
    };
    let port = via
        .rport()
        .flatten()
        .or_else(|| via.uri.host_with_port.port.map(|p| p.value()))
        .unwrap_or(5060);
    Some(SocketAddr::new(ip, port))
}

/// The user part of a SIP or tel URI, without user parameters (`;npdi`).
fn user_of(uri: &Uri) -> Option<String> {
    let user = uri.user()?;
    let user = user.split(';').next().unwrap_or(user).trim();
    (!user.is_empty() && user.len() <= 64).then(|| user.to_owned())
}

/// The caller: P-Asserted-Identity's URI when present, else From's.
fn caller_of(request: &Request) -> Option<String> {
    let asserted = request
        .header_value("P-Asserted-Identity")
        .and_then(|value| {
            let inside = value
                .split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .map_or(value.as_str(), |(uri, _)| uri);
            Uri::try_from(inside.trim()).ok()
        })
        .and_then(|uri| user_of(&uri));
    asserted.or_else(|| {
        let from = request.from_header().ok()?.typed().ok()?;
        user_of(&from.uri)
    })
}

fn dialed_of(request: &Request) -> Option<String> {
    user_of(&request.uri).or_else(|| {
        let to = request.to_header().ok()?.typed().ok()?;
        user_of(&to.uri)
    })
}

/// A body cut short (UDP datagrams over the stack's 8 KB buffer are
/// truncated) or padded is not the message that was sent.
fn body_is_whole(request: &Request) -> bool {
    match request
        .header_value("Content-Length")
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(declared) => declared == request.body.len(),
        None => true,
    }
}

async fn invite(
    inner: Arc<Inner>,
    mut tx: Transaction,
    source: Option<SocketAddr>,
    states: rsipstack::dialog::dialog::DialogStateSender,
    events: mpsc::Sender<TrunkEvent>,
) {
    let request = &tx.original;
    let call_id = request
        .call_id_header()
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let (dialed, caller) = (dialed_of(request), caller_of(request));
    let (Some(dialed), Some(source)) = (dialed, source) else {
        return reply(&mut tx, StatusCode::BadRequest).await;
    };
    if call_id.is_empty() || call_id.len() > MAX_CALL_ID || !body_is_whole(request) {
        return reply(&mut tx, StatusCode::BadRequest).await;
    }
    let body = String::from_utf8_lossy(&request.body);
    let offer = match sdp::parse_offer(&body) {
        Ok(offer) => offer,
        Err(error) => {
            tracing::info!(%call_id, %error, "INVITE refused: its offer cannot be answered");
            let status = match error {
                OfferError::TooLarge(_) => StatusCode::BadRequest,
                _ => StatusCode::NotAcceptableHere,
            };
            return reply(&mut tx, status).await;
        }
    };
    if inner.lock().len() >= inner.config.max_calls {
        return reply(&mut tx, StatusCode::ServiceUnavailable).await;
    }
    let dialog = match inner.dialogs.get_or_create_server_invite(
        &tx,
        states,
        None,
        Some(inner.contact.clone()),
    ) {
        Ok(dialog) => dialog,
        Err(error) => {
            tracing::debug!(%error, "no dialog for an INVITE");
            return reply(&mut tx, StatusCode::BadRequest).await;
        }
    };
    // The dialog's handler sends 100 Trying, then every response queued on
    // the dialog, and answers CANCEL (487) for us.
    let mut handler = dialog.clone();
    tokio::spawn(async move {
        if let Err(error) = handler.handle(&mut tx).await {
            tracing::debug!(%error, "INVITE transaction ended with an error");
        }
    });
    // Known before the application hears of it: routing may answer at once
    // (a call that can only go to voicemail).
    inner.lock().insert(
        call_id.clone(),
        TrunkCall {
            dialog: dialog.clone(),
            offer: offer.clone(),
            local_rtp: None,
            sdp_version: 0,
        },
    );
    let (decide, decision) = oneshot::channel();
    let invite = InboundInvite {
        call_id: call_id.clone(),
        dialed,
        caller: caller.unwrap_or_else(|| "anonymous".into()),
        offer,
        source,
    };
    let decision = match events.try_send(TrunkEvent::Invite { invite, decide }) {
        Ok(()) => tokio::time::timeout(DECISION_PATIENCE, decision)
            .await
            .ok()
            .and_then(Result::ok),
        Err(_) => None,
    };
    let answered = inner
        .lock()
        .get(&call_id)
        .is_some_and(|call| call.local_rtp.is_some());
    match decision {
        Some(InviteDecision::Ring) if !answered => {
            if let Err(error) = dialog.ringing(None, None) {
                tracing::debug!(%error, "180 Ringing not sent");
            }
        }
        Some(InviteDecision::Ring) => {}
        Some(InviteDecision::Refuse { status }) => {
            inner.lock().remove(&call_id);
            let _ = dialog.reject(Some(StatusCode::from(status)), None);
        }
        None => {
            tracing::error!(%call_id, "the call was not routed in time; refusing it");
            inner.lock().remove(&call_id);
            let _ = dialog.reject(Some(StatusCode::ServiceUnavailable), None);
        }
    }
}

/// Every dialog's news: hang-ups, re-INVITEs and the like.
async fn dialog_states(
    inner: Arc<Inner>,
    mut states: DialogStateReceiver,
    events: mpsc::Sender<TrunkEvent>,
) {
    while let Some(state) = states.recv().await {
        match state {
            DialogState::Updated(id, request, handle) => {
                // Hold, unhold, session refresh: answer the new offer from
                // the same RTP port, in the mirror direction.
                let reoffer = sdp::parse_offer(&String::from_utf8_lossy(&request.body));
                let answer = {
                    let mut calls = inner.lock();
                    calls.get_mut(&id.call_id).and_then(|call| {
                        let local = call.local_rtp?;
                        let offer: AudioOffer = match &reoffer {
                            Ok(offer) => offer.clone(),
                            // A refresh without SDP keeps the session as it was.
                            Err(_) if request.body.is_empty() => call.offer.clone(),
                            Err(_) => return None,
                        };
                        call.offer = offer.clone();
                        call.sdp_version += 1;
                        Some(sdp::answer(
                            &offer,
                            local,
                            inner.sdp_ip(local),
                            call.sdp_version,
                        ))
                    })
                };
                let sent = match answer {
                    Some(body) => {
                        handle
                            .respond(
                                StatusCode::OK,
                                Some(vec![Header::ContentType("application/sdp".into())]),
                                Some(body.into_bytes()),
                            )
                            .await
                    }
                    None => handle.reply(StatusCode::NotAcceptableHere).await,
                };
                if let Err(error) = sent {
                    tracing::debug!(%error, "answering a re-INVITE failed");
                }
            }
            DialogState::Info(_, _, handle)
            | DialogState::Options(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Message(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::NotImplemented).await;
            }
            DialogState::Terminated(id, reason) => {
                // The library keeps confirmed dialogs forever unless removed.
                inner.dialogs.remove_dialog(&id);
                let ours = inner.lock().remove(&id.call_id).is_some();
                if ours {
                    let reason = match reason {
                        TerminatedReason::UacCancel => EndReason::Cancelled,
                        TerminatedReason::UacBye => EndReason::HungUp,
                        _ => EndReason::Failed,
                    };
                    let _ = events
                        .send(TrunkEvent::Ended {
                            call_id: id.call_id,
                            reason,
                        })
                        .await;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsipstack::sip::SipMessage;

    fn request(text: &str) -> Request {
        match SipMessage::try_from(text.replace('\n', "\r\n").as_str()) {
            Ok(SipMessage::Request(request)) => request,
            other => panic!("not a request: {other:?}"),
        }
    }

    const INVITE: &str = "INVITE sip:+14155550100;npdi@ringback.example SIP/2.0
Via: SIP/2.0/UDP 54.172.60.1:5060;branch=z9hG4bK776;rport
From: \"Ada\" <sip:+14155550111@pstn.twilio.com>;tag=1
To: <sip:+14155550100@ringback.example>
Call-ID: abc@54.172.60.1
CSeq: 1 INVITE
P-Asserted-Identity: \"Ada\" <sip:+14155550999@pstn.twilio.com>
Content-Length: 0

";

    #[test]
    fn numbers_come_from_the_request_uri_and_the_asserted_identity() {
        let invite = request(INVITE);
        assert_eq!(dialed_of(&invite).as_deref(), Some("+14155550100"));
        assert_eq!(caller_of(&invite).as_deref(), Some("+14155550999"));
        assert_eq!(
            source_of(&invite),
            Some("54.172.60.1:5060".parse().expect("addr"))
        );
        let plain = request(&INVITE.replace(
            "P-Asserted-Identity: \"Ada\" <sip:+14155550999@pstn.twilio.com>\n",
            "",
        ));
        assert_eq!(caller_of(&plain).as_deref(), Some("+14155550111"));
        assert!(body_is_whole(&plain));
        let cut = request(&INVITE.replace("Content-Length: 0", "Content-Length: 900"));
        assert!(!body_is_whole(&cut));
    }
}
