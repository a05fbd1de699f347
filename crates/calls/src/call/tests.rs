use super::*;
use crate::route::RingRequest;

const T0: UnixMillis = 1_700_000_000_000;
const TIMEOUT: i64 = 20_000;
const PHONE: &str = "+14155550199";
const MAX_CALL: i64 = 60 * 60 * 1000;

fn request() -> RingRequest {
    RingRequest {
        inbound_enabled: true,
        custom_caller_id_set: false,
        browser: crate::BrowserPresence::Connected,
        availability: protocol::Availability::AVAILABLE,
        forwarding_number: Some(PHONE.into()),
        no_answer_action: NoAnswerAction::Voicemail,
        ring_timeout_ms: TIMEOUT,
        max_call_ms: MAX_CALL,
    }
}

fn ring(request: RingRequest) -> (Call, Vec<Action>) {
    Call::ring(&request, T0)
}

fn accept(device: &str) -> Event {
    Event::BrowserAccept {
        device_id: device.into(),
    }
}

fn tell_all(update: CallUpdate) -> Action {
    Action::Tell {
        audience: Audience::AllBrowsers,
        update,
    }
}

#[test]
fn browser_and_phone_ring_at_the_same_time() {
    let (call, actions) = ring(request());
    assert_eq!(
        actions,
        vec![
            Action::RingBrowser,
            Action::RingPhone {
                number: PHONE.into()
            }
        ]
    );
    assert_eq!(call.status(), CallStatus::Ringing);
    assert!(call.rings_in_browser());
    assert_eq!(call.phone_leg(), LegState::Ringing);
    assert_eq!(call.ring_deadline(), T0 + TIMEOUT);
}

#[test]
fn ineligible_browser_means_the_phone_rings_alone() {
    for request in [
        RingRequest {
            inbound_enabled: false,
            ..request()
        },
        RingRequest {
            custom_caller_id_set: true,
            ..request()
        },
        RingRequest {
            browser: crate::BrowserPresence::Away,
            ..request()
        },
    ] {
        let (mut call, actions) = ring(request.clone());
        assert_eq!(
            actions,
            vec![Action::RingPhone {
                number: PHONE.into()
            }],
            "{request:?}"
        );
        assert_eq!(call.browser_leg(), LegState::NotRung);
        // And a browser cannot take a call it was never offered.
        assert_eq!(
            call.handle(accept("d1"), T0 + 1),
            Err(Refusal::NotOfferedToBrowser)
        );
        assert_eq!(call.status(), CallStatus::Ringing);
    }
}

#[test]
fn a_call_that_can_ring_nowhere_goes_to_voicemail_at_once() {
    let (call, actions) = ring(RingRequest {
        browser: crate::BrowserPresence::Away,
        forwarding_number: None,
        ..request()
    });
    assert_eq!(actions, vec![Action::StartVoicemail]);
    assert_eq!(call.outcome(), Some(CallOutcome::Voicemail));
    assert_eq!(call.phase(), &Phase::Connected(Answerer::Voicemail));
}

#[test]
fn a_browser_gone_a_moment_ago_rings_with_the_phone_and_can_still_answer() {
    // Its worker restarts: the call rings there once it says Hello again.
    let (mut call, actions) = ring(RingRequest {
        browser: crate::BrowserPresence::LeftAt(T0 - 4_000),
        ..request()
    });
    assert_eq!(
        actions,
        vec![
            Action::RingBrowser,
            Action::RingPhone {
                number: PHONE.into()
            }
        ]
    );
    assert!(call.rings_in_browser());
    assert!(call.handle(accept("d1"), T0 + 2_000).is_ok());
    assert_eq!(
        call.phase(),
        &Phase::Connected(Answerer::Browser {
            device_id: "d1".into()
        })
    );
}

#[test]
fn with_no_phone_a_call_waits_for_a_browser_gone_a_moment_ago_instead_of_voicemail_at_once() {
    let (mut call, actions) = ring(RingRequest {
        browser: crate::BrowserPresence::LeftAt(T0 - 4_000),
        forwarding_number: None,
        ..request()
    });
    assert_eq!(actions, vec![Action::RingBrowser]);
    // Nobody came back: the no-answer rule, at the usual time.
    assert!(call.on_time(T0 + TIMEOUT - 1).is_empty());
    assert!(call.on_time(T0 + TIMEOUT).contains(&Action::StartVoicemail));
}

