//! Phone numbers of any country: the team's region, set by an admin on the
//! API and the team page, reads national numbers (issue 13 item 6).

mod common;

use common::pages::{csrf_in, no_redirects, session_cookie};
use common::{Rep, TestServer};
use protocol::api::TeamSettings;
use protocol::{DialerSettings, Person};
use reqwest::Method;
use serde_json::json;

async fn make_admin(t: &TestServer, rep: &Rep) {
    let db = t.raw_db().await;
    sqlx::query("UPDATE reps SET is_admin = 1 WHERE id = ?")
        .bind(rep.id.0)
        .execute(&db)
        .await
        .expect("admin");
    db.close().await;
}

async fn team(t: &TestServer, token: &str) -> TeamSettings {
    let response = t.get(token, "/api/v1/team").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("team settings")
}

async fn put_region(t: &TestServer, token: &str, region: &str) -> reqwest::Response {
    t.send_json(
        Method::PUT,
        token,
        "/api/v1/team",
        &json!({"default_region": region}),
    )
    .await
}

#[tokio::test]
async fn an_admin_sets_the_region_and_national_numbers_are_read_in_it() {
    let t = TestServer::start().await;
    let alice = t.sign_in(&t.alice).await;
    let bob = t.sign_in(&t.bob).await;
    assert_eq!(
        team(&t, &bob).await,
        TeamSettings {
            default_region: "US".into(),
            calling_code: 1
        }
    );
    // Only an admin may change it.
    assert_eq!(put_region(&t, &bob, "GB").await.status(), 403);
    make_admin(&t, &t.alice).await;
    let bad = put_region(&t, &alice, "XX").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.expect("body").contains("default_region"));
    let set = put_region(&t, &alice, "gb").await;
    assert_eq!(set.status(), 200);
    let expected = TeamSettings {
        default_region: "GB".into(),
        calling_code: 44,
    };
    assert_eq!(set.json::<TeamSettings>().await.expect("body"), expected);
    assert_eq!(team(&t, &bob).await, expected, "the whole team's");

    // A Person's numbers: national ones in the UK, "(0)" dropped, others kept.
    let body = json!({"name": "Ellie Cole", "phones": [
        "020 7946 0958", "+44 (0)20 7946 0959", "+33 (0)1 42 68 53 00", "+1 415 555 0177"]});
    let created = t
        .send_json(Method::POST, &alice, "/api/v1/people", &body)
        .await;
    assert_eq!(created.status(), 201);
    let ellie: Person = created.json().await.expect("person");
    assert_eq!(
        ellie.phones,
        [
            "+442079460958",
            "+442079460959",
            "+33142685300",
            "+14155550177"
        ]
    );
    let found: Vec<Person> = t
        .get(&alice, "/api/v1/people?phone=020%207946%200959")
        .await
        .json()
        .await
        .expect("people");
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [ellie.id]);
    let garbage = t.get(&alice, "/api/v1/people?phone=call%20me").await;
    assert_eq!(garbage.status(), 422);

    // The forwarding number, and a caller's number as the carrier sends it.
    let settings = DialerSettings {
        forwarding_number: Some("07700 900123".into()),
        ..DialerSettings::default()
    };
    t.put_settings(&alice, &settings).await;
    let saved: DialerSettings = t
        .get(&alice, "/api/v1/settings/dialer")
        .await
        .json()
        .await
        .expect("settings");
    assert_eq!(saved.forwarding_number.as_deref(), Some("+447700900123"));
    let mut browser = t.connect_with_token(&alice, "laptop").await;
    t.ring("020 7946 0958", &t.alice, "carrier-uk").await;
    let ring = browser.expect_incoming().await;
    assert_eq!(ring.person.name.as_deref(), Some("Ellie Cole"));
}

#[tokio::test]
async fn the_team_page_sets_the_region() {
    let t = TestServer::start().await;
    make_admin(&t, &t.alice).await;
    let alice = t.sign_in(&t.alice).await;
    let cookie = session_cookie(&alice);
    let client = no_redirects();
    let page = || t.page(&alice, "/team");
    let html = page().await;
    assert!(html.contains(r#"id="default-region""#), "{html}");
    assert!(html.contains(r#"<option value="US" selected>"#));
    let csrf = csrf_in(&html);
    let post = |form: Vec<(&'static str, String)>, cookie: String| {
        let client = client.clone();
        let url = t.url("/team/region");
        async move {
            client
                .post(url)
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .expect("post")
        }
    };
    let forged = post(
        vec![("csrf", "forged".into()), ("region", "FR".into())],
        cookie.clone(),
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(team(&t, &alice).await.default_region, "US");

    let saved = post(
        vec![("csrf", csrf), ("region", "FR".into())],
        cookie.clone(),
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(team(&t, &alice).await.default_region, "FR");
    assert!(page().await.contains(r#"<option value="FR" selected>"#));

    // A rep who is not an admin gets neither the page nor the change.
    let bob = t.sign_in(&t.bob).await;
    let bob_cookie = session_cookie(&bob);
    let bob_page = client
        .get(t.url("/team"))
        .header("cookie", &bob_cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(bob_page.status(), 403);
    let bob_settings = client
        .get(t.url("/settings"))
        .header("cookie", &bob_cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let bob_csrf = csrf_in(&bob_settings);
    let refused = post(
        vec![("csrf", bob_csrf), ("region", "DE".into())],
        bob_cookie,
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(team(&t, &alice).await.default_region, "FR");
}
