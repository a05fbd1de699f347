//! "Test ring": the server rings this browser with a test call, and the
//! worker times each step of the ring path as a real call takes it — the
//! server's message, its arrival here, the notification, the ringtone — and
//! stops at the first that fails. What the rep reads is made from that by
//! the page, with the core (`worker_core::TestRingReport`); this is the
//! doing and the timing.
//!
//! A test call is nothing to the call logic: no call entry, no phone leg,
//! no log. It rings for [`TEST_RING_MS`], or until its notification is
//! pressed or dismissed.

use crate::{calls, offscreen, ringtone, socket, state};
use chrome::api::{call, notifications};
use chrome::messages::{OffscreenCommand, TestRingRun};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Promise};
use protocol::UnixMillis;
use protocol::signal::ClientMessage;
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;
use worker_core::test_ring::{SERVER_WAIT_MS, TEST_NOTIFICATION, TEST_RING_MS};
use worker_core::{StepFailure, TestStep};

thread_local! {
    /// The test waiting for the server: its message id, and the resolver of
    /// the promise [`run`] awaits. One at a time: a new test replaces it.
    static WAITING: RefCell<Option<(String, Function)>> = const { RefCell::new(None) };
    /// Until when the test rings (ms since the epoch; 0 when not ringing).
    static RINGS_UNTIL: Cell<f64> = const { Cell::new(0.0) };
}

/// Runs a test ring; what happened, a [`TestRingRun`] for the page.
pub async fn run() -> JsValue {
    let asked_at = state::now();
    let mut happened = Vec::new();
    let failure = ring_path(&mut happened).await.err();
    chrome::js::to_js(&TestRingRun {
        asked_at,
        happened,
        failure,
    })
    .unwrap_or(JsValue::NULL)
}

/// Whether the test wants the ringtone on (read with the calls' ringing).
pub fn ringing() -> bool {
    js_sys::Date::now() < RINGS_UNTIL.with(Cell::get)
}

/// The server's answer to the test's message `id`.
pub fn on_reply(id: &str, sent_at: UnixMillis) {
    let waiting = WAITING.with(|w| {
        let mut w = w.borrow_mut();
        match w.as_ref() {
            Some((waiting_for, _)) if waiting_for == id => w.take(),
            _ => None,
        }
    });
    if let Some((_, resolve)) = waiting {
        let times = js_sys::Array::of2(&(sent_at as f64).into(), &js_sys::Date::now().into());
        let _ = resolve.call1(&JsValue::UNDEFINED, &times);
    }
}

/// The test's notification was pressed or dismissed: stop ringing.
pub async fn end() {
    RINGS_UNTIL.with(|r| r.set(0.0));
    let _ = call(notifications::clear(TEST_NOTIFICATION)).await;
    ringtone::update().await;
}

fn failed(step: TestStep, message: impl Into<String>) -> StepFailure {
    StepFailure {
        step,
        message: message.into(),
    }
}

async fn ring_path(happened: &mut Vec<(TestStep, UnixMillis)>) -> Result<(), StepFailure> {
    let (sent_at, received_at) = ask_the_server().await?;
    happened.push((TestStep::ServerSent, sent_at));
    happened.push((TestStep::WorkerReceived, received_at));

    let level = call(notifications::get_permission_level())
        .await
        .ok()
        .and_then(|level| level.as_string());
    if level.as_deref() == Some("denied") {
        return Err(failed(
            TestStep::NotificationShown,
            "Chrome does not allow Ringback's notifications. Allow them for Ringback in \
             Chrome's settings (chrome://settings/content/notifications) and in your computer's \
             notification settings, then test again.",
        ));
    }
    calls::show_test_ring().await.map_err(|error| {
        failed(
            TestStep::NotificationShown,
            format!(
                "Chrome did not show the notification ({error}). Check that notifications are \
                 allowed for Chrome in your computer's settings, then test again."
            ),
        )
    })?;
    happened.push((TestStep::NotificationShown, state::now()));

    RINGS_UNTIL.with(|r| r.set(js_sys::Date::now() + f64::from(TEST_RING_MS)));
    wasm_bindgen_futures::spawn_local(async {
        TimeoutFuture::new(TEST_RING_MS).await;
        if !ringing() {
            end().await;
        }
    });
    let status = offscreen::ask(&OffscreenCommand::Ring, true, 3000).await;
    let playing = status
        .as_ref()
        .and_then(|status| js_sys::Reflect::get(status, &"ringing".into()).ok())
        .and_then(|ringing| ringing.as_bool())
        .unwrap_or(false);
    if !playing {
        return Err(failed(
            TestStep::RingtonePlaying,
            "The ringtone did not start: Ringback's audio page did not answer. Reload the \
             extension at chrome://extensions, then test again.",
        ));
    }
    happened.push((TestStep::RingtonePlaying, state::now()));
    Ok(())
}

/// Sends the test over this browser's socket; returns when the server sent
/// its answer (its clock) and when it arrived (this one).
async fn ask_the_server() -> Result<(UnixMillis, UnixMillis), StepFailure> {
    if state::read(|s| s.durable.session.is_none()) {
        return Err(failed(
            TestStep::ServerSent,
            "You are signed out: sign in, then test again.",
        ));
    }
    if !socket::is_open() {
        let why = state::read(|s| s.transient.last_error.clone())
            .unwrap_or_else(|| "still connecting".into());
        return Err(failed(
            TestStep::ServerSent,
            format!(
                "Not connected to the Ringback server ({why}). Check the server address and \
                 that the server is running; Ringback reconnects by itself, so test again in a \
                 moment."
            ),
        ));
    }
    let id = socket::message_id("test");
    let answered = Promise::new(&mut |resolve, _| {
        WAITING.with(|w| *w.borrow_mut() = Some((id.clone(), resolve)));
    });
    if !socket::send(&ClientMessage::TestRing { id }) {
        WAITING.with(|w| w.borrow_mut().take());
        return Err(failed(
            TestStep::ServerSent,
            "The connection to the server dropped as the test was sent: test again in a moment.",
        ));
    }
    let timeout = offscreen::timer(SERVER_WAIT_MS);
    let reply = wasm_bindgen_futures::JsFuture::from(Promise::race(&js_sys::Array::of2(
        &answered, &timeout,
    )))
    .await
    .ok()
    .filter(|reply| reply.is_object());
    WAITING.with(|w| w.borrow_mut().take());
    let times = reply.map(|reply| js_sys::Array::from(&reply)).ok_or_else(|| {
        failed(
            TestStep::ServerSent,
            "The server did not answer within 5 seconds. Check that it runs the same version as \
             this extension and is not overloaded, then test again.",
        )
    })?;
    let at = |i| times.get(i).as_f64().unwrap_or_default() as UnixMillis;
    Ok((at(0), at(1)))
}