#[test]
fn a_browser_gone_past_the_grace_does_not_ring() {
    let (call, actions) = ring(RingRequest {
        browser: crate::BrowserPresence::LeftAt(T0 - crate::PRESENCE_GRACE_MS - 1),
        ..request()
    });
    assert_eq!(
        actions,
        vec![Action::RingPhone {
            number: PHONE.into()
        }]
    );
    assert!(!call.rings_in_browser());
}

#[test]
fn browser_answer_wins_and_the_phone_stops() {
    let (mut call, _) = ring(request());
    let actions = call.handle(accept("d1"), T0 + 3_000).expect("accepted");
    assert_eq!(
        actions,
        vec![
            Action::Tell {
                audience: Audience::Device("d1".into()),
                update: CallUpdate::Accepted
            },
            Action::Tell {
                audience: Audience::AllBrowsersExcept("d1".into()),
                update: CallUpdate::AnsweredElsewhere
            },
            Action::StopPhone,
        ]
    );
    assert_eq!(call.outcome(), Some(CallOutcome::AnsweredInBrowser));
    assert_eq!(call.phone_leg(), LegState::Stopped);
    assert_eq!(call.answered_at(), Some(T0 + 3_000));
    // The phone answering late loses.
    assert_eq!(
        call.handle(Event::PhoneAnswered, T0 + 3_001),
        Err(Refusal::NotRinging)
    );
    // And the deadline no longer matters.
    assert_eq!(call.on_time(T0 + TIMEOUT + 1), vec![]);
}

#[test]
fn phone_answer_wins_and_the_browser_hears_answered_elsewhere() {
    let (mut call, _) = ring(request());
    let actions = call
        .handle(Event::PhoneAnswered, T0 + 2_000)
        .expect("answered");
    assert_eq!(actions, vec![tell_all(CallUpdate::AnsweredElsewhere)]);
    assert_eq!(call.outcome(), Some(CallOutcome::AnsweredOnPhone));
    assert_eq!(call.browser_leg(), LegState::Stopped);
    assert_eq!(
        call.handle(accept("d1"), T0 + 2_001),
        Err(Refusal::NotRinging)
    );
}

#[test]
fn two_browsers_racing_accept_exactly_one_wins() {
    let (mut call, _) = ring(request());
    let first = call.handle(accept("laptop"), T0 + 1_000);
    let second = call.handle(accept("desktop"), T0 + 1_001);
    assert!(first.is_ok());
    assert_eq!(second, Err(Refusal::NotRinging));
    assert_eq!(
        call.phase(),
        &Phase::Connected(Answerer::Browser {
            device_id: "laptop".into()
        })
    );
}

#[test]
fn a_retried_accept_from_the_winner_is_confirmed_again() {
    let (mut call, _) = ring(request());
    call.handle(accept("laptop"), T0 + 1_000).expect("accepted");
    let retry = call
        .handle(accept("laptop"), T0 + 1_500)
        .expect("idempotent");
    assert_eq!(
        retry,
        vec![Action::Tell {
            audience: Audience::Device("laptop".into()),
            update: CallUpdate::Accepted
        }]
    );
    assert_eq!(call.answered_at(), Some(T0 + 1_000));
}

#[test]
fn close_stops_only_the_browser_and_the_timer_keeps_running() {
    let (mut call, _) = ring(request());
    let actions = call
        .handle(Event::BrowserClose, T0 + 1_000)
        .expect("closed");
    assert_eq!(actions, vec![tell_all(CallUpdate::RingingClosed)]);
    assert_eq!(call.browser_leg(), LegState::Closed);
    assert_eq!(call.phone_leg(), LegState::Ringing);
    assert_eq!(call.status(), CallStatus::Ringing);
    assert_eq!(call.ring_deadline(), T0 + TIMEOUT);
    // Closing twice is harmless.
    assert_eq!(call.handle(Event::BrowserClose, T0 + 1_100), Ok(vec![]));
    // The rep can still pick up the phone.
    assert!(call.handle(Event::PhoneAnswered, T0 + 5_000).is_ok());
}

#[test]
fn nothing_happens_before_the_deadline() {
    let (mut call, _) = ring(request());
    assert_eq!(call.on_time(T0 + TIMEOUT - 1), vec![]);
    assert_eq!(call.status(), CallStatus::Ringing);
}

