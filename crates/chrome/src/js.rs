//! Converting between Rust values and plain JavaScript objects.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

/// A Rust value as a JSON-shaped JavaScript value (objects, not `Map`s; `None` as `null`).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// A JavaScript value read as `T`; the error says what did not fit.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(JsValue::from)
}

/// The message of a JavaScript error, or the value printed, for people to read.
pub fn error_text(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => error
            .as_string()
            .or_else(|| js_sys::JSON::stringify(error).ok().map(String::from))
            .unwrap_or_else(|| "unknown error".into()),
    }
}
