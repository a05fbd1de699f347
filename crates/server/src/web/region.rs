//! The team page's region: the country a team's national numbers are read in
//! (admins; `POST /team/region`).

use super::{PageError, WebRep, back_with};
use crate::api::team::parse_region;
use crate::error::AppError;
use crate::phone::Region;
use crate::state::AppState;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

pub const PATH: &str = "/team/region";

/// The form, for the team page.
pub fn section(rep: &WebRep, current: Region) -> Markup {
    html! {
        section id="region" {
            h2 { "Phone numbers" }
            form.inline method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(rep.csrf());
                label {
                    "Default country "
                    select id="default-region" name="region" {
                        @for region in Region::all() {
                            option value=(region.code()) selected[region == current] {
                                (region.code()) " (+" (region.calling_code()) ")"
                            }
                        }
                    }
                }
                button.small type="submit" { "Save" }
            }
            p.muted { "Numbers written without a country code (a Person's, a forwarding number, a caller's) are read in this country: with it set to GB, 020 7946 0958 is +44 20 7946 0958." }
        }
    }
}

#[derive(Deserialize)]
pub struct RegionForm {
    csrf: String,
    #[serde(default)]
    region: String,
}

pub async fn save(
    State(state): State<AppState>,
    rep: WebRep,
    Form(form): Form<RegionForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    if !rep.rep.is_admin {
        return Err(AppError::Forbidden(
            "Only team admins can change the team's settings. Ask your admin.",
        )
        .into());
    }
    let Ok(region) = parse_region(&form.region) else {
        return Ok(back_with(
            &rep,
            "/team",
            "error",
            "Choose a country from the list.",
        ));
    };
    crate::phone::set_team_region(state.store(), rep.rep.team_id, region).await?;
    Ok(back_with(&rep, "/team", "notice", "Saved."))
}
