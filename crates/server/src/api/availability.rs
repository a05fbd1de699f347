//! The rep's availability: Available, or do not disturb in Chrome or
//! everywhere, until a time or until turned off. The call rules route by it;
//! every browser of the rep is told when it changes.

use crate::error::AppError;
use crate::extract::{ApiJson, AuthRep};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use calls::Audience;
use protocol::signal::ServerMessage;
use protocol::{Availability, RepId};

/// `GET /availability`: what it is now (a do-not-disturb that ran out is
/// Available).
pub async fn read(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<Json<Availability>, AppError> {
    Ok(Json(current(&state, auth.rep.rep_id).await?))
}

/// `PUT /availability`: validated, stored, told to the rep's browsers.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiJson(requested): ApiJson<Availability>,
) -> Result<Json<Availability>, AppError> {
    Ok(Json(set(&state, auth.rep.rep_id, requested).await?))
}

/// The rep's availability now.
pub(crate) async fn current(state: &AppState, rep: RepId) -> Result<Availability, AppError> {
    let stored = state.store().availability(rep).await?;
    Ok(stored.effective(state.now()))
}

/// Checks, stores and pushes a requested availability (the API's and the
/// settings page's changes alike); returns what was stored.
pub(crate) async fn set(
    state: &AppState,
    rep: RepId,
    requested: Availability,
) -> Result<Availability, AppError> {
    let availability = requested
        .validated(state.now())
        .map_err(AppError::Validation)?;
    let _in_order = state.availability_writes().await;
    state.store().put_availability(rep, availability).await?;
    tracing::info!(%rep, mode = availability.mode.as_str(), until = ?availability.until, "availability changed");
    state
        .tell(
            rep,
            &Audience::AllBrowsers,
            &ServerMessage::Availability { availability },
        )
        .await;
    Ok(availability)
}
