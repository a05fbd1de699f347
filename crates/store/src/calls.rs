//! Calls: written as the state machine moves, read by the Calls API.

use super::fold::{contains_pattern, fold};
use super::row::Columns;
use super::{
    Store, StoreError, StoreResult, enum_from_text, enum_text, is_unique_violation, parse_enum,
};
use protocol::api::{CallLogView, CallPage, CallView, RecordingView};
use protocol::{
    CallId, CallOutcome, CallStatus, Choice, DispositionId, LegState, LogStatus, PersonId,
    PersonSnapshot, RepId, SentimentId, UnixMillis,
};

/// A call that just arrived, with the state its machine started in.
#[derive(Debug)]
pub struct NewCall<'a> {
    pub rep_id: RepId,
    pub carrier_call_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub person: &'a PersonSnapshot,
    pub call: &'a calls::Call,
    /// The instance that took the call from the carrier and runs it.
    pub owner: &'a str,
}

/// A call as the carrier names it: what its webhooks need to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierCall {
    pub id: CallId,
    pub rep: RepId,
    pub status: CallStatus,
    /// The instance that took the call from the carrier.
    pub owner: String,
}

/// Filters for the Calls list; all optional.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    /// Only calls logged to a Person (the Calls page), or only those not.
    pub logged: Option<bool>,
    pub outcome: Option<CallOutcome>,
    pub person_id: Option<PersonId>,
    pub since: Option<UnixMillis>,
    pub until: Option<UnixMillis>,
    /// Keyset pagination: calls older than this one.
    pub before: Option<CallId>,
    pub limit: u32,
    /// Only calls logged with this disposition.
    pub disposition_id: Option<DispositionId>,
    /// Only calls whose Person's name contains this, ignoring case (beyond
    /// ASCII: see [`fold`]).
    pub person_name: Option<String>,
}

