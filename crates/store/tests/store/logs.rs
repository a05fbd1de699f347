use crate::common::{
    T0, Team, TestDb, answered_and_ended, call, on_both_backends, person_fields, team,
};
use protocol::api::UpdateLogRequest;
use protocol::{CallId, CallOutcome, LogStatus};
use ringback_store::{LogInput, LogWrite, NewCall, StoreError};

on_both_backends!(
    a_log_is_written_once_per_idempotency_key,
    two_deliveries_of_one_log_at_once_write_it_once,
    a_log_takes_only_the_teams_current_choices,
    the_database_refuses_to_change_a_logged_disposition_or_sentiment,
    a_voicemail_is_logged_by_itself_and_the_rep_may_log_over_it_once,
    a_call_from_an_unknown_number_is_logged_to_a_person_of_the_reps,
);

fn log_input(key: &str, t: &Team) -> LogInput {
    LogInput {
        idempotency_key: key.into(),
        notes: "Wants a demo".into(),
        disposition_id: Some(t.dispositions[0]),
        sentiment_id: Some(t.sentiments[0]),
        person_id: None,
    }
}

async fn ended_call(db: &TestDb, t: &Team, carrier_call_id: &str) -> CallId {
    call(
        &db.store,
        t.rep.rep_id,
        carrier_call_id,
        "+14155550111",
        None,
        T0,
        &answered_and_ended(),
    )
    .await
}

async fn a_log_is_written_once_per_idempotency_key(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let first = ended_call(&db, &t, "carrier-1").await;
    let second = ended_call(&db, &t, "carrier-2").await;
    let store = &db.store;
    let input = log_input("key-1", &t);
    let created = store
        .log_call(t.rep, first, &input, T0 + 1)
        .await
        .expect("log");
    assert!(matches!(created, Some(LogWrite::Created(_))), "{created:?}");
    let replayed = store
        .log_call(t.rep, first, &input, T0 + 2)
        .await
        .expect("log");
    let Some(LogWrite::Replayed(view)) = replayed else {
        panic!("a retry is a replay: {replayed:?}");
    };
    assert_eq!(
        view.log.map(|l| l.logged_at),
        Some(T0 + 1),
        "nothing rewritten"
    );

    let reused = store.log_call(t.rep, second, &input, T0 + 3).await;
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");
    let relogged = store
        .log_call(t.rep, first, &log_input("key-2", &t), T0 + 4)
        .await;
    assert!(
        matches!(relogged, Err(StoreError::Conflict(_))),
        "{relogged:?}"
    );
    let missing = store
        .log_call(
            t.rep,
            CallId(first.0 + 1_000),
            &log_input("key-3", &t),
            T0 + 5,
        )
        .await
        .expect("log");
    assert!(missing.is_none());

    let ringing = call(
        store,
        t.rep.rep_id,
        "carrier-3",
        "+14155550111",
        None,
        T0,
        &[],
    )
    .await;
    let early = store
        .log_call(t.rep, ringing, &log_input("key-4", &t), T0 + 6)
        .await;
    assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
}

async fn two_deliveries_of_one_log_at_once_write_it_once(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let id = ended_call(&db, &t, "carrier-1").await;
    let input = log_input("key-1", &t);
    let (a, b) = tokio::join!(
        db.store.log_call(t.rep, id, &input, T0 + 1),
        db.store.log_call(t.rep, id, &input, T0 + 2)
    );
    let mut writes = [a.expect("first"), b.expect("second")].map(|w| match w {
        Some(LogWrite::Created(_)) => "created",
        Some(LogWrite::Replayed(_)) => "replayed",
        None => "missing",
    });
    writes.sort_unstable();
    assert_eq!(writes, ["created", "replayed"]);
}

async fn a_log_takes_only_the_teams_current_choices(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let id = ended_call(&db, &t, "carrier-1").await;
    let store = &db.store;
    let invalid = |input: LogInput| async move {
        match store.log_call(t.rep, id, &input, T0 + 1).await {
            Err(StoreError::Invalid(message)) => message,
            other => panic!("{input:?} was not refused: {other:?}"),
        }
    };
    let theirs = LogInput {
        disposition_id: Some(other.dispositions[0]),
        ..log_input("key-1", &t)
    };
    assert!(
        invalid(theirs)
            .await
            .contains("not one of your team's dispositions")
    );
    let their_sentiment = LogInput {
        sentiment_id: Some(other.sentiments[0]),
        ..log_input("key-1", &t)
    };
    assert!(
        invalid(their_sentiment)
            .await
            .contains("not one of your team's sentiments")
    );

    store
        .set_choice_retired(
            ringback_store::ChoiceList::Dispositions,
            t.team,
            t.dispositions[1].0,
            true,
        )
        .await
        .expect("retire");
    let retired = LogInput {
        disposition_id: Some(t.dispositions[1]),
        ..log_input("key-1", &t)
    };
    assert!(invalid(retired).await.contains("retired"));

    store
        .set_disposition_required(t.team, true)
        .await
        .expect("require");
    let without = LogInput {
        disposition_id: None,
        ..log_input("key-1", &t)
    };
    assert!(
        invalid(without.clone())
            .await
            .contains("requires a disposition")
    );
    store
        .set_disposition_required(t.team, false)
        .await
        .expect("relax");
    let logged = store
        .log_call(t.rep, id, &without, T0 + 2)
        .await
        .expect("log");
    assert!(matches!(logged, Some(LogWrite::Created(_))), "{logged:?}");
}

