//! Calling from the pages: Call on a Person's number (the Person page) and
//! Call back on a row of the Calls page.
//!
//! The call runs in the rep's browser, with its WebRTC leg, as a call the
//! rep dials from the extension does: the page asks the server, and the
//! server asks one of the rep's connected browsers over its socket
//! ([`ServerMessage::DialRequested`]), which dials (`POST /api/v1/calls/dial`).
//! One browser only, or the prospect would be called twice: the one the
//! rep used most recently ([`AppState::dialling_browser`]). The number is
//! the server's record of the Person's or the call's, never the page's.

use super::{PageError, WebRep, back_with};
use crate::error::AppError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use protocol::signal::ServerMessage;
use protocol::{CallId, PersonId};
use serde::Deserialize;

/// What a rep whose browser is not connected reads.
pub const NO_BROWSER: &str =
    "Open Chrome with Ringback signed in to call from here: the call runs in your browser.";

/// What a rep reads when this Ringback has no trunk to call out through.
const CANNOT_DIAL: &str =
    "This Ringback cannot place calls: ask your admin to give it a SIP trunk (--trunk-uri).";

#[derive(Deserialize)]
pub struct CallForm {
    csrf: String,
    /// Which of the Person's numbers: it must still be one of them.
    #[serde(default)]
    number: String,
}

/// `POST /people/{id}/call`: Call on one of the Person's numbers.
pub async fn call_person(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    Form(form): Form<CallForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let person = state
        .store()
        .person(rep.rep.rep_id, PersonId(id))
        .await?
        .ok_or(AppError::NotFound("Person"))?;
    let back = format!("/people/{id}");
    let posted = form.number.trim();
    let Some(number) = person.phones.iter().find(|phone| phone.as_str() == posted) else {
        return Ok(back_with(
            &rep,
            &back,
            "error",
            "That number is no longer on this Person: reload the page and try again.",
        ));
    };
    ask_browser(&state, &rep, number, Some(person.id), &back).await
}

#[derive(Deserialize)]
pub struct CallBackForm {
    csrf: String,
    #[serde(default)]
    back: String,
}

/// `POST /calls/{id}/call-back`: Call back the Person (or number) of a call.
pub async fn call_back(
    State(state): State<AppState>,
    rep: WebRep,
    Path(id): Path<i64>,
    Form(form): Form<CallBackForm>,
) -> Result<Response, PageError> {
    rep.check_csrf(&form.csrf)?;
    let store = state.store();
    let call = store
        .call_view(rep.rep.rep_id, CallId(id))
        .await?
        .ok_or(AppError::NotFound("call"))?;
    // A Person removed since is not dialled as them: the number alone is.
    let person = match call.person.id {
        Some(person) => store
            .person(rep.rep.rep_id, person)
            .await?
            .map(|person| person.id),
        None => None,
    };
    let back = format!("{}#call-{id}", form.back);
    ask_browser(&state, &rep, &call.person.number, person, &back).await
}

/// Asks the rep's browser to call `number`; back to the page with what happened.
async fn ask_browser(
    state: &AppState,
    rep: &WebRep,
    number: &str,
    person_id: Option<PersonId>,
    back: &str,
) -> Result<Response, PageError> {
    if !state.trunk().is_some_and(sip::Trunk::can_dial) {
        return Ok(back_with(rep, back, "error", CANNOT_DIAL));
    }
    let rep_id = rep.rep.rep_id;
    let Some(device) = state.dialling_browser(rep_id).await else {
        return Ok(back_with(rep, back, "error", NO_BROWSER));
    };
    let message = ServerMessage::DialRequested {
        number: number.to_owned(),
        person_id,
    };
    state
        .tell(rep_id, &calls::Audience::Device(device), &message)
        .await;
    Ok(back_with(
        rep,
        back,
        "notice",
        &format!("Calling {number} from Chrome: Ringback's panel shows the call."),
    ))
}
