//! Authorization, route by route, from the API's own list of routes
//! (`api::routes()`, which the router is built from): a route added later is
//! checked without anyone remembering to. Every route is called with no
//! token, a garbage token, a signed-out token, another rep's token with this
//! rep's ids, and (for carrier routes) a rep's token: never a 2xx with
//! another rep's data, never a 500.

mod common;

use common::*;
use reqwest::Method;
use ringback_server::api::{Access, routes};
use ringback_server::web;
use serde_json::json;

/// What of Bob's must never reach Alice.
const BOB_SECRETS: [&str; 4] = [
    "Bobs Secret Prospect",
    "+14155550999",
    "carrier-bob-secret",
    "bob@example.test",
];

const ALL_METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

async fn call(t: &TestServer, method: &Method, path: &str, bearer: Option<&str>) -> (u16, String) {
    let mut request = t
        .http
        .request(method.clone(), t.url(&format!("/api/v1{path}")));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Bob's Person and call, which Alice must never see or change.
struct BobsData {
    token: String,
    person: i64,
    call: i64,
}

impl BobsData {
    async fn create(t: &TestServer) -> Self {
        let token = t.sign_in(&t.bob).await;
        let created = t
            .send_json(
                Method::POST,
                &token,
                "/api/v1/people",
                &json!({"name": "Bobs Secret Prospect", "phones": ["+14155550999"]}),
            )
            .await;
        assert_eq!(created.status(), 201, "Bob's Person");
        let person = created.json::<serde_json::Value>().await.expect("person")["id"]
            .as_i64()
            .expect("an id");
        let call = t
            .ring("+14155550999", &t.bob, "carrier-bob-secret")
            .await
            .call_id
            .0;
        assert_eq!(
            t.carrier_event("carrier-bob-secret", "caller_hung_up")
                .await,
            204
        );
        // Not the default, so a change by anyone else would show.
        let dnd = t
            .send_json(
                Method::PUT,
                &token,
                "/api/v1/availability",
                &json!({"mode": "dnd_browser"}),
            )
            .await;
        assert_eq!(dnd.status(), 200, "Bob's availability");
        Self {
            token,
            person,
            call,
        }
    }

    /// Everything of Bob's as the API shows it to Bob.
    async fn snapshot(&self, t: &TestServer) -> Vec<String> {
        let mut seen = Vec::new();
        for path in [
            format!("/api/v1/people/{}", self.person),
            format!("/api/v1/calls/{}", self.call),
            format!("/api/v1/calls/{}/timeline", self.call),
            "/api/v1/settings/dialer".to_owned(),
            "/api/v1/settings/greeting".to_owned(),
            "/api/v1/availability".to_owned(),
        ] {
            let response = t
                .http
                .get(t.url(&path))
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("Bob reads his data");
            let status = response.status().as_u16();
            seen.push(format!(
                "{path} {status} {}",
                response.text().await.unwrap_or_default()
            ));
        }
        seen
    }

    /// The path with Bob's ids in it.
    fn ids_in(&self, path: &str) -> String {
        path.replace("{carrier_call_id}", "carrier-bob-secret")
            .replace(
                "{id}",
                &if path.starts_with("/people") {
                    self.person.to_string()
                } else {
                    self.call.to_string()
                },
            )
    }
}

#[tokio::test]
async fn every_route_refuses_strangers_and_other_reps() {
    let t = TestServer::start().await;
    let bob = BobsData::create(&t).await;
    let before = bob.snapshot(&t).await;
    let signed_out = t.sign_in(&t.alice).await;
    assert_eq!(t.sign_out(&signed_out).await, 204);

    let mut checked = 0;
    for route in routes() {
        let path = bob.ids_in(route.path);
        let declared = |m: &Method| route.methods.contains(m);
        for method in &ALL_METHODS {
            let (status, _) = call(&t, method, &path, None).await;
            let what = format!("{method} {} (no token)", route.path);
            assert!(status < 500, "{what}: {status}");
            if !declared(method) {
                assert_eq!(
                    status, 405,
                    "{what}: the route list says it takes no {method}"
                );
                continue;
            }
            assert_ne!(status, 405, "{what}: the route list says it takes {method}");
            checked += 1;
            let strangers = [None, Some("garbage-token"), Some(signed_out.as_str())];
            for bearer in strangers {
                let (status, body) = call(&t, method, &path, bearer).await;
                let what = format!("{method} {} with {bearer:?}", route.path);
                match route.access {
                    Access::Rep | Access::Carrier => assert_eq!(status, 401, "{what}: {body}"),
                    Access::Ticket => assert!((400..500).contains(&status), "{what}: {status}"),
                    Access::Public => assert!(status < 500, "{what}: {status}"),
                }
            }
            match route.access {
                Access::Rep => {
                    // Alice (a fresh session each time: one of these signs out).
                    let alice = t.sign_in(&t.alice).await;
                    let (status, body) = call(&t, method, &path, Some(&alice)).await;
                    let what = format!("{method} {} as Alice with Bob's ids", route.path);
                    assert!(status < 500, "{what}: {status} {body}");
                    if route.path.contains('{') {
                        assert!(!(200..300).contains(&status), "{what}: {status} {body}");
                    }
                    for secret in BOB_SECRETS {
                        assert!(!body.contains(secret), "{what} leaked {secret:?}: {body}");
                    }
                    // The carrier's token is not a rep's.
                    let (status, _) = call(&t, method, &path, Some(CARRIER_TOKEN)).await;
                    assert_eq!(
                        status, 401,
                        "{method} {} with the carrier token",
                        route.path
                    );
                }
                Access::Carrier => {
                    let alice = t.sign_in(&t.alice).await;
                    let (status, _) = call(&t, method, &path, Some(&alice)).await;
                    assert_eq!(status, 401, "{method} {} with a rep's token", route.path);
                }
                Access::Public | Access::Ticket => {}
            }
        }
    }
    assert!(checked >= 20, "only {checked} route methods were checked");
    assert_eq!(bob.snapshot(&t).await, before, "Bob's data is unchanged");
}

/// A page request with the session cookie (or none), as a browser sends it,
/// without following redirects.
async fn page(
    t: &TestServer,
    method: &Method,
    path: &str,
    session: Option<&str>,
    csrf: &str,
) -> (u16, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.request(method.clone(), t.url(path));
    if let Some(session) = session {
        request = request.header("cookie", format!("{}={session}", web::SESSION_COOKIE));
    }
    if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        // Every field any of the forms takes, so a form is not refused for
        // a missing field before it reaches what it would change.
        request = request.form(&[
            ("csrf", csrf),
            ("notes", "written by Alice"),
            ("disposition", "1"),
            ("sentiment", "1"),
            ("key", "alice-walk"),
            ("back", "/calls"),
            ("inbound_enabled", "on"),
            ("forwarding_number", "+14155550111"),
            ("no_answer_action", "voicemail"),
            ("ring_timeout_secs", "20"),
            ("list", "dispositions"),
            ("action", "add"),
            ("label", "Added by Alice"),
            ("mode", "dnd_everywhere"),
            ("length", "until_turned_off"),
        ]);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

/// The CSRF token of a session, as its pages carry it.
async fn csrf_of(t: &TestServer, session: &str) -> String {
    let (status, _, html) = page(t, &Method::GET, "/calls", Some(session), "").await;
    assert_eq!(status, 200, "the Calls page");
    let (_, rest) = html
        .split_once(r#"name="csrf" value=""#)
        .expect("the page has a form with its CSRF token");
    rest.split('"').next().expect("token").to_owned()
}

#[tokio::test]
async fn every_page_refuses_strangers_and_other_reps() {
    let t = TestServer::start().await;
    let bob = BobsData::create(&t).await;
    let before = bob.snapshot(&t).await;
    let signed_out = t.sign_in(&t.alice).await;
    let signed_out_csrf = csrf_of(&t, &signed_out).await;
    assert_eq!(t.sign_out(&signed_out).await, 204);

    let mut checked = 0;
    for route in web::routes() {
        let path = bob.ids_in(route.path);
        for method in &ALL_METHODS {
            let what = format!("{method} {}", route.path);
            let declared = route.methods.contains(method);
            let (status, _, _) = page(&t, method, &path, None, "").await;
            assert!(status < 500, "{what} (no cookie): {status}");
            if !declared {
                assert_eq!(
                    status, 405,
                    "{what}: the route list says it takes no {method}"
                );
                continue;
            }
            assert_ne!(status, 405, "{what}: the route list says it takes {method}");
            checked += 1;
            let strangers = [
                (None, ""),
                (Some("garbage-token"), ""),
                (Some(signed_out.as_str()), signed_out_csrf.as_str()),
            ];
            for (session, csrf) in strangers {
                let (status, location, body) = page(&t, method, &path, session, csrf).await;
                let what = format!("{what} with {session:?}");
                match route.access {
                    Access::Rep => {
                        assert!((300..400).contains(&status), "{what}: {status} {body}");
                        assert!(
                            location.starts_with("/login"),
                            "{what} goes to {location:?}"
                        );
                    }
                    _ => assert!(status < 500, "{what}: {status}"),
                }
                for secret in BOB_SECRETS {
                    assert!(!body.contains(secret), "{what} leaked {secret:?}");
                }
            }
            if route.access == Access::Rep {
                // Alice, signed in, with her own valid CSRF token and Bob's
                // ids (a fresh session each time: one of these signs out).
                let alice = t.sign_in(&t.alice).await;
                let csrf = csrf_of(&t, &alice).await;
                let (status, location, body) = page(&t, method, &path, Some(&alice), &csrf).await;
                let what = format!("{what} as Alice with Bob's ids");
                assert!(status < 500, "{what}: {status} {body}");
                if route.path.contains('{') {
                    assert!(!(200..300).contains(&status), "{what}: {status} {body}");
                    assert!(
                        !location.contains("notice"),
                        "{what} claims success: {location}"
                    );
                }
                for secret in BOB_SECRETS {
                    assert!(!body.contains(secret), "{what} leaked {secret:?}: {body}");
                }
            }
        }
    }
    assert!(
        checked >= 15,
        "only {checked} page route methods were checked"
    );
    assert_eq!(bob.snapshot(&t).await, before, "Bob's data is unchanged");
}

#[tokio::test]
async fn another_rep_cannot_read_a_calls_timeline() {
    let t = TestServer::start().await;
    let bob = BobsData::create(&t).await;
    let path = format!("/api/v1/calls/{}/timeline", bob.call);
    let bobs = t.get(&bob.token, &path).await;
    assert_eq!(bobs.status(), 200);
    let entries: Vec<serde_json::Value> = bobs.json().await.expect("timeline");
    assert!(!entries.is_empty(), "Bob's call has a timeline");
    let alice = t.sign_in(&t.alice).await;
    let response = t.get(&alice, &path).await;
    assert_eq!(response.status(), 404, "like a call that does not exist");
    let body = response.text().await.unwrap_or_default();
    assert!(!body.contains("arrived"), "{body}");
    assert_eq!(
        t.get(&alice, "/api/v1/calls/999999/timeline")
            .await
            .status(),
        404
    );
}
