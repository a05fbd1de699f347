//! Call logs: written once by the rep (or automatically for a voicemail),
//! then only their notes and status change.

use super::{Dialect, RepAuth, Store, StoreError, StoreResult};
use protocol::api::{CallView, UpdateLogRequest};
use protocol::{
    CallId, CallOutcome, CallStatus, DispositionId, LogStatus, PersonId, SentimentId, UnixMillis,
};

/// A rep's log of a call.
#[derive(Debug, Clone)]
pub struct LogInput {
    pub idempotency_key: String,
    pub notes: String,
    pub disposition_id: Option<DispositionId>,
    pub sentiment_id: Option<SentimentId>,
    /// For a call from an unknown number: the Person to log it to.
    pub person_id: Option<PersonId>,
}

/// What logging did.
#[derive(Debug, Clone)]
pub enum LogWrite {
    Created(CallView),
    /// The idempotency key had been used for this call: nothing was written.
    Replayed(CallView),
}

/// A refusal the API turns into a 409.
fn conflict(message: &str) -> StoreError {
    StoreError::Conflict(message.to_owned())
}

/// A refusal the API turns into a 422.
fn invalid(message: &str) -> StoreError {
    StoreError::Invalid(message.to_owned())
}

impl Store {
    /// Logs a call exactly once per idempotency key. `None` when the rep has no
    /// such call.
    pub async fn log_call(
        &self,
        rep: RepAuth,
        call: CallId,
        input: &LogInput,
        now: UnixMillis,
    ) -> StoreResult<Option<LogWrite>> {
        let dialect = self.dialect();
        let replayed = with_pool!(self, |pool| {
            // Two deliveries of one log queue up here, so the second finds the
            // first's idempotency key: SQLite's IMMEDIATE takes the write lock
            // at once; on PostgreSQL the rep's row lock orders the rep's logs.
            let mut tx = pool
                .begin_with(dialect.pick("BEGIN IMMEDIATE", "BEGIN"))
                .await?;
            if dialect == Dialect::Postgres {
                sqlx::query("SELECT id FROM reps WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(rep.rep_id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let earlier: Option<i64> = sqlx::query_scalar(
                "SELECT call_id FROM call_logs WHERE rep_id = $1 AND idempotency_key = $2",
            )
            .bind(rep.rep_id.0)
            .bind(&input.idempotency_key)
            .fetch_optional(&mut *tx)
            .await?;
            match earlier {
                Some(earlier) if earlier != call.0 => {
                    return Err(conflict(
                        "this idempotency key was already used to log another call",
                    ));
                }
                Some(_) => true,
                None => {
                    let row: Option<(String, Option<i64>)> = sqlx::query_as(
                        "SELECT status, person_id FROM calls WHERE id = $1 AND rep_id = $2",
                    )
                    .bind(call.0)
                    .bind(rep.rep_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((status, call_person)) = row else {
                        return Ok(None);
                    };
                    if status == super::enum_text(&CallStatus::Ringing) {
                        return Err(conflict(
                            "the call is still ringing; answer it before logging",
                        ));
                    }
                    let person = match (call_person, input.person_id) {
                        (Some(person), _) => Some(person),
                        (None, Some(chosen)) => {
                            let owned: Option<i64> = sqlx::query_scalar(
                                "SELECT id FROM people WHERE id = $1 AND rep_id = $2",
                            )
                            .bind(chosen.0)
                            .bind(rep.rep_id.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                            Some(owned.ok_or_else(|| {
                                invalid("person_id does not name one of your people")
                            })?)
                        }
                        (None, None) => None,
                    };
                    let team: TeamChoiceState = sqlx::query_as(
                        "SELECT
                            (SELECT retired FROM dispositions WHERE id = $1 AND team_id = $3),
                            (SELECT retired FROM sentiments WHERE id = $2 AND team_id = $3),
                            (SELECT disposition_required FROM teams WHERE id = $3)",
                    )
                    .bind(input.disposition_id.map(|d| d.0))
                    .bind(input.sentiment_id.map(|s| s.0))
                    .bind(rep.team_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                    check_choices(input, team)?;

                    // A new log, or the rep logging over the automatic voicemail
                    // log (once): an existing rep's log is never touched, and
                    // then no row changes.
                    let written = sqlx::query(
                        "INSERT INTO call_logs (call_id, rep_id, person_id, idempotency_key, notes,
                            disposition_id, sentiment_id, status, automatic, logged_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'completed', FALSE, $8, $8)
                         ON CONFLICT (call_id) DO UPDATE SET
                            idempotency_key = excluded.idempotency_key, notes = excluded.notes,
                            disposition_id = excluded.disposition_id,
                            sentiment_id = excluded.sentiment_id, person_id = excluded.person_id,
                            automatic = FALSE, updated_at = excluded.updated_at
                         WHERE call_logs.automatic = TRUE",
                    )
                    .bind(call.0)
                    .bind(rep.rep_id.0)
                    .bind(person)
                    .bind(&input.idempotency_key)
                    .bind(&input.notes)
                    .bind(input.disposition_id.map(|d| d.0))
                    .bind(input.sentiment_id.map(|s| s.0))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if written.rows_affected() == 0 {
                        return Err(conflict(
                            "this call is already logged; its disposition and sentiment cannot change (notes can be edited)",
                        ));
                    }
                    if person.is_some() && call_person.is_none() {
                        sqlx::query("UPDATE calls SET person_id = $1 WHERE id = $2")
                            .bind(person)
                            .bind(call.0)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    false
                }
            }
        });
        let view = self.call_view(rep.rep_id, call).await?;
        Ok(view.map(if replayed {
            LogWrite::Replayed
        } else {
            LogWrite::Created
        }))
    }

    /// Edits a log's notes and status. Asking to change a logged disposition or
    /// sentiment is a conflict (and the database trigger refuses it too).
    pub async fn update_log(
        &self,
        rep: RepAuth,
        call: CallId,
        edit: &UpdateLogRequest,
        now: UnixMillis,
    ) -> StoreResult<Option<CallView>> {
        let UpdateLogRequest {
            notes,
            status,
            disposition_id: disposition,
            sentiment_id: sentiment,
        } = edit;
        let (notes, status) = (notes.as_deref(), *status);
        let Some(view) = self.call_view(rep.rep_id, call).await? else {
            return Ok(None);
        };
        let Some(log) = &view.log else {
            return Err(conflict("this call is not logged yet; log it first"));
        };
        let changes_disposition =
            disposition.is_some_and(|d| log.disposition.as_ref().map(|c| c.id) != Some(d));
        let changes_sentiment =
            sentiment.is_some_and(|s| log.sentiment.as_ref().map(|c| c.id) != Some(s));
        if changes_disposition || changes_sentiment {
            return Err(conflict(
                "disposition and sentiment cannot change once a call is logged",
            ));
        }
        if status == Some(LogStatus::NoAnswer) && view.outcome != Some(CallOutcome::Voicemail) {
            return Err(conflict(
                "only a voicemail's log can be marked \"no answer\"",
            ));
        }
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE call_logs SET notes = COALESCE($1, notes), status = COALESCE($2, status),
                    updated_at = $3
                 WHERE call_id = $4 AND rep_id = $5",
            )
            .bind(notes)
            .bind(status.map(|s| super::enum_text(&s)))
            .bind(now)
            .bind(call.0)
            .bind(rep.rep_id.0)
            .execute(pool)
            .await?;
        });
        self.call_view(rep.rep_id, call).await
    }

    /// Rule 5: a voicemail is logged as a completed call by the server.
    pub async fn log_voicemail(&self, call: CallId, now: UnixMillis) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO call_logs (call_id, rep_id, person_id, idempotency_key, notes, status,
                    automatic, logged_at, updated_at)
                 SELECT id, rep_id, person_id, 'voicemail:' || id, '', 'completed', TRUE, $1, $1
                 FROM calls WHERE id = $2
                 ON CONFLICT DO NOTHING",
            )
            .bind(now)
            .bind(call.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

/// What the team says of a log's choices: whether the disposition and the
/// sentiment are retired (`None` when not the team's, or none was given),
/// and whether a disposition is required.
type TeamChoiceState = (Option<bool>, Option<bool>, Option<bool>);

/// A disposition or sentiment must be the team's own and not retired, and a
/// team may require a disposition.
fn check_choices(input: &LogInput, team: TeamChoiceState) -> StoreResult<()> {
    let (disposition_retired, sentiment_retired, disposition_required) = team;
    match input.disposition_id {
        Some(_) => check_choice("disposition", disposition_retired)?,
        None if disposition_required == Some(true) => {
            return Err(invalid(
                "your team requires a disposition to log a call; pick one",
            ));
        }
        None => {}
    }
    if input.sentiment_id.is_some() {
        check_choice("sentiment", sentiment_retired)?;
    }
    Ok(())
}

fn check_choice(kind: &str, retired: Option<bool>) -> StoreResult<()> {
    match retired {
        None => Err(StoreError::Invalid(format!(
            "{kind}_id is not one of your team's {kind}s"
        ))),
        Some(true) => Err(StoreError::Invalid(format!(
            "that {kind} is retired; pick a current one"
        ))),
        Some(false) => Ok(()),
    }
}

impl StoreError {
    /// True when the database trigger of rule 8 refused a write (both
    /// backends' triggers raise the same message).
    pub fn is_immutable_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db))
            if db.message().contains("cannot change once a call is logged"))
    }
}
