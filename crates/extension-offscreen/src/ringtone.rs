//! The ringtone, synthesised with Web Audio — the North American ring
//! (440 Hz + 480 Hz, two seconds on, four off) — so no audio file ships and it
//! starts and stops within a frame. Stopping closes the `AudioContext`, which
//! silences it at once.

use std::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;
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
    /// When it last went quiet (ms since the epoch), for the tests' 100 ms check.
    static SILENCED_AT: Cell<Option<f64>> = const { Cell::new(None) };
}

/// Seconds of ringing one `AudioContext` has scheduled.
const SCHEDULED: f64 = CYCLES as f64 * PERIOD;

pub fn ring() -> Result<(), JsValue> {
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
