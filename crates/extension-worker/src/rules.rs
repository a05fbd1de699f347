//! Decisions the worker makes that need no browser: how long to wait before
//! reconnecting, what a notification says, when a tab shows the CRM record.
//! Kept free of I/O so they are tested natively.

use protocol::PersonSnapshot;
use std::time::Duration;

/// First retry after a dropped socket.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Never wait longer than this between attempts, so a rep is back within
/// half a minute of the server returning.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// Delay before reconnect attempt `attempt` (0-based): exponential, capped, with
/// "equal jitter" — half fixed, half random — so a server restart is not met
/// by every rep's browser in the same millisecond. `random` is in `[0, 1)`.
pub fn backoff_delay(attempt: u32, random: f64) -> Duration {
    let exponential = BACKOFF_BASE.saturating_mul(1u32 << attempt.min(16));
    let ceiling = exponential.min(BACKOFF_CAP);
    let half = ceiling / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

/// What the ringing notification shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingText {
    pub title: String,
    pub message: String,
    pub context: String,
}

/// Name as title ("Jane Doe and 1 other" when `others` more of the rep's
/// People share the number); job title and account as the message; for an
/// unknown caller, the number. When the microphone is not allowed the
/// context line says so, because Accept will open the microphone page instead.
pub fn ring_text(person: &PersonSnapshot, others: usize, microphone_ok: bool) -> RingText {
    let known = person.name.as_deref().is_some_and(|n| !n.trim().is_empty());
    let title = match (known, others) {
        (false, _) => format!("Call from {}", person.number),
        (true, 0) => person.display_name().to_owned(),
        (true, 1) => format!("{} and 1 other", person.display_name()),
        (true, n) => format!("{} and {n} others", person.display_name()),
    };
    let details = person.details();
    let message = match (known, details.is_empty()) {
        (true, false) => details,
        (true, true) => person.number.clone(),
        (false, _) => "Unknown caller".to_owned(),
    };
    let context = if microphone_ok {
        format!("Incoming call · {}", person.number)
    } else {
        "Microphone is off: Accept opens the page to enable it".to_owned()
    };
    RingText {
        title,
        message,
        context,
    }
}

/// A ring's last line while the rep is on another call: Accept holds it.
pub fn on_a_call_text(talking_to: &str) -> String {
    format!("You are on a call with {talking_to} · Accept puts it on hold")
}

/// "Missed call from Ada Lovelace" (or the number).
pub fn missed_text(person: &PersonSnapshot) -> String {
    format!("Missed call from {}", person.display_name())
}

/// The tab shows the record once it is on what identifies the record: its
/// origin and path (a CRM's login page is on another path, or another
/// host), the record's own query parameters (`?id=42`; the tab may carry
/// more, and tracking ones like `utm_*` do not count), and its fragment only
/// when that is a route (`#/contacts/42` in a single-page app). A fragment
/// that is an anchor (`#activity`) does not identify the record, so a login
/// that drops it on the way back still lands on the record. Trailing slashes
/// and the case of the host do not matter.
pub fn shows_record(tab_url: &str, record_url: &str) -> bool {
    let (Some(tab), Some(record)) = (UrlParts::parse(tab_url), UrlParts::parse(record_url)) else {
        return false;
    };
    tab.origin.eq_ignore_ascii_case(record.origin)
        && tab.path.trim_end_matches('/') == record.path.trim_end_matches('/')
        && record
            .query_pairs()
            .filter(|(key, _)| identifies_a_record(key))
            .all(|pair| tab.query_pairs().any(|other| other == pair))
        && (!is_route(record.fragment) || tab.fragment == record.fragment)
}

/// A fragment a single-page app routes by (`#/contacts/42`, `#!/contacts/42`).
fn is_route(fragment: &str) -> bool {
    fragment.starts_with('/') || fragment.starts_with("!/")
}

/// Query parameters that say where a link came from, not which record it is.
fn identifies_a_record(key: &str) -> bool {
    !(key.starts_with("utm_") || matches!(key, "fbclid" | "gclid" | "mc_cid" | "mc_eid" | "ref"))
}

/// The origin (`scheme://host:port`) of a URL, lowercased; `None` for
/// something that is not a URL with an authority.
pub fn origin_of(url: &str) -> Option<String> {
    UrlParts::parse(url).map(|parts| parts.origin.to_ascii_lowercase())
}

/// Whether a tab the worker put a panel into still shows the same site: a
/// tab that went to another origin (or closed) is forgotten, so a page
/// loaded there later cannot use a panel it frames.
pub fn still_same_site(injected_origin: &str, tab_url: &str) -> bool {
    origin_of(tab_url).is_some_and(|origin| origin == injected_origin)
}

struct UrlParts<'a> {
    origin: &'a str,
    path: &'a str,
    query: &'a str,
    fragment: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Option<Self> {
        let (without_fragment, fragment) = url.split_once('#').unwrap_or((url, ""));
        let (without_query, query) = without_fragment
            .split_once('?')
            .unwrap_or((without_fragment, ""));
        // The scheme ends at the first ':' (searching for a char, not for
        // "://": a substring search costs the worker 2 KB of wasm).
        let colon = without_query.find(':')?;
        let scheme_end = without_query[colon..]
            .starts_with("://")
            .then_some(colon + 3)?;
        let path_start = without_query[scheme_end..]
            .find('/')
            .map_or(without_query.len(), |i| scheme_end + i);
        Some(Self {
            origin: &without_query[..path_start],
            path: &without_query[path_start..],
            query,
            fragment,
        })
    }

    /// `key=value` pairs as written (an empty value for a bare `key`).
    fn query_pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
    }
}

