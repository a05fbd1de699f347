//! The REST API, `/api/v1/...`.

pub(crate) mod availability;
mod caller;
pub(crate) mod calls;
pub(crate) mod carrier;
mod dial;
mod people;
pub(crate) mod recordings;
pub(crate) mod sessions;
pub(crate) mod settings;
pub(crate) mod team;

use crate::state::AppState;
use axum::Router;
use axum::http::Method;
use axum::routing::{delete, get, post, put};

use crate::route::route;
pub use crate::route::{Access, Route};

/// Every route of the API. The router is built from this list and the
/// authorization test walks it, so a route added later cannot be left out
/// of either (the test also checks that `methods` says what the handler takes).
pub fn routes() -> Vec<Route> {
    use Access::{Carrier, Public, Rep, Ticket};
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    vec![
        route("/sessions", POST, Public, post(sessions::sign_in)),
        route(
            "/sessions/current",
            &[Method::DELETE],
            Rep,
            delete(sessions::sign_out),
        ),
        route("/me", GET, Rep, get(sessions::me)),
        route("/presence", GET, Rep, get(sessions::presence)),
        route("/ws-tickets", POST, Rep, post(sessions::ticket)),
        route("/signal", GET, Ticket, get(crate::signal::upgrade)),
        route(
            "/people",
            &[Method::GET, Method::POST],
            Rep,
            get(people::search).post(people::create),
        ),
        route(
            "/people/{id}",
            &[Method::GET, Method::PUT],
            Rep,
            get(people::read).put(people::update),
        ),
        route(
            "/settings/dialer",
            &[Method::GET, Method::PUT],
            Rep,
            get(settings::read).put(settings::update),
        ),
        route(
            "/availability",
            &[Method::GET, Method::PUT],
            Rep,
            get(availability::read).put(availability::update),
        ),
        route("/team/choices", GET, Rep, get(settings::team_choices)),
        route(
            "/team",
            &[Method::GET, Method::PUT],
            Rep,
            get(team::read).put(team::update),
        ),
        route("/calls", GET, Rep, get(calls::list)),
        route("/calls/{id}", GET, Rep, get(calls::read)),
        route("/calls/{id}/timeline", GET, Rep, get(calls::timeline)),
        route("/calls/dial", POST, Rep, post(dial::dial)),
        route("/calls/{id}/answer", POST, Rep, post(dial::answer)),
        route("/calls/{id}/hang-up", POST, Rep, post(dial::hang_up)),
        route(
            "/calls/{id}/person",
            &[Method::PUT],
            Rep,
            put(caller::choose),
        ),
        route(
            "/calls/{id}/log",
            &[Method::POST, Method::PATCH],
            Rep,
            post(calls::log).patch(calls::edit_log),
        ),
        route(
            "/calls/{id}/recording",
            GET,
            Rep,
            get(recordings::call_recording),
        ),
        route(
            "/settings/greeting",
            &[Method::GET, Method::PUT, Method::DELETE],
            Rep,
            get(recordings::get_greeting)
                .put(recordings::put_greeting)
                .delete(recordings::delete_greeting),
        ),
        route("/carrier/inbound", POST, Carrier, post(carrier::inbound)),
        route("/carrier/events", POST, Carrier, post(carrier::event)),
        route(
            "/carrier/calls/{carrier_call_id}/commands",
            GET,
            Carrier,
            get(carrier::commands),
        ),
        route(
            "/carrier/calls/{carrier_call_id}/media",
            GET,
            Carrier,
            get(carrier::media),
        ),
    ]
}

pub fn router() -> Router<AppState> {
    crate::route::router(routes())
}
