//! Calling from the server's pages: Call on the Person page and Call back on
//! a Calls page row ask one of the rep's connected browsers, over its
//! socket, to place the call (`ServerMessage::DialRequested`), with the
//! number from the server's records.

mod common;

use common::pages::{csrf_in, no_redirects, session_cookie};
use common::sipp::free_udp_port;
use common::*;
use protocol::signal::{ClientMessage, ServerMessage};
use protocol::{CallId, PersonId};
use serde_json::json;

/// A server whose trunk can place calls (nothing answers: no call is
/// placed here, only asked for).
async fn dialling_server() -> TestServer {
    TestServer::start_with(sip_config_with_phone(free_udp_port())).await
}

/// Posts a page's form with the session cookie; the status and the redirect.
async fn post_form(
    t: &TestServer,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = no_redirects()
        .post(t.url(path))
        .header("cookie", session_cookie(token))
        .form(form)
        .send()
        .await
        .expect("post");
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.status().as_u16(), location)
}

fn dial_requested(number: &str, person: Option<PersonId>) -> ServerMessage {
    ServerMessage::DialRequested {
        number: number.into(),
        person_id: person,
    }
}

/// A test ring and its reply: whatever the socket got before is read first,
/// so a socket that answers with the reply got nothing before it.
async fn nothing_else_arrived(socket: &mut Signal, id: &str) {
    socket
        .send(&ClientMessage::TestRing { id: id.into() })
        .await;
    match socket.recv().await {
        ServerMessage::TestRing { id: replied, .. } => assert_eq!(replied, id),
        other => panic!("expected only the test ring's reply, got {other:?}"),
    }
}

