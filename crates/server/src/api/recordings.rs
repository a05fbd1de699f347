//! Voicemail audio: a call's recording, and the rep's own greeting.

use crate::error::AppError;
use crate::extract::{ApiPath, AuthRep};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use media::audio::{Clip, MAX_GREETING_SECS};
use protocol::{CallId, RepId};
use std::path::PathBuf;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// 60 s of 8 kHz 16-bit mono is 960,000 bytes, plus the header.
pub const MAX_GREETING_BYTES: usize = 1_000_000;

/// `GET /api/v1/calls/{id}/recording`: the voicemail as WAV; Range works, so
/// a player can seek.
pub async fn call_recording(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
    request: Request,
) -> Result<Response, AppError> {
    let path = recording_path(&state, auth.rep.rep_id, CallId(id)).await?;
    serve_wav(path, request, Caching::Recording).await
}

/// How long a browser may keep a served WAV.
#[derive(Debug, Clone, Copy)]
pub enum Caching {
    /// A recording never changes once written.
    Recording,
    /// A greeting can be replaced at the same URL: always revalidate.
    Greeting,
}

/// The file of a call's recording, if the call is this rep's and has one.
/// Another rep's call is "not found", like a missing one.
pub async fn recording_path(state: &AppState, rep: RepId, id: CallId) -> Result<PathBuf, AppError> {
    let view = state
        .store()
        .call_view(rep, id)
        .await?
        .ok_or(AppError::NotFound("call"))?;
    if view.recording.is_none() {
        return Err(AppError::NotFound("recording"));
    }
    Ok(state.config().recording_path(id))
}

/// Serves a WAV file with Range support.
pub async fn serve_wav(
    path: PathBuf,
    request: Request,
    caching: Caching,
) -> Result<Response, AppError> {
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Err(AppError::NotFound("recording"));
    }
    let served = ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|error| {
            tracing::error!(path = %path.display(), %error, "serving a recording failed");
            AppError::Unavailable("the recording could not be read; try again")
        })?;
    let mut response = served.map(Body::new).into_response();
    // The rep's own audio: never kept by a shared proxy.
    let policy = match caching {
        Caching::Recording => "private, max-age=3600",
        Caching::Greeting => "private, no-cache",
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(policy),
    );
    Ok(response)
}

/// `PUT /api/v1/settings/greeting`: the rep's own voicemail greeting, an
/// 8 kHz 16-bit mono WAV of at most 60 s.
pub async fn put_greeting(
    State(state): State<AppState>,
    auth: AuthRep,
    body: Body,
) -> Result<StatusCode, AppError> {
    let bytes = axum::body::to_bytes(body, MAX_GREETING_BYTES)
        .await
        .map_err(|_| {
            AppError::Validation(format!(
                "the greeting is larger than {MAX_GREETING_BYTES} bytes; keep it under {MAX_GREETING_SECS} s of 8 kHz mono"
            ))
        })?;
    save_greeting(&state, auth.rep.rep_id, &bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks and stores a greeting (API and settings page alike).
pub async fn save_greeting(state: &AppState, rep: RepId, bytes: &[u8]) -> Result<(), AppError> {
    Clip::from_wav(bytes, MAX_GREETING_SECS)
        .map_err(|error| AppError::Validation(format!("greeting: {error}")))?;
    let path = state.config().greeting_path(rep);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    }
    let partial = path.with_extension("wav.partial");
    tokio::fs::write(&partial, bytes).await.map_err(io_error)?;
    tokio::fs::rename(&partial, &path).await.map_err(io_error)?;
    tracing::info!(%rep, bytes = bytes.len(), "greeting uploaded");
    Ok(())
}

/// `DELETE /api/v1/settings/greeting`: back to the default greeting.
pub async fn delete_greeting(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<StatusCode, AppError> {
    remove_greeting(&state, auth.rep.rep_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_greeting(state: &AppState, rep: RepId) -> Result<(), AppError> {
    match tokio::fs::remove_file(state.config().greeting_path(rep)).await {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(error)),
    }
}

/// `GET /api/v1/settings/greeting`: what callers hear (the rep's own or the default).
pub async fn get_greeting(
    State(state): State<AppState>,
    auth: AuthRep,
    request: Request,
) -> Result<Response, AppError> {
    greeting_response(&state, auth.rep.rep_id, request).await
}

/// The greeting a rep's callers hear, as WAV: their own, or the shipped one
/// (the API and the settings page's player alike).
pub async fn greeting_response(
    state: &AppState,
    rep: RepId,
    request: Request,
) -> Result<Response, AppError> {
    if has_own_greeting(state, rep).await {
        return serve_wav(
            state.config().greeting_path(rep),
            request,
            Caching::Greeting,
        )
        .await;
    }
    Ok(default_greeting())
}

/// The shipped greeting, for a rep who has not uploaded one.
fn default_greeting() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "audio/wav"),
            (axum::http::header::CACHE_CONTROL, "private, no-cache"),
        ],
        media::audio::shipped::GREETING_WAV,
    )
        .into_response()
}

/// Whether the rep has uploaded a greeting of their own.
pub async fn has_own_greeting(state: &AppState, rep: RepId) -> bool {
    tokio::fs::try_exists(state.config().greeting_path(rep))
        .await
        .unwrap_or(false)
}

fn io_error(error: std::io::Error) -> AppError {
    tracing::error!(%error, "greeting storage failed");
    AppError::Unavailable("the greeting could not be stored; try again")
}
