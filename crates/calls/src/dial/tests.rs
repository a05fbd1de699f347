use super::*;

const T0: UnixMillis = 1_800_000_000_000;
const PROSPECT: &str = "+14155550111";
const DIALER: &str = "+14155550100";
const HOUR_MS: i64 = 60 * 60 * 1000;
const PHONE: &str = "+14155550199";

fn request() -> DialRequest {
    DialRequest {
        to: PROSPECT.into(),
        dialer_number: DIALER.into(),
        custom_caller_id: None,
        device_id: "laptop".into(),
        max_call_ms: HOUR_MS,
        forwarding_number: Some(PHONE.into()),
    }
}

fn tell(update: DialUpdate) -> DialAction {
    DialAction::Tell {
        device_id: "laptop".into(),
        update,
    }
}

/// A call the prospect answered at T0 + 5 s.
fn connected() -> Dial {
    let (mut dial, _) = Dial::start(&request(), T0);
    dial.handle(DialEvent::RemoteRinging, T0 + 1_000)
        .expect("ringing");
    dial.handle(DialEvent::RemoteAnswered, T0 + 5_000)
        .expect("answered");
    dial
}

#[test]
fn dialling_sends_the_invite_showing_the_dialer_number() {
    let (dial, actions) = Dial::start(&request(), T0);
    assert_eq!(
        actions,
        [DialAction::Invite {
            to: PROSPECT.into(),
            caller_id: DIALER.into(),
        }]
    );
    assert_eq!(dial.phase(), DialPhase::Dialing);
    assert_eq!(dial.next_deadline(), Some(T0 + DIAL_TIMEOUT_MS));
}

#[test]
fn a_custom_caller_id_is_what_the_prospect_sees() {
    let custom = DialRequest {
        custom_caller_id: Some(" +14155550999 ".into()),
        ..request()
    };
    let (dial, actions) = Dial::start(&custom, T0);
    assert_eq!(dial.caller_id(), "+14155550999");
    assert!(
        matches!(&actions[0], DialAction::Invite { caller_id, .. } if caller_id == "+14155550999")
    );
    // A blank one is no custom caller ID.
    assert_eq!(caller_id(DIALER, Some("  ")), DIALER);
}

#[test]
fn ringing_then_answered_connects_and_tells_the_browser_that_dialled() {
    let (mut dial, _) = Dial::start(&request(), T0);
    assert_eq!(
        dial.handle(DialEvent::RemoteRinging, T0 + 1_000),
        Ok(vec![tell(DialUpdate::Ringing)])
    );
    // A 183 after the 180 is the same news.
    assert_eq!(
        dial.handle(DialEvent::RemoteRinging, T0 + 1_500),
        Ok(vec![])
    );
    assert_eq!(
        dial.handle(DialEvent::RemoteAnswered, T0 + 5_000),
        Ok(vec![tell(DialUpdate::Connected)])
    );
    assert_eq!(dial.phase(), DialPhase::Connected { on_hold: false });
    assert_eq!(dial.answered_at(), Some(T0 + 5_000));
    assert_eq!(dial.outcome(), Some(DialOutcome::Connected));
    // A retransmitted 200 changes nothing.
    assert_eq!(
        dial.handle(DialEvent::RemoteAnswered, T0 + 5_100),
        Ok(vec![])
    );
}

#[test]
fn an_answer_with_no_ringing_first_connects_too() {
    let (mut dial, _) = Dial::start(&request(), T0);
    assert_eq!(
        dial.handle(DialEvent::RemoteAnswered, T0 + 700),
        Ok(vec![tell(DialUpdate::Connected)])
    );
}

#[test]
fn a_busy_or_declined_prospect_ends_the_call_with_the_reason() {
    for (status, failure) in [
        (486, Failure::Busy),
        (600, Failure::Busy),
        (603, Failure::Declined),
        (404, Failure::Unreachable),
        (480, Failure::Unreachable),
        (503, Failure::Refused(503)),
    ] {
        let (mut dial, _) = Dial::start(&request(), T0);
        let failed = Failure::from_sip_status(status);
        assert_eq!(failed, failure, "{status}");
        let outcome = DialOutcome::Failed(failure);
        assert_eq!(
            dial.handle(DialEvent::RemoteFailed(failed), T0 + 2_000),
            Ok(vec![DialAction::EndMedia, tell(DialUpdate::Ended(outcome))]),
            "{status}"
        );
        assert_eq!(dial.outcome(), Some(outcome));
        assert_eq!(dial.ended_at(), Some(T0 + 2_000));
        assert_eq!(dial.next_deadline(), None);
    }
}

