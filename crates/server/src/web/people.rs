//! The Person profile: who they are, their calls, and where a call answered
//! on the forwarding phone is logged (the article's rule: calls are logged on
//! the Person profile first).

use super::calls::{call_outcome, direction_label};
use super::time::{format_utc, iso};
use super::{Flash, PageError, WebRep, flash, layout};
use crate::error::AppError;
use crate::secrets::random_token;
use crate::state::AppState;
use crate::store::CallFilter;
use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use protocol::api::{CallView, TeamChoices, TimelineEntry};
use protocol::{CallId, CallStatus, PersonId};

pub async fn page(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    Query(flash_query): Query<Flash>,
) -> Result<Markup, PageError> {
    let store = state.store();
    let person = store
        .person(rep.rep.rep_id, PersonId(id))
        .await?
        .ok_or(AppError::NotFound("Person"))?;
    let history = store
        .list_calls(
            rep.rep.rep_id,
            &CallFilter {
                person_id: Some(person.id),
                limit: 100,
                ..CallFilter::default()
            },
        )
        .await?;
    let ids: Vec<CallId> = history.calls.iter().map(|c| c.id).collect();
    let timelines = store.timelines(rep.rep.rep_id, &ids).await?;
    let choices = store.team_choices(rep.rep.team_id).await?;
    let here = format!("/people/{id}");

    let body = html! {
        p.crumbs { a href="/calls" { "Calls" } " › " (person.name) }
        ({
            let (notice, error) = flash_query.verified(&rep);
            flash(notice, error)
        })
        section.person {
            h1 id="person-name" dir="auto" { (person.name) }
            p.lead dir="auto" {
                @if let Some(title) = &person.title { (title) }
                @if person.title.is_some() && person.account.is_some() { " · " }
                @if let Some(account) = &person.account { (account) }
            }
            dl {
                dt { "Numbers" }
                dd {
                    @for phone in &person.phones {
                        form.call method="post" action=(format!("/people/{id}/call")) {
                            span.number { (phone) } " "
                            input type="hidden" name="csrf" value=(rep.csrf());
                            input type="hidden" name="number" value=(phone);
                            button.small type="submit" title=(format!("Call {phone} from Chrome")) { "Call" }
                        }
                    }
                }
                dt { "CRM" }
                dd {
                    @match &person.crm_url {
                        Some(url) if url.starts_with("https://") || url.starts_with("http://") => a href=(url) rel="noopener noreferrer" target="_blank" { (url) },
                        Some(url) => (url),
                        None => span.muted { "No CRM link" },
                    }
                }
            }
        }
        h2 { "Calls" }
        @if history.calls.is_empty() { p.muted { "No calls with " (person.name) " yet." } }
        @for call in &history.calls {
            (call_card(call, timelines.get(&call.id).map_or(&[][..], Vec::as_slice), &rep, &choices, &here))
        }
    };
    Ok(layout(&person.name, &rep, "", body))
}

fn call_card(
    call: &CallView,
    timeline: &[TimelineEntry],
    rep: &WebRep,
    choices: &TeamChoices,
    here: &str,
) -> Markup {
    let length = call
        .answered_at
        .zip(call.ended_at)
        .map(|(a, e)| protocol::duration_text(e - a));
    let needs_log = call.status == CallStatus::Ended
        && call.log.as_ref().is_none_or(|l| l.automatic)
        && call.answered_at.is_some();
    html! {
        article.call id=(format!("call-{}", call.id.0)) {
            header {
                time datetime=(iso(call.started_at)) { (format_utc(call.started_at)) }
                span { (direction_label(call.direction)) }
                span { (call_outcome(call)) }
                @if let Some(length) = length { span { (length) } }
            }
            @match &call.log {
                Some(log) if !log.automatic => {
                    p { strong { (log.disposition.as_ref().map(|d| d.label.as_str()).unwrap_or("No disposition")) }
                        @if let Some(s) = &log.sentiment { " · " (s.label) } }
                    @if !log.notes.is_empty() { p.notes dir="auto" { (log.notes) } }
                }
                _ if needs_log => {
                    form.log method="post" action=(format!("/calls/{}/log", call.id.0)) {
                        input type="hidden" name="csrf" value=(rep.csrf());
                        input type="hidden" name="back" value=(here);
                        input type="hidden" name="key" value=(random_token());
                        p.muted { "Answered but not logged yet: log it to put it on the Calls page." }
                        label { "Notes" textarea name="notes" rows="3" dir="auto" { (call.log.as_ref().map(|l| l.notes.as_str()).unwrap_or("")) } }
                        label { @if choices.disposition_required { "Disposition (required)" } @else { "Disposition" }
                            select name="disposition" required[choices.disposition_required] {
                                option value="" { "Choose…" }
                                @for d in choices.dispositions.iter().filter(|d| !d.retired) { option value=(d.id.0) { (d.label) } }
                            }
                        }
                        label { "Sentiment"
                            select name="sentiment" {
                                option value="" { "Choose…" }
                                @for s in choices.sentiments.iter().filter(|s| !s.retired) { option value=(s.id.0) { (s.label) } }
                            }
                        }
                        button type="submit" { "Log call" }
                    }
                }
                Some(log) => { p.muted { "Logged automatically (" (call_outcome(call)) ")." } @if !log.notes.is_empty() { p.notes dir="auto" { (log.notes) } } }
                None => { p.muted { "Not logged." } }
            }
            (super::timeline::details(call.id, timeline))
        }
    }
}
