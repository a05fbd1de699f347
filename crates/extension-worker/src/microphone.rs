//! Is the microphone allowed for the extension? Chrome can only ask on a
//! visible extension page (the options page does); the worker can only look.
//!
//! The permission is queried once per worker start (`sw.js` starts the query
//! in its first turn, [`adopt`] takes it over at boot) and the
//! `PermissionStatus` kept: Chrome keeps its `state` current, so a ring reads
//! it without waiting for a query.

use js_sys::{Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{PermissionState, PermissionStatus, Permissions, WorkerGlobalScope};

thread_local! {
    static STATUS: RefCell<Option<PermissionStatus>> = const { RefCell::new(None) };
    /// The query `sw.js` started, until its answer is kept in `STATUS`: it
    /// takes about 5 ms, and a restarted worker's first ring must not wait
    /// for a second one.
    static ASKED: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Takes over the query `sw.js` started (a promise of a `PermissionStatus`,
/// or of null if it failed), so the first ring finds the answer waiting.
pub fn adopt(asked: js_sys::Promise) {
    ASKED.with(|a| *a.borrow_mut() = Some(asked));
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
    // Awaited by whoever comes first; a failed one is asked again.
    let asked = ASKED.with(|a| a.borrow().clone());
    let status = match asked {
        Some(asked) => match JsFuture::from(asked).await.map(JsCast::dyn_into) {
            Ok(Ok(status)) => status,
            _ => query().await?,
        },
        None => query().await?,
    };
    STATUS.with(|s| *s.borrow_mut() = Some(status.clone()));
    ASKED.with(|a| a.borrow_mut().take());
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
