//! The Calls page: the rep's logged calls, newest first, with filters,
//! pages, notes edited in place, and logging (used by the Person page).

use super::time::{format_utc, iso, next_day, parse_date};
use super::{Flash, PageError, WebRep, back_with, flash, layout, urlencode};
use crate::api::calls::MAX_NOTES;
use crate::api::recordings;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{CallFilter, LogInput, LogWrite};
use crate::timeline::logged_by_rep;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use protocol::api::{
    CallDirection, CallView, DialOutcome, TeamChoices, TimelineEntry, UpdateLogRequest,
};
use protocol::{CallId, CallOutcome, DispositionId, LogStatus, SentimentId};
use serde::Deserialize;

/// Rows per page.
const PAGE_SIZE: u32 = 50;

/// What the filter form sends. Empty fields mean "any".
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    disposition: String,
    #[serde(default)]
    q: String,
    before: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
    /// The server's signature over the notice or error.
    s: Option<String>,
}

impl Filters {
    /// The filters as a query string (without the page cursor).
    fn query(&self) -> String {
        format!(
            "from={}&to={}&outcome={}&disposition={}&q={}",
            urlencode(&self.from),
            urlencode(&self.to),
            urlencode(&self.outcome),
            urlencode(&self.disposition),
            urlencode(&self.q)
        )
    }
}

/// The outcome as the pages show it; a call still going has none yet.
pub fn outcome_label(outcome: Option<CallOutcome>) -> &'static str {
    outcome.map_or("In progress", CallOutcome::describe)
}

/// A call's outcome in either direction (an outbound call's is its dial's).
pub fn call_outcome(call: &CallView) -> &'static str {
    match call.direction {
        CallDirection::Inbound => outcome_label(call.outcome),
        CallDirection::Outbound => call
            .dial_outcome
            .map_or("In progress", DialOutcome::describe),
    }
}

/// "Inbound" or "Outbound".
pub fn direction_label(direction: CallDirection) -> &'static str {
    match direction {
        CallDirection::Inbound => "Inbound",
        CallDirection::Outbound => "Outbound",
    }
}

const OUTCOMES: [(CallOutcome, &str); 5] = [
    (CallOutcome::AnsweredInBrowser, "answered_in_browser"),
    (CallOutcome::AnsweredOnPhone, "answered_on_phone"),
    (CallOutcome::Voicemail, "voicemail"),
    (CallOutcome::Forwarded, "forwarded"),
    (CallOutcome::Missed, "missed"),
];

pub async fn page(
    State(state): State<AppState>,
    rep: WebRep,
    Query(filters): Query<Filters>,
) -> Result<Markup, PageError> {
    let mut problems = Vec::new();
    let since = match filters.from.trim() {
        "" => None,
        text => parse_date(text).or_else(|| {
            problems.push(format!(
                "\"{text}\" is not a date: use the date picker (YYYY-MM-DD)."
            ));
            None
        }),
    };
    let until = match filters.to.trim() {
        "" => None,
        text => parse_date(text).map(next_day).or_else(|| {
            problems.push(format!(
                "\"{text}\" is not a date: use the date picker (YYYY-MM-DD)."
            ));
            None
        }),
    };
    if since.zip(until).is_some_and(|(s, u)| s >= u) {
        problems.push(
            "The From date is after the To date: swap them to see calls in between.".to_owned(),
        );
    }
    let outcome = OUTCOMES
        .iter()
        .find(|(_, key)| *key == filters.outcome)
        .map(|(o, _)| *o);
    let filter = CallFilter {
        logged: Some(true),
        outcome,
        person_id: None,
        since,
        until,
        before: filters.before.map(CallId),
        limit: PAGE_SIZE,
        disposition_id: filters.disposition.parse().ok().map(DispositionId),
        person_name: Some(filters.q.trim().to_owned()).filter(|q| !q.is_empty()),
    };
    let store = state.store();
    let page = store.list_calls(rep.rep.rep_id, &filter).await?;
    let ids: Vec<CallId> = page.calls.iter().map(|c| c.id).collect();
    let timelines = store.timelines(rep.rep.rep_id, &ids).await?;
    let choices = store.team_choices(rep.rep.team_id).await?;
    let here = format!(
        "/calls?{}{}",
        filters.query(),
        filters
            .before
            .map(|b| format!("&before={b}"))
            .unwrap_or_default()
    );

    let body = html! {
        h1 { "Calls" }
        ({
            let carried = Flash {
                notice: filters.notice.clone(),
                error: filters.error.clone(),
                s: filters.s.clone(),
            };
            let (notice, error) = carried.verified(&rep);
            flash(notice, error)
        })
        @for problem in &problems { p.error role="alert" { (problem) } }
        form.filters method="get" action="/calls" {
            label { "From (UTC)" input type="date" name="from" value=(filters.from); }
            label { "To (UTC)" input type="date" name="to" value=(filters.to); }
            label { "Outcome"
                select name="outcome" {
                    option value="" { "Any" }
                    @for (o, key) in OUTCOMES { option value=(key) selected[outcome == Some(o)] { (outcome_label(Some(o))) } }
                }
            }
            label { "Disposition"
                select name="disposition" {
                    option value="" { "Any" }
                    @for d in &choices.dispositions {
                        option value=(d.id.0) selected[filters.disposition == d.id.0.to_string()] {
                            (d.label) @if d.retired { " (retired)" }
                        }
                    }
                }
            }
            label { "Person" input type="search" name="q" value=(filters.q) placeholder="Name"; }
            button type="submit" { "Filter" }
            a.reset href="/calls" { "Clear" }
        }
        @if page.calls.is_empty() {
            p.muted id="no-calls" { "No logged calls match. Calls appear here once they are logged on the Person profile or from the dialer." }
        } @else {
            table id="calls" {
                thead { tr {
                    th { "When" } th { "Person" } th { "Account" } th { "Direction" } th { "Duration" }
                    th { "Outcome" } th { "Disposition" } th { "Sentiment" } th.notes { "Notes" } th { "Recording" }
                } }
                tbody {
                    @for call in &page.calls {
                        (row(call, timelines.get(&call.id).map_or(&[][..], Vec::as_slice), &rep, &here))
                    }
                }
            }
        }
        nav.pages {
            @if filters.before.is_some() { a id="newest" href=(format!("/calls?{}", filters.query())) { "← Newest" } }
            @if let Some(next) = page.next_before { a id="older" href=(format!("/calls?{}&before={}", filters.query(), next.0)) { "Older calls →" } }
        }
    };
    Ok(layout("Calls", &rep, "/calls", body))
}

