//! The microphone permission, asked for where Chrome allows it: a visible
//! extension page.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamConstraints, PermissionState, PermissionStatus};

/// "granted", "prompt" or "denied" (or "unknown" if Chrome will not say).
pub async fn state() -> String {
    query().await.unwrap_or_else(|_| "unknown".into())
}

async fn query() -> Result<String, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"name".into(), &"microphone".into())?;
    let status: PermissionStatus =
        JsFuture::from(window.navigator().permissions()?.query(&descriptor)?)
            .await?
            .dyn_into()?;
    Ok(match status.state() {
        PermissionState::Granted => "granted",
        PermissionState::Denied => "denied",
        _ => "prompt",
    }
    .into())
}

/// Ask Chrome for the microphone (shows its prompt), then let go of it at once.
pub async fn request() -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::TRUE);
    let devices = window
        .navigator()
        .media_devices()
        .map_err(|e| chrome::js::error_text(&e))?;
    let stream: MediaStream = JsFuture::from(
        devices
            .get_user_media_with_constraints(&constraints)
            .map_err(|e| chrome::js::error_text(&e))?,
    )
    .await
    .map_err(|e| chrome::js::error_text(&e))?
    .unchecked_into();
    for track in stream.get_tracks() {
        track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
    Ok(())
}
