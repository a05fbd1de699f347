//! What the rep's browser asks of their calls over the socket (Accept,
//! Close, Hold, Hang up, Move to my phone, keypad digits, test rings), and
//! the reply each gets.

use super::Connection;
use super::replies::reply_to;
use calls::Event;
use protocol::signal::{ClientMessage, ServerMessage, SignalErrorCode};

impl Connection {
    /// Carries out what the rep's browser asked; the reply names its `id`.
    pub(super) async fn handle(
        &mut self,
        message: ClientMessage,
        device_id: &str,
    ) -> ServerMessage {
        // Keepalives come from every idle browser: only the rep's own
        // actions mark the browser they use.
        if !matches!(message, ClientMessage::Keepalive { .. }) {
            self.state.hub().touch(self.grant.rep.rep_id, device_id);
        }
        let (id, event, call_id) = match message {
            ClientMessage::Hello { id, .. } | ClientMessage::Keepalive { id } => {
                return ServerMessage::Ack { id };
            }
            // Answered on this socket alone, and nothing is kept: no call,
            // no phone leg, no log (the socket's rate limit bounds them).
            ClientMessage::TestRing { id } => {
                return ServerMessage::TestRing {
                    id,
                    sent_at: self.state.now(),
                };
            }
            ClientMessage::Accept {
                id,
                call_id,
                answer,
            } => {
                let accepted = self
                    .state
                    .rep_accept(self.grant.rep.rep_id, call_id, device_id.to_owned(), answer)
                    .await;
                return reply_to(id, accepted);
            }
            ClientMessage::Close { id, call_id } => (id, Event::BrowserClose, call_id),
            // The panel hangs up a call the rep dialled as any other.
            ClientMessage::HangUp { id, call_id }
                if self.state.is_own_dial(self.grant.rep.rep_id, call_id) =>
            {
                let hung_up = self
                    .state
                    .dial_hang_up(self.grant.rep.rep_id, call_id)
                    .await
                    .map_err(|error| crate::exchange::EventError::Elsewhere {
                        code: SignalErrorCode::CallNotFound,
                        message: error.to_string(),
                    });
                return reply_to(id, hung_up);
            }
            ClientMessage::MoveToPhone { id, call_id }
                if self.state.is_own_dial(self.grant.rep.rep_id, call_id) =>
            {
                let moved = self
                    .state
                    .dial_move_to_phone(self.grant.rep.rep_id, call_id, device_id)
                    .await
                    .map_err(|error| crate::exchange::EventError::Elsewhere {
                        code: SignalErrorCode::CallNotRinging,
                        message: error.to_string(),
                    });
                return reply_to(id, moved);
            }
            ClientMessage::Hold { id, call_id, held }
                if self.state.is_own_dial(self.grant.rep.rep_id, call_id) =>
            {
                return self.dial_hold(id, call_id, device_id, held).await;
            }
            ClientMessage::Hold { id, call_id, held } => {
                let device_id = device_id.to_owned();
                let event = if held {
                    Event::Hold { device_id }
                } else {
                    Event::Resume { device_id }
                };
                (id, event, call_id)
            }
            ClientMessage::HangUp { id, call_id } => (id, Event::RepHungUp, call_id),
            ClientMessage::MoveToPhone { id, call_id } => {
                let device_id = device_id.to_owned();
                (id, Event::MoveToPhone { device_id }, call_id)
            }
            ClientMessage::Digits {
                id,
                call_id,
                digits,
            } => {
                let sent = self
                    .state
                    .rep_digits(self.grant.rep.rep_id, call_id, device_id, digits)
                    .await;
                return reply_to(id, sent);
            }
        };
        let applied = self
            .state
            .rep_event(self.grant.rep.rep_id, call_id, event, device_id)
            .await;
        reply_to(id, applied)
    }

    /// Holds (or resumes) a call the rep dialled from this browser.
    async fn dial_hold(
        &mut self,
        id: String,
        call_id: protocol::CallId,
        device_id: &str,
        held: bool,
    ) -> ServerMessage {
        let done = self
            .state
            .dial_hold(self.grant.rep.rep_id, call_id, device_id, held)
            .await
            .map_err(|error| crate::exchange::EventError::Elsewhere {
                code: SignalErrorCode::CallNotRinging,
                message: error.to_string(),
            });
        reply_to(id, done)
    }
}
