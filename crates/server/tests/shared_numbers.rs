//! Several People on one number: the ring leads with the most likely and
//! carries the others; the rep's choice takes the call and its log, and
//! leads the next call from that number.

mod common;

use common::*;
use protocol::api::CallPage;
use protocol::{DialerSettings, Person, PersonSnapshot};
use reqwest::Method;
use serde_json::json;

const SWITCHBOARD: &str = "+14155550180";

async fn person(t: &TestServer, token: &str, name: &str, account: &str, phones: &[&str]) -> Person {
    let response = t
        .send_json(
            Method::POST,
            token,
            "/api/v1/people",
            &json!({"name": name, "account": account, "phones": phones}),
        )
        .await;
    assert_eq!(response.status(), 201, "person created");
    response.json().await.expect("person body")
}

async fn choose(
    t: &TestServer,
    token: &str,
    call: protocol::CallId,
    who: &Person,
) -> reqwest::Response {
    t.send_json(
        Method::PUT,
        token,
        &format!("/api/v1/calls/{call}/person"),
        &json!({"person_id": who.id}),
    )
    .await
}

#[tokio::test]
async fn the_ring_carries_the_others_and_the_rep_s_choice_takes_the_call_and_leads_next_time() {
    let t = TestServer::start().await;
    let (token, mut browser) = t.alice_online().await;
    // A forwarding phone, to answer the first call on.
    let settings = DialerSettings {
        forwarding_number: Some("+14155550199".into()),
        ..DialerSettings::default()
    };
    t.put_settings(&token, &settings).await;
    let jane = person(&t, &token, "Jane Doe", "Acme", &[SWITCHBOARD]).await;
    // Edited last, so John leads while neither was ever called.
    let john = person(
        &t,
        &token,
        "John Roe",
        "Acme",
        &[SWITCHBOARD, "+14155550181"],
    )
    .await;
    let elsewhere = person(&t, &token, "Someone Else", "Beta", &["+14155550182"]).await;

    t.ring(SWITCHBOARD, &t.alice, "shared-1").await;
    let first = browser.expect_incoming().await;
    assert_eq!(first.person.name.as_deref(), Some("John Roe"));
    let others: Vec<_> = first.also.iter().map(|p| p.name.as_deref()).collect();
    assert_eq!(others, vec![Some("Jane Doe")]);
    assert_eq!(first.also[0].number, SWITCHBOARD);

    // Not one of the People on the number, or not Alice's: refused, nothing changes.
    assert_eq!(
        choose(&t, &token, first.call_id, &elsewhere).await.status(),
        422
    );
    let bob = t.sign_in(&t.bob).await;
    assert_eq!(choose(&t, &bob, first.call_id, &jane).await.status(), 404);
    assert_eq!(
        t.call(&token, first.call_id).await.person.name.as_deref(),
        Some("John Roe")
    );

    // It is Jane: the call is hers, and so is its log.
    let response = choose(&t, &token, first.call_id, &jane).await;
    assert_eq!(response.status(), 200);
    let shown: PersonSnapshot = response.json().await.expect("snapshot");
    assert_eq!(shown.id, Some(jane.id));
    assert_eq!(
        t.call(&token, first.call_id).await.person.name.as_deref(),
        Some("Jane Doe")
    );
    assert_eq!(t.carrier_event("shared-1", "phone_answered").await, 204);
    assert_eq!(
        browser.expect_update(first.call_id).await,
        protocol::signal::CallUpdate::AnsweredElsewhere
    );
    assert_eq!(t.carrier_event("shared-1", "phone_hung_up").await, 204);
    let logged = t
        .post_log(
            &token,
            first.call_id,
            &json!({"idempotency_key": "shared-log", "notes": "Spoke to Jane"}),
        )
        .await;
    assert_eq!(logged.status(), 201);
    let janes: CallPage = t
        .get(&token, &format!("/api/v1/calls?person_id={}", jane.id))
        .await
        .json()
        .await
        .expect("page");
    assert!(
        janes.calls.iter().any(|c| c.id == first.call_id),
        "logged to Jane"
    );
    // Logged, the call keeps its Person.
    assert_eq!(choose(&t, &token, first.call_id, &john).await.status(), 409);

    // The next call from the switchboard leads with Jane, John offered.
    t.ring(SWITCHBOARD, &t.alice, "shared-2").await;
    let second = browser.expect_incoming().await;
    assert_eq!(second.person.id, Some(jane.id));
    assert_eq!(second.also.len(), 1);
    assert_eq!(second.also[0].id, Some(john.id));

    // The phone search lists everyone on the number, the likeliest first.
    let found: Vec<Person> = t
        .get(&token, "/api/v1/people?phone=%2B14155550180")
        .await
        .json()
        .await
        .expect("people");
    let names: Vec<_> = found.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Jane Doe", "John Roe"]);
}

#[tokio::test]
async fn a_number_of_one_person_rings_with_nobody_else() {
    let t = TestServer::start().await;
    let (_token, mut browser) = t.alice_online().await;
    t.ring(ADA_PHONE, &t.alice, "single").await;
    let incoming = browser.expect_incoming().await;
    assert_eq!(incoming.person.id, Some(t.ada));
    assert!(incoming.also.is_empty());
}
