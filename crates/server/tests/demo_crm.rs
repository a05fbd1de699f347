//! The demo CRM that `ringback serve --demo` serves, so the demo works on a
//! fresh machine: the demo People's CRM links point at it on the server's
//! own address, a Contact page asks for its sign-in first and comes back,
//! every page carries a strict CSP, `next` never leads off the demo CRM, and
//! without `--demo` none of it is there.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use ringback_server::Server;
use ringback_server::config::Config;
use ringback_server::demo;
use ringback_server::store::Store;
use serde_json::{Value, json};

struct Demo {
    server: Option<Server>,
    base: String,
    http: reqwest::Client,
    store: Store,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// `serve --demo` (or without it: `demo_crm: false`) on a free port, as
    /// `main` does it: bound first, seeded with the address, then served.
    async fn start(demo_crm: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open_data_dir(dir.path()).await.expect("store opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        demo::seed(&store, 1_700_000_000_000, &demo::crm_base(addr))
            .await
            .expect("demo data");
        let config = Config {
            demo_crm,
            files_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let server = Server::start_on(listener, store.clone(), config)
            .await
            .expect("server starts");
        Self {
            server: Some(server),
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            store,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header(reqwest::header::COOKIE, cookie);
        }
        request.send().await.expect("GET")
    }

    /// Signs in on the demo CRM's form; the response (a redirect).
    async fn sign_in(&self, next: &str) -> reqwest::Response {
        self.http
            .post(self.url("/demo-crm/login"))
            .form(&[("user", "someone"), ("next", next)])
            .send()
            .await
            .expect("POST")
    }

    /// The demo rep's People, through the API.
    async fn people(&self) -> Vec<Value> {
        let session: Value = self
            .http
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"email": demo::DEMO_EMAIL, "password": demo::DEMO_PASSWORD}))
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("session");
        let token = session["token"].as_str().expect("token");
        self.http
            .get(self.url("/api/v1/people?q="))
            .bearer_auth(token)
            .send()
            .await
            .expect("people")
            .json()
            .await
            .expect("people JSON")
    }

    async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .expect("a Location")
}

fn csp(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|l| l.to_str().ok())
        .expect("a Content-Security-Policy")
        .to_owned()
}

fn crm_url<'a>(people: &'a [Value], name: &str) -> Option<&'a str> {
    people
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} is a demo Person"))["crm_url"]
        .as_str()
}