/// The new call's id; a carrier call id seen before is a conflict (the
/// webhook or the dial was retried). Shared by inbound and outbound calls.
pub(super) fn inserted_call(
    result: Result<i64, sqlx::Error>,
    carrier_call_id: &str,
) -> StoreResult<CallId> {
    match result {
        Ok(id) => Ok(CallId(id)),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "carrier call {carrier_call_id} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The version after a compare-and-set write that touched `written` rows:
/// none means a newer state is stored ([`StoreError::Stale`]).
pub(super) fn next_version(written: u64, id: CallId, version: i64) -> StoreResult<i64> {
    if written == 0 {
        return Err(StoreError::Stale(id));
    }
    Ok(version + 1)
}

/// The columns every call view needs, completed by a literal tail.
macro_rules! select_call_views {
    ($tail:literal $(,)?) => {
        concat!(
            "SELECT c.id, c.from_number, c.to_number, c.person_snapshot, c.status, c.outcome,
                c.browser_leg, c.phone_leg, c.started_at, c.ring_deadline, c.answered_at, c.ended_at,
                c.recording_ms, c.recording_bytes, c.direction, c.dial_outcome,
                l.call_id AS log_call_id, l.notes, l.status AS log_status, l.logged_at, l.automatic,
                d.id AS d_id, d.label AS d_label, d.retired AS d_retired,
                s.id AS s_id, s.label AS s_label, s.retired AS s_retired
             FROM calls c
             LEFT JOIN call_logs l ON l.call_id = c.id
             LEFT JOIN dispositions d ON d.id = l.disposition_id
             LEFT JOIN sentiments s ON s.id = l.sentiment_id ",
            $tail
        )
    };
}

impl Store {
    /// Records a new call. A carrier call id seen before is a conflict (the
    /// webhook was retried); look the call up with [`Store::call_by_carrier_id`].
    pub async fn insert_call(&self, new: &NewCall<'_>) -> StoreResult<CallId> {
        let snapshot = serde_json::to_string(new.person).unwrap_or_else(|_| "{}".into());
        let result: Result<i64, sqlx::Error> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO calls (rep_id, carrier_call_id, from_number, to_number, person_id,
                    person_snapshot, status, outcome, browser_leg, phone_leg, started_at,
                    ring_deadline, answered_at, ended_at, person_name_folded, owner)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 RETURNING id",
            )
            .bind(new.rep_id.0)
            .bind(new.carrier_call_id)
            .bind(new.from)
            .bind(new.to)
            .bind(new.person.id.map(|p| p.0))
            .bind(&snapshot)
            .bind(enum_text(&new.call.status()))
            .bind(new.call.outcome().map(|o| enum_text(&o)))
            .bind(enum_text(&new.call.browser_leg()))
            .bind(enum_text(&new.call.phone_leg()))
            .bind(new.call.started_at())
            .bind(new.call.ring_deadline())
            .bind(new.call.answered_at())
            .bind(new.call.ended_at())
            .bind(fold(new.person.name.as_deref().unwrap_or_default()))
            .bind(new.owner)
            .fetch_one(pool)
            .await
        });
        inserted_call(result, new.carrier_call_id)
    }

    /// Writes the machine's current state for a call, if the stored state
    /// is still `version` (the one its writer read); returns the new version.
    /// A newer state (another instance ended the call) is [`StoreError::Stale`].
    pub async fn save_call(
        &self,
        id: CallId,
        call: &calls::Call,
        version: i64,
    ) -> StoreResult<i64> {
        let written = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE calls SET status = $1, outcome = $2, browser_leg = $3, phone_leg = $4,
                    answered_at = $5, ended_at = $6, version = version + 1
                 WHERE id = $7 AND version = $8",
            )
            .bind(enum_text(&call.status()))
            .bind(call.outcome().map(|o| enum_text(&o)))
            .bind(enum_text(&call.browser_leg()))
            .bind(enum_text(&call.phone_leg()))
            .bind(call.answered_at())
            .bind(call.ended_at())
            .bind(id.0)
            .bind(version)
            .execute(pool)
            .await?
            .rows_affected()
        });
        next_version(written, id, version)
    }

    /// Notes that a call's voicemail recording has been written.
    pub async fn set_recording(&self, id: CallId, recording: RecordingView) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE calls SET recording_ms = $1, recording_bytes = $2 WHERE id = $3")
                .bind(recording.duration_ms)
                .bind(recording.bytes)
                .bind(id.0)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The call a carrier id names.
    pub async fn call_by_carrier_id(
        &self,
        carrier_call_id: &str,
    ) -> StoreResult<Option<CarrierCall>> {
        let row: Option<(i64, i64, String, String)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT id, rep_id, status, owner FROM calls WHERE carrier_call_id = $1")
                .bind(carrier_call_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(id, rep, status, owner)| {
            Ok(CarrierCall {
                id: CallId(id),
                rep: RepId(rep),
                status: parse_enum("calls.status", status, enum_from_text)?,
                owner,
            })
        })
        .transpose()
    }

    /// A call of this rep; `None` for another rep's call, like a missing one.
    pub async fn call_view(&self, rep: RepId, id: CallId) -> StoreResult<Option<CallView>> {
        with_pool!(self, |pool| {
            sqlx::query(select_call_views!("WHERE c.id = $1 AND c.rep_id = $2"))
                .bind(id.0)
                .bind(rep.0)
                .fetch_optional(pool)
                .await?
                .map(|row| call_view_from_row(&row))
                .transpose()
        })
    }

    /// The rep's calls, newest first.
    pub async fn list_calls(&self, rep: RepId, filter: &CallFilter) -> StoreResult<CallPage> {
        let limit = filter.limit.clamp(1, 200);
        let mut calls = with_pool!(self, |pool| {
            sqlx::query(select_call_views!(
                "WHERE c.rep_id = $1
                   AND ($2 IS NULL OR $2 = (l.call_id IS NOT NULL AND l.person_id IS NOT NULL))
                   AND ($3 IS NULL OR c.outcome = $3)
                   AND ($4 IS NULL OR c.person_id = $4)
                   AND ($5 IS NULL OR c.started_at >= $5)
                   AND ($6 IS NULL OR c.started_at < $6)
                   AND ($7 IS NULL OR c.id < $7)
                   AND ($9 IS NULL OR l.disposition_id = $9)
                   AND ($10 IS NULL OR COALESCE(
                         (SELECT p.name_folded FROM people p
                           WHERE p.id = COALESCE(l.person_id, c.person_id)),
                         c.person_name_folded, ''
                       ) LIKE $10 ESCAPE '\\')
                 ORDER BY c.id DESC LIMIT $8"
            ))
            .bind(rep.0)
            .bind(filter.logged)
            .bind(filter.outcome.map(|o| enum_text(&o)))
            .bind(filter.person_id.map(|p| p.0))
            .bind(filter.since)
            .bind(filter.until)
            .bind(filter.before.map(|c| c.0))
            .bind(i64::from(limit) + 1)
            .bind(filter.disposition_id.map(|d| d.0))
            .bind(
                filter
                    .person_name
                    .as_deref()
                    .map(|name| contains_pattern(&fold(name))),
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(call_view_from_row)
            .collect::<StoreResult<Vec<_>>>()?
        });
        let next_before = if calls.len() > limit as usize {
            calls.truncate(limit as usize);
            calls.last().map(|c| c.id)
        } else {
            None
        };
        Ok(CallPage { calls, next_before })
    }
}

