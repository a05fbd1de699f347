//! Routing a carrier's inbound call to a rep, and ringing it.

use super::{CallerOrigin, LiveCall, LiveEntry, TrunkSide, WITHHELD};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{NewCall, StoreError};
use calls::{Call, Event, RingRequest};
use protocol::api::{CarrierInbound, CarrierInboundResponse};
use protocol::signal::IncomingCall;
use protocol::{CallId, LegState, PersonSnapshot, PhoneNumber, RepId};
use std::sync::Arc;

impl AppState {
    /// A call arrives from the carrier: route it (rules 1 and 2) and ring.
    /// A retried webhook (same carrier call id) returns the existing call.
    pub async fn inbound_call(
        &self,
        request: &CarrierInbound,
        origin: CallerOrigin,
    ) -> Result<CarrierInboundResponse, AppError> {
        let carrier_call_id = request.carrier_call_id.trim();
        if carrier_call_id.is_empty() || carrier_call_id.chars().count() > 128 {
            return Err(AppError::Validation(
                "carrier_call_id must be 1 to 128 characters".into(),
            ));
        }
        let to = PhoneNumber::parse(&request.to, 1)
            .map_err(|e| AppError::Validation(format!("to: {e}")))?;
        let store = self.store();
        if let Some(call) = store.call_by_carrier_id(carrier_call_id).await? {
            return self.existing_route(call.id, call.rep).await;
        }
        let rep = store
            .rep_for_dialer_number(to.as_str())
            .await?
            .ok_or_else(|| AppError::Validation(format!("no rep has the dialer number {to}")))?;
        let region = crate::phone::team_region(store, rep.team_id).await?;
        // A carrier's call with no readable caller (withheld, "anonymous")
        // still rings, as an unknown caller; a webhook must send a number.
        let from = match crate::phone::parse(&request.from, region) {
            Ok(number) => Some(number),
            Err(_) if matches!(origin, CallerOrigin::Trunk { .. }) => None,
            Err(e) => return Err(AppError::Validation(format!("from: {e}"))),
        };
        // Several of the rep's People may share the number: the most likely
        // rings (and opens on Accept), the others ride along for the panel.
        let mut people = match &from {
            Some(number) => store.people_by_phone(rep.rep_id, number.as_str()).await?,
            None => Vec::new(),
        };
        let person = (!people.is_empty()).then(|| people.remove(0));
        let also: Vec<PersonSnapshot> = match &from {
            Some(number) => people
                .iter()
                .map(|other| calls::caller_snapshot(number, Some(other)))
                .collect(),
            None => Vec::new(),
        };
        let snapshot = match &from {
            Some(number) => calls::caller_snapshot(number, person.as_ref()),
            None => protocol::PersonSnapshot {
                id: None,
                name: None,
                title: None,
                account: None,
                crm_url: None,
                number: WITHHELD.to_owned(),
            },
        };
        let from = from.map_or_else(|| WITHHELD.to_owned(), |n| n.as_str().to_owned());
        let (settings, availability) = store.ring_settings(rep.rep_id).await?;

        let ring = RingRequest {
            inbound_enabled: settings.inbound_enabled,
            custom_caller_id_set: settings.custom_caller_id.is_some(),
            browser: self.browser_presence(rep.rep_id).await,
            availability,
            forwarding_number: settings.forwarding_number.clone(),
            no_answer_action: settings.no_answer_action,
            ring_timeout_ms: i64::from(settings.ring_timeout_secs) * 1000,
            max_call_ms: i64::try_from(self.config().max_call.as_millis()).unwrap_or(i64::MAX),
        };
        let (machine, actions) = Call::ring(&ring, self.now());
        let new_call = NewCall {
            rep_id: rep.rep_id,
            carrier_call_id,
            from: &from,
            to: to.as_str(),
            person: &snapshot,
            call: &machine,
            owner: self.cluster().instance(),
        };
        let id = match store.insert_call(&new_call).await {
            Ok(id) => id,
            // Two deliveries of one webhook raced; the other created the call.
            Err(StoreError::Conflict(_)) => {
                match store.call_by_carrier_id(carrier_call_id).await? {
                    Some(call) => return self.existing_route(call.id, call.rep).await,
                    None => {
                        return Err(AppError::Conflict(
                            "the call was created and removed meanwhile".into(),
                        ));
                    }
                }
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(call = %id, rep = %rep.rep_id, from = %from, known = person.is_some(), "inbound call");

        let response = CarrierInboundResponse {
            call_id: id,
            ring_browser: machine.browser_leg() == LegState::Ringing,
            ring_phone: settings
                .forwarding_number
                .filter(|_| machine.phone_leg() == LegState::Ringing),
            ring_deadline: machine.ring_deadline(),
            outcome: machine.outcome(),
        };
        // The caller's RTP port is open before anything answers, so the
        // 200 OK can name it; no port free means no call (SIP 503).
        let trunk = match origin {
            CallerOrigin::Webhook => None,
            CallerOrigin::Trunk { sip_call_id, peer } => {
                match self.media().trunk_caller(id, peer).await {
                    Ok(local_rtp) => Some(TrunkSide {
                        sip_call_id,
                        local_rtp,
                        answered: false,
                    }),
                    Err(error) => {
                        tracing::warn!(call = %id, %error, "no RTP port for a trunk call; refusing it");
                        let mut ended = machine.clone();
                        ended.handle(Event::CallerHungUp, self.now()).ok();
                        store.save_call(id, &ended, 0).await?;
                        return Err(AppError::Busy {
                            message: "no RTP port is free for the call; widen --rtp-ports",
                            retry_after_secs: 5,
                        });
                    }
                }
            }
        };
        // Reachable by the other instances before anything rings: an Accept
        // from a socket elsewhere must find the call. Without the bus the
        // call still rings here.
        let link = match self.own_call(id).await {
            Ok(link) => Some(Arc::new(link)),
            Err(error) => {
                tracing::error!(call = %id, %error, "the call cannot be reached from other instances");
                None
            }
        };
        // The browser's audio leg exists before the ring, so the offer rides on it.
        let offer = if machine.rings_in_browser() {
            match self.media().offer(id).await {
                Ok(sdp) => Some(sdp),
                Err(error) => {
                    tracing::warn!(call = %id, %error, "no call audio for this ring");
                    None
                }
            }
        } else {
            None
        };
        let live = LiveCall {
            id,
            rep: rep.rep_id,
            carrier_call_id: carrier_call_id.to_owned(),
            trunk,
            incoming: IncomingCall {
                call_id: id,
                person: snapshot,
                to: to.to_string(),
                started_at: machine.started_at(),
                ring_deadline: machine.ring_deadline(),
                offer,
                also,
            },
            machine,
            version: 0,
        };
        let cell = Arc::new(tokio::sync::Mutex::new(live));
        // Locked before it is published, so no event can overtake the ring.
        let mut guard = cell.clone().lock_owned().await;
        self.exchange().lock().insert(
            id,
            LiveEntry {
                rep: rep.rep_id,
                call: cell,
                _link: link,
            },
        );
        // The call exists and rings whatever happens next: a failed voicemail
        // log is logged, not reported to the carrier as a failed call.
        let arrived = crate::timeline::arrival(
            &ring,
            guard.machine.rings_in_browser(),
            guard.machine.phone_leg() == LegState::Ringing,
            guard.machine.started_at(),
        );
        let _ = self.perform(&guard, actions, Some(arrived)).await;
        self.after_step(&mut guard);
        if guard.machine.next_deadline().is_some() {
            self.spawn_call_timer(id);
        }
        Ok(response)
    }

    async fn existing_route(
        &self,
        id: CallId,
        rep: RepId,
    ) -> Result<CarrierInboundResponse, AppError> {
        let view = self
            .store()
            .call_view(rep, id)
            .await?
            .ok_or(AppError::NotFound("call"))?;
        let settings = self.store().dialer_settings(rep).await?;
        Ok(CarrierInboundResponse {
            call_id: id,
            ring_browser: view.browser_leg == LegState::Ringing,
            ring_phone: settings
                .forwarding_number
                .filter(|_| view.phone_leg == LegState::Ringing),
            ring_deadline: view.ring_deadline,
            outcome: view.outcome,
        })
    }
}
