//! The worker's memory, kept in `chrome.storage` because the worker itself is
//! stopped whenever Chrome likes (30 s idle).
//!
//! At start the worker loads both halves into a thread-local copy; every change
//! is made to that copy synchronously and then written back whole. Writes are
//! issued in the order the changes happened, so the stored copy never goes
//! back in time, and no two events interleave a read-modify-write.

use crate::js_storage;
use chrome::messages::ConnectionState;
use protocol::api::LogCallRequest;
use protocol::{Availability, AvailabilityMode, CallId};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

/// In `chrome.storage.local`: survives browser restarts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Durable {
    pub session: Option<Session>,
    /// Stable per browser profile: lets the server recognise a retried Accept.
    pub device_id: Option<String>,
    pub missed_calls: u32,
    /// Logs not yet confirmed by the server, oldest first.
    pub outbox: Vec<PendingLog>,
    /// The team's lists as last fetched (relayed to the panel unread), so the
    /// panel works while the server is away. `null` until fetched.
    #[serde(with = "serde_wasm_bindgen::preserve", default = "null")]
    pub choices: JsValue,
    /// The rep's availability as the server last sent it, relayed unread
    /// (an [`Availability`]; [`availability`] reads the two fields the
    /// badge needs): the badge shows it while the server is away too.
    #[serde(with = "serde_wasm_bindgen::preserve", default = "null")]
    pub availability: JsValue,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    /// Bearer token. Only the worker reads it; no page or content script gets it.
    pub token: String,
    pub rep_name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLog {
    pub call_id: CallId,
    pub request: LogCallRequest,
    pub attempts: u32,
}

impl Default for Durable {
    fn default() -> Self {
        Self {
            session: None,
            device_id: None,
            missed_calls: 0,
            outbox: Vec::new(),
            choices: JsValue::NULL,
            availability: JsValue::NULL,
        }
    }
}

fn null() -> JsValue {
    JsValue::NULL
}

pub use worker_core::{CallEntry, Live, PanelTab};

/// What lives only as long as the worker: not worth storing.
#[derive(Debug, Default)]
pub struct Transient {
    pub connection: Option<ConnectionState>,
    pub last_error: Option<String>,
    pub reconnect_attempt: u32,
}

#[derive(Debug, Default)]
pub struct State {
    pub durable: Durable,
    pub live: Live,
    pub transient: Transient,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// The keys `sw.js` reads at start too: change them together.
const DURABLE_KEY: &str = "ringback";
const LIVE_KEY: &str = "ringback_live";
const UNREADABLE_KEY: &str = "ringback_unreadable";

/// Read the state; never hold it across an `.await`.
pub fn read<R>(f: impl FnOnce(&State) -> R) -> R {
    STATE.with(|s| f(&s.borrow()))
}

/// Change what lives only in memory.
pub fn transient<R>(f: impl FnOnce(&mut Transient) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut().transient))
}

/// Change the durable half and write it to `chrome.storage.local`.
///
/// The change is applied before the first `.await`, so changes are stored
/// in the order they were made. (The generic part is kept to the one
/// synchronous line: each caller's closure instantiates it anew in wasm.)
pub async fn durable<R>(f: impl FnOnce(&mut Durable) -> R) -> Result<R, JsValue> {
    let result = STATE.with(|s| f(&mut s.borrow_mut().durable));
    save_durable().await?;
    Ok(result)
}

/// Change the live half and write it to `chrome.storage.session`.
pub async fn live<R>(f: impl FnOnce(&mut Live) -> R) -> Result<R, JsValue> {
    let result = STATE.with(|s| f(&mut s.borrow_mut().live));
    save_live().await?;
    Ok(result)
}

/// Changes the live half now; the caller has it written with
/// [`save_live_soon`] when it can (the ring path writes after the
/// notification is up). Writes reach storage in the order the changes
/// were made.
pub fn live_unsaved<R>(f: impl FnOnce(&mut Live) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut().live))
}

/// Writes the live half in the background.
pub fn save_live_soon() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(error) = save_live().await {
            web_sys::console::error_2(&"ringback: could not store the calls".into(), &error);
        }
    });
}

async fn save_durable() -> Result<(), JsValue> {
    let snapshot = STATE.with(|s| chrome::js::to_js(&s.borrow().durable))?;
    js_storage::save_local(DURABLE_KEY, snapshot).await
}

async fn save_live() -> Result<(), JsValue> {
    let snapshot = STATE.with(|s| chrome::js::to_js(&s.borrow().live))?;
    js_storage::save_session(LIVE_KEY, snapshot).await
}

/// Load both halves at start, from the reads `sw.js` started (of
/// [`DURABLE_KEY`] and [`LIVE_KEY`]). A stored value this version cannot
/// read is dropped rather than keeping the worker from starting.
pub async fn load(durable: js_sys::Promise, live: js_sys::Promise) -> Result<(), JsValue> {
    let live = js_storage::value_of(chrome::api::call(Ok(live)).await?, LIVE_KEY)?;
    let stored = js_storage::value_of(chrome::api::call(Ok(durable)).await?, DURABLE_KEY)?;
    let durable: Durable = match stored {
        None => Durable::default(),
        Some(raw) => match chrome::js::from_js(raw.clone()) {
            Ok(durable) => durable,
            Err(error) => {
                // Never overwrite what cannot be read (it may hold unsent
                // logs): set it aside for recovery, then start afresh.
                web_sys::console::error_2(
                    &"ringback: stored state unreadable; kept as ringback_unreadable".into(),
                    &error,
                );
                js_storage::save_local(UNREADABLE_KEY, raw).await?;
                Durable::default()
            }
        },
    };
    let live: Live = live
        .and_then(|value| chrome::js::from_js(value).ok())
        .unwrap_or_default();
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        state.durable = durable;
        state.live = live;
    });
    Ok(())
}

/// The state the badge and the pages show.
pub fn connection() -> ConnectionState {
    read(|s| {
        if s.durable.session.is_none() {
            ConnectionState::SignedOut
        } else {
            s.transient
                .connection
                .unwrap_or(ConnectionState::Connecting)
        }
    })
}

/// The rep's availability at `now`, read off what the server sent (two
/// fields by hand: deserialising it through serde costs the worker's wasm
/// kilobytes). Anything unreadable is Available, as the server would route.
pub fn availability(now: protocol::UnixMillis) -> Availability {
    let raw = read(|s| s.durable.availability.clone());
    let field = |name: &str| js_sys::Reflect::get(&raw, &name.into()).ok();
    let mode = field("mode")
        .and_then(|mode| mode.as_string())
        .and_then(|mode| AvailabilityMode::parse(&mode))
        .unwrap_or_default();
    let until = field("until")
        .and_then(|until| until.as_f64())
        .map(|until| until as protocol::UnixMillis);
    Availability { mode, until }.effective(now)
}

/// What `Date.now()` says: the core is given the time, never reads it.
pub fn now() -> protocol::UnixMillis {
    js_sys::Date::now() as i64
}