fn row(call: &CallView, timeline: &[TimelineEntry], rep: &WebRep, here: &str) -> Markup {
    let log = call.log.as_ref();
    let length = call
        .answered_at
        .zip(call.ended_at)
        .map(|(a, e)| protocol::duration_text(e - a));
    let voicemail = call.outcome == Some(CallOutcome::Voicemail);
    html! {
        tr id=(format!("call-{}", call.id.0)) {
            td { time datetime=(iso(call.started_at)) { (format_utc(call.started_at)) } }
            td.person dir="auto" {
                @match call.person.id {
                    Some(id) => a href=(format!("/people/{}", id.0)) { (call.person.display_name()) },
                    None => (call.person.display_name()),
                }
            }
            td dir="auto" { (call.person.account.as_deref().unwrap_or("")) }
            td.direction { (direction_label(call.direction)) (call_back_form(call, rep, here)) }
            td { (length.as_deref().unwrap_or("—")) }
            td.outcome {
                span.outcome-label { (call_outcome(call)) }
                @if log.is_some_and(|l| l.status == LogStatus::NoAnswer) { br; span.muted { "marked no answer" } }
                (super::timeline::details(call.id, timeline))
            }
            td.disposition { (log.and_then(|l| l.disposition.as_ref()).map(|d| d.label.as_str()).unwrap_or("—")) }
            td.sentiment { (log.and_then(|l| l.sentiment.as_ref()).map(|s| s.label.as_str()).unwrap_or("—")) }
            td.notes {
                form.notes method="post" action=(format!("/calls/{}/notes", call.id.0)) {
                    input type="hidden" name="csrf" value=(rep.csrf());
                    input type="hidden" name="back" value=(here);
                    textarea name="notes" rows="2" aria-label="Notes" dir="auto" { (log.map(|l| l.notes.as_str()).unwrap_or("")) }
                    button.small type="submit" { "Save" }
                }
                @if voicemail && log.is_some_and(|l| l.status != LogStatus::NoAnswer) {
                    form method="post" action=(format!("/calls/{}/no-answer", call.id.0)) {
                        input type="hidden" name="csrf" value=(rep.csrf());
                        input type="hidden" name="back" value=(here);
                        button.small.link type="submit" { "Mark as no answer" }
                    }
                }
            }
            td.recording {
                @match call.recording {
                    Some(recording) => {
                        audio controls preload="none" src=(format!("/calls/{}/recording", call.id.0)) aria-label="Voicemail recording" {}
                        br;
                        span.muted { (protocol::duration_text(recording.duration_ms)) " · " }
                        a href=(format!("/calls/{}/recording", call.id.0)) download=(format!("voicemail-{}.wav", call.id.0)) { "Download" }
                    }
                    None => "—",
                }
            }
        }
    }
}

/// Call back: the server asks the rep's browser to call the call's number.
fn call_back_form(call: &CallView, rep: &WebRep, here: &str) -> Markup {
    html! {
        form.call-back method="post" action=(format!("/calls/{}/call-back", call.id.0)) {
            input type="hidden" name="csrf" value=(rep.csrf());
            input type="hidden" name="back" value=(here);
            button.small type="submit" title=(format!("Call {} from Chrome", call.person.number)) { "Call back" }
        }
    }
}

