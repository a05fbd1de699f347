//! The options page, in Yew: server address and sign-in, the connection,
//! whether Chrome allows notifications, and the microphone — which Chrome
//! only lets an extension ask for on a visible page like this one.

mod microphone;
mod options;

use wasm_bindgen::prelude::*;

/// Entry point, called by `options.js`.
#[wasm_bindgen]
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<options::OptionsPage>::with_root(root).render();
        }
        None => web_sys::console::error_1(&"ringback: options.html has no #app".into()),
    }
}
