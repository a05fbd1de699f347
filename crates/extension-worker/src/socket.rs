//! The signalling WebSocket: ticket, keepalive, reconnect with backoff. The
//! socket names this browser in its subprotocols, which stands for Hello.
//!
//! The socket lives only as long as the worker. A `generation` number ties each
//! callback to the socket it was made for, so events from a socket already
//! replaced are ignored. Reconnects wait [`rules::backoff_delay`]; if the worker
//! is stopped meanwhile, the watchdog alarm starts it again and
//! [`ensure_connected`] picks up from there. What arrives goes to the
//! handler set with [`on_event`].

use crate::http::{Api, ApiError};
use crate::{badge, rules, state};
use chrome::messages::ConnectionState;
use gloo_timers::callback::{Interval, Timeout};
use protocol::KEEPALIVE_INTERVAL_SECS;
use protocol::signal::{ClientMessage, ServerMessage, close_code};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the socket tells the rest of the worker, through the handler
/// [`on_event`] installs (so this module needs nothing of the call logic).
// One event at a time, handed straight on (see `wire::Frame`).
#[allow(clippy::large_enum_variant)]
pub enum SocketEvent {
    Message(ServerMessage),
    /// The rep's availability, as the server sent it (an
    /// [`protocol::Availability`], unread).
    Availability(JsValue),
    /// The server says this session is signed out; why, for the rep.
    SignedOut(String),
}

struct Link {
    socket: WebSocket,
    /// Dropping it stops the keepalives.
    _keepalive: Interval,
    /// Says Hello unless Welcome, which drops it, comes first (see
    /// [`HELLO_FALLBACK_MS`]).
    hello_fallback: Option<Timeout>,
}

/// A server older than the device subprotocol waits for Hello: one that has
/// not welcomed the socket this long after it was opened is sent one.
const HELLO_FALLBACK_MS: u32 = 2_000;

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
    static GENERATION: Cell<u32> = const { Cell::new(0) };
    static RETRY: RefCell<Option<Timeout>> = const { RefCell::new(None) };
    static NEXT_MESSAGE_ID: Cell<u64> = const { Cell::new(0) };
    /// When the current socket last heard from the server (it acks every keepalive).
    static LAST_HEARD: Cell<f64> = const { Cell::new(0.0) };
    static HANDLER: Cell<Option<fn(SocketEvent)>> = const { Cell::new(None) };
    /// The generation of a socket adopted from `sw.js` that the server has
    /// not welcomed yet: if it closes, its ticket was refused.
    static ADOPTED: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Where the socket's events go (set once, at boot).
pub fn on_event(handler: fn(SocketEvent)) {
    HANDLER.with(|h| h.set(Some(handler)));
}

fn emit(event: SocketEvent) {
    if let Some(handler) = HANDLER.with(Cell::get) {
        handler(event);
    }
}

/// A socket silent this long is dead (half-open after sleep or a network
/// change, or stuck connecting): close it and reconnect.
const SILENCE_LIMIT_MS: f64 = 2.0 * KEEPALIVE_INTERVAL_SECS as f64 * 1000.0 + 5000.0;

fn is_current(generation: u32) -> bool {
    GENERATION.with(Cell::get) == generation
}

/// Connect unless a socket is open or being opened, or a retry is scheduled.
pub fn ensure_connected() {
    let busy = LINK.with(|l| l.borrow().is_some()) || RETRY.with(|r| r.borrow().is_some());
    if !busy && state::read(|s| s.durable.session.is_some()) {
        wasm_bindgen_futures::spawn_local(connect());
    }
}

/// Close the socket for good (sign-out).
pub fn disconnect() {
    GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
    RETRY.with(|r| r.borrow_mut().take());
    if let Some(link) = LINK.with(|l| l.borrow_mut().take()) {
        let _ = link.socket.close();
    }
}

/// Send a message if the socket is open. `false` means it was not sent.
pub fn send(message: &ClientMessage) -> bool {
    let Ok(text) = chrome::js::to_js(message).and_then(|v| js_sys::JSON::stringify(&v)) else {
        return false;
    };
    LINK.with(|l| match l.borrow().as_ref() {
        Some(link) if link.socket.ready_state() == WebSocket::OPEN => {
            link.socket.send_with_str(&String::from(text)).is_ok()
        }
        _ => false,
    })
}

