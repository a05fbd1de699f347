use super::*;
use crate::CallEntry;
use protocol::PersonSnapshot;

const NOW: UnixMillis = 1_700_000_000_000;
const RING_FOR: i64 = 20_000;

fn ring(id: i64, offer: bool) -> IncomingCall {
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
        ring_deadline: NOW + RING_FOR,
        offer: offer.then(|| "v=0 offer".into()),
        also: Vec::new(),
    }
}

/// A model where call 1 (with an audio offer) rings.
fn ringing() -> Live {
    let mut live = Live::default();
    update(&mut live, Input::Incoming(ring(1, true)), NOW);
    live
}

fn press(live: &mut Live, button: u32) -> Vec<Effect> {
    update(
        live,
        Input::Button {
            notification: "ring:1".into(),
            button,
            microphone: true,
            connected: true,
        },
        NOW + 1_000,
    )
}

/// The offscreen document's answer (or failure) for call 1, at `at`.
fn answer(live: &mut Live, answer: Result<&str, &str>, at: UnixMillis) -> Vec<Effect> {
    let answer = answer.map(str::to_owned).map_err(str::to_owned);
    update(
        live,
        Input::Answer {
            call_id: CallId(1),
            answer,
        },
        at,
    )
}

/// The Accept for call 1 the server should get.
fn accept_with(answer: Option<&str>) -> ClientMessage {
    ClientMessage::Accept {
        id: "accept-1".into(),
        call_id: CallId(1),
        answer: answer.map(str::to_owned),
    }
}

fn phase(live: &Live) -> Option<CallPhase> {
    live.phase_of(CallId(1))
}

fn sent(effects: &[Effect]) -> Vec<&ClientMessage> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(message) => Some(message),
            _ => None,
        })
        .collect()
}

fn on(live: &mut Live, update_: CallUpdate) -> Vec<Effect> {
    update(
        live,
        Input::Update {
            call_id: CallId(1),
            update: update_,
        },
        NOW + 2_000,
    )
}

/// Ringing → Accept pressed → answer made → the server says Accepted.
fn connected() -> Live {
    let mut live = ringing();
    press(&mut live, 0);
    answer(&mut live, Ok("v=0 answer"), NOW + 1_500);
    on(&mut live, CallUpdate::Accepted);
    live
}

#[test]
fn a_ring_shows_the_notification_first_then_rings() {
    let mut live = Live::default();
    let effects = update(&mut live, Input::Incoming(ring(1, true)), NOW);
    assert_eq!(
        effects,
        vec![
            Effect::ShowRing(CallId(1)),
            Effect::Ringtone,
            Effect::NotifyPages
        ]
    );
    assert_eq!(phase(&live), Some(CallPhase::Ringing));
    assert!(live.ringing(NOW));
}

#[test]
fn a_ring_sent_again_after_a_reconnect_is_not_shown_twice() {
    let mut live = ringing();
    assert!(update(&mut live, Input::Incoming(ring(1, true)), NOW + 500).is_empty());
    assert_eq!(live.calls.len(), 1);
}

#[test]
fn accept_silences_clears_and_makes_the_audio_answer() {
    let mut live = ringing();
    let effects = press(&mut live, 0);
    assert_eq!(
        effects,
        vec![
            Effect::Ringtone,
            Effect::Clear("ring:1".into()),
            Effect::MakeAnswer {
                call_id: CallId(1),
                offer: "v=0 offer".into()
            }
        ]
    );
    assert_eq!(phase(&live), Some(CallPhase::Accepting));
    assert!(!live.ringing(NOW), "the ringtone stops on the press");
}

#[test]
fn the_answer_goes_to_the_server_with_accept_as_soon_as_it_is_made() {
    let mut live = ringing();
    press(&mut live, 0);
    let effects = answer(&mut live, Ok("v=0 answer"), NOW + 1_500);
    assert_eq!(sent(&effects), vec![&accept_with(Some("v=0 answer"))]);
}

#[test]
fn a_call_without_audio_is_accepted_at_once() {
    let mut live = Live::default();
    update(&mut live, Input::Incoming(ring(1, false)), NOW);
    let effects = press(&mut live, 0);
    assert_eq!(sent(&effects), vec![&accept_with(None)]);
}