#[tokio::test]
async fn call_on_the_person_page_asks_the_rep_s_browser_with_the_person_s_number() {
    let t = dialling_server().await;
    let (token, mut laptop) = t.alice_online().await;
    let person_page = format!("/people/{}", t.ada.0);
    let html = t.page(&token, &person_page).await;
    let action = format!("/people/{}/call", t.ada.0);
    assert!(html.contains(&format!(r#"action="{action}""#)), "{html}");
    let csrf = csrf_in(&html);

    // Another site's form (no valid token) asks for nothing.
    let (status, _) = post_form(
        &t,
        &token,
        &action,
        &[("csrf", "forged"), ("number", ADA_PHONE)],
    )
    .await;
    assert_eq!(status, 403);
    // A number that is not Ada's is not dialled as hers.
    let (status, location) = post_form(
        &t,
        &token,
        &action,
        &[("csrf", &csrf), ("number", "+19005550100")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.contains("error="), "{location}");
    nothing_else_arrived(&mut laptop, "t1").await;

    let (status, location) = post_form(
        &t,
        &token,
        &action,
        &[("csrf", &csrf), ("number", ADA_PHONE)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("{person_page}?notice=")),
        "{location}"
    );
    assert_eq!(laptop.recv().await, dial_requested(ADA_PHONE, Some(t.ada)));
    let shown = t.page(&token, &location).await;
    assert!(
        shown.contains("Calling +14155550111 from Chrome"),
        "{shown}"
    );
}

#[tokio::test]
async fn only_the_browser_the_rep_used_last_is_asked() {
    let t = dialling_server().await;
    let token = t.sign_in(&t.alice).await;
    let mut laptop = t.connect_with_token(&token, "laptop").await;
    // The desk said Hello last: it is the one in use.
    let mut desk = t.connect_with_token(&token, "desk").await;
    let action = format!("/people/{}/call", t.ada.0);
    let csrf = csrf_in(&t.page(&token, &format!("/people/{}", t.ada.0)).await);
    let form = [("csrf", csrf.as_str()), ("number", ADA_PHONE)];

    assert_eq!(post_form(&t, &token, &action, &form).await.0, 303);
    assert_eq!(desk.recv().await, dial_requested(ADA_PHONE, Some(t.ada)));
    // The laptop heard nothing, and using it makes it the one in use.
    nothing_else_arrived(&mut laptop, "laptop-1").await;

    assert_eq!(post_form(&t, &token, &action, &form).await.0, 303);
    assert_eq!(laptop.recv().await, dial_requested(ADA_PHONE, Some(t.ada)));
    nothing_else_arrived(&mut desk, "desk-1").await;
}

#[tokio::test]
async fn call_back_on_a_calls_row_asks_for_the_call_s_number() {
    let t = dialling_server().await;
    let (token, mut laptop) = t.alice_online().await;
    let ring = t.ring(ADA_PHONE, &t.alice, "page-dial-ring").await;
    let call = ring.call_id;
    assert!(matches!(
        laptop.recv().await,
        ServerMessage::IncomingCall(_)
    ));
    // Ada hangs up before anyone answers: a missed call, logged by the rep.
    assert_eq!(
        t.carrier_event("page-dial-ring", "caller_hung_up").await,
        204
    );
    let logged = t
        .post_log(
            &token,
            call,
            &json!({"idempotency_key": "row", "notes": "Asked for a quote"}),
        )
        .await;
    assert_eq!(logged.status(), 201);

    let html = t.page(&token, "/calls").await;
    let action = format!("/calls/{}/call-back", call.0);
    assert!(html.contains(&format!(r#"action="{action}""#)), "{html}");
    let csrf = csrf_in(&html);
    let (status, _) = post_form(
        &t,
        &token,
        &action,
        &[("csrf", "forged"), ("back", "/calls")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, location) = post_form(
        &t,
        &token,
        &action,
        &[("csrf", &csrf), ("back", "/calls?q=Ada")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/calls?q=Ada&notice="), "{location}");
    assert!(
        location.ends_with(&format!("#call-{}", call.0)),
        "{location}"
    );
    // Whatever the ring sent since, the request comes.
    loop {
        match laptop.recv().await {
            ServerMessage::CallUpdate { .. } => continue,
            message => {
                assert_eq!(message, dial_requested(ADA_PHONE, Some(t.ada)));
                break;
            }
        }
    }
}

#[tokio::test]
async fn another_rep_s_person_or_call_is_not_theirs_to_call() {
    let t = dialling_server().await;
    let alice = t.sign_in(&t.alice).await;
    let ring = t.ring(ADA_PHONE, &t.alice, "page-dial-alice").await;
    let bob = t.sign_in(&t.bob).await;
    let mut bob_browser = t.connect_with_token(&bob, "bob-laptop").await;
    let bob_csrf = csrf_in(&t.page(&bob, "/calls").await);

    let person = format!("/people/{}/call", t.ada.0);
    let (status, _) = post_form(
        &t,
        &bob,
        &person,
        &[("csrf", &bob_csrf), ("number", ADA_PHONE)],
    )
    .await;
    assert_eq!(status, 404);
    let row = format!("/calls/{}/call-back", ring.call_id.0);
    let (status, _) = post_form(&t, &bob, &row, &[("csrf", &bob_csrf), ("back", "/calls")]).await;
    assert_eq!(status, 404);
    let (status, _) = post_form(
        &t,
        &bob,
        &format!("/calls/{}/call-back", CallId(9_999).0),
        &[("csrf", &bob_csrf)],
    )
    .await;
    assert_eq!(status, 404);
    nothing_else_arrived(&mut bob_browser, "bob-1").await;
    // Alice's own session could have: her call is hers.
    assert_eq!(t.call(&alice, ring.call_id).await.id, ring.call_id);
}

#[tokio::test]
async fn a_rep_with_no_browser_connected_is_told_to_open_chrome() {
    let t = dialling_server().await;
    let token = t.sign_in(&t.alice).await;
    let person_page = format!("/people/{}", t.ada.0);
    let csrf = csrf_in(&t.page(&token, &person_page).await);
    let (status, location) = post_form(
        &t,
        &token,
        &format!("{person_page}/call"),
        &[("csrf", &csrf), ("number", ADA_PHONE)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.contains("error="), "{location}");
    let shown = t.page(&token, &location).await;
    assert!(
        shown.contains("Open Chrome with Ringback signed in to call from here"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_ringback_without_a_trunk_says_it_cannot_place_calls() {
    let t = TestServer::start().await;
    let (token, mut laptop) = t.alice_online().await;
    let person_page = format!("/people/{}", t.ada.0);
    let csrf = csrf_in(&t.page(&token, &person_page).await);
    let (status, location) = post_form(
        &t,
        &token,
        &format!("{person_page}/call"),
        &[("csrf", &csrf), ("number", ADA_PHONE)],
    )
    .await;
    assert_eq!(status, 303);
    let shown = t.page(&token, &location).await;
    assert!(shown.contains("cannot place calls"), "{shown}");
    nothing_else_arrived(&mut laptop, "t1").await;
}
