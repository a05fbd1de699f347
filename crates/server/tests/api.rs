//! Sign-in, JSON errors, validation and ownership over real HTTP.

mod common;

use common::*;
use protocol::api::{CallPage, ErrorBody};
use protocol::{CallStatus, DialerSettings, Person};
use reqwest::Method;
use serde_json::json;

async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: ErrorBody = response.json().await.expect("a JSON error body");
    (status, body.error.code, body.error.message)
}

#[tokio::test]
async fn wrong_credentials_get_a_json_401() {
    let t = TestServer::start().await;
    for body in [
        json!({"email": t.alice.email, "password": "wrong"}),
        json!({"email": "nobody@example.test", "password": PASSWORD}),
    ] {
        let response = t
            .http
            .post(t.url("/api/v1/sessions"))
            .json(&body)
            .send()
            .await
            .expect("request");
        let (status, code, _) = error_of(response).await;
        assert_eq!((status, code.as_str()), (401, "invalid_credentials"));
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    let t = TestServer::start().await;
    let attempt = |password: &'static str| {
        t.http
            .post(t.url("/api/v1/sessions"))
            .json(&json!({"email": t.alice.email, "password": password}))
            .send()
    };
    for _ in 0..ringback_server::throttle::MAX_FAILURES {
        let (status, _, _) = error_of(attempt("wrong").await.expect("request")).await;
        assert_eq!(status, 401);
    }
    // Even the right password waits now, and the message and Retry-After say how long.
    let locked = attempt(PASSWORD).await.expect("request");
    let retry_after: u64 = locked
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((290..=300).contains(&retry_after), "{retry_after}");
    let (status, code, message) = error_of(locked).await;
    assert_eq!((status, code.as_str()), (429, "too_many_attempts"));
    assert!(message.contains("wait 5 minute"), "{message}");
    // Bob's account is not affected.
    t.sign_in(&t.bob).await;

    t.clock.advance(std::time::Duration::from_millis(
        ringback_server::throttle::WINDOW_MS as u64,
    ));
    assert_eq!(attempt(PASSWORD).await.expect("request").status(), 201);
}

/// A client whose requests come from `ip` (any 127/8 address is loopback).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .expect("client")
}

