//! The rep's dialer settings and the team's disposition and sentiment lists.

use crate::error::AppError;
use crate::extract::{ApiJson, AuthRep};
use crate::phone::Region;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::DialerSettings;
use protocol::api::TeamChoices;

pub async fn read(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<Json<DialerSettings>, AppError> {
    Ok(Json(state.store().dialer_settings(auth.rep.rep_id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiJson(settings): ApiJson<DialerSettings>,
) -> Result<Json<DialerSettings>, AppError> {
    let region = crate::phone::team_region(state.store(), auth.rep.team_id).await?;
    let settings = validate(settings, region)?;
    state
        .store()
        .put_dialer_settings(auth.rep.rep_id, &settings)
        .await?;
    Ok(Json(settings))
}

pub async fn team_choices(
    State(state): State<AppState>,
    auth: AuthRep,
) -> Result<Json<TeamChoices>, AppError> {
    Ok(Json(state.store().team_choices(auth.rep.team_id).await?))
}

/// Normalises the numbers and checks the timeout; every message says what to fix.
pub(crate) fn validate(
    settings: DialerSettings,
    region: Region,
) -> Result<DialerSettings, AppError> {
    let number = |field: &str, value: Option<String>| -> Result<Option<String>, AppError> {
        match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(raw) => crate::phone::parse(&raw, region)
                .map(|n| Some(n.to_string()))
                .map_err(|e| AppError::Validation(format!("{field}: {e}"))),
        }
    };
    let (min, max) = (
        DialerSettings::MIN_RING_TIMEOUT_SECS,
        DialerSettings::MAX_RING_TIMEOUT_SECS,
    );
    if !(min..=max).contains(&settings.ring_timeout_secs) {
        return Err(AppError::Validation(format!(
            "ring_timeout_secs must be between {min} and {max} seconds"
        )));
    }
    Ok(DialerSettings {
        forwarding_number: number("forwarding_number", settings.forwarding_number)?,
        custom_caller_id: number("custom_caller_id", settings.custom_caller_id)?,
        ..settings
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::NoAnswerAction;

    fn settings() -> DialerSettings {
        DialerSettings {
            inbound_enabled: true,
            forwarding_number: Some("(415) 555-0199".into()),
            custom_caller_id: Some("  ".into()),
            no_answer_action: NoAnswerAction::Forward,
            ring_timeout_secs: 30,
        }
    }

    #[test]
    fn numbers_are_normalised_and_blank_ones_cleared() {
        let valid = validate(settings(), Region::default()).expect("valid");
        assert_eq!(valid.forwarding_number.as_deref(), Some("+14155550199"));
        assert_eq!(valid.custom_caller_id, None);
    }

    #[test]
    fn errors_name_the_field_and_the_bounds() {
        let bad_number = DialerSettings {
            forwarding_number: Some("call me".into()),
            ..settings()
        };
        let message = validate(bad_number, Region::default())
            .expect_err("invalid")
            .to_string();
        assert!(message.starts_with("forwarding_number:"), "{message}");
        let too_short = DialerSettings {
            ring_timeout_secs: 2,
            ..settings()
        };
        let message = validate(too_short, Region::default())
            .expect_err("invalid")
            .to_string();
        assert!(message.contains("between 5 and 120"), "{message}");
    }
}
