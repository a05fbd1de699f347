//! How pages talk to the worker over `chrome.runtime` messaging.

use crate::api::{call, runtime};
use crate::messages::{
    CallAudio, Envelope, PageNotice, PanelReply, PanelView, Target, WorkerReply, WorkerRequest,
};
use wasm_bindgen::prelude::*;

/// Send a request to the worker and wait for its reply, unread.
async fn ask_raw(request: WorkerRequest) -> Result<JsValue, String> {
    let message = crate::js::to_js(&Envelope::new(Target::Worker, request))
        .map_err(|e| crate::js::error_text(&e))?;
    call(runtime::send_message(&message)).await.map_err(|e| {
        format!(
            "Ringback's background worker did not answer ({}). Reload the page.",
            crate::js::error_text(&e)
        )
    })
}

/// The panel's requests: `Some(view)` for a [`WorkerRequest::Panel`],
/// `None` when the worker says done. The error is a sentence for the rep.
pub async fn ask_panel(request: WorkerRequest) -> Result<Option<Box<PanelView>>, String> {
    match crate::js::from_js::<PanelReply>(ask_raw(request).await?) {
        Ok(PanelReply::Panel(view)) => Ok(Some(view)),
        Ok(PanelReply::Done) => Ok(None),
        Ok(PanelReply::Error { message }) => Err(message),
        Err(error) => Err(format!(
            "Unreadable reply from the worker: {}",
            crate::js::error_text(&error)
        )),
    }
}

/// Send a request to the worker and wait for its reply. The error is a
/// sentence for the rep.
pub async fn ask(request: WorkerRequest) -> Result<WorkerReply, String> {
    match crate::js::from_js::<WorkerReply>(ask_raw(request).await?) {
        Ok(WorkerReply::Error { message }) => Err(message),
        Ok(reply) => Ok(reply),
        Err(error) => Err(format!(
            "Unreadable reply from the worker: {}",
            crate::js::error_text(&error)
        )),
    }
}

/// Call `changed` whenever the worker says the status or a call changed.
/// Returns nothing to drop: the listener lives as long as the page.
///
/// Only `{"to": "pages", "body": "changed"}` counts, read field by field:
/// reading it as a [`PageNotice`] would carry the call-audio report's reader
/// into the options page, which never shows one (2.6 KB of its wasm).
pub fn on_change(changed: impl Fn() + 'static) {
    let listener = Closure::<dyn FnMut(JsValue) -> bool>::new(move |message: JsValue| {
        let is = |name: &str, value: &str| {
            js_sys::Reflect::get(&message, &name.into()).is_ok_and(|field| field == value)
        };
        if is("to", "pages") && is("body", "changed") {
            changed();
        }
        false
    });
    runtime::add_message_listener(listener.into_js_value().unchecked_ref());
}

/// Call `heard` with each call-audio report the offscreen document
/// broadcasts (a few times a second while a call's audio is up). Lives as
/// long as the page, like [`on_change`].
pub fn on_audio(heard: impl Fn(CallAudio) + 'static) {
    let listener = Closure::<dyn FnMut(JsValue) -> bool>::new(move |message: JsValue| {
        if let Ok(Envelope {
            to: Target::Pages,
            body: PageNotice::Audio(audio),
        }) = crate::js::from_js::<Envelope<PageNotice>>(message)
        {
            heard(audio);
        }
        false
    });
    runtime::add_message_listener(listener.into_js_value().unchecked_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `on_change` looks for, as the worker writes it.
    #[test]
    fn the_changed_notice_is_a_plain_string_body() {
        let json = serde_json::to_value(Envelope::new(Target::Pages, PageNotice::Changed))
            .expect("serialises");
        assert_eq!(json, serde_json::json!({"to": "pages", "body": "changed"}));
    }
}
