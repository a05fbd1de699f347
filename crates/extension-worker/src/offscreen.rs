//! The offscreen document, where the ringtone and the call's audio live (a
//! service worker has neither audio nor WebRTC). Chrome allows one per
//! extension. The worker opens it while the rep is signed in, and closes it
//! on sign-out: besides sound, it brings the worker back at once when Chrome
//! stops it (it holds a port to the worker; see the offscreen crate's `wake`).

use chrome::api::{call, offscreen, runtime};
use chrome::messages::{Envelope, OffscreenCommand, Target};
use gloo_timers::future::TimeoutFuture;
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

const DOCUMENT: &str = "offscreen.html";
/// How long a just-created document may take to start listening.
const LOAD_WAIT_MS: f64 = 3000.0;
const RETRY_MS: u32 = 100;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextFilter {
    context_types: [&'static str; 1],
}

#[derive(Serialize)]
struct CreateDocument {
    url: &'static str,
    reasons: [&'static str; 3],
    justification: &'static str,
}

pub async fn exists() -> bool {
    let Ok(filter) = chrome::js::to_js(&ContextFilter {
        context_types: ["OFFSCREEN_DOCUMENT"],
    }) else {
        return false;
    };
    match call(runtime::get_contexts(&filter)).await {
        Ok(contexts) => js_sys::Array::from(&contexts).length() > 0,
        Err(_) => false,
    }
}

/// Create the document. All three reasons at once, because only one
/// document may exist and it must be allowed everything a call needs; with
/// the microphone in use Chrome also keeps it open between calls.
pub async fn create() {
    let request = CreateDocument {
        url: DOCUMENT,
        reasons: ["AUDIO_PLAYBACK", "USER_MEDIA", "WEB_RTC"],
        justification: "Plays the ringtone for incoming calls and carries the call's audio (microphone and WebRTC).",
    };
    if let Ok(request) = chrome::js::to_js(&request) {
        // Fails only if it exists already (a race with another event): fine.
        let _ = call(offscreen::create_document(&request)).await;
    }
}

/// Open the document unless it is open (at boot and sign-in: it is what
/// wakes a stopped worker).
pub async fn ensure_open() {
    if !exists().await {
        create().await;
    }
}

/// Close it (signed out: nothing to ring, nothing to keep awake).
pub async fn close() {
    if exists().await {
        let _ = call(offscreen::close_document()).await;
    }
}

/// Send a command and return the reply, creating the document first if
/// `create_if_missing`. A document still loading is waited for. `None` when
/// nothing answered within `timeout_ms`, or there is no document and none
/// was to be made.
pub async fn ask(
    command: &OffscreenCommand,
    create_if_missing: bool,
    timeout_ms: i32,
) -> Option<JsValue> {
    if !exists().await {
        if !create_if_missing {
            return None;
        }
        create().await;
    }
    let message = chrome::js::to_js(&Envelope::new(Target::Offscreen, command.clone())).ok()?;
    let give_up = js_sys::Date::now() + LOAD_WAIT_MS;
    loop {
        let sent = runtime::send_message(&message)
            .map(|reply| Promise::race(&js_sys::Array::of2(&reply, &timer(timeout_ms))));
        // Rejected ("Receiving end does not exist") or unanswered while the
        // document loads; `undefined` too when the timer won.
        if let Ok(reply) = call(sent).await
            && !reply.is_undefined()
        {
            return Some(reply);
        }
        if js_sys::Date::now() > give_up {
            return None;
        }
        TimeoutFuture::new(RETRY_MS).await;
    }
}

/// Resolves with `undefined` after `ms`.
pub(crate) fn timer(ms: i32) -> Promise {
    Promise::new(&mut |resolve, _| {
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    })
}
