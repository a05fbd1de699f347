//! The signalling WebSocket, `GET /api/v1/signal`.
//!
//! The handshake is checked before upgrading: the Origin must be an allowed
//! extension origin, and the client must offer the `ringback.v1` subprotocol
//! plus `ticket.<ticket>` with a fresh single-use ticket. After that the socket
//! speaks [`protocol::signal`]: Hello first (or a `device.<id>` subprotocol
//! that stands for it), answered by Welcome, whatever still rings for the
//! rep and their availability; then keepalives and the rep's actions on
//! calls ([`actions`]).
//! Bad frames get an error reply and the socket stays usable; a socket that
//! keeps sending them is closed with [`close_code::TOO_MANY_ERRORS`].

mod actions;
mod greeting;
mod replies;

use crate::error::AppError;
use crate::hub::Outbound;
use crate::rate::{RateBucket, SOCKET_BURST, SOCKET_PER_SECOND};
use crate::secrets::token_hash;
use crate::state::AppState;
use crate::store::TicketGrant;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use greeting::resume_ticket;
use protocol::signal::{ClientMessage, ServerMessage, SignalErrorCode, close_code};
use protocol::{
    DEVICE_SUBPROTOCOL_PREFIX, MAX_SIGNAL_FRAME_BYTES, SUBPROTOCOL, TICKET_SUBPROTOCOL_PREFIX,
};
pub(crate) use replies::error_reply;
use replies::{invalid_ids, salvage_id};
use tokio::time::Instant;

/// Frames larger than this are refused by the WebSocket layer itself (close
/// 1009); frames between [`MAX_SIGNAL_FRAME_BYTES`] and this get an error reply.
const HARD_FRAME_LIMIT: usize = 4 * MAX_SIGNAL_FRAME_BYTES;

/// After sending Close, how long the server reads on for the client's Close.
/// Dropping the connection at once would reset it while the client's frames
/// are still arriving, and a reset loses the replies and the Close frame
/// the client had not read yet.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Close code for a text frame that is not UTF-8 (RFC 6455 7.4.1).
const INVALID_PAYLOAD: u16 = 1007;

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        Some(origin)
            if state
                .config()
                .allowed_origins
                .iter()
                .any(|allowed| allowed == origin) => {}
        Some(_) => {
            return Err(AppError::Forbidden(
                "this origin may not open the signalling socket",
            ));
        }
        None => {
            return Err(AppError::Forbidden(
                "the signalling socket needs an Origin header",
            ));
        }
    }

    let offered: Vec<String> = ws
        .requested_protocols()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .collect();
    if !offered.iter().any(|p| p == SUBPROTOCOL) {
        return Err(AppError::BadRequest(format!(
            "offer the {SUBPROTOCOL} WebSocket subprotocol"
        )));
    }
    // A device named in the handshake stands for Hello (a header value, so
    // already free of anything a token may not hold).
    let named_device = match offered
        .iter()
        .find_map(|p| p.strip_prefix(DEVICE_SUBPROTOCOL_PREFIX))
    {
        Some(device) if replies::bad_id(device) => {
            return Err(AppError::BadRequest(format!(
                "the {DEVICE_SUBPROTOCOL_PREFIX} subprotocol must name a device of 1 to 64 characters"
            )));
        }
        device => device.map(str::to_owned),
    };
    let ticket = offered
        .iter()
        .find_map(|p| p.strip_prefix(TICKET_SUBPROTOCOL_PREFIX))
        .ok_or(AppError::Unauthorized(
            "offer a ticket subprotocol; get one from POST /api/v1/ws-tickets",
        ))?;
    // Held by the socket's task: shutdown waits until every one is dropped.
    let alive = state.socket_alive().ok_or(AppError::Unavailable(
        "the server is restarting; reconnect in a moment",
    ))?;
    let grant = state
        .store()
        .redeem_ticket(&token_hash(ticket), state.now())
        .await?
        .ok_or(AppError::Unauthorized(
            "the ticket is unknown, expired or already used; get a new one",
        ))?;

    Ok(ws
        .protocols([SUBPROTOCOL])
        // Small buffers: thousands of mostly idle sockets (see PLATFORM.md).
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(HARD_FRAME_LIMIT)
        .max_message_size(HARD_FRAME_LIMIT)
        .max_frame_size(HARD_FRAME_LIMIT)
        .on_upgrade(move |socket| async move {
            Connection {
                state,
                grant,
                named_device,
                socket,
                errors: 0,
                closed_with: None,
                rate: RateBucket::new(SOCKET_BURST, SOCKET_PER_SECOND, std::time::Instant::now()),
            }
            .run()
            .await;
            drop(alive);
        }))
}

/// One open signalling socket.
struct Connection {
    state: AppState,
    /// Who the ticket was for, and the session it came from.
    grant: TicketGrant,
    /// The device the handshake named, which stands for Hello; `None`: the
    /// client says Hello first.
    named_device: Option<String>,
    socket: WebSocket,
    /// Bad frames so far; past the configured limit the socket is closed.
    errors: u32,
    /// The close code the server sent, if it closed the socket.
    closed_with: Option<u16>,
    /// Frames the client may still send; a flood is closed.
    rate: RateBucket,
}