#[test]
fn timeout_with_voicemail_setting_records_a_voicemail() {
    let (mut call, _) = ring(request());
    let actions = call.on_time(T0 + TIMEOUT);
    assert_eq!(
        actions,
        vec![
            tell_all(CallUpdate::NoAnswer {
                outcome: CallOutcome::Voicemail
            }),
            Action::StopPhone,
            Action::StartVoicemail,
        ]
    );
    assert_eq!(call.outcome(), Some(CallOutcome::Voicemail));
    assert_eq!(call.status(), CallStatus::Connected);
    // The caller leaving ends the recording.
    assert_eq!(
        call.handle(Event::CallerHungUp, T0 + 40_000),
        Ok(vec![Action::EndMedia])
    );
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.ended_at(), Some(T0 + 40_000));
}

#[test]
fn timeout_with_forward_setting_hands_the_call_to_the_phone() {
    let (mut call, _) = ring(RingRequest {
        no_answer_action: NoAnswerAction::Forward,
        ..request()
    });
    call.handle(Event::BrowserClose, T0 + 1_000)
        .expect("closed");
    let actions = call.on_time(T0 + TIMEOUT + 250);
    assert_eq!(
        actions,
        vec![
            tell_all(CallUpdate::NoAnswer {
                outcome: CallOutcome::Forwarded
            }),
            Action::ForwardToPhone {
                number: PHONE.into()
            },
        ]
    );
    assert_eq!(call.outcome(), Some(CallOutcome::Forwarded));
    assert_eq!(call.status(), CallStatus::Ended);
    // Time passing again does nothing more.
    assert_eq!(call.on_time(T0 + 2 * TIMEOUT), vec![]);
}

#[test]
fn forward_without_a_forwarding_number_falls_back_to_voicemail() {
    let (mut call, _) = ring(RingRequest {
        no_answer_action: NoAnswerAction::Forward,
        forwarding_number: None,
        ..request()
    });
    let actions = call.on_time(T0 + TIMEOUT);
    assert!(actions.contains(&Action::StartVoicemail));
    assert_eq!(call.outcome(), Some(CallOutcome::Voicemail));
}

#[test]
fn caller_hanging_up_while_ringing_is_a_missed_call() {
    let (mut call, _) = ring(request());
    let actions = call
        .handle(Event::CallerHungUp, T0 + 4_000)
        .expect("hung up");
    assert_eq!(
        actions,
        vec![tell_all(CallUpdate::CallerHungUp), Action::StopPhone]
    );
    assert_eq!(call.outcome(), Some(CallOutcome::Missed));
    assert_eq!(call.status(), CallStatus::Ended);
    // A repeated webhook is harmless, and the timeout no longer fires.
    assert_eq!(call.handle(Event::CallerHungUp, T0 + 4_001), Ok(vec![]));
    assert_eq!(call.on_time(T0 + TIMEOUT), vec![]);
}

#[test]
fn caller_hanging_up_a_browser_call_tells_that_browser() {
    let (mut call, _) = ring(request());
    call.handle(accept("d1"), T0 + 1_000).expect("accepted");
    let actions = call
        .handle(Event::CallerHungUp, T0 + 60_000)
        .expect("ended");
    assert_eq!(
        actions,
        vec![
            Action::Tell {
                audience: Audience::Device("d1".into()),
                update: CallUpdate::Ended
            },
            Action::EndMedia,
        ]
    );
    assert_eq!(call.ended_at(), Some(T0 + 60_000));
}

#[test]
fn rep_hang_up_needs_a_connected_call() {
    let (mut call, _) = ring(request());
    assert_eq!(
        call.handle(Event::RepHungUp, T0 + 1),
        Err(Refusal::NotConnected)
    );
    call.handle(Event::PhoneAnswered, T0 + 2).expect("answered");
    assert_eq!(
        call.handle(Event::RepHungUp, T0 + 3),
        Ok(vec![Action::EndMedia])
    );
    assert_eq!(call.status(), CallStatus::Ended);
}

#[test]
fn a_rep_hanging_up_in_the_browser_tells_that_browser_it_ended() {
    let (mut call, _) = ring(request());
    call.handle(accept("laptop"), T0 + 1).expect("accepted");
    assert_eq!(
        call.handle(Event::RepHungUp, T0 + 2),
        Ok(vec![
            Action::Tell {
                audience: Audience::Device("laptop".into()),
                update: CallUpdate::Ended,
            },
            Action::EndMedia,
        ])
    );
    assert_eq!(call.status(), CallStatus::Ended);
}

