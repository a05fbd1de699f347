//! "Move to my phone" for a call the rep placed: the forwarding phone is
//! dialled through the trunk under a SIP key of its own (`move-<call>`),
//! bridged to the prospect when it answers (the browser's leg is released),
//! and let go with the call. The rules are [`calls::Dial`]'s.

use super::DialError;
use crate::error::AppError;
use crate::state::AppState;
use calls::{DialEvent, PhoneLeg};
use media::TrunkPeer;
use protocol::{CallId, RepId};

/// The SIP key a dial's move to the phone goes by.
fn move_key(id: CallId) -> String {
    format!("move-{}", id.0)
}

/// The call a SIP key names, if it is a move's phone.
pub fn phone_move_of(key: &str) -> Option<CallId> {
    key.strip_prefix("move-")?.parse().ok().map(CallId)
}

/// What the SIP trunk says of a move's phone.
#[derive(Debug)]
pub enum PhoneMoveNews {
    Answered(TrunkPeer),
    Failed(u16),
    /// The rep hung up on the phone.
    HungUp,
}

impl AppState {
    /// The browser on the call (`device_id`) asks for it to go on to the phone.
    pub async fn dial_move_to_phone(
        &self,
        rep: RepId,
        id: CallId,
        device_id: &str,
    ) -> Result<(), AppError> {
        let live = self.own_dial(rep, id)?;
        if live.lock().await.machine.device_id() != device_id {
            return Err(AppError::Conflict(
                "the call is not connected in this browser".into(),
            ));
        }
        match self.dial_event(id, DialEvent::MoveToPhone).await {
            Ok(()) => Ok(()),
            Err(DialError::Gone) => Err(AppError::NotFound("live call")),
            Err(DialError::Refused(refusal)) => Err(AppError::Conflict(refusal.to_string())),
            Err(DialError::Store(error)) => Err(error.into()),
        }
    }

    /// Call waiting: the browser on the call (`device_id`) holds or resumes it.
    pub async fn dial_hold(
        &self,
        rep: RepId,
        id: CallId,
        device_id: &str,
        held: bool,
    ) -> Result<(), AppError> {
        let live = self.own_dial(rep, id)?;
        if live.lock().await.machine.device_id() != device_id {
            return Err(AppError::Conflict(
                "the call is not connected in this browser".into(),
            ));
        }
        let event = if held {
            DialEvent::Hold
        } else {
            DialEvent::Resume
        };
        match self.dial_event(id, event).await {
            Ok(()) => Ok(()),
            Err(DialError::Gone) => Err(AppError::NotFound("live call")),
            Err(DialError::Refused(refusal)) => Err(AppError::Conflict(refusal.to_string())),
            Err(DialError::Store(error)) => Err(error.into()),
        }
    }

    /// Dials the forwarding phone for a move; it shows the prospect's number.
    pub(super) fn ring_phone_for_dial(&self, id: CallId, number: String, prospect: String) {
        let state = self.clone();
        tokio::spawn(async move {
            let dialled = match state.media().open_phone(id).await {
                Ok(local_rtp) => match state.trunk() {
                    Some(trunk) => trunk
                        .dial(
                            &move_key(id),
                            sip::PhoneDial {
                                to: number,
                                from: prospect,
                                local_rtp,
                            },
                        )
                        .map_err(|e| e.to_string()),
                    None => Err("the trunk is gone".to_owned()),
                },
                Err(error) => Err(error.to_string()),
            };
            if let Err(error) = dialled {
                tracing::warn!(call = %id, %error, "the forwarding phone could not be dialled for a move");
                state.dial_phone_news(id, PhoneMoveNews::Failed(503)).await;
            }
        });
    }

    /// Lets a move's phone go: CANCEL while it rings, BYE once answered.
    pub(super) fn stop_phone_for_dial(&self, id: CallId) {
        if let Some(trunk) = self.trunk() {
            trunk.stop_dial(&move_key(id));
        }
        self.media().close_phone(id);
    }

    /// Applies what the trunk says of a move's phone.
    pub async fn dial_phone_news(&self, id: CallId, news: PhoneMoveNews) {
        let applied = match news {
            PhoneMoveNews::Answered(peer) => self.phone_took_the_move(id, peer).await,
            PhoneMoveNews::Failed(status) => {
                tracing::info!(call = %id, status, "the forwarding phone did not take the move");
                self.media().close_phone(id);
                self.dial_event(id, DialEvent::PhoneFailed).await
            }
            PhoneMoveNews::HungUp => self.dial_event(id, DialEvent::RepHungUp).await,
        };
        match applied {
            Ok(()) | Err(DialError::Gone) => {}
            Err(error) => tracing::warn!(call = %id, ?error, "a move's news could not be applied"),
        }
    }

    /// The phone answered: the prospect is bridged to it (and the browser's
    /// leg released) once the call's rules have it on the phone; a late
    /// answer, after the call or the move ended, is let go.
    async fn phone_took_the_move(&self, id: CallId, peer: TrunkPeer) -> Result<(), DialError> {
        self.dial_event(id, DialEvent::PhoneAnswered).await?;
        let moved = match self.dials().get(id) {
            Some(live) => live.lock().await.machine.phone() == PhoneLeg::Answered,
            None => false,
        };
        if !moved {
            self.stop_phone_for_dial(id);
        } else if let Err(error) = self.media().connect_phone(id, peer).await {
            tracing::warn!(call = %id, %error, "bridging the moved call to the phone failed");
        }
        Ok(())
    }
}
