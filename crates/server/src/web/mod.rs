//! The server's own web pages: sign-in, the Calls page, Person profiles,
//! dialer settings and the team's lists.
//!
//! Server-rendered with maud: the HTML is checked when the server compiles,
//! pages arrive complete (nothing to download and run before a rep sees their
//! calls), and there is no build step at run time. Forms post back and
//! redirect, so every page works without JavaScript; one small script only
//! shows times in the rep's own time zone (and tells the availability form
//! that zone's offset, for "until tomorrow").
//!
//! Sessions are the API's sessions, carried in an HttpOnly, SameSite=Lax
//! cookie. Every form carries a CSRF token derived from the session, checked
//! on every POST.

mod availability;
mod calls;
pub mod dial;
mod people;
mod region;
mod settings;
mod signin;
mod time;
mod timeline;

use crate::error::AppError;
use crate::route::{Access, Route, route as page};
use crate::secrets::{ServerKey, hashes_equal, token_hash};
use crate::state::AppState;
use crate::store::RepAuth;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

/// The session cookie's name.
/// The cookie that carries the session token on the pages.
pub const SESSION_COOKIE: &str = "rb_session";

/// Every page route, with the methods it takes and who may use it.
pub fn routes() -> Vec<Route> {
    use Access::{Public, Rep};
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    const GET_POST: &[Method] = &[Method::GET, Method::POST];
    let greeting_limit = axum::extract::DefaultBodyLimit::max(
        crate::api::recordings::MAX_GREETING_BYTES + 16 * 1024,
    );
    vec![
        page("/", GET, Public, get(|| async { Redirect::to("/calls") })),
        page(
            "/login",
            GET_POST,
            Public,
            get(signin::page).post(signin::submit),
        ),
        page("/logout", POST, Rep, post(signin::sign_out)),
        page("/calls", GET, Rep, get(calls::page)),
        page("/calls/{id}/notes", POST, Rep, post(calls::save_notes)),
        page("/calls/{id}/log", POST, Rep, post(calls::log)),
        page(
            "/calls/{id}/no-answer",
            POST,
            Rep,
            post(calls::mark_no_answer),
        ),
        page("/calls/{id}/recording", GET, Rep, get(calls::recording)),
        page("/calls/{id}/call-back", POST, Rep, post(dial::call_back)),
        page("/people/{id}", GET, Rep, get(people::page)),
        page("/people/{id}/call", POST, Rep, post(dial::call_person)),
        page(
            "/settings",
            GET_POST,
            Rep,
            get(settings::page).post(settings::save),
        ),
        page(availability::PATH, POST, Rep, post(availability::save)),
        page(
            "/settings/greeting.wav",
            GET,
            Rep,
            get(settings::greeting_audio),
        ),
        page(
            "/settings/greeting",
            POST,
            Rep,
            post(settings::upload_greeting).layer(greeting_limit),
        ),
        page(
            "/settings/greeting/reset",
            POST,
            Rep,
            post(settings::reset_greeting),
        ),
        page(
            "/team",
            GET_POST,
            Rep,
            get(settings::team_page).post(settings::team_change),
        ),
        page(region::PATH, POST, Rep, post(region::save)),
        page("/static/web.css", GET, Public, get(stylesheet)),
        page("/static/web.js", GET, Public, get(script)),
    ]
}

pub fn router() -> Router<AppState> {
    crate::route::router(routes())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("web.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("web.js"),
    )
}

/// A signed-in rep, from the session cookie. Pages that need one redirect
/// to the sign-in page, which brings the rep back afterwards.
pub struct WebRep {
    pub rep: RepAuth,
    pub name: String,
    token_hash: String,
    /// The token every form of this session must post back.
    csrf: String,
    /// Signs the notices and errors carried across a redirect.
    key: ServerKey,
}

impl WebRep {
    /// The token every form of this session must post back.
    pub fn csrf(&self) -> String {
        self.csrf.clone()
    }

