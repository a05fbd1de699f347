//! The options page: server and sign-in, connection, notifications,
//! microphone and audio devices, keyboard shortcuts.

use crate::{devices, microphone};
use chrome::api::{call, notifications};
use chrome::bridge;
use chrome::messages::{ConnectionState, StatusView, WorkerReply, WorkerRequest};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What Chrome allows, looked up on load and after each change.
#[derive(Clone, PartialEq, Default)]
struct Permissions {
    notifications: Option<String>,
    microphone: Option<String>,
    /// Listed once the microphone is granted (Chrome hides them before).
    devices: Option<Result<devices::Available, String>>,
}

async fn load_permissions() -> Permissions {
    let notifications = call(notifications::get_permission_level())
        .await
        .ok()
        .and_then(|level| level.as_string());
    let microphone = microphone::state().await;
    let devices = if microphone == "granted" {
        Some(devices::list().await)
    } else {
        None
    };
    Permissions {
        notifications,
        microphone: Some(microphone),
        devices,
    }
}

fn status_reply(reply: Result<WorkerReply, String>) -> Result<StatusView, String> {
    match reply? {
        WorkerReply::Status(status) => Ok(status),
        _ => Err("Unexpected reply from the worker.".into()),
    }
}

#[function_component(OptionsPage)]
pub fn options_page() -> Html {
    let status = use_state(|| None::<StatusView>);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let permissions = use_state(Permissions::default);
    let server = use_state(|| "http://127.0.0.1:8080".to_owned());
    let email = use_state(String::new);
    let password = use_state(String::new);
    let wants_microphone = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .is_some_and(|hash| hash == "#microphone");

    // The worker's notices are about the status; permissions are read once,
    // and again after the rep enables the microphone.
    let refresh = {
        let status = status.clone();
        let error = error.clone();
        Callback::from(move |()| {
            let (status, error) = (status.clone(), error.clone());
            spawn_local(async move {
                match status_reply(bridge::ask(WorkerRequest::Status).await) {
                    Ok(view) => status.set(Some(view)),
                    Err(message) => error.set(Some(message)),
                }
            });
        })
    };
    {
        let refresh = refresh.clone();
        let permissions = permissions.clone();
        use_effect_with((), move |_| {
            spawn_local(async move { permissions.set(load_permissions().await) });
            refresh.emit(());
            let on_change = refresh.clone();
            bridge::on_change(move || on_change.emit(()));
        });
    }

    let run = {
        let (status, error, busy) = (status.clone(), error.clone(), busy.clone());
        move |request: WorkerRequest| {
            let (status, error, busy) = (status.clone(), error.clone(), busy.clone());
            busy.set(true);
            spawn_local(async move {
                match status_reply(bridge::ask(request).await) {
                    Ok(view) => {
                        status.set(Some(view));
                        error.set(None);
                    }
                    Err(message) => error.set(Some(message)),
                }
                busy.set(false);
            });
        }
    };

    let on_sign_in = {
        let (server, email, password, run) =
            (server.clone(), email.clone(), password.clone(), run.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            run(WorkerRequest::SignIn {
                server: (*server).clone(),
                email: (*email).clone(),
                password: (*password).clone(),
            });
        })
    };
    let on_sign_out = {
        let run = run.clone();
        Callback::from(move |_| run(WorkerRequest::SignOut))
    };
    let on_seen = {
        let run = run.clone();
        Callback::from(move |_| run(WorkerRequest::ClearMissed))
    };
    let on_microphone = {
        let (permissions, error) = (permissions.clone(), error.clone());
        Callback::from(move |_| {
            let (permissions, error) = (permissions.clone(), error.clone());
            spawn_local(async move {
                if let Err(message) = microphone::request().await {
                    error.set(Some(format!(
                        "Chrome did not allow the microphone ({message}). Click the icon at the right of the address bar, allow the microphone, and press Enable again."
                    )));
                }
                permissions.set(load_permissions().await);
            });
        })
    };
    let bind = |field: &UseStateHandle<String>| {
        let field = field.clone();
        Callback::from(move |event: InputEvent| {
            field.set(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };

    let account = match status.as_ref() {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(view) if view.connection == ConnectionState::SignedOut || view.rep_name.is_none() => {
            html! {
                <form id="sign-in" onsubmit={on_sign_in}>
                    <label>{ "Server address" }
                        <input id="server" type="url" required=true value={(*server).clone()} oninput={bind(&server)} />
                    </label>
                    <label>{ "Email" }
                        <input id="email" type="email" autocomplete="username" required=true value={(*email).clone()} oninput={bind(&email)} />
                    </label>
                    <label>{ "Password" }
                        <input id="password" type="password" autocomplete="current-password" required=true value={(*password).clone()} oninput={bind(&password)} />
                    </label>
                    <button id="sign-in-button" type="submit" disabled={*busy}>{ if *busy { "Signing in…" } else { "Sign in" } }</button>
                </form>
            }
        }
        Some(view) => html! {
            <div id="account">
                <p>{ "Signed in as " }<strong id="rep-name">{ view.rep_name.clone().unwrap_or_default() }</strong>
                   { format!(" ({}) at {}", view.email.clone().unwrap_or_default(), view.server.clone().unwrap_or_default()) }</p>
                <button id="sign-out" onclick={on_sign_out} disabled={*busy}>{ "Sign out" }</button>
            </div>
        },
    };

    let connection = status.as_ref().map(|view| {
        let (class, text) = match view.connection {
            ConnectionState::Online => ("ok", "Connected: calls ring here."),
            ConnectionState::Connecting => ("warn", "Connecting…"),
            ConnectionState::Offline => ("bad", "Offline: retrying. Calls still ring on your phone."),
            ConnectionState::SignedOut => ("bad", "Signed out: sign in to receive calls."),
        };
        html! {
            <section>
                <h2>{ "Connection" }</h2>
                <p id="connection" class={classes!("state", class)} data-state={view.connection.as_str()}>{ text }</p>
                if let Some(reason) = view.last_error.clone() { <p class="muted">{ reason }</p> }
                if view.pending_logs > 0 {
                    <p id="pending-logs">{ format!("{} call log(s) saved here, waiting to reach the server.", view.pending_logs) }</p>
                }
                if view.missed_calls > 0 {
                    <p id="missed">{ format!("{} missed call(s). ", view.missed_calls) }
                        <button onclick={on_seen}>{ "Mark as seen" }</button></p>
                }
            </section>
        }
    });

    let notifications_state = match permissions.notifications.as_deref() {
        Some("granted") => {
            html! { <p id="notifications" class="state ok" data-state="granted">{ "Allowed: calls show a notification with Accept and Close." }</p> }
        }
        Some(_) => html! {
            <p id="notifications" class="state bad" data-state="denied">
                { "Blocked: Chrome will not show incoming calls. Open chrome://settings/content/notifications, allow Ringback, then reload this page. On macOS and Windows also allow Chrome in the system's notification settings." }
            </p>
        },
        None => html! { <p class="muted">{ "Checking…" }</p> },
    };

    let microphone_state = permissions.microphone.clone().unwrap_or_default();
    let microphone_text = match microphone_state.as_str() {
        "granted" => "Enabled: you can take calls in the browser.",
        "denied" => {
            "Blocked: click the icon at the right of the address bar, allow the microphone, then press Enable."
        }
        _ => "Not enabled yet: press Enable and allow the microphone when Chrome asks.",
    };

    html! {
        <main class="options">
            <h1>{ "Ringback" }</h1>
            <p class="muted">{ "Inbound calls from the prospects you called ring here and on your phone." }</p>
            if let Some(message) = (*error).clone() { <p id="error" class="error" role="alert">{ message }</p> }
            <section>
                <h2>{ "Account" }</h2>
                { account }
            </section>
            { for connection }
            <section>
                <h2>{ "Notifications" }</h2>
                { notifications_state }
            </section>
            <section id="microphone-section" class={classes!(wants_microphone.then_some("attention"))}>
                <h2>{ "Microphone" }</h2>
                if wants_microphone && microphone_state != "granted" {
                    <p class="callout">{ "A call needs your microphone. Enable it here, then press Accept on the call notification again — the call is still ringing." }</p>
                }
                <p id="microphone" class={classes!("state", if microphone_state == "granted" { "ok" } else { "bad" })} data-state={microphone_state.clone()}>{ microphone_text }</p>
                if microphone_state != "granted" {
                    <button id="enable-microphone" onclick={on_microphone}>{ "Enable microphone" }</button>
                }
                { match &permissions.devices {
                    Some(Ok(available)) => devices::view(available, &error),
                    Some(Err(message)) => html! { <p id="devices-error" class="error">{ message.clone() }</p> },
                    None => html! {},
                } }
            </section>
            if status.as_ref().is_some_and(|view| view.connection != ConnectionState::SignedOut) {
                <crate::test_ring::TestRing />
            }
            <crate::shortcuts::Shortcuts />
        </main>
    }
}
