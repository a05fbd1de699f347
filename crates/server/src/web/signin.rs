//! Sign in and out with the same accounts as the extension.

use super::{PageError, SESSION_COOKIE, WebRep, cookie_header, head, is_local_path};
use crate::api::sessions::authenticate;
use crate::error::AppError;
use crate::extract::ClientAddr;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a path of ours: never send a rep to another site after sign-in.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| is_local_path(n)).unwrap_or("/calls")
}

fn form(next: &str, email: &str, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Sign in"))
            body {
                main.narrow {
                    h1 { "Sign in to Ringback" }
                    @if let Some(error) = error { p.error role="alert" { (error) } }
                    form method="post" action="/login" {
                        input type="hidden" name="next" value=(next);
                        label { "Email" input type="email" name="email" value=(email) autocomplete="username" required autofocus; }
                        label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

pub async fn page(Query(query): Query<Next>) -> Markup {
    form(safe_next(query.next.as_deref()), "", None)
}

#[derive(Deserialize)]
pub struct SignIn {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(input): Form<SignIn>,
) -> Result<Response, PageError> {
    let next = safe_next(input.next.as_deref()).to_owned();
    // Login CSRF: another site must not sign the rep into someone else's account.
    if !same_origin(&headers) {
        return Err(PageError::Csrf);
    }
    match authenticate(&state, client, &input.email, input.password).await {
        Ok(session) => {
            let max_age = state.config().session_ttl.as_secs();
            // Secure whenever the rep reached us over HTTPS (directly or via a
            // TLS proxy); plain HTTP is for running on one's own machine.
            let secure = if over_https(&headers) { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
                session.token
            );
            Ok((
                [(header::SET_COOKIE, cookie_header(&cookie))],
                Redirect::to(&next),
            )
                .into_response())
        }
        Err(AppError::InvalidCredentials) => Ok((
            StatusCode::UNAUTHORIZED,
            form(
                &next,
                &input.email,
                Some("That email and password do not match an account. Check both and try again."),
            ),
        )
            .into_response()),
        Err(error @ (AppError::TooManyAttempts { .. } | AppError::Busy { .. })) => {
            let retry_after = error.retry_after_secs().unwrap_or(1);
            Ok((
                error.status(),
                [(header::RETRY_AFTER, retry_after.to_string())],
                form(&next, &input.email, Some(&capitalised(&error.to_string()))),
            )
                .into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn over_https(headers: &HeaderMap) -> bool {
    let value = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    value("x-forwarded-proto") == Some("https")
        || value(header::ORIGIN.as_str()).is_some_and(|o| o.starts_with("https://"))
}

/// A browser's form post carries `Origin`; it must name this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
    else {
        // No Origin: not a cross-site browser form (curl, old browsers).
        return true;
    };
    let origin = origin.to_str().unwrap_or("");
    let host = host.to_str().unwrap_or("");
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        == Some(host)
}

#[derive(Deserialize)]
pub struct SignOut {
    csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    rep: WebRep,
    Form(input): Form<SignOut>,
) -> Result<Response, PageError> {
    rep.check_csrf(&input.csrf)?;
    crate::api::sessions::end_session(&state, &rep.rep, &rep.token_hash).await?;
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((
        [(header::SET_COOKIE, cookie_header(&expired))],
        Redirect::to("/login"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, axum::http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn sign_in_posts_must_come_from_this_site() {
        assert!(same_origin(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(same_origin(&headers(&[
            ("origin", "https://rb.example.com"),
            ("host", "rb.example.com")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "rb.example.com")
        ])));
        assert!(
            same_origin(&headers(&[("host", "rb.example.com")])),
            "no Origin: not a browser form"
        );
    }

    #[test]
    fn the_cookie_is_secure_over_https() {
        assert!(over_https(&headers(&[("x-forwarded-proto", "https")])));
        assert!(over_https(&headers(&[(
            "origin",
            "https://rb.example.com"
        )])));
        assert!(!over_https(&headers(&[(
            "origin",
            "http://127.0.0.1:8080"
        )])));
    }

    #[test]
    fn after_sign_in_the_rep_stays_on_this_site() {
        assert_eq!(safe_next(Some("/people/3")), "/people/3");
        assert_eq!(safe_next(Some("/\\evil.example")), "/calls");
        assert_eq!(safe_next(None), "/calls");
    }
}
