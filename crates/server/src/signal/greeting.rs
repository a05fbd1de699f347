//! What a socket hears as soon as it is welcomed: Welcome, whatever still
//! rings for the rep (a worker Chrome just restarted is waiting for it), the
//! calls this browser already won, the rep's availability, and a resume
//! ticket for its next socket.

use super::Connection;
use crate::state::AppState;
use protocol::api::TicketResponse;
use protocol::signal::ServerMessage;
use protocol::{KEEPALIVE_INTERVAL_SECS, PROTOCOL_VERSION};

impl Connection {
    /// Sends it all; `false` if the socket went (or was closed) meanwhile.
    pub(super) async fn greet(&mut self, device_id: &str) -> bool {
        let state = self.state.clone();
        let rep = self.grant.rep.rep_id;
        let profile = match state.store().rep_profile(rep).await {
            Ok(profile) => profile,
            Err(error) => {
                tracing::error!(%error, "loading the rep for a socket failed");
                self.close(1011, "server error; reconnect").await;
                return false;
            }
        };
        let welcome = ServerMessage::Welcome {
            protocol: PROTOCOL_VERSION,
            rep_id: rep,
            rep_name: profile.name,
            keepalive_secs: KEEPALIVE_INTERVAL_SECS,
        };
        if self.send(&welcome).await.is_err() {
            return false;
        }
        // Resume: whatever still rings for this rep rings here too, and a
        // call this browser already won is confirmed again, whichever
        // instance owns them.
        let resume = state.resume_for(rep, device_id).await;
        for incoming in resume.ringing {
            if self
                .send(&ServerMessage::IncomingCall(incoming))
                .await
                .is_err()
            {
                return false;
            }
        }
        for call_id in resume.connected {
            let confirm = ServerMessage::CallUpdate {
                call_id,
                update: protocol::signal::CallUpdate::Accepted,
            };
            if self.send(&confirm).await.is_err() {
                return false;
            }
        }

        // Then the rep's availability (for the badge; later changes come through
        // the hub): after the resumed rings, which are what a worker Chrome
        // just restarted is waiting for.
        let availability = match crate::api::availability::current(&state, rep).await {
            Ok(availability) => availability,
            Err(error) => {
                tracing::error!(%error, "loading the rep's availability for a socket failed");
                self.close(1011, "server error; reconnect").await;
                return false;
            }
        };
        if self
            .send(&ServerMessage::Availability { availability })
            .await
            .is_err()
        {
            return false;
        }
        if let Some(resume_ticket) = resume_ticket(&state, &self.grant.session_hash).await
            && self.send(&resume_ticket).await.is_err()
        {
            return false;
        }
        true
    }
}

/// A ticket for this browser's next socket (a worker Chrome restarts
/// opens it before its code has loaded). Without one the next socket
/// only takes a round trip longer: a failure is logged, not fatal.
pub(super) async fn resume_ticket(state: &AppState, session_hash: &str) -> Option<ServerMessage> {
    let ttl = state.config().resume_ticket_ttl;
    match crate::api::sessions::new_ticket(state, session_hash, ttl).await {
        Ok(TicketResponse { ticket, expires_at }) => {
            Some(ServerMessage::ResumeTicket { ticket, expires_at })
        }
        Err(error) => {
            tracing::warn!(%error, "creating a resume ticket failed");
            None
        }
    }
}
