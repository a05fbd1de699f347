//! The live calls: routes a carrier's inbound call to a rep, feeds events and
//! time into each call's state machine, and carries out the actions it returns
//! (signalling, phone leg, storage).
//!
//! Each live call sits behind its own async mutex, held while an event is
//! applied *and* its result is stored and sent, so two racing events on one
//! call (two browsers pressing Accept) are serialised while different calls
//! never wait for each other.

use crate::error::AppError;
use crate::phone_leg::{PhoneCall, PhoneCommand};
use crate::state::AppState;
use crate::store::{NewCall, StoreError};
use crate::timeline::{self, By, Cause, Note};
use calls::{Action, Answerer, Audience, Call, Event, Phase, Refusal, RingRequest};
use media::MediaError;
use media::TrunkPeer;
use media::audio::Clip;
use protocol::api::{CarrierInbound, CarrierInboundResponse, TimelineKind};
use protocol::signal::{IncomingCall, ServerMessage};
use protocol::{CallId, LegState, PersonSnapshot, PhoneNumber, RepId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What stands for the number of a caller who withheld it.
pub const WITHHELD: &str = "Withheld";

#[derive(Default)]
pub struct Exchange {
    live: Mutex<HashMap<CallId, LiveEntry>>,
}

#[derive(Clone)]
struct LiveEntry {
    /// Outside the lock, so "what rings for this rep" needs no call's lock.
    rep: RepId,
    call: Arc<tokio::sync::Mutex<LiveCall>>,
}

/// Where a call's caller is.
#[derive(Debug, Clone)]
pub enum CallerOrigin {
    /// The carrier webhook: the caller's audio is the stand-in's.
    Webhook,
    /// The SIP trunk: the caller is this dialog, its audio RTP from `peer`.
    Trunk {
        sip_call_id: String,
        peer: TrunkPeer,
    },
}

/// The SIP side of a call that came over the trunk.
struct TrunkSide {
    sip_call_id: String,
    /// Where the caller's RTP is received (for the 200 OK's SDP).
    local_rtp: SocketAddr,
    /// 200 OK sent: the browser, the phone or voicemail took the call.
    answered: bool,
}

struct LiveCall {
    id: CallId,
    rep: RepId,
    carrier_call_id: String,
    trunk: Option<TrunkSide>,
    /// The ring message, kept to re-send on reconnect.
    incoming: IncomingCall,
    machine: Call,
}

/// Why an event on a call was not applied.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("no such live call")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The browser's SDP answer could not be used; the call keeps ringing.
    #[error(transparent)]
    Media(#[from] MediaError),
}

impl Exchange {
    fn entry(&self, id: CallId) -> Option<LiveEntry> {
        self.lock().get(&id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, LiveEntry>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A rep's live calls, taken out of the map's lock so each can be locked in turn.
    fn calls_of(&self, rep: RepId) -> Vec<LiveEntry> {
        self.lock()
            .values()
            .filter(|e| e.rep == rep)
            .cloned()
            .collect()
    }

    pub fn live_count(&self) -> usize {
        self.lock().len()
    }
}

impl AppState {
    /// The rep chose another of the People on the caller's number: a call
    /// still live shows them from now on (a resumed ring too), the one it
    /// showed before going among the others.
    pub(crate) async fn set_caller(&self, id: CallId, person: PersonSnapshot) {
        let Some(entry) = self.exchange().entry(id) else {
            return;
        };
        let mut live = entry.call.lock().await;
        let incoming = &mut live.incoming;
        if incoming.person.id == person.id {
            return;
        }
        incoming.also.retain(|other| other.id != person.id);
        let before = std::mem::replace(&mut incoming.person, person);
        incoming.also.insert(0, before);
    }

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
        if let Some((id, rep, _)) = store.call_by_carrier_id(carrier_call_id).await? {
            return self.existing_route(id, rep).await;
        }
        let rep = store
            .rep_for_dialer_number(to.as_str())
            .await?
            .ok_or_else(|| AppError::Validation(format!("no rep has the dialer number {to}")))?;
        let region = store.team_region(rep.team_id).await?;
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
            browser: self.hub().browser_presence(rep.rep_id),
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
        };
        let id = match store.insert_call(&new_call).await {
            Ok(id) => id,
            // Two deliveries of one webhook raced; the other created the call.
            Err(StoreError::Conflict(_)) => {
                match store.call_by_carrier_id(carrier_call_id).await? {
                    Some((id, rep, _)) => return self.existing_route(id, rep).await,
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
                        store.save_call(id, &ended).await?;
                        return Err(AppError::Busy {
                            message: "no RTP port is free for the call; widen --rtp-ports",
                            retry_after_secs: 5,
                        });
                    }
                }
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
        };
        let cell = Arc::new(tokio::sync::Mutex::new(live));
        // Locked before it is published, so no event can overtake the ring.
        let mut guard = cell.clone().lock_owned().await;
        self.exchange().lock().insert(
            id,
            LiveEntry {
                rep: rep.rep_id,
                call: cell,
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

    /// Applies a rep's event (Close, hang-up) from one of their browsers to
    /// one of their calls. Another rep's call is [`EventError::NotFound`],
    /// exactly like a missing one.
    pub async fn rep_event(
        &self,
        rep: RepId,
        id: CallId,
        event: Event,
        device_id: &str,
    ) -> Result<(), EventError> {
        let entry = self
            .exchange()
            .entry(id)
            .filter(|e| e.rep == rep)
            .ok_or(EventError::NotFound)?;
        self.apply(entry, event, By::Browser(device_id.to_owned()))
            .await
    }

    /// The rep pressed Accept in a browser, with that browser's SDP answer.
    /// The answer is applied first, under the call's lock, so the browser that
    /// wins the Accept is the one whose audio is connected; an answer that
    /// cannot be used refuses the Accept and the call keeps ringing.
    pub async fn rep_accept(
        &self,
        rep: RepId,
        id: CallId,
        device_id: String,
        answer: Option<String>,
    ) -> Result<(), EventError> {
        let entry = self
            .exchange()
            .entry(id)
            .filter(|e| e.rep == rep)
            .ok_or(EventError::NotFound)?;
        let mut live = entry.call.lock().await;
        // Only a ringing call takes an answer (a closed notification can still
        // be accepted). A retried Accept after winning finds the call
        // connected: the machine answers it, and the audio is already up.
        if let Some(sdp) = answer
            && live.machine.phase() == &Phase::Ringing
        {
            match self.media().answer(id, sdp).await {
                Ok(()) => {}
                // No leg because its offer failed: connect without audio.
                Err(MediaError::NoSuchCall) if live.incoming.offer.is_none() => {}
                Err(error) => {
                    tracing::info!(call = %id, %error, "Accept refused: its SDP answer is unusable");
                    return Err(error.into());
                }
            }
        }
        let now = self.now();
        let by = By::Browser(device_id.clone());
        let event = Event::BrowserAccept { device_id };
        let note = timeline::for_event(&event, &by);
        self.step(&mut live, Cause::Event(note), |machine| {
            machine.handle(event, now)
        })
        .await
    }

    /// Applies the carrier's news about the phone leg or the caller.
    pub async fn carrier_event(&self, id: CallId, event: Event) -> Result<(), EventError> {
        self.call_event(id, event, By::Carrier).await
    }

    /// Applies an event to a call, whoever's it is; `by` is for its timeline.
    pub async fn call_event(&self, id: CallId, event: Event, by: By) -> Result<(), EventError> {
        let entry = self.exchange().entry(id).ok_or(EventError::NotFound)?;
        self.apply(entry, event, by).await
    }

    async fn apply(&self, entry: LiveEntry, event: Event, by: By) -> Result<(), EventError> {
        let mut live = entry.call.lock().await;
        let now = self.now();
        let note = timeline::for_event(&event, &by);
        self.step(&mut live, Cause::Event(note), |machine| {
            machine.handle(event, now)
        })
        .await
    }

    /// Runs one step of a call's machine on a copy, stores the result, and only
    /// then makes it current and carries out its actions. If storing fails the
    /// call is unchanged, so memory, database and what the rep was told agree.
    /// What changed is noted on the call's timeline, after the actions ran.
    async fn step(
        &self,
        live: &mut LiveCall,
        cause: Cause,
        step: impl FnOnce(&mut Call) -> Result<Vec<Action>, Refusal>,
    ) -> Result<(), EventError> {
        let was_ringing = live.machine.phase() == &Phase::Ringing;
        let mut next = live.machine.clone();
        let actions = step(&mut next)?;
        let changed = next != live.machine;
        if changed {
            self.store().save_call(live.id, &next).await?;
            live.machine = next;
        }
        let note = match cause {
            _ if !changed => None,
            Cause::Event(note) => Some(note),
            Cause::Timer => timeline::for_timer(
                was_ringing,
                live.machine.phase() == &Phase::Ringing,
                live.machine.phase() == &Phase::Ended,
                live.machine.ring_deadline() - live.machine.started_at(),
            ),
        };
        let performed = self.perform(live, actions, note).await;
        self.after_step(live);
        Ok(performed?)
    }

    /// The calls still ringing in this rep's browsers, to re-send on (re)connect.
    pub async fn ringing_for(&self, rep: RepId) -> Vec<IncomingCall> {
        let mut ringing = Vec::new();
        for entry in self.exchange().calls_of(rep) {
            let live = entry.call.lock().await;
            if live.machine.rings_in_browser() {
                ringing.push(live.incoming.clone());
            }
        }
        ringing.sort_by_key(|c| c.call_id);
        ringing
    }

    /// The calls this browser won and is still on, to confirm on reconnect:
    /// an Accepted lost with the old socket would leave the extension
    /// waiting while the caller is already connected to it.
    pub async fn connected_to(&self, rep: RepId, device_id: &str) -> Vec<CallId> {
        let mut connected = Vec::new();
        for entry in self.exchange().calls_of(rep) {
            let live = entry.call.lock().await;
            if let Phase::Connected(Answerer::Browser { device_id: winner }) = live.machine.phase()
                && winner == device_id
            {
                connected.push(live.id);
            }
        }
        connected.sort();
        connected
    }

    /// Drives a call's deadlines (the ring timeout, then the voicemail limit)
    /// until it has none left or is gone.
    fn spawn_call_timer(&self, id: CallId) {
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                let Some(entry) = state.exchange().entry(id) else {
                    return;
                };
                let Some(due) = entry.call.lock().await.machine.next_deadline() else {
                    return;
                };
                let wait = u64::try_from(due.saturating_sub(state.now())).unwrap_or(0);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    () = state.shutting_down() => return,
                }
                let mut live = entry.call.lock().await;
                let now = state.now();
                if let Err(error) = state
                    .step(&mut live, Cause::Timer, |machine| Ok(machine.on_time(now)))
                    .await
                {
                    tracing::error!(call = %id, %error, "a call's deadline could not be applied; retrying");
                    drop(live);
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        () = state.shutting_down() => return,
                    }
                }
            }
        });
    }

    /// Carries out every action, even after one fails; returns the first
    /// failure. Then notes `first` and the actions on the call's timeline
    /// (after them, so no write delays a ring).
    async fn perform(
        &self,
        live: &LiveCall,
        actions: Vec<Action>,
        first: Option<Note>,
    ) -> Result<(), StoreError> {
        let call = PhoneCall {
            id: live.id,
            carrier_call_id: live.carrier_call_id.clone(),
            caller: live.incoming.person.number.clone(),
            dialer: live.incoming.to.clone(),
            on_trunk: live.trunk.is_some(),
        };
        let phone = |command| self.phone().command(&call, command);
        let mut result = Ok(());
        let mut notes: Vec<Note> = first.into_iter().collect();
        for action in actions {
            let devices = match action {
                Action::RingBrowser => self.hub().device_ids(live.rep),
                _ => Vec::new(),
            };
            notes.extend(timeline::for_action(&action, &devices));
            match action {
                Action::RingBrowser => {
                    crate::metrics::Metrics::count(&self.metrics().rings_sent);
                    self.hub().send(
                        live.rep,
                        &Audience::AllBrowsers,
                        &ServerMessage::IncomingCall(live.incoming.clone()),
                    )
                }
                Action::Tell { audience, update } => self.hub().send(
                    live.rep,
                    &audience,
                    &ServerMessage::CallUpdate {
                        call_id: live.id,
                        update,
                    },
                ),
                Action::RingPhone { number } => phone(PhoneCommand::Ring { number }),
                Action::StopPhone => phone(PhoneCommand::StopRinging),
                Action::ForwardToPhone { number } => phone(PhoneCommand::Forward { number }),
                Action::StartVoicemail => {
                    phone(PhoneCommand::StartVoicemail);
                    let greeting = self.greeting_for(live.rep).await;
                    self.media().start_voicemail(live.id, greeting);
                    match self.store().log_voicemail(live.id, self.now()).await {
                        Ok(()) => notes.push((
                            TimelineKind::Logged,
                            Some("automatically, as a voicemail".to_owned()),
                        )),
                        Err(error) => {
                            tracing::error!(call = %live.id, %error, "logging a voicemail failed");
                            result = result.and(Err(error));
                        }
                    }
                }
                Action::EndMedia => phone(PhoneCommand::Release),
            }
        }
        for note in notes {
            self.note(live.id, note).await;
        }
        result
    }

    /// Forgets a call once it has ended, and closes its audio. Once the call
    /// stops ringing without the browser (answered on the phone, forwarded,
    /// voicemail) its browser leg is released at once rather than when the
    /// call ends, which on the phone can be an hour later. A closed ring keeps
    /// its leg: it can still be accepted.
    ///
    /// A caller on the SIP trunk is answered (200 OK) once anything takes the
    /// call, and hung up (BYE, or 480 while unanswered) when it ends.
    fn after_step(&self, live: &mut LiveCall) {
        // Forwarded over the trunk: the phone keeps ringing as the forward,
        // and the trunk glue bridges or ends it (the call rules are done).
        let mut forwarding = false;
        if let (Some(trunk), Some(sip)) = (live.trunk.as_mut(), self.trunk()) {
            match live.machine.phase() {
                Phase::Connected(_) if !trunk.answered => {
                    trunk.answered = true;
                    if let Err(error) = sip.answer(&trunk.sip_call_id, trunk.local_rtp) {
                        tracing::warn!(call = %live.id, %error, "answering the carrier failed");
                    }
                }
                Phase::Ended
                    if live.machine.outcome() == Some(protocol::CallOutcome::Forwarded)
                        && sip.can_dial() =>
                {
                    forwarding = true;
                    self.forwarded().insert(
                        live.id,
                        crate::trunk::Forwarded {
                            sip_call_id: trunk.sip_call_id.clone(),
                            local_rtp: trunk.local_rtp,
                        },
                    );
                }
                Phase::Ended => sip.hang_up(&trunk.sip_call_id),
                _ => {}
            }
        }
        if live.machine.phase() == &Phase::Ended {
            let was_live = self.exchange().lock().remove(&live.id).is_some();
            if was_live {
                self.metrics().call_ended(live.machine.outcome());
            }
            if !forwarding {
                let state = self.clone();
                let id = live.id;
                tokio::spawn(async move { state.finish_media(id).await });
            }
        } else if live.machine.phase() != &Phase::Ringing
            && live.machine.browser_leg() != LegState::Answered
        {
            self.media().release_browser_leg(live.id);
        }
    }

    /// Ends a call's audio; a voicemail's recording is written and noted on the call.
    async fn finish_media(&self, id: CallId) {
        let Some(recording) = self.media().end(id).await else {
            return;
        };
        // The caller hung up during the greeting: there is no message to keep.
        if recording.duration_ms() == 0 {
            return;
        }
        let path = self.config().recording_path(id);
        let duration_ms = recording.duration_ms();
        let written = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            recording
                .write_wav(&path)
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .await;
        let bytes = match written {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(error)) => {
                tracing::error!(call = %id, %error, "the voicemail recording could not be written");
                return;
            }
            Err(error) => {
                tracing::error!(call = %id, %error, "writing the voicemail recording panicked");
                return;
            }
        };
        let view = protocol::api::RecordingView {
            duration_ms: i64::try_from(duration_ms).unwrap_or(i64::MAX),
            bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
        };
        if let Err(error) = self.store().set_recording(id, view).await {
            tracing::error!(call = %id, %error, "the voicemail recording was written but not noted");
        } else {
            tracing::info!(call = %id, duration_ms, bytes, "voicemail recorded");
        }
    }

    /// The rep's own greeting if they uploaded one that still reads, else the shipped one.
    async fn greeting_for(&self, rep: RepId) -> std::sync::Arc<Clip> {
        let path = self.config().greeting_path(rep);
        match tokio::fs::read(&path).await {
            Ok(bytes) => match Clip::from_wav(&bytes, media::audio::MAX_GREETING_SECS) {
                Ok(clip) => return std::sync::Arc::new(clip),
                Err(error) => {
                    tracing::warn!(%rep, %error, "the rep's greeting is unreadable; using the default")
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(%rep, %error, "the rep's greeting could not be read; using the default")
            }
        }
        self.media().default_greeting()
    }
}
