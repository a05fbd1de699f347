//! The server's HTML pages as a signed-in browser fetches them: the session
//! cookie, no followed redirects, and the CSRF token the forms carry.

use super::TestServer;

/// The session cookie for a signed-in token, as a browser sends it.
pub fn session_cookie(token: &str) -> String {
    format!("{}={token}", ringback_server::web::SESSION_COOKIE)
}

/// A client that keeps redirects to itself, as the pages' tests read them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The CSRF token a page's forms carry.
pub fn csrf_in(html: &str) -> String {
    let (_, rest) = html
        .split_once(r#"name="csrf" value=""#)
        .expect("the page has a form with its CSRF token");
    rest.split('"').next().expect("token").to_owned()
}

impl TestServer {
    /// A page fetched with the session cookie, which must answer 200; its HTML.
    pub async fn page(&self, token: &str, path: &str) -> String {
        let response = no_redirects()
            .get(self.url(path))
            .header("cookie", session_cookie(token))
            .send()
            .await
            .expect("page");
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.expect("html")
    }
}
