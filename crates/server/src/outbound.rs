//! Outbound calls: the rep dials a prospect from the Dialer, and Ringback
//! places the call through the SIP trunk (`--trunk-uri`) with the browser
//! that dialled as its audio.
//!
//! ```text
//! browser                      Ringback                           carrier / prospect
//!   POST /calls/dial ────────▶ Dial::start, a row, an RTP port
//!   ◀──────── 201 {offer}      INVITE (caller ID: dialer number) ─▶
//!   POST /calls/{id}/answer ─▶ the browser's WebRTC leg is up
//!   ◀── DialUpdate ringing     ◀──────────────────────── 180/183
//!   ◀── DialUpdate connected   ◀─────────────── 200 (SDP): bridged
//!   POST /calls/{id}/hang-up ▶ BYE (CANCEL before the answer) ───▶
//! ```
//!
//! Each live dial sits behind its own async mutex, held while an event is
//! applied, stored and carried out, as inbound calls in `exchange` are; the
//! pure rules are [`calls::Dial`]'s. A dial is run by the instance that
//! placed it (its SIP dialog and media live there).

use crate::error::AppError;
use crate::secrets::random_token;
use crate::state::AppState;
use calls::{Dial, DialAction, DialEvent, DialRefusal};
use media::TrunkPeer;
use protocol::api::{DialRequest, DialResponse};
use protocol::{CallId, PersonId, PersonSnapshot, RepId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{NewOutboundCall, StoreError};

/// The live outbound calls of this instance.
#[derive(Default)]
pub struct Dials(Mutex<HashMap<CallId, DialEntry>>);

#[derive(Clone)]
struct DialEntry {
    /// Outside the lock, so whose call it is needs no wait.
    rep: RepId,
    live: Arc<tokio::sync::Mutex<LiveDial>>,
}

struct LiveDial {
    id: CallId,
    rep: RepId,
    machine: Dial,
    /// The stored version this copy was read or written at.
    version: i64,
    /// Where the prospect's RTP comes (the INVITE's SDP offer says so).
    local_rtp: SocketAddr,
    /// The call's subject: other instances reach the dial through it (the
    /// browser's answer and Hang up over REST, a socket's hold or keys).
    _link: Option<crate::cluster::CallLink>,
}

impl Dials {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, DialEntry>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, id: CallId) -> Option<Arc<tokio::sync::Mutex<LiveDial>>> {
        self.lock().get(&id).map(|entry| entry.live.clone())
    }
}

/// The key a dial's SIP leg goes by (the forwarding phone's are `phone-`).
fn sip_key(id: CallId) -> String {
    format!("dial-{}", id.0)
}

/// The call a SIP key names, if it is a dial's.
pub fn dial_of(key: &str) -> Option<CallId> {
    key.strip_prefix("dial-")?.parse().ok().map(CallId)
}

