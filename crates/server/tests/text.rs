//! Text from any language: limits count characters, and search ignores case
//! beyond ASCII (issue 13 item 7).

mod common;

use common::TestServer;
use protocol::Person;
use protocol::api::{CallPage, CallView};
use reqwest::Method;
use serde_json::{Value, json};

async fn create(t: &TestServer, token: &str, body: &Value) -> reqwest::Response {
    t.send_json(Method::POST, token, "/api/v1/people", body)
        .await
}

#[tokio::test]
async fn limits_count_characters_not_bytes() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    // 120 Arabic letters are 240 bytes of UTF-8; the limit is 200 characters.
    let arabic: String = "ع".repeat(120);
    let title: String = "经".repeat(200); // 600 bytes
    let account: String = "Ö".repeat(150);
    let response = create(
        &t,
        &token,
        &json!({"name": arabic, "title": title, "account": account, "phones": []}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let person: Person = response.json().await.expect("person");
    assert_eq!(person.name.chars().count(), 120);
    assert_eq!(
        person.title.as_deref().map(|t| t.chars().count()),
        Some(200)
    );

    // One past the limit is refused, with the message that counts characters.
    for body in [
        json!({"name": "ع".repeat(201), "phones": []}),
        json!({"name": "x", "title": "经".repeat(201), "phones": []}),
        json!({"name": "x", "account": "Ö".repeat(201), "phones": []}),
    ] {
        let response = create(&t, &token, &body).await;
        assert_eq!(response.status(), 422);
        let error: Value = response.json().await.expect("error");
        assert!(error.to_string().contains("200 characters"), "{error}");
    }

    // The log's idempotency key (100 characters) and notes (10,000) count characters too.
    let _browser = t.connect_with_token(&token, "laptop").await;
    let call = t
        .ring(common::ADA_PHONE, &t.alice, "carrier-text")
        .await
        .call_id;
    assert_eq!(t.carrier_event("carrier-text", "caller_hung_up").await, 204);
    let log = json!({"idempotency_key": "ключ".repeat(25), "notes": "é".repeat(10_000)});
    let response = t.post_log(&token, call, &log).await;
    assert_eq!(response.status(), 201);
    let view: CallView = response.json().await.expect("view");
    assert_eq!(view.log.map(|l| l.notes.chars().count()), Some(10_000));
}

#[tokio::test]
async fn search_ignores_case_beyond_ascii() {
    let t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    for body in [
        json!({"name": "Zoë Ångström", "account": "Ærø Fisk", "phones": ["+14155550131"]}),
        json!({"name": "Anders Celsius", "account": "Ångström Labs", "phones": []}),
        json!({"name": "Jürgen Straße", "phones": []}),
        json!({"name": "Zoe Plain", "phones": []}),
    ] {
        assert_eq!(create(&t, &token, &body).await.status(), 201);
    }
    let names = |people: Vec<Person>| {
        let mut names: Vec<String> = people.into_iter().map(|p| p.name).collect();
        names.sort();
        names
    };
    let search = |q: &'static str| {
        let t = &t;
        let token = &token;
        async move {
            let people: Vec<Person> = t
                .get(token, &format!("/api/v1/people?q={}", urlencode(q)))
                .await
                .json()
                .await
                .expect("people");
            names(people)
        }
    };
    assert_eq!(search("ZOË").await, ["Zoë Ångström"]);
    assert_eq!(
        search("ångström").await,
        ["Anders Celsius", "Zoë Ångström"],
        "name and account"
    );
    assert_eq!(search("ÆRØ").await, ["Zoë Ångström"]);
    assert_eq!(search("STRASSE").await, ["Jürgen Straße"]);
    assert_eq!(search("zoe").await, ["Zoe Plain"], "ë is not e");
    assert_eq!(search("100%").await, Vec::<String>::new(), "% is literal");

    // The Calls list (API and page) searches the Person's name the same way.
    let _browser = t.connect_with_token(&token, "laptop").await;
    let call = t
        .ring("+14155550131", &t.alice, "carrier-zoe")
        .await
        .call_id;
    let page: CallPage = t
        .get(&token, &format!("/api/v1/calls?q={}", urlencode("ZOË")))
        .await
        .json()
        .await
        .expect("page");
    assert_eq!(page.calls.iter().map(|c| c.id).collect::<Vec<_>>(), [call]);
    assert_eq!(t.carrier_event("carrier-zoe", "caller_hung_up").await, 204);
    let log = json!({"idempotency_key": "zoe-1", "notes": ""});
    let logged = t.post_log(&token, call, &log).await;
    assert_eq!(logged.status(), 201);
    let page = |q: &'static str| {
        let t = &t;
        let token = &token;
        async move { t.page(token, &format!("/calls?q={}", urlencode(q))).await }
    };
    assert!(page("ZOË").await.contains("Zoë Ångström"));
    assert!(page("ångström").await.contains("Zoë Ångström"));
    assert!(!page("Celsius").await.contains("Zoë Ångström"));
}

#[tokio::test]
async fn people_written_before_the_folded_columns_are_found_after_a_restart() {
    let mut t = TestServer::start().await;
    let token = t.sign_in(&t.alice).await;
    let body = json!({"name": "Øyvind Ås", "phones": []});
    assert_eq!(create(&t, &token, &body).await.status(), 201);
    // As a database from before migration 4 would have it.
    let db = t.raw_db().await;
    sqlx::query("UPDATE people SET name_folded = NULL, account_folded = NULL")
        .execute(&db)
        .await
        .expect("clear");
    sqlx::query("UPDATE calls SET person_name_folded = NULL")
        .execute(&db)
        .await
        .expect("clear");
    db.close().await;
    t.restart().await;
    let token = t.sign_in(&t.alice).await;
    let people: Vec<Person> = t
        .get(&token, &format!("/api/v1/people?q={}", urlencode("ØYVIND")))
        .await
        .json()
        .await
        .expect("people");
    assert_eq!(people.len(), 1);
    let people: Vec<Person> = t
        .get(&token, "/api/v1/people?q=ada")
        .await
        .json()
        .await
        .expect("people");
    assert_eq!(people.len(), 1, "the fixture's Ada, backfilled");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