#[test]
fn accept_without_the_microphone_opens_the_options_and_keeps_ringing() {
    let mut live = ringing();
    let effects = update(
        &mut live,
        Input::Button {
            notification: "ring:1".into(),
            button: 0,
            microphone: false,
            connected: true,
        },
        NOW,
    );
    assert_eq!(effects, vec![Effect::OpenOptions(Some("microphone"))]);
    assert_eq!(phase(&live), Some(CallPhase::Ringing));
}

#[test]
fn accept_while_offline_says_so_and_keeps_ringing() {
    let mut live = ringing();
    let effects = update(
        &mut live,
        Input::Button {
            notification: "ring:1".into(),
            button: 0,
            microphone: true,
            connected: false,
        },
        NOW,
    );
    assert!(matches!(
        effects[..],
        [Effect::Problem { offline: true, .. }]
    ));
    assert_eq!(phase(&live), Some(CallPhase::Ringing));
}

#[test]
fn an_accept_lost_with_the_socket_is_sent_again_when_the_ring_is_re_sent() {
    let mut live = ringing();
    press(&mut live, 0);
    // The answer is still being made: it goes when it is ready.
    assert!(update(&mut live, Input::Incoming(ring(1, true)), NOW + 1_200).is_empty());
    answer(&mut live, Ok("v=0 answer"), NOW + 1_500);
    let again = update(&mut live, Input::Incoming(ring(1, true)), NOW + 3_000);
    assert_eq!(sent(&again), vec![&accept_with(Some("v=0 answer"))]);
}

#[test]
fn accepted_connects_opens_the_record_once_and_makes_the_call_active() {
    let mut live = ringing();
    press(&mut live, 0);
    let effects = on(&mut live, CallUpdate::Accepted);
    assert!(effects.contains(&Effect::OpenRecord(CallId(1))));
    assert_eq!(phase(&live), Some(CallPhase::Connected));
    assert_eq!(live.active_call, Some(CallId(1)));
    assert_eq!(
        live.entry(CallId(1)).and_then(|e| e.answered_at),
        Some(NOW + 2_000)
    );
    // Confirmed again after a reconnect: no second tab.
    assert!(!on(&mut live, CallUpdate::Accepted).contains(&Effect::OpenRecord(CallId(1))));
}

#[test]
fn a_connected_call_that_ends_keeps_its_log_open_and_releases_the_audio() {
    let mut live = connected();
    let effects = on(&mut live, CallUpdate::Ended);
    assert!(effects.contains(&Effect::EndAudio(CallId(1))));
    assert_eq!(phase(&live), Some(CallPhase::Ended));
    assert!(phase(&live).is_some_and(CallPhase::loggable));
    assert!(!effects.contains(&Effect::CountMissed));
}

#[test]
fn answered_elsewhere_stops_ringing_and_is_not_a_missed_call() {
    let mut live = ringing();
    let effects = on(&mut live, CallUpdate::AnsweredElsewhere);
    assert_eq!(phase(&live), Some(CallPhase::Gone));
    assert!(effects.contains(&Effect::Clear("ring:1".into())));
    assert!(!effects.contains(&Effect::CountMissed));
    assert!(!live.ringing(NOW));
}

#[test]
fn a_caller_who_hangs_up_while_it_rings_is_a_missed_call() {
    let mut live = ringing();
    let effects = on(&mut live, CallUpdate::CallerHungUp);
    assert!(effects.contains(&Effect::CountMissed));
    assert!(effects.contains(&Effect::ShowMissed(Missed {
        call_id: CallId(1),
        context: "They hung up before anyone answered"
    })));
}

#[test]
fn no_answer_says_where_the_call_went() {
    for (outcome, context) in [
        (CallOutcome::Voicemail, "They reached your voicemail"),
        (CallOutcome::Forwarded, "Forwarded to your phone"),
    ] {
        let mut live = ringing();
        let effects = on(&mut live, CallUpdate::NoAnswer { outcome });
        assert!(effects.contains(&Effect::ShowMissed(Missed {
            call_id: CallId(1),
            context
        })));
    }
}

