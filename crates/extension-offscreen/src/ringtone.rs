//! The ringtone, synthesised with Web Audio — the North American ring
//! (440 Hz + 480 Hz, two seconds on, four off) — so no audio file ships and it
//! starts and stops within a frame. Stopping closes the `AudioContext`, which
//! silences it at once.
//!
//! It rings on the device the rep chose for it ([`ChosenDevices::ringtone`]),
//! given to the `AudioContext` when it is made, so the first tone is already
//! there. Chrome reports a missing device with the context's `error` event
//! (and renders nothing): the ring then starts again on the default device,
//! and [`fallback_note`] says so.

use chrome::devices::{ChosenDevice, ChosenDevices};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{AudioContext, AudioContextOptions, OscillatorType};

/// One ring cycle: tone on for `ON` seconds, then silence until `PERIOD`.
const ON: f64 = 2.0;
const PERIOD: f64 = 6.0;
/// Cycles scheduled ahead; a call never rings longer than the server's 120 s cap.
const CYCLES: u32 = 25;
const TONES_HZ: [f32; 2] = [440.0, 480.0];
const VOLUME: f32 = 0.12;

thread_local! {
    static RINGING: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
    /// When it last went quiet (ms since the epoch), for the tests' 100 ms check.
    static SILENCED_AT: Cell<Option<f64>> = const { Cell::new(None) };
    /// The latest ring's chosen device was missing: why it rang on the default.
    static FALLBACK_NOTE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Seconds of ringing one `AudioContext` has scheduled.
const SCHEDULED: f64 = CYCLES as f64 * PERIOD;

pub fn ring() -> Result<(), JsValue> {
    if ringing() {
        return Ok(());
    }
    // Nothing left of an old schedule: start afresh.
    silence();
    FALLBACK_NOTE.with(|n| n.borrow_mut().take());
    match ChosenDevices::load().ringtone {
        Some(device) => start_on(&device),
        None => start(AudioContext::new()?),
    }
}

/// Ring on the chosen device; back to the default if Chrome cannot open it.
fn start_on(device: &ChosenDevice) -> Result<(), JsValue> {
    let options = AudioContextOptions::new();
    js_sys::Reflect::set(&options, &"sinkId".into(), &device.id.as_str().into())?;
    let context = AudioContext::new_with_context_options(&options)?;
    let note = device.missing_ringtone_device();
    let failed = context.clone();
    let on_error = Closure::once_into_js(move || {
        // Only if this ring is still the one ringing: not silenced meanwhile.
        let current = RINGING.with(|r| r.borrow().as_ref() == Some(&failed));
        if !current {
            return;
        }
        RINGING.with(|r| r.borrow_mut().take());
        let _ = failed.close();
        web_sys::console::warn_1(&note.as_str().into());
        FALLBACK_NOTE.with(|n| *n.borrow_mut() = Some(note));
        let restarted = AudioContext::new().and_then(start);
        if let Err(error) = restarted {
            web_sys::console::error_2(&"ringback: ringtone failed".into(), &error);
        }
    });
    context.add_event_listener_with_callback("error", on_error.unchecked_ref())?;
    start(context)
}

/// Schedule the ring cycles on `context` and keep it as the one ringing.
fn start(context: AudioContext) -> Result<(), JsValue> {
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

pub fn silence() {
    if let Some(context) = RINGING.with(|r| r.borrow_mut().take()) {
        let _ = context.close();
        SILENCED_AT.with(|at| at.set(Some(js_sys::Date::now())));
    }
}

pub fn ringing() -> bool {
    RINGING.with(|r| {
        r.borrow()
            .as_ref()
            .is_some_and(|context| context.current_time() < SCHEDULED)
    })
}

pub fn silenced_at() -> Option<f64> {
    SILENCED_AT.with(Cell::get)
}

/// The output the ringtone plays on while ringing (`""` is the default).
pub fn device() -> Option<String> {
    RINGING.with(|r| {
        let sink = js_sys::Reflect::get(r.borrow().as_ref()?, &"sinkId".into()).ok()?;
        sink.as_string()
    })
}

/// Why the latest ring is not on the chosen device, if it is not.
pub fn fallback_note() -> Option<String> {
    FALLBACK_NOTE.with(|n| n.borrow().clone())
}
