//! Carrying out a step's actions: signalling, the phone leg, the trunk, audio and storage.

use super::LiveCall;
use crate::phone_leg::{PhoneCall, PhoneCommand};
use crate::state::AppState;
use crate::store::StoreError;
use crate::timeline::{self, Note};
use calls::{Action, Audience, Phase};
use media::audio::Clip;
use protocol::api::TimelineKind;
use protocol::signal::ServerMessage;
use protocol::{CallId, LegState, RepId};

impl AppState {
    /// Carries out every action, even after one fails; returns the first
    /// failure. Then notes `first` and the actions on the call's timeline
    /// (after them, so no write delays a ring).
    pub(super) async fn perform(
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
                    self.tell(
                        live.rep,
                        &Audience::AllBrowsers,
                        &ServerMessage::IncomingCall(live.incoming.clone()),
                    )
                    .await
                }
                Action::Tell { audience, update } => {
                    self.tell(
                        live.rep,
                        &audience,
                        &ServerMessage::CallUpdate {
                            call_id: live.id,
                            update,
                        },
                    )
                    .await
                }
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
                Action::HoldCaller | Action::ResumeCaller => {
                    let held = action == Action::HoldCaller;
                    self.media().hold(live.id, held);
                    if let (Some(trunk), Some(sip)) = (live.trunk.as_ref(), self.trunk())
                        && let Err(error) = sip.hold(&trunk.sip_call_id, held)
                    {
                        tracing::warn!(call = %live.id, %error, held, "holding the caller on the trunk failed");
                    }
                }
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
    pub(super) fn after_step(&self, live: &mut LiveCall) {
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

    /// Drops a call another instance has ended meanwhile: its caller is hung
    /// up and its audio closed here, and nothing more is stored.
    pub(super) fn forget(&self, live: &LiveCall) {
        self.exchange().lock().remove(&live.id);
        if let (Some(trunk), Some(sip)) = (live.trunk.as_ref(), self.trunk()) {
            sip.hang_up(&trunk.sip_call_id);
        }
        let state = self.clone();
        let id = live.id;
        tokio::spawn(async move { state.media().end(id).await });
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
