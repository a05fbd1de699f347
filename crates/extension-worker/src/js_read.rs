//! Reading a few fields of a JavaScript object by hand.
//!
//! Every type the worker deserialises through serde brings its own copy of
//! serde-wasm-bindgen's struct reader into the wasm (about 1.5 KB each). The
//! small shapes read once — a tab, a message's sender, the server's ticket,
//! session and error answers — are read here field by field instead.

use wasm_bindgen::JsValue;

/// `value[name]`, if `value` is an object that has it (not null/undefined).
pub fn field(value: &JsValue, name: &str) -> Option<JsValue> {
    if !value.is_object() {
        return None;
    }
    js_sys::Reflect::get(value, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Whether two values read the same as JSON: a value the server sends again
/// unchanged need not be stored again.
pub fn same_json(a: &JsValue, b: &JsValue) -> bool {
    let json = |value: &JsValue| js_sys::JSON::stringify(value).ok().map(String::from);
    json(a) == json(b)
}

/// A string field.
pub fn string(value: &JsValue, name: &str) -> Option<String> {
    field(value, name)?.as_string()
}

/// A whole-number field that fits an `i32` (tab and window ids).
pub fn int(value: &JsValue, name: &str) -> Option<i32> {
    let number = field(value, name)?.as_f64()?;
    (number.fract() == 0.0 && number >= f64::from(i32::MIN) && number <= f64::from(i32::MAX))
        .then_some(number as i32)
}
