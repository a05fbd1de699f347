//! Dialer settings (each rep) and the team's disposition and sentiment lists
//! (admins).

use super::{Flash, PageError, WebRep, back_with, flash, layout};
use crate::api::availability::current as current_availability;
use crate::api::recordings;
use crate::api::settings::validate;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::ChoiceList;
use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use media::audio::MAX_GREETING_SECS;
use protocol::{Availability, DialerSettings, NoAnswerAction};
use serde::Deserialize;

fn settings_form(
    rep: &WebRep,
    settings: &DialerSettings,
    availability: Availability,
    own_greeting: bool,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let number = |n: &Option<String>| n.clone().unwrap_or_default();
    let body = html! {
        h1 { "Dialer settings" }
        (flash(notice, error))
        (super::availability::section(rep, availability))
        h2 { "Inbound calls" }
        form.settings id="dialer-settings" method="post" action="/settings" {
            input type="hidden" name="csrf" value=(rep.csrf());
            label.check {
                input type="checkbox" name="inbound_enabled" value="on" checked[settings.inbound_enabled];
                " Inbound calling: prospects who call back ring in Chrome and on your phone"
            }
            label { "Forwarding number"
                input type="tel" name="forwarding_number" value=(number(&settings.forwarding_number)) placeholder="+1 415 555 0199";
                small { "Rings alongside Chrome, and takes calls nobody answers if you choose Forward below." }
            }
            label { "Custom caller ID"
                input type="tel" name="custom_caller_id" value=(number(&settings.custom_caller_id)) placeholder="Leave empty to use your Ringback number";
                small { "With a custom caller ID, prospects call back that number, so inbound calls go to your phone instead of the browser." }
            }
            fieldset {
                legend { "When nobody answers" }
                label.check { input type="radio" name="no_answer_action" value="forward" checked[settings.no_answer_action == NoAnswerAction::Forward]; " Forward to my phone" }
                label.check { input type="radio" name="no_answer_action" value="voicemail" checked[settings.no_answer_action == NoAnswerAction::Voicemail]; " Send to voicemail (recorded and logged)" }
            }
            label { "Ring for (seconds)"
                input type="number" name="ring_timeout_secs" value=(settings.ring_timeout_secs)
                    min=(DialerSettings::MIN_RING_TIMEOUT_SECS) max=(DialerSettings::MAX_RING_TIMEOUT_SECS);
            }
            button type="submit" { "Save settings" }
        }
        section id="greeting" {
            h2 { "Voicemail greeting" }
            p {
                @if own_greeting { "Callers hear your own greeting, then a tone." }
                @else { "Callers hear Ringback's default greeting, then a tone. Upload your own to replace it." }
            }
            audio controls preload="none" src="/settings/greeting.wav" aria-label="Your voicemail greeting" {}
            form method="post" action="/settings/greeting" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(rep.csrf());
                label { "Upload a greeting"
                    input type="file" name="greeting" accept="audio/wav,.wav" required;
                    small { "A WAV file, 8 kHz, 16-bit, mono, up to " (MAX_GREETING_SECS) " seconds. To convert one: sox in.wav -r 8000 -c 1 -b 16 out.wav" }
                }
                button type="submit" { "Upload greeting" }
            }
            @if own_greeting {
                form method="post" action="/settings/greeting/reset" {
                    input type="hidden" name="csrf" value=(rep.csrf());
                    button.link type="submit" { "Use the default greeting" }
                }
            }
        }
    };
    layout("Dialer settings", rep, "/settings", body)
}

pub async fn page(
    State(state): State<AppState>,
    rep: WebRep,
    Query(messages): Query<Flash>,
) -> Result<Markup, PageError> {
    let settings = state.store().dialer_settings(rep.rep.rep_id).await?;
    let availability = current_availability(&state, rep.rep.rep_id).await?;
    let own_greeting = recordings::has_own_greeting(&state, rep.rep.rep_id).await;
    let (notice, error) = messages.verified(&rep);
    Ok(settings_form(
        &rep,
        &settings,
        availability,
        own_greeting,
        notice,
        error,
    ))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    csrf: String,
    inbound_enabled: Option<String>,
    #[serde(default)]
    forwarding_number: String,
    #[serde(default)]
    custom_caller_id: String,
    #[serde(default)]
    no_answer_action: String,
    #[serde(default)]
    ring_timeout_secs: String,
}

