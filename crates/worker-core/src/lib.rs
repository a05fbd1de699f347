//! The extension worker's call logic, as a pure core.
//!
//! Chrome's worker is driven by events: a frame from the server, a button
//! pressed on a notification, the offscreen document's answer to a call's
//! offer, the watchdog alarm. Each becomes an [`Input`]; [`update`] applies
//! it to the [`Live`] model and returns the [`Effect`]s to carry out (show
//! or clear a notification, ring or silence, send a message, make or end a
//! call's audio, open the record). Nothing here touches Chrome, a socket or
//! a clock: the worker passes `now` in and runs the effects, so every rule
//! of the worker's call handling is a plain unit test on the host, like
//! `crates/calls` on the server.
//!
//! The model is what the worker keeps in `chrome.storage.session`, so a
//! worker Chrome stopped picks up where it was.

mod model;
mod moving;
pub mod test_ring;
mod update;
mod waiting;

pub use model::{
    CallEntry, CallPhase, KEEP_AT_MOST, KEEP_SETTLED, Live, LogDelivery, LogState, MAX_KEYED,
    PanelTab, RING_GRACE_MS, ring_is_over,
};
pub use test_ring::{StepFailure, StepTime, TestRingReport, TestStep};
pub use update::{Effect, Input, Missed, notification, update};
pub use waiting::on_now;
