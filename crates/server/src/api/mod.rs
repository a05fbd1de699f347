//! The REST API, `/api/v1/...`.

pub(crate) mod calls;
mod carrier;
mod people;
pub(crate) mod recordings;
pub(crate) mod sessions;
pub(crate) mod settings;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(sessions::sign_in))
        .route(
            "/sessions/current",
            axum::routing::delete(sessions::sign_out),
        )
        .route("/me", get(sessions::me))
        .route("/presence", get(sessions::presence))
        .route("/ws-tickets", post(sessions::ticket))
        .route("/signal", get(crate::signal::upgrade))
        .route("/people", get(people::search).post(people::create))
        .route("/people/{id}", get(people::read).put(people::update))
        .route(
            "/settings/dialer",
            get(settings::read).put(settings::update),
        )
        .route("/team/choices", get(settings::team_choices))
        .route("/calls", get(calls::list))
        .route("/calls/{id}", get(calls::read))
        .route("/calls/{id}/log", post(calls::log).patch(calls::edit_log))
        .route("/calls/{id}/recording", get(recordings::call_recording))
        .route(
            "/settings/greeting",
            get(recordings::get_greeting)
                .put(recordings::put_greeting)
                .delete(recordings::delete_greeting),
        )
        .route("/carrier/inbound", post(carrier::inbound))
        .route("/carrier/events", post(carrier::event))
        .route(
            "/carrier/calls/{carrier_call_id}/commands",
            get(carrier::commands),
        )
        .route(
            "/carrier/calls/{carrier_call_id}/media",
            get(carrier::media),
        )
}
