//! The Dialer Everywhere panel: who is calling, why they call back, the call's
//! state and timer, its audio controls, and the log form (notes,
//! disposition, sentiment).
//!
//! The panel's state is a [`Reducible`]: the worker's view plus what the rep
//! is typing. A view arriving from the worker never overwrites the rep's
//! unsent notes; once the log is written the form shows what was logged.

use crate::dialpad::{Dialled, Following};
use crate::format;
use crate::reason::{History, PreviousCall, headline, previous_call};
use chrome::bridge;
use chrome::messages::{CallAudio, CallPhase, LogDelivery, PanelCall, PanelView, WorkerRequest};
use gloo_timers::callback::{Interval, Timeout};
use protocol::api::TeamChoices;
use protocol::{CallId, DispositionId, PersonId, SentimentId};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Clone, Default)]
struct PanelState {
    view: Option<PanelView>,
    /// Read from the view's relayed JSON once per view.
    choices: Option<TeamChoices>,
    previous: Option<PreviousCall>,
    notes: String,
    disposition: Option<DispositionId>,
    sentiment: Option<SentimentId>,
    error: Option<String>,
    /// The offscreen document's latest report on this call's audio.
    audio: Option<CallAudio>,
    /// Wall clock, ticked every second for the call timer.
    now: i64,
}

enum Action {
    Loaded(Box<PanelView>),
    Failed(String),
    Notes(String),
    Disposition(Option<DispositionId>),
    Sentiment(Option<SentimentId>),
    Tick(i64),
    Audio(CallAudio),
}

impl Reducible for PanelState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // Reports on other calls' audio (another tab's call) change nothing.
        if let Action::Audio(audio) = &action {
            let ours = self.view.as_ref().and_then(|v| v.call.as_ref());
            if ours.map(|c| c.call_id) != Some(audio.call_id) {
                return self;
            }
        }
        let mut next = Rc::unwrap_or_clone(self);
        match action {
            Action::Loaded(view) => {
                // The logged values win over the form once a log exists.
                if let Some(log) = view.call.as_ref().and_then(|c| c.log.as_ref())
                    && !matches!(log.delivery, LogDelivery::Refused { .. })
                {
                    next.notes = log.notes.clone();
                    next.disposition = log.disposition_id;
                    next.sentiment = log.sentiment_id;
                } else if next.notes.is_empty()
                    && let Some(draft) = view.call.as_ref().and_then(|c| c.draft.clone())
                {
                    // A panel opened again starts from the notes typed so far.
                    next.notes = draft;
                }
                next.choices = chrome::js::from_js(view.choices.clone()).ok();
                next.previous = chrome::js::from_js::<History>(view.history.clone())
                    .ok()
                    .zip(view.call.as_ref())
                    .and_then(|(page, call)| previous_call(&page.calls, call.call_id));
                next.view = Some(*view);
                next.error = None;
            }
            Action::Failed(message) => next.error = Some(message),
            Action::Notes(notes) => next.notes = notes,
            Action::Disposition(id) => next.disposition = id,
            Action::Sentiment(id) => next.sentiment = id,
            Action::Tick(now) => next.now = now,
            Action::Audio(audio) => next.audio = Some(audio),
        }
        Rc::new(next)
    }
}

/// `?call=<id>` when the panel was opened for one call; else the active call.
fn call_from_url() -> Option<CallId> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("call="))
        .and_then(|id| id.parse().ok())
        .map(CallId)
}

fn load(state: UseReducerHandle<PanelState>, call_id: Option<CallId>) {
    spawn_local(async move {
        match bridge::ask_panel(WorkerRequest::Panel { call_id }).await {
            Ok(Some(view)) => state.dispatch(Action::Loaded(view)),
            Ok(None) => state.dispatch(Action::Failed("Unexpected reply from the worker.".into())),
            Err(message) => state.dispatch(Action::Failed(message)),
        }
    });
}

