//! Request extractors that turn every rejection into an [`AppError`], so a
//! client always gets the JSON error shape, and the auth extractors.

use crate::error::AppError;
use crate::secrets::{hashes_equal, token_hash};
use crate::state::AppState;
use crate::store::RepAuth;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// `Json<T>` with JSON errors.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("send the body as JSON with Content-Type: application/json".into())
        }
        JsonRejection::JsonSyntaxError(e) => {
            AppError::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => AppError::Validation(e.body_text()),
        other => AppError::BadRequest(other.body_text()),
    }
}

/// `Query<T>` with JSON errors.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| AppError::BadRequest(rejection.body_text()))
    }
}

/// `Path<T>` with JSON errors.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection: PathRejection| AppError::BadRequest(rejection.body_text()))
    }
}

/// The signed-in rep, from `Authorization: Bearer <token>`.
pub struct AuthRep {
    pub rep: RepAuth,
    /// Kept so sign-out can delete exactly this session.
    pub token_hash: String,
}

impl FromRequestParts<AppState> for AuthRep {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(AppError::Unauthorized(
            "sign in first (POST /api/v1/sessions) and send Authorization: Bearer <token>",
        ))?;
        let hash = token_hash(token);
        let rep =
            state
                .store()
                .session_rep(&hash, state.now())
                .await?
                .ok_or(AppError::Unauthorized(
                    "your session has expired or was signed out; sign in again",
                ))?;
        Ok(Self {
            rep,
            token_hash: hash,
        })
    }
}

/// The address a request came from: the TCP peer, or, when the peer is a
/// trusted proxy, the last address in `X-Forwarded-For` that is not one.
/// Without connection info (a router called directly, as in unit tests) it
/// is the unspecified address.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        let trusted = &state.config().trusted_proxies;
        Ok(Self(client_behind(peer, trusted, &parts.headers)))
    }
}

fn client_behind(peer: IpAddr, trusted: &[IpAddr], headers: &HeaderMap) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    // Each proxy appends the address it heard from; read from the right and
    // stop at the first that is not ours (anything further left is the
    // client's to make up).
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// A request from the carrier, checked against the configured carrier token.
pub struct CarrierAuth;

impl FromRequestParts<AppState> for CarrierAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = state.carrier_token_hash() else {
            return Err(AppError::Unavailable(
                "carrier webhooks are disabled: start the server with --carrier-token (RINGBACK_CARRIER_TOKEN)",
            ));
        };
        match bearer(parts) {
            Some(token) if hashes_equal(&token_hash(token), expected) => Ok(Self),
            _ => Err(AppError::Unauthorized("wrong or missing carrier token")),
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.7, 203.0.113.5".parse().expect("header"),
        );
        let proxy = ip("10.0.0.2");
        assert_eq!(
            client_behind(ip("192.0.2.1"), &[proxy], &headers),
            ip("192.0.2.1")
        );
        assert_eq!(client_behind(proxy, &[proxy], &headers), ip("203.0.113.5"));
        // A chain of our own proxies is walked back to the first stranger.
        let inner = ip("203.0.113.5");
        assert_eq!(
            client_behind(proxy, &[proxy, inner], &headers),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last good hop.
        headers.insert("x-forwarded-for", "not-an-ip".parse().expect("header"));
        assert_eq!(client_behind(proxy, &[proxy], &headers), proxy);
    }
}