async fn sign_in_from(
    t: &TestServer,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> u16 {
    client
        .post(t.url("/api/v1/sessions"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_stranger_elsewhere_cannot_lock_the_rep_out() {
    let t = TestServer::start().await;
    let stranger = client_from([127, 0, 0, 2]);
    for _ in 0..ringback_server::throttle::MAX_FAILURES * 3 {
        let status = sign_in_from(&t, &stranger, &t.alice.email, "guess").await;
        assert!(matches!(status, 401 | 429), "{status}");
    }
    assert_eq!(
        sign_in_from(&t, &stranger, &t.alice.email, PASSWORD).await,
        429,
        "the stranger's address is locked out of Alice's account"
    );
    // Alice, from her own address, is not.
    let alice = client_from([127, 0, 0, 1]);
    assert_eq!(
        sign_in_from(&t, &alice, &t.alice.email, PASSWORD).await,
        201
    );
}

#[tokio::test]
async fn one_address_cannot_spray_guesses_over_many_accounts() {
    let t = TestServer::start().await;
    let sprayer = client_from([127, 0, 0, 3]);
    for i in 0..ringback_server::throttle::MAX_FAILURES_PER_SOURCE {
        let status = sign_in_from(&t, &sprayer, &format!("user{i}@example.test"), "guess").await;
        assert_eq!(status, 401);
    }
    let response = sprayer
        .post(t.url("/api/v1/sessions"))
        .json(&json!({"email": t.bob.email, "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert!(response.headers().contains_key("retry-after"));
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (429, "too_many_attempts"));
    assert!(message.contains("from your network"), "{message}");
    // Everyone else signs in as usual.
    t.sign_in(&t.bob).await;
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    assert_eq!(t.get(&token, "/api/v1/me").await.status(), 200);
    assert_eq!(t.sign_out(&token).await, 204);
    let (status, code, message) = error_of(t.get(&token, "/api/v1/me").await).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    assert!(message.contains("sign in"), "{message}");
    let (status, _, _) = error_of(
        t.http
            .get(t.url("/api/v1/me"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn tokens_expire() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    t.clock
        .advance(config().session_ttl + std::time::Duration::from_secs(1));
    assert_eq!(t.get(&token, "/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_errors() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let response = t
        .http
        .post(t.url("/api/v1/people"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("request");
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(message.contains("malformed JSON"), "{message}");

    let wrong_type = t
        .send_json(Method::POST, &token, "/api/v1/people", &json!({"name": 42}))
        .await;
    assert_eq!(error_of(wrong_type).await.0, 422);

    let huge = json!({"name": "x".repeat(config().max_body_bytes + 1)});
    let (status, code, _) = error_of(
        t.send_json(Method::POST, &token, "/api/v1/people", &huge)
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));

    let (status, _, _) = error_of(t.get(&token, "/api/v1/calls/not-a-number").await).await;
    assert_eq!(status, 400);
    let (status, _, _) = error_of(t.get(&token, "/api/v1/calls?outcome=exploded").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn settings_are_validated_and_normalised() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let defaults: DialerSettings = t
        .get(&token, "/api/v1/settings/dialer")
        .await
        .json()
        .await
        .expect("settings");
    assert_eq!(defaults, DialerSettings::default());

    let bad = json!({"inbound_enabled": true, "forwarding_number": "call me maybe", "custom_caller_id": null,
                     "no_answer_action": "voicemail", "ring_timeout_secs": 20});
    let (status, code, message) = error_of(
        t.send_json(Method::PUT, &token, "/api/v1/settings/dialer", &bad)
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "validation_failed"));
    assert!(message.starts_with("forwarding_number"), "{message}");

    let slow = json!({"inbound_enabled": true, "forwarding_number": null, "custom_caller_id": null,
                      "no_answer_action": "voicemail", "ring_timeout_secs": 600});
    let (status, _, message) = error_of(
        t.send_json(Method::PUT, &token, "/api/v1/settings/dialer", &slow)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(message.contains("between 5 and 120"), "{message}");

    let good = json!({"inbound_enabled": false, "forwarding_number": "415.555.0199", "custom_caller_id": "",
                      "no_answer_action": "forward", "ring_timeout_secs": 30});
    let saved: DialerSettings = t
        .send_json(Method::PUT, &token, "/api/v1/settings/dialer", &good)
        .await
        .json()
        .await
        .expect("settings");
    assert_eq!(saved.forwarding_number.as_deref(), Some("+14155550199"));
    assert_eq!(saved.custom_caller_id, None);
    let read: DialerSettings = t
        .get(&token, "/api/v1/settings/dialer")
        .await
        .json()
        .await
        .expect("settings");
    assert_eq!(read, saved);
}

#[tokio::test]
async fn people_are_created_searched_and_updated() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let body = json!({"name": "Grace Hopper", "title": "VP Eng", "account": "Compiler Co",
                      "phones": ["(415) 555-0112", "+1 415 555 0112"], "crm_url": "https://crm.example.test/g"});
    let created = t
        .send_json(Method::POST, &token, "/api/v1/people", &body)
        .await;
    assert_eq!(created.status(), 201);
    let grace: Person = created.json().await.expect("person");
    assert_eq!(
        grace.phones,
        ["+14155550112"],
        "normalised and de-duplicated"
    );

    let found: Vec<Person> = t
        .get(&token, "/api/v1/people?phone=415-555-0112")
        .await
        .json()
        .await
        .expect("people");
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [grace.id]);
    let found: Vec<Person> = t
        .get(&token, "/api/v1/people?q=compiler")
        .await
        .json()
        .await
        .expect("people");
    assert_eq!(found.len(), 1);

    let update = json!({"name": "Grace B. Hopper", "phones": ["+14155550113"], "crm_url": "javascript:alert(1)"});
    let (status, _, message) = error_of(
        t.send_json(
            Method::PUT,
            &token,
            &format!("/api/v1/people/{}", grace.id),
            &update,
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(message.contains("crm_url"), "{message}");

    let update = json!({"name": "Grace B. Hopper", "phones": ["+14155550113"]});
    let updated: Person = t
        .send_json(
            Method::PUT,
            &token,
            &format!("/api/v1/people/{}", grace.id),
            &update,
        )
        .await
        .json()
        .await
        .expect("person");
    assert_eq!(updated.name, "Grace B. Hopper");
    // A call from the new number now shows the updated Person.
    let mut browser = t.connect_with_token(&token, "laptop").await;
    t.ring("+14155550113", &t.alice, "carrier-grace").await;
    assert_eq!(
        browser.expect_incoming().await.person.name.as_deref(),
        Some("Grace B. Hopper")
    );
}

#[tokio::test]
async fn a_rep_cannot_reach_another_reps_calls_or_people() {
    let t = TestServer::start().await;
    let alice = t.sign_in(&t.alice).await;
    let bob = t.sign_in(&t.bob).await;
    let mut alice_browser = t.connect_with_token(&alice, "alice-laptop").await;
    let mut bob_browser = t.connect_with_token(&bob, "bob-laptop").await;

    let call = t.ring(ADA_PHONE, &t.alice, "carrier-private").await.call_id;
    alice_browser.expect_incoming().await;
    bob_browser
        .expect_silence(std::time::Duration::from_millis(300))
        .await;

    // Bob cannot accept, read, log or edit Alice's call: it does not exist for him.
    bob_browser.send(&accept("steal", call)).await;
    assert!(matches!(
        bob_browser.recv().await,
        protocol::signal::ServerMessage::Error {
            code: protocol::signal::SignalErrorCode::CallNotFound,
            ..
        }
    ));
    assert_eq!(
        t.get(&bob, &format!("/api/v1/calls/{call}")).await.status(),
        404
    );
    let log = json!({"idempotency_key": "bob", "notes": "mine now"});
    assert_eq!(
        t.send_json(
            Method::POST,
            &bob,
            &format!("/api/v1/calls/{call}/log"),
            &log
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        t.send_json(
            Method::PATCH,
            &bob,
            &format!("/api/v1/calls/{call}/log"),
            &json!({"notes": "x"})
        )
        .await
        .status(),
        404
    );
    let page: CallPage = t
        .get(&bob, "/api/v1/calls")
        .await
        .json()
        .await
        .expect("page");
    assert!(page.calls.is_empty());

    // Nor Alice's people.
    assert_eq!(
        t.get(&bob, &format!("/api/v1/people/{}", t.ada))
            .await
            .status(),
        404
    );
    let found: Vec<Person> = t
        .get(
            &bob,
            &format!("/api/v1/people?phone={}", ADA_PHONE.replace('+', "%2B")),
        )
        .await
        .json()
        .await
        .expect("people");
    assert!(found.is_empty());
    let update = json!({"name": "Hijacked"});
    assert_eq!(
        t.send_json(
            Method::PUT,
            &bob,
            &format!("/api/v1/people/{}", t.ada),
            &update
        )
        .await
        .status(),
        404
    );

    // Bob cannot log his unknown-caller call to Alice's Person either.
    let bob_call = t.ring("+14155550155", &t.bob, "carrier-bob").await.call_id;
    bob_browser.expect_incoming().await;
    bob_browser.send(&accept("take", bob_call)).await;
    t.wait_for_call(&bob, bob_call, |v| v.status == CallStatus::Connected)
        .await;
    let log = json!({"idempotency_key": "bob-1", "person_id": t.ada});
    assert_eq!(
        t.send_json(
            Method::POST,
            &bob,
            &format!("/api/v1/calls/{bob_call}/log"),
            &log
        )
        .await
        .status(),
        422
    );

    // Alice still sees her call untouched.
    let view = t.call(&alice, call).await;
    assert_eq!(view.status, CallStatus::Ringing);
}

#[tokio::test]
async fn carrier_webhooks_need_the_carrier_token() {
    let t = TestServer::start().await;
    let body = json!({"from": ADA_PHONE, "to": t.alice.dialer_number, "carrier_call_id": "c"});
    let no_token = t
        .http
        .post(t.url("/api/v1/carrier/inbound"))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(no_token.status(), 401);
    let rep_token = t.sign_in(&t.alice).await;
    let wrong = t
        .send_json(Method::POST, &rep_token, "/api/v1/carrier/inbound", &body)
        .await;
    assert_eq!(wrong.status(), 401, "a rep's token is not a carrier token");

    let unknown_number = json!({"from": ADA_PHONE, "to": "+19995550000", "carrier_call_id": "c2"});
    let response = t
        .http
        .post(t.url("/api/v1/carrier/inbound"))
        .bearer_auth(CARRIER_TOKEN)
        .json(&unknown_number)
        .send()
        .await
        .expect("request");
    let (status, _, message) = error_of(response).await;
    assert_eq!(status, 422);
    assert!(
        message.contains("no rep has the dialer number"),
        "{message}"
    );

    let bad_from =
        json!({"from": "anonymous", "to": t.alice.dialer_number, "carrier_call_id": "c3"});
    let response = t
        .http
        .post(t.url("/api/v1/carrier/inbound"))
        .bearer_auth(CARRIER_TOKEN)
        .json(&bad_from)
        .send()
        .await
        .expect("request");
    assert_eq!(error_of(response).await.0, 422);
}

#[tokio::test]
async fn calls_list_filters_and_paginates() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    // Online, so the calls ring (an unreachable rep's calls go to voicemail at once).
    let _browser = t.connect_with_token(&token, "laptop").await;
    for i in 0..7 {
        t.ring(ADA_PHONE, &t.alice, &format!("carrier-page-{i}"))
            .await;
    }
    assert_eq!(
        t.carrier_event("carrier-page-3", "caller_hung_up").await,
        204
    );

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let path = match before {
            Some(id) => format!("/api/v1/calls?limit=3&before={id}"),
            None => "/api/v1/calls?limit=3".to_owned(),
        };
        let page: CallPage = t.get(&token, &path).await.json().await.expect("page");
        seen.extend(page.calls.iter().map(|c| c.id.0));
        match page.next_before {
            Some(id) => before = Some(id),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    let missed: CallPage = t
        .get(&token, "/api/v1/calls?outcome=missed")
        .await
        .json()
        .await
        .expect("page");
    assert_eq!(missed.calls.len(), 1);
    let future: CallPage = t
        .get(
            &token,
            &format!(
                "/api/v1/calls?since={}",
                t.server.as_ref().expect("up").state().now() + 60_000
            ),
        )
        .await
        .json()
        .await
        .expect("page");
    assert!(future.calls.is_empty());
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_health_says_only_ok() {
    let t = TestServer::start().await;
    for path in [
        "/login",
        "/healthz",
        "/api/v1/me",
        "/static/web.js",
        "/calls",
        "/no-such-page",
    ] {
        let response = t.http.get(t.url(path)).send().await.expect("request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
    }
    let health: serde_json::Value = t
        .http
        .get(t.url("/healthz"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health, json!({"status": "ok"}), "no counts for strangers");
}

#[tokio::test]
async fn metrics_count_calls_sockets_and_sign_ins_on_their_own_listener() {
    let mut config = config();
    config.metrics_listen = Some("127.0.0.1:0".parse().expect("addr"));
    let t = TestServer::start_with(config).await;
    let metrics_url = format!(
        "http://{}/metrics",
        t.server
            .as_ref()
            .and_then(|s| s.metrics_addr())
            .expect("metrics listen")
    );
    let scrape = || async {
        t.http
            .get(&metrics_url)
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("text")
    };
    let value = |text: &str, series: &str| -> Option<u64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
    };
    let wrong = t
        .http
        .post(t.url("/api/v1/sessions"))
        .json(&json!({"email": t.alice.email, "password": "wrong"}))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let (_token, mut browser) = t.alice_online().await;
    let routed = t.ring(ADA_PHONE, &t.alice, "carrier-metrics").await;
    browser.expect_incoming().await;

    let text = scrape().await;
    assert!(
        text.contains("# TYPE ringback_rings_sent_total counter"),
        "{text}"
    );
    assert_eq!(value(&text, "ringback_rings_sent_total"), Some(1), "{text}");
    assert_eq!(value(&text, "ringback_live_calls"), Some(1), "{text}");
    assert_eq!(value(&text, "ringback_sockets"), Some(1), "{text}");
    assert_eq!(value(&text, "ringback_connected_reps"), Some(1), "{text}");
    assert_eq!(
        value(&text, "ringback_sign_ins_total{result=\"ok\"}"),
        Some(1),
        "{text}"
    );
    assert_eq!(
        value(&text, "ringback_sign_ins_total{result=\"wrong\"}"),
        Some(1),
        "{text}"
    );

    assert_eq!(
        t.carrier_event("carrier-metrics", "caller_hung_up").await,
        204
    );
    browser.expect_update(routed.call_id).await;
    let text = scrape().await;
    assert_eq!(value(&text, "ringback_live_calls"), Some(0), "{text}");
    assert_eq!(
        value(&text, "ringback_calls_ended_total{outcome=\"missed\"}"),
        Some(1),
        "{text}"
    );
    // Not on the public port.
    assert_eq!(
        t.http
            .get(t.url("/metrics"))
            .send()
            .await
            .expect("request")
            .status(),
        404
    );
}

#[tokio::test]
async fn a_link_cannot_put_words_on_a_ringback_page() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let cookie = format!("{}={token}", ringback_server::web::SESSION_COOKIE);
    let page = t
        .http
        .get(
            t.url("/calls?error=Your%20account%20is%20locked%3A%20call%20us&notice=Hello&s=forged"),
        )
        .header("cookie", cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("<h1"), "the Calls page itself");
    assert!(
        !html.contains("account is locked"),
        "an unsigned error is not shown"
    );
    assert!(!html.contains("Hello"), "nor an unsigned notice");
}