    /// What signs a flash message for this session.
    fn flash_signature(&self, kind: &str, message: &str) -> String {
        let mut signature = self
            .key
            .sign(format!("ringback-flash:{}:{kind}:{message}", self.token_hash).as_bytes());
        signature.truncate(22);
        signature
    }

    pub fn check_csrf(&self, posted: &str) -> Result<(), PageError> {
        if hashes_equal(&self.csrf(), posted) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }
}

/// Keyed with the server's secret: the session hash alone (which the
/// database holds) is not enough to make it.
fn csrf_token(key: &ServerKey, session_hash: &str) -> String {
    key.sign(format!("ringback-csrf:{session_hash}").as_bytes())
}

fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

impl FromRequestParts<AppState> for WebRep {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        // After signing in, come back here; a form post cannot be replayed,
        // so the rep lands on the Calls page instead.
        let back_to = match parts.method {
            axum::http::Method::GET => parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            _ => "/calls".to_owned(),
        };
        let signed_out = || PageError::SignIn {
            back_to: back_to.clone(),
        };
        let token = session_cookie(parts).ok_or_else(signed_out)?;
        let hash = token_hash(token);
        let rep = state
            .store()
            .session_rep(&hash, state.now())
            .await
            .map_err(|e| PageError::App(e.into()))?
            .ok_or_else(signed_out)?;
        let profile = state
            .store()
            .rep_profile(rep.rep_id)
            .await
            .map_err(|e| PageError::App(e.into()))?;
        Ok(Self {
            rep,
            name: profile.name,
            csrf: csrf_token(state.server_key(), &hash),
            key: state.server_key().clone(),
            token_hash: hash,
        })
    }
}

/// What a page shows instead when something goes wrong.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): go to the sign-in page.
    SignIn {
        back_to: String,
    },
    /// A form without this session's token (an old tab, or another site).
    Csrf,
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        Self::App(error)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::App(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            Self::SignIn { back_to } => {
                let target = format!("/login?next={}", urlencode(&back_to));
                return Redirect::to(&target).into_response();
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form belongs to an older session. Go back, reload the page and try again."
                    .to_owned(),
            ),
            Self::App(AppError::NotFound(what)) => (
                StatusCode::NOT_FOUND,
                "Not found",
                format!("No such {what} among yours. It may belong to another rep."),
            ),
            Self::App(AppError::Forbidden(message)) => {
                (StatusCode::FORBIDDEN, "Not allowed", message.to_owned())
            }
            Self::App(error) => {
                let status = error.status();
                if status.is_server_error() {
                    tracing::error!(error = ?error, "page failed");
                    (
                        status,
                        "Something went wrong",
                        "Ringback could not do that. Try again in a moment.".to_owned(),
                    )
                } else {
                    (status, "Cannot do that", error.to_string())
                }
            }
        };
        let body = html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body { main.narrow { h1 { (title) } p.error { (message) } p { a href="/calls" { "Back to your calls" } } } }
            }
        };
        (status, body).into_response()
    }
}

/// Every page's `<head>`.
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Ringback" }
            link rel="stylesheet" href="/static/web.css";
            script src="/static/web.js" defer {}
        }
    }
}

/// A notice or an error for the page after a redirect (`?notice=` /
/// `?error=`), with `s`, the server's signature over it for this session:
/// a link someone else made cannot put words on a Ringback page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    pub notice: Option<String>,
    pub error: Option<String>,
    pub s: Option<String>,
}

impl Flash {
    /// The notice and error, if the server signed them for this rep's session.
    pub fn verified<'a>(&'a self, rep: &WebRep) -> (Option<&'a str>, Option<&'a str>) {
        let signed = |kind: &str, message: &'a Option<String>| -> Option<&'a str> {
            let message = message.as_deref()?;
            let s = self.s.as_deref()?;
            hashes_equal(&rep.flash_signature(kind, message), s).then_some(message)
        };
        (signed("notice", &self.notice), signed("error", &self.error))
    }
}

