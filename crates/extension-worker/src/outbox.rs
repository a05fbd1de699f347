//! No lost logs. A log is written to `chrome.storage.local` with an
//! idempotency key *before* anything is sent; [`flush`] then sends the
//! outbox in order and removes an entry only once the server has answered
//! for it. A retry after a crash, a stopped worker or a server outage sends
//! the same key, so the server stores the log exactly once.

use crate::http::{Api, ApiError};
use crate::state::{self, PendingLog};
use chrome::messages::{LogDelivery, LogState};
use protocol::api::LogCallRequest;
use protocol::{CallId, DispositionId, SentimentId};
use std::cell::Cell;

thread_local! {
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
}

pub struct NewLog {
    pub call_id: CallId,
    pub notes: String,
    pub disposition_id: Option<DispositionId>,
    pub sentiment_id: Option<SentimentId>,
}

/// Keep the log, then try to send it. Errors only if it could not be kept.
pub async fn enqueue(log: NewLog) -> Result<(), String> {
    let logged = state::read(|s| {
        s.live
            .entry(log.call_id)
            .and_then(|e| e.log.as_ref())
            .is_some_and(|l| l.delivery == LogDelivery::Logged)
    });
    if logged {
        return Err("This call is already logged.".into());
    }
    let request = LogCallRequest {
        idempotency_key: crate::random_id(),
        notes: log.notes.clone(),
        disposition_id: log.disposition_id,
        sentiment_id: log.sentiment_id,
        person_id: None,
    };
    // Checked and queued in one synchronous step, so a double click queues once.
    let queued = state::durable(|d| {
        if d.outbox.iter().any(|p| p.call_id == log.call_id) {
            return false;
        }
        d.outbox.push(PendingLog {
            call_id: log.call_id,
            request,
            attempts: 0,
        });
        true
    })
    .await;
    match queued {
        Ok(true) => {}
        Ok(false) => return Err("This call is already being logged.".into()),
        // Kept in memory and sent all the same; only a worker restart before
        // it is sent could lose it, so say so.
        Err(error) => web_sys::console::error_2(
            &"ringback: could not store the log; sending it now".into(),
            &error,
        ),
    }
    set_delivery(
        log.call_id,
        Some((log.notes, log.disposition_id, log.sentiment_id)),
        LogDelivery::Queued {
            attempts: 0,
            last_error: None,
        },
    )
    .await;
    wasm_bindgen_futures::spawn_local(flush());
    Ok(())
}

/// Send what is waiting, oldest first; stop at the first outage.
pub async fn flush() {
    if FLUSHING.with(|f| f.replace(true)) {
        return;
    }
    while let Some(pending) = state::read(|s| s.durable.outbox.first().cloned()) {
        let Some(session) = state::read(|s| s.durable.session.clone()) else {
            break;
        };
        let api = Api::for_session(&session);
        let path = format!("/calls/{}/log", pending.call_id.0);
        let result = api.post_raw(&path, &pending.request).await;
        let key = pending.request.idempotency_key.clone();
        match result {
            Ok(_) => {
                remove(&key).await;
                set_delivery(pending.call_id, None, LogDelivery::Logged).await;
            }
            Err(ApiError::Refused { message, .. }) => {
                remove(&key).await;
                set_delivery(pending.call_id, None, LogDelivery::Refused { message }).await;
            }
            Err(error) => {
                let attempts = pending.attempts.saturating_add(1);
                let _ = state::durable(|d| {
                    if let Some(p) = d
                        .outbox
                        .iter_mut()
                        .find(|p| p.request.idempotency_key == key)
                    {
                        p.attempts = attempts;
                    }
                })
                .await;
                let last_error = Some(error.message());
                set_delivery(
                    pending.call_id,
                    None,
                    LogDelivery::Queued {
                        attempts,
                        last_error,
                    },
                )
                .await;
                break;
            }
        }
    }
    FLUSHING.with(|f| f.set(false));
}

async fn remove(key: &str) {
    let _ = state::durable(|d| d.outbox.retain(|p| p.request.idempotency_key != key)).await;
}

/// Record in the call's entry how its log stands, for the panel.
async fn set_delivery(
    call_id: CallId,
    fields: Option<(String, Option<DispositionId>, Option<SentimentId>)>,
    delivery: LogDelivery,
) {
    let _ = state::live(|live| {
        let Some(entry) = live.entry_mut(call_id) else {
            return;
        };
        match (&mut entry.log, fields) {
            (_, Some((notes, disposition_id, sentiment_id))) => {
                entry.log = Some(LogState {
                    notes,
                    disposition_id,
                    sentiment_id,
                    delivery,
                })
            }
            (Some(log), None) => log.delivery = delivery,
            (None, None) => {}
        }
    })
    .await;
    crate::notify_pages();
}

pub fn pending_count() -> u32 {
    state::read(|s| s.durable.outbox.len() as u32)
}