async fn the_database_refuses_to_change_a_logged_disposition_or_sentiment(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let id = ended_call(&db, &t, "carrier-1").await;
    let store = &db.store;
    store
        .log_call(t.rep, id, &log_input("key-1", &t), T0 + 1)
        .await
        .expect("log");

    // Past the store, as any other client of the database would write.
    let call = id.0;
    let other_disposition = t.dispositions[1].0;
    for sql in [
        format!("UPDATE call_logs SET disposition_id = {other_disposition} WHERE call_id = {call}"),
        format!("UPDATE call_logs SET sentiment_id = NULL WHERE call_id = {call}"),
        format!("UPDATE call_logs SET automatic = TRUE WHERE call_id = {call}"),
    ] {
        let refused = db.raw(sql.clone()).await.expect_err(&sql);
        assert!(
            refused
                .to_string()
                .contains("cannot change once a call is logged"),
            "{sql}: {refused}"
        );
        let error = StoreError::Database(refused);
        assert!(error.is_immutable_violation(), "{sql}: {error}");
    }
    let notes = format!("UPDATE call_logs SET notes = 'edited' WHERE call_id = {call}");
    assert_eq!(db.raw(notes).await.expect("notes stay editable"), 1);

    let change = UpdateLogRequest {
        notes: None,
        status: None,
        disposition_id: Some(t.dispositions[1]),
        sentiment_id: None,
    };
    let refused = store.update_log(t.rep, id, &change, T0 + 2).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let same = UpdateLogRequest {
        notes: Some("Call back on Monday".into()),
        disposition_id: Some(t.dispositions[0]),
        ..change
    };
    let view = store
        .update_log(t.rep, id, &same, T0 + 3)
        .await
        .expect("notes edit")
        .expect("found");
    let log = view.log.expect("logged");
    assert_eq!(log.notes, "Call back on Monday");
    assert_eq!(log.disposition.map(|d| d.id), Some(t.dispositions[0]));
    assert_eq!(log.sentiment.map(|s| s.id), Some(t.sentiments[0]));
}

async fn a_voicemail_is_logged_by_itself_and_the_rep_may_log_over_it_once(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let store = &db.store;
    let snapshot = crate::common::unknown_caller("+14155550111");
    // Nobody answers: at the ring deadline voicemail takes the call, then
    // the caller hangs up.
    let mut machine = crate::common::ringing(T0);
    let id = store
        .insert_call(&NewCall {
            rep_id: t.rep.rep_id,
            carrier_call_id: "carrier-1",
            from: "+14155550111",
            to: "+14155550100",
            person: &snapshot,
            call: &machine,
            owner: "local",
        })
        .await
        .expect("insert");
    machine.on_time(machine.ring_deadline());
    machine
        .handle(calls::Event::CallerHungUp, machine.ring_deadline() + 5_000)
        .expect("hang up");
    store.save_call(id, &machine, 0).await.expect("save");
    store
        .log_voicemail(id, T0 + 40_000)
        .await
        .expect("voicemail log");
    store
        .log_voicemail(id, T0 + 41_000)
        .await
        .expect("logged once");

    let view = store
        .call_view(t.rep.rep_id, id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(view.outcome, Some(CallOutcome::Voicemail));
    let log = view.log.expect("logged by the server");
    assert!(log.automatic);
    assert_eq!(log.logged_at, T0 + 40_000);
    assert_eq!(log.status, LogStatus::Completed);

    let no_answer = UpdateLogRequest {
        notes: None,
        status: Some(LogStatus::NoAnswer),
        disposition_id: None,
        sentiment_id: None,
    };
    let view = store
        .update_log(t.rep, id, &no_answer, T0 + 50_000)
        .await
        .expect("re-mark")
        .expect("found");
    assert_eq!(view.log.map(|l| l.status), Some(LogStatus::NoAnswer));

    let logged = store
        .log_call(t.rep, id, &log_input("key-1", &t), T0 + 60_000)
        .await
        .expect("the rep logs over the voicemail log");
    let Some(LogWrite::Created(view)) = logged else {
        panic!("{logged:?}");
    };
    let log = view.log.expect("logged");
    assert!(!log.automatic);
    assert_eq!(log.disposition.map(|d| d.id), Some(t.dispositions[0]));
    let again = store
        .log_call(t.rep, id, &log_input("key-2", &t), T0 + 70_000)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    // Only a voicemail's log can be re-marked "no answer".
    let answered = ended_call(&db, &t, "carrier-2").await;
    store
        .log_call(t.rep, answered, &log_input("key-3", &t), T0 + 80_000)
        .await
        .expect("log");
    let refused = store
        .update_log(t.rep, answered, &no_answer, T0 + 90_000)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
}

async fn a_call_from_an_unknown_number_is_logged_to_a_person_of_the_reps(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let store = &db.store;
    let theirs = store
        .create_person(other.rep.rep_id, &person_fields("Grace's", None, &[]), T0)
        .await
        .expect("person");
    let mine = store
        .create_person(t.rep.rep_id, &person_fields("Ada's", None, &[]), T0)
        .await
        .expect("person");
    let id = ended_call(&db, &t, "carrier-1").await;
    let to_theirs = LogInput {
        person_id: Some(theirs.id),
        ..log_input("key-1", &t)
    };
    let refused = store.log_call(t.rep, id, &to_theirs, T0 + 1).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );

    let to_mine = LogInput {
        person_id: Some(mine.id),
        ..log_input("key-1", &t)
    };
    store
        .log_call(t.rep, id, &to_mine, T0 + 2)
        .await
        .expect("log")
        .expect("found");
    let filter = ringback_store::CallFilter {
        logged: Some(true),
        person_id: Some(mine.id),
        limit: 10,
        ..Default::default()
    };
    let page = store.list_calls(t.rep.rep_id, &filter).await.expect("list");
    assert_eq!(page.calls.iter().map(|c| c.id).collect::<Vec<_>>(), [id]);
}
