//! The rep's audio devices: a microphone and a speaker for calls, and a
//! device for the ringtone ("ring on my speakers, talk on my headset").
//!
//! The options page chooses them; the offscreen document reads them when it
//! starts a ring and when it answers a call. They live in the extension
//! origin's `localStorage` under [`STORAGE_KEY`]: an offscreen document can
//! use no `chrome.*` API but `runtime`, so not `chrome.storage`, while both
//! pages share the origin's `localStorage` (checked in Chromium 156), and the
//! worker need not carry a byte of this. A device id is only meaningful to
//! this origin in this browser profile, which is exactly where it is kept.

use js_sys::{JSON, Object, Reflect};
use wasm_bindgen::JsValue;

/// The `localStorage` key: JSON `{"microphone": {"id", "label"}, "speaker": …,
/// "ringtone": …}`; a missing or `null` field is the default device.
pub const STORAGE_KEY: &str = "ringback.devices";

/// What the rep chose; `None` is Chrome's default device. Read and written
/// by hand rather than with serde: the options page has no room for another
/// serde type (300 KB ceiling).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChosenDevices {
    pub microphone: Option<ChosenDevice>,
    /// Where the call's audio plays.
    pub speaker: Option<ChosenDevice>,
    /// Where the ringtone plays.
    pub ringtone: Option<ChosenDevice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenDevice {
    /// `MediaDeviceInfo.deviceId`.
    pub id: String,
    /// Its label when chosen, to name it once it is unplugged.
    pub label: String,
}

/// The stored fields, in order.
const ROLES: [&str; 3] = ["microphone", "speaker", "ringtone"];

impl ChosenDevice {
    /// "the chosen microphone (USB Headset)", or without the label if none.
    fn described(&self, what: &str) -> String {
        if self.label.is_empty() {
            format!("Your chosen {what}")
        } else {
            format!("Your chosen {what} ({})", self.label)
        }
    }

    /// The sentence the panel shows when this microphone is missing.
    pub fn missing_microphone(&self) -> String {
        format!(
            "{} is not connected: using the default microphone.",
            self.described("microphone")
        )
    }

    pub fn missing_speaker(&self) -> String {
        format!(
            "{} is not connected: the call plays on the default speaker.",
            self.described("speaker")
        )
    }

    pub fn missing_ringtone_device(&self) -> String {
        format!(
            "{} is not connected: calls ring on the default speaker.",
            self.described("ringtone device")
        )
    }
}

impl ChosenDevices {
    /// The stored choice; nothing stored, or anything unreadable, is the
    /// default for every device (a bad entry must never stop a call).
    pub fn load() -> Self {
        let stored = storage()
            .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|json| JSON::parse(&json).ok());
        let Some(stored) = stored else {
            return Self::default();
        };
        let [microphone, speaker, ringtone] = ROLES.map(|role| read_device(&stored, role));
        Self {
            microphone,
            speaker,
            ringtone,
        }
    }

    /// Store the choice; the error is a sentence for the rep.
    pub fn save(&self) -> Result<(), String> {
        let stored = Object::new();
        let devices = [&self.microphone, &self.speaker, &self.ringtone];
        // Setting fields on new plain objects cannot fail.
        for (role, device) in ROLES.into_iter().zip(devices) {
            let entry = match device {
                Some(device) => {
                    let entry = Object::new();
                    let _ = Reflect::set(&entry, &"id".into(), &device.id.as_str().into());
                    let _ = Reflect::set(&entry, &"label".into(), &device.label.as_str().into());
                    entry.into()
                }
                None => JsValue::NULL,
            };
            let _ = Reflect::set(&stored, &role.into(), &entry);
        }
        let json = JSON::stringify(&stored)
            .map(String::from)
            .unwrap_or_default();
        storage()
            .and_then(|storage| storage.set_item(STORAGE_KEY, &json).ok())
            .ok_or_else(|| {
                "Chrome did not save your audio devices: is its storage full or disabled?"
                    .to_owned()
            })
    }
}

/// One stored device; anything but `{"id": "…"}` is the default. (Reflect.get
/// on `null` or a number throws: that is the default too.)
fn read_device(stored: &JsValue, role: &str) -> Option<ChosenDevice> {
    let entry = Reflect::get(stored, &role.into()).ok()?;
    let text = |field: &str| Reflect::get(&entry, &field.into()).ok()?.as_string();
    let id = text("id").filter(|id| !id.is_empty())?;
    let label = text("label").unwrap_or_default();
    Some(ChosenDevice { id, label })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_device_is_named_when_its_label_is_known() {
        let headset = ChosenDevice {
            id: "gone".into(),
            label: "USB Headset".into(),
        };
        assert_eq!(
            headset.missing_microphone(),
            "Your chosen microphone (USB Headset) is not connected: using the default microphone."
        );
        let unnamed = ChosenDevice {
            id: "gone".into(),
            label: String::new(),
        };
        assert_eq!(
            unnamed.missing_ringtone_device(),
            "Your chosen ringtone device is not connected: calls ring on the default speaker."
        );
    }
}