impl AppState {
    /// The rep dials `request.to`: the call is stored, its media opened and
    /// its INVITE sent; the answer carries the SDP offer for the browser.
    pub async fn dial(
        &self,
        rep: RepId,
        team: protocol::TeamId,
        request: &DialRequest,
    ) -> Result<DialResponse, AppError> {
        if !self.trunk().is_some_and(sip::Trunk::can_dial) {
            return Err(AppError::Unavailable(
                "this Ringback cannot place calls: start it with --trunk-uri (the carrier's SIP address)",
            ));
        }
        let device_id = request.device_id.trim();
        if device_id.is_empty() || device_id.len() > protocol::signal::MAX_ID_LEN {
            return Err(AppError::Validation(format!(
                "device_id must be 1 to {} characters",
                protocol::signal::MAX_ID_LEN
            )));
        }
        // Only this instance's socket is marked: one elsewhere keeps its time.
        self.hub().touch(rep, device_id);
        let store = self.store();
        let region = crate::phone::team_region(store, team).await?;
        let to = crate::phone::parse(&request.to, region)
            .map_err(|e| AppError::Validation(format!("to: {e}")))?;
        let person = self.person_called(rep, request.person_id, &to).await?;
        let profile = store.rep_profile(rep).await?;
        let dialer_number = profile.dialer_numbers.first().cloned().ok_or_else(|| {
            AppError::Validation(
                "you have no dialer number to call from; ask your admin for one".into(),
            )
        })?;
        let settings = store.dialer_settings(rep).await?;
        let now = self.now();
        let (machine, actions) = Dial::start(
            &calls::DialRequest {
                to: to.as_str().to_owned(),
                dialer_number,
                custom_caller_id: settings.custom_caller_id,
                device_id: device_id.to_owned(),
                max_call_ms: calls::DEFAULT_MAX_CALL_MS,
                forwarding_number: settings.forwarding_number.clone(),
            },
            now,
        );
        let key = format!("dial-new-{}", &random_token()[..16]);
        let id = store
            .insert_outbound_call(&NewOutboundCall {
                rep_id: rep,
                carrier_call_id: &key,
                person: &person,
                dial: &machine,
                owner: self.cluster().instance(),
            })
            .await?;
        let (local_rtp, offer) = match self.open_dial_media(id).await {
            Ok(opened) => opened,
            Err(error) => {
                self.media().end(id).await;
                // The row is written already: end it, or it would list as
                // ringing for ever.
                let mut failed = machine.clone();
                let _ = failed.handle(
                    DialEvent::RemoteFailed(calls::Failure::Refused(503)),
                    self.now(),
                );
                if let Err(store_error) = self.store().save_dial(id, &failed, 0).await {
                    tracing::error!(call = %id, %store_error, "ending a call that could not be placed failed");
                }
                return Err(error);
            }
        };
        let response = DialResponse {
            call_id: id,
            to: machine.to().to_owned(),
            caller_id: machine.caller_id().to_owned(),
            person,
            offer,
            started_at: machine.started_at(),
            ring_deadline: machine.next_deadline().unwrap_or(now),
        };
        let link = match self.own_call(id).await {
            Ok(link) => Some(link),
            Err(error) => {
                tracing::error!(call = %id, %error, "the call cannot be reached from other instances");
                None
            }
        };
        let live = Arc::new(tokio::sync::Mutex::new(LiveDial {
            id,
            rep,
            machine,
            version: 0,
            local_rtp,
            _link: link,
        }));
        let entry = DialEntry {
            rep,
            live: live.clone(),
        };
        self.dials().lock().insert(id, entry);
        {
            let mut live = live.lock().await;
            self.carry_out(&mut live, actions).await;
        }
        self.spawn_dial_timer(id);
        tracing::info!(call = %id, %rep, "dialling");
        Ok(response)
    }

    /// The Person dialled: the one the rep chose (theirs, with that number
    /// or not), else the rep's Person with the number, else the number alone.
    async fn person_called(
        &self,
        rep: RepId,
        person_id: Option<PersonId>,
        to: &protocol::PhoneNumber,
    ) -> Result<PersonSnapshot, AppError> {
        let store = self.store();
        let person = match person_id {
            Some(id) => Some(
                store
                    .person(rep, id)
                    .await?
                    .ok_or(AppError::NotFound("person"))?,
            ),
            None => store
                .people_by_phone(rep, to.as_str())
                .await?
                .into_iter()
                .next(),
        };
        Ok(calls::caller_snapshot(to, person.as_ref()))
    }

    /// The dialled party's RTP port and the browser's WebRTC leg: the
    /// port's address and the browser's offer.
    async fn open_dial_media(&self, id: CallId) -> Result<(SocketAddr, String), AppError> {
        let media_error = |error: media::MediaError| {
            tracing::error!(call = %id, %error, "opening an outbound call's media failed");
            AppError::Unavailable("the call's audio could not be set up; try again")
        };
        let local_rtp = self.media().open_callee(id).await.map_err(media_error)?;
        let offer = self.media().offer(id).await.map_err(media_error)?;
        Ok((local_rtp, offer))
    }

