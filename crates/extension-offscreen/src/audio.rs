//! A call's audio: the microphone to the server and the prospect to the rep,
//! over an `RTCPeerConnection` that answers the server's offer.
//!
//! Each accepted call with an offer gets its own connection, microphone
//! stream and speaker (an `<audio>` element). While any call is up a ticker
//! reads each microphone's level (an `AnalyserNode`) four times a second and
//! the connection's `getStats` once a second, and tells open pages
//! ([`chrome::messages::PageNotice::Audio`]) so the panel can draw its meter and quality line.
//! Ending a call closes the connection, stops the microphone's tracks and
//! lets go of everything, so Chrome's "using your microphone" sign goes away.

use crate::{devices, offer, quality, ringtone};
use chrome::api::{call, runtime};
use chrome::devices::ChosenDevices;
use chrome::messages::{
    AudioNotice, AudioState, CallAudio, CallDevices, CallQuality, Envelope, Target,
};
use gloo_timers::callback::Interval;
use protocol::CallId;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, HtmlAudioElement, MediaStream, MediaStreamTrack, RtcConfiguration,
    RtcPeerConnection, RtcPeerConnectionState, RtcSdpType, RtcSessionDescriptionInit,
    RtcTrackEvent,
};

/// How often pages hear the level; stats are read every `STATS_EVERY` ticks.
const TICK_MS: u32 = 250;
/// (Twice a second: the panel offers "Move to my phone" within 5 s of the
/// other side going silent for 4.)
const STATS_EVERY: u32 = 2;
/// Samples per level reading: the last 340 ms at 48 kHz, more than a tick,
/// so nothing said between two readings is missed…
const FFT_SIZE: u32 = 16_384;
/// …and the loudest 20 ms of them is the level.
const CHUNK: usize = 1024;

struct Call {
    call_id: CallId,
    connection: RtcPeerConnection,
    microphone: MediaStream,
    speaker: HtmlAudioElement,
    meter: Option<Meter>,
    muted: bool,
    /// On hold (call waiting): nothing sent, nothing played.
    held: bool,
    quality: Option<CallQuality>,
    /// How long the server has sent nothing, for the panel's offer to move
    /// the call to the phone.
    silence: quality::SilenceWatch,
    /// Which chosen devices were missing, for the panel.
    device_note: Option<String>,
}

/// The microphone's level, read from its own `AudioContext`.
struct Meter {
    context: AudioContext,
    analyser: AnalyserNode,
}

impl Meter {
    fn new(microphone: &MediaStream) -> Result<Self, JsValue> {
        let context = AudioContext::new()?;
        let source = context.create_media_stream_source(microphone)?;
        let analyser = context.create_analyser()?;
        analyser.set_fft_size(FFT_SIZE);
        // Analysers are pulled by Chrome without reaching the speakers: the
        // rep must not hear themselves.
        source.connect_with_audio_node(&analyser)?;
        let _ = context.resume();
        Ok(Self { context, analyser })
    }

    fn level(&self) -> f64 {
        let mut samples = vec![0.0f32; FFT_SIZE as usize];
        self.analyser.get_float_time_domain_data(&mut samples);
        quality::meter_level(quality::peak_rms(&samples, CHUNK))
    }
}

thread_local! {
    static CALLS: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
    /// Calls whose audio is being set up; ending one removes it here, and
    /// the set-up then lets go of what it made instead of keeping it.
    static STARTING: RefCell<Vec<CallId>> = const { RefCell::new(Vec::new()) };
    static TICKER: RefCell<Option<(Interval, u32)>> = const { RefCell::new(None) };
}

/// Check the offer, open the microphone and answer. Returns the answer's
/// SDP; the error is a sentence for the rep.
pub async fn answer(call_id: CallId, offer: &str) -> Result<String, String> {
    offer::check(offer).map_err(|e| e.to_string())?;
    // A retried Answer (its reply was lost): start again from nothing.
    end(call_id);
    STARTING.with(|s| s.borrow_mut().push(call_id));
    let result = connect(call_id, offer).await;
    let still_wanted = STARTING.with(|s| {
        let mut starting = s.borrow_mut();
        let wanted = starting.contains(&call_id);
        starting.retain(|&c| c != call_id);
        wanted
    });
    let (call, sdp) = result?;
    if !still_wanted {
        release(&call);
        return Err("The call ended before its audio started.".into());
    }
    CALLS.with(|c| c.borrow_mut().push(call));
    start_ticker();
    broadcast(call_id);
    Ok(sdp)
}