/// Whether a message sent now would go out.
pub fn is_open() -> bool {
    LINK.with(|l| {
        l.borrow()
            .as_ref()
            .is_some_and(|link| link.socket.ready_state() == WebSocket::OPEN)
    })
}

/// A fresh id for a client message.
pub fn message_id(prefix: &str) -> String {
    let n = NEXT_MESSAGE_ID.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    format!("{prefix}-{n}")
}

async fn connect() {
    let generation = GENERATION.with(|g| {
        g.set(g.get().wrapping_add(1));
        g.get()
    });
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return;
    };
    record_connection(ConnectionState::Connecting, None);
    show_connection_soon();
    let api = Api::for_session(&session);
    // A `TicketResponse`, read by hand (see `js_read`).
    let ticket = match api.post_raw("/ws-tickets", &()).await {
        Ok(answer) => match crate::js_read::string(&answer, "ticket") {
            Some(ticket) => ticket,
            None => return retry_later(generation, "unexpected answer for a ticket".into()),
        },
        Err(ApiError::SignedOut) if is_current(generation) => {
            return emit(SocketEvent::SignedOut(ApiError::SignedOut.message()));
        }
        Err(error) => return retry_later(generation, error.message()),
    };
    if !is_current(generation) {
        return;
    }
    let protocols = protocols(&ticket);
    let socket =
        match WebSocket::new_with_str_sequence(&rules::signal_url(&session.server), &protocols) {
            Ok(socket) => socket,
            Err(error) => return retry_later(generation, chrome::js::error_text(&error)),
        };
    hold(socket, generation);
}

/// The socket's subprotocols for `ticket`, naming this browser (which
/// stands for Hello: the server speaks first).
pub fn protocols(ticket: &str) -> js_sys::Array {
    rules::signal_protocols(ticket, &device_id())
        .iter()
        .map(|p| JsValue::from_str(p))
        .collect()
}

/// This browser's id, set at boot (see [`crate::boot`]).
fn device_id() -> String {
    state::read(|s| s.durable.device_id.clone()).unwrap_or_default()
}

/// Take over the socket `sw.js` opened from the prepared connection
/// ([`crate::resume`]), with the frames it heard before the wasm was ready.
/// `early` is `{ socket, heard }`, or null when nothing was prepared. Returns
/// `false` when there is nothing to adopt (connect as usual then).
pub fn adopt(early: &JsValue) -> bool {
    let socket =
        crate::js_read::field(early, "socket").and_then(|s| s.dyn_into::<WebSocket>().ok());
    let Some(socket) = socket else {
        return false;
    };
    let live = matches!(
        socket.ready_state(),
        WebSocket::CONNECTING | WebSocket::OPEN
    );
    if !live || LINK.with(|l| l.borrow().is_some()) || state::read(|s| s.durable.session.is_none())
    {
        let _ = socket.close();
        return false;
    }
    let generation = GENERATION.with(|g| {
        g.set(g.get().wrapping_add(1));
        g.get()
    });
    ADOPTED.with(|a| a.set(Some(generation)));
    record_connection(ConnectionState::Connecting, None);
    show_connection_soon();
    hold(socket, generation);
    if let Some(heard) = crate::js_read::field(early, "heard") {
        for frame in js_sys::Array::from(&heard).iter() {
            on_frame(generation, frame);
        }
    }
    true
}

/// Wire `socket`'s events, start its keepalives and make it the link.
fn hold(socket: WebSocket, generation: u32) {
    wire(&socket, generation);
    LAST_HEARD.with(|t| t.set(js_sys::Date::now()));
    let keepalive = Interval::new(KEEPALIVE_INTERVAL_SECS * 1000, move || {
        if !is_current(generation) {
            return;
        }
        let silent_for = js_sys::Date::now() - LAST_HEARD.with(Cell::get);
        if silent_for > SILENCE_LIMIT_MS {
            if let Some(link) = LINK.with(|l| l.borrow_mut().take()) {
                let _ = link.socket.close();
            }
            retry_later(generation, "the connection went silent".into());
            return;
        }
        send(&ClientMessage::Keepalive {
            id: message_id("keepalive"),
        });
    });
    let hello_fallback = Timeout::new(HELLO_FALLBACK_MS, move || {
        if is_current(generation) {
            send(&ClientMessage::Hello {
                id: message_id("hello"),
                device_id: device_id(),
                client: None,
            });
        }
    });
    LINK.with(|l| {
        *l.borrow_mut() = Some(Link {
            socket,
            _keepalive: keepalive,
            hello_fallback: Some(hello_fallback),
        })
    });
}

