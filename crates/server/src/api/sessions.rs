//! Sign-in, sign-out and WebSocket tickets.

use crate::error::AppError;
use crate::extract::{ApiJson, AuthRep};
use crate::secrets::{random_token, token_hash, verify_password};
use crate::state::AppState;
use crate::store::RepAuth;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::api::{RepProfile, SessionResponse, SignInRequest, TicketResponse};
use protocol::{RepId, UnixMillis};

pub async fn sign_in(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<(StatusCode, Json<SessionResponse>), AppError> {
    let NewSession {
        token,
        expires_at,
        rep_id,
    } = authenticate(&state, &request.email, request.password).await?;
    let rep = state.store().rep_profile(rep_id).await?;
    tracing::info!(rep = %rep.id, "signed in");
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            token,
            expires_at,
            rep,
        }),
    ))
}

pub async fn sign_out(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<StatusCode, AppError> {
    end_session(&state, &auth.rep, &auth.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A session just created; the token is shown once and stored only hashed.
pub struct NewSession {
    pub token: String,
    pub expires_at: UnixMillis,
    pub rep_id: RepId,
}

/// Checks the password and opens a session: the API's sign-in and the web
/// pages' both come here.
pub async fn authenticate(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<NewSession, AppError> {
    if email.len() > 254 || password.len() > 1024 {
        return Err(AppError::InvalidCredentials);
    }
    // Checked before the password, so a locked account costs no argon2 time.
    if let Some(wait) = state.sign_in_throttle().locked_for(email, state.now()) {
        let minutes = (wait + 59_999) / 60_000;
        return Err(AppError::TooManyAttempts(format!(
            "too many failed sign-ins for this account: wait {minutes} minute(s) and try again, or ask your admin to check the password"
        )));
    }
    let credentials = state.store().rep_credentials(email.trim()).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref()))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let Some(credentials) = credentials.filter(|_| valid) else {
        state.sign_in_throttle().failed(email, state.now());
        return Err(AppError::InvalidCredentials);
    };
    state.sign_in_throttle().succeeded(email);
    let token = random_token();
    let now = state.now();
    let expires_at = now + millis(state.config().session_ttl);
    state
        .store()
        .create_session(credentials.rep_id, &token_hash(&token), now, expires_at)
        .await?;
    Ok(NewSession {
        token,
        expires_at,
        rep_id: credentials.rep_id,
    })
}

/// Ends a session; the extension it signed in stops ringing at once.
pub async fn end_session(
    state: &AppState,
    rep: &RepAuth,
    token_hash: &str,
) -> Result<(), AppError> {
    state.store().delete_session(token_hash).await?;
    state.hub().sign_out(rep.rep_id, token_hash);
    Ok(())
}

pub async fn me(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<Json<RepProfile>, AppError> {
    Ok(Json(state.store().rep_profile(auth.rep.rep_id).await?))
}

pub async fn ticket(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<(StatusCode, Json<TicketResponse>), AppError> {
    let ticket = random_token();
    let expires_at = state.now() + millis(state.config().ticket_ttl);
    state
        .store()
        .create_ticket(&auth.token_hash, &token_hash(&ticket), expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TicketResponse { ticket, expires_at }),
    ))
}

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
