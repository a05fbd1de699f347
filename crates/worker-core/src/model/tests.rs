use super::*;
use protocol::PersonSnapshot;
pub(crate) fn entry(id: i64, phase: CallPhase, answered: bool, logged: bool) -> CallEntry {
    CallEntry {
        call: IncomingCall {
            call_id: CallId(id),
            person: PersonSnapshot {
                id: None,
                name: None,
                title: None,
                account: None,
                crm_url: None,
                number: "+14155550123".into(),
            },
            to: "+14155550100".into(),
            started_at: 1_000 * id,
            ring_deadline: 1_000 * id + 20_000,
            offer: None,
            also: Vec::new(),
        },
        phase,
        answered_at: answered.then_some(1_000 * id + 5_000),
        ended_at: None,
        log: logged.then(|| LogState {
            notes: String::new(),
            disposition_id: None,
            sentiment_id: None,
            delivery: LogDelivery::Logged,
        }),
        answer: None,
        draft: None,
        outbound: false,
        moving: false,
        move_note: None,
        held: false,
        remote_ringing: false,
        dial_result: None,
        keyed: String::new(),
        keypad_note: None,
    }
}

fn ids(live: &Live) -> Vec<i64> {
    live.calls.iter().map(|e| e.call.call_id.0).collect()
}

#[test]
fn a_call_answered_here_and_not_logged_survives_any_number_of_later_calls() {
    let mut live = Live::default();
    live.calls.push(entry(1, CallPhase::Ended, true, false));
    for id in 2..=100 {
        live.calls.push(entry(id, CallPhase::Gone, false, false));
        live.prune();
    }
    assert!(ids(&live).contains(&1), "the unlogged call is kept");
    assert_eq!(live.calls.len(), 1 + KEEP_SETTLED);
    // The settled ones kept are the newest, in order.
    assert_eq!(ids(&live)[1..], (81..=100).collect::<Vec<_>>()[..]);
}

#[test]
fn a_live_or_active_call_is_kept_and_a_logged_one_is_just_history() {
    let mut live = Live::default();
    live.calls.push(entry(1, CallPhase::Connected, true, false));
    live.calls.push(entry(2, CallPhase::Ended, true, true));
    live.calls.push(entry(61, CallPhase::Ringing, false, false));
    live.calls.push(entry(3, CallPhase::Gone, false, false));
    live.active_call = Some(CallId(3));
    for id in 4..=60 {
        live.calls.push(entry(id, CallPhase::Gone, false, false));
    }
    live.prune();
    let kept = ids(&live);
    assert!(kept.contains(&1), "the connected call");
    assert!(kept.contains(&3), "the active call");
    assert!(kept.contains(&61), "a ringing call");
    assert!(!kept.contains(&2), "a logged call is history like the rest");
}

#[test]
fn storage_stays_bounded_even_by_calls_that_are_never_logged() {
    let mut live = Live::default();
    for id in 1..=500 {
        live.calls.push(entry(id, CallPhase::Ended, true, false));
    }
    live.prune();
    assert_eq!(live.calls.len(), KEEP_AT_MOST);
    assert_eq!(ids(&live)[0], 301, "the oldest go first");
}

#[test]
fn a_shortcut_acts_on_the_newest_call_still_ringing() {
    let mut live = Live::default();
    assert_eq!(live.ringing_call(0), None);
    live.calls.push(entry(1, CallPhase::Ringing, false, false));
    live.calls.push(entry(2, CallPhase::Ringing, false, false));
    live.calls.push(entry(3, CallPhase::Gone, false, false));
    assert_eq!(live.ringing_call(2_000), Some(CallId(2)));
    // Call 2's ring is long over (its end was lost): call 1's is not yet.
    let later = 2_000 + 20_000 + RING_GRACE_MS + 1;
    live.calls[0].call.ring_deadline = later;
    assert_eq!(live.ringing_call(later), Some(CallId(1)));
}

#[test]
fn a_ring_is_over_only_after_its_deadline_and_the_grace() {
    assert!(!ring_is_over(1_000, 1_000));
    assert!(!ring_is_over(1_000, 1_000 + RING_GRACE_MS));
    assert!(ring_is_over(1_000, 1_001 + RING_GRACE_MS));
    assert!(!ring_is_over(i64::MAX, i64::MAX));
}

#[test]
fn a_panel_is_needed_while_on_the_call_and_until_it_is_logged() {
    let mut live = Live::default();
    live.calls.push(entry(1, CallPhase::Connected, true, false));
    live.calls.push(entry(2, CallPhase::Ended, true, false));
    live.calls.push(entry(3, CallPhase::Ended, true, true));
    live.calls.push(entry(4, CallPhase::Gone, false, false));
    live.calls.push(entry(5, CallPhase::Ringing, false, false));
    let needed: Vec<i64> = (1..=6)
        .filter(|id| live.needs_a_panel(CallId(*id)))
        .collect();
    assert_eq!(needed, vec![1, 2]);
}

#[test]
fn choosing_another_person_on_the_number_swaps_who_the_call_shows() {
    use protocol::PersonId;
    let mut live = Live::default();
    let mut call = entry(1, CallPhase::Connected, true, false);
    call.call.person.id = Some(PersonId(10));
    let mut other = call.call.person.clone();
    other.id = Some(PersonId(11));
    other.name = Some("John Roe".into());
    call.call.also = vec![other];
    live.calls.push(call);

    assert!(live.choose_person(CallId(1), PersonId(11)));
    let shown = &live.entry(CallId(1)).expect("the call").call;
    assert_eq!(shown.person.id, Some(PersonId(11)));
    assert_eq!(shown.also.len(), 1);
    assert_eq!(shown.also[0].id, Some(PersonId(10)));
    // Already shown: nothing to do, and that is fine.
    assert!(live.choose_person(CallId(1), PersonId(11)));
    // Nobody of that id on the number, or no such call.
    assert!(!live.choose_person(CallId(1), PersonId(99)));
    assert!(!live.choose_person(CallId(2), PersonId(10)));
}
