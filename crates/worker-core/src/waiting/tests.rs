use crate::model::{CallEntry, CallPhase, Live};
use crate::update::{Effect, Input, update};
use crate::waiting::on_now;
use protocol::signal::{CallUpdate, ClientMessage, IncomingCall};
use protocol::{CallId, PersonSnapshot, UnixMillis};

const NOW: UnixMillis = 1_700_000_000_000;

fn call(id: i64, name: &str) -> IncomingCall {
    IncomingCall {
        call_id: CallId(id),
        person: PersonSnapshot {
            id: None,
            name: Some(name.into()),
            title: None,
            account: None,
            crm_url: None,
            number: format!("+1415555{id:04}"),
        },
        to: "+14155550100".into(),
        started_at: NOW + id,
        ring_deadline: NOW + 20_000,
        offer: Some("v=0 offer".into()),
        also: Vec::new(),
    }
}

/// On call 1 with Ada; call 2 (Grace) rings.
fn on_call_with_a_callback_ringing() -> Live {
    let mut ada = CallEntry::ringing(call(1, "Ada"));
    ada.phase = CallPhase::Connected;
    ada.answered_at = Some(NOW);
    let mut live = Live {
        calls: vec![ada],
        active_call: Some(CallId(1)),
        ..Live::default()
    };
    update(&mut live, Input::Incoming(call(2, "Grace")), NOW + 1_000);
    live
}

fn accept_2(live: &mut Live) -> Vec<Effect> {
    update(
        live,
        Input::Button {
            notification: "ring:2".into(),
            button: 0,
            microphone: true,
            connected: true,
        },
        NOW + 2_000,
    )
}

fn held(live: &Live, id: i64) -> bool {
    live.entry(CallId(id)).is_some_and(|e| e.held)
}

#[test]
fn accepting_a_callback_holds_the_call_on_now_first() {
    let mut live = on_call_with_a_callback_ringing();
    assert_eq!(on_now(&live), Some(CallId(1)));
    let effects = accept_2(&mut live);
    let hold = effects
        .iter()
        .position(|e| {
            *e == Effect::Send(ClientMessage::Hold {
                id: "hold-1".into(),
                call_id: CallId(1),
                held: true,
            })
        })
        .expect("call 1 is held");
    let answer = effects
        .iter()
        .position(|e| matches!(e, Effect::MakeAnswer { call_id, .. } if *call_id == CallId(2)))
        .expect("call 2 is answered");
    assert!(hold < answer, "held before the new call's audio starts");
    assert!(effects.contains(&Effect::HoldAudio {
        call_id: CallId(1),
        held: true
    }));
    assert!(held(&live, 1));
    // Nothing ends: call 1 is still connected, on hold.
    assert_eq!(live.phase_of(CallId(1)), Some(CallPhase::Connected));
}

#[test]
fn resume_switches_calls_and_the_server_confirms() {
    let mut live = on_call_with_a_callback_ringing();
    accept_2(&mut live);
    update(
        &mut live,
        Input::Update {
            call_id: CallId(2),
            update: CallUpdate::Accepted,
        },
        NOW + 3_000,
    );
    assert_eq!(on_now(&live), Some(CallId(2)));
    let effects = update(
        &mut live,
        Input::Resume {
            call_id: CallId(1),
            connected: true,
        },
        NOW + 9_000,
    );
    assert!(effects.contains(&Effect::Send(ClientMessage::Hold {
        id: "hold-2".into(),
        call_id: CallId(2),
        held: true,
    })));
    assert!(effects.contains(&Effect::Send(ClientMessage::Hold {
        id: "resume-1".into(),
        call_id: CallId(1),
        held: false,
    })));
    assert!(effects.contains(&Effect::HoldAudio {
        call_id: CallId(1),
        held: false
    }));
    assert!(held(&live, 2) && !held(&live, 1));
    assert_eq!(live.active_call, Some(CallId(1)));
    // The server's confirmations agree.
    let effects = update(
        &mut live,
        Input::Update {
            call_id: CallId(2),
            update: CallUpdate::OnHold,
        },
        NOW + 9_100,
    );
    assert!(effects.contains(&Effect::NotifyPages));
    assert!(held(&live, 2));
}

#[test]
fn hanging_up_the_call_on_now_leaves_the_held_one_held() {
    let mut live = on_call_with_a_callback_ringing();
    accept_2(&mut live);
    update(
        &mut live,
        Input::Update {
            call_id: CallId(2),
            update: CallUpdate::Accepted,
        },
        NOW + 3_000,
    );
    let effects = update(
        &mut live,
        Input::Update {
            call_id: CallId(2),
            update: CallUpdate::Ended,
        },
        NOW + 30_000,
    );
    assert!(!effects.iter().any(|e| matches!(
        e,
        Effect::HoldAudio { call_id, .. } | Effect::Send(ClientMessage::Hold { call_id, .. })
            if *call_id == CallId(1)
    )));
    assert!(held(&live, 1));
    assert_eq!(on_now(&live), None);
}

#[test]
fn only_a_held_call_is_resumed_and_only_while_the_server_is_reachable() {
    let mut live = on_call_with_a_callback_ringing();
    let refused = |effects: Vec<Effect>| matches!(effects.as_slice(), [Effect::Refuse(_)]);
    let resume = |live: &mut Live, id, connected| {
        update(
            live,
            Input::Resume {
                call_id: CallId(id),
                connected,
            },
            NOW + 5_000,
        )
    };
    assert!(refused(resume(&mut live, 1, true)), "call 1 is not held");
    assert!(refused(resume(&mut live, 2, true)), "call 2 only rings");
    accept_2(&mut live);
    assert!(refused(resume(&mut live, 1, false)));
    assert!(held(&live, 1));
}

#[test]
fn close_on_a_callback_leaves_the_call_on_now_alone() {
    let mut live = on_call_with_a_callback_ringing();
    let effects = update(
        &mut live,
        Input::Button {
            notification: "ring:2".into(),
            button: 1,
            microphone: true,
            connected: true,
        },
        NOW + 2_000,
    );
    assert!(!effects.iter().any(|e| matches!(
        e,
        Effect::HoldAudio { .. } | Effect::Send(ClientMessage::Hold { .. })
    )));
    assert!(!held(&live, 1));
    assert_eq!(on_now(&live), Some(CallId(1)));
    // The callback is closed here only (it rings on the phone).
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Send(ClientMessage::Close { call_id, .. }) if *call_id == CallId(2)
    )));
}
