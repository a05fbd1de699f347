//! The CRM tab and the Dialer Everywhere panel injected into it.
//!
//! Accept opens the Person's CRM record in a new tab. CRMs put a login page
//! in the way, for as long as the rep takes to sign in, so the worker does
//! not inject at once: it remembers the tab and, each time that tab finishes
//! loading, checks whether it now shows the record ([`rules::shows_record`]).
//! The content script only adds a shadow-root host with an iframe of the
//! extension's `panel.html`; the panel runs there, under the extension's CSP,
//! and the CRM page cannot read it.

use crate::http::Api;
use crate::js_read;
use crate::rules;
use crate::state::{self, CallEntry, PanelTab};
use chrome::api::{call, scripting, tabs, windows};
use protocol::{CallId, PersonId};
use serde::Serialize;
use wasm_bindgen::JsValue;

#[derive(Serialize)]
struct CreateTab {
    url: String,
    active: bool,
}

/// The fields of a `tabs.Tab` the worker reads.
#[derive(Debug, Default)]
pub struct Tab {
    pub id: Option<i32>,
    pub url: Option<String>,
    pub status: Option<String>,
    pub window_id: Option<i32>,
}

impl Tab {
    /// Read by hand ([`crate::js_read`]): a tab is read on every page load.
    pub fn read(tab: &JsValue) -> Self {
        Self {
            id: js_read::int(tab, "id"),
            url: js_read::string(tab, "url"),
            status: js_read::string(tab, "status"),
            window_id: js_read::int(tab, "windowId"),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Injection {
    target: InjectionTarget,
    files: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InjectionTarget {
    tab_id: i32,
}

async fn create_tab(url: String) -> Option<Tab> {
    let properties = chrome::js::to_js(&CreateTab { url, active: true }).ok()?;
    let tab = call(tabs::create(&properties)).await.ok()?;
    let tab = Tab::read(&tab);
    if let Some(window_id) = tab.window_id {
        #[derive(Serialize)]
        struct Focus {
            focused: bool,
        }
        if let Ok(focus) = chrome::js::to_js(&Focus { focused: true }) {
            let _ = call(windows::update(window_id, &focus)).await;
        }
    }
    Some(tab)
}

/// Where Accept takes the rep: the CRM record, else the server's page for
/// the Person, else (unknown caller) the panel on its own, in `call.html`:
/// an extension page that is not web-accessible, so it keeps its static URL
/// (`panel.html` is framed only at its per-session dynamic URL).
fn record_url(entry: &CallEntry) -> String {
    let person = &entry.call.person;
    if let Some(url) = person.crm_url.as_deref().filter(|u| u.starts_with("http")) {
        return url.to_owned();
    }
    let server = state::read(|s| s.durable.session.as_ref().map(|s| s.server.clone()));
    match (person.id, server) {
        (Some(id), Some(server)) => format!("{server}/people/{}", id.0),
        _ => chrome::api::runtime::get_url(&format!("call.html?call={}", entry.call.call_id.0)),
    }
}

pub async fn open_record(entry: &CallEntry) {
    let url = record_url(entry);
    let call_id = entry.call.call_id;
    let standalone = url.starts_with("chrome-extension://");
    let Some(tab_id) = create_tab(url.clone()).await.and_then(|tab| tab.id) else {
        return open_window(call_id).await;
    };
    if standalone {
        return;
    }
    let _ = state::live(|live| {
        live.panel_tab = Some(PanelTab {
            tab_id,
            record_url: url,
            injected: false,
            call_id: Some(call_id),
            note: None,
        })
    })
    .await;
    // After Accept there is always a panel: if the record has not shown by
    // then (a login the rep has not got through, a CRM that is down or a
    // stale link), the call's controls come anyway.
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(RECORD_WAIT_MS).await;
        let waiting = state::read(|s| {
            s.live
                .panel_tab
                .as_ref()
                .is_some_and(|t| t.tab_id == tab_id && !t.injected)
        });
        if waiting && state::read(|s| s.live.needs_a_panel(call_id)) {
            panel_anyway(Some(tab_id), call_id, Missing::NotYet).await;
        }
    });
    // A page served from cache may have finished loading already.
    if let Ok(tab) = call(tabs::get(tab_id)).await {
        on_tab_updated(tab_id, Tab::read(&tab)).await;
    }
}

/// How long the record may take to show before the panel comes anyway.
const RECORD_WAIT_MS: u32 = 6_000;

/// Why the panel is not on the CRM record.
#[derive(Clone, Copy)]
enum Missing {
    /// Not shown yet: a login the rep has not got through, a stale link.
    NotYet,
    /// The page failed (Chrome's error page takes no script).
    Failed,
    /// The rep closed the tab.
    Closed,
}

impl Missing {
    /// What the panel says.
    fn note(self) -> &'static str {
        match self {
            Self::NotYet => {
                "The CRM record has not opened yet (sign in to your CRM, or check the \
                 Person's CRM link): the call's controls are here meanwhile."
            }
            Self::Failed => {
                "The CRM page did not load (the CRM may be down, or the link is wrong): \
                 the call's controls are here instead."
            }
            Self::Closed => {
                "The CRM tab was closed: the call goes on here, with the notes typed so far."
            }
        }
    }
}

/// The panel where the record is not, saying why: in `tab` if there is
/// one still worth trying (the record has not shown yet) and its page takes
/// the panel, else in a small window of its own.
async fn panel_anyway(tab: Option<i32>, call_id: CallId, why: Missing) {
    let _ = state::live(|live| {
        if let Some(t) = live
            .panel_tab
            .as_mut()
            .filter(|t| t.call_id == Some(call_id))
        {
            t.note = Some(why.note().to_owned());
        }
    })
    .await;
    let in_the_tab = match (why, tab) {
        (Missing::NotYet, Some(tab_id)) => inject(tab_id).await,
        _ => false,
    };
    if !in_the_tab {
        open_window(call_id).await;
    }
}

/// The panel for one call in a small window (`call.html`, an extension page).
async fn open_window(call_id: CallId) {
    #[derive(Serialize)]
    struct PopupWindow {
        url: String,
        r#type: &'static str,
        width: u32,
        height: u32,
        focused: bool,
    }
    let window = PopupWindow {
        url: chrome::api::runtime::get_url(&format!("call.html?call={}", call_id.0)),
        r#type: "popup",
        width: 400,
        height: 680,
        focused: true,
    };
    if let Ok(window) = chrome::js::to_js(&window) {
        let _ = call(windows::create(&window)).await;
    }
}

/// The notes typed in a panel, kept until the call is logged (bounded like
/// a log's notes).
pub async fn keep_draft(call_id: CallId, notes: String) {
    let notes: String = notes.chars().take(MAX_DRAFT_CHARS).collect();
    let changed = state::read(|s| {
        s.live
            .entry(call_id)
            .is_some_and(|e| e.log.is_none() && e.draft.as_ref() != Some(&notes))
    });
    if changed {
        let _ = state::live(|live| {
            if let Some(entry) = live.entry_mut(call_id) {
                entry.draft = Some(notes);
            }
        })
        .await;
    }
}

const MAX_DRAFT_CHARS: usize = 10_000;

/// The rep said the call is from another of the People on the number: the
/// server moves the call (and its log to come) to them and remembers the
/// choice for the number; then the panel shows them.
pub async fn choose_person(call_id: CallId, person_id: PersonId) -> Result<(), String> {
    let offered = state::read(|s| {
        s.live
            .entry(call_id)
            .is_some_and(|e| e.call.also.iter().any(|p| p.id == Some(person_id)))
    });
    if !offered {
        return Err("That Person is not one of those on this number.".into());
    }
    let Some(session) = state::read(|s| s.durable.session.clone()) else {
        return Err("You are signed out: sign in again in Ringback's options.".into());
    };
    #[derive(Serialize)]
    struct Choice {
        person_id: PersonId,
    }
    let body = chrome::js::to_js(&Choice { person_id }).map_err(|e| chrome::js::error_text(&e))?;
    Api::for_session(&session)
        .put_raw(&format!("/calls/{}/person", call_id.0), body)
        .await
        .map_err(|e| e.message())?;
    let _ = state::live(|live| live.choose_person(call_id, person_id)).await;
    crate::panel_view::forget_history();
    crate::notify_pages();
    Ok(())
}

/// `tabs.onRemoved`: forget the tab; if it held the panel of a call the rep
/// still needs one for, and no other tab has the panel, it comes back in a
/// window of its own with the notes typed so far.
pub async fn tab_closed(tab_id: i32) {
    let (had_panel, call_id) = state::read(|s| {
        let accept_tab = s.live.panel_tab.as_ref().filter(|t| t.tab_id == tab_id);
        let had_panel =
            s.live.injected_tabs.contains(&tab_id) || accept_tab.is_some_and(|t| t.note.is_some());
        (
            had_panel,
            accept_tab.and_then(|t| t.call_id).or(s.live.active_call),
        )
    });
    forget_tab(tab_id).await;
    let Some(call_id) = call_id else { return };
    let elsewhere = state::read(|s| !s.live.injected_tabs.is_empty());
    if had_panel && !elsewhere && state::read(|s| s.live.needs_a_panel(call_id)) {
        panel_anyway(None, call_id, Missing::Closed).await;
    }
}

/// Options page, optionally at a section (`#microphone`).
pub async fn open_options(section: Option<&str>) {
    let mut url = chrome::api::runtime::get_url("options.html");
    if let Some(section) = section {
        url = format!("{url}#{section}");
    }
    create_tab(url).await;
}

/// `tabs.onUpdated`: inject once the Accept tab shows the record; forget a
/// panel's tab that went to another site.
pub async fn on_tab_updated(tab_id: i32, tab: Tab) {
    check_injected_tab(tab_id, &tab).await;
    let Some(target) = state::read(|s| s.live.panel_tab.clone()) else {
        return;
    };
    if target.tab_id != tab_id || target.injected || tab.status.as_deref() != Some("complete") {
        return;
    }
    let Some(url) = tab.url else { return };
    if !rules::shows_record(&url, &target.record_url) {
        return;
    }
    if inject(tab_id).await {
        let _ = state::live(|live| {
            if let Some(t) = live.panel_tab.as_mut().filter(|t| t.tab_id == tab_id) {
                t.injected = true;
                t.note = None;
            }
        })
        .await;
    } else if let Some(call_id) = target.call_id
        && state::read(|s| s.live.needs_a_panel(call_id))
    {
        // At the record's address but no page to put the panel in: the
        // browser's error page (the CRM is down, or the host is unknown).
        let _ = state::live(|live| {
            if let Some(t) = live.panel_tab.as_mut().filter(|t| t.tab_id == tab_id) {
                t.injected = true;
            }
        })
        .await;
        panel_anyway(None, call_id, Missing::Failed).await;
    }
}

/// The context-menu item "Open Dialer here".
pub async fn on_context_menu(tab: Tab) {
    if let Some(tab_id) = tab.id {
        inject(tab_id).await;
    }
}

/// Forgets a tab the panel was put into (it closed, or left that site).
pub async fn forget_tab(tab_id: i32) {
    let known = state::read(|s| s.live.injected_tabs.contains(&tab_id));
    if known {
        let _ = state::live(|live| {
            live.injected_tabs.retain(|&t| t != tab_id);
            live.injected_origins.retain(|(t, _)| *t != tab_id);
        })
        .await;
    }
}

/// A tab the panel is in changed: forgotten if it now shows another site.
async fn check_injected_tab(tab_id: i32, tab: &Tab) {
    let Some(url) = tab.url.as_deref() else {
        return;
    };
    let origin = state::read(|s| {
        s.live
            .injected_origins
            .iter()
            .find(|(t, _)| *t == tab_id)
            .map(|(_, origin)| origin.clone())
    });
    if let Some(origin) = origin
        && !rules::still_same_site(&origin, url)
    {
        forget_tab(tab_id).await;
    }
}

async fn inject(tab_id: i32) -> bool {
    let injection = Injection {
        target: InjectionTarget { tab_id },
        files: ["content.js"],
    };
    let Ok(injection) = chrome::js::to_js(&injection) else {
        return false;
    };
    // The site it shows now: leaving it forgets the tab.
    let origin = match call(tabs::get(tab_id)).await {
        Ok(tab) => Tab::read(&tab).url.and_then(|url| rules::origin_of(&url)),
        Err(_) => None,
    };
    // Allowed before the panel loads and asks.
    let _ = state::live(|live| {
        if !live.injected_tabs.contains(&tab_id) {
            live.injected_tabs.push(tab_id);
            let excess = live.injected_tabs.len().saturating_sub(50);
            live.injected_tabs.drain(..excess);
        }
        live.injected_origins.retain(|(t, _)| *t != tab_id);
        if let Some(origin) = origin {
            live.injected_origins.push((tab_id, origin));
            let excess = live.injected_origins.len().saturating_sub(50);
            live.injected_origins.drain(..excess);
        }
    })
    .await;
    match call(scripting::execute_script(&injection)).await {
        Ok(_) => true,
        Err(error) => {
            web_sys::console::warn_2(
                &"ringback: could not add the panel to the tab".into(),
                &error,
            );
            // No panel there after all (an error page, a page Chrome keeps
            // extensions from).
            forget_tab(tab_id).await;
            false
        }
    }
}
