//! The connection a restarted worker opens while its wasm is still loading.
//!
//! Waking a stopped worker used to go in sequence: load the wasm, read the
//! session, ask the server for a ticket, open the socket, say Hello. None of
//! the network part needs Rust, so the worker keeps a *prepared connection*
//! in `chrome.storage.session` (memory only, and trusted contexts only): the
//! socket's address and its subprotocols, with a single-use resume ticket and
//! the device, which stands for Hello, so the server speaks first. `sw.js`
//! opens it in its first turn and keeps what the socket hears, sending
//! nothing; boot adopts the socket ([`crate::socket::adopt`]).
//!
//! The server sends each socket a resume ticket after the resumed rings, and
//! a fresh one at half its life (thirty minutes), so the one kept always has
//! time left. A spent or stale ticket costs nothing but the usual ticket
//! round trip, which adoption falls back to.

use crate::{js_storage, rules, state};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// The `chrome.storage.session` key `sw.js` reads the prepared connection from.
const KEY: &str = "ringback_resume";

/// Keep `ticket` (from the server) in the prepared connection, in the
/// background.
pub fn keep(ticket: String) {
    wasm_bindgen_futures::spawn_local(store(ticket));
}

/// Drop the prepared connection (sign-out; and a refused one, so a worker
/// that restarts again does not try it twice).
pub fn forget() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(error) = js_storage::save_session(KEY, JsValue::NULL).await {
            warn("could not forget the prepared connection", &error);
        }
    });
}

async fn store(ticket: String) {
    let Some(server) = state::read(|s| s.durable.session.as_ref().map(|s| s.server.clone())) else {
        return;
    };
    let prepared = Object::new();
    let filled = Reflect::set(&prepared, &"url".into(), &rules::signal_url(&server).into())
        .and_then(|_| {
            Reflect::set(
                &prepared,
                &"protocols".into(),
                &crate::socket::protocols(&ticket),
            )
        });
    let saved = match filled {
        Ok(_) => js_storage::save_session(KEY, prepared.into()).await,
        Err(error) => Err(error),
    };
    if let Err(error) = saved {
        warn("could not store the prepared connection", &error);
    }
}

fn warn(what: &str, detail: &JsValue) {
    web_sys::console::warn_2(&format!("ringback: {what}").into(), detail);
}
