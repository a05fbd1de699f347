//! The team's dispositions and sentiments, for the panel. An admin may add,
//! rename or retire one at any time, so they are re-read on each Welcome,
//! each ring (once its notification is up) and each Accept, and when a panel
//! opens without them; open panels hear of a change and ask again.

use crate::http::Api;
use crate::state;

pub async fn refresh() {
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return;
    };
    let api = Api::for_session(&session);
    let Ok(choices) = api.get_raw("/team/choices").await else {
        return;
    };
    let json =
        |value: &wasm_bindgen::JsValue| js_sys::JSON::stringify(value).ok().map(String::from);
    if json(&choices) == state::read(|s| json(&s.durable.choices)) {
        return;
    }
    let _ = state::durable(|d| d.choices = choices).await;
    crate::notify_pages();
}

/// [`refresh`] in the background, once the ring that prompted it has had
/// the browser to itself.
pub fn refresh_soon() {
    wasm_bindgen_futures::spawn_local(async {
        gloo_timers::future::TimeoutFuture::new(crate::RING_PATH_FIRST_MS).await;
        refresh().await;
    });
}
