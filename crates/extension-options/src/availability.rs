//! The rep's availability, in the popup: Available, Do not disturb in
//! Chrome, or Do not disturb everywhere, each for an hour, until tomorrow
//! or until turned off. The worker stores it on the server, which routes
//! calls by it.

use chrome::bridge;
use chrome::messages::{StatusView, WorkerReply, WorkerRequest};
use protocol::{Availability, AvailabilityMode, DndLength};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The availability in force now.
    pub current: Availability,
    /// The worker's status after a change.
    pub on_status: Callback<StatusView>,
    pub on_error: Callback<String>,
}

#[function_component(AvailabilityPicker)]
pub fn availability_picker(props: &Props) -> Html {
    let length = use_state(|| DndLength::OneHour);
    let busy = use_state(|| false);
    let choose = {
        let (length, busy) = (length.clone(), busy.clone());
        let (on_status, on_error) = (props.on_status.clone(), props.on_error.clone());
        move |mode: AvailabilityMode| {
            let (length, busy) = (length.clone(), busy.clone());
            let (on_status, on_error) = (on_status.clone(), on_error.clone());
            Callback::from(move |_| {
                let now = js_sys::Date::now() as i64;
                let utc_offset = -(js_sys::Date::new_0().get_timezone_offset() as i64);
                let availability = Availability {
                    mode,
                    until: match mode {
                        AvailabilityMode::Available => None,
                        _ => length.until(now, utc_offset),
                    },
                };
                let (busy, on_status, on_error) =
                    (busy.clone(), on_status.clone(), on_error.clone());
                let Ok(availability) = chrome::js::to_js(&availability) else {
                    return;
                };
                busy.set(true);
                spawn_local(async move {
                    match bridge::ask(WorkerRequest::SetAvailability { availability }).await {
                        Ok(WorkerReply::Status(status)) => on_status.emit(status),
                        Ok(_) => on_error.emit("Unexpected reply from the worker.".into()),
                        Err(message) => on_error.emit(message),
                    }
                    busy.set(false);
                });
            })
        }
    };
    let on_length = {
        let length = length.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(chosen) = DndLength::parse(&value) {
                length.set(chosen);
            }
        })
    };
    let current = props.current;
    let buttons = AvailabilityMode::ALL.into_iter().map(|mode| {
        html! {
            <button class="mode" data-mode={mode.as_str()} aria-pressed={(current.mode == mode).to_string()}
                    disabled={*busy} onclick={choose(mode)}>{ mode.label() }</button>
        }
    });
    let lengths = DndLength::ALL.into_iter().map(|option| {
        html! { <option value={option.as_str()} selected={option == *length}>{ option.label() }</option> }
    });
    html! {
        <section id="availability">
            <h2>{ "Availability" }</h2>
            <p id="availability-now" class={classes!("state", if current.mode == AvailabilityMode::Available { "ok" } else { "warn" })}
               data-mode={current.mode.as_str()}>
                { format!("{}{}", current.mode.label(), chrome::time::until_text(current.until)) }
            </p>
            <p class="muted">{ current.mode.explanation() }</p>
            <div class="modes">{ for buttons }</div>
            <label>{ "Do not disturb " }
                <select id="dnd-length" onchange={on_length}>{ for lengths }</select>
            </label>
        </section>
    }
}
