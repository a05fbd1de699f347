//! The call's audio in the panel: Mute and Unmute, the microphone level and
//! the call's quality. The offscreen document reports them a few times a
//! second; Mute goes through the worker, which checks who asks.
//!
//! A render function rather than a component of its own: it needs no state,
//! and a component cost the panel's wasm 9 KB it does not have (300 KB budget).

use chrome::bridge;
use chrome::messages::{AudioState, CallAudio, CallQuality, WorkerRequest};
use protocol::CallId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// `audio` is the latest report for this call, `None` until the first
/// arrives; a failed Mute goes to `failed`.
pub fn controls(call_id: CallId, audio: Option<&CallAudio>, failed: Callback<String>) -> Html {
    // Until the first report: connecting, nothing measured.
    let audio = audio.cloned().unwrap_or(CallAudio {
        call_id,
        state: AudioState::Connecting,
        muted: false,
        mic_level: 0.0,
        quality: None,
        device_note: None,
    });
    let on_mute = {
        let muted = !audio.muted;
        Callback::from(move |_| {
            let failed = failed.clone();
            spawn_local(async move {
                if let Err(message) =
                    bridge::ask_panel(WorkerRequest::Mute { call_id, muted }).await
                {
                    failed.emit(message);
                }
            })
        })
    };
    let (label, class) = match audio.state {
        AudioState::Connecting => ("Connecting audio…", "warn"),
        AudioState::Connected => ("Audio connected", "ok"),
        AudioState::Lost => ("Audio connection lost: check your network", "bad"),
        AudioState::Ended => ("Audio ended", "warn"),
    };
    let level = format!("{:.0}", audio.mic_level * 100.0);
    let level_text = if audio.muted {
        "Microphone muted".to_owned()
    } else {
        format!("Microphone level {level} %")
    };
    html! {
        <section id="audio" class="audio" data-state={audio.state.as_str()}>
            <p id="audio-state" class={classes!("state", class)}>{ label }</p>
            // A chosen device is missing and the default is used. Styled by
            // its id: every attribute costs the panel's wasm bytes it lacks.
            if let Some(note) = audio.device_note.clone() { <p id="device-note">{ note }</p> }
            <div class="mic">
                <button id="mute" type="button" aria-pressed={audio.muted.to_string()} onclick={on_mute}
                    disabled={audio.state == AudioState::Ended}>
                    { if audio.muted { "Unmute" } else { "Mute" } }
                </button>
                <meter id="mic-level" min="0" max="100" low="10" value={level.clone()}
                    aria-label={level_text.clone()} />
                <span id="mic-level-text" class="muted">{ level_text }</span>
            </div>
            { quality(audio.quality.as_ref()) }
        </section>
    }
}

fn quality(quality: Option<&CallQuality>) -> Html {
    let Some(q) = quality else {
        return html! { <p id="quality" class="muted">{ "Measuring call quality…" }</p> };
    };
    let rtt = q.rtt_ms.map(|ms| format!("{ms:.0}")).unwrap_or_default();
    let rtt_text = if rtt.is_empty() { "–" } else { &rtt };
    let silent = q.silent_ms >= crate::move_to_phone::OFFER_AFTER_SILENT_MS;
    let why = if silent {
        format!(
            "No sound from the other side for {:.0} s · ",
            q.silent_ms / 1000.0
        )
    } else {
        String::new()
    };
    html! {
        <p id="quality" class={if silent { "bad" } else { "muted" }}
            data-silent-ms={format!("{:.0}", q.silent_ms)}
            data-loss-percent={format!("{:.1}", q.loss_percent)}
            data-jitter-ms={format!("{:.0}", q.jitter_ms)}
            data-rtt-ms={rtt.clone()}
            data-bytes-received={format!("{:.0}", q.bytes_received)}>
            { format!("{why}Packet loss {:.1} % · jitter {:.0} ms · round trip {rtt_text} ms", q.loss_percent, q.jitter_ms) }
        </p>
    }
}
