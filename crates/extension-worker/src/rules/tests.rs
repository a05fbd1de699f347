use super::*;
use protocol::PersonId;

fn ada() -> PersonSnapshot {
    PersonSnapshot {
        id: Some(PersonId(7)),
        name: Some("Ada Lovelace".into()),
        title: Some("CTO".into()),
        account: Some("Analytical Engines".into()),
        crm_url: Some("https://crm.example.com/contacts/ada".into()),
        number: "+14155550111".into(),
    }
}

fn unknown() -> PersonSnapshot {
    PersonSnapshot {
        id: None,
        name: None,
        title: None,
        account: None,
        crm_url: None,
        number: "+14155550177".into(),
    }
}

#[test]
fn backoff_doubles_from_one_second_and_stops_at_the_cap() {
    let lowest: Vec<_> = (0..7).map(|n| backoff_delay(n, 0.0).as_millis()).collect();
    assert_eq!(lowest, [500, 1000, 2000, 4000, 8000, 15000, 15000]);
    let highest: Vec<_> = (0..7)
        .map(|n| backoff_delay(n, 0.999_999).as_millis())
        .collect();
    assert_eq!(highest, [999, 1999, 3999, 7999, 15999, 29999, 29999]);
    assert_eq!(backoff_delay(u32::MAX, 1.0), BACKOFF_CAP);
}

#[test]
fn backoff_jitter_spreads_retries_over_the_upper_half() {
    let a = backoff_delay(3, 0.1);
    let b = backoff_delay(3, 0.9);
    assert!(a < b, "{a:?} < {b:?}");
    assert!(a >= Duration::from_secs(4) && b <= Duration::from_secs(8));
}

#[test]
fn ring_text_shows_name_title_and_account() {
    let text = ring_text(&ada(), 0, true);
    assert_eq!(text.title, "Ada Lovelace");
    assert_eq!(text.message, "CTO · Analytical Engines");
    assert_eq!(text.context, "Incoming call · +14155550111");
}

#[test]
fn ring_text_for_an_unknown_caller_shows_the_number() {
    let text = ring_text(&unknown(), 0, true);
    assert_eq!(text.title, "Call from +14155550177");
    assert_eq!(text.message, "Unknown caller");
}

#[test]
fn ring_text_counts_the_others_on_a_shared_number() {
    assert_eq!(ring_text(&ada(), 1, true).title, "Ada Lovelace and 1 other");
    assert_eq!(
        ring_text(&ada(), 3, true).title,
        "Ada Lovelace and 3 others"
    );
    // An unknown caller has nobody else to count.
    assert_eq!(
        ring_text(&unknown(), 2, true).title,
        "Call from +14155550177"
    );
}

#[test]
fn ring_text_warns_when_the_microphone_is_off() {
    let text = ring_text(&ada(), 0, false);
    assert!(
        text.context.contains("Microphone is off"),
        "{}",
        text.context
    );
    assert_eq!(text.title, "Ada Lovelace");
}

const ORIGIN: &str = "chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/";

#[test]
fn only_the_extensions_own_pages_are_heard() {
    let content_script = Sender {
        id: None,
        url: Some("https://crm.example.com/contacts/ada"),
        tab: Some((4, Some("https://crm.example.com/contacts/ada"))),
    };
    assert_eq!(
        check_sender(&content_script, ORIGIN, &[4], false),
        Err(NOT_OURS)
    );
    assert_eq!(
        check_sender(&Sender::default(), ORIGIN, &[], false),
        Err(NOT_OURS)
    );
    let options = Sender {
        id: None,
        url: Some("chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/options.html"),
        tab: Some((
            2,
            Some("chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/options.html"),
        )),
    };
    assert_eq!(check_sender(&options, ORIGIN, &[], true), Ok(()));
    let offscreen = Sender {
        id: None,
        url: Some("chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/offscreen.html"),
        tab: None,
    };
    assert_eq!(check_sender(&offscreen, ORIGIN, &[], true), Ok(()));
}

#[test]
fn a_panel_framed_by_some_site_learns_nothing_about_calls() {
    let panel_in = |tab_id| Sender {
        id: None,
        url: Some("chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/panel.html"),
        tab: Some((tab_id, Some("https://evil.example/"))),
    };
    assert_eq!(
        check_sender(&panel_in(9), ORIGIN, &[4], true),
        Err(NOT_INJECTED)
    );
    assert_eq!(check_sender(&panel_in(4), ORIGIN, &[4], true), Ok(()));
    // Not about a call (e.g. asking for the connection state): allowed.
    assert_eq!(check_sender(&panel_in(9), ORIGIN, &[4], false), Ok(()));
}

