//! The UAC: Ringback dials the rep's forwarding phone through the carrier
//! (`--trunk-uri`), and stops dialling it when the browser wins.
//!
//! CANCEL and the 200 that crosses it are rsipstack's to get right: a 200
//! arriving after our CANCEL is ACKed and then BYE'd by the library, and the
//! dialog ends `Terminated(UacCancel)`, never confirmed; here such a 200 is
//! never reported as an answer.

use crate::sdp;
use crate::{Inner, PhoneDial, SipError, TrunkEvent};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, TerminatedReason};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, StatusCode, Uri};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;

/// Where outbound INVITEs go and how to authenticate to the carrier.
#[derive(Debug, Clone)]
pub struct OutboundTrunk {
    /// `sip:example.pstn.twilio.com` (or `sip:host:port`): its host and port
    /// take each call, whose user part is the number dialled.
    pub uri: String,
    /// For the carrier's digest challenge (`--trunk-username`/`--trunk-password`).
    pub username: Option<String>,
    pub password: Option<String>,
}

/// One phone being dialled.
pub(crate) struct PhoneCall {
    pub(crate) dialog: InviteDialog,
    /// The RTP address the offer gave, kept for re-INVITEs.
    pub(crate) local_rtp: std::net::SocketAddr,
    /// The `o=` version of the last SDP sent (the INVITE's is 1).
    pub(crate) sdp_version: u64,
    /// Set once Ringback stops the dial: a late 200 is not an answer.
    pub(crate) stopped: Arc<AtomicBool>,
}

/// Starts dialling; progress arrives as [`TrunkEvent`]s keyed by `key`.
pub(crate) fn dial(
    inner: &Arc<Inner>,
    events: &mpsc::Sender<TrunkEvent>,
    key: String,
    request: PhoneDial,
) -> Result<(), SipError> {
    let trunk = inner
        .config
        .outbound
        .as_ref()
        .ok_or(SipError::NoOutboundTrunk)?;
    let target = Uri::try_from(trunk.uri.as_str())?;
    let number = |n: &str| n.trim().to_owned();
    let callee =
        Uri::try_from(format!("sip:{}@{}", number(&request.to), target.host_with_port).as_str())?;
    let public = inner.config.public_addr.unwrap_or(inner.local);
    let caller = Uri::try_from(format!("sip:{}@{public}", number(&request.from)).as_str())?;
    let offer = sdp::offer(request.local_rtp, inner.sdp_ip(request.local_rtp));
    let credential = match (&trunk.username, &trunk.password) {
        (Some(username), Some(password)) => Some(Credential {
            username: username.clone(),
            password: password.clone(),
            realm: None,
            auth_username: None,
        }),
        _ => None,
    };
    let option = InviteOption {
        caller,
        callee,
        contact: inner.contact.clone(),
        content_type: Some("application/sdp".into()),
        offer: Some(offer.into_bytes()),
        credential,
        headers: Some(vec![Header::Other(
            "P-Asserted-Identity".into(),
            format!("<sip:{}@{public}>", number(&request.from)),
        )]),
        ..Default::default()
    };
    let (states, mut state_rx) = inner.dialogs.new_dialog_state_channel();
    let (dialog, answered) = inner.dialogs.do_invite_async(option, states)?;
    let stopped = Arc::new(AtomicBool::new(false));
    inner.phones().insert(
        key.clone(),
        PhoneCall {
            dialog: dialog.clone(),
            local_rtp: request.local_rtp,
            sdp_version: 1,
            stopped: stopped.clone(),
        },
    );

    // The final answer: 200 (with SDP) or a refusal.
    let (waiting, events_final, key_final) = (inner.clone(), events.clone(), key.clone());
    let stopped_final = stopped.clone();
    tokio::spawn(async move {
        let outcome = answered.await;
        let response = match outcome {
            Ok(Ok((_, response))) => response,
            Ok(Err(error)) => {
                tracing::info!(%error, "dialling the forwarding phone failed");
                None
            }
            Err(_) => None,
        };
        let status = response
            .as_ref()
            .map_or(503, |r| u16::from(r.status_code.clone()));
        let answer = response
            .as_ref()
            .filter(|r| r.status_code == StatusCode::OK)
            .and_then(|r| sdp::parse_offer(&String::from_utf8_lossy(&r.body)).ok());
        if stopped_final.load(Ordering::SeqCst) {
            return;
        }
        let event = match answer {
            Some(answer) if !dialog.state().is_terminated() => TrunkEvent::PhoneAnswered {
                key: key_final,
                answer,
            },
            _ => {
                forget(&waiting, &key_final, &stopped_final);
                TrunkEvent::PhoneFailed {
                    key: key_final,
                    status,
                }
            }
        };
        let _ = events_final.send(event).await;
    });

    // Its ringing (180/183, told once), and after the answer its hanging up.
    let (watching, events) = (inner.clone(), events.clone());
    tokio::spawn(async move {
        let mut told_ringing = false;
        while let Some(state) = state_rx.recv().await {
            if let DialogState::Early(..) = state {
                if !told_ringing && !stopped.load(Ordering::SeqCst) {
                    told_ringing = true;
                    let ringing = TrunkEvent::PhoneRinging { key: key.clone() };
                    let _ = events.send(ringing).await;
                }
                continue;
            }
            if let DialogState::Terminated(id, reason) = state {
                watching.dialogs.remove_dialog(&id);
                let ours = forget(&watching, &key, &stopped);
                let hung_up = matches!(reason, TerminatedReason::UasBye);
                if ours && hung_up && !stopped.load(Ordering::SeqCst) {
                    let _ = events.send(TrunkEvent::PhoneHungUp { key }).await;
                }
                return;
            }
        }
    });
    Ok(())
}

/// Forgets the dial under `key` if it is still this one (`stopped` is its
/// flag): a key is dialled again (a call moved to the phone after its ring
/// there stopped), and the old dial's end must not take the new one's place.
fn forget(inner: &Inner, key: &str, stopped: &Arc<AtomicBool>) -> bool {
    let mut phones = inner.phones();
    let ours = phones
        .get(key)
        .is_some_and(|call| Arc::ptr_eq(&call.stopped, stopped));
    if ours {
        phones.remove(key);
    }
    ours
}

/// Stops dialling (CANCEL), or hangs up a phone that answered (BYE).
pub(crate) fn stop(inner: &Inner, key: &str) {
    let Some(call) = inner.phones().remove(key) else {
        return;
    };
    call.stopped.store(true, Ordering::SeqCst);
    tokio::spawn(async move {
        if let Err(error) = call.dialog.hangup().await {
            tracing::debug!(%error, "stopping the phone leg failed");
        }
    });
}
