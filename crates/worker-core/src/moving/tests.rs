use crate::model::{CallEntry, CallPhase, Live};
use crate::update::{Effect, Input, update};
use protocol::signal::{CallUpdate, ClientMessage, IncomingCall, SignalErrorCode};
use protocol::{CallId, PersonSnapshot, UnixMillis};

const NOW: UnixMillis = 1_700_000_000_000;

fn call(id: i64) -> IncomingCall {
    IncomingCall {
        call_id: CallId(id),
        person: PersonSnapshot {
            id: None,
            name: Some("Ada Lovelace".into()),
            title: None,
            account: None,
            crm_url: None,
            number: "+14155550123".into(),
        },
        to: "+14155550100".into(),
        started_at: NOW,
        ring_deadline: NOW + 20_000,
        offer: Some("v=0 offer".into()),
        also: Vec::new(),
    }
}

/// Call 1, answered in this browser.
fn on_call() -> Live {
    let mut entry = CallEntry::ringing(call(1));
    entry.phase = CallPhase::Connected;
    entry.answered_at = Some(NOW + 1_000);
    Live {
        calls: vec![entry],
        active_call: Some(CallId(1)),
        ..Live::default()
    }
}

fn ask(live: &mut Live, connected: bool) -> Vec<Effect> {
    let input = Input::MoveToPhone {
        call_id: CallId(1),
        connected,
    };
    update(live, input, NOW + 5_000)
}

fn told(live: &mut Live, update_: CallUpdate) -> Vec<Effect> {
    let input = Input::Update {
        call_id: CallId(1),
        update: update_,
    };
    update(live, input, NOW + 9_000)
}

fn entry(live: &Live) -> &CallEntry {
    live.entry(CallId(1)).expect("call 1")
}

#[test]
fn a_move_is_asked_of_the_server_and_the_call_goes_on_the_phone_when_it_answers() {
    let mut live = on_call();
    let effects = ask(&mut live, true);
    assert!(effects.contains(&Effect::Send(ClientMessage::MoveToPhone {
        id: "move-1".into(),
        call_id: CallId(1)
    })));
    assert!(entry(&live).moving);
    // The phone rings: the call is still here, audio and all.
    let effects = told(&mut live, CallUpdate::MovingToPhone);
    assert!(!effects.contains(&Effect::EndAudio(CallId(1))));
    assert_eq!(entry(&live).phase, CallPhase::Connected);

    let effects = told(&mut live, CallUpdate::MovedToPhone);
    assert!(effects.contains(&Effect::EndAudio(CallId(1))));
    assert_eq!(entry(&live).phase, CallPhase::OnPhone);
    assert!(!entry(&live).moving);
    assert!(entry(&live).phase.loggable(), "the panel still logs it");
    assert!(live.needs_a_panel(CallId(1)));

    // Ended on the phone: over here too, and still to be logged.
    told(&mut live, CallUpdate::Ended);
    assert_eq!(entry(&live).phase, CallPhase::Ended);
    assert_eq!(entry(&live).ended_at, Some(NOW + 9_000));
    assert!(live.needs_a_panel(CallId(1)));
}

#[test]
fn a_move_the_phone_does_not_take_leaves_the_call_here_with_a_note() {
    let mut live = on_call();
    ask(&mut live, true);
    let effects = told(&mut live, CallUpdate::MoveFailed);
    assert!(!effects.contains(&Effect::EndAudio(CallId(1))));
    assert_eq!(entry(&live).phase, CallPhase::Connected);
    assert!(!entry(&live).moving);
    assert!(
        entry(&live)
            .move_note
            .as_deref()
            .is_some_and(|n| n.contains("did not answer"))
    );
    // Asking again clears the note.
    ask(&mut live, true);
    assert_eq!(entry(&live).move_note, None);
}

#[test]
fn a_refused_move_says_why_in_the_panel() {
    let mut live = on_call();
    ask(&mut live, true);
    let effects = update(
        &mut live,
        Input::Refused {
            id: Some("move-1".into()),
            code: SignalErrorCode::CallNotRinging,
            message: "no forwarding phone is set: add one in the dialer settings".into(),
        },
        NOW + 5_100,
    );
    assert!(effects.contains(&Effect::NotifyPages));
    assert!(!entry(&live).moving);
    assert_eq!(
        entry(&live).move_note.as_deref(),
        Some(
            "Could not move the call: no forwarding phone is set: add one in the dialer settings."
        )
    );
    assert_eq!(
        entry(&live).phase,
        CallPhase::Connected,
        "still on the call"
    );
}

#[test]
fn only_a_call_connected_here_moves_and_only_while_the_server_is_reachable() {
    let mut live = on_call();
    let refused = |effects: Vec<Effect>| matches!(effects.as_slice(), [Effect::Refuse(_)]);
    assert!(refused(ask(&mut live, false)));
    assert!(!entry(&live).moving);
    live.calls[0].phase = CallPhase::Ringing;
    assert!(refused(ask(&mut live, true)));
    // A call placed from here moves as well.
    live.calls[0].phase = CallPhase::Connected;
    live.calls[0].outbound = true;
    assert!(!refused(ask(&mut live, true)));
    let mut nothing = Live::default();
    assert!(refused(ask(&mut nothing, true)));
}
