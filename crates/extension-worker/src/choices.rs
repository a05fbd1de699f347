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
    if state::read(|s| crate::js_read::same_json(&choices, &s.durable.choices)) {
        return;
    }
    let _ = state::durable(|d| d.choices = choices).await;
    crate::notify_pages();
}

/// [`refresh`] in the background, once the ring that prompted it has had
/// the browser to itself.
pub fn refresh_soon() {
    crate::after_the_ring(refresh());
}
