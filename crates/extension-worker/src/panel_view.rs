//! What an open panel shows: its call (the one asked for, else the active
//! one), the rep's other connected calls, the CRM tab's note, the Person's
//! recent calls and the team's lists.

use crate::http::Api;
use crate::{choices, state};
use chrome::messages::{OtherCall, PanelCall, PanelView};
use protocol::CallId;
use wasm_bindgen::JsValue;

/// The call a panel shows: the one asked for, else the active one.
pub async fn view(call_id: Option<CallId>) -> PanelView {
    let entry = state::read(|s| {
        let wanted = call_id.or(s.live.active_call)?;
        s.live.entry(wanted).cloned()
    });
    let call = entry.map(|e| PanelCall {
        call_id: e.call.call_id,
        person: e.call.person,
        to: e.call.to,
        phase: e.phase,
        started_at: e.call.started_at,
        answered_at: e.answered_at,
        ended_at: e.ended_at,
        log: e.log,
        audio: e.call.offer.is_some(),
        draft: e.draft,
        also: e.call.also,
        moving: e.moving,
        move_note: e.move_note,
        held: e.held,
        outbound: e.outbound,
        remote_ringing: e.remote_ringing,
        dial_result: e.dial_result,
        keyed: e.keyed,
        keypad_note: e.keypad_note,
    });
    let shown = call.as_ref().map(|c| c.call_id);
    let others = state::read(|s| {
        s.live
            .calls
            .iter()
            .filter(|e| {
                e.phase == worker_core::CallPhase::Connected && Some(e.call.call_id) != shown
            })
            .map(|e| OtherCall {
                call_id: e.call.call_id,
                name: e.call.person.display_name().to_owned(),
                held: e.held,
            })
            .collect()
    });
    let crm_note = state::read(|s| {
        s.live
            .panel_tab
            .as_ref()
            .filter(|t| t.call_id.is_some() && t.call_id == call.as_ref().map(|c| c.call_id))
            .and_then(|t| t.note.clone())
    });
    let history = match &call {
        Some(call) => history(call).await,
        None => JsValue::NULL,
    };
    if state::read(|s| s.durable.choices.is_null()) {
        choices::refresh().await;
    }
    PanelView {
        call,
        choices: state::read(|s| s.durable.choices.clone()),
        history,
        connection: state::connection(),
        crm_note,
        others,
    }
}

thread_local! {
    /// Each call's history, fetched once: the call before this one does not
    /// change while the panel re-asks on every notice.
    static HISTORY: std::cell::RefCell<Option<(CallId, JsValue)>> = const { std::cell::RefCell::new(None) };
}

/// The call's Person changed: their history is fetched again.
pub(crate) fn forget_history() {
    HISTORY.with(|h| h.borrow_mut().take());
}

/// The Person's recent calls, relayed to the panel (which finds the reason
/// they call back). `null` when there is no Person or no answer.
async fn history(call: &PanelCall) -> JsValue {
    if let Some(cached) = HISTORY.with(|h| {
        h.borrow()
            .as_ref()
            .filter(|(id, _)| *id == call.call_id)
            .map(|(_, v)| v.clone())
    }) {
        return cached;
    }
    let (Some(person_id), Some(session)) =
        (call.person.id, state::read(|s| s.durable.session.clone()))
    else {
        return JsValue::NULL;
    };
    let api = Api::for_session(&session);
    match api
        .get_raw(&format!("/calls?person_id={}&limit=5", person_id.0))
        .await
    {
        Ok(history) => {
            HISTORY.with(|h| *h.borrow_mut() = Some((call.call_id, history.clone())));
            history
        }
        Err(_) => JsValue::NULL,
    }
}
