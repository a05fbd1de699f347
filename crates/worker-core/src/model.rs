//! What the worker knows about the calls it was rung for.

use protocol::signal::{DialProgress, IncomingCall};
use protocol::{CallId, DispositionId, PersonId, SentimentId, UnixMillis};
use serde::{Deserialize, Serialize};

/// Where a call the rep was rung for stands, in this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallPhase {
    Ringing,
    /// Accept sent; waiting for the server to confirm.
    Accepting,
    Connected,
    /// Moved to the forwarding phone ("Move to my phone"): no audio here,
    /// but the panel still logs it.
    OnPhone,
    Ended,
    /// Not for this browser any more: closed, answered elsewhere, missed.
    Gone,
}

impl CallPhase {
    /// A call answered in this browser, on or over: the panel can log it.
    pub fn loggable(self) -> bool {
        matches!(self, Self::Connected | Self::OnPhone | Self::Ended)
    }

    /// Ringing here, or Accept pressed and not yet confirmed.
    pub fn ringing(self) -> bool {
        matches!(self, Self::Ringing | Self::Accepting)
    }

    /// The serialised name, for `data-` attributes and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Accepting => "accepting",
            Self::Connected => "connected",
            Self::OnPhone => "on_phone",
            Self::Ended => "ended",
            Self::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogDelivery {
    /// Kept in `chrome.storage`; retried until the server confirms.
    Queued {
        attempts: u32,
        last_error: Option<String>,
    },
    Logged,
    /// The server refused it for good; the message says why.
    Refused {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    pub notes: String,
    pub disposition_id: Option<DispositionId>,
    pub sentiment_id: Option<SentimentId>,
    pub delivery: LogDelivery,
}

/// In `chrome.storage.session`: survives the worker stopping, not the browser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Numbers the ids of the messages this worker sends (per worker run:
    /// the server only matches an id to its reply).
    #[serde(skip)]
    pub sent: u64,
    /// Dial updates for a call this browser has not heard it placed yet:
    /// the prospect's 180 can beat the server's answer to the dial. The
    /// latest [`MAX_EARLY`], applied once it is; memory only (it is a
    /// moment's wait).
    #[serde(skip)]
    pub early: Vec<(CallId, DialProgress)>,
}

/// Dial updates kept for calls not yet known here.
pub const MAX_EARLY: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Notes typed in a panel and not yet logged: a panel opened again (the
    /// CRM tab closed, the worker's own window) starts from them.
    #[serde(default)]
    pub draft: Option<String>,
    /// The rep dialled this call from this browser (`call.to` is then the
    /// prospect's number); it is `Accepting` until the prospect answers.
    #[serde(default)]
    pub outbound: bool,
    /// "Move to my phone" was asked and the phone has not answered yet.
    #[serde(default)]
    pub moving: bool,
    /// Why the last move did not happen, for the panel.
    #[serde(default)]
    pub move_note: Option<String>,
    /// On hold (call waiting): the rep took or switched to another call.
    #[serde(default)]
    pub held: bool,
    /// A dialled prospect's phone rings (the server said so).
    #[serde(default)]
    pub remote_ringing: bool,
    /// How a dialled call that never connected ended, as the panel says
    /// it (a sentence, so the pages need no reader for the outcomes).
    #[serde(default)]
    pub dial_result: Option<String>,
    /// The keypad keys pressed on this call so far, the latest
    /// [`MAX_KEYED`] of them.
    #[serde(default)]
    pub keyed: String,
    /// Why the server refused the last keys (a sentence for the rep).
    #[serde(default)]
    pub keypad_note: Option<String>,
}

/// Keypad keys kept per call for the panel to show.
pub const MAX_KEYED: usize = 64;

impl CallEntry {
    pub fn ringing(call: IncomingCall) -> Self {
        Self {
            call,
            phase: CallPhase::Ringing,
            answered_at: None,
            ended_at: None,
            log: None,
            answer: None,
            draft: None,
            outbound: false,
            moving: false,
            move_note: None,
            held: false,
            remote_ringing: false,
            dial_result: None,
            keyed: String::new(),
            keypad_note: None,
        }
    }

