//! The rep's availability (Available, Do not disturb in Chrome or
//! everywhere): set from the popup or a page through the server, which
//! routes by it, and kept here for the badge and the pages.

use crate::http::Api;
use crate::{badge, js_read, notify_pages, state};
use wasm_bindgen::JsValue;

/// Stores the rep's availability on the server, which checks it, routes by
/// it and tells the rep's other browsers; then here.
pub(crate) async fn set(availability: JsValue) -> Result<(), String> {
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return Err("You are signed out: sign in first.".into());
    };
    let stored = Api::for_session(&session)
        .put_raw("/availability", availability)
        .await
        .map_err(|e| e.message())?;
    set_here(stored).await;
    Ok(())
}

/// The server says (or confirmed) the rep's availability: keep it for the
/// badge and the pages. The server says it on every connect: unchanged, it
/// costs nothing (no storage write on the way to a resumed ring).
pub(crate) async fn set_here(availability: JsValue) {
    if state::read(|s| js_read::same_json(&availability, &s.durable.availability)) {
        return;
    }
    let _ = state::durable(|d| d.availability = availability).await;
    badge::refresh();
    notify_pages();
}