#[test]
fn only_ringback_s_content_script_in_a_tab_it_injected_may_dial_a_tel_link() {
    let content_script_in = |tab_id| Sender {
        id: Some("nafkmlnfjibleaaleiboephocipcbbpk"),
        url: Some("https://crm.example.com/contacts/ada"),
        tab: Some((tab_id, Some("https://crm.example.com/contacts/ada"))),
    };
    assert_eq!(
        check_tel_link_sender(&content_script_in(4), ORIGIN, &[4]),
        Ok(())
    );
    assert_eq!(
        check_tel_link_sender(&content_script_in(9), ORIGIN, &[4]),
        Err(NOT_INJECTED),
        "a tab the panel was never put in"
    );
    let other_extension = Sender {
        id: Some("someotherextensionid"),
        ..content_script_in(4)
    };
    assert_eq!(
        check_tel_link_sender(&other_extension, ORIGIN, &[4]),
        Err(NOT_OURS)
    );
    assert_eq!(
        check_tel_link_sender(&Sender::default(), ORIGIN, &[4]),
        Err(NOT_OURS)
    );
    // And no other request is a content script's to make.
    assert_eq!(
        check_sender(&content_script_in(4), ORIGIN, &[4], false),
        Err(NOT_OURS)
    );
}

#[test]
fn missed_text_names_the_caller_or_the_number() {
    assert_eq!(missed_text(&ada()), "Missed call from Ada Lovelace");
    assert_eq!(missed_text(&unknown()), "Missed call from +14155550177");
}

#[test]
fn a_login_page_does_not_show_the_record() {
    let record = "http://127.0.0.1:9000/contacts/ada";
    assert!(!shows_record(
        "http://127.0.0.1:9000/login?next=/contacts/ada",
        record
    ));
    assert!(!shows_record(
        "https://login.crm.example.com/contacts/ada",
        "https://crm.example.com/contacts/ada"
    ));
    assert!(!shows_record("about:blank", record));
    assert!(!shows_record("http://127.0.0.1:9001/contacts/ada", record));
}

#[test]
fn the_record_matches_whatever_the_query_and_trailing_slash() {
    let record = "https://crm.example.com/contacts/ada";
    assert!(shows_record("https://crm.example.com/contacts/ada", record));
    assert!(shows_record(
        "https://CRM.example.com/contacts/ada/?tab=activity",
        record
    ));
    assert!(!shows_record(
        "https://crm.example.com/contacts/adam",
        record
    ));
}

#[test]
fn a_record_with_a_query_and_an_anchor_is_found_when_the_login_drops_the_anchor() {
    let record = "https://crm.example.com/view?x=1#a";
    assert!(shows_record("https://crm.example.com/view?x=1#a", record));
    assert!(shows_record("https://crm.example.com/view?x=1", record));
    assert!(shows_record(
        "https://crm.example.com/view?session=9&x=1&utm_source=mail",
        record
    ));
    // The query keys that name the record must be there, with their values.
    assert!(!shows_record("https://crm.example.com/view?x=2", record));
    assert!(!shows_record("https://crm.example.com/view", record));
    // Tracking parameters in the CRM link do not have to come back.
    assert!(shows_record(
        "https://crm.example.com/contacts/ada",
        "https://crm.example.com/contacts/ada?utm_source=ringback&ref=mail"
    ));
}

#[test]
fn an_spa_record_must_match_its_route() {
    let record = "https://crm.example.com/app#/contacts/ada";
    assert!(shows_record(
        "https://crm.example.com/app#/contacts/ada",
        record
    ));
    assert!(!shows_record("https://crm.example.com/app#/login", record));
    assert!(!shows_record("https://crm.example.com/app", record));
    assert!(shows_record(
        "https://crm.example.com/app#!/contacts/ada",
        "https://crm.example.com/app#!/contacts/ada"
    ));
}

#[test]
fn server_addresses_need_a_scheme_and_lose_the_trailing_slash() {
    assert_eq!(
        normalize_server(" http://127.0.0.1:8080/ ").as_deref(),
        Ok("http://127.0.0.1:8080")
    );
    assert_eq!(
        normalize_server("https://rb.example.com").as_deref(),
        Ok("https://rb.example.com")
    );
    let error = normalize_server("rb.example.com").expect_err("no scheme");
    assert!(error.contains("https://"), "{error}");
    assert!(normalize_server("https://").is_err());
}

