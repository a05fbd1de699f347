//! Brings the service worker back as soon as Chrome stops it.
//!
//! The signalling socket lives in the worker, and a stopped worker hears no
//! calls; Chrome's alarms wake it every 30 s at best. This document outlives
//! the worker, so it holds a port to it ([`runtime::WAKE_PORT`]): when Chrome
//! stops the worker the port disconnects, and connecting again starts the
//! worker, which reconnects its socket at boot. The worker's watchdog alarm
//! stays as the last resort (for when this document is not open).

use chrome::api::runtime;
use gloo_timers::callback::Timeout;
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// A port that dies sooner than this after it opened is not retried at once,
/// so a worker that cannot start is not hammered.
const QUICK_DEATH_MS: f64 = 1000.0;
const RETRY_MS: u32 = 1000;

#[derive(Serialize)]
struct ConnectInfo {
    name: &'static str,
}

/// Connects now, and again whenever the port disconnects.
pub fn keep_worker_awake() {
    let opened_at = js_sys::Date::now();
    let Ok(info) = chrome::js::to_js(&ConnectInfo {
        name: runtime::WAKE_PORT,
    }) else {
        return;
    };
    let Ok(port) = runtime::connect(&info) else {
        Timeout::new(RETRY_MS, keep_worker_awake).forget();
        return;
    };
    let on_disconnect = Closure::once_into_js(move || {
        if js_sys::Date::now() - opened_at < QUICK_DEATH_MS {
            Timeout::new(RETRY_MS, keep_worker_awake).forget();
        } else {
            keep_worker_awake();
        }
    });
    let add = js_sys::Reflect::get(&port, &"onDisconnect".into())
        .and_then(|event| Ok((js_sys::Reflect::get(&event, &"addListener".into())?, event)));
    if let Ok((add, event)) = add
        && let Some(add) = add.dyn_ref::<js_sys::Function>()
    {
        let _ = add.call1(&event, &on_disconnect);
    }
}