    /// A call this browser dialled, its audio being set up.
    pub fn dialled(call: IncomingCall) -> Self {
        Self {
            phase: CallPhase::Accepting,
            outbound: true,
            ..Self::ringing(call)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelTab {
    pub tab_id: i32,
    pub record_url: String,
    /// Set once injected, so later loads of the same page do not re-inject.
    pub injected: bool,
    /// The call Accept opened it for.
    #[serde(default)]
    pub call_id: Option<CallId>,
    /// Why the panel is not on the CRM record (the record never showed, or
    /// the page failed): the panel says so. Cleared once it is on the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// How long after its deadline a call still marked ringing here is taken to
/// have ended unseen (its end was lost with a socket).
pub const RING_GRACE_MS: i64 = 10_000;

/// A call still marked ringing here whose deadline passed long enough ago
/// that its end must have been lost.
pub fn ring_is_over(ring_deadline: i64, now: i64) -> bool {
    now > ring_deadline.saturating_add(RING_GRACE_MS)
}

/// Settled calls (missed, closed, logged) kept for panels opened late.
pub const KEEP_SETTLED: usize = 20;
/// The most calls kept at all, needed or not: storage stays bounded.
pub const KEEP_AT_MOST: usize = 200;

impl Live {
    pub fn entry(&self, call_id: CallId) -> Option<&CallEntry> {
        self.calls.iter().find(|e| e.call.call_id == call_id)
    }

    pub fn entry_mut(&mut self, call_id: CallId) -> Option<&mut CallEntry> {
        self.calls.iter_mut().find(|e| e.call.call_id == call_id)
    }

    pub fn phase_of(&self, call_id: CallId) -> Option<CallPhase> {
        self.entry(call_id).map(|e| e.phase)
    }

    /// Whether the ringtone should play: some call rings here and its
    /// deadline has not long passed.
    pub fn ringing(&self, now: UnixMillis) -> bool {
        self.calls
            .iter()
            .any(|e| e.phase == CallPhase::Ringing && !ring_is_over(e.call.ring_deadline, now))
    }

    /// The call a keyboard shortcut acts on: the newest one ringing here.
    pub fn ringing_call(&self, now: UnixMillis) -> Option<CallId> {
        self.calls
            .iter()
            .filter(|e| e.phase == CallPhase::Ringing && !ring_is_over(e.call.ring_deadline, now))
            .max_by_key(|e| e.call.started_at)
            .map(|e| e.call.call_id)
    }

    /// A call the rep still needs a panel for: on it in this browser, or
    /// answered here and not yet logged.
    pub fn needs_a_panel(&self, call_id: CallId) -> bool {
        self.entry(call_id).is_some_and(|e| match e.phase {
            CallPhase::Accepting | CallPhase::Connected | CallPhase::OnPhone => true,
            CallPhase::Ended => e.answered_at.is_some() && e.log.is_none(),
            _ => false,
        })
    }

    /// The rep said the call is from `person`, one of the others on the
    /// number: they are shown from now on, the one shown before among the
    /// others. `false` when there is no such call or Person.
    pub fn choose_person(&mut self, call_id: CallId, person: PersonId) -> bool {
        let Some(entry) = self.entry_mut(call_id) else {
            return false;
        };
        let call = &mut entry.call;
        let Some(i) = call.also.iter().position(|p| p.id == Some(person)) else {
            return call.person.id == Some(person);
        };
        let chosen = call.also.remove(i);
        let before = std::mem::replace(&mut call.person, chosen);
        call.also.insert(0, before);
        true
    }

    /// A fresh id for a message to the server.
    pub fn message_id(&mut self, prefix: &str) -> String {
        self.sent += 1;
        format!("{prefix}-{}", self.sent)
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

#[cfg(test)]
mod tests;