async fn connect(call_id: CallId, offer: &str) -> Result<(Call, String), String> {
    // Read at each answer: the rep may have changed them since the last call.
    let chosen = ChosenDevices::load();
    let (microphone, microphone_note) =
        devices::open_microphone(chosen.microphone.as_ref()).await?;
    let speaker = match speaker() {
        Ok(speaker) => speaker,
        Err(error) => {
            stop_tracks(&microphone);
            return Err(format!(
                "Could not play the call's audio ({}).",
                chrome::js::error_text(&error)
            ));
        }
    };
    let speaker_note = devices::route_speaker(&speaker, chosen.speaker.as_ref()).await;
    // The ring just before this answer may have fallen back too: the panel
    // is where the rep will read it.
    let notes: Vec<String> = [microphone_note, speaker_note, ringtone::fallback_note()]
        .into_iter()
        .flatten()
        .collect();
    let device_note = (!notes.is_empty()).then(|| notes.join(" "));
    // No ICE servers: the server is ICE-lite and offers its own host address;
    // this browser only has to reach it, never to be reached.
    let connection = match RtcPeerConnection::new_with_configuration(&RtcConfiguration::new()) {
        Ok(connection) => connection,
        Err(error) => {
            stop_tracks(&microphone);
            return Err(format!(
                "This browser could not start a call connection ({}).",
                chrome::js::error_text(&error)
            ));
        }
    };
    let meter = Meter::new(&microphone)
        .inspect_err(|e| web_sys::console::warn_2(&"ringback: no microphone level".into(), e))
        .ok();
    let call = Call {
        call_id,
        connection,
        microphone,
        speaker,
        meter,
        muted: false,
        held: false,
        quality: None,
        silence: quality::SilenceWatch::default(),
        device_note,
    };
    match negotiate(&call, offer).await {
        Ok(sdp) => Ok((call, sdp)),
        Err(error) => {
            release(&call);
            Err(format!(
                "This browser could not answer the server's audio offer ({}).",
                chrome::js::error_text(&error)
            ))
        }
    }
}

/// An `<audio>` element that plays whatever the server sends.
fn speaker() -> Result<HtmlAudioElement, JsValue> {
    let speaker = HtmlAudioElement::new()?;
    speaker.set_autoplay(true);
    Ok(speaker)
}

async fn negotiate(call: &Call, offer: &str) -> Result<String, JsValue> {
    let speaker = call.speaker.clone();
    let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |event: RtcTrackEvent| {
        let stream = match event.streams().get(0).dyn_into::<MediaStream>() {
            Ok(stream) => stream,
            Err(_) => match MediaStream::new() {
                Ok(stream) => {
                    stream.add_track(&event.track());
                    stream
                }
                Err(_) => return,
            },
        };
        speaker.set_src_object(Some(&stream));
        if let Ok(playing) = speaker.play() {
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = JsFuture::from(playing).await {
                    web_sys::console::warn_2(&"ringback: call audio did not play".into(), &error);
                }
            });
        }
    });
    call.connection
        .set_ontrack(Some(on_track.into_js_value().unchecked_ref()));

    for track in call.microphone.get_audio_tracks() {
        let track: MediaStreamTrack = track.unchecked_into();
        call.connection.add_track_0(&track, &call.microphone);
    }
    let remote = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    remote.set_sdp(offer);
    JsFuture::from(call.connection.set_remote_description(&remote)).await?;
    let answer: RtcSessionDescriptionInit = JsFuture::from(call.connection.create_answer())
        .await?
        .unchecked_into();
    JsFuture::from(call.connection.set_local_description(&answer)).await?;
    // Returned at once, without waiting for ICE gathering and with no
    // trickle: the server is ICE-lite, so this browser makes the
    // connectivity checks to the server's host candidate, and the server
    // learns this browser's address from those checks.
    call.connection
        .local_description()
        .map(|description| description.sdp())
        .ok_or_else(|| JsValue::from_str("no local description after answering"))
}

/// Stop or resume sending the microphone. A disabled track sends silence,
/// so the server keeps its timing.
pub fn mute(call_id: CallId, muted: bool) -> Result<(), String> {
    let found = CALLS.with(|c| {
        let mut calls = c.borrow_mut();
        let call = calls.iter_mut().find(|call| call.call_id == call_id)?;
        call.muted = muted;
        send_microphone(call);
        Some(())
    });
    if found.is_none() {
        return Err("This call has no audio in this browser.".into());
    }
    broadcast(call_id);
    Ok(())
}

/// Call waiting: a held call neither sends the microphone nor plays. A call
/// with no audio here has nothing to hold.
pub fn hold(call_id: CallId, held: bool) -> Result<(), String> {
    CALLS.with(|c| {
        let mut calls = c.borrow_mut();
        if let Some(call) = calls.iter_mut().find(|call| call.call_id == call_id) {
            call.held = held;
            call.speaker.set_muted(held);
            send_microphone(call);
        }
    });
    broadcast(call_id);
    Ok(())
}

/// The microphone goes out unless the call is muted or held.
fn send_microphone(call: &Call) {
    for track in call.microphone.get_audio_tracks() {
        track
            .unchecked_into::<MediaStreamTrack>()
            .set_enabled(!call.muted && !call.held);
    }
}