#[test]
fn an_update_for_a_call_never_rung_here_does_nothing() {
    let mut live = ringing();
    let effects = update(
        &mut live,
        Input::Update {
            call_id: CallId(9),
            update: CallUpdate::Accepted,
        },
        NOW,
    );
    assert!(effects.is_empty());
}

#[test]
fn close_tells_the_server_and_stops_ringing_here() {
    let mut live = ringing();
    let effects = press(&mut live, 1);
    assert!(matches!(
        sent(&effects)[..],
        [ClientMessage::Close {
            call_id: CallId(1),
            ..
        }]
    ));
    assert_eq!(phase(&live), Some(CallPhase::Gone));
    assert!(effects.contains(&Effect::Clear("ring:1".into())));
    assert!(!live.ringing(NOW));
}

#[test]
fn a_button_on_a_call_that_no_longer_rings_only_clears_it() {
    let mut live = ringing();
    on(&mut live, CallUpdate::AnsweredElsewhere);
    assert_eq!(press(&mut live, 0), vec![Effect::Clear("ring:1".into())]);
}

#[test]
fn a_ring_the_rep_dismisses_is_a_close_and_one_chrome_dismisses_is_not() {
    let mut live = ringing();
    let by_chrome = update(
        &mut live,
        Input::Dismissed {
            notification: "ring:1".into(),
            by_user: false,
        },
        NOW,
    );
    assert!(by_chrome.is_empty());
    let by_rep = update(
        &mut live,
        Input::Dismissed {
            notification: "ring:1".into(),
            by_user: true,
        },
        NOW,
    );
    assert_eq!(sent(&by_rep).len(), 1);
    assert_eq!(phase(&live), Some(CallPhase::Gone));
}

#[test]
fn a_click_on_a_missed_call_opens_the_options_and_on_a_ring_does_nothing() {
    let mut live = ringing();
    let missed = update(
        &mut live,
        Input::Clicked {
            notification: "missed:1".into(),
        },
        NOW,
    );
    assert_eq!(
        missed,
        vec![Effect::Clear("missed:1".into()), Effect::OpenOptions(None)]
    );
    let ring = update(
        &mut live,
        Input::Clicked {
            notification: "ring:1".into(),
        },
        NOW,
    );
    assert!(ring.is_empty());
}

#[test]
fn the_answer_failing_closes_here_and_says_the_phone_still_rings() {
    let mut live = ringing();
    press(&mut live, 0);
    let effects = answer(&mut live, Err("no microphone"), NOW + 1_500);
    assert_eq!(effects[0], Effect::EndAudio(CallId(1)));
    assert!(matches!(sent(&effects)[..], [ClientMessage::Close { .. }]));
    assert!(effects.contains(&Effect::ShowNoAudio {
        call_id: CallId(1),
        message: "no microphone".into()
    }));
    assert_eq!(phase(&live), Some(CallPhase::Gone));
}

#[test]
fn an_answer_made_after_the_call_went_elsewhere_only_releases_the_audio() {
    let mut live = ringing();
    press(&mut live, 0);
    on(&mut live, CallUpdate::AnsweredElsewhere);
    let effects = answer(&mut live, Ok("v=0 answer"), NOW + 3_000);
    assert_eq!(effects, vec![Effect::EndAudio(CallId(1))]);
}

#[test]
fn the_watchdog_stops_rings_whose_end_was_lost_and_only_those() {
    let mut live = ringing();
    update(
        &mut live,
        Input::Incoming(IncomingCall {
            ring_deadline: NOW + 600_000,
            ..ring(2, false)
        }),
        NOW,
    );
    let late = NOW + RING_FOR + crate::RING_GRACE_MS + 1;
    let effects = update(&mut live, Input::Expire { everything: false }, late);
    assert!(effects.contains(&Effect::Clear("ring:1".into())));
    assert!(!effects.contains(&Effect::Clear("ring:2".into())));
    assert_eq!(phase(&live), Some(CallPhase::Gone));
    assert_eq!(live.phase_of(CallId(2)), Some(CallPhase::Ringing));
    // Before its time, nothing goes.
    let mut early = ringing();
    assert!(
        update(
            &mut early,
            Input::Expire { everything: false },
            NOW + RING_FOR
        )
        .is_empty()
    );
}