/// The page frame: navigation, the rep's name, sign-out.
pub fn layout(title: &str, rep: &WebRep, current: &str, body: Markup) -> Markup {
    let link = |href: &str, label: &str| {
        html! { a href=(href) aria-current=[(href == current).then_some("page")] { (label) } }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    span.brand { "Ringback" }
                    nav {
                        (link("/calls", "Calls"))
                        (link("/settings", "Dialer settings"))
                        @if rep.rep.is_admin { (link("/team", "Team lists")) }
                    }
                    form.signout method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(rep.csrf());
                        span.who { (rep.name) }
                        button.link type="submit" { "Sign out" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A notice or an error carried across a redirect in the query string.
pub fn flash(notice: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        @if let Some(error) = error { p.error role="alert" { (error) } }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Whether a redirect target stays on this site: a path, not `//host`,
/// `/\host` (browsers read it as `//host`) or anything with control
/// characters (browsers drop tabs and newlines, and headers refuse them).
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control)
}

/// A redirect back to a page of ours (never elsewhere) with a message.
pub fn back_with(rep: &WebRep, to: &str, key: &str, message: &str) -> Response {
    let to = if is_local_path(to) { to } else { "/calls" };
    let (path, fragment) = to
        .split_once('#')
        .map_or((to, String::new()), |(p, f)| (p, format!("#{f}")));
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!(
        "{path}{separator}{key}={}&s={}{fragment}",
        urlencode(message),
        rep.flash_signature(key, message)
    ))
    .into_response()
}

fn cookie_header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_redirect_targets() {
        assert!(is_local_path("/calls?q=ada#call-3"));
        for outside in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "calls",
            "/a\nb",
            "",
        ] {
            assert!(!is_local_path(outside), "{outside:?}");
        }
    }

    fn rep(session: &str, key: &ServerKey) -> WebRep {
        WebRep {
            rep: RepAuth {
                rep_id: protocol::RepId(1),
                team_id: protocol::TeamId(1),
                is_admin: false,
            },
            name: "Alice".into(),
            token_hash: session.into(),
            csrf: csrf_token(key, session),
            key: key.clone(),
        }
    }

    fn location(response: &Response) -> &str {
        response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[test]
    fn a_redirect_keeps_the_fragment_after_the_signed_message() {
        let alice = rep("session-a", &ServerKey::random());
        let response = back_with(&alice, "/calls?q=a#call-3", "notice", "Notes saved.");
        let signature = alice.flash_signature("notice", "Notes saved.");
        assert_eq!(
            location(&response),
            format!("/calls?q=a&notice=Notes%20saved.&s={signature}#call-3")
        );
        let elsewhere = back_with(&alice, "//evil.example", "error", "x");
        assert!(location(&elsewhere).starts_with("/calls?error=x&s="));
    }

    #[test]
    fn only_messages_the_server_signed_for_this_session_are_shown() {
        let key = ServerKey::random();
        let (alice, bob) = (rep("session-a", &key), rep("session-b", &key));
        let signed = Flash {
            notice: Some("Notes saved.".into()),
            error: None,
            s: Some(alice.flash_signature("notice", "Notes saved.")),
        };
        assert_eq!(signed.verified(&alice), (Some("Notes saved."), None));
        assert_eq!(
            signed.verified(&bob),
            (None, None),
            "another session's link"
        );
        let forged = Flash {
            notice: None,
            error: Some("Your account is locked: call +1 555 0100".into()),
            s: Some("made-up".into()),
        };
        assert_eq!(forged.verified(&alice), (None, None));
        let unsigned = Flash {
            error: Some("x".into()),
            ..Flash::default()
        };
        assert_eq!(unsigned.verified(&alice), (None, None));
    }

    #[test]
    fn csrf_tokens_differ_by_session_and_by_server() {
        let key = ServerKey::random();
        assert_ne!(csrf_token(&key, "a"), csrf_token(&key, "b"));
        assert_eq!(csrf_token(&key, "a"), csrf_token(&key, "a"));
        assert_ne!(csrf_token(&key, "a"), csrf_token(&ServerKey::random(), "a"));
    }
}
