//! Sign-in, sign-out and WebSocket tickets.

use crate::error::AppError;
use crate::extract::{ApiJson, AuthRep, ClientAddr};
use crate::hashing::Busy;
use crate::metrics::Metrics;
use crate::secrets::{random_token, token_hash};
use crate::state::AppState;
use crate::store::{RepAuth, StoreError};
use crate::throttle::{Source, Throttled};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::api::{RepProfile, SessionResponse, SignInRequest, TicketResponse};
use protocol::{RepId, UnixMillis};
use std::net::IpAddr;
use std::time::Duration;

pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<(StatusCode, Json<SessionResponse>), AppError> {
    let NewSession {
        token,
        expires_at,
        rep_id,
    } = authenticate(&state, client, &request.email, request.password).await?;
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
    client: IpAddr,
    email: &str,
    password: String,
) -> Result<NewSession, AppError> {
    if email.len() > 254 || password.len() > 1024 {
        return Err(AppError::InvalidCredentials);
    }
    let source = Source::from(client);
    // Checked before the password, so a locked account costs no argon2 time.
    let metrics = state.metrics();
    if let Err(throttled) = state.sign_in_throttle().check(email, source, state.now()) {
        Metrics::count(&metrics.sign_ins_throttled);
        return Err(too_many_attempts(throttled));
    }
    let credentials = state.store().rep_credentials(email.trim()).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let valid = state
        .hashing()
        .verify(password, stored)
        .await
        .map_err(|_: Busy| {
            Metrics::count(&metrics.sign_ins_busy);
            AppError::Busy {
                message: "the server is busy checking other sign-ins; try again in a second",
                retry_after_secs: 1,
            }
        })?;
    let Some(credentials) = credentials.filter(|_| valid) else {
        state.sign_in_failed(email, source).await;
        Metrics::count(&metrics.sign_ins_failed);
        return Err(AppError::InvalidCredentials);
    };
    Metrics::count(&metrics.sign_ins);
    state.sign_in_succeeded(email, source).await;
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
    state.sign_out_everywhere(rep.rep_id, token_hash).await;
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
    let ticket = new_ticket(&state, &auth.token_hash, state.config().ticket_ttl).await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// A WebSocket ticket of the session whose token hashes to `session_hash`,
/// good for `ttl` (`POST /ws-tickets`, and each socket's resume tickets).
pub(crate) async fn new_ticket(
    state: &AppState,
    session_hash: &str,
    ttl: Duration,
) -> Result<TicketResponse, StoreError> {
    let ticket = random_token();
    let expires_at = state.now() + millis(ttl);
    state
        .store()
        .create_ticket(session_hash, &token_hash(&ticket), expires_at)
        .await?;
    Ok(TicketResponse { ticket, expires_at })
}

fn too_many_attempts(throttled: Throttled) -> AppError {
    let wait_ms = throttled.retry_after_ms().max(1);
    let retry_after_secs = u64::try_from((wait_ms + 999) / 1000).unwrap_or(1);
    let minutes = (wait_ms + 59_999) / 60_000;
    let message = match throttled {
        Throttled::Account { .. } => format!(
            "too many failed sign-ins for this account from your network: wait {minutes} minute(s) and try again, or ask your admin to check the password"
        ),
        Throttled::Source { .. } => format!(
            "too many failed sign-ins from your network: wait {minutes} minute(s) and try again"
        ),
    };
    AppError::TooManyAttempts {
        message,
        retry_after_secs,
    }
}

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Whether calls ring this rep's browser now (a socket said Hello and is
/// open), so a client or a test can wait on what the server knows.
pub async fn presence(State(state): State<AppState>, auth: AuthRep) -> Json<crate::hub::Presence> {
    Json(state.hub().presence(auth.rep.rep_id))
}
