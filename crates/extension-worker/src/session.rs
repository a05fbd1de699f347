//! Signing in (the server's address checked, the token kept in
//! `chrome.storage.local`, the socket and the offscreen document started)
//! and signing out.

use crate::http::{Api, ApiError};
use crate::{calls, js_read, offscreen, rules, socket, state};
use protocol::api::SignInRequest;
use wasm_bindgen::JsValue;

pub(crate) async fn sign_in(server: &str, email: String, password: String) -> Result<(), String> {
    let server = rules::normalize_server(server)?;
    if email.trim().is_empty() || password.is_empty() {
        return Err("Enter your email and password.".into());
    }
    let api = Api {
        server: &server,
        token: None,
    };
    let request = SignInRequest {
        email: email.trim().to_owned(),
        password,
    };
    let session = api.post_raw("/sessions", &request).await.map_err(|e| match e {
        ApiError::SignedOut => "Wrong email or password.".to_owned(),
        ApiError::Unavailable(reason) => format!(
            "Could not reach {server} ({reason}). Check the address and that the server is running."
        ),
        ApiError::Refused { message, .. } => message,
    })?;
    // A `SessionResponse`, read by hand (see `js_read`).
    let rep = js_read::field(&session, "rep").unwrap_or(JsValue::NULL);
    let (Some(token), Some(rep_name), Some(rep_email)) = (
        js_read::string(&session, "token"),
        js_read::string(&rep, "name"),
        js_read::string(&rep, "email"),
    ) else {
        return Err("Unexpected answer from the server: is this a Ringback server?".into());
    };
    socket::disconnect();
    state::durable(|d| {
        d.session = Some(state::Session {
            server: server.clone(),
            token,
            rep_name,
            email: rep_email,
        });
        d.choices = JsValue::NULL;
        d.availability = JsValue::NULL;
    })
    .await
    .map_err(|e| chrome::js::error_text(&e))?;
    state::transient(|t| t.reconnect_attempt = 0);
    socket::ensure_connected();
    offscreen::ensure_open().await;
    Ok(())
}

pub(crate) async fn sign_out() {
    if let Some(session) = state::read(|s| s.durable.session.clone()) {
        // Best effort: the token is forgotten here whatever the server says.
        let _ = Api::for_session(&session).delete("/sessions/current").await;
    }
    calls::signed_out(None).await;
}
