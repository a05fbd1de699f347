//! Is the microphone allowed for the extension? Chrome can only ask on a
//! visible extension page (the options page does); the worker can only look.
//!
//! The permission is queried once per worker start ([`warm_up`], at boot)
//! and the `PermissionStatus` kept: Chrome keeps its `state` current, so a
//! ring reads it without waiting for a query.

use js_sys::{Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{PermissionState, PermissionStatus, Permissions, WorkerGlobalScope};

thread_local! {
    static STATUS: RefCell<Option<PermissionStatus>> = const { RefCell::new(None) };
}

/// Starts the query, so the first ring finds the answer waiting.
pub async fn warm_up() {
    let _ = status().await;
}

/// `true` when granted. If the browser cannot say, the rep is not blocked:
/// Accept goes ahead rather than sending them to a page that may not help.
pub async fn allowed() -> bool {
    match status().await {
        Ok(status) => status.state() == PermissionState::Granted,
        Err(_) => true,
    }
}

async fn status() -> Result<PermissionStatus, JsValue> {
    if let Some(status) = STATUS.with(|s| s.borrow().clone()) {
        return Ok(status);
    }
    let status = query().await?;
    STATUS.with(|s| *s.borrow_mut() = Some(status.clone()));
    Ok(status)
}

async fn query() -> Result<PermissionStatus, JsValue> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"name".into(), &"microphone".into())?;
    // web-sys does not expose `WorkerNavigator.permissions`; Chrome does.
    let permissions: Permissions =
        Reflect::get(&scope.navigator(), &"permissions".into())?.dyn_into()?;
    JsFuture::from(permissions.query(&descriptor)?)
        .await?
        .dyn_into()
}
