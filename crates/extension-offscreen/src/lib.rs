//! The offscreen document: the one place an MV3 extension can play sound,
//! open the microphone and hold an `RTCPeerConnection`.
//!
//! It plays the ringtone ([`ringtone`]) and carries each accepted call's
//! audio ([`audio`]), and wakes the worker when Chrome stops it ([`wake`]).
//! The worker decides: on load this document asks whether
//! to ring ([`WorkerRequest::OffscreenReady`]), then obeys
//! [`OffscreenCommand`]s. Only the worker may start, mute or end a call's
//! audio; any extension page may ask for the status (the tests do).

mod audio;
mod devices;
pub mod offer;
pub mod quality;
mod ringtone;
mod wake;

use chrome::api::{call, runtime};
use chrome::messages::{
    AudioReply, Envelope, OffscreenCommand, OffscreenStatus, RingtoneReply, Target, WorkerRequest,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn status() -> OffscreenStatus {
    OffscreenStatus {
        ringing: ringtone::ringing(),
        silenced_at: ringtone::silenced_at(),
        calls: audio::snapshot(),
        ringtone_device: ringtone::device(),
        ringtone_note: ringtone::fallback_note(),
        devices: audio::devices_in_use(),
    }
}

fn respond<T: Serialize>(reply: &js_sys::Function, value: &T) {
    if let Ok(value) = chrome::js::to_js(value) {
        let _ = reply.call1(&JsValue::NULL, &value);
    }
}

/// Sent by the service worker: its URL is `sw.js` and it is in no tab. The
/// worker checks who asks it (pages in web tabs may not touch calls); this
/// keeps a page from going around it.
fn from_worker(sender: &JsValue) -> bool {
    let field = |name: &str| js_sys::Reflect::get(sender, &name.into()).unwrap_or_default();
    field("url").as_string() == Some(runtime::get_url("sw.js")) && field("tab").is_undefined()
}

/// Handles one message; `true` when the reply comes later.
fn on_message(message: JsValue, sender: JsValue, reply: js_sys::Function) -> bool {
    let Ok(Envelope {
        to: Target::Offscreen,
        body,
    }) = chrome::js::from_js::<Envelope<OffscreenCommand>>(message)
    else {
        return false;
    };
    let ringtone = match body {
        OffscreenCommand::Ring => ringtone::ring(),
        OffscreenCommand::Silence => {
            ringtone::silence();
            Ok(())
        }
        OffscreenCommand::Status => Ok(()),
        audio_command => {
            if !from_worker(&sender) {
                respond(
                    &reply,
                    &AudioReply::Failed {
                        message: "Only Ringback's background worker controls call audio.".into(),
                    },
                );
                return false;
            }
            return obey_audio(audio_command, reply);
        }
    };
    if let Err(error) = ringtone {
        web_sys::console::error_2(&"ringback: ringtone failed".into(), &error);
    }
    respond(&reply, &status());
    false
}

fn obey_audio(command: OffscreenCommand, reply: js_sys::Function) -> bool {
    let answered = match command {
        OffscreenCommand::Answer { call_id, offer } => {
            wasm_bindgen_futures::spawn_local(async move {
                let answer = match audio::answer(call_id, &offer).await {
                    Ok(sdp) => AudioReply::Answer { sdp },
                    Err(message) => AudioReply::Failed { message },
                };
                respond(&reply, &answer);
            });
            return true;
        }
        OffscreenCommand::Mute { call_id, muted } => audio::mute(call_id, muted),
        OffscreenCommand::Hold { call_id, held } => audio::hold(call_id, held),
        OffscreenCommand::EndAudio { call_id } => {
            audio::end(call_id);
            Ok(())
        }
        OffscreenCommand::EndAllAudio => {
            audio::end_all();
            Ok(())
        }
        OffscreenCommand::Ring | OffscreenCommand::Silence | OffscreenCommand::Status => Ok(()),
    };
    let answered = match answered {
        Ok(()) => AudioReply::Done,
        Err(message) => AudioReply::Failed { message },
    };
    respond(&reply, &answered);
    false
}

/// Entry point, called by `offscreen.js` once the module has loaded.
#[wasm_bindgen]
pub async fn start() -> Result<(), JsValue> {
    let listener =
        Closure::<dyn FnMut(JsValue, JsValue, js_sys::Function) -> bool>::new(on_message);
    runtime::add_message_listener(listener.into_js_value().unchecked_ref());
    wake::keep_worker_awake();

    let ready = chrome::js::to_js(&Envelope::new(
        Target::Worker,
        WorkerRequest::OffscreenReady,
    ))?;
    let reply = call(runtime::send_message(&ready)).await?;
    if let Ok(RingtoneReply::Ringtone { ringing: true }) = chrome::js::from_js(reply) {
        ringtone::ring()?;
    }
    Ok(())
}