/// A frame, read.
enum Frame {
    Message(ClientMessage),
    /// Refused, with what to tell the client.
    Bad {
        id: Option<String>,
        code: SignalErrorCode,
        message: String,
    },
    /// Ping or pong: nothing to do.
    Control,
    /// Larger than the transport accepts: the socket cannot continue.
    TooLarge,
    /// A text frame that is not UTF-8: the socket cannot continue.
    NotUtf8,
    /// More frames than any extension sends: the socket is closed.
    Flood,
    Closed,
}

impl Connection {
    async fn run(mut self) {
        let named = self.named_device.take();
        let Some(device_id) = (match named {
            Some(device_id) => Some(device_id),
            None => self.await_hello().await,
        }) else {
            return;
        };
        let state = self.state.clone();
        let (registration, outbox) =
            state
                .hub()
                .register(self.grant.rep.rep_id, &device_id, &self.grant.session_hash);
        // Before Welcome: from then on a ring from any instance reaches this socket.
        let link = state.join_rep(self.grant.rep.rep_id).await;
        self.serve(&device_id, outbox).await;
        drop(link);
        // A socket gone otherwise (a worker Chrome stopped, a dropped
        // connection) leaves the rep reachable for the presence grace; one
        // that was signed out or had already been silent does not.
        if matches!(
            self.closed_with,
            Some(close_code::SIGNED_OUT | close_code::IDLE_TIMEOUT)
        ) {
            registration.without_grace();
        }
    }

    /// The registered socket's life: Welcome, availability, resume, then frames both ways
    /// until one side ends it.
    async fn serve(&mut self, device_id: &str, mut outbox: tokio::sync::mpsc::Receiver<Outbound>) {
        let state = self.state.clone();
        let rep = self.grant.rep.rep_id;
        // Signing out deletes the session, then closes the sockets the hub
        // holds for it. Checking the session only after registering closes
        // the gap between the two: a sign-out either finds this socket in the
        // hub, or has already deleted what this check reads.
        match state
            .store()
            .session_rep(&self.grant.session_hash, state.now())
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => {
                return self
                    .close(close_code::SIGNED_OUT, "signed out; sign in again")
                    .await;
            }
            Err(error) => {
                tracing::error!(%error, "checking a socket's session failed");
                return self.close(1011, "server error; reconnect").await;
            }
        }
        tracing::debug!(rep = %rep, device_id, "extension connected");

