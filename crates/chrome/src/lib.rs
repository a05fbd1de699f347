//! Ringback's bridge to the browser extension platform.
//!
//! Four wasm modules make up the extension, one per runtime context: the
//! service worker (`ringback-worker`), the offscreen document that plays the
//! ringtone (`ringback-offscreen`), and two Yew apps — the options page
//! (`ringback-options`) and the Dialer Everywhere panel (`ringback-panel`).
//! They share what is here:
//!
//! - [`api`]: wasm-bindgen bindings for the few `chrome.*` functions Ringback
//!   calls. Every one returns a `Promise` (Manifest V3), awaited as a
//!   [`wasm_bindgen_futures::JsFuture`].
//! - [`messages`]: the typed messages the contexts exchange over
//!   `chrome.runtime.sendMessage`. Each carries a `to` field so a context can
//!   ignore messages meant for another.
//! - [`bridge`]: how a page asks the worker and hears that something changed.
//! - [`devices`]: the rep's chosen microphone, speaker and ringtone device,
//!   shared by the options page and the offscreen document.
//!
//! Values cross into JavaScript with [`js::to_js`], which writes plain JSON-shaped
//! objects (never `Map`s), because that is what the `chrome.*` APIs accept.

pub mod api;
pub mod bridge;
pub mod devices;
pub mod js;
pub mod messages;
pub mod time;

/// The `#app` element a page's Yew app mounts on. `None` (and a console
/// error naming the page) if the HTML lacks it.
pub fn app_root() -> Option<web_sys::Element> {
    let document = web_sys::window().and_then(|w| w.document())?;
    let root = document.get_element_by_id("app");
    if root.is_none() {
        web_sys::console::error_2(
            &"ringback: no #app element in".into(),
            &document.url().unwrap_or_default().into(),
        );
    }
    root
}