#[function_component(Panel)]
pub fn panel() -> Html {
    let state = use_reducer(|| PanelState {
        now: js_sys::Date::now() as i64,
        ..PanelState::default()
    });
    let following = use_memo((), |_| Following::new(call_from_url()));
    let draft_timer: DraftTimer = use_mut_ref(|| None);

    {
        let state = state.clone();
        let following = (*following).clone();
        use_effect_with((), move |_| {
            load(state.clone(), following.get());
            let reload = state.clone();
            bridge::on_change(move || load(reload.clone(), following.get()));
            let heard = state.clone();
            bridge::on_audio(move |audio| heard.dispatch(Action::Audio(audio)));
            let ticker = state.clone();
            let interval = Interval::new(1000, move || {
                ticker.dispatch(Action::Tick(js_sys::Date::now() as i64))
            });
            move || drop(interval)
        });
    }

    let Some(view) = state.view.as_ref() else {
        return html! {
            <main class="panel">
                <header><h1>{ "Dialer Everywhere" }</h1></header>
                if let Some(message) = state.error.clone() { <p class="error" role="alert">{ message }</p> }
                else { <p class="muted">{ "Loading…" }</p> }
            </main>
        };
    };
    // A dial from this panel: it follows the call placed.
    let dialled: Dialled = {
        let (state, following) = (state.clone(), (*following).clone());
        Callback::from(move |placed: Result<(), String>| match placed {
            Ok(()) => {
                following.follow_active();
                load(state.clone(), None);
            }
            Err(message) => state.dispatch(Action::Failed(message)),
        })
    };
    let Some(call) = view.call.as_ref() else {
        return html! {
            <main class="panel">
                <header><h1>{ "Dialer Everywhere" }</h1></header>
                <p id="no-call" class="muted">{ "No call in progress. Accept an incoming call and it appears here, or call a number." }</p>
                { crate::dialpad::form(dialled) }
                if let Some(message) = state.error.clone() { <p class="error" role="alert">{ message }</p> }
            </main>
        };
    };
    let over = matches!(call.phase, CallPhase::Ended | CallPhase::Gone);

    html! {
        <main class="panel">
            <header><h1>{ "Dialer Everywhere" }</h1></header>
            if let Some(note) = view.crm_note.clone() { <p id="crm-note" class="callout">{ note }</p> }
            { caller(call, &state) }
            { reason(state.previous.as_ref()) }
            { call_state(call, state.now) }
            { audio(&state, call) }
            { crate::waiting::held(call, failed(&state)) }
            { crate::waiting::others(&view.others, failed(&state)) }
            { move_section(&state, call) }
            { log_form(&state, call, &draft_timer) }
            if over {
                { crate::dialpad::call_again(call, dialled.clone()) }
                { crate::dialpad::form(dialled) }
            }
        </main>
    }
}

fn caller(call: &PanelCall, state: &UseReducerHandle<PanelState>) -> Html {
    let person = &call.person;
    html! {
        <section class="caller">
            <h2 id="caller-name" dir="auto">{ person.display_name().to_owned() }</h2>
            <p id="caller-details" dir="auto">{ person.details() }</p>
            <p id="caller-number" class="muted">{ person.number.clone() }</p>
            { others(call, state) }
        </section>
    }
}

/// Other People of the rep's on the same number: the rep can say the call
/// is from one of them (and the log goes to them).
fn others(call: &PanelCall, state: &UseReducerHandle<PanelState>) -> Html {
    if call.also.is_empty() {
        return html! {};
    }
    let on_choose = {
        let (state, call_id) = (state.clone(), call.call_id);
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            let Ok(id) = value.parse() else { return };
            let state = state.clone();
            spawn_local(async move {
                let request = WorkerRequest::ChoosePerson {
                    call_id,
                    person_id: PersonId(id),
                };
                if let Err(message) = bridge::ask_panel(request).await {
                    state.dispatch(Action::Failed(message));
                }
            });
        })
    };
    let options = call.also.iter().filter_map(|p| {
        let id = p.id?;
        let label = match p.account.as_deref() {
            Some(account) => format!("{} · {account}", p.display_name()),
            None => p.display_name().to_owned(),
        };
        Some(html! { <option value={id.0.to_string()} dir="auto">{ label }</option> })
    });
    html! {
        <label class="also">{ format!("{} more on this number. The call is from:", call.also.len()) }
            <select id="person-choice" onchange={on_choose}>
                <option value="" selected=true>{ call.person.display_name().to_owned() }</option>
                { for options }
            </select>
        </label>
    }
}

