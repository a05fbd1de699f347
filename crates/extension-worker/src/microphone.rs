//! Is the microphone allowed for the extension? Chrome can only ask on a
//! visible extension page (the options page does); the worker can only look.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{PermissionState, PermissionStatus, Permissions, WorkerGlobalScope};

/// `true` when granted. If the browser cannot say, the rep is not blocked:
/// Accept goes ahead rather than sending them to a page that may not help.
pub async fn allowed() -> bool {
    match query().await {
        Ok(state) => state == PermissionState::Granted,
        Err(_) => true,
    }
}

async fn query() -> Result<PermissionState, JsValue> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"name".into(), &"microphone".into())?;
    // web-sys does not expose `WorkerNavigator.permissions`; Chrome does.
    let permissions: Permissions =
        Reflect::get(&scope.navigator(), &"permissions".into())?.dyn_into()?;
    let status: PermissionStatus = JsFuture::from(permissions.query(&descriptor)?)
        .await?
        .dyn_into()?;
    Ok(status.state())
}