#[test]
fn a_voicemail_ends_at_the_length_limit() {
    let (mut call, _) = ring(request());
    call.on_time(T0 + TIMEOUT);
    assert_eq!(call.next_deadline(), Some(T0 + TIMEOUT + MAX_VOICEMAIL_MS));
    assert_eq!(call.on_time(T0 + TIMEOUT + MAX_VOICEMAIL_MS - 1), vec![]);
    assert_eq!(
        call.on_time(T0 + TIMEOUT + MAX_VOICEMAIL_MS),
        vec![Action::EndMedia]
    );
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.next_deadline(), None);
}

#[test]
fn an_answered_call_has_no_ring_deadline_only_its_maximum_length() {
    let (mut call, _) = ring(request());
    assert_eq!(call.next_deadline(), Some(T0 + TIMEOUT));
    call.handle(accept("d1"), T0 + 1).expect("accepted");
    assert_eq!(call.next_deadline(), Some(T0 + 1 + MAX_CALL));
    assert_eq!(call.on_time(T0 + 10 * MAX_VOICEMAIL_MS), vec![]);
}

#[test]
fn the_phone_cannot_answer_a_call_it_never_rang() {
    let (mut call, _) = ring(RingRequest {
        forwarding_number: None,
        ..request()
    });
    assert_eq!(
        call.handle(Event::PhoneAnswered, T0 + 1),
        Err(Refusal::NotOfferedToPhone)
    );
    assert_eq!(call.status(), CallStatus::Ringing);
}

#[test]
fn a_phone_that_fails_never_drops_the_caller_and_voicemail_takes_the_forward() {
    let (mut call, _) = ring(RingRequest {
        no_answer_action: NoAnswerAction::Forward,
        ..request()
    });
    // Busy, declined or unreachable: the browser keeps ringing.
    assert_eq!(call.handle(Event::PhoneFailed, T0 + 1_000), Ok(vec![]));
    assert_eq!(call.phone_leg(), LegState::Stopped);
    assert!(call.rings_in_browser());
    assert_eq!(
        call.handle(Event::PhoneAnswered, T0 + 1_500),
        Err(Refusal::NotOfferedToPhone),
        "a failed phone cannot answer"
    );
    // No answer: there is no phone to forward to, so voicemail answers.
    let actions = call.on_time(T0 + TIMEOUT);
    assert!(actions.contains(&Action::StartVoicemail), "{actions:?}");
    assert!(
        !actions.contains(&Action::StopPhone),
        "the phone is already stopped"
    );
    assert_eq!(call.outcome(), Some(CallOutcome::Voicemail));
    // A failure reported late changes nothing.
    let (mut answered, _) = ring(request());
    answered.handle(accept("d1"), T0 + 1_000).expect("accepted");
    assert_eq!(answered.handle(Event::PhoneFailed, T0 + 2_000), Ok(vec![]));
    assert_eq!(answered.outcome(), Some(CallOutcome::AnsweredInBrowser));
}

#[test]
fn a_connected_call_whose_hang_up_never_comes_ends_at_its_maximum() {
    let (mut call, _) = ring(request());
    call.handle(accept("d1"), T0 + 1_000).expect("accepted");
    assert_eq!(call.next_deadline(), Some(T0 + 1_000 + MAX_CALL));
    assert_eq!(call.on_time(T0 + MAX_CALL), vec![], "not yet");
    let actions = call.on_time(T0 + 1_000 + MAX_CALL);
    assert_eq!(
        actions,
        vec![
            Action::Tell {
                audience: Audience::Device("d1".into()),
                update: CallUpdate::Ended
            },
            Action::EndMedia
        ]
    );
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.outcome(), Some(CallOutcome::AnsweredInBrowser));
    assert_eq!(call.next_deadline(), None);
}

