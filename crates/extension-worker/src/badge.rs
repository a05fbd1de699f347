//! The toolbar badge: "off" while not connected, "dnd" on do not disturb,
//! else the missed-call count.

use crate::state;
use chrome::api::{action, call};
use chrome::messages::ConnectionState;
use gloo_timers::callback::Timeout;
use protocol::AvailabilityMode;
use serde::Serialize;
use std::cell::RefCell;

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Color {
    color: &'static str,
}

#[derive(Serialize)]
struct Title {
    title: String,
}

const GREY: &str = "#5f6368";
const RED: &str = "#d93025";
const AMBER: &str = "#b06000";
const PURPLE: &str = "#7b1fa2";

/// What the badge shows: text, colour and tooltip. `availability` is the
/// effective one; `until` says when it ends, in the rep's words.
pub fn content(
    connection: ConnectionState,
    missed: u32,
    error: Option<&str>,
    availability: AvailabilityMode,
    until: &str,
) -> (String, &'static str, String) {
    let dnd = |color| {
        (
            "dnd".into(),
            color,
            format!(
                "Ringback: {}{until}. {}",
                availability.label(),
                availability.explanation()
            ),
        )
    };
    match connection {
        ConnectionState::Online if availability == AvailabilityMode::DndBrowser => dnd(AMBER),
        ConnectionState::Online if availability == AvailabilityMode::DndEverywhere => dnd(PURPLE),
        ConnectionState::SignedOut => (
            "off".into(),
            GREY,
            "Ringback: signed out. Open the options to sign in.".into(),
        ),
        ConnectionState::Offline | ConnectionState::Connecting => (
            "off".into(),
            GREY,
            format!("Ringback: offline, reconnecting. {}", error.unwrap_or("")),
        ),
        ConnectionState::Online if missed > 0 => (
            missed.min(99).to_string(),
            RED,
            format!("Ringback: {missed} missed call(s)"),
        ),
        ConnectionState::Online => (String::new(), GREY, "Ringback: ready for calls".into()),
    }
}

thread_local! {
    /// Refreshes the badge when a do-not-disturb runs out.
    static AT_THE_END: RefCell<Option<Timeout>> = const { RefCell::new(None) };
    /// What this worker last showed (Chrome keeps the badge between runs of
    /// the worker, and `sw.js` sets "off" first thing, so a new run shows
    /// its own once).
    static SHOWN: RefCell<Option<(String, &'static str, String)>> = const { RefCell::new(None) };
}

pub fn refresh() {
    let now = state::now();
    let availability = state::availability(now);
    let (text, color, title) = state::read(|s| {
        content(
            state::connection(),
            s.durable.missed_calls,
            s.transient.last_error.as_deref(),
            availability.mode,
            &chrome::time::until_text(availability.until),
        )
    });
    // A do-not-disturb ends by itself: show that when it does.
    let timer = availability.until.map(|until| {
        // setTimeout fires at once past 2^31 - 1 ms.
        let wait = (until - now).clamp(0, i64::from(i32::MAX) - 100) as u32;
        Timeout::new(wait.saturating_add(50), refresh)
    });
    AT_THE_END.with(|t| *t.borrow_mut() = timer);
    // Only what changed goes to Chrome: each call to it is a round trip to
    // the browser process that a ring's notification may be waiting behind.
    let shown = (text.clone(), color, title.clone());
    if SHOWN.with(|s| s.borrow().as_ref() == Some(&shown)) {
        return;
    }
    SHOWN.with(|s| *s.borrow_mut() = Some(shown));
    wasm_bindgen_futures::spawn_local(async move {
        if let (Ok(text), Ok(color), Ok(title)) = (
            chrome::js::to_js(&Text { text }),
            chrome::js::to_js(&Color { color }),
            chrome::js::to_js(&Title { title }),
        ) {
            let _ = call(action::set_badge_text(&text)).await;
            let _ = call(action::set_badge_background_color(&color)).await;
            let _ = call(action::set_title(&title)).await;
        }
    });
}
