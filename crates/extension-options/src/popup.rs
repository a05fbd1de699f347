//! The toolbar popup: the connection, availability, missed calls, the live
//! call if any, and a test ring. Everything goes through the worker, which
//! holds the session.

use crate::availability::AvailabilityPicker;
use crate::test_ring::TestRing;
use chrome::bridge;
use chrome::messages::{CallPhase, ConnectionState, StatusView, WorkerReply, WorkerRequest};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

fn connection_text(connection: ConnectionState) -> (&'static str, &'static str) {
    match connection {
        ConnectionState::Online => ("ok", "Connected"),
        ConnectionState::Connecting => ("warn", "Connecting…"),
        ConnectionState::Offline => ("bad", "Offline: retrying (your phone still rings)"),
        ConnectionState::SignedOut => ("bad", "Signed out"),
    }
}

#[function_component(Popup)]
pub fn popup() -> Html {
    let status = use_state(|| None::<StatusView>);
    let error = use_state(|| None::<String>);
    let refresh = {
        let (status, error) = (status.clone(), error.clone());
        Callback::from(move |()| {
            let (status, error) = (status.clone(), error.clone());
            spawn_local(async move {
                match bridge::ask(WorkerRequest::Status).await {
                    Ok(WorkerReply::Status(view)) => status.set(Some(view)),
                    Ok(_) => error.set(Some("Unexpected reply from the worker.".into())),
                    Err(message) => error.set(Some(message)),
                }
            });
        })
    };
    {
        let refresh = refresh.clone();
        use_effect_with((), move |_| {
            refresh.emit(());
            bridge::on_change(move || refresh.emit(()));
        });
    }
    let on_status = {
        let (status, error) = (status.clone(), error.clone());
        Callback::from(move |view: StatusView| {
            status.set(Some(view));
            error.set(None);
        })
    };
    let on_error = {
        let error = error.clone();
        Callback::from(move |message: String| error.set(Some(message)))
    };
    let on_seen = {
        let on_status = on_status.clone();
        let on_error = on_error.clone();
        Callback::from(move |_| {
            let (on_status, on_error) = (on_status.clone(), on_error.clone());
            spawn_local(async move {
                match bridge::ask(WorkerRequest::ClearMissed).await {
                    Ok(WorkerReply::Status(view)) => on_status.emit(view),
                    Ok(_) => {}
                    Err(message) => on_error.emit(message),
                }
            });
        })
    };

    let body = match status.as_ref() {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(view) if view.connection == ConnectionState::SignedOut => html! {
            <p id="signed-out">{ "You are signed out. " }
                <a href="options.html" target="_blank">{ "Sign in in Ringback's options" }</a></p>
        },
        Some(view) => {
            let (class, text) = connection_text(view.connection);
            let live = view.live_call.as_ref().map(|call| {
                let what = match call.phase {
                    CallPhase::Ringing | CallPhase::Accepting => "Ringing: ",
                    _ => "On a call with ",
                };
                html! {
                    <p id="live-call" class="callout" data-phase={call.phase.as_str()}>
                        { what }<strong dir="auto">{ call.name.clone() }</strong>
                    </p>
                }
            });
            html! {
                <>
                    <p><strong id="rep-name">{ view.rep_name.clone().unwrap_or_default() }</strong></p>
                    <p id="connection" class={classes!("state", class)} data-state={view.connection.as_str()}>{ text }</p>
                    { for live }
                    <AvailabilityPicker current={view.availability(js_sys::Date::now() as i64)} on_status={on_status.clone()} on_error={on_error.clone()} />
                    <section>
                        <h2>{ "Missed calls" }</h2>
                        <p id="missed" data-count={view.missed_calls.to_string()}>
                            { if view.missed_calls == 0 { "None.".to_owned() } else { format!("{} missed call(s). ", view.missed_calls) } }
                            if view.missed_calls > 0 { <button id="mark-seen" onclick={on_seen}>{ "Mark as seen" }</button> }
                        </p>
                    </section>
                    <TestRing />
                </>
            }
        }
    };
    html! {
        <main class="popup">
            <h1>{ "Ringback" }</h1>
            if let Some(message) = (*error).clone() { <p id="error" class="error" role="alert">{ message }</p> }
            { body }
            <p class="muted"><a href="options.html" target="_blank">{ "Options" }</a></p>
        </main>
    }
}
