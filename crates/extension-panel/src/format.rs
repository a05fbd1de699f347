//! Times as a rep reads them.

use protocol::UnixMillis;

/// A past day in the rep's locale, e.g. "3 Nov".
pub fn day(at: UnixMillis) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    let options = js_sys::Object::new();
    for (key, value) in [("day", "numeric"), ("month", "short")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    String::from(date.to_locale_string("default", &options))
}
