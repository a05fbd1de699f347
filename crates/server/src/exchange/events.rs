//! Events and deadlines on a live call, applied one step at a time under its lock.

use super::{EventError, LiveCall, LiveEntry};
use crate::state::AppState;
use crate::store::StoreError;
use crate::timeline::{self, By, Cause};
use calls::{Action, Call, Event, Phase, Refusal};
use media::MediaError;
use protocol::{CallId, RepId};
use std::time::Duration;

impl AppState {
    /// Applies a rep's event (Close, hang-up) from one of their browsers to
    /// one of their calls: here if this instance owns it, else forwarded to
    /// its owner. Another rep's call is [`EventError::NotFound`], exactly
    /// like a missing one.
    pub async fn rep_event(
        &self,
        rep: RepId,
        id: CallId,
        event: Event,
        device_id: &str,
    ) -> Result<(), EventError> {
        match self.exchange().entry(id) {
            Some(_) => self.rep_event_here(rep, id, event, device_id).await,
            None => {
                self.forward(rep, id, event, device_id.to_owned(), None)
                    .await
            }
        }
    }

    /// [`Self::rep_event`] on a call this instance owns.
    pub(crate) async fn rep_event_here(
        &self,
        rep: RepId,
        id: CallId,
        event: Event,
        device_id: &str,
    ) -> Result<(), EventError> {
        let entry = self
            .exchange()
            .owned_by(rep, id)
            .ok_or(EventError::NotFound)?;
        self.apply(entry, event, By::Browser(device_id.to_owned()))
            .await
    }

    /// The rep pressed Accept in a browser, with that browser's SDP answer:
    /// here if this instance owns the call, else forwarded to its owner,
    /// whose lock on the call decides the first answer either way.
    pub async fn rep_accept(
        &self,
        rep: RepId,
        id: CallId,
        device_id: String,
        answer: Option<String>,
    ) -> Result<(), EventError> {
        if self.exchange().entry(id).is_some() {
            return self.rep_accept_here(rep, id, device_id, answer).await;
        }
        let event = Event::BrowserAccept {
            device_id: device_id.clone(),
        };
        self.forward(rep, id, event, device_id, answer).await
    }

    /// [`Self::rep_accept`] on a call this instance owns. The answer is
    /// applied first, under the call's lock, so the browser that wins the
    /// Accept is the one whose audio is connected; an answer that cannot be
    /// used refuses the Accept and the call keeps ringing.
    pub(crate) async fn rep_accept_here(
        &self,
        rep: RepId,
        id: CallId,
        device_id: String,
        answer: Option<String>,
    ) -> Result<(), EventError> {
        let entry = self
            .exchange()
            .owned_by(rep, id)
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
            match self.store().save_call(live.id, &next, live.version).await {
                Ok(version) => live.version = version,
                // Another instance ended the call (this one had lost its
                // lease): what is stored stands, and this copy is dropped.
                Err(StoreError::Stale(id)) => {
                    tracing::warn!(call = %id, "the call was ended elsewhere; forgetting it here");
                    self.forget(live);
                    return Err(EventError::NotFound);
                }
                Err(error) => return Err(error.into()),
            }
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

    /// Drives a call's deadlines (the ring timeout, then the voicemail limit)
    /// until it has none left or is gone.
    pub(super) fn spawn_call_timer(&self, id: CallId) {
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
}
