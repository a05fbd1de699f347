//! People: create, read, update, search by name or phone.

use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, AuthRep};
use crate::state::AppState;
use crate::store::PersonFields;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::api::PersonInput;
use protocol::{Person, PersonId};
use serde::Deserialize;

/// Limits count Unicode characters (`chars()`), as the messages say, not bytes:
/// 200 letters of Arabic or Chinese take 400 to 600 bytes of UTF-8.
const MAX_TEXT: usize = 200;
const MAX_URL: usize = 2048;
const MAX_PHONES: usize = 10;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// Part of a name or account.
    #[serde(default)]
    q: String,
    /// A phone number, any common format.
    phone: Option<String>,
    limit: Option<u32>,
}

pub async fn search(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<Person>>, AppError> {
    let rep = auth.rep.rep_id;
    if let Some(phone) = query.phone {
        let region = crate::phone::team_region(state.store(), auth.rep.team_id).await?;
        let number = crate::phone::parse(&phone, region)
            .map_err(|e| AppError::Validation(format!("phone: {e}")))?;
        // Everyone with that number, the most likely first.
        return Ok(Json(
            state.store().people_by_phone(rep, number.as_str()).await?,
        ));
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    Ok(Json(
        state
            .store()
            .search_people(rep, query.q.trim(), limit)
            .await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiJson(input): ApiJson<PersonInput>,
) -> Result<(StatusCode, Json<Person>), AppError> {
    let fields = validate(&state, &auth, input).await?;
    let person = state
        .store()
        .create_person(auth.rep.rep_id, &fields, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(person)))
}

pub async fn read(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Person>, AppError> {
    let person = state.store().person(auth.rep.rep_id, PersonId(id)).await?;
    person.map(Json).ok_or(AppError::NotFound("person"))
}

pub async fn update(
    State(state): State<AppState>,
    auth: AuthRep,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PersonInput>,
) -> Result<Json<Person>, AppError> {
    let fields = validate(&state, &auth, input).await?;
    let person = state
        .store()
        .update_person(auth.rep.rep_id, PersonId(id), &fields, state.now())
        .await?;
    person.map(Json).ok_or(AppError::NotFound("person"))
}

async fn validate(
    state: &AppState,
    auth: &AuthRep,
    input: PersonInput,
) -> Result<PersonFields, AppError> {
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_TEXT {
        return Err(AppError::Validation(format!(
            "name must be 1 to {MAX_TEXT} characters"
        )));
    }
    let optional = |field: &str, value: Option<String>| -> Result<Option<String>, AppError> {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        match value {
            Some(v) if v.chars().count() > MAX_TEXT => Err(AppError::Validation(format!(
                "{field} must be at most {MAX_TEXT} characters"
            ))),
            other => Ok(other),
        }
    };
    let title = optional("title", input.title)?;
    let account = optional("account", input.account)?;
    let crm_url = input
        .crm_url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    if let Some(url) = &crm_url {
        let web = url.starts_with("https://") || url.starts_with("http://");
        if !web || url.chars().count() > MAX_URL || url.chars().any(char::is_whitespace) {
            return Err(AppError::Validation(
                "crm_url must be an http:// or https:// address without spaces".into(),
            ));
        }
    }
    if input.phones.len() > MAX_PHONES {
        return Err(AppError::Validation(format!(
            "a person has at most {MAX_PHONES} phone numbers"
        )));
    }
    let region = crate::phone::team_region(state.store(), auth.rep.team_id).await?;
    let mut phones = Vec::with_capacity(input.phones.len());
    for raw in &input.phones {
        let number = crate::phone::parse(raw, region)
            .map_err(|e| AppError::Validation(format!("phone {raw:?}: {e}")))?;
        if !phones.contains(&number.to_string()) {
            phones.push(number.to_string());
        }
    }
    Ok(PersonFields {
        name,
        title,
        account,
        phones,
        crm_url,
    })
}