#[test]
fn do_not_disturb_everywhere_goes_straight_to_the_no_answer_action() {
    let dnd = protocol::Availability {
        mode: protocol::AvailabilityMode::DndEverywhere,
        until: None,
    };
    let (call, actions) = ring(RingRequest {
        availability: dnd,
        ..request()
    });
    assert_eq!(actions, vec![Action::StartVoicemail]);
    assert_eq!(call.outcome(), Some(CallOutcome::Voicemail));
    assert_eq!(call.browser_leg(), LegState::NotRung);
    assert_eq!(call.phone_leg(), LegState::NotRung);

    let (call, actions) = ring(RingRequest {
        availability: dnd,
        no_answer_action: NoAnswerAction::Forward,
        ..request()
    });
    assert_eq!(
        actions,
        vec![Action::ForwardToPhone {
            number: PHONE.into()
        }]
    );
    assert_eq!(call.outcome(), Some(CallOutcome::Forwarded));
}

#[test]
fn do_not_disturb_in_chrome_rings_the_phone_and_its_timeout_still_applies() {
    let (mut call, actions) = ring(RingRequest {
        availability: protocol::Availability {
            mode: protocol::AvailabilityMode::DndBrowser,
            until: Some(T0 + 60_000),
        },
        ..request()
    });
    assert_eq!(
        actions,
        vec![Action::RingPhone {
            number: PHONE.into()
        }]
    );
    assert_eq!(call.browser_leg(), LegState::NotRung);
    assert!(call.on_time(T0 + TIMEOUT).contains(&Action::StartVoicemail));
}

/// A call answered in the browser `d1` at T0 + 1 s.
fn on_call_in_browser(request: RingRequest) -> Call {
    let (mut call, _) = ring(request);
    call.handle(accept("d1"), T0 + 1_000).expect("accepted");
    call
}

fn move_from(device: &str) -> Event {
    Event::MoveToPhone {
        device_id: device.into(),
    }
}

fn tell_d1(update: CallUpdate) -> Action {
    Action::Tell {
        audience: Audience::Device("d1".into()),
        update,
    }
}

#[test]
fn move_to_my_phone_rings_the_phone_and_the_call_moves_when_it_answers() {
    let mut call = on_call_in_browser(request());
    let actions = call.handle(move_from("d1"), T0 + 5_000).expect("moving");
    assert_eq!(
        actions,
        vec![
            Action::RingPhone {
                number: PHONE.into()
            },
            tell_d1(CallUpdate::MovingToPhone),
        ]
    );
    // Until the phone answers the call is still the browser's.
    assert_eq!(
        call.phase(),
        &Phase::Connected(Answerer::Browser {
            device_id: "d1".into()
        })
    );
    assert_eq!(call.phone_leg(), LegState::Ringing);
    // A second click changes nothing.
    assert_eq!(call.handle(move_from("d1"), T0 + 5_100), Ok(vec![]));

    let actions = call
        .handle(Event::PhoneAnswered, T0 + 9_000)
        .expect("moved");
    assert_eq!(actions, vec![tell_d1(CallUpdate::MovedToPhone)]);
    assert_eq!(call.phase(), &Phase::Connected(Answerer::Phone));
    assert_eq!(call.phone_leg(), LegState::Answered);
    // Still answered in the browser, and timed from then.
    assert_eq!(call.outcome(), Some(CallOutcome::AnsweredInBrowser));
    assert_eq!(call.answered_at(), Some(T0 + 1_000));

    // Hung up on the phone: the browser that moved it hears the end.
    let actions = call.handle(Event::RepHungUp, T0 + 60_000).expect("ended");
    assert_eq!(actions, vec![tell_d1(CallUpdate::Ended), Action::EndMedia]);
    assert_eq!(call.status(), CallStatus::Ended);
}

#[test]
fn a_move_the_phone_does_not_take_leaves_the_call_in_the_browser() {
    let mut call = on_call_in_browser(request());
    call.handle(move_from("d1"), T0 + 5_000).expect("moving");
    let actions = call.handle(Event::PhoneFailed, T0 + 8_000).expect("failed");
    assert_eq!(actions, vec![tell_d1(CallUpdate::MoveFailed)]);
    assert_eq!(
        call.phase(),
        &Phase::Connected(Answerer::Browser {
            device_id: "d1".into()
        })
    );
    assert_eq!(call.phone_leg(), LegState::Stopped);
    // It can be tried again.
    assert!(
        call.handle(move_from("d1"), T0 + 9_000)
            .expect("again")
            .contains(&Action::RingPhone {
                number: PHONE.into()
            })
    );
}

