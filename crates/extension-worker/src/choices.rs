//! The team's dispositions and sentiments, for the panel: re-read on each
//! Welcome and when a panel opens without them.

use crate::http::Api;
use crate::state;

pub async fn refresh() {
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return;
    };
    let api = Api::for_session(&session);
    if let Ok(choices) = api.get_raw("/team/choices").await {
        let _ = state::durable(|d| d.choices = choices).await;
    }
}
