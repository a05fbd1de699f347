//! The worker's memory, kept in `chrome.storage` because the worker itself is
//! stopped whenever Chrome likes (30 s idle).
//!
//! At start the worker loads both halves into a thread-local copy; every change
//! is made to that copy synchronously and then written back whole. Writes are
//! issued in the order the changes happened, so the stored copy never goes
//! back in time, and no two events interleave a read-modify-write.

use crate::js_storage;
use chrome::messages::{CallPhase, ConnectionState, LogDelivery, LogState};
use protocol::api::LogCallRequest;
use protocol::signal::IncomingCall;
use protocol::{CallId, UnixMillis};
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
        }
    }
}

fn null() -> JsValue {
    JsValue::NULL
}

/// In `chrome.storage.session`: survives the worker stopping, not the browser.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Live {
    pub calls: Vec<CallEntry>,
    /// The call the panel shows by default: the one last accepted here.
    pub active_call: Option<CallId>,
    /// The tab opened on Accept, waiting to reach the CRM record.
    pub panel_tab: Option<PanelTab>,
    /// Tabs the worker put a panel into; only panels there may see calls.
    pub injected_tabs: Vec<i32>,
    /// The site each of those tabs showed when the panel went in; a tab
    /// that leaves it is forgotten.
    pub injected_origins: Vec<(i32, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallEntry {
    pub call: IncomingCall,
    pub phase: CallPhase,
    pub answered_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    pub log: Option<LogState>,
    /// The browser's SDP answer once made, kept to resend Accept after a
    /// reconnect (the offscreen document keeps the connection it belongs to).
    #[serde(default)]
    pub answer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PanelTab {
    pub tab_id: i32,
    pub record_url: String,
    /// Set once injected, so later loads of the same page do not re-inject.
    pub injected: bool,
}

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

impl Live {
    pub fn entry(&self, call_id: CallId) -> Option<&CallEntry> {
        self.calls.iter().find(|e| e.call.call_id == call_id)
    }

    pub fn entry_mut(&mut self, call_id: CallId) -> Option<&mut CallEntry> {
        self.calls.iter_mut().find(|e| e.call.call_id == call_id)
    }

    /// Whether the ringtone should play: some call rings here and its
    /// deadline has not long passed.
    pub fn ringing(&self) -> bool {
        let now = js_sys::Date::now() as i64;
        self.calls.iter().any(|e| {
            e.phase == CallPhase::Ringing && !crate::rules::ring_is_over(e.call.ring_deadline, now)
        })
    }

    /// Bounds the list for storage without losing a call a panel may still
    /// need: every call not over yet, every call answered here and not yet
    /// logged, and the active one are kept, however many calls came after;
    /// of the rest (missed, closed, logged), the newest [`KEEP_SETTLED`].
    /// Past [`KEEP_AT_MOST`] even unlogged calls go, oldest first.
    pub fn prune(&mut self) {
        let active = self.active_call;
        let needed = |e: &CallEntry| {
            Some(e.call.call_id) == active
                || !matches!(e.phase, CallPhase::Ended | CallPhase::Gone)
                || (e.answered_at.is_some()
                    && !matches!(
                        e.log.as_ref().map(|l| &l.delivery),
                        Some(LogDelivery::Logged)
                    ))
        };
        self.calls
            .sort_by_key(|e| std::cmp::Reverse(e.call.started_at));
        let mut settled = 0;
        let mut kept = 0;
        self.calls.retain(|e| {
            let keep = if needed(e) {
                true
            } else {
                settled += 1;
                settled <= KEEP_SETTLED
            };
            if keep {
                kept += 1;
            }
            keep && kept <= KEEP_AT_MOST
        });
        self.calls.sort_by_key(|e| e.call.started_at);
    }
}

/// Settled calls (missed, closed, logged) kept for panels opened late.
pub const KEEP_SETTLED: usize = 20;
/// The most calls kept at all, needed or not: storage stays bounded.
pub const KEEP_AT_MOST: usize = 200;

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

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

/// Like [`live`], but the write happens in the background: for the ring
/// path, where the notification must not wait for storage. Writes still
/// reach storage in the order the changes were made.
pub fn live_soon<R>(f: impl FnOnce(&mut Live) -> R) -> R {
    let result = STATE.with(|s| f(&mut s.borrow_mut().live));
    wasm_bindgen_futures::spawn_local(async {
        if let Err(error) = save_live().await {
            web_sys::console::error_2(&"ringback: could not store the calls".into(), &error);
        }
    });
    result
}

async fn save_durable() -> Result<(), JsValue> {
    let snapshot = STATE.with(|s| chrome::js::to_js(&s.borrow().durable))?;
    js_storage::save_local(DURABLE_KEY, snapshot).await
}

async fn save_live() -> Result<(), JsValue> {
    let snapshot = STATE.with(|s| chrome::js::to_js(&s.borrow().live))?;
    js_storage::save_session(LIVE_KEY, snapshot).await
}

/// Load both halves at start. A stored value this version cannot read is
/// dropped rather than keeping the worker from starting.
pub async fn load() -> Result<(), JsValue> {
    // Both reads at once: this is on the way to connecting.
    let live = js_storage::load_session(LIVE_KEY);
    let durable: Durable = match js_storage::load_local(DURABLE_KEY).await? {
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
        .await?
        .and_then(|value| chrome::js::from_js(value).ok())
        .unwrap_or_default();
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        state.durable = durable;
        state.live = live;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::PersonSnapshot;

    fn entry(id: i64, phase: CallPhase, answered: bool, logged: bool) -> CallEntry {
        CallEntry {
            call: IncomingCall {
                call_id: CallId(id),
                person: PersonSnapshot {
                    id: None,
                    name: None,
                    title: None,
                    account: None,
                    crm_url: None,
                    number: "+14155550123".into(),
                },
                to: "+14155550100".into(),
                started_at: 1_000 * id,
                ring_deadline: 1_000 * id + 20_000,
                offer: None,
            },
            phase,
            answered_at: answered.then_some(1_000 * id + 5_000),
            ended_at: None,
            log: logged.then(|| LogState {
                notes: String::new(),
                disposition_id: None,
                sentiment_id: None,
                delivery: LogDelivery::Logged,
            }),
            answer: None,
        }
    }

    fn ids(live: &Live) -> Vec<i64> {
        live.calls.iter().map(|e| e.call.call_id.0).collect()
    }

    #[test]
    fn a_call_answered_here_and_not_logged_survives_any_number_of_later_calls() {
        let mut live = Live::default();
        live.calls.push(entry(1, CallPhase::Ended, true, false));
        for id in 2..=100 {
            live.calls.push(entry(id, CallPhase::Gone, false, false));
            live.prune();
        }
        assert!(ids(&live).contains(&1), "the unlogged call is kept");
        assert_eq!(live.calls.len(), 1 + KEEP_SETTLED);
        // The settled ones kept are the newest, in order.
        assert_eq!(ids(&live)[1..], (81..=100).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn a_live_or_active_call_is_kept_and_a_logged_one_is_just_history() {
        let mut live = Live::default();
        live.calls.push(entry(1, CallPhase::Connected, true, false));
        live.calls.push(entry(2, CallPhase::Ended, true, true));
        live.calls.push(entry(61, CallPhase::Ringing, false, false));
        live.calls.push(entry(3, CallPhase::Gone, false, false));
        live.active_call = Some(CallId(3));
        for id in 4..=60 {
            live.calls.push(entry(id, CallPhase::Gone, false, false));
        }
        live.prune();
        let kept = ids(&live);
        assert!(kept.contains(&1), "the connected call");
        assert!(kept.contains(&3), "the active call");
        assert!(kept.contains(&61), "a ringing call");
        assert!(!kept.contains(&2), "a logged call is history like the rest");
    }

    #[test]
    fn storage_stays_bounded_even_by_calls_that_are_never_logged() {
        let mut live = Live::default();
        for id in 1..=500 {
            live.calls.push(entry(id, CallPhase::Ended, true, false));
        }
        live.prune();
        assert_eq!(live.calls.len(), KEEP_AT_MOST);
        assert_eq!(ids(&live)[0], 301, "the oldest go first");
    }
}