pub(super) fn call_view_from_row(row: &impl Columns) -> StoreResult<CallView> {
    let snapshot: String = row.column("person_snapshot")?;
    let person: PersonSnapshot =
        serde_json::from_str(&snapshot).map_err(|_| StoreError::Corrupt {
            column: "calls.person_snapshot",
            value: snapshot.clone(),
        })?;
    let outcome: Option<String> = row.column("outcome")?;
    let log_call_id: Option<i64> = row.column("log_call_id")?;
    let log = match log_call_id {
        None => None,
        Some(_) => Some(CallLogView {
            notes: row.column("notes")?,
            disposition: choice(row, "d_id", "d_label", "d_retired", DispositionId)?,
            sentiment: choice(row, "s_id", "s_label", "s_retired", SentimentId)?,
            status: parse_enum(
                "call_logs.status",
                row.column("log_status")?,
                enum_from_text::<LogStatus>,
            )?,
            logged_at: row.column("logged_at")?,
            automatic: row.column("automatic")?,
        }),
    };
    Ok(CallView {
        id: CallId(row.column("id")?),
        from: row.column("from_number")?,
        to: row.column("to_number")?,
        person,
        status: parse_enum("calls.status", row.column("status")?, enum_from_text)?,
        outcome: outcome
            .map(|o| parse_enum("calls.outcome", o, enum_from_text))
            .transpose()?,
        browser_leg: parse_enum(
            "calls.browser_leg",
            row.column("browser_leg")?,
            enum_from_text::<LegState>,
        )?,
        phone_leg: parse_enum(
            "calls.phone_leg",
            row.column("phone_leg")?,
            enum_from_text::<LegState>,
        )?,
        started_at: row.column("started_at")?,
        ring_deadline: row.column("ring_deadline")?,
        answered_at: row.column("answered_at")?,
        ended_at: row.column("ended_at")?,
        log,
        recording: row
            .column::<Option<i64>>("recording_ms")?
            .zip(row.column::<Option<i64>>("recording_bytes")?)
            .map(|(duration_ms, bytes)| RecordingView { duration_ms, bytes }),
        direction: parse_enum("calls.direction", row.column("direction")?, enum_from_text)?,
        dial_outcome: row
            .column::<Option<String>>("dial_outcome")?
            .map(|o| parse_enum("calls.dial_outcome", o, enum_from_text))
            .transpose()?,
    })
}

fn choice<Id>(
    row: &impl Columns,
    id: &str,
    label: &str,
    retired: &str,
    make_id: fn(i64) -> Id,
) -> StoreResult<Option<Choice<Id>>> {
    let Some(raw_id) = row.column::<Option<i64>>(id)? else {
        return Ok(None);
    };
    Ok(Some(Choice {
        id: make_id(raw_id),
        label: row.column(label)?,
        retired: row.column(retired)?,
    }))
}