/// End one call's audio. Nothing to end is fine (it may never have started).
pub fn end(call_id: CallId) {
    STARTING.with(|s| s.borrow_mut().retain(|&c| c != call_id));
    let ended = CALLS.with(|c| {
        let mut calls = c.borrow_mut();
        let index = calls.iter().position(|call| call.call_id == call_id)?;
        Some(calls.remove(index))
    });
    if let Some(call) = ended {
        release(&call);
        notify(CallAudio {
            call_id,
            state: AudioState::Ended,
            muted: call.muted,
            mic_level: 0.0,
            quality: call.quality,
            device_note: call.device_note,
        });
    }
    stop_ticker_if_idle();
}

pub fn end_all() {
    let ids: Vec<CallId> = CALLS.with(|c| c.borrow().iter().map(|call| call.call_id).collect());
    STARTING.with(|s| s.borrow_mut().clear());
    for call_id in ids {
        end(call_id);
    }
}

/// Let go of everything a call holds.
fn release(call: &Call) {
    call.connection.set_ontrack(None);
    call.connection.close();
    stop_tracks(&call.microphone);
    call.speaker.set_src_object(None);
    if let Some(meter) = &call.meter {
        let _ = meter.context.close();
    }
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}

fn state(connection: &RtcPeerConnection) -> AudioState {
    match connection.connection_state() {
        RtcPeerConnectionState::Connected => AudioState::Connected,
        RtcPeerConnectionState::Disconnected | RtcPeerConnectionState::Failed => AudioState::Lost,
        RtcPeerConnectionState::Closed => AudioState::Ended,
        _ => AudioState::Connecting,
    }
}

fn audio_of(call: &Call) -> CallAudio {
    CallAudio {
        call_id: call.call_id,
        state: state(&call.connection),
        muted: call.muted,
        mic_level: call.meter.as_ref().map_or(0.0, Meter::level),
        quality: call.quality,
        device_note: call.device_note.clone(),
    }
}

/// Every call's audio as it stands now (for the status reply).
pub fn snapshot() -> Vec<CallAudio> {
    CALLS.with(|c| c.borrow().iter().map(audio_of).collect())
}

/// The devices every call uses now (for the status reply).
pub fn devices_in_use() -> Vec<CallDevices> {
    CALLS.with(|c| {
        c.borrow()
            .iter()
            .map(|call| CallDevices {
                call_id: call.call_id,
                microphone: devices::microphone_in_use(&call.microphone),
                speaker: devices::speaker_in_use(&call.speaker),
            })
            .collect()
    })
}

fn broadcast(call_id: CallId) {
    let audio = CALLS.with(|c| {
        c.borrow()
            .iter()
            .find(|call| call.call_id == call_id)
            .map(audio_of)
    });
    if let Some(audio) = audio {
        notify(audio);
    }
}

/// Tell open pages; nobody listening is fine.
fn notify(audio: CallAudio) {
    let Ok(message) = chrome::js::to_js(&Envelope::new(Target::Pages, AudioNotice { audio }))
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let _ = call(runtime::send_message(&message)).await;
    });
}

fn start_ticker() {
    if TICKER.with(|t| t.borrow().is_some()) {
        return;
    }
    let interval = Interval::new(TICK_MS, tick);
    TICKER.with(|t| *t.borrow_mut() = Some((interval, 0)));
}

fn stop_ticker_if_idle() {
    if CALLS.with(|c| c.borrow().is_empty()) {
        TICKER.with(|t| t.borrow_mut().take());
    }
}

fn tick() {
    let count = TICKER.with(|t| {
        let mut ticker = t.borrow_mut();
        let (_, count) = ticker.as_mut()?;
        *count = count.wrapping_add(1);
        Some(*count)
    });
    let Some(count) = count else { return };
    let calls: Vec<(CallId, RtcPeerConnection)> = CALLS.with(|c| {
        c.borrow()
            .iter()
            .map(|call| (call.call_id, call.connection.clone()))
            .collect()
    });
    for (call_id, connection) in calls {
        if count % STATS_EVERY == 1 {
            wasm_bindgen_futures::spawn_local(read_stats(call_id, connection));
        }
        broadcast(call_id);
    }
}

async fn read_stats(call_id: CallId, connection: RtcPeerConnection) {
    let Ok(report) = JsFuture::from(connection.get_stats()).await else {
        return;
    };
    let mut stats = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&report) {
        for entry in entries.flatten() {
            let value = js_sys::Array::from(&entry).get(1);
            if let Ok(stat) = chrome::js::from_js::<quality::Stat>(value) {
                stats.push(stat);
            }
        }
    }
    let mut measured = quality::quality(&stats);
    CALLS.with(|c| {
        if let Some(call) = c
            .borrow_mut()
            .iter_mut()
            .find(|call| call.call_id == call_id)
        {
            measured.silent_ms = call
                .silence
                .read(measured.packets_received, js_sys::Date::now());
            call.quality = Some(measured);
        }
    });
}
