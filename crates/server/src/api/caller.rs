//! `PUT /api/v1/calls/{id}/person`: several of the rep's People share the
//! caller's number, and the rep says which one this call is from. The call
//! and its log go to them, and the next call from that number leads with
//! them (`calls::rank`).

use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, AuthRep};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::api::ChoosePersonRequest;
use protocol::{CallId, PersonSnapshot};

pub async fn choose(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ChoosePersonRequest>,
) -> Result<Json<PersonSnapshot>, AppError> {
    let rep = auth.rep.rep_id;
    let call = CallId(id);
    let store = state.store();
    let view = store
        .call_view(rep, call)
        .await?
        .ok_or(AppError::NotFound("call"))?;
    let person = store
        .person(rep, request.person_id)
        .await?
        .ok_or_else(|| AppError::Validation("person_id does not name one of your people".into()))?;
    if !person.phones.contains(&view.from) {
        return Err(AppError::Validation(format!(
            "person_id: {} does not have the caller's number {}; add it to them first",
            person.name, view.from
        )));
    }
    let snapshot = PersonSnapshot {
        id: Some(person.id),
        name: Some(person.name),
        title: person.title,
        account: person.account,
        crm_url: person.crm_url,
        number: view.from.clone(),
    };
    if !store
        .choose_person(rep, call, &view.from, &snapshot, state.now())
        .await?
    {
        return Err(AppError::Conflict(
            "this call is logged already; it stays with the Person it was logged to".into(),
        ));
    }
    state.set_caller(rep, call, snapshot.clone()).await;
    Ok(Json(snapshot))
}