#[test]
fn signing_out_stops_every_ring_and_the_audio_being_made() {
    let mut live = ringing();
    press(&mut live, 0);
    let effects = update(&mut live, Input::Expire { everything: true }, NOW);
    assert!(effects.contains(&Effect::EndAudio(CallId(1))));
    assert_eq!(phase(&live), Some(CallPhase::Gone));
}

#[test]
fn an_accept_the_server_refuses_undoes_what_the_worker_assumed() {
    let refuse = |code| {
        let mut live = ringing();
        press(&mut live, 0);
        let effects = update(
            &mut live,
            Input::Refused {
                id: Some("accept-1".into()),
                code,
                message: "why".into(),
            },
            NOW + 1_500,
        );
        (live, effects)
    };
    // Taken meanwhile: gone.
    let (live, effects) = refuse(SignalErrorCode::CallNotRinging);
    assert_eq!(phase(&live), Some(CallPhase::Gone));
    assert!(effects.contains(&Effect::EndAudio(CallId(1))));
    // A server failure: it rings again, so the rep can retry.
    let (live, effects) = refuse(SignalErrorCode::Internal);
    assert_eq!(phase(&live), Some(CallPhase::Ringing));
    assert!(effects.contains(&Effect::ShowRing(CallId(1))));
    // An answer the server cannot use: not answered here.
    let (live, effects) = refuse(SignalErrorCode::InvalidAnswer);
    assert_eq!(phase(&live), Some(CallPhase::Gone));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ShowNoAudio { .. }))
    );
}

#[test]
fn a_refusal_of_something_else_is_only_logged() {
    let mut live = ringing();
    let effects = update(
        &mut live,
        Input::Refused {
            id: Some("keepalive-3".into()),
            code: SignalErrorCode::MalformedMessage,
            message: "bad".into(),
        },
        NOW,
    );
    assert!(matches!(effects[..], [Effect::Warn(_)]));
    assert_eq!(phase(&live), Some(CallPhase::Ringing));
}

#[test]
fn hang_up_and_mute_only_for_a_call_connected_here() {
    let mut live = connected();
    let hang_up = |live: &mut Live, connected| {
        update(
            live,
            Input::HangUp {
                call_id: CallId(1),
                connected,
            },
            NOW + 5_000,
        )
    };
    assert!(matches!(hang_up(&mut live, false)[..], [Effect::Refuse(_)]));
    let effects = hang_up(&mut live, true);
    assert!(matches!(sent(&effects)[..], [ClientMessage::HangUp { .. }]));
    assert!(effects.contains(&Effect::EndAudio(CallId(1))));
    let muted = update(
        &mut live,
        Input::Mute {
            call_id: CallId(1),
            muted: true,
        },
        NOW,
    );
    assert_eq!(
        muted,
        vec![Effect::MuteAudio {
            call_id: CallId(1),
            muted: true
        }]
    );
    let mut still_ringing = ringing();
    assert!(matches!(
        hang_up(&mut still_ringing, true)[..],
        [Effect::Refuse(_)]
    ));
}

#[test]
fn message_ids_are_never_reused() {
    let mut live = Live::default();
    let ids: std::collections::HashSet<_> = (0..50).map(|_| live.message_id("close")).collect();
    assert_eq!(ids.len(), 50);
}

#[test]
fn a_call_kept_for_its_panel_survives_many_rings_after_it() {
    let mut live = connected();
    on(&mut live, CallUpdate::Ended);
    for id in 2..=60 {
        update(&mut live, Input::Incoming(ring(id, false)), NOW + id);
        update(
            &mut live,
            Input::Update {
                call_id: CallId(id),
                update: CallUpdate::AnsweredElsewhere,
            },
            NOW + id,
        );
    }
    let entry: Option<&CallEntry> = live.entry(CallId(1));
    assert!(entry.is_some_and(|e| e.phase.loggable()));
}

