use crate::common::{T0, TestDb, on_both_backends, team, unknown_caller};
use protocol::api::{CallDirection, DialOutcome};
use protocol::{CallStatus, LegState};
use ringback_store::{CallFilter, NewOutboundCall, StoreError};

on_both_backends!(
    an_outbound_call_is_stored_as_it_goes_and_listed_with_the_others,
    a_stale_outbound_write_is_refused,
);

fn dial() -> calls::Dial {
    calls::Dial::start(
        &calls::DialRequest {
            to: "+14155550111".into(),
            dialer_number: "+14155550100".into(),
            custom_caller_id: None,
            device_id: "laptop".into(),
            max_call_ms: calls::DEFAULT_MAX_CALL_MS,
            forwarding_number: None,
        },
        T0,
    )
    .0
}

async fn insert(db: &TestDb, rep: protocol::RepId, dial: &calls::Dial) -> protocol::CallId {
    db.store
        .insert_outbound_call(&NewOutboundCall {
            rep_id: rep,
            carrier_call_id: "dial-1",
            person: &unknown_caller("+14155550111"),
            dial,
            owner: "local",
        })
        .await
        .expect("insert")
}

async fn an_outbound_call_is_stored_as_it_goes_and_listed_with_the_others(db: TestDb) {
    let rep = team(&db.store, "ada@example.com", "+14155550100")
        .await
        .rep
        .rep_id;
    let mut dial = dial();
    let id = insert(&db, rep, &dial).await;
    let view = db
        .store
        .call_view(rep, id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(view.direction, CallDirection::Outbound);
    assert_eq!(
        (view.from.as_str(), view.to.as_str()),
        ("+14155550100", "+14155550111")
    );
    assert_eq!(view.status, CallStatus::Ringing);
    assert_eq!(view.browser_leg, LegState::Answered);
    assert_eq!(view.ring_deadline, T0 + calls::DIAL_TIMEOUT_MS);
    assert_eq!(view.dial_outcome, None);
    assert_eq!(view.outcome, None, "an inbound outcome it has not");

    dial.handle(calls::DialEvent::RemoteAnswered, T0 + 4_000)
        .expect("answered");
    let version = db.store.save_dial(id, &dial, 0).await.expect("save");
    dial.handle(calls::DialEvent::RepHungUp, T0 + 60_000)
        .expect("hung up");
    db.store.save_dial(id, &dial, version).await.expect("save");
    let view = db
        .store
        .call_view(rep, id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(view.status, CallStatus::Ended);
    assert_eq!(view.dial_outcome, Some(DialOutcome::Connected));
    assert_eq!(view.answered_at, Some(T0 + 4_000));
    assert_eq!(view.ended_at, Some(T0 + 60_000));

    let page = db
        .store
        .list_calls(
            rep,
            &CallFilter {
                limit: 10,
                ..CallFilter::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(page.calls.len(), 1);
    assert_eq!(page.calls[0].direction, CallDirection::Outbound);
}

async fn a_stale_outbound_write_is_refused(db: TestDb) {
    let rep = team(&db.store, "ada@example.com", "+14155550100")
        .await
        .rep
        .rep_id;
    let mut dial = dial();
    let id = insert(&db, rep, &dial).await;
    dial.handle(calls::DialEvent::RemoteRinging, T0 + 1_000)
        .expect("ringing");
    assert_eq!(db.store.save_dial(id, &dial, 0).await.expect("save"), 1);
    let stale = db.store.save_dial(id, &dial, 0).await;
    assert!(
        matches!(stale, Err(StoreError::Stale(call)) if call == id),
        "{stale:?}"
    );
}
