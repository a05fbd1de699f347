//! The team's settings: the region its national numbers are read in.

use crate::error::AppError;
use crate::extract::{ApiJson, AuthRep};
use crate::phone::Region;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::api::{TeamSettings, TeamSettingsInput};

pub async fn read(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<Json<TeamSettings>, AppError> {
    let region = crate::phone::team_region(state.store(), auth.rep.team_id).await?;
    Ok(Json(settings(region)))
}

pub async fn update(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiJson(input): ApiJson<TeamSettingsInput>,
) -> Result<Json<TeamSettings>, AppError> {
    if !auth.rep.is_admin {
        return Err(AppError::Forbidden(
            "only team admins can change the team's settings; ask your admin",
        ));
    }
    let region = parse_region(&input.default_region)?;
    crate::phone::set_team_region(state.store(), auth.rep.team_id, region).await?;
    Ok(Json(settings(region)))
}

pub(crate) fn parse_region(code: &str) -> Result<Region, AppError> {
    Region::from_code(code).ok_or_else(|| {
        AppError::Validation(format!(
            "default_region: {:?} is not a country code with a phone numbering plan; use two letters such as US, GB, FR or DE",
            code.trim()
        ))
    })
}

fn settings(region: Region) -> TeamSettings {
    TeamSettings {
        default_region: region.code().to_owned(),
        calling_code: region.calling_code(),
    }
}
