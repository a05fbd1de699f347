//! `chrome.storage` reads and writes of one key.

use chrome::api::{call, storage};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

fn one_item(key: &str, value: JsValue) -> Result<JsValue, JsValue> {
    let item = Object::new();
    Reflect::set(&item, &JsValue::from_str(key), &value)?;
    Ok(item.into())
}

/// `items[key]` of a `chrome.storage` read, if set.
pub fn value_of(items: JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    let value = Reflect::get(&items, &JsValue::from_str(key))?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}

pub async fn save_local(key: &str, value: JsValue) -> Result<(), JsValue> {
    call(storage::local_set(&one_item(key, value)?))
        .await
        .map(drop)
}

pub async fn save_session(key: &str, value: JsValue) -> Result<(), JsValue> {
    call(storage::session_set(&one_item(key, value)?))
        .await
        .map(drop)
}
