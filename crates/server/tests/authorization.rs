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

#[tokio::test]
async fn every_route_refuses_strangers_and_other_reps() {
    let t = TestServer::start().await;
    // Bob's data: a Person, a call, a carrier id.
    let bob = t.sign_in(&t.bob).await;
    let created = t
        .send_json(
            Method::POST,
            &bob,
            "/api/v1/people",
            &json!({"name": "Bobs Secret Prospect", "phones": ["+14155550999"]}),
        )
        .await;
    assert_eq!(created.status(), 201, "Bob's Person");
    let bob_person = created.json::<serde_json::Value>().await.expect("person")["id"]
        .as_i64()
        .expect("an id");
    let bob_call = t
        .ring("+14155550999", &t.bob, "carrier-bob-secret")
        .await
        .call_id;
    assert_eq!(
        t.carrier_event("carrier-bob-secret", "caller_hung_up")
            .await,
        204
    );
    let signed_out = t.sign_in(&t.alice).await;
    assert_eq!(t.sign_out(&signed_out).await, 204);

    let mut checked = 0;
    for route in routes() {
        let path = route
            .path
            .replace("{carrier_call_id}", "carrier-bob-secret")
            .replace(
                "{id}",
                &if route.path.starts_with("/people") {
                    bob_person.to_string()
                } else {
                    bob_call.0.to_string()
                },
            );
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
}
