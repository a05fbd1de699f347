//! A small CRM for the demo (`ringback serve --demo`), so Accept has a real
//! record to open on a fresh machine: a sign-in page and a Contact page for
//! each demo Person (`crate::demo::PEOPLE`), under [`PREFIX`] on the server's
//! own address. It behaves like the CRMs reps use: a record asks for a
//! sign-in first (a redirect to a form, which comes back to the record), and
//! every page forbids inline and foreign script (`script-src 'self'`), as
//! Salesforce does. Only mounted with `--demo` (`Config::demo_crm`).
//!
//! Anyone signs in with any name: there is nothing behind it but the demo
//! data, which the server prints at start-up anyway.

use crate::demo::{self, DemoPerson};
use crate::route::{Access, Route, route};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

/// Where the demo CRM's pages are.
pub const PREFIX: &str = "/demo-crm";
/// The list of contacts, where a sign-in without a `next` lands.
const HOME: &str = "/demo-crm/contacts";
const COOKIE: &str = "rb_demo_crm";
/// Every demo CRM page's policy: only the site's own script (so none at
/// all, since it serves none), no plugins, no `<base>`, forms only to
/// itself, and it is never framed. The extension's panel must live with it.
pub const CONTENT_SECURITY_POLICY: &str = "script-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Longest `next` kept across the sign-in.
const MAX_NEXT: usize = 512;
/// Longest slug looked up.
const MAX_SLUG: usize = 32;

/// The demo CRM's routes (all public: its own sign-in guards the records).
pub fn routes() -> Vec<Route> {
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    const GET_POST: &[Method] = &[Method::GET, Method::POST];
    vec![
        route(
            "/demo-crm",
            GET,
            Access::Public,
            get(|| async { see_other(HOME) }),
        ),
        route(
            "/demo-crm/login",
            GET_POST,
            Access::Public,
            get(login_page).post(sign_in),
        ),
        route("/demo-crm/logout", POST, Access::Public, post(sign_out)),
        route("/demo-crm/contacts", GET, Access::Public, get(contacts)),
        route(
            "/demo-crm/contacts/{slug}",
            GET,
            Access::Public,
            get(contact),
        ),
    ]
}

pub fn router() -> axum::Router<AppState> {
    crate::route::router(routes())
}

