//! The extension's pages, in Yew: the options page and the Dialer Everywhere
//! panel. One wasm module serves both (they share the bridge to the worker and
//! most of Yew); each HTML page calls its own entry point.
//!
//! Pages never hold the session token. They ask the worker for views
//! ([`bridge::ask`]) and re-ask when it says something changed.

mod bridge;
mod format;
mod microphone;
mod options;
mod panel;

use wasm_bindgen::prelude::*;

fn mount<C: yew::BaseComponent<Properties = ()>>(id: &str) {
    let root = gloo_utils_document().get_element_by_id(id);
    match root {
        Some(root) => {
            yew::Renderer::<C>::with_root(root).render();
        }
        None => web_sys::console::error_1(&format!("ringback: no #{id} element").into()),
    }
}

fn gloo_utils_document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect_throw("pages run in a document")
}

/// `options.html`
#[wasm_bindgen]
pub fn start_options() {
    mount::<options::OptionsPage>("app");
}

/// `panel.html`, inside the iframe the content script adds to the CRM tab.
#[wasm_bindgen]
pub fn start_panel() {
    mount::<panel::Panel>("app");
}
