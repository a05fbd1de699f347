//! The client's end of the signalling socket, and the messages tests send on it.

use super::PATIENCE;
use futures_util::{SinkExt, StreamExt};
use protocol::CallId;
use protocol::signal::{CallUpdate, ClientMessage, IncomingCall, ServerMessage};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// One signalling socket.
pub struct Signal {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages read while connecting (the resumed calls before the
    /// availability), handed out first by [`Signal::recv`].
    pub resumed: std::collections::VecDeque<ServerMessage>,
    /// The resume ticket each socket is sent after its availability, set
    /// aside by [`Signal::recv`] (most tests have no use for it).
    pub resume_ticket: Option<String>,
}

impl Signal {
    pub async fn send(&mut self, message: &ClientMessage) {
        let text = serde_json::to_string(message).expect("serialise");
        self.send_raw(Message::text(text)).await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.expect("send frame");
    }

    /// The next server message (skipping pings and setting resume tickets
    /// aside); fails after [`PATIENCE`].
    pub async fn recv(&mut self) -> ServerMessage {
        if let Some(message) = self.resumed.pop_front() {
            return message;
        }
        loop {
            match self.next_message().await {
                ServerMessage::ResumeTicket { ticket, .. } => self.resume_ticket = Some(ticket),
                message => return message,
            }
        }
    }

    /// The resume ticket this socket was sent, waiting for it if need be
    /// (what comes before it stays to be read, in order).
    pub async fn take_resume_ticket(&mut self) -> String {
        if let Some(ticket) = self.resume_ticket.take() {
            return ticket;
        }
        loop {
            match self.next_message().await {
                ServerMessage::ResumeTicket { ticket, .. } => return ticket,
                message => self.resumed.push_back(message),
            }
        }
    }

    /// [`Self::recv`] with a patience of its own.
    pub async fn recv_within(&mut self, patience: Duration) -> ServerMessage {
        loop {
            match self.next_message_within(patience).await {
                ServerMessage::ResumeTicket { ticket, .. } => self.resume_ticket = Some(ticket),
                message => return message,
            }
        }
    }

    /// The next message as it comes, resume tickets included.
    pub async fn next_message(&mut self) -> ServerMessage {
        self.next_message_within(PATIENCE).await
    }

    async fn next_message_within(&mut self, patience: Duration) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(patience, self.socket.next())
                .await
                .expect("a message within the patience window")
                .expect("socket still open")
                .expect("frame reads");
            match frame {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("a ServerMessage");
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Waits for the socket to close; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("closes in time")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn expect_incoming(&mut self) -> IncomingCall {
        match self.recv().await {
            ServerMessage::IncomingCall(call) => call,
            other => panic!("expected an incoming call, got {other:?}"),
        }
    }

    pub async fn expect_update(&mut self, call_id: CallId) -> CallUpdate {
        match self.recv().await {
            ServerMessage::CallUpdate {
                call_id: got,
                update,
            } if got == call_id => update,
            other => panic!("expected an update for call {call_id}, got {other:?}"),
        }
    }

    /// Asserts nothing arrives for a short while (but a resume ticket, set
    /// aside), and that the socket is still open (a closed socket is not
    /// silence).
    pub async fn expect_silence(&mut self, for_: Duration) {
        let until = tokio::time::Instant::now() + for_;
        loop {
            match tokio::time::timeout_at(until, self.socket.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str(text.as_str()) {
                    Ok(ServerMessage::ResumeTicket { ticket, .. }) => {
                        self.resume_ticket = Some(ticket)
                    }
                    _ => panic!("expected silence, got {text}"),
                },
                Ok(Some(Ok(other))) => panic!("expected silence, got {other:?}"),
                Ok(Some(Err(error))) => panic!("expected silence, the socket failed: {error}"),
                Ok(None) => panic!("expected silence, the socket closed"),
            }
        }
    }
}

/// Runs a softphone for a while off the async runtime, and hands it back.
pub async fn talk(
    mut phone: media::softphone::Softphone,
    voice: media::softphone::Voice,
    for_: Duration,
) -> media::softphone::Softphone {
    tokio::task::spawn_blocking(move || {
        phone.set_voice(voice);
        phone.run_for(for_);
        phone
    })
    .await
    .expect("the softphone thread")
}

/// The next ring, answered by a softphone through Accept (as Chrome would).
pub async fn answer_in_browser(
    browser: &mut Signal,
) -> (IncomingCall, media::softphone::Softphone) {
    let incoming = browser.expect_incoming().await;
    let offer = incoming
        .offer
        .clone()
        .expect("the ring carries an SDP offer");
    let (phone, answer) =
        media::softphone::Softphone::answer(&offer).expect("the softphone answers");
    browser
        .send(&accept_with_answer("a1", incoming.call_id, &answer))
        .await;
    assert_eq!(
        browser.expect_ack_and_update("a1", incoming.call_id).await,
        CallUpdate::Accepted
    );
    (incoming, phone)
}

pub fn accept(id: &str, call_id: CallId) -> ClientMessage {
    ClientMessage::Accept {
        id: id.into(),
        call_id,
        answer: None,
    }
}

pub fn accept_with_answer(id: &str, call_id: CallId, answer: &str) -> ClientMessage {
    ClientMessage::Accept {
        id: id.into(),
        call_id,
        answer: Some(answer.into()),
    }
}

pub fn close(id: &str, call_id: CallId) -> ClientMessage {
    ClientMessage::Close {
        id: id.into(),
        call_id,
    }
}

impl Signal {
    /// Reads the Ack for `id` and one update for `call_id`, in either order
    /// (replies go out directly; updates through the rep's queue).
    pub async fn expect_ack_and_update(&mut self, id: &str, call_id: CallId) -> CallUpdate {
        let mut acked = false;
        let mut update = None;
        while !(acked && update.is_some()) {
            match self.recv().await {
                ServerMessage::Ack { id: got } if got == id => acked = true,
                ServerMessage::CallUpdate {
                    call_id: got,
                    update: u,
                } if got == call_id => update = Some(u),
                other => panic!("expected ack {id} and an update, got {other:?}"),
            }
        }
        update.expect("loop ends with an update")
    }
}
