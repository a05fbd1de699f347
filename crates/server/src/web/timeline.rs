//! A call's timeline on the Calls page and the Person page: a closed
//! `<details id="timeline-{call id}">` that lists what happened, in order.

use super::time::{format_utc, iso};
use maud::{Markup, html};
use protocol::CallId;
use protocol::api::{TimelineEntry, TimelineKind};

pub fn details(call: CallId, entries: &[TimelineEntry]) -> Markup {
    html! {
        @if !entries.is_empty() {
            details.timeline id=(format!("timeline-{}", call.0)) {
                summary { "Timeline" }
                ol {
                    @for entry in entries {
                        li data-kind=(kind_key(entry.kind)) {
                            time datetime=(iso(entry.at)) { (format_utc(entry.at)) }
                            " " (label(entry.kind))
                            @if let Some(detail) = &entry.detail { span.muted dir="auto" { " — " (detail) } }
                        }
                    }
                }
            }
        }
    }
}

/// The kind as the API spells it (for tests and styling).
fn kind_key(kind: TimelineKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(key)) => key,
        _ => String::new(),
    }
}

pub fn label(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Arrived => "Call arrived",
        TimelineKind::RangBrowser => "Rang in Chrome",
        TimelineKind::RangPhone => "Rang the forwarding phone",
        TimelineKind::Closed => "Closed in Chrome (the phone kept ringing)",
        TimelineKind::Accepted => "Accepted",
        TimelineKind::AnsweredOnPhone => "Answered on the phone",
        TimelineKind::PhoneFailed => "The forwarding phone could not be reached",
        TimelineKind::PhoneStopped => "The phone stopped ringing",
        TimelineKind::NoAnswer => "No answer",
        TimelineKind::Forwarded => "Forwarded",
        TimelineKind::Voicemail => "Went to voicemail",
        TimelineKind::CallerHungUp => "The caller hung up",
        TimelineKind::RepHungUp => "You hung up",
        TimelineKind::MovingToPhone => "Moving to the forwarding phone",
        TimelineKind::Held => "On hold (you took another call)",
        TimelineKind::Resumed => "Taken off hold",
        TimelineKind::Ended => "Ended",
        TimelineKind::Logged => "Logged",
        _ => "Something happened",
    }
}
