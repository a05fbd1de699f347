//! The options page, in Yew: server address and sign-in, the connection,
//! whether Chrome allows notifications, and the microphone — which Chrome
//! only lets an extension ask for on a visible page like this one — with the
//! audio devices calls and the ringtone use, and the keyboard shortcuts.

mod devices;
mod microphone;
mod options;
mod shortcuts;

use wasm_bindgen::prelude::*;

/// Entry point, called by `options.js`.
#[wasm_bindgen]
pub fn start() {
    if let Some(root) = chrome::app_root() {
        yew::Renderer::<options::OptionsPage>::with_root(root).render();
    }
}
