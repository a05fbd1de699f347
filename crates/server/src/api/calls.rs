//! Calls: list, detail, log, and edit a log's notes or status.

use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, AuthRep};
use crate::state::AppState;
use crate::store::{CallFilter, LogInput, LogWrite};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::api::{CallPage, CallView, LogCallRequest, TimelineEntry, UpdateLogRequest};
use protocol::{CallId, CallOutcome, DispositionId, PersonId, UnixMillis};
use serde::Deserialize;

pub(crate) const MAX_NOTES: usize = 10_000;
const MAX_KEY: usize = 100;
/// The server's own automatic voicemail logs use these keys.
const VOICEMAIL_KEY_PREFIX: &str = "voicemail:";

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `true`: only calls logged to a Person (the Calls page).
    logged: Option<bool>,
    outcome: Option<CallOutcome>,
    person_id: Option<i64>,
    /// Start of the date range, Unix ms (inclusive).
    since: Option<UnixMillis>,
    /// End of the date range, Unix ms (exclusive).
    until: Option<UnixMillis>,
    /// `next_before` of the previous page.
    before: Option<i64>,
    limit: Option<u32>,
    disposition_id: Option<i64>,
    /// Part of the Person's name.
    q: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<CallPage>, AppError> {
    let filter = CallFilter {
        logged: query.logged,
        outcome: query.outcome,
        person_id: query.person_id.map(PersonId),
        since: query.since,
        until: query.until,
        before: query.before.map(CallId),
        limit: query.limit.unwrap_or(25),
        disposition_id: query.disposition_id.map(DispositionId),
        person_name: query.q.filter(|q| !q.trim().is_empty()),
    };
    Ok(Json(
        state.store().list_calls(auth.rep.rep_id, &filter).await?,
    ))
}

pub async fn read(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CallView>, AppError> {
    let view = state.store().call_view(auth.rep.rep_id, CallId(id)).await?;
    view.map(Json).ok_or(AppError::NotFound("call"))
}

/// `GET /api/v1/calls/{id}/timeline`: what happened to the call, oldest first.
pub async fn timeline(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<TimelineEntry>>, AppError> {
    let timeline = state
        .store()
        .call_timeline(auth.rep.rep_id, CallId(id))
        .await?;
    timeline.map(Json).ok_or(AppError::NotFound("call"))
}

pub async fn log(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<LogCallRequest>,
) -> Result<(StatusCode, Json<CallView>), AppError> {
    let key = request.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > MAX_KEY {
        return Err(AppError::Validation(format!(
            "idempotency_key must be 1 to {MAX_KEY} characters"
        )));
    }
    if key.starts_with(VOICEMAIL_KEY_PREFIX) {
        return Err(AppError::Validation(format!(
            "idempotency keys starting with {VOICEMAIL_KEY_PREFIX:?} are reserved; use a random one"
        )));
    }
    check_notes(&request.notes)?;
    let input = LogInput {
        idempotency_key: key.to_owned(),
        notes: request.notes,
        disposition_id: request.disposition_id,
        sentiment_id: request.sentiment_id,
        person_id: request.person_id,
    };
    match state
        .store()
        .log_call(auth.rep, CallId(id), &input, state.now())
        .await?
    {
        Some(LogWrite::Created(view)) => {
            state.note(view.id, crate::timeline::logged_by_rep()).await;
            Ok((StatusCode::CREATED, Json(view)))
        }
        Some(LogWrite::Replayed(view)) => Ok((StatusCode::OK, Json(view))),
        None => Err(AppError::NotFound("call")),
    }
}

pub async fn edit_log(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<UpdateLogRequest>,
) -> Result<Json<CallView>, AppError> {
    if let Some(notes) = &request.notes {
        check_notes(notes)?;
    }
    let view = state
        .store()
        .update_log(auth.rep, CallId(id), &request, state.now())
        .await?;
    view.map(Json).ok_or(AppError::NotFound("call"))
}

fn check_notes(notes: &str) -> Result<(), AppError> {
    if notes.chars().count() > MAX_NOTES {
        return Err(AppError::Validation(format!(
            "notes are limited to {MAX_NOTES} characters"
        )));
    }
    Ok(())
}