#[test]
fn hanging_up_before_the_answer_cancels_the_invite() {
    let (mut dial, _) = Dial::start(&request(), T0);
    dial.handle(DialEvent::RemoteRinging, T0 + 1_000)
        .expect("ringing");
    assert_eq!(
        dial.handle(DialEvent::RepHungUp, T0 + 3_000),
        Ok(vec![
            DialAction::Cancel,
            DialAction::EndMedia,
            tell(DialUpdate::Ended(DialOutcome::Cancelled)),
        ])
    );
    // The 487 that answers the CANCEL, arriving after, changes nothing.
    assert_eq!(
        dial.handle(DialEvent::RemoteFailed(Failure::Refused(487)), T0 + 3_100),
        Ok(vec![])
    );
    assert_eq!(dial.outcome(), Some(DialOutcome::Cancelled));
}

#[test]
fn nobody_answering_in_time_gives_up_with_no_answer() {
    let (mut dial, _) = Dial::start(&request(), T0);
    dial.handle(DialEvent::RemoteRinging, T0 + 1_000)
        .expect("ringing");
    assert_eq!(dial.on_time(T0 + DIAL_TIMEOUT_MS - 1), vec![]);
    assert_eq!(
        dial.on_time(T0 + DIAL_TIMEOUT_MS),
        vec![
            DialAction::Cancel,
            DialAction::EndMedia,
            tell(DialUpdate::Ended(DialOutcome::NoAnswer)),
        ]
    );
    assert_eq!(dial.outcome(), Some(DialOutcome::NoAnswer));
    assert_eq!(dial.on_time(T0 + DIAL_TIMEOUT_MS + 1), vec![]);
}

#[test]
fn either_side_hanging_up_ends_a_connected_call_as_connected() {
    let mut dial = connected();
    assert_eq!(
        dial.handle(DialEvent::RepHungUp, T0 + 60_000),
        Ok(vec![
            DialAction::Bye,
            DialAction::EndMedia,
            tell(DialUpdate::Ended(DialOutcome::Connected)),
        ])
    );
    let mut dial = connected();
    assert_eq!(
        dial.handle(DialEvent::RemoteHungUp, T0 + 60_000),
        Ok(vec![
            DialAction::EndMedia,
            tell(DialUpdate::Ended(DialOutcome::Connected)),
        ])
    );
    // Over is over: the rep cannot hang up again, a late BYE is absorbed.
    assert_eq!(
        dial.handle(DialEvent::RepHungUp, T0 + 61_000),
        Err(DialRefusal::Ended)
    );
    assert_eq!(
        dial.handle(DialEvent::RemoteHungUp, T0 + 61_000),
        Ok(vec![])
    );
    assert_eq!(dial.ended_at(), Some(T0 + 60_000));
}

#[test]
fn hold_and_resume_only_change_the_direction_of_the_audio() {
    let mut dial = connected();
    assert_eq!(
        dial.handle(DialEvent::Hold, T0 + 10_000),
        Ok(vec![DialAction::HoldRemote, tell(DialUpdate::OnHold)])
    );
    assert_eq!(dial.phase(), DialPhase::Connected { on_hold: true });
    assert_eq!(
        dial.handle(DialEvent::Hold, T0 + 11_000),
        Ok(vec![]),
        "already held"
    );
    // Held for as long as it takes: nothing ends it but a hang-up.
    assert_eq!(dial.next_deadline(), Some(T0 + 5_000 + HOUR_MS));
    assert_eq!(
        dial.handle(DialEvent::Resume, T0 + 20_000),
        Ok(vec![DialAction::ResumeRemote, tell(DialUpdate::Resumed)])
    );
    assert_eq!(dial.phase(), DialPhase::Connected { on_hold: false });
    assert_eq!(
        dial.handle(DialEvent::Resume, T0 + 21_000),
        Ok(vec![]),
        "not held"
    );
}

#[test]
fn a_call_not_yet_answered_cannot_be_held() {
    let (mut dial, _) = Dial::start(&request(), T0);
    let before = dial.clone();
    assert_eq!(
        dial.handle(DialEvent::Hold, T0 + 1_000),
        Err(DialRefusal::NotConnected)
    );
    assert_eq!(
        dial.handle(DialEvent::Resume, T0 + 1_000),
        Err(DialRefusal::NotConnected)
    );
    assert_eq!(dial, before, "a refused event changes nothing");
}

