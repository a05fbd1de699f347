//! The Dialer Everywhere panel, in Yew. It runs in `panel.html`, which the
//! content script frames into the CRM tab, so it loads under the extension's
//! CSP (wasm allowed) whatever the CRM's own CSP says.
//!
//! The panel never holds the session token: it asks the worker for a view of
//! the call ([`chrome::bridge::ask`]) and re-asks when the worker says
//! something changed.

mod audio;
mod dialpad;
mod format;
mod keypad;
mod move_to_phone;
mod panel;
mod reason;
mod waiting;

use wasm_bindgen::prelude::*;

/// Entry point, called by `panel.js`.
#[wasm_bindgen]
pub fn start() {
    if let Some(root) = chrome::app_root() {
        yew::Renderer::<panel::Panel>::with_root(root).render();
    }
}
