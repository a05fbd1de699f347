use crate::common::{T0, TestDb, answered_and_ended, call, on_both_backends, person_fields, team};
use protocol::api::RecordingView;
use protocol::{CallId, CallOutcome, CallStatus, LegState};
use ringback_store::{CallFilter, LogInput, StoreError};

on_both_backends!(
    a_retried_carrier_call_finds_the_first,
    the_calls_list_filters_and_pages_newest_first,
    calls_a_restart_interrupted_end_as_missed,
);

async fn a_retried_carrier_call_finds_the_first(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let rep = t.rep.rep_id;
    let id = call(&db.store, rep, "carrier-1", "+14155550111", None, T0, &[]).await;
    let snapshot = crate::common::unknown_caller("+14155550111");
    let retried = db
        .store
        .insert_call(&ringback_store::NewCall {
            rep_id: rep,
            carrier_call_id: "carrier-1",
            from: "+14155550111",
            to: "+14155550100",
            person: &snapshot,
            call: &crate::common::ringing(T0),
            owner: "local",
        })
        .await;
    assert!(
        matches!(retried, Err(StoreError::Conflict(_))),
        "{retried:?}"
    );
    assert_eq!(
        db.store
            .call_by_carrier_id("carrier-1")
            .await
            .expect("read"),
        Some(ringback_store::CarrierCall {
            id,
            rep,
            status: CallStatus::Ringing,
            owner: "local".into(),
        })
    );
    assert!(
        db.store
            .call_view(other.rep.rep_id, id)
            .await
            .expect("read")
            .is_none(),
        "another rep's call reads as missing"
    );

    let recording = RecordingView {
        duration_ms: 4_500,
        bytes: 72_044,
    };
    db.store.set_recording(id, recording).await.expect("note");
    let view = db
        .store
        .call_view(rep, id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(view.recording, Some(recording));
    assert_eq!(view.browser_leg, LegState::Ringing);
}

async fn the_calls_list_filters_and_pages_newest_first(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let store = &db.store;
    let rep = t.rep.rep_id;
    let zoe = store
        .create_person(rep, &person_fields("Zoë", None, &["+14155550111"]), T0)
        .await
        .expect("person");
    let mut ids: Vec<CallId> = Vec::new();
    for n in 0..5_i64 {
        let person = (n % 2 == 0).then_some((zoe.id, "Zoë"));
        let events = answered_and_ended();
        let events: &[calls::Event] = if n == 4 { &[] } else { &events };
        let id = call(
            store,
            rep,
            &format!("carrier-{n}"),
            "+14155550111",
            person,
            T0 + n * 60_000,
            events,
        )
        .await;
        ids.push(id);
    }
    // Calls 0 and 2 are logged to Zoë, 2 with a disposition.
    for (n, disposition) in [(0, None), (2, Some(t.dispositions[0]))] {
        let input = LogInput {
            idempotency_key: format!("log-{n}"),
            notes: String::new(),
            disposition_id: disposition,
            sentiment_id: None,
            person_id: None,
        };
        store
            .log_call(t.rep, ids[n], &input, T0 + 600_000)
            .await
            .expect("log")
            .expect("found");
    }

    let list = |filter: CallFilter| async move {
        let page = store.list_calls(rep, &filter).await.expect("list");
        page.calls.iter().map(|c| c.id).collect::<Vec<_>>()
    };
    let everything = CallFilter {
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        list(everything.clone()).await,
        [ids[4], ids[3], ids[2], ids[1], ids[0]]
    );
    let logged = CallFilter {
        logged: Some(true),
        ..everything.clone()
    };
    assert_eq!(list(logged).await, [ids[2], ids[0]]);
    let not_logged = CallFilter {
        logged: Some(false),
        ..everything.clone()
    };
    assert_eq!(list(not_logged).await, [ids[4], ids[3], ids[1]]);
    let answered = CallFilter {
        outcome: Some(CallOutcome::AnsweredInBrowser),
        ..everything.clone()
    };
    assert_eq!(list(answered).await, [ids[3], ids[2], ids[1], ids[0]]);
    let window = CallFilter {
        since: Some(T0 + 60_000),
        until: Some(T0 + 180_000),
        ..everything.clone()
    };
    assert_eq!(list(window).await, [ids[2], ids[1]]);
    let with_disposition = CallFilter {
        disposition_id: Some(t.dispositions[0]),
        ..everything.clone()
    };
    assert_eq!(list(with_disposition).await, [ids[2]]);
    let by_person = CallFilter {
        person_id: Some(zoe.id),
        ..everything.clone()
    };
    assert_eq!(list(by_person).await, [ids[4], ids[2], ids[0]]);
    let by_name = CallFilter {
        person_name: Some("ZOË".into()),
        ..everything.clone()
    };
    assert_eq!(list(by_name).await, [ids[4], ids[2], ids[0]]);

    let first = store
        .list_calls(
            rep,
            &CallFilter {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .expect("page");
    assert_eq!(first.next_before, Some(ids[3]));
    let rest = store
        .list_calls(
            rep,
            &CallFilter {
                limit: 2,
                before: first.next_before,
                ..Default::default()
            },
        )
        .await
        .expect("page");
    assert_eq!(
        rest.calls.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    assert_eq!(rest.next_before, Some(ids[1]));

    let logged_view = store
        .call_view(rep, ids[2])
        .await
        .expect("read")
        .expect("found");
    let log = logged_view.log.expect("logged");
    assert_eq!(
        log.disposition.map(|d| (d.id, d.label)),
        Some((t.dispositions[0], "Interested".to_owned()))
    );
    assert!(!log.automatic);
}

async fn calls_a_restart_interrupted_end_as_missed(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let rep = t.rep.rep_id;
    let ringing = call(&db.store, rep, "carrier-1", "+14155550111", None, T0, &[]).await;
    let ended = call(
        &db.store,
        rep,
        "carrier-2",
        "+14155550111",
        None,
        T0,
        &answered_and_ended(),
    )
    .await;
    assert_eq!(
        db.store
            .sweep_interrupted_calls(T0 + 5_000, "local")
            .await
            .expect("sweep"),
        1
    );
    let view = db
        .store
        .call_view(rep, ringing)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(view.status, CallStatus::Ended);
    assert_eq!(view.outcome, Some(CallOutcome::Missed));
    assert_eq!(view.browser_leg, LegState::Stopped);
    assert_eq!(view.phone_leg, LegState::Stopped);
    assert_eq!(view.ended_at, Some(T0 + 5_000));
    let untouched = db
        .store
        .call_view(rep, ended)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(untouched.outcome, Some(CallOutcome::AnsweredInBrowser));
    assert_eq!(
        db.store
            .sweep_interrupted_calls(T0 + 6_000, "local")
            .await
            .expect("sweep"),
        0
    );
}
