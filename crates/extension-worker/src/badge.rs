//! The toolbar badge: "off" while not connected, else the missed-call count.

use crate::state;
use chrome::api::{action, call};
use chrome::messages::ConnectionState;
use serde::Serialize;

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

/// What the badge shows: text, colour and tooltip.
pub fn content(
    connection: ConnectionState,
    missed: u32,
    error: Option<&str>,
) -> (String, &'static str, String) {
    match connection {
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

pub fn refresh() {
    let (text, color, title) = state::read(|s| {
        content(
            state::connection(),
            s.durable.missed_calls,
            s.transient.last_error.as_deref(),
        )
    });
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
