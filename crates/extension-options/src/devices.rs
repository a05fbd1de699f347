//! The audio devices: the microphone and speaker calls use, and where the
//! ringtone plays ("ring on my speakers, talk on my headset"). Shown once
//! the microphone is granted: until then Chrome lists devices without ids or
//! labels. They are listed with the permissions (on load and after the
//! microphone is enabled); plugging a headset in while the page is open
//! shows once the page is opened again. The choice is stored at once
//! ([`ChosenDevices::save`]) and the offscreen document reads it at the next
//! ring and the next answer.

use chrome::devices::{ChosenDevice, ChosenDevices};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlSelectElement, MediaDeviceInfo, MediaDeviceKind};
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct Device {
    id: String,
    label: String,
}

/// The devices Chrome lists now. Chrome's own "default" (and Windows'
/// "communications") entries are not devices to choose: they become the
/// label of the "Default" choice.
#[derive(Clone, PartialEq, Default)]
pub struct Available {
    microphones: Vec<Device>,
    speakers: Vec<Device>,
    default_microphone: String,
    default_speaker: String,
}

/// What Chrome lists now; the error is a sentence for the rep.
pub async fn list() -> Result<Available, String> {
    let failed = |e: JsValue| {
        format!(
            "Chrome did not list the audio devices ({}).",
            chrome::js::error_text(&e)
        )
    };
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(failed)?;
    let all = JsFuture::from(devices.enumerate_devices().map_err(failed)?)
        .await
        .map_err(failed)?;
    let mut available = Available::default();
    for info in js_sys::Array::from(&all).iter() {
        let info: MediaDeviceInfo = info.unchecked_into();
        let (list, default) = match info.kind() {
            MediaDeviceKind::Audioinput => (
                &mut available.microphones,
                &mut available.default_microphone,
            ),
            MediaDeviceKind::Audiooutput => {
                (&mut available.speakers, &mut available.default_speaker)
            }
            _ => continue,
        };
        let (id, label) = (info.device_id(), info.label());
        match id.as_str() {
            "default" => *default = label,
            "communications" => {}
            _ => list.push(Device { id, label }),
        }
    }
    Ok(available)
}

/// Which device a select chooses.
#[derive(Clone, Copy)]
enum Role {
    Microphone,
    Speaker,
    Ringtone,
}

impl Role {
    fn slot(self, chosen: &mut ChosenDevices) -> &mut Option<ChosenDevice> {
        match self {
            Self::Microphone => &mut chosen.microphone,
            Self::Speaker => &mut chosen.speaker,
            Self::Ringtone => &mut chosen.ringtone,
        }
    }
}

/// The three selects, shown once the microphone is granted. The choice is
/// read from storage at each render and saved on each change: no state of
/// its own (each Yew hook costs the page's wasm a few KB). A change re-renders
/// the page through `error`, the page's own error line, which it sets.
pub fn view(available: &Available, error: &UseStateHandle<Option<String>>) -> Html {
    let chosen = ChosenDevices::load();
    let choose = |role: Role, devices: &[Device]| {
        let (error, devices) = (error.clone(), devices.to_vec());
        Callback::from(move |event: Event| {
            let id = event.target_unchecked_into::<HtmlSelectElement>().value();
            let mut next = ChosenDevices::load();
            let slot = role.slot(&mut next);
            match devices.iter().find(|d| d.id == id) {
                Some(device) => {
                    *slot = Some(ChosenDevice {
                        id,
                        label: device.label.clone(),
                    })
                }
                // "Default"; or the missing device chosen before, kept as it is.
                None if id.is_empty() => *slot = None,
                None => {}
            }
            error.set(next.save().err());
        })
    };
    let (mics, speakers) = (&available.microphones, &available.speakers);
    html! {
        <div id="audio-devices">
            <h3>{ "Audio devices" }</h3>
            { picker("microphone-device", "Microphone for calls", &available.default_microphone, mics,
                chosen.microphone.as_ref(), choose(Role::Microphone, mics)) }
            { picker("speaker-device", "Speaker for calls", &available.default_speaker, speakers,
                chosen.speaker.as_ref(), choose(Role::Speaker, speakers)) }
            { picker("ringtone-device", "Ringtone plays on", &available.default_speaker, speakers,
                chosen.ringtone.as_ref(), choose(Role::Ringtone, speakers)) }
            <p class="muted">{ "A device that is not connected when a call comes is replaced by the default, and the Dialer says so." }</p>
        </div>
    }
}

/// One select: "Default" first, then the devices, then the chosen device
/// if it is not connected now (so the rep sees what they chose).
fn picker(
    id: &'static str,
    label: &'static str,
    default_label: &str,
    devices: &[Device],
    chosen: Option<&ChosenDevice>,
    on_change: Callback<Event>,
) -> Html {
    let selected = chosen.map_or("", |c| c.id.as_str());
    let missing = chosen.filter(|c| !devices.iter().any(|d| d.id == c.id));
    let default_label = if default_label.is_empty() {
        "Default".to_owned()
    } else {
        format!("Default ({default_label})")
    };
    html! {
        <label>{ label }
            <select id={id} onchange={on_change}>
                <option value="" selected={selected.is_empty()}>{ default_label }</option>
                { for devices.iter().map(|d| html! {
                    <option value={d.id.clone()} selected={d.id == selected}>{ d.label.clone() }</option>
                }) }
                if let Some(missing) = missing {
                    <option value={missing.id.clone()} selected=true>
                        { format!("{} (not connected)", if missing.label.is_empty() { "Chosen device" } else { &missing.label }) }
                    </option>
                }
            </select>
        </label>
    }
}
