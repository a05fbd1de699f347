//! The rep's chosen devices ([`ChosenDevices`], from the options page) for a
//! call: the microphone it sends and the speaker it plays on. A chosen device
//! that is missing falls back to Chrome's default, with a sentence saying so
//! for the panel; a call never fails for want of the rep's favourite headset.

use chrome::devices::ChosenDevice;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlMediaElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

// Output device selection is still "unstable" in web-sys (behind a cfg that
// would rebuild every wasm crate); Chrome has had it since 49 (elements) and
// 110 (AudioContext).
#[wasm_bindgen]
extern "C" {
    /// An `HTMLMediaElement`, seen for its output device.
    type OutputElement;
    #[wasm_bindgen(method, js_name = setSinkId)]
    fn set_sink_id(this: &OutputElement, sink_id: &str) -> js_sys::Promise;
    #[wasm_bindgen(method, getter, js_name = sinkId)]
    fn sink_id(this: &OutputElement) -> String;
}

/// Open the microphone: the chosen one, else (or if it is missing) Chrome's
/// default. Returns the stream and, after a fallback, the panel's note.
pub async fn open_microphone(
    chosen: Option<&ChosenDevice>,
) -> Result<(MediaStream, Option<String>), String> {
    let Some(device) = chosen else {
        return Ok((get_user_media(&JsValue::TRUE).await?, None));
    };
    let exact = Object::new();
    let wanted = Object::new();
    let _ = Reflect::set(&exact, &"exact".into(), &device.id.as_str().into());
    let _ = Reflect::set(&wanted, &"deviceId".into(), &exact);
    match get_user_media(&wanted).await {
        Ok(stream) => Ok((stream, None)),
        // Chrome says OverconstrainedError for an unknown deviceId;
        // NotFoundError if it vanished while opening.
        Err(Failure::Missing) => Ok((
            get_user_media(&JsValue::TRUE).await?,
            Some(device.missing_microphone()),
        )),
        Err(other) => Err(other.into()),
    }
}

/// Why `getUserMedia` failed: the device is gone, or a sentence for the rep.
enum Failure {
    Missing,
    Other(String),
}

impl From<Failure> for String {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Missing => "No microphone was found. Plug one in and try again.".into(),
            Failure::Other(message) => message,
        }
    }
}

async fn get_user_media(audio: &JsValue) -> Result<MediaStream, Failure> {
    let failed = |error: JsValue| {
        let name = Reflect::get(&error, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotFoundError" | "OverconstrainedError" => Failure::Missing,
            "NotAllowedError" => Failure::Other("Chrome did not allow Ringback to use the microphone. Allow it on Ringback's options page.".into()),
            _ => Failure::Other(format!("Could not open the microphone ({}).", chrome::js::error_text(&error))),
        }
    };
    let devices = web_sys::window()
        .ok_or_else(|| Failure::Other("No window to open the microphone in.".into()))?
        .navigator()
        .media_devices()
        .map_err(failed)?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(audio);
    let stream = JsFuture::from(
        devices
            .get_user_media_with_constraints(&constraints)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    Ok(stream.unchecked_into())
}

/// Play `speaker` on the chosen device; if it is missing the element stays
/// on the default and the note says so.
pub async fn route_speaker(
    speaker: &HtmlMediaElement,
    chosen: Option<&ChosenDevice>,
) -> Option<String> {
    let device = chosen?;
    match JsFuture::from(
        speaker
            .unchecked_ref::<OutputElement>()
            .set_sink_id(&device.id),
    )
    .await
    {
        Ok(_) => None,
        Err(error) => {
            web_sys::console::warn_2(&"ringback: chosen speaker not used".into(), &error);
            Some(device.missing_speaker())
        }
    }
}

/// The device a stream's microphone track comes from.
pub fn microphone_in_use(stream: &MediaStream) -> String {
    stream
        .get_audio_tracks()
        .iter()
        .next()
        .map(|track| {
            track
                .unchecked_into::<MediaStreamTrack>()
                .get_settings()
                .get_device_id()
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// The output an element plays on (`""` is the default).
pub fn speaker_in_use(speaker: &HtmlMediaElement) -> String {
    speaker.unchecked_ref::<OutputElement>().sink_id()
}