/// `GET /calls/{id}/recording`: the voicemail, for the page's player (Range works).
pub async fn recording(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let path = recordings::recording_path(&state, rep.rep.rep_id, CallId(id)).await?;
    Ok(recordings::serve_wav(path, request, recordings::Caching::Recording).await?)
}

#[derive(Deserialize)]
pub struct NotesForm {
    csrf: String,
    notes: String,
    #[serde(default)]
    back: String,
}

pub async fn save_notes(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    Form(form): Form<NotesForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let back = format!("{}#call-{id}", form.back);
    if form.notes.chars().count() > MAX_NOTES {
        return Ok(back_with(
            &rep,
            &form.back,
            "error",
            &format!("Notes are limited to {MAX_NOTES} characters; shorten them and save again."),
        ));
    }
    let request = UpdateLogRequest {
        notes: Some(form.notes),
        ..UpdateLogRequest::default()
    };
    edit_log(&state, &rep, id, &request, &back, "Notes saved.").await
}

/// Applies an edit to one of the rep's logs and goes back with `notice`.
async fn edit_log(
    state: &AppState,
    rep: &WebRep,
    id: i64,
    request: &UpdateLogRequest,
    back: &str,
    notice: &str,
) -> Result<Response, PageError> {
    match state
        .store()
        .update_log(rep.rep, CallId(id), request, state.now())
        .await?
    {
        Some(_) => Ok(back_with(rep, back, "notice", notice)),
        None => Err(AppError::NotFound("call").into()),
    }
}

#[derive(Deserialize)]
pub struct BackForm {
    csrf: String,
    #[serde(default)]
    back: String,
}

/// A voicemail the rep does not want counted as a conversation.
pub async fn mark_no_answer(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    Form(form): Form<BackForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let request = UpdateLogRequest {
        status: Some(LogStatus::NoAnswer),
        ..UpdateLogRequest::default()
    };
    edit_log(
        &state,
        &rep,
        id,
        &request,
        &form.back,
        "Marked as no answer.",
    )
    .await
}

#[derive(Deserialize)]
pub struct LogForm {
    csrf: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    disposition: String,
    #[serde(default)]
    sentiment: String,
    /// Generated with the form, so a double submit logs once.
    key: String,
    #[serde(default)]
    back: String,
}

/// Logs a call (the Person page's form). A call already logged keeps its
/// disposition and sentiment: a different one is refused with a message.
pub async fn log(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    Form(form): Form<LogForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let back = if form.back.is_empty() {
        "/calls".to_owned()
    } else {
        form.back.clone()
    };
    let store = state.store();
    let disposition_id = form.disposition.parse().ok().map(DispositionId);
    let sentiment_id = form.sentiment.parse().ok().map(SentimentId);
    let existing = store
        .call_view(rep.rep.rep_id, CallId(id))
        .await?
        .ok_or(AppError::NotFound("call"))?;
    if let Some(logged) = existing.log.as_ref().filter(|l| !l.automatic) {
        let changed = logged.disposition.as_ref().map(|d| d.id) != disposition_id
            || logged.sentiment.as_ref().map(|s| s.id) != sentiment_id;
        if changed {
            return Ok(back_with(
                &rep,
                &back,
                "error",
                "This call is already logged: its disposition and sentiment cannot be changed. Notes can still be edited on the Calls page.",
            ));
        }
    }
    let choices: TeamChoices = store.team_choices(rep.rep.team_id).await?;
    if choices.disposition_required && disposition_id.is_none() {
        return Ok(back_with(
            &rep,
            &back,
            "error",
            "Choose a disposition: your team requires one to log a call.",
        ));
    }
    if form.notes.chars().count() > MAX_NOTES
        || form.key.is_empty()
        || form.key.chars().count() > 100
    {
        return Ok(back_with(
            &rep,
            &back,
            "error",
            "The form was incomplete or the notes too long (10,000 characters at most).",
        ));
    }
    let input = LogInput {
        idempotency_key: format!("web:{}", form.key),
        notes: form.notes,
        disposition_id,
        sentiment_id,
        person_id: None,
    };
    match store
        .log_call(rep.rep, CallId(id), &input, state.now())
        .await
    {
        Ok(Some(LogWrite::Created(_))) => {
            state.note(CallId(id), logged_by_rep()).await;
            Ok(back_with(
                &rep,
                &back,
                "notice",
                "Call logged. It now appears on the Calls page.",
            ))
        }
        Ok(Some(LogWrite::Replayed(_))) => Ok(back_with(
            &rep,
            &back,
            "notice",
            "Call logged. It now appears on the Calls page.",
        )),
        Ok(None) => Err(AppError::NotFound("call").into()),
        Err(error) => {
            let error = AppError::from(error);
            if error.status().is_client_error() {
                Ok(back_with(&rep, &back, "error", &error.to_string()))
            } else {
                Err(error.into())
            }
        }
    }
}