#[test]
fn hanging_up_during_a_move_stops_the_phone() {
    let mut call = on_call_in_browser(request());
    call.handle(move_from("d1"), T0 + 5_000).expect("moving");
    let actions = call.handle(Event::CallerHungUp, T0 + 6_000).expect("ended");
    assert_eq!(
        actions,
        vec![
            tell_d1(CallUpdate::Ended),
            Action::StopPhone,
            Action::EndMedia
        ]
    );
    assert_eq!(call.phone_leg(), LegState::Stopped);
}

#[test]
fn only_the_browser_on_the_call_can_move_it_and_only_to_a_phone_that_is_set() {
    let (mut ringing, _) = ring(request());
    assert_eq!(
        ringing.handle(move_from("d1"), T0 + 1_000),
        Err(Refusal::NotConnectedHere)
    );
    let mut call = on_call_in_browser(request());
    assert_eq!(
        call.handle(move_from("d2"), T0 + 5_000),
        Err(Refusal::NotConnectedHere)
    );
    let mut no_phone = on_call_in_browser(RingRequest {
        forwarding_number: None,
        ..request()
    });
    assert_eq!(
        no_phone.handle(move_from("d1"), T0 + 5_000),
        Err(Refusal::NoForwardingPhone)
    );
    // A call already on the phone cannot be moved again.
    call.handle(move_from("d1"), T0 + 5_000).expect("moving");
    call.handle(Event::PhoneAnswered, T0 + 6_000)
        .expect("moved");
    assert_eq!(
        call.handle(move_from("d1"), T0 + 7_000),
        Err(Refusal::NotConnectedHere)
    );
}

fn hold(device: &str) -> Event {
    Event::Hold {
        device_id: device.into(),
    }
}

fn resume(device: &str) -> Event {
    Event::Resume {
        device_id: device.into(),
    }
}

#[test]
fn the_browser_on_a_call_holds_and_resumes_it_and_nothing_ends() {
    let mut call = on_call_in_browser(request());
    let actions = call.handle(hold("d1"), T0 + 5_000).expect("held");
    assert_eq!(
        actions,
        vec![Action::HoldCaller, tell_d1(CallUpdate::OnHold)]
    );
    assert!(call.held());
    assert_eq!(call.status(), CallStatus::Connected);
    // A retried hold changes nothing.
    assert_eq!(call.handle(hold("d1"), T0 + 5_100), Ok(vec![]));
    // The time limit still counts from the answer.
    assert_eq!(call.next_deadline(), Some(T0 + 1_000 + MAX_CALL));
    let actions = call.handle(resume("d1"), T0 + 30_000).expect("resumed");
    assert_eq!(
        actions,
        vec![Action::ResumeCaller, tell_d1(CallUpdate::Resumed)]
    );
    assert!(!call.held());
}

#[test]
fn a_held_call_ends_as_any_call_when_someone_hangs_up() {
    let mut call = on_call_in_browser(request());
    call.handle(hold("d1"), T0 + 5_000).expect("held");
    let actions = call.handle(Event::CallerHungUp, T0 + 9_000).expect("ended");
    assert_eq!(actions, vec![tell_d1(CallUpdate::Ended), Action::EndMedia]);
}

#[test]
fn only_the_browser_on_the_call_holds_it() {
    let (mut ringing, _) = ring(request());
    assert_eq!(
        ringing.handle(hold("d1"), T0 + 1_000),
        Err(Refusal::NotConnectedHere)
    );
    let mut call = on_call_in_browser(request());
    assert_eq!(
        call.handle(hold("d2"), T0 + 5_000),
        Err(Refusal::NotConnectedHere)
    );
    assert_eq!(
        call.handle(resume("d2"), T0 + 5_000),
        Err(Refusal::NotConnectedHere)
    );
}

#[test]
fn a_held_call_moved_to_the_phone_is_taken_off_hold_there() {
    let mut call = on_call_in_browser(request());
    call.handle(hold("d1"), T0 + 3_000).expect("held");
    call.handle(move_from("d1"), T0 + 5_000).expect("moving");
    let actions = call
        .handle(Event::PhoneAnswered, T0 + 9_000)
        .expect("moved");
    assert_eq!(
        actions,
        vec![tell_d1(CallUpdate::MovedToPhone), Action::ResumeCaller]
    );
    assert!(!call.held());
    assert_eq!(call.phase(), &Phase::Connected(Answerer::Phone));
}
