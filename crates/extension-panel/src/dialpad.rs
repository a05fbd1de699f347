//! Placing a call from the panel: a number typed on the dial form, or the
//! Person of a call that is over called again. The worker dials (its own
//! rules decide who may ask) and the panel then follows the new call.

use chrome::bridge;
use chrome::messages::{CallPhase, PanelCall, WorkerRequest};
use protocol::PersonId;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What happens once a dial is asked for: `Ok` when the worker placed it
/// (the panel then shows the call it placed), or why not.
pub type Dialled = Callback<Result<(), String>>;

fn dial(number: String, person_id: Option<PersonId>, done: Dialled) {
    spawn_local(async move {
        let request = WorkerRequest::Dial { number, person_id };
        done.emit(bridge::ask_panel(request).await.map(drop));
    });
}

/// The dial form: shown when no call is on in the panel.
pub fn form(done: Dialled) -> Html {
    let input = NodeRef::default();
    let on_submit = {
        let input = input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(field) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let number = field.value();
            if !number.trim().is_empty() {
                dial(number, None, done.clone());
            }
        })
    };
    html! {
        <form id="dial-form" class="dial" onsubmit={on_submit}>
            <label>{ "Call a number" }
                <input id="dial-number" ref={input} type="tel" inputmode="tel" autocomplete="off"
                    placeholder="+1 415 555 0100" />
            </label>
            <button id="dial-button" type="submit">{ "Call" }</button>
        </form>
    }
}

/// "Call again" on a call that is over, for its Person's number.
pub fn call_again(call: &PanelCall, done: Dialled) -> Html {
    if !matches!(call.phase, CallPhase::Ended | CallPhase::Gone) {
        return html! {};
    }
    let (number, person_id) = (call.person.number.clone(), call.person.id);
    let label = format!("Call {number}");
    let on_click = Callback::from(move |_| dial(number.clone(), person_id, done.clone()));
    html! { <button id="call-again" type="button" onclick={on_click}>{ label }</button> }
}

/// The call a panel follows: the one its URL names until the rep dials
/// from it, then the worker's active call (the one just placed).
#[derive(Clone, Default)]
pub struct Following(Rc<Cell<Option<protocol::CallId>>>);

impl Following {
    pub fn new(pinned: Option<protocol::CallId>) -> Self {
        Self(Rc::new(Cell::new(pinned)))
    }

    pub fn get(&self) -> Option<protocol::CallId> {
        self.0.get()
    }

    /// From now on, the worker's active call.
    pub fn follow_active(&self) {
        self.0.set(None);
    }
}

impl PartialEq for Following {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