/// A page of the demo CRM, with its policy.
fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Demo CRM" }
                style { (STYLE) }
            }
            body {
                header { a.brand href=(HOME) { "Demo CRM" } span.note { "a stand-in CRM that comes with ringback serve --demo" } }
                main { (body) }
            }
        }
    };
    (
        status,
        [(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        )],
        markup,
    )
        .into_response()
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b2733;background:#f3f5f8}\
header{background:#0b5cab;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:baseline}\
header a{color:#fff;font-weight:600;text-decoration:none}.note{opacity:.8;font-size:.85em}\
main{max-width:40rem;margin:1.5rem auto;background:#fff;padding:1.2rem 1.5rem;border-radius:6px}\
dt{color:#5a6b7b;font-size:.85em}dd{margin:0 0 .6rem}label{display:block;margin:.6rem 0}\
input{font:inherit;padding:.3rem;width:100%;box-sizing:border-box}button{font:inherit;margin-top:.6rem}";

/// A redirect that the browser follows with a GET. `to` is always a path
/// of ours, checked or constant.
fn see_other(to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static(HOME));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Where to go after signing in: a path of the demo CRM, nothing else (not
/// `//host`, `/\host`, another scheme, nor a path of Ringback's own).
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| {
        n.len() <= MAX_NEXT
            && n.bytes().all(|b| b.is_ascii_graphic())
            && crate::web::is_local_path(n)
            && (*n == PREFIX || n.starts_with("/demo-crm/"))
    })
    .unwrap_or(HOME)
}

fn signed_in(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .any(|pair| pair.trim() == format!("{COOKIE}=signed-in"))
}

/// Not signed in: off to the sign-in form, which comes back to `here`.
fn to_sign_in(here: &str) -> Response {
    see_other(&format!(
        "/demo-crm/login?next={}",
        crate::web::urlencode(here)
    ))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn login_page(Query(query): Query<Next>) -> Response {
    let next = safe_next(query.next.as_deref());
    page(
        StatusCode::OK,
        "Sign in",
        html! {
            h1 { "Sign in to the demo CRM" }
            p { "Any name will do: this CRM only holds the demo People." }
            form method="post" action="/demo-crm/login" {
                input type="hidden" name="next" value=(next);
                label { "Name" input #crm-user name="user" value=(demo::DEMO_EMAIL) autocomplete="username" required; }
                button #crm-login type="submit" { "Sign in" }
            }
        },
    )
}

#[derive(Deserialize)]
struct SignIn {
    next: Option<String>,
}

async fn sign_in(Form(form): Form<SignIn>) -> Response {
    let mut response = see_other(safe_next(form.next.as_deref()));
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("rb_demo_crm=signed-in; Path=/demo-crm; HttpOnly; SameSite=Lax"),
    );
    response
}

async fn sign_out() -> Response {
    let mut response = see_other("/demo-crm/login");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("rb_demo_crm=; Path=/demo-crm; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

fn sign_out_form() -> Markup {
    html! {
        form method="post" action="/demo-crm/logout" { button #crm-logout type="submit" { "Sign out of the demo CRM" } }
    }
}

async fn contacts(headers: HeaderMap) -> Response {
    if !signed_in(&headers) {
        return to_sign_in(HOME);
    }
    let listed = demo::PEOPLE
        .iter()
        .filter_map(|p| Some((p.slug?, p)))
        .collect::<Vec<_>>();
    page(
        StatusCode::OK,
        "Contacts",
        html! {
            h1 { "Contacts" }
            ul #contacts {
                @for (slug, person) in listed {
                    li { a href={ "/demo-crm/contacts/" (slug) } { (person.name) } " · " (person.account) }
                }
            }
            (sign_out_form())
        },
    )
}

/// A slug as the demo CRM makes them: short, lowercase letters, digits and
/// hyphens. Anything else is no contact of ours (and is not looked up).
fn valid_slug(slug: &str) -> bool {
    (1..=MAX_SLUG).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

async fn contact(Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let person = valid_slug(&slug).then(|| demo::by_slug(&slug)).flatten();
    let Some(person) = person else {
        return page(
            StatusCode::NOT_FOUND,
            "No such contact",
            html! { h1 { "No such contact" } p { a href=(HOME) { "All contacts" } } },
        );
    };
    if !signed_in(&headers) {
        return to_sign_in(&format!("/demo-crm/contacts/{slug}"));
    }
    contact_page(person)
}

fn contact_page(person: &DemoPerson) -> Response {
    page(
        StatusCode::OK,
        person.name,
        html! {
            p { "Contact" }
            h1 #contact-name dir="auto" { (person.name) }
            dl {
                dt { "Title" } dd #contact-title dir="auto" { (person.title) }
                dt { "Account" } dd #contact-account dir="auto" { (person.account) }
                dt { "Phone" } dd #contact-phone { (person.phone) }
            }
            p { a href=(HOME) { "All contacts" } }
            (sign_out_form())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_path_of_the_demo_crm_only() {
        for ok in [
            "/demo-crm/contacts/ada",
            "/demo-crm/contacts?x=1",
            "/demo-crm",
        ] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "//evil.test/demo-crm/",
            "https://evil.test/demo-crm/contacts/ada",
            "/\\evil.test",
            "/demo-crm/\\..\\\\evil.test",
            "\\\\evil.test",
            "/demo-crm/contacts/ada\r\nSet-Cookie: x=1",
            "/demo-crm/ contacts",
            "/calls",
            "/demo-crmx",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad:?}");
        }
        assert_eq!(safe_next(None), HOME);
        let long = format!("/demo-crm/{}", "a".repeat(MAX_NEXT));
        assert_eq!(safe_next(Some(&long)), HOME);
    }

    #[test]
    fn slugs_are_short_and_plain() {
        assert!(valid_slug("ada"));
        assert!(valid_slug("mary-jane2"));
        for bad in ["", "Ada", "a/b", "a%2Fb", "<b>", &"a".repeat(MAX_SLUG + 1)] {
            assert!(!valid_slug(bad), "{bad:?}");
        }
    }
}