/// Saves, or shows the form again with what was typed and what to fix.
pub async fn save(
    State(state): State<AppState>,
    rep: WebRep,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let typed_timeout = form.ring_timeout_secs.trim().parse::<u32>();
    let submitted = DialerSettings {
        inbound_enabled: form.inbound_enabled.is_some(),
        forwarding_number: Some(form.forwarding_number.clone()),
        custom_caller_id: Some(form.custom_caller_id.clone()),
        no_answer_action: NoAnswerAction::parse(&form.no_answer_action)
            .unwrap_or(NoAnswerAction::Forward),
        ring_timeout_secs: *typed_timeout.as_ref().unwrap_or(&0),
    };
    let result = match typed_timeout {
        Err(_) => Err(AppError::Validation(format!(
            "Ring for: \"{}\" is not a number of seconds; enter {} to {}.",
            form.ring_timeout_secs.trim(),
            DialerSettings::MIN_RING_TIMEOUT_SECS,
            DialerSettings::MAX_RING_TIMEOUT_SECS
        ))),
        Ok(_) => {
            let region = crate::phone::team_region(state.store(), rep.rep.team_id).await?;
            validate(submitted.clone(), region)
        }
    };
    match result {
        Ok(settings) => {
            state
                .store()
                .put_dialer_settings(rep.rep.rep_id, &settings)
                .await?;
            Ok(back_with(&rep, "/settings", "notice", "Settings saved."))
        }
        Err(AppError::Validation(message)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_form(
                &rep,
                &submitted,
                current_availability(&state, rep.rep.rep_id).await?,
                recordings::has_own_greeting(&state, rep.rep.rep_id).await,
                None,
                Some(&field_names(&message)),
            ),
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}

/// `GET /settings/greeting.wav`: what callers hear before the tone.
pub async fn greeting_audio(
    State(state): State<AppState>,
    rep: WebRep,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    Ok(recordings::greeting_response(&state, rep.rep.rep_id, request).await?)
}

/// `POST /settings/greeting` (multipart): the CSRF token, then the WAV.
pub async fn upload_greeting(
    State(state): State<AppState>,
    rep: WebRep,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = None;
    let mut wav = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return Ok(back_with(
                    &rep,
                    "/settings#greeting",
                    "error",
                    &format!(
                        "The upload did not arrive whole; a greeting can be up to {MAX_GREETING_SECS} seconds. Try again."
                    ),
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else {
            return Ok(back_with(
                &rep,
                "/settings#greeting",
                "error",
                "The upload did not arrive whole; try again.",
            ));
        };
        match name.as_str() {
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "greeting" => wav = Some(bytes),
            _ => {}
        }
    }
    rep.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let Some(wav) = wav.filter(|w| !w.is_empty()) else {
        return Ok(back_with(
            &rep,
            "/settings#greeting",
            "error",
            "Choose a WAV file to upload.",
        ));
    };
    match recordings::save_greeting(&state, rep.rep.rep_id, &wav).await {
        Ok(()) => Ok(back_with(
            &rep,
            "/settings#greeting",
            "notice",
            "Greeting saved: callers hear it from the next voicemail on.",
        )),
        Err(AppError::Validation(message)) => {
            Ok(back_with(&rep, "/settings#greeting", "error", &message))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /settings/greeting/reset`: back to the default greeting.
pub async fn reset_greeting(
    State(state): State<AppState>,
    rep: WebRep,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    recordings::remove_greeting(&state, rep.rep.rep_id).await?;
    Ok(back_with(
        &rep,
        "/settings#greeting",
        "notice",
        "Callers now hear the default greeting.",
    ))
}

/// The API's messages name JSON fields; the page names its labels.
fn field_names(message: &str) -> String {
    message
        .replace("forwarding_number:", "Forwarding number:")
        .replace("custom_caller_id:", "Custom caller ID:")
        .replace("ring_timeout_secs must be", "Ring for must be")
}

fn require_admin(rep: &WebRep) -> Result<(), PageError> {
    if rep.rep.is_admin {
        Ok(())
    } else {
        Err(
            AppError::Forbidden("Only team admins can change the team's lists. Ask your admin.")
                .into(),
        )
    }
}

pub async fn team_page(
    State(state): State<AppState>,
    rep: WebRep,
    Query(messages): Query<Flash>,
) -> Result<Markup, PageError> {
    require_admin(&rep)?;
    let choices = state.store().team_choices(rep.rep.team_id).await?;
    let region = crate::phone::team_region(state.store(), rep.rep.team_id).await?;
    let list = |title: &str, kind: &str, items: Vec<(i64, String, bool)>| {
        html! {
            section.choices id=(kind) {
                h2 { (title) }
                table {
                    @for (id, label, retired) in &items {
                        tr.retired[*retired] {
                            td {
                                form.inline method="post" action="/team" {
                                    input type="hidden" name="csrf" value=(rep.csrf());
                                    input type="hidden" name="list" value=(kind);
                                    input type="hidden" name="id" value=(id);
                                    input type="hidden" name="action" value="rename";
                                    input type="text" name="label" value=(label) aria-label="Name" required maxlength="60";
                                    button.small type="submit" { "Rename" }
                                }
                            }
                            td {
                                form.inline method="post" action="/team" {
                                    input type="hidden" name="csrf" value=(rep.csrf());
                                    input type="hidden" name="list" value=(kind);
                                    input type="hidden" name="id" value=(id);
                                    input type="hidden" name="action" value=(if *retired { "restore" } else { "retire" });
                                    button.small.link type="submit" { (if *retired { "Bring back" } else { "Retire" }) }
                                }
                                @if *retired { span.muted { " retired: kept on old logs, not offered" } }
                            }
                        }
                    }
                }
                form.inline method="post" action="/team" {
                    input type="hidden" name="csrf" value=(rep.csrf());
                    input type="hidden" name="list" value=(kind);
                    input type="hidden" name="action" value="add";
                    input type="text" name="label" placeholder="New value" aria-label="New value" required maxlength="60";
                    button.small type="submit" { "Add" }
                }
            }
        }
    };
    let body = html! {
        h1 { "Team lists" }
        ({
            let (notice, error) = messages.verified(&rep);
            flash(notice, error)
        })
        form.inline id="required" method="post" action="/team" {
            input type="hidden" name="csrf" value=(rep.csrf());
            input type="hidden" name="action" value="required";
            label.check {
                input type="checkbox" name="label" value="on" checked[choices.disposition_required];
                " A disposition is required to log a call"
            }
            button.small type="submit" { "Save" }
        }
        (list("Dispositions", "dispositions", choices.dispositions.iter().map(|d| (d.id.0, d.label.clone(), d.retired)).collect()))
        (list("Sentiments", "sentiments", choices.sentiments.iter().map(|s| (s.id.0, s.label.clone(), s.retired)).collect()))
        (super::region::section(&rep, region))
    };
    Ok(layout("Team lists", &rep, "/team", body))
}

#[derive(Deserialize)]
pub struct TeamChange {
    csrf: String,
    action: String,
    #[serde(default)]
    list: String,
    id: Option<i64>,
    #[serde(default)]
    label: String,
}

pub async fn team_change(
    State(state): State<AppState>,
    rep: WebRep,
    Form(change): Form<TeamChange>,
) -> Result<Response, PageError> {
    rep.check_csrf(&change.csrf)?;
    require_admin(&rep)?;
    let store = state.store();
    let team = rep.rep.team_id;
    let list = match change.list.as_str() {
        "dispositions" => Some(ChoiceList::Dispositions),
        "sentiments" => Some(ChoiceList::Sentiments),
        _ => None,
    };
    let label = change.label.trim();
    let needs_label = matches!(change.action.as_str(), "add" | "rename");
    if needs_label && (label.is_empty() || label.chars().count() > 60) {
        return Ok(back_with(
            &rep,
            "/team",
            "error",
            "A name must have 1 to 60 characters.",
        ));
    }
    let done = match (change.action.as_str(), list, change.id) {
        ("required", _, _) => {
            store
                .set_disposition_required(team, change.label == "on")
                .await?;
            true
        }
        ("add", Some(ChoiceList::Dispositions), _) => {
            store.add_disposition(team, label).await.map(|_| true)?
        }
        ("add", Some(ChoiceList::Sentiments), _) => {
            store.add_sentiment(team, label).await.map(|_| true)?
        }
        ("rename", Some(list), Some(id)) => store.rename_choice(list, team, id, label).await?,
        ("retire" | "restore", Some(list), Some(id)) => {
            store
                .set_choice_retired(list, team, id, change.action == "retire")
                .await?
        }
        _ => {
            return Ok(back_with(
                &rep,
                "/team",
                "error",
                "That change is not one this page makes. Reload and try again.",
            ));
        }
    };
    if done {
        Ok(back_with(&rep, "/team", "notice", "Saved."))
    } else {
        Err(AppError::NotFound("value").into())
    }
}
