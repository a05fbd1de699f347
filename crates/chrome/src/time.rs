//! Times as the rep reads them, in the browser's own locale and time zone.

/// " until 17:30" (or " until Sat 08:00" when it is not today), or nothing
/// for no end: how the badge and the popup say when a do-not-disturb ends.
pub fn until_text(until: Option<i64>) -> String {
    let Some(at) = until else {
        return String::new();
    };
    let date = js_sys::Date::new(&(at as f64).into());
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    if date.to_date_string() != js_sys::Date::new_0().to_date_string() {
        set("weekday", "short");
    }
    format!(" until {}", date.to_locale_string("default", &options))
}
