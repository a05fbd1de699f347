//! The settings page's Availability section: what it is now, in words, and a
//! form to change it (a mode and how long). A change is stored and pushed to
//! the rep's browsers exactly as the API's is.

use super::time::{format_utc, iso};
use super::{PageError, WebRep, back_with};
use crate::api::availability;
use crate::error::AppError;
use crate::state::AppState;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use protocol::{Availability, AvailabilityMode, DndLength};
use serde::Deserialize;

/// Where the form posts, and where it comes back to.
pub const PATH: &str = "/settings/availability";
const BACK: &str = "/settings#availability";

/// The section, for `now` (the effective availability).
pub fn section(rep: &WebRep, now: Availability) -> Markup {
    let length = match (now.mode, now.until) {
        (AvailabilityMode::Available, _) | (_, Some(_)) => DndLength::OneHour,
        (_, None) => DndLength::UntilTurnedOff,
    };
    html! {
        section id="availability" {
            h2 { "Availability" }
            p id="availability-now" data-mode=(now.mode.as_str()) role="status" {
                strong { (describe(now)) }
                " " (now.mode.explanation())
            }
            form.settings method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(rep.csrf());
                // Filled in by the pages' script: "until tomorrow" is 8:00 the rep's time.
                input type="hidden" name="utc_offset_minutes" value="0";
                label { "Availability"
                    select id="availability-mode" name="mode" {
                        @for mode in AvailabilityMode::ALL {
                            option value=(mode.as_str()) selected[mode == now.mode] { (mode.label()) }
                        }
                    }
                }
                label { "For how long"
                    select id="availability-length" name="length" {
                        @for choice in DndLength::ALL {
                            option value=(choice.as_str()) selected[choice == length] { (choice.label()) }
                        }
                    }
                    small { "Applies to do not disturb; Available lasts until you change it." }
                }
                button id="availability-save" type="submit" { "Save availability" }
            }
        }
    }
}

/// "Do not disturb in Chrome until <time>", with the time in a `<time>` the
/// pages' script shows in the rep's own time zone.
fn describe(availability: Availability) -> Markup {
    let label = availability.mode.label();
    html! {
        @match (availability.mode, availability.until) {
            (AvailabilityMode::Available, _) => { (label) }
            (_, Some(until)) => { (label) " until " time datetime=(iso(until)) { (format_utc(until)) } }
            (_, None) => { (label) " until turned off" }
        }
    }
}

#[derive(Deserialize)]
pub struct AvailabilityForm {
    csrf: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    length: String,
    #[serde(default)]
    utc_offset_minutes: String,
}

/// `POST /settings/availability`.
pub async fn save(
    State(state): State<AppState>,
    rep: WebRep,
    Form(form): Form<AvailabilityForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let Some(mode) = AvailabilityMode::parse(form.mode.trim()) else {
        return Ok(back_with(
            &rep,
            BACK,
            "error",
            "Availability: choose Available or one of the do not disturb choices.",
        ));
    };
    let until = if mode == AvailabilityMode::Available {
        None
    } else {
        let Some(length) = DndLength::parse(form.length.trim()) else {
            return Ok(back_with(
                &rep,
                BACK,
                "error",
                "For how long: choose 1 hour, until tomorrow or until turned off.",
            ));
        };
        // Without the script the offset is absent: "tomorrow" is then UTC's.
        let offset = form.utc_offset_minutes.trim().parse::<i64>().unwrap_or(0);
        length.until(state.now(), offset)
    };
    match availability::set(&state, rep.rep.rep_id, Availability { mode, until }).await {
        Ok(saved) => {
            let words = match (saved.mode, saved.until) {
                (AvailabilityMode::Available, _) => "Available.".to_owned(),
                (_, Some(until)) => format!("{} until {}.", saved.mode.label(), format_utc(until)),
                (_, None) => format!("{} until turned off.", saved.mode.label()),
            };
            Ok(back_with(
                &rep,
                BACK,
                "notice",
                &format!("Availability saved: {words}"),
            ))
        }
        Err(AppError::Validation(message)) => Ok(back_with(
            &rep,
            BACK,
            "error",
            &message.replacen("until:", "For how long:", 1),
        )),
        Err(other) => Err(other.into()),
    }
}
