//! "Test ring", on the options page and in the popup: the worker has the
//! server ring this browser with a test call, and this shows each step's
//! time, then "You will hear calls in this browser" or the step that failed
//! and what to do.

use chrome::bridge;
use chrome::messages::{
    StatusView, TestRingReport, TestRingRun, TestStep, WorkerReply, WorkerRequest,
};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
enum Run {
    Idle,
    Ringing,
    Done(TestRingReport),
    /// The worker itself could not be asked.
    Failed(String),
}

#[function_component(TestRing)]
pub fn test_ring() -> Html {
    let run = use_state(|| Run::Idle);
    let on_test = {
        let run = run.clone();
        Callback::from(move |_| {
            let run = run.clone();
            run.set(Run::Ringing);
            spawn_local(async move {
                let outcome = match bridge::ask(WorkerRequest::TestRing).await {
                    Ok(WorkerReply::TestRing(raw)) => chrome::js::from_js::<TestRingRun>(raw)
                        .map_err(|e| chrome::js::error_text(&e)),
                    Ok(_) => Err("Unexpected reply from the worker.".into()),
                    Err(message) => Err(message),
                };
                let availability = match bridge::ask(WorkerRequest::Status).await {
                    Ok(WorkerReply::Status(status)) => Some(status),
                    _ => None,
                };
                let now = js_sys::Date::now() as i64;
                run.set(match outcome {
                    Ok(test) => Run::Done(
                        test.report(
                            availability
                                .map(|s: StatusView| s.availability(now))
                                .unwrap_or_default(),
                            now,
                        ),
                    ),
                    Err(message) => Run::Failed(message),
                });
            });
        })
    };
    let result = match &*run {
        Run::Idle => html! {},
        Run::Ringing => html! { <p class="muted" role="status">{ "Ringing this browser…" }</p> },
        Run::Failed(message) => html! {
            <p id="test-ring-verdict" class="state bad" data-ok="false" role="alert">{ message.clone() }</p>
        },
        Run::Done(report) => report_view(report),
    };
    html! {
        <section id="test-ring-section">
            <h2>{ "Test ring" }</h2>
            <p class="muted">{ "Rings this browser with a test call, as a prospect's call would: nothing is logged and your phone does not ring." }</p>
            <button id="test-ring" onclick={on_test} disabled={*run == Run::Ringing}>{ "Test ring" }</button>
            { result }
        </section>
    }
}

fn report_view(report: &TestRingReport) -> Html {
    let failed_step = report.failure.as_ref().map(|f| f.step);
    let rows = TestStep::ALL.into_iter().map(|step| {
        let time = report.steps.iter().find(|s| s.step == step);
        let (class, text) = match (time, failed_step) {
            (Some(time), _) => ("ok", format!("{} ms", time.after_ms)),
            (None, Some(failed)) if failed == step => ("bad", "failed".to_owned()),
            (None, _) => ("muted", "not reached".to_owned()),
        };
        html! {
            <tr class="step" data-step={step.as_str()} data-ms={time.map(|t| t.after_ms.to_string())}>
                <td>{ step.label() }</td>
                <td class={classes!("state", class)}>{ text }</td>
            </tr>
        }
    });
    html! {
        <div id="test-ring-result" data-ok={report.passed().to_string()}>
            <table class="steps">{ for rows }</table>
            <p id="test-ring-verdict" class={classes!("state", if report.passed() { "ok" } else { "bad" })} role="status">
                { report.verdict.clone() }
            </p>
            if let Some(failure) = &report.failure {
                <p id="test-ring-failure" class="callout">{ failure.message.clone() }</p>
            }
            if let Some(note) = &report.note {
                <p id="test-ring-note" class="callout">{ note.clone() }</p>
            }
        </div>
    }
}