/// A server address as typed by a rep, made canonical: scheme required,
/// no trailing slash. The error says what to type instead.
pub fn normalize_server(input: &str) -> Result<String, String> {
    let trimmed = input.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_owned())
        }
        _ => Err(format!(
            "\"{}\" is not a server address: type it with http:// or https://, e.g. https://ringback.example.com",
            input.trim()
        )),
    }
}

/// `http(s)://host` → `ws(s)://host/api/v1/signal`.
pub fn signal_url(server: &str) -> String {
    let ws = server
        .strip_prefix("https://")
        .map(|rest| format!("wss://{rest}"))
        .or_else(|| {
            server
                .strip_prefix("http://")
                .map(|rest| format!("ws://{rest}"))
        })
        .unwrap_or_else(|| server.to_owned());
    format!("{ws}/api/v1/signal")
}

/// The signalling socket's subprotocols: the protocol, the single-use
/// `ticket`, and this browser's `device_id`, which stands for Hello (the
/// server answers at once, with no wait for a worker still loading its wasm).
pub fn signal_protocols(ticket: &str, device_id: &str) -> [String; 3] {
    [
        protocol::SUBPROTOCOL.to_owned(),
        format!("{}{ticket}", protocol::TICKET_SUBPROTOCOL_PREFIX),
        format!("{}{device_id}", protocol::DEVICE_SUBPROTOCOL_PREFIX),
    ]
}

/// Who sent a runtime message, as far as the worker's rules care.
#[derive(Debug, Clone, Default)]
pub struct Sender<'a> {
    /// The sending extension's id (a content script's too: only the
    /// extension's own contexts can message its worker).
    pub id: Option<&'a str>,
    /// The sending document's URL.
    pub url: Option<&'a str>,
    /// The tab it is in, if any: (id, the tab's top-level URL).
    pub tab: Option<(i32, Option<&'a str>)>,
}

/// Why a request was refused.
pub const NOT_OURS: &str = "Ringback only takes requests from its own pages.";
pub const NOT_INJECTED: &str = "This panel was not opened by Ringback in this tab.";

/// Requests come only from the extension's own pages: its origin, or its id
/// on an extension URL (`panel.html` is web-accessible with
/// `use_dynamic_url`, so a framed panel has a per-session random origin). A
/// content script has the id but the web page's URL, so it is refused. A
/// panel in a web tab may see or log a call only if the worker put it there:
/// a page that learned the dynamic URL could frame `panel.html`, and must not
/// be able to read a caller's details through it or trick the rep into
/// logging.
pub fn check_sender(
    sender: &Sender,
    own_origin: &str,
    injected_tabs: &[i32],
    about_a_call: bool,
) -> Result<(), &'static str> {
    let own_id = own_origin
        .strip_prefix("chrome-extension://")
        .map(|rest| rest.trim_end_matches('/'));
    let ours = sender.url.is_some_and(|url| {
        url.starts_with(own_origin)
            || (url.starts_with("chrome-extension://")
                && sender.id.is_some()
                && sender.id == own_id)
    });
    if !ours {
        return Err(NOT_OURS);
    }
    match sender.tab {
        Some((tab_id, tab_url)) if about_a_call => {
            let own_tab = tab_url.is_some_and(|url| url.starts_with(own_origin));
            if own_tab || injected_tabs.contains(&tab_id) {
                Ok(())
            } else {
                Err(NOT_INJECTED)
            }
        }
        _ => Ok(()),
    }
}

/// The one request Ringback's content script may make: dial a `tel:` link
/// the rep clicked on a page the worker put its panel into (the rep's CRM).
/// Only the extension's own content script has its id on a web page (pages
/// cannot message the worker); a tab the panel was never put in is refused,
/// so no other site's links can place calls.
pub fn check_tel_link_sender(
    sender: &Sender,
    own_origin: &str,
    injected_tabs: &[i32],
) -> Result<(), &'static str> {
    let own_id = own_origin
        .strip_prefix("chrome-extension://")
        .map(|rest| rest.trim_end_matches('/'));
    if sender.id.is_none() || sender.id != own_id {
        return Err(NOT_OURS);
    }
    match sender.tab {
        Some((tab_id, _)) if injected_tabs.contains(&tab_id) => Ok(()),
        _ => Err(NOT_INJECTED),
    }
}

/// Who may place a call: a panel (as [`check_sender`] has it for a call's
/// requests), or the content script of a tab the panel is in (a `tel:` link,
/// [`check_tel_link_sender`]).
pub fn check_dial_sender(
    sender: &Sender,
    own_origin: &str,
    injected_tabs: &[i32],
) -> Result<(), &'static str> {
    check_sender(sender, own_origin, injected_tabs, true)
        .or_else(|_| check_tel_link_sender(sender, own_origin, injected_tabs))
}

#[cfg(test)]
mod tests;
