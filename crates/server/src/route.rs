//! A route and who may call it. The API's routes and the pages' are each a
//! list of these ([`crate::api::routes`], [`crate::web::routes`]); the
//! routers are built from the lists, and `tests/authorization.rs` walks
//! them, so a route added later is checked without anyone remembering to.

use crate::state::AppState;
use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (signing in, the pages' stylesheet and script).
    Public,
    /// A signed-in rep (the API's bearer token, the pages' session
    /// cookie), and only for their own data.
    Rep,
    /// The carrier, with the carrier token.
    Carrier,
    /// A WebSocket ticket (which a signed-in rep gets from `/ws-tickets`).
    Ticket,
}

/// One route, of the API or the pages, with the methods it takes and who
/// may call it.
pub struct Route {
    pub path: &'static str,
    pub methods: &'static [Method],
    pub access: Access,
    handler: MethodRouter<AppState>,
}

pub(crate) fn route(
    path: &'static str,
    methods: &'static [Method],
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        path,
        methods,
        access,
        handler,
    }
}

/// The router for a list of routes.
pub fn router(routes: Vec<Route>) -> Router<AppState> {
    routes.into_iter().fold(Router::new(), |router, route| {
        router.route(route.path, route.handler)
    })
}
