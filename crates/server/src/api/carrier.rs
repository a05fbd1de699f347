//! The carrier's webhooks: where calls come from until the SIP trunk exists.

use crate::error::AppError;
use crate::exchange::{CallerOrigin, EventError};
use crate::extract::{ApiJson, ApiPath, CarrierAuth};
use crate::phone_leg::PhoneCommand;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use calls::Event;
use media::MediaReport;
use protocol::CallStatus;
use protocol::api::{CarrierEvent, CarrierEventKind, CarrierInbound, CarrierInboundResponse};

pub async fn inbound(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiJson(request): ApiJson<CarrierInbound>,
) -> Result<Json<CarrierInboundResponse>, AppError> {
    Ok(Json(
        state.inbound_call(&request, CallerOrigin::Webhook).await?,
    ))
}

pub async fn event(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiJson(request): ApiJson<CarrierEvent>,
) -> Result<StatusCode, AppError> {
    let (id, _rep, status) = state
        .store()
        .call_by_carrier_id(request.carrier_call_id.trim())
        .await?
        .ok_or(AppError::NotFound("call"))?;
    let (event, is_hang_up) = match request.event {
        CarrierEventKind::PhoneAnswered => (Event::PhoneAnswered, false),
        CarrierEventKind::CallerHungUp => (Event::CallerHungUp, true),
        CarrierEventKind::PhoneHungUp => (Event::RepHungUp, true),
    };
    match state.carrier_event(id, event).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        // Stored but not live yet: the inbound webhook is still ringing it.
        Err(EventError::NotFound) if status != CallStatus::Ended => Err(AppError::Unavailable(
            "the call is still being set up; retry in a moment",
        )),
        // A hang-up for a call that is already over changes nothing.
        Err(EventError::NotFound) if is_hang_up => Ok(StatusCode::NO_CONTENT),
        Err(EventError::NotFound) => Err(AppError::Conflict(
            "the call is over; it can no longer be answered".into(),
        )),
        Err(EventError::Refused(refusal)) => Err(AppError::Conflict(refusal.to_string())),
        Err(EventError::Store(error)) => Err(error.into()),
        // Only an Accept carries media; no carrier event does.
        Err(EventError::Media(error)) => Err(AppError::Validation(error.to_string())),
        // Carrier events are applied here, never forwarded.
        Err(EventError::Elsewhere { message, .. }) => Err(AppError::Conflict(message)),
    }
}

/// What the caller's side of a call hears and sends: the stand-in caller's
/// view of the audio until the SIP trunk exists (and a probe for tests).
pub async fn media(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiPath(carrier_call_id): ApiPath<String>,
) -> Result<Json<MediaReport>, AppError> {
    let (id, _rep, _status) = state
        .store()
        .call_by_carrier_id(carrier_call_id.trim())
        .await?
        .ok_or(AppError::NotFound("call"))?;
    state
        .media()
        .report(id)
        .await
        .map(Json)
        .ok_or(AppError::NotFound("call audio"))
}

pub async fn commands(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiPath(carrier_call_id): ApiPath<String>,
) -> Json<Vec<PhoneCommand>> {
    Json(state.webhook_phone().commands(&carrier_call_id))
}