    /// The browser's SDP answer to the dial's offer, for a dial run here.
    pub(crate) async fn dial_answer_here(
        &self,
        rep: RepId,
        id: CallId,
        answer: String,
    ) -> Result<(), AppError> {
        let live = self.own_dial(rep, id)?;
        let _serialised = live.lock().await;
        self.media()
            .answer(id, answer)
            .await
            .map_err(|error| AppError::Validation(format!("answer: {error}")))
    }

    /// The rep hangs up (or cancels before the answer) a dial run here.
    pub(crate) async fn dial_hang_up_here(&self, rep: RepId, id: CallId) -> Result<(), AppError> {
        self.own_dial(rep, id)?;
        match self.dial_event(id, DialEvent::RepHungUp).await {
            Ok(()) | Err(DialError::Gone) => Ok(()),
            Err(DialError::Refused(DialRefusal::Ended)) => Ok(()),
            Err(DialError::Refused(refusal)) => Err(AppError::Conflict(refusal.to_string())),
            Err(DialError::Store(error)) => Err(error.into()),
        }
    }

    /// Whether `rep`'s live dial `id` is connected (not on hold) in the
    /// browser `device_id`; `None` when it is not a live dial of theirs here.
    pub(crate) async fn dial_connected_in(
        &self,
        rep: RepId,
        id: CallId,
        device_id: &str,
    ) -> Option<bool> {
        let live = self.own_dial(rep, id).ok()?;
        let live = live.lock().await;
        Some(
            live.machine.phase() == calls::DialPhase::Connected { on_hold: false }
                && live.machine.device_id() == device_id,
        )
    }

    /// Whether `id` is a live dial run by this instance (anyone's).
    pub(crate) fn is_dial_here(&self, id: CallId) -> bool {
        self.dials().lock().contains_key(&id)
    }

    /// Whether `id` is a live call `rep` dialled here.
    pub fn is_own_dial(&self, rep: RepId, id: CallId) -> bool {
        self.own_dial(rep, id).is_ok()
    }

    /// The rep's live dial `id`; another rep's is as missing as none.
    fn own_dial(
        &self,
        rep: RepId,
        id: CallId,
    ) -> Result<Arc<tokio::sync::Mutex<LiveDial>>, AppError> {
        match self.dials().lock().get(&id) {
            Some(entry) if entry.rep == rep => Ok(entry.live.clone()),
            _ => Err(AppError::NotFound("live call")),
        }
    }

    /// What the SIP trunk reports of a dial's leg.
    pub async fn dial_sip_news(&self, id: CallId, news: DialSipNews) {
        let event = match news {
            DialSipNews::Ringing => DialEvent::RemoteRinging,
            DialSipNews::Answered(peer) => {
                if let Err(error) = self.media().connect_callee(id, peer).await {
                    tracing::warn!(call = %id, %error, "the prospect answered, but the call's audio is gone");
                }
                DialEvent::RemoteAnswered
            }
            DialSipNews::Failed(status) => {
                DialEvent::RemoteFailed(calls::Failure::from_sip_status(status))
            }
            DialSipNews::HungUp => DialEvent::RemoteHungUp,
        };
        match self.dial_event(id, event).await {
            Ok(()) | Err(DialError::Gone) => {}
            Err(error) => {
                tracing::warn!(call = %id, ?error, "the prospect's news could not be applied")
            }
        }
    }

    async fn dial_event(&self, id: CallId, event: DialEvent) -> Result<(), DialError> {
        let live = self.dials().get(id).ok_or(DialError::Gone)?;
        let mut live = live.lock().await;
        let now = self.now();
        let mut next = live.machine.clone();
        let actions = next.handle(event, now).map_err(DialError::Refused)?;
        self.commit(&mut live, next, actions).await
    }