fn reason(previous: Option<&PreviousCall>) -> Html {
    let body = match previous {
        Some(previous) => html! {
            <>
                <p id="reason-line">{ headline(previous, &format::day(previous.at)) }</p>
                if let Some(line) = previous.note_line.clone() { <blockquote id="reason-note" dir="auto">{ line }</blockquote> }
            </>
        },
        None => html! { <p class="muted">{ "No earlier call on record." }</p> },
    };
    html! {
        <section id="reason" class="reason">
            <h3>{ "Why they are calling back" }</h3>
            { body }
        </section>
    }
}

fn call_state(call: &PanelCall, now: i64) -> Html {
    // A call the rep dialled here can be hung up while it rings.
    let dialling = call.outbound && call.phase == CallPhase::Accepting;
    let (label, timer) = match call.phase {
        CallPhase::Accepting if dialling && call.remote_ringing => ("Ringing…", None),
        CallPhase::Accepting if dialling => ("Calling…", None),
        CallPhase::Ringing | CallPhase::Accepting => ("Connecting…", None),
        CallPhase::Connected if call.held => ("On hold", call.answered_at.map(|at| now - at)),
        CallPhase::Ended if call.dial_result.is_some() => {
            (call.dial_result.as_deref().unwrap_or("Call ended"), None)
        }
        CallPhase::Connected => ("On call", call.answered_at.map(|at| now - at)),
        CallPhase::OnPhone => ("On your phone", call.answered_at.map(|at| now - at)),
        CallPhase::Ended => (
            "Call ended",
            call.answered_at.zip(call.ended_at).map(|(a, e)| e - a),
        ),
        CallPhase::Gone => ("Not answered here", None),
    };
    let hang_up = {
        let call_id = call.call_id;
        Callback::from(move |_| {
            spawn_local(async move {
                if let Err(message) = bridge::ask_panel(WorkerRequest::HangUp { call_id }).await {
                    web_sys::console::warn_1(&message.into());
                }
            })
        })
    };
    html! {
        <section class="call-state">
            <span id="call-state" data-phase={call.phase.as_str()} role="status" aria-live="polite">{ label }</span>
            if let Some(elapsed) = timer { <span id="call-timer" class="timer">{ protocol::duration_text(elapsed) }</span> }
            if call.phase == CallPhase::Connected || dialling { <button id="hang-up" class="danger" onclick={hang_up}>{ "Hang up" }</button> }
        </section>
    }
}

/// Audio controls while the call is on; a line saying so when the server
/// offered no audio for it.
fn audio(state: &UseReducerHandle<PanelState>, call: &PanelCall) -> Html {
    if call.phase != CallPhase::Connected {
        return html! {};
    }
    if !call.audio {
        return html! { <p id="no-audio" class="muted">{ "This call has no audio in Chrome." }</p> };
    }
    let audio = state.audio.as_ref().filter(|a| a.call_id == call.call_id);
    let failed = {
        let state = state.clone();
        Callback::from(move |message| state.dispatch(Action::Failed(message)))
    };
    html! {
        <>
            { crate::audio::controls(call.call_id, audio, failed.clone()) }
            { crate::keypad::keypad(call, failed) }
        </>
    }
}

/// Where a request the worker refused says why.
fn failed(state: &UseReducerHandle<PanelState>) -> Callback<String> {
    let state = state.clone();
    Callback::from(move |message| state.dispatch(Action::Failed(message)))
}

fn move_section(state: &UseReducerHandle<PanelState>, call: &PanelCall) -> Html {
    let audio = state.audio.as_ref().filter(|a| a.call_id == call.call_id);
    crate::move_to_phone::section(call, audio, failed(state))
}

/// The notes the worker is told of a moment after the last key.
type DraftTimer = Rc<std::cell::RefCell<Option<Timeout>>>;

/// How long after the last key the notes go to the worker.
const DRAFT_DELAY_MS: u32 = 400;

