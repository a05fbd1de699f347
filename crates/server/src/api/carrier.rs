//! The carrier's webhooks: where calls come from until the SIP trunk exists.

use crate::cluster::OwnerQuestion;
use crate::error::AppError;
use crate::exchange::{CallerOrigin, EventError};
use crate::extract::{ApiJson, ApiPath, CarrierAuth};
use crate::phone_leg::PhoneCommand;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use calls::Event;
use protocol::api::{CarrierEvent, CarrierEventKind, CarrierInbound, CarrierInboundResponse};
use protocol::{CallId, CallStatus};
use serde::{Deserialize, Serialize};
use store::CarrierCall;

pub async fn inbound(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiJson(request): ApiJson<CarrierInbound>,
) -> Result<Json<CarrierInboundResponse>, AppError> {
    Ok(Json(
        state.inbound_call(&request, CallerOrigin::Webhook).await?,
    ))
}

/// The call `carrier_call_id` names, or 404.
async fn carrier_call(state: &AppState, carrier_call_id: &str) -> Result<CarrierCall, AppError> {
    state
        .store()
        .call_by_carrier_id(carrier_call_id.trim())
        .await?
        .ok_or(AppError::NotFound("call"))
}

pub async fn event(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiJson(request): ApiJson<CarrierEvent>,
) -> Result<StatusCode, AppError> {
    let call = carrier_call(&state, &request.carrier_call_id).await?;
    let question = OwnerQuestion::Event {
        call: call.id,
        status: call.status,
        event: request.event,
    };
    let answer = match state.ask_owner(&call.owner, &question).await? {
        Some(answer) => answer,
        None => apply_event(&state, call.id, call.status, request.event).await,
    };
    answer.into_result()
}

/// How a carrier event went, where the call lives: the webhook's answer,
/// in a form that crosses the bus when another instance asked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "message", rename_all = "snake_case")]
pub enum EventAnswer {
    Applied,
    /// Stored but not live yet: the inbound webhook is still ringing it.
    SettingUp,
    Conflict(String),
    Failed(String),
}

impl EventAnswer {
    fn into_result(self) -> Result<StatusCode, AppError> {
        match self {
            Self::Applied => Ok(StatusCode::NO_CONTENT),
            Self::SettingUp => Err(AppError::Unavailable(
                "the call is still being set up; retry in a moment",
            )),
            Self::Conflict(message) => Err(AppError::Conflict(message)),
            Self::Failed(message) => Err(AppError::Internal(anyhow::anyhow!(message))),
        }
    }
}

/// Applies the carrier's event to a call this instance holds (or that no
/// instance holds any more); `status` is the call's as stored.
pub(crate) async fn apply_event(
    state: &AppState,
    id: CallId,
    status: CallStatus,
    kind: CarrierEventKind,
) -> EventAnswer {
    let (event, is_hang_up) = match kind {
        CarrierEventKind::PhoneAnswered => (Event::PhoneAnswered, false),
        CarrierEventKind::CallerHungUp => (Event::CallerHungUp, true),
        CarrierEventKind::PhoneHungUp => (Event::RepHungUp, true),
    };
    match state.carrier_event(id, event).await {
        Ok(()) => EventAnswer::Applied,
        Err(EventError::NotFound) if status != CallStatus::Ended => EventAnswer::SettingUp,
        // A hang-up for a call that is already over changes nothing.
        Err(EventError::NotFound) if is_hang_up => EventAnswer::Applied,
        Err(EventError::NotFound) => {
            EventAnswer::Conflict("the call is over; it can no longer be answered".into())
        }
        Err(EventError::Refused(refusal)) => EventAnswer::Conflict(refusal.to_string()),
        Err(EventError::Store(error)) => EventAnswer::Failed(error.to_string()),
        // Only an Accept carries media; no carrier event does.
        Err(EventError::Media(error)) => EventAnswer::Failed(error.to_string()),
        // Carrier events are applied where the call lives, never forwarded.
        Err(EventError::Elsewhere { message, .. }) => EventAnswer::Conflict(message),
    }
}

/// What the caller's side of a call hears and sends: the stand-in caller's
/// view of the audio until the SIP trunk exists (and a probe for tests).
pub async fn media(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiPath(carrier_call_id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let call = carrier_call(&state, &carrier_call_id).await?;
    let question = OwnerQuestion::Media { call: call.id };
    let report = match state.ask_owner(&call.owner, &question).await? {
        Some(report) => report,
        None => state
            .media()
            .report(call.id)
            .await
            .and_then(|report| serde_json::to_value(report).ok()),
    };
    report.map(Json).ok_or(AppError::NotFound("call audio"))
}

/// Every phone command issued for the call, in order (none for a call
/// nobody knows).
pub async fn commands(
    State(state): State<AppState>,
    _carrier: CarrierAuth,
    ApiPath(carrier_call_id): ApiPath<String>,
) -> Result<Json<Vec<PhoneCommand>>, AppError> {
    let carrier_call_id = carrier_call_id.trim().to_owned();
    let Some(call) = state.store().call_by_carrier_id(&carrier_call_id).await? else {
        return Ok(Json(Vec::new()));
    };
    let question = OwnerQuestion::Commands {
        carrier_call_id: carrier_call_id.clone(),
    };
    Ok(Json(
        match state.ask_owner(&call.owner, &question).await? {
            Some(commands) => commands,
            None => state.webhook_phone().commands(&carrier_call_id),
        },
    ))
}