#[test]
fn a_step_with_no_effects_leaves_the_model_as_it_was() {
    // The worker stores the model only after steps with effects: a write
    // of an unchanged model could undo what another context stored.
    let noops = [
        Input::Incoming(ring(1, true)),
        Input::Dismissed {
            notification: "ring:1".into(),
            by_user: false,
        },
        Input::Clicked {
            notification: "ring:1".into(),
        },
        Input::Update {
            call_id: CallId(9),
            update: CallUpdate::Ended,
        },
        Input::Expire { everything: false },
        Input::Button {
            notification: "not-ours".into(),
            button: 0,
            microphone: true,
            connected: true,
        },
    ];
    for input in noops {
        let mut live = ringing();
        let before = live.clone();
        let effects = update(&mut live, input.clone(), NOW + 1_000);
        if effects.is_empty() {
            assert_eq!(live, before, "{input:?} changed the model silently");
        } else {
            panic!("{input:?} was expected to be a no-op: {effects:?}");
        }
    }
    // And one with effects that changes nothing is still fine to store;
    // what matters is the converse.
    let mut live = ringing();
    press(&mut live, 0);
    let before = live.clone();
    assert!(update(&mut live, Input::Incoming(ring(1, true)), NOW + 1_200).is_empty());
    assert_eq!(live, before);
}

/// Call 7, which the rep dialled from this browser.
fn dialled() -> Live {
    let mut live = Live::default();
    let effects = update(
        &mut live,
        Input::Dialled {
            call: ring(7, true),
            open_panel: true,
        },
        NOW,
    );
    assert_eq!(
        effects,
        [
            Effect::MakeAnswer {
                call_id: CallId(7),
                offer: "v=0 offer".into(),
            },
            Effect::OpenRecord(CallId(7)),
            Effect::NotifyPages,
        ],
        "the audio answer is made and the panel opens at once"
    );
    live
}

fn progress(live: &mut Live, update_: DialProgress, at: UnixMillis) -> Vec<Effect> {
    update(
        live,
        Input::DialProgress {
            call_id: CallId(7),
            update: update_,
        },
        at,
    )
}

#[test]
fn a_call_dialled_here_sends_its_audio_answer_to_the_server_and_never_rings() {
    let mut live = dialled();
    assert_eq!(live.phase_of(CallId(7)), Some(CallPhase::Accepting));
    assert!(!live.ringing(NOW), "no ringtone for the rep's own call");
    assert_eq!(live.active_call, Some(CallId(7)));
    assert!(live.needs_a_panel(CallId(7)));
    let effects = update(
        &mut live,
        Input::Answer {
            call_id: CallId(7),
            answer: Ok("v=0 answer".into()),
        },
        NOW + 100,
    );
    assert_eq!(
        effects,
        [Effect::SendDialAnswer {
            call_id: CallId(7),
            answer: "v=0 answer".into(),
        }]
    );
    assert!(
        sent(&effects).is_empty(),
        "no Accept: the rep placed this call"
    );
    // Dialled again (a retried click): nothing new.
    let again = Input::Dialled {
        call: ring(7, true),
        open_panel: true,
    };
    assert_eq!(update(&mut live, again, NOW + 200), []);
}