fn log_form(
    state: &UseReducerHandle<PanelState>,
    call: &PanelCall,
    draft_timer: &DraftTimer,
) -> Html {
    let delivery = call.log.as_ref().map(|log| &log.delivery);
    let locked = matches!(
        delivery,
        Some(LogDelivery::Logged | LogDelivery::Queued { .. })
    );
    let choices = state.choices.clone().unwrap_or(TeamChoices {
        dispositions: Vec::new(),
        sentiments: Vec::new(),
        disposition_required: false,
    });
    let loggable = call.phase.loggable();

    let on_notes = {
        let (state, draft_timer) = (state.clone(), draft_timer.clone());
        let call_id = call.call_id;
        Callback::from(move |e: InputEvent| {
            let notes = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            state.dispatch(Action::Notes(notes.clone()));
            // The worker keeps the notes as they are typed (a moment after
            // the last key), so closing the tab loses nothing.
            *draft_timer.borrow_mut() = Some(Timeout::new(DRAFT_DELAY_MS, move || {
                spawn_local(async move {
                    let _ = bridge::ask_panel(WorkerRequest::Draft { call_id, notes }).await;
                });
            }));
        })
    };
    let on_disposition = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            state.dispatch(Action::Disposition(value.parse().ok().map(DispositionId)));
        })
    };
    let on_sentiment = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            state.dispatch(Action::Sentiment(value.parse().ok().map(SentimentId)));
        })
    };
    let missing_disposition = choices.disposition_required && state.disposition.is_none();
    let on_log = {
        let state = state.clone();
        let call_id = call.call_id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = WorkerRequest::Log {
                call_id,
                notes: state.notes.clone(),
                disposition_id: state.disposition,
                sentiment_id: state.sentiment,
            };
            let state = state.clone();
            spawn_local(async move {
                if let Err(message) = bridge::ask_panel(request).await {
                    state.dispatch(Action::Failed(message));
                }
            });
        })
    };

    let status = match delivery {
        Some(LogDelivery::Logged) => {
            html! { <p id="log-status" class="state ok" data-state="logged">{ "Logged ✓ Disposition and sentiment are final; notes can be edited on the Calls page." }</p> }
        }
        Some(LogDelivery::Queued { attempts: 0, .. }) => {
            html! { <p id="log-status" class="state warn" data-state="queued">{ "Logging…" }</p> }
        }
        Some(LogDelivery::Queued { last_error, .. }) => html! {
            <p id="log-status" class="state warn" data-state="queued">
                { "Saved in this browser; it will be sent when the Ringback server is reachable. Nothing is lost if you close this tab." }
                if let Some(reason) = last_error.clone() { <br /><span class="muted">{ reason }</span> }
            </p>
        },
        Some(LogDelivery::Refused { message }) => {
            html! { <p id="log-status" class="state bad" data-state="refused">{ format!("Not logged: {message}") }</p> }
        }
        None => html! {},
    };

    html! {
        <form id="log-form" class="log" onsubmit={on_log}>
            <label>{ "Notes" }
                <textarea id="notes" dir="auto" rows="5" value={state.notes.clone()} oninput={on_notes} disabled={locked} placeholder="What was said, next steps…" />
            </label>
            <label>{ if choices.disposition_required { "Disposition (required)" } else { "Disposition" } }
                <select id="disposition" onchange={on_disposition} disabled={locked}>
                    <option value="" selected={state.disposition.is_none()}>{ "Choose…" }</option>
                    { for choices.dispositions.iter().filter(|d| !d.retired || Some(d.id) == state.disposition).map(|d| html! {
                        <option value={d.id.0.to_string()} selected={Some(d.id) == state.disposition}>{ d.label.clone() }</option>
                    }) }
                </select>
            </label>
            <label>{ "Sentiment" }
                <select id="sentiment" onchange={on_sentiment} disabled={locked}>
                    <option value="" selected={state.sentiment.is_none()}>{ "Choose…" }</option>
                    { for choices.sentiments.iter().filter(|s| !s.retired || Some(s.id) == state.sentiment).map(|s| html! {
                        <option value={s.id.0.to_string()} selected={Some(s.id) == state.sentiment}>{ s.label.clone() }</option>
                    }) }
                </select>
            </label>
            if let Some(message) = state.error.clone() { <p id="panel-error" class="error" role="alert">{ message }</p> }
            { status }
            if !locked {
                <button id="log-call" type="submit" disabled={!loggable || missing_disposition}
                    title={if missing_disposition { "Choose a disposition first" } else { "" }}>{ "Log call" }</button>
            }
        </form>
    }
}
