//! Outbound calls from the Dialer: place, answer the audio offer, hang up
//! (the rules and the SIP side are `crate::outbound`'s).

use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, AuthRep};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::CallId;
use protocol::api::{DialAnswer, DialRequest, DialResponse};

/// The largest SDP answer taken (a browser's is about 1 KB).
const MAX_ANSWER: usize = 16 * 1024;

/// `POST /api/v1/calls/dial`
pub async fn dial(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiJson(request): ApiJson<DialRequest>,
) -> Result<(StatusCode, Json<DialResponse>), AppError> {
    let placed = state
        .dial(auth.rep.rep_id, auth.rep.team_id, &request)
        .await?;
    Ok((StatusCode::CREATED, Json(placed)))
}

/// `POST /api/v1/calls/{id}/answer`
pub async fn answer(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DialAnswer>,
) -> Result<StatusCode, AppError> {
    if body.answer.len() > MAX_ANSWER {
        return Err(AppError::Validation(format!(
            "answer: an SDP answer is at most {MAX_ANSWER} bytes"
        )));
    }
    state
        .dial_answer(auth.rep.rep_id, CallId(id), body.answer)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/calls/{id}/hang-up`
pub async fn hang_up(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.dial_hang_up(auth.rep.rep_id, CallId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
