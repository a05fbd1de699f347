//! The options page and the toolbar popup, in Yew (one module, two pages).
//!
//! The options page: server address and sign-in, the connection, whether
//! Chrome allows notifications, and the microphone — which Chrome only lets
//! an extension ask for on a visible page like this one — with the audio
//! devices calls and the ringtone use, the keyboard shortcuts and a test
//! ring. The popup: the connection, availability, missed calls, the live
//! call and a test ring.

mod availability;
mod devices;
mod microphone;
mod options;
mod popup;
mod shortcuts;
mod test_ring;

use wasm_bindgen::prelude::*;

/// Entry point, called by `options.js`.
#[wasm_bindgen]
pub fn start() {
    if let Some(root) = chrome::app_root() {
        yew::Renderer::<options::OptionsPage>::with_root(root).render();
    }
}

/// Entry point of the toolbar popup, called by `popup.js`.
#[wasm_bindgen]
pub fn start_popup() {
    if let Some(root) = chrome::app_root() {
        yew::Renderer::<popup::Popup>::with_root(root).render();
    }
}
