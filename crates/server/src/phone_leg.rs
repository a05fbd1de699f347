//! The forwarding-phone leg of a call, behind [`PhoneLeg`].
//!
//! The call rules decide *what* the phone does (ring, stop, take the forward,
//! play voicemail); a carrier integration decides *how*, and reports the
//! phone's news back (answered, failed, hung up) as [`PhoneNews`] on the
//! channel it was built with, which the server applies to the call.
//!
//! Two integrations: the SIP trunk dials the phone itself (`crate::trunk`'s
//! `SipPhoneLeg`, for calls that came over the trunk), and the
//! [`WebhookPhoneLeg`], whose carrier learns its commands by polling
//! `GET /api/v1/carrier/calls/{id}/commands` and reports with
//! `POST /api/v1/carrier/events`.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// What the server asks of the carrier for one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum PhoneCommand {
    /// Ring the rep's forwarding phone alongside the browser.
    Ring { number: String },
    /// Stop ringing the phone (answered in the browser, or voicemail takes over).
    StopRinging,
    /// Nobody answered: connect the caller to the forwarding phone for good.
    Forward { number: String },
    /// Nobody answered: connect the caller to Ringback's voicemail.
    StartVoicemail,
    /// The call is over: release the caller's leg.
    Release,
}

/// The call a phone command is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneCall {
    pub id: protocol::CallId,
    pub carrier_call_id: String,
    /// The prospect's number (E.164): the phone shows it as caller ID.
    pub caller: String,
    /// The rep's dialer number, for carriers that only send their own numbers.
    pub dialer: String,
    /// The caller is on the SIP trunk (so the trunk can bridge a phone to it).
    pub on_trunk: bool,
}

/// What a phone leg reports about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneNews {
    Answered,
    /// Busy, declined, unreachable: the caller stays, the rules go on.
    Failed,
    HungUp,
}

/// Carries out phone commands. Must not block: implementations queue.
pub trait PhoneLeg: Send + Sync + 'static {
    fn command(&self, call: &PhoneCall, command: PhoneCommand);
}

/// Keeps each call's commands for the carrier to collect.
#[derive(Debug, Default)]
pub struct WebhookPhoneLeg {
    calls: Mutex<CommandBook>,
}

/// The commands of the most recent calls; the oldest call is forgotten first.
#[derive(Debug, Default)]
struct CommandBook {
    by_call: HashMap<String, Vec<PhoneCommand>>,
    order: VecDeque<String>,
}

/// Calls whose commands are remembered; a carrier polls within seconds.
const REMEMBERED_CALLS: usize = 10_000;

impl WebhookPhoneLeg {
    /// Every command issued for a call, in order.
    pub fn commands(&self, carrier_call_id: &str) -> Vec<PhoneCommand> {
        let book = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        book.by_call
            .get(carrier_call_id)
            .cloned()
            .unwrap_or_default()
    }
}

impl PhoneLeg for WebhookPhoneLeg {
    fn command(&self, call: &PhoneCall, command: PhoneCommand) {
        let carrier_call_id = call.carrier_call_id.as_str();
        tracing::info!(carrier_call_id, ?command, "phone leg");
        let mut book = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if !book.by_call.contains_key(carrier_call_id) {
            if book.order.len() >= REMEMBERED_CALLS
                && let Some(oldest) = book.order.pop_front()
            {
                book.by_call.remove(&oldest);
            }
            book.order.push_back(carrier_call_id.to_owned());
        }
        book.by_call
            .entry(carrier_call_id.to_owned())
            .or_default()
            .push(command);
    }
}