#[test]
fn a_connected_call_past_its_maximum_length_is_hung_up() {
    let mut dial = connected();
    let due = T0 + 5_000 + HOUR_MS;
    assert_eq!(dial.next_deadline(), Some(due));
    assert_eq!(dial.on_time(due - 1), vec![]);
    assert_eq!(
        dial.on_time(due),
        vec![
            DialAction::Bye,
            DialAction::EndMedia,
            tell(DialUpdate::Ended(DialOutcome::Connected)),
        ]
    );
}

#[test]
fn a_call_moved_to_the_phone_rings_it_moves_when_it_answers_and_ending_lets_it_go() {
    let mut dial = connected();
    let actions = dial
        .handle(DialEvent::MoveToPhone, T0 + 9_000)
        .expect("moving");
    assert_eq!(
        actions,
        [
            DialAction::RingPhone {
                number: PHONE.into()
            },
            tell(DialUpdate::MovingToPhone)
        ]
    );
    assert_eq!(dial.phone(), PhoneLeg::Ringing);
    assert_eq!(dial.handle(DialEvent::MoveToPhone, T0 + 9_100), Ok(vec![]));
    let actions = dial
        .handle(DialEvent::PhoneAnswered, T0 + 12_000)
        .expect("moved");
    assert_eq!(actions, [tell(DialUpdate::MovedToPhone)]);
    assert_eq!(dial.phone(), PhoneLeg::Answered);
    assert_eq!(
        dial.handle(DialEvent::MoveToPhone, T0 + 13_000),
        Err(DialRefusal::OnPhone)
    );
    // The prospect hangs up: the phone is let go with the call.
    let actions = dial
        .handle(DialEvent::RemoteHungUp, T0 + 60_000)
        .expect("ended");
    assert_eq!(
        actions,
        [
            DialAction::StopPhone,
            DialAction::EndMedia,
            tell(DialUpdate::Ended(DialOutcome::Connected))
        ]
    );
    // Late phone news is no error.
    assert_eq!(dial.handle(DialEvent::PhoneFailed, T0 + 61_000), Ok(vec![]));
}

#[test]
fn a_move_the_phone_does_not_take_keeps_the_call_in_the_browser() {
    let mut dial = connected();
    dial.handle(DialEvent::MoveToPhone, T0 + 9_000)
        .expect("moving");
    let actions = dial
        .handle(DialEvent::PhoneFailed, T0 + 10_000)
        .expect("failed");
    assert_eq!(actions, [tell(DialUpdate::MoveFailed)]);
    assert_eq!(dial.phone(), PhoneLeg::None);
    assert_eq!(dial.phase(), DialPhase::Connected { on_hold: false });
    // Hanging up now sends no StopPhone: there is no phone leg.
    let actions = dial
        .handle(DialEvent::RepHungUp, T0 + 20_000)
        .expect("ended");
    assert!(!actions.contains(&DialAction::StopPhone));
}

#[test]
fn only_a_connected_call_with_a_forwarding_phone_moves() {
    let (mut dialing, _) = Dial::start(&request(), T0);
    assert_eq!(
        dialing.handle(DialEvent::MoveToPhone, T0 + 1_000),
        Err(DialRefusal::NotConnected)
    );
    let (mut no_phone, _) = Dial::start(
        &DialRequest {
            forwarding_number: None,
            ..request()
        },
        T0,
    );
    no_phone
        .handle(DialEvent::RemoteAnswered, T0 + 2_000)
        .expect("answered");
    assert_eq!(
        no_phone.handle(DialEvent::MoveToPhone, T0 + 3_000),
        Err(DialRefusal::NoForwardingPhone)
    );
}

#[test]
fn a_move_s_news_is_told_as_a_call_update_and_progress_as_a_dial_update() {
    use protocol::signal::{CallUpdate, DialProgress, ServerMessage};
    let id = protocol::CallId(4);
    assert_eq!(
        DialUpdate::MovedToPhone.message(id),
        ServerMessage::CallUpdate {
            call_id: id,
            update: CallUpdate::MovedToPhone
        }
    );
    assert_eq!(
        DialUpdate::Ringing.message(id),
        ServerMessage::DialUpdate {
            call_id: id,
            update: DialProgress::Ringing
        }
    );
}
