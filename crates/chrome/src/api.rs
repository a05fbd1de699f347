//! Bindings for the `chrome.*` functions Ringback calls.
//!
//! Only what is used is bound. Options objects are passed as [`JsValue`]s built
//! with [`crate::js::to_js`] from small serde structs, which keeps each call site
//! readable and the bindings one line each. Event listeners are not bound: a
//! Manifest V3 worker must register them in its first turn, before wasm has
//! loaded, so `extension/sw.js` registers them and calls into Rust.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

pub mod runtime {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = sendMessage, catch)]
        pub fn send_message(message: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
        pub fn get_url(path: &str) -> String;
        #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getContexts, catch)]
        pub fn get_contexts(filter: &JsValue) -> Result<Promise, JsValue>;
        /// Registers a listener; pages (not the worker) may do this from Rust.
        #[wasm_bindgen(js_namespace = ["chrome", "runtime", "onMessage"], js_name = addListener)]
        pub fn add_message_listener(listener: &js_sys::Function);
        /// Opens a long-lived port to the worker, starting it if it is stopped.
        #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = connect, catch)]
        pub fn connect(info: &JsValue) -> Result<JsValue, JsValue>;
    }

    /// The port the offscreen document holds to the worker: when Chrome
    /// stops the worker the port disconnects, and connecting again starts it.
    pub const WAKE_PORT: &str = "ringback-wake";
}

pub mod storage {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        /// Survives browser restarts: the session, the log outbox, the device id.
        #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
        pub fn local_get(keys: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
        pub fn local_set(items: &JsValue) -> Result<Promise, JsValue>;
        /// Survives the worker stopping but not the browser: live calls.
        #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = get, catch)]
        pub fn session_get(keys: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = set, catch)]
        pub fn session_set(items: &JsValue) -> Result<Promise, JsValue>;
    }
}

pub mod notifications {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "notifications"], catch)]
        pub fn create(id: &str, options: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "notifications"], catch)]
        pub fn clear(id: &str) -> Result<Promise, JsValue>;
        /// Resolves to `"granted"` or `"denied"`.
        #[wasm_bindgen(js_namespace = ["chrome", "notifications"], js_name = getPermissionLevel, catch)]
        pub fn get_permission_level() -> Result<Promise, JsValue>;
    }
}

pub mod action {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeText, catch)]
        pub fn set_badge_text(details: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor, catch)]
        pub fn set_badge_background_color(details: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setTitle, catch)]
        pub fn set_title(details: &JsValue) -> Result<Promise, JsValue>;
    }
}

pub mod tabs {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "tabs"], catch)]
        pub fn create(properties: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "tabs"], catch)]
        pub fn get(tab_id: i32) -> Result<Promise, JsValue>;
    }
}

pub mod windows {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "windows"], catch)]
        pub fn update(window_id: i32, properties: &JsValue) -> Result<Promise, JsValue>;

        #[wasm_bindgen(js_namespace = ["chrome", "windows"], catch)]
        pub fn create(properties: &JsValue) -> Result<Promise, JsValue>;
    }
}

pub mod scripting {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "scripting"], js_name = executeScript, catch)]
        pub fn execute_script(injection: &JsValue) -> Result<Promise, JsValue>;
    }
}

pub mod offscreen {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "offscreen"], js_name = createDocument, catch)]
        pub fn create_document(parameters: &JsValue) -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "offscreen"], js_name = closeDocument, catch)]
        pub fn close_document() -> Result<Promise, JsValue>;
    }
}

pub mod alarms {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "alarms"], catch)]
        pub fn create(name: &str, info: &JsValue) -> Result<Promise, JsValue>;
    }
}

pub mod commands {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        /// The keyboard shortcuts with the keys the rep has now.
        #[wasm_bindgen(js_namespace = ["chrome", "commands"], js_name = getAll, catch)]
        pub fn get_all() -> Result<Promise, JsValue>;
    }
}

pub mod context_menus {
    use super::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["chrome", "contextMenus"], js_name = removeAll, catch)]
        pub fn remove_all() -> Result<Promise, JsValue>;
        #[wasm_bindgen(js_namespace = ["chrome", "contextMenus"], catch)]
        pub fn create(properties: &JsValue) -> Result<JsValue, JsValue>;
    }
}

/// Awaits a `chrome.*` call: the binding's own throw and the promise's
/// rejection both become the `Err`.
pub async fn call(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(promise?).await
}
