//! The offscreen document: the one place an MV3 extension can play sound.
//!
//! The ringtone is synthesised with Web Audio — the North American ring
//! (440 Hz + 480 Hz, two seconds on, four off) — so no audio file ships and it
//! starts and stops within a frame. The worker decides whether to ring: on
//! load this document asks ([`WorkerRequest::OffscreenReady`]), then obeys
//! [`OffscreenCommand`]s. Stopping closes the `AudioContext`, which silences
//! it at once.

use chrome::api::{call, runtime};
use chrome::messages::{Envelope, OffscreenCommand, RingtoneReply, Target, WorkerRequest};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use web_sys::{AudioContext, OscillatorType};

/// One ring cycle: tone on for `ON` seconds, then silence until `PERIOD`.
const ON: f64 = 2.0;
const PERIOD: f64 = 6.0;
/// Cycles scheduled ahead; a call never rings longer than the server's 120 s cap.
const CYCLES: u32 = 25;
const TONES_HZ: [f32; 2] = [440.0, 480.0];
const VOLUME: f32 = 0.12;

thread_local! {
    static RINGING: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

/// Seconds of ringing one `AudioContext` has scheduled.
const SCHEDULED: f64 = CYCLES as f64 * PERIOD;

fn ring() -> Result<(), JsValue> {
    if ringing() {
        return Ok(());
    }
    // Nothing left of an old schedule: start afresh.
    silence();
    let context = AudioContext::new()?;
    let gain = context.create_gain()?;
    gain.gain().set_value(0.0);
    gain.connect_with_audio_node(&context.destination())?;
    let start = context.current_time() + 0.02;
    for cycle in 0..CYCLES {
        let on = start + f64::from(cycle) * PERIOD;
        gain.gain().set_value_at_time(VOLUME, on)?;
        gain.gain().set_value_at_time(0.0, on + ON)?;
    }
    for hz in TONES_HZ {
        let tone = context.create_oscillator()?;
        tone.set_type(OscillatorType::Sine);
        tone.frequency().set_value(hz);
        tone.connect_with_audio_node(&gain)?;
        tone.start()?;
    }
    RINGING.with(|r| *r.borrow_mut() = Some(context));
    Ok(())
}

fn silence() {
    if let Some(context) = RINGING.with(|r| r.borrow_mut().take()) {
        let _ = context.close();
    }
}

fn ringing() -> bool {
    RINGING.with(|r| {
        r.borrow()
            .as_ref()
            .is_some_and(|context| context.current_time() < SCHEDULED)
    })
}

fn obey(command: OffscreenCommand) -> Result<(), JsValue> {
    match command {
        OffscreenCommand::Ring => ring(),
        OffscreenCommand::Silence => {
            silence();
            Ok(())
        }
        OffscreenCommand::Status => Ok(()),
    }
}

#[derive(serde::Serialize)]
struct Status {
    ringing: bool,
}

/// Entry point, called by `offscreen.js` once the module has loaded.
#[wasm_bindgen]
pub async fn start() -> Result<(), JsValue> {
    let listener = Closure::<dyn FnMut(JsValue, JsValue, js_sys::Function) -> bool>::new(
        |message: JsValue, _sender: JsValue, reply: js_sys::Function| {
            let Ok(Envelope {
                to: Target::Offscreen,
                body,
            }) = chrome::js::from_js::<Envelope<OffscreenCommand>>(message)
            else {
                return false;
            };
            if let Err(error) = obey(body) {
                web_sys::console::error_2(&"ringback: ringtone failed".into(), &error);
            }
            if let Ok(status) = chrome::js::to_js(&Status { ringing: ringing() }) {
                let _ = reply.call1(&JsValue::NULL, &status);
            }
            false
        },
    );
    runtime::add_message_listener(listener.into_js_value().unchecked_ref());

    let ready = chrome::js::to_js(&Envelope::new(
        Target::Worker,
        WorkerRequest::OffscreenReady,
    ))?;
    let reply = call(runtime::send_message(&ready)).await?;
    if let Ok(RingtoneReply::Ringtone { ringing: true }) = chrome::js::from_js(reply) {
        ring()?;
    }
    Ok(())
}
