use crate::common::{T0, TestDb, call, on_both_backends, team};
use protocol::api::TimelineKind;
use ringback_store::MAX_EVENTS_PER_CALL;

on_both_backends!(a_calls_timeline_is_its_reps_in_order_up_to_a_cap);

async fn a_calls_timeline_is_its_reps_in_order_up_to_a_cap(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let store = &db.store;
    let rep = t.rep.rep_id;
    // Each call starts with an Arrived entry (see common::call).
    let first = call(store, rep, "carrier-1", "+14155550111", None, T0, &[]).await;
    let second = call(store, rep, "carrier-2", "+14155550111", None, T0, &[]).await;
    store
        .add_call_event(
            first,
            T0 + 1,
            TimelineKind::RangBrowser,
            Some("Chrome on Mac"),
        )
        .await
        .expect("event");
    store
        .add_call_event(first, T0 + 2, TimelineKind::RangPhone, None)
        .await
        .expect("event");

    let timeline = store
        .call_timeline(rep, first)
        .await
        .expect("read")
        .expect("the rep's call");
    let kinds: Vec<_> = timeline
        .iter()
        .map(|e| (e.at, e.kind, e.detail.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (T0, TimelineKind::Arrived, None),
            (T0 + 1, TimelineKind::RangBrowser, Some("Chrome on Mac")),
            (T0 + 2, TimelineKind::RangPhone, None),
        ]
    );
    assert!(
        store
            .call_timeline(other.rep.rep_id, first)
            .await
            .expect("read")
            .is_none(),
        "another rep's call reads as missing"
    );

    for n in 0..MAX_EVENTS_PER_CALL + 5 {
        store
            .add_call_event(second, T0 + 10 + n, TimelineKind::RangPhone, None)
            .await
            .expect("event");
    }
    let both = store.timelines(rep, &[first, second]).await.expect("read");
    assert_eq!(both.get(&first).map(Vec::len), Some(3));
    let capped = both.get(&second).map(Vec::len);
    assert_eq!(capped, usize::try_from(MAX_EVENTS_PER_CALL).ok());
}