#[tokio::test]
async fn a_contact_page_through_the_demo_crm_sign_in() {
    let t = Demo::start(true).await;

    // The demo People's CRM links are this server's own demo CRM.
    let people = t.people().await;
    let ada = crm_url(&people, "Ada Lovelace").expect("Ada has a CRM link");
    assert_eq!(ada, t.url("/demo-crm/contacts/ada"));
    assert_eq!(
        crm_url(&people, "Grace Hopper"),
        Some(t.url("/demo-crm/contacts/grace").as_str())
    );
    assert_eq!(
        crm_url(&people, "Margaret Hamilton"),
        None,
        "no record: Accept opens Ringback's Person page"
    );

    // Not signed in: the record sends the browser to the sign-in form.
    let record = t.get("/demo-crm/contacts/ada", None).await;
    assert_eq!(record.status(), StatusCode::SEE_OTHER);
    let login = location(&record).to_owned();
    assert_eq!(login, "/demo-crm/login?next=/demo-crm/contacts/ada");
    let form = t.get(&login, None).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(csp(&form).contains("script-src 'self'"), "{}", csp(&form));
    let html = form.text().await.expect("body");
    assert!(
        html.contains(r#"name="next" value="/demo-crm/contacts/ada""#),
        "{html}"
    );
    assert!(html.contains(r#"action="/demo-crm/login""#), "{html}");

    // Signing in sets the cookie and comes back to the record.
    let signed = t.sign_in("/demo-crm/contacts/ada").await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed), "/demo-crm/contacts/ada");
    let cookie = signed
        .headers()
        .get(SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .expect("a cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/demo-crm"));
    let cookie = cookie.split(';').next().expect("name=value");

    let contact = t.get("/demo-crm/contacts/ada", Some(cookie)).await;
    assert_eq!(contact.status(), StatusCode::OK);
    let policy = csp(&contact);
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = contact.text().await.expect("body");
    for shown in ["Ada Lovelace", "CTO", "Analytical Engines", "+14155550111"] {
        assert!(html.contains(shown), "{shown} on the Contact page: {html}");
    }
    assert!(!html.contains("<script"), "the demo CRM runs no script");

    // The list of contacts, and a forged or missing cookie is no sign-in.
    let list = t.get("/demo-crm/contacts", Some(cookie)).await;
    assert_eq!(list.status(), StatusCode::OK);
    assert!(csp(&list).contains("script-src 'self'"));
    let html = list.text().await.expect("body");
    assert!(
        html.contains(r#"href="/demo-crm/contacts/katherine""#),
        "{html}"
    );
    let forged = t
        .get("/demo-crm/contacts/ada", Some("rb_demo_crm=yes"))
        .await;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}

#[tokio::test]
async fn next_never_leads_off_the_demo_crm() {
    let t = Demo::start(true).await;
    for next in [
        "//evil.test/demo-crm/contacts/ada",
        "https://evil.test/demo-crm/contacts/ada",
        "http:/evil.test",
        "/\\evil.test",
        "\\\\evil.test",
        "/demo-crm/\\\\evil.test",
        "/demo-crm/contacts/ada\r\nSet-Cookie: stolen=1",
        "/demo-crm/contacts/\tada",
        "javascript:alert(1)",
        "/calls",
        "",
    ] {
        let response = t.sign_in(next).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/demo-crm/contacts", "{next:?}");
        let query = format!(
            "/demo-crm/login?next={}",
            ringback_server::web::urlencode(next)
        );
        let form = t.get(&query, None).await.text().await.expect("body");
        assert!(
            form.contains(r#"name="next" value="/demo-crm/contacts""#),
            "{next:?}: {form}"
        );
    }
    // A path of the demo CRM is kept, and shown escaped in the form.
    let odd = r#"/demo-crm/"><script>alert(1)</script>"#;
    let query = format!(
        "/demo-crm/login?next={}",
        ringback_server::web::urlencode(odd)
    );
    let form = t.get(&query, None).await.text().await.expect("body");
    assert!(!form.contains("<script>"), "{form}");
    assert!(form.contains("&lt;script&gt;"), "{form}");
    t.stop().await;
}

#[tokio::test]
async fn unknown_and_oversized_slugs_are_not_found() {
    let t = Demo::start(true).await;
    let long = format!("/demo-crm/contacts/{}", "a".repeat(10_000));
    for path in [
        "/demo-crm/contacts/nobody",
        "/demo-crm/contacts/ADA",
        "/demo-crm/contacts/%3Cb%3E",
        long.as_str(),
    ] {
        let response = t.get(path, Some("rb_demo_crm=signed-in")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(csp(&response).contains("script-src 'self'"));
        let html = response.text().await.expect("body");
        assert!(!html.contains("<b>"), "{html}");
    }
    t.stop().await;
}

#[tokio::test]
async fn no_demo_crm_without_demo() {
    let t = Demo::start(false).await;
    for path in [
        "/demo-crm",
        "/demo-crm/login",
        "/demo-crm/contacts",
        "/demo-crm/contacts/ada",
    ] {
        let response = t.get(path, Some("rb_demo_crm=signed-in")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let posted = t.sign_in("/demo-crm/contacts/ada").await;
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn the_links_follow_the_demo_crm_to_a_new_address() {
    let t = Demo::start(true).await;
    let rep = t
        .store
        .rep_credentials(demo::DEMO_EMAIL)
        .await
        .expect("store")
        .expect("the demo rep")
        .rep_id;
    // The rep points Grace at their own CRM: that link is theirs to keep.
    let grace = t
        .store
        .search_people(rep, "Grace", 1)
        .await
        .expect("search")
        .pop()
        .expect("Grace");
    let fields = ringback_server::store::PersonFields {
        name: grace.name,
        title: grace.title,
        account: grace.account,
        phones: grace.phones,
        crm_url: Some("https://acme.my.salesforce.com/grace".into()),
    };
    t.store
        .update_person(rep, grace.id, &fields, 1_700_000_000_001)
        .await
        .expect("update");

    // The next run listens elsewhere (e.g. another port).
    let seeded = demo::seed(
        &t.store,
        1_700_000_000_002,
        "http://127.0.0.1:9999/demo-crm",
    )
    .await
    .expect("seed again");
    assert!(!seeded.created);
    let people = t.people().await;
    assert_eq!(
        crm_url(&people, "Ada Lovelace"),
        Some("http://127.0.0.1:9999/demo-crm/contacts/ada")
    );
    assert_eq!(
        crm_url(&people, "Grace Hopper"),
        Some("https://acme.my.salesforce.com/grace")
    );
    assert_eq!(crm_url(&people, "Margaret Hamilton"), None);
    t.stop().await;
}