#[test]
fn a_dialled_call_connects_when_the_prospect_answers_and_stays_loggable_however_it_ends() {
    let mut live = dialled();
    assert_eq!(
        progress(&mut live, DialProgress::Ringing, NOW + 1_000),
        [Effect::NotifyPages]
    );
    assert_eq!(live.phase_of(CallId(7)), Some(CallPhase::Accepting));
    assert!(
        live.entry(CallId(7)).is_some_and(|e| e.remote_ringing),
        "the panel says it rings"
    );
    progress(&mut live, DialProgress::Connected, NOW + 4_000);
    assert_eq!(live.phase_of(CallId(7)), Some(CallPhase::Connected));
    assert_eq!(
        live.entry(CallId(7)).and_then(|e| e.answered_at),
        Some(NOW + 4_000)
    );
    let ended = progress(
        &mut live,
        DialProgress::Ended {
            outcome: protocol::api::DialOutcome::Connected,
        },
        NOW + 60_000,
    );
    assert_eq!(ended, [Effect::EndAudio(CallId(7)), Effect::NotifyPages]);
    assert_eq!(live.phase_of(CallId(7)), Some(CallPhase::Ended));
    assert!(live.needs_a_panel(CallId(7)), "answered and not logged yet");
    assert_eq!(
        live.entry(CallId(7)).and_then(|e| e.dial_result.clone()),
        None,
        "a call that connected ends as any call"
    );

    // Not answered at all: over, and still open to a note.
    let mut live = dialled();
    progress(
        &mut live,
        DialProgress::Ended {
            outcome: protocol::api::DialOutcome::Busy,
        },
        NOW + 2_000,
    );
    assert_eq!(live.phase_of(CallId(7)), Some(CallPhase::Ended));
    assert!(live.entry(CallId(7)).is_some_and(|e| e.phase.loggable()));
    assert_eq!(
        live.entry(CallId(7)).and_then(|e| e.dial_result.as_deref()),
        Some("Busy: they are on another call"),
        "the panel says how it ended"
    );
}

#[test]
fn a_call_dialled_from_a_panel_s_page_opens_no_other() {
    let mut live = Live::default();
    let from_the_crm = Input::Dialled {
        call: ring(7, true),
        open_panel: false,
    };
    let effects = update(&mut live, from_the_crm, NOW);
    assert!(
        !effects.contains(&Effect::OpenRecord(CallId(7))),
        "{effects:?}"
    );
    assert!(
        effects.contains(&Effect::NotifyPages),
        "the panel there shows it"
    );
    assert_eq!(live.active_call, Some(CallId(7)));
}

#[test]
fn a_dialled_call_can_be_hung_up_before_the_answer() {
    let mut live = dialled();
    let effects = update(
        &mut live,
        Input::HangUp {
            call_id: CallId(7),
            connected: true,
        },
        NOW + 1_000,
    );
    assert!(
        matches!(sent(&effects).as_slice(), [ClientMessage::HangUp { call_id, .. }] if *call_id == CallId(7)),
        "{effects:?}"
    );
    assert!(effects.contains(&Effect::EndAudio(CallId(7))));
}

#[test]
fn a_dialled_call_without_audio_in_chrome_is_given_up() {
    let mut live = dialled();
    let effects = update(
        &mut live,
        Input::Answer {
            call_id: CallId(7),
            answer: Err("no microphone".into()),
        },
        NOW + 100,
    );
    assert!(
        matches!(sent(&effects).as_slice(), [ClientMessage::HangUp { call_id, .. }] if *call_id == CallId(7)),
        "{effects:?}"
    );
    assert!(effects.iter().any(
        |e| matches!(e, Effect::Problem { message, .. } if message.contains("no microphone"))
    ));
}

#[test]
fn dial_progress_for_a_call_rung_here_changes_nothing() {
    let mut live = ringing();
    let before = live.clone();
    let effects = update(
        &mut live,
        Input::DialProgress {
            call_id: CallId(1),
            update: DialProgress::Connected,
        },
        NOW,
    );
    assert!(effects.is_empty());
    assert_eq!(live, before);
}

#[test]
fn a_dial_update_that_beats_the_dial_s_answer_is_applied_once_it_comes() {
    // The prospect's 180 came over the socket before the server's answer
    // to the dial reached the worker.
    let mut live = Live::default();
    assert_eq!(progress(&mut live, DialProgress::Ringing, NOW), []);
    for other in 100..120 {
        let input = Input::DialProgress {
            call_id: CallId(other),
            update: DialProgress::Ringing,
        };
        update(&mut live, input, NOW);
    }
    assert_eq!(live.early.len(), crate::model::MAX_EARLY, "bounded");
    let mut live = Live::default();
    progress(&mut live, DialProgress::Ringing, NOW);
    let effects = update(
        &mut live,
        Input::Dialled {
            call: ring(7, true),
            open_panel: false,
        },
        NOW + 50,
    );
    assert!(effects.contains(&Effect::NotifyPages), "{effects:?}");
    assert!(live.entry(CallId(7)).is_some_and(|e| e.remote_ringing));
    assert!(live.early.is_empty());
}