#[test]
fn the_signal_url_follows_the_server_scheme() {
    assert_eq!(
        signal_url("http://127.0.0.1:8080"),
        "ws://127.0.0.1:8080/api/v1/signal"
    );
    assert_eq!(
        signal_url("https://rb.example.com"),
        "wss://rb.example.com/api/v1/signal"
    );
}

#[test]
fn the_socket_names_its_ticket_and_device_in_subprotocols() {
    assert_eq!(
        signal_protocols("t0k", "dev-1"),
        ["ringback.v1", "ticket.t0k", "device.dev-1"]
    );
}

#[test]
fn a_panel_at_its_dynamic_url_is_ours_only_with_our_id() {
    let dynamic = |id| Sender {
        id: Some(id),
        url: Some("chrome-extension://4c8e2a17-9d1b-4f1e-b5a3-0c6f1d2e7a90/panel.html"),
        tab: Some((4, Some("https://crm.example.com/contacts/ada"))),
    };
    assert_eq!(
        check_sender(
            &dynamic("nafkmlnfjibleaaleiboephocipcbbpk"),
            ORIGIN,
            &[4],
            true
        ),
        Ok(())
    );
    assert_eq!(
        check_sender(&dynamic("someotherextensionid"), ORIGIN, &[4], true),
        Err(NOT_OURS)
    );
    // A content script has our id but the page's URL.
    let content_script = Sender {
        id: Some("nafkmlnfjibleaaleiboephocipcbbpk"),
        url: Some("https://crm.example.com/contacts/ada"),
        tab: Some((4, Some("https://crm.example.com/contacts/ada"))),
    };
    assert_eq!(
        check_sender(&content_script, ORIGIN, &[4], false),
        Err(NOT_OURS)
    );
}

#[test]
fn an_injected_tab_is_trusted_only_while_it_stays_on_its_site() {
    let origin = origin_of("https://CRM.example.com/contacts/ada?x=1#a").expect("an origin");
    assert_eq!(origin, "https://crm.example.com");
    assert!(still_same_site(
        &origin,
        "https://crm.example.com/contacts/other"
    ));
    assert!(!still_same_site(&origin, "https://evil.example/"));
    assert!(!still_same_site(
        &origin,
        "https://crm.example.com.evil.example/"
    ));
    assert!(
        !still_same_site(&origin, "http://crm.example.com/"),
        "another scheme"
    );
    assert!(!still_same_site(&origin, "not a url"));
    assert_eq!(origin_of("about:blank"), None);
}

#[test]
fn a_ring_during_a_call_names_the_call_the_rep_is_on() {
    assert_eq!(
        on_a_call_text("Ada Lovelace"),
        "You are on a call with Ada Lovelace · Accept puts it on hold"
    );
}

#[test]
fn a_panel_ringback_put_in_a_tab_or_its_own_window_may_dial_and_a_framed_one_may_not() {
    let panel = |tab_id, tab_url| Sender {
        id: Some("nafkmlnfjibleaaleiboephocipcbbpk"),
        url: Some("chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/panel.html"),
        tab: Some((tab_id, Some(tab_url))),
    };
    let crm = "https://crm.example.com/contacts/ada";
    assert_eq!(check_dial_sender(&panel(4, crm), ORIGIN, &[4]), Ok(()));
    let own_window = panel(
        7,
        "chrome-extension://nafkmlnfjibleaaleiboephocipcbbpk/call.html",
    );
    assert_eq!(check_dial_sender(&own_window, ORIGIN, &[]), Ok(()));
    assert_eq!(
        check_dial_sender(&panel(9, "https://evil.example/"), ORIGIN, &[4]),
        Err(NOT_INJECTED),
        "a panel some site framed places no calls"
    );
    // The content script of a tab the panel is in still dials its tel: links.
    let content_script = Sender {
        id: Some("nafkmlnfjibleaaleiboephocipcbbpk"),
        url: Some(crm),
        tab: Some((4, Some(crm))),
    };
    assert_eq!(check_dial_sender(&content_script, ORIGIN, &[4]), Ok(()));
    assert_eq!(
        check_dial_sender(&Sender::default(), ORIGIN, &[4]),
        Err(NOT_OURS)
    );
}