/// Attach the socket's callbacks. They are handed to JavaScript's garbage
/// collector (`into_js_value`) so a callback can safely outlive its `Link`.
fn wire(socket: &WebSocket, generation: u32) {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        on_frame(generation, event.data());
    });
    socket.set_onmessage(Some(on_message.into_js_value().unchecked_ref()));

    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
        if !is_current(generation) {
            return;
        }
        LINK.with(|l| l.borrow_mut().take());
        if ADOPTED.with(|a| a.take()) == Some(generation) {
            // Closed before Welcome: the prepared ticket was refused (spent,
            // stale, or its session gone). The usual way, at once.
            crate::resume::forget();
            return wasm_bindgen_futures::spawn_local(connect());
        }
        if event.code() == close_code::SIGNED_OUT {
            emit(SocketEvent::SignedOut(ApiError::SignedOut.message()));
        } else {
            let reason = match event.reason() {
                reason if reason.is_empty() => format!("connection closed (code {})", event.code()),
                reason => reason,
            };
            retry_later(generation, reason);
        }
    });
    socket.set_onclose(Some(on_close.into_js_value().unchecked_ref()));
}

/// One frame from the server (`data` of a message event, or one `sw.js`
/// heard before the wasm was ready).
fn on_frame(generation: u32, data: JsValue) {
    if !is_current(generation) {
        return;
    }
    LAST_HEARD.with(|t| t.set(js_sys::Date::now()));
    let Some(text) = data.as_string() else {
        return;
    };
    match crate::wire::server_frame(&text) {
        Ok(crate::wire::Frame::Message(message)) => on_server_message(message),
        Ok(crate::wire::Frame::Availability(value)) => emit(SocketEvent::Availability(value)),
        Ok(crate::wire::Frame::ResumeTicket(ticket)) => crate::resume::keep(ticket),
        Err(error) => web_sys::console::warn_2(&"ringback: unreadable frame".into(), &error),
    }
}

fn on_server_message(message: ServerMessage) {
    if let ServerMessage::Welcome { .. } = message {
        ADOPTED.with(|a| a.set(None));
        // Welcomed: the socket's Hello is not needed.
        LINK.with(|l| {
            if let Some(link) = l.borrow_mut().as_mut() {
                link.hello_fallback = None;
            }
        });
        state::transient(|t| t.reconnect_attempt = 0);
        // Online at once; the badge and the pages hear of it once the
        // rings the server re-sends after Welcome have been shown.
        record_connection(ConnectionState::Online, None);
        show_connection_soon();
    }
    emit(SocketEvent::Message(message));
}

/// The badge and the pages learn the connection state a moment later, as
/// it is then: connecting and coming online are on the way to a ring, and
/// each call to Chrome sent alongside delays its notification.
fn show_connection_soon() {
    crate::after_the_ring(async {
        badge::refresh();
        crate::notify_pages();
    });
}

fn retry_later(generation: u32, reason: String) {
    if !is_current(generation) {
        return;
    }
    LINK.with(|l| l.borrow_mut().take());
    let attempt = state::transient(|t| {
        t.reconnect_attempt = t.reconnect_attempt.saturating_add(1);
        t.reconnect_attempt - 1
    });
    let delay = rules::backoff_delay(attempt, js_sys::Math::random());
    set_connection(ConnectionState::Offline, Some(reason));
    let timeout = Timeout::new(delay.as_millis() as u32, || {
        RETRY.with(|r| r.borrow_mut().take());
        ensure_connected();
    });
    RETRY.with(|r| *r.borrow_mut() = Some(timeout));
}

/// Record the connection state, update the badge and tell open pages.
pub fn set_connection(connection: ConnectionState, error: Option<String>) {
    record_connection(connection, error);
    badge::refresh();
    crate::notify_pages();
}

fn record_connection(connection: ConnectionState, error: Option<String>) {
    state::transient(|t| {
        t.connection = Some(connection);
        if error.is_some() || connection == ConnectionState::Online {
            t.last_error = error;
        }
    });
}
