//! Calls: written as the state machine moves, read by the Calls API.

use super::fold::fold;
use super::reps::is_unique_violation;
use super::{Store, StoreError, StoreResult, enum_from_text, enum_text, parse_enum};
use protocol::api::{CallLogView, CallPage, CallView, RecordingView};
use protocol::{
    CallId, CallOutcome, CallStatus, Choice, DispositionId, LegState, LogStatus, PersonId,
    PersonSnapshot, RepId, SentimentId, UnixMillis,
};
use sqlx::Row;

/// A call that just arrived, with the state its machine started in.
#[derive(Debug)]
pub struct NewCall<'a> {
    pub rep_id: RepId,
    pub carrier_call_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub person: &'a PersonSnapshot,
    pub call: &'a calls::Call,
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

/// The columns every call view needs, completed by a literal tail.
macro_rules! select_call_views {
    ($tail:literal $(,)?) => {
        concat!(
            "SELECT c.id, c.from_number, c.to_number, c.person_snapshot, c.status, c.outcome,
                c.browser_leg, c.phone_leg, c.started_at, c.ring_deadline, c.answered_at, c.ended_at,
                c.recording_ms, c.recording_bytes,
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
        let result = sqlx::query(
            "INSERT INTO calls (rep_id, carrier_call_id, from_number, to_number, person_id, person_snapshot,
                status, outcome, browser_leg, phone_leg, started_at, ring_deadline, answered_at, ended_at,
                person_name_folded)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.rep_id.0)
        .bind(new.carrier_call_id)
        .bind(new.from)
        .bind(new.to)
        .bind(new.person.id.map(|p| p.0))
        .bind(snapshot)
        .bind(enum_text(&new.call.status()))
        .bind(new.call.outcome().map(|o| enum_text(&o)))
        .bind(enum_text(&new.call.browser_leg()))
        .bind(enum_text(&new.call.phone_leg()))
        .bind(new.call.started_at())
        .bind(new.call.ring_deadline())
        .bind(new.call.answered_at())
        .bind(new.call.ended_at())
        .bind(fold(new.person.name.as_deref().unwrap_or_default()))
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) => Ok(CallId(done.last_insert_rowid())),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "carrier call {} already exists",
                new.carrier_call_id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the machine's current state for a call.
    pub async fn save_call(&self, id: CallId, call: &calls::Call) -> StoreResult<()> {
        sqlx::query(
            "UPDATE calls SET status = ?, outcome = ?, browser_leg = ?, phone_leg = ?, answered_at = ?, ended_at = ?
             WHERE id = ?",
        )
        .bind(enum_text(&call.status()))
        .bind(call.outcome().map(|o| enum_text(&o)))
        .bind(enum_text(&call.browser_leg()))
        .bind(enum_text(&call.phone_leg()))
        .bind(call.answered_at())
        .bind(call.ended_at())
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Notes that a call's voicemail recording has been written.
    pub async fn set_recording(&self, id: CallId, recording: RecordingView) -> StoreResult<()> {
        sqlx::query("UPDATE calls SET recording_ms = ?, recording_bytes = ? WHERE id = ?")
            .bind(recording.duration_ms)
            .bind(recording.bytes)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The call a carrier id names: its id, rep and status.
    pub async fn call_by_carrier_id(
        &self,
        carrier_call_id: &str,
    ) -> StoreResult<Option<(CallId, RepId, CallStatus)>> {
        let row: Option<(i64, i64, String)> =
            sqlx::query_as("SELECT id, rep_id, status FROM calls WHERE carrier_call_id = ?")
                .bind(carrier_call_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(id, rep, status)| {
            Ok((
                CallId(id),
                RepId(rep),
                parse_enum("calls.status", status, enum_from_text)?,
            ))
        })
        .transpose()
    }

    /// A call of this rep; `None` for another rep's call, like a missing one.
    pub async fn call_view(&self, rep: RepId, id: CallId) -> StoreResult<Option<CallView>> {
        let row = sqlx::query(select_call_views!("WHERE c.id = ? AND c.rep_id = ?"))
            .bind(id.0)
            .bind(rep.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| call_view_from_row(&row)).transpose()
    }

    /// The rep's calls, newest first.
    pub async fn list_calls(&self, rep: RepId, filter: &CallFilter) -> StoreResult<CallPage> {
        let limit = filter.limit.clamp(1, 200);
        let rows = sqlx::query(select_call_views!(
            "WHERE c.rep_id = ?1
               AND (?2 IS NULL OR ?2 = (l.call_id IS NOT NULL AND l.person_id IS NOT NULL))
               AND (?3 IS NULL OR c.outcome = ?3)
               AND (?4 IS NULL OR c.person_id = ?4)
               AND (?5 IS NULL OR c.started_at >= ?5)
               AND (?6 IS NULL OR c.started_at < ?6)
               AND (?7 IS NULL OR c.id < ?7)
               AND (?9 IS NULL OR l.disposition_id = ?9)
               AND (?10 IS NULL OR instr(COALESCE(
                     (SELECT p.name_folded FROM people p WHERE p.id = COALESCE(l.person_id, c.person_id)),
                     c.person_name_folded, ''
                   ), ?10) > 0)
             ORDER BY c.id DESC LIMIT ?8"
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
        .bind(filter.person_name.as_deref().map(fold))
        .fetch_all(&self.pool)
        .await?;
        let mut calls = rows
            .iter()
            .map(call_view_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_before = if calls.len() > limit as usize {
            calls.truncate(limit as usize);
            calls.last().map(|c| c.id)
        } else {
            None
        };
        Ok(CallPage { calls, next_before })
    }

    /// After a crash or restart no call can still be ringing or connected: the
    /// media and timers died with the process. Ends them; returns how many.
    pub async fn sweep_interrupted_calls(&self, now: UnixMillis) -> StoreResult<u64> {
        let swept = sqlx::query(
            "UPDATE calls SET
                outcome = COALESCE(outcome, 'missed'),
                browser_leg = CASE WHEN browser_leg = 'ringing' THEN 'stopped' ELSE browser_leg END,
                phone_leg = CASE WHEN phone_leg = 'ringing' THEN 'stopped' ELSE phone_leg END,
                status = 'ended',
                ended_at = ?
             WHERE status != 'ended'",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(swept)
    }
}

pub(super) fn call_view_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<CallView> {
    let snapshot: String = row.try_get("person_snapshot")?;
    let person: PersonSnapshot =
        serde_json::from_str(&snapshot).map_err(|_| StoreError::Corrupt {
            column: "calls.person_snapshot",
            value: snapshot.clone(),
        })?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let log_call_id: Option<i64> = row.try_get("log_call_id")?;
    let log = match log_call_id {
        None => None,
        Some(_) => Some(CallLogView {
            notes: row.try_get("notes")?,
            disposition: choice(row, "d_id", "d_label", "d_retired", DispositionId)?,
            sentiment: choice(row, "s_id", "s_label", "s_retired", SentimentId)?,
            status: parse_enum(
                "call_logs.status",
                row.try_get("log_status")?,
                enum_from_text::<LogStatus>,
            )?,
            logged_at: row.try_get("logged_at")?,
            automatic: row.try_get("automatic")?,
        }),
    };
    Ok(CallView {
        id: CallId(row.try_get("id")?),
        from: row.try_get("from_number")?,
        to: row.try_get("to_number")?,
        person,
        status: parse_enum("calls.status", row.try_get("status")?, enum_from_text)?,
        outcome: outcome
            .map(|o| parse_enum("calls.outcome", o, enum_from_text))
            .transpose()?,
        browser_leg: parse_enum(
            "calls.browser_leg",
            row.try_get("browser_leg")?,
            enum_from_text::<LegState>,
        )?,
        phone_leg: parse_enum(
            "calls.phone_leg",
            row.try_get("phone_leg")?,
            enum_from_text::<LegState>,
        )?,
        started_at: row.try_get("started_at")?,
        ring_deadline: row.try_get("ring_deadline")?,
        answered_at: row.try_get("answered_at")?,
        ended_at: row.try_get("ended_at")?,
        log,
        recording: row
            .try_get::<Option<i64>, _>("recording_ms")?
            .zip(row.try_get::<Option<i64>, _>("recording_bytes")?)
            .map(|(duration_ms, bytes)| RecordingView { duration_ms, bytes }),
    })
}

fn choice<Id>(
    row: &sqlx::sqlite::SqliteRow,
    id: &str,
    label: &str,
    retired: &str,
    make_id: fn(i64) -> Id,
) -> StoreResult<Option<Choice<Id>>> {
    let Some(raw_id) = row.try_get::<Option<i64>, _>(id)? else {
        return Ok(None);
    };
    Ok(Some(Choice {
        id: make_id(raw_id),
        label: row.try_get(label)?,
        retired: row.try_get(retired)?,
    }))
}