    /// Stores the step, then makes it current and carries out its actions:
    /// if storing fails the call is unchanged.
    async fn commit(
        &self,
        live: &mut LiveDial,
        next: Dial,
        actions: Vec<DialAction>,
    ) -> Result<(), DialError> {
        if next != live.machine {
            live.version = self
                .store()
                .save_dial(live.id, &next, live.version)
                .await
                .map_err(DialError::Store)?;
            live.machine = next;
        }
        self.carry_out(live, actions).await;
        Ok(())
    }

    async fn carry_out(&self, live: &mut LiveDial, actions: Vec<DialAction>) {
        let id = live.id;
        for action in actions {
            match action {
                DialAction::Invite { to, caller_id } => {
                    let dialled = match self.trunk() {
                        Some(trunk) => trunk
                            .dial(
                                &sip_key(id),
                                sip::PhoneDial {
                                    to,
                                    from: caller_id,
                                    local_rtp: live.local_rtp,
                                },
                            )
                            .map_err(|error| error.to_string()),
                        None => Err("the trunk is gone".to_owned()),
                    };
                    if let Err(error) = dialled {
                        tracing::error!(call = %id, %error, "the INVITE could not be sent");
                        let mut next = live.machine.clone();
                        // Told as the carrier refusing it: the panel says so.
                        if let Ok(more) = next.handle(
                            DialEvent::RemoteFailed(calls::Failure::Refused(503)),
                            self.now(),
                        ) {
                            Box::pin(self.commit(live, next, more)).await.ok();
                        }
                        return;
                    }
                }
                DialAction::Cancel | DialAction::Bye => {
                    if let Some(trunk) = self.trunk() {
                        trunk.stop_dial(&sip_key(id));
                    }
                }
                DialAction::HoldRemote | DialAction::ResumeRemote => {
                    let held = action == DialAction::HoldRemote;
                    self.media().hold(id, held);
                    if let Some(Err(error)) = self.trunk().map(|t| t.hold_dial(&sip_key(id), held))
                    {
                        tracing::warn!(call = %id, %error, held, "holding the prospect failed");
                    }
                }
                DialAction::Tell { device_id, update } => {
                    let message = update.message(id);
                    self.tell(live.rep, &calls::Audience::Device(device_id), &message)
                        .await;
                }
                DialAction::RingPhone { number } => {
                    self.ring_phone_for_dial(id, number, live.machine.to().to_owned());
                }
                DialAction::StopPhone => self.stop_phone_for_dial(id),
                DialAction::EndMedia => {
                    self.media().end(id).await;
                    self.dials().lock().remove(&id);
                    tracing::info!(call = %id, outcome = ?live.machine.outcome(), "outbound call over");
                }
            }
        }
    }

    /// Drives a dial's deadlines (no answer, the maximum length).
    fn spawn_dial_timer(&self, id: CallId) {
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                let Some(live) = state.dials().get(id) else {
                    return;
                };
                let Some(due) = live.lock().await.machine.next_deadline() else {
                    return;
                };
                let wait = u64::try_from(due.saturating_sub(state.now())).unwrap_or(0);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    () = state.shutting_down() => return,
                }
                let mut live = live.lock().await;
                let mut next = live.machine.clone();
                let actions = next.on_time(state.now());
                if let Err(error) = state.commit(&mut live, next, actions).await {
                    tracing::error!(call = %id, ?error, "an outbound call's deadline could not be applied; retrying");
                    drop(live);
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        () = state.shutting_down() => return,
                    }
                }
            }
        });
    }
}

mod phone;
pub use phone::{PhoneMoveNews, phone_move_of};

/// What the SIP trunk says of a dialled prospect.
#[derive(Debug)]
pub enum DialSipNews {
    Ringing,
    Answered(TrunkPeer),
    Failed(u16),
    HungUp,
}

#[derive(Debug)]
pub(crate) enum DialError {
    /// Not live here (over, or never).
    Gone,
    Refused(DialRefusal),
    Store(StoreError),
}
