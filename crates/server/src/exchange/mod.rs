//! The live calls: routes a carrier's inbound call to a rep, feeds events and
//! time into each call's state machine, and carries out the actions it returns
//! (signalling, phone leg, storage).
//!
//! Each live call sits behind its own async mutex, held while an event is
//! applied *and* its result is stored and sent, so two racing events on one
//! call (two browsers pressing Accept) are serialised while different calls
//! never wait for each other.
//!
//! Split by what it does: `inbound` routes and rings a new call, `events`
//! applies events and deadlines to a live call one step at a time, and
//! `actions` carries out what a step returns.

mod actions;
mod events;
mod inbound;

use crate::state::AppState;
use crate::store::StoreError;
use calls::{Answerer, Call, Phase, Refusal};
use media::MediaError;
use media::TrunkPeer;
use protocol::signal::IncomingCall;
use protocol::{CallId, PersonSnapshot, RepId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What stands for the number of a caller who withheld it.
pub const WITHHELD: &str = "Withheld";

#[derive(Default)]
pub struct Exchange {
    live: Mutex<HashMap<CallId, LiveEntry>>,
}

#[derive(Clone)]
struct LiveEntry {
    /// Outside the lock, so "what rings for this rep" needs no call's lock.
    rep: RepId,
    call: Arc<tokio::sync::Mutex<LiveCall>>,
    /// Where other instances reach the call; gone with the last clone of
    /// the entry once the call is forgotten.
    _link: Option<Arc<crate::cluster::CallLink>>,
}

/// Where a call's caller is.
#[derive(Debug, Clone)]
pub enum CallerOrigin {
    /// The carrier webhook: the caller's audio is the stand-in's.
    Webhook,
    /// The SIP trunk: the caller is this dialog, its audio RTP from `peer`.
    Trunk {
        sip_call_id: String,
        peer: TrunkPeer,
    },
}

/// The SIP side of a call that came over the trunk.
struct TrunkSide {
    sip_call_id: String,
    /// Where the caller's RTP is received (for the 200 OK's SDP).
    local_rtp: SocketAddr,
    /// 200 OK sent: the browser, the phone or voicemail took the call.
    answered: bool,
}

struct LiveCall {
    id: CallId,
    rep: RepId,
    carrier_call_id: String,
    trunk: Option<TrunkSide>,
    /// The ring message, kept to re-send on reconnect.
    incoming: IncomingCall,
    machine: Call,
    /// The stored state's version, which the next write must still find.
    version: i64,
}

/// Why an event on a call was not applied.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("no such live call")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The browser's SDP answer could not be used; the call keeps ringing.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// Refused by the instance that owns the call, with what to tell the socket.
    #[error("{message}")]
    Elsewhere {
        code: protocol::signal::SignalErrorCode,
        message: String,
    },
}

impl Exchange {
    fn entry(&self, id: CallId) -> Option<LiveEntry> {
        self.lock().get(&id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, LiveEntry>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A rep's live calls, taken out of the map's lock so each can be locked in turn.
    /// The live call `id` if it is `rep`'s: another rep's call is as good
    /// as missing.
    fn owned_by(&self, rep: RepId, id: CallId) -> Option<LiveEntry> {
        self.entry(id).filter(|e| e.rep == rep)
    }

    fn calls_of(&self, rep: RepId) -> Vec<LiveEntry> {
        self.lock()
            .values()
            .filter(|e| e.rep == rep)
            .cloned()
            .collect()
    }

    pub fn live_count(&self) -> usize {
        self.lock().len()
    }
}

impl AppState {
    /// The rep chose another of the People on the caller's number: a call
    /// still live shows them from now on (a resumed ring too), the one it
    /// showed before going among the others.
    pub(crate) async fn set_caller(&self, rep: RepId, id: CallId, person: PersonSnapshot) {
        let Some(entry) = self.exchange().owned_by(rep, id) else {
            return;
        };
        let mut live = entry.call.lock().await;
        let incoming = &mut live.incoming;
        if incoming.person.id == person.id {
            return;
        }
        incoming.also.retain(|other| other.id != person.id);
        let before = std::mem::replace(&mut incoming.person, person);
        incoming.also.insert(0, before);
    }

    /// The calls still ringing in this rep's browsers, to re-send on (re)connect.
    pub async fn ringing_for(&self, rep: RepId) -> Vec<IncomingCall> {
        let mut ringing = Vec::new();
        for entry in self.exchange().calls_of(rep) {
            let live = entry.call.lock().await;
            if live.machine.rings_in_browser() {
                ringing.push(live.incoming.clone());
            }
        }
        ringing.sort_by_key(|c| c.call_id);
        ringing
    }

    /// Whether `rep`'s call `id`, live here, is connected in the browser
    /// `device_id` (the one whose keypad may send tones); `None` when no
    /// such call lives here. Another rep's call is as missing as none.
    pub(crate) async fn answered_in_browser(
        &self,
        rep: RepId,
        id: CallId,
        device_id: &str,
    ) -> Option<bool> {
        let entry = self.exchange().owned_by(rep, id)?;
        let live = entry.call.lock().await;
        Some(matches!(
            live.machine.phase(),
            Phase::Connected(Answerer::Browser { device_id: winner }) if winner == device_id
        ))
    }

    /// Whether a call `id` lives on this instance (whoever's it is).
    pub(crate) fn lives_here(&self, id: CallId) -> bool {
        self.exchange().entry(id).is_some()
    }

    /// The calls this browser won and is still on, to confirm on reconnect:
    /// an Accepted lost with the old socket would leave the extension
    /// waiting while the caller is already connected to it.
    pub async fn connected_to(&self, rep: RepId, device_id: &str) -> Vec<CallId> {
        let mut connected = Vec::new();
        for entry in self.exchange().calls_of(rep) {
            let live = entry.call.lock().await;
            if let Phase::Connected(Answerer::Browser { device_id: winner }) = live.machine.phase()
                && winner == device_id
            {
                connected.push(live.id);
            }
        }
        connected.sort();
        connected
    }
}