        if !self.greet(device_id).await {
            return;
        }
        let presence = state.config().presence_timeout;
        let mut last_heard = Instant::now();
        let session_left = self
            .grant
            .session_expires_at
            .saturating_sub(state.now())
            .max(0);
        let session_ends =
            Instant::now() + std::time::Duration::from_millis(session_left.unsigned_abs());
        // A fresh resume ticket at half the last one's life, so the browser
        // always holds one with time left.
        let resume_every = state.config().resume_ticket_ttl / 2;
        let mut next_resume_ticket = Instant::now() + resume_every;
        loop {
            tokio::select! {
                frame = self.socket.recv() => {
                    last_heard = Instant::now();
                    match self.read(frame) {
                        Frame::Message(message) => {
                            let reply = self.handle(message, device_id).await;
                            if self.send(&reply).await.is_err() {
                                return;
                            }
                        }
                        Frame::Bad { id, code, message } => {
                            if !self.refuse(id, code, message).await {
                                return;
                            }
                        }
                        Frame::Control => {}
                        Frame::TooLarge => return self.close_too_large().await,
                        Frame::NotUtf8 => return self.close_not_utf8().await,
                        Frame::Flood => return self.close_flood().await,
                        Frame::Closed => return,
                    }
                }
                queued = outbox.recv() => match queued {
                    Some(Outbound::Frame(frame)) => if self.socket.send(Message::Text(frame)).await.is_err() { return },
                    Some(Outbound::Close(code, reason)) => return self.close(code, reason).await,
                    // The hub dropped this socket as stuck.
                    None => return self.close(1008, "too slow to receive; reconnect").await,
                },
                () = tokio::time::sleep_until(next_resume_ticket) => {
                    next_resume_ticket += resume_every;
                    if let Some(resume_ticket) = resume_ticket(&state, &self.grant.session_hash).await
                        && self.send(&resume_ticket).await.is_err()
                    {
                        return;
                    }
                }
                () = tokio::time::sleep_until(session_ends) => {
                    return self.close(close_code::SIGNED_OUT, "session expired; sign in again").await;
                }
                () = tokio::time::sleep_until(last_heard + presence) => {
                    return self.close(close_code::IDLE_TIMEOUT, "no keepalive; reconnect").await;
                }
                () = state.shutting_down() => {
                    return self.close(close_code::GOING_AWAY, "server restarting; reconnect").await;
                }
            }
        }
    }

    /// Waits for Hello; returns the device id, or `None` if the socket ended.
    /// The deadline is fixed when the socket opens: pings and bad frames do
    /// not extend it.
    async fn await_hello(&mut self) -> Option<String> {
        let deadline = Instant::now() + self.state.config().presence_timeout;
        let state = self.state.clone();
        loop {
            let frame = tokio::select! {
                frame = tokio::time::timeout_at(deadline, self.socket.recv()) => match frame {
                    Ok(frame) => frame,
                    Err(_) => {
                        self.close(close_code::IDLE_TIMEOUT, "no hello; reconnect")
                            .await;
                        return None;
                    }
                },
                () = state.shutting_down() => {
                    self.close(close_code::GOING_AWAY, "server restarting; reconnect").await;
                    return None;
                }
            };
            match self.read(frame) {
                Frame::Message(ClientMessage::Hello { device_id, .. }) => return Some(device_id),
                Frame::Message(other) => {
                    let id = Some(other.id().to_owned());
                    if !self
                        .refuse(
                            id,
                            SignalErrorCode::HelloRequired,
                            "send hello first".into(),
                        )
                        .await
                    {
                        return None;
                    }
                }
                Frame::Bad { id, code, message } => {
                    if !self.refuse(id, code, message).await {
                        return None;
                    }
                }
                Frame::Control => {}
                Frame::TooLarge => {
                    self.close_too_large().await;
                    return None;
                }
                Frame::NotUtf8 => {
                    self.close_not_utf8().await;
                    return None;
                }
                Frame::Flood => {
                    self.close_flood().await;
                    return None;
                }
                Frame::Closed => return None,
            }
        }
    }

    fn read(&mut self, frame: Option<Result<Message, axum::Error>>) -> Frame {
        if matches!(frame, Some(Ok(_))) && !self.rate.take(std::time::Instant::now()) {
            return Frame::Flood;
        }
        let text = match frame {
            Some(Err(error)) => {
                return match error.into_inner().downcast::<tungstenite::Error>() {
                    Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => Frame::TooLarge,
                    Ok(e) if matches!(*e, tungstenite::Error::Utf8(_)) => Frame::NotUtf8,
                    _ => Frame::Closed,
                };
            }
            None | Some(Ok(Message::Close(_))) => return Frame::Closed,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Frame::Control,
            Some(Ok(Message::Binary(_))) => {
                return Frame::Bad {
                    id: None,
                    code: SignalErrorCode::BinaryNotSupported,
                    message: "send JSON text frames".into(),
                };
            }
            Some(Ok(Message::Text(text))) => text,
        };
        if text.len() > MAX_SIGNAL_FRAME_BYTES {
            return Frame::Bad {
                id: None,
                code: SignalErrorCode::MessageTooLarge,
                message: format!("frames are limited to {MAX_SIGNAL_FRAME_BYTES} bytes"),
            };
        }
        match serde_json::from_str::<ClientMessage>(text.as_str()) {
            Ok(message) => match invalid_ids(&message) {
                None => Frame::Message(message),
                Some(problem) => Frame::Bad {
                    id: None,
                    code: SignalErrorCode::InvalidId,
                    message: problem.into(),
                },
            },
            Err(error) => Frame::Bad {
                id: salvage_id(text.as_str()),
                code: SignalErrorCode::MalformedMessage,
                message: format!("not a ringback.v1 message: {error}"),
            },
        }
    }

    /// Replies with an error; closes the socket past the error budget.
    /// Returns whether the socket is still open.
    async fn refuse(&mut self, id: Option<String>, code: SignalErrorCode, message: String) -> bool {
        self.errors += 1;
        if self
            .send(&ServerMessage::Error { id, code, message })
            .await
            .is_err()
        {
            return false;
        }
        if self.errors >= self.state.config().max_socket_errors {
            self.close(close_code::TOO_MANY_ERRORS, "too many malformed messages")
                .await;
            return false;
        }
        true
    }

    async fn send(&mut self, message: &ServerMessage) -> Result<(), axum::Error> {
        let text = serde_json::to_string(message).map_err(axum::Error::new)?;
        self.socket.send(Message::text(text)).await
    }

    async fn close_too_large(&mut self) {
        self.close(
            close_code::MESSAGE_TOO_BIG,
            "frame too large; messages are small JSON objects",
        )
        .await;
    }

    async fn close_flood(&mut self) {
        tracing::warn!(rep = %self.grant.rep.rep_id, "a socket flooded the server; closing it");
        self.close(close_code::TOO_MANY_ERRORS, "too many messages; slow down")
            .await;
    }

    async fn close_not_utf8(&mut self) {
        self.close(INVALID_PAYLOAD, "text frames must be UTF-8 JSON")
            .await;
    }

    /// Sends Close, then finishes the handshake: what the client still sends
    /// is read and dropped until its own Close (or [`CLOSE_GRACE`]), so the
    /// connection ends cleanly and the client reads every reply it was sent.
    async fn close(&mut self, code: u16, reason: &'static str) {
        self.closed_with = Some(code);
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self.socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(message)) = self.socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    return;
                }
            }
        })
        .await;
    }
}
