//! The REST client: `fetch` from the worker with the rep's bearer token.

use chrome::js::{error_text, to_js};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit, Response, WorkerGlobalScope};

/// Longest wait for the server's answer.
const FETCH_TIMEOUT_MS: u32 = 15_000;

/// Why a request failed, sorted by what the caller should do about it.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The server could not be reached (or answered 5xx / 429): try again later.
    Unavailable(String),
    /// The token is no longer valid: sign in again.
    SignedOut,
    /// The server refused the request for good; `message` says why.
    Refused { message: String },
}

impl ApiError {
    pub fn message(&self) -> String {
        match self {
            Self::Unavailable(reason) => format!("Ringback server unreachable ({reason})"),
            Self::SignedOut => "Your session ended: sign in again in Ringback's options".into(),
            Self::Refused { message } => message.clone(),
        }
    }
}

pub struct Api<'a> {
    pub server: &'a str,
    pub token: Option<&'a str>,
}

impl<'a> Api<'a> {
    /// Requests as the signed-in rep.
    pub fn for_session(session: &'a crate::state::Session) -> Self {
        Self {
            server: &session.server,
            token: Some(&session.token),
        }
    }
}

impl Api<'_> {
    /// The JSON answer unread, for relaying.
    pub async fn get_raw(&self, path: &str) -> Result<JsValue, ApiError> {
        self.send("GET", path, None).await
    }

    /// Posts `body`; the answer unread.
    pub async fn post_raw<B: Serialize>(&self, path: &str, body: &B) -> Result<JsValue, ApiError> {
        let body = to_js(body).map_err(|e| ApiError::Unavailable(error_text(&e)))?;
        self.send("POST", path, Some(body)).await
    }

    /// Posts `body` (already a JavaScript object): no serde for a few fields.
    pub async fn post_object(&self, path: &str, body: JsValue) -> Result<JsValue, ApiError> {
        self.send("POST", path, Some(body)).await
    }

    /// Sends `body` (already JSON for JavaScript) and returns the answer unread.
    pub async fn put_raw(&self, path: &str, body: JsValue) -> Result<JsValue, ApiError> {
        self.send("PUT", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.send("DELETE", path, None).await.map(drop)
    }

    /// The one non-generic request path (generic async code is duplicated
    /// per type in wasm). Returns the parsed JSON body of a 2xx answer.
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<JsValue>,
    ) -> Result<JsValue, ApiError> {
        let response = self
            .fetch(method, path, body)
            .await
            .map_err(|e| ApiError::Unavailable(error_text(&e)))?;
        let status = response.status();
        let json = match response.json() {
            Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
            Err(_) => JsValue::NULL,
        };
        match status {
            200..=299 => Ok(json),
            401 => Err(ApiError::SignedOut),
            // Only Ringback's own refusals are final. Anything else (a proxy's
            // 403, a 404 during a deploy, a captive portal's page) may pass.
            // An `ErrorBody`, read by hand (see `js_read`).
            400 | 404 | 409 | 422 => match crate::js_read::field(&json, "error")
                .and_then(|error| crate::js_read::string(&error, "message"))
            {
                Some(message) => Err(ApiError::Refused { message }),
                None => Err(ApiError::Unavailable(format!(
                    "HTTP {status} from something other than Ringback"
                ))),
            },
            _ => Err(ApiError::Unavailable(format!("HTTP {status}"))),
        }
    }

    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<JsValue>,
    ) -> Result<Response, JsValue> {
        let headers = Headers::new()?;
        headers.set("Accept", "application/json")?;
        if let Some(token) = self.token {
            headers.set("Authorization", &format!("Bearer {token}"))?;
        }
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(body) = body {
            headers.set("Content-Type", "application/json")?;
            init.set_body(&js_sys::JSON::stringify(&body)?.into());
        }
        init.set_headers(&headers);
        // A request the network swallowed must not hold up the outbox forever.
        init.set_signal(Some(&AbortSignal::timeout_with_u32(FETCH_TIMEOUT_MS)));
        let url = format!("{}/api/v1{path}", self.server);
        let request = Request::new_with_str_and_init(&url, &init)?;
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        JsFuture::from(scope.fetch_with_request(&request))
            .await?
            .dyn_into()
    }
}
