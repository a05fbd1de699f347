//! Outbound calls (the rep dialled): rows of the calls table with
//! `direction = 'outbound'`, written as their [`calls::Dial`] moves.

use super::calls::{inserted_call, next_version};
use super::fold::fold;
use super::{Store, StoreResult, enum_text};
use protocol::api::CallDirection;
use protocol::{CallId, LegState, PersonSnapshot, RepId};

/// An outbound call just placed.
#[derive(Debug)]
pub struct NewOutboundCall<'a> {
    pub rep_id: RepId,
    /// Unique like a carrier's call id (the SIP dial's key).
    pub carrier_call_id: &'a str,
    /// The Person called (or the number alone, unknown).
    pub person: &'a PersonSnapshot,
    pub dial: &'a calls::Dial,
    /// The instance that placed the call and runs it.
    pub owner: &'a str,
}

impl Store {
    /// Records an outbound call: from the caller ID the prospect sees, to
    /// the prospect; the rep's browser is its answering leg.
    pub async fn insert_outbound_call(&self, new: &NewOutboundCall<'_>) -> StoreResult<CallId> {
        let snapshot = serde_json::to_string(new.person).unwrap_or_else(|_| "{}".into());
        let dial = new.dial;
        let result: Result<i64, sqlx::Error> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO calls (rep_id, carrier_call_id, from_number, to_number, person_id,
                    person_snapshot, status, browser_leg, phone_leg, started_at, ring_deadline,
                    person_name_folded, owner, direction)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 RETURNING id",
            )
            .bind(new.rep_id.0)
            .bind(new.carrier_call_id)
            .bind(dial.caller_id())
            .bind(dial.to())
            .bind(new.person.id.map(|p| p.0))
            .bind(&snapshot)
            .bind(enum_text(&dial.phase().status()))
            .bind(enum_text(&LegState::Answered))
            .bind(enum_text(&LegState::NotRung))
            .bind(dial.started_at())
            .bind(dial.started_at().saturating_add(calls::DIAL_TIMEOUT_MS))
            .bind(fold(new.person.name.as_deref().unwrap_or_default()))
            .bind(new.owner)
            .bind(enum_text(&CallDirection::Outbound))
            .fetch_one(pool)
            .await
        });
        inserted_call(result, new.carrier_call_id)
    }

    /// Writes an outbound call's state, if the stored one is still
    /// `version`; returns the new version ([`StoreError::Stale`] otherwise).
    pub async fn save_dial(
        &self,
        id: CallId,
        dial: &calls::Dial,
        version: i64,
    ) -> StoreResult<i64> {
        let written = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE calls SET status = $1, dial_outcome = $2, answered_at = $3, ended_at = $4,
                    version = version + 1
                 WHERE id = $5 AND version = $6 AND direction = 'outbound'",
            )
            .bind(enum_text(&dial.phase().status()))
            .bind(dial.outcome().map(|o| enum_text(&o.wire())))
            .bind(dial.answered_at())
            .bind(dial.ended_at())
            .bind(id.0)
            .bind(version)
            .execute(pool)
            .await?
            .rows_affected()
        });
        next_version(written, id, version)
    }
}
