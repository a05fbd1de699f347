//! The inbound call lifecycle as a pure state machine.
//!
//! A [`Call`] is created by [`Call::ring`] from a [`RingRequest`] (who is called,
//! what their settings say, whether their browser is connected). From then on it
//! is driven by [`Event`]s and by time ([`Call::on_time`]); each step returns the
//! [`Action`]s the server must carry out (ring the browser, ring or stop the phone,
//! start voicemail, tell the rep's browsers what happened). Nothing here does I/O
//! or reads a clock: the caller passes `now`, so every rule of DESIGN.md is a
//! plain unit test.
//!
//! Each call is its own machine: an event for one call cannot act on another, so
//! accepting a callback never drops a live call (rule 7).
//!
//! Outbound calls, which the rep dials from the Dialer, have a machine of their
//! own, [`Dial`], built the same way.

mod call;
mod dial;
mod identify;
mod route;
mod who;

/// How long a connected call lasts at most by default (4 hours): past it,
/// its hang-up is taken to be lost and the call ends.
pub const DEFAULT_MAX_CALL_MS: i64 = 4 * 60 * 60 * 1000;

pub use call::{Action, Answerer, Audience, Call, Event, MAX_VOICEMAIL_MS, Phase, Refusal};
pub use dial::{
    DIAL_TIMEOUT_MS, Dial, DialAction, DialEvent, DialOutcome, DialPhase, DialRefusal, DialRequest,
    DialUpdate, Failure, PhoneLeg, caller_id,
};
pub use identify::caller_snapshot;
pub use route::{BrowserPresence, PRESENCE_GRACE_MS, RingRequest, Route, route};
pub use who::{Candidate, MAX_CANDIDATES, rank};
