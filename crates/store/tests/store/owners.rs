use crate::common::{T0, TestDb, on_both_backends, ringing, team, unknown_caller};
use protocol::{CallId, CallOutcome, CallStatus, RepId};
use ringback_store::{NewCall, Orphan, Store, StoreError};

on_both_backends!(
    a_stale_write_is_refused,
    the_startup_sweep_touches_only_its_own_calls,
    calls_of_an_instance_whose_lease_ran_out_are_ended_once,
    the_owners_of_a_reps_live_calls_are_listed_once_each,
);

async fn owned_call(store: &Store, rep: RepId, carrier_call_id: &str, owner: &str) -> CallId {
    store
        .insert_call(&NewCall {
            rep_id: rep,
            carrier_call_id,
            from: "+14155550111",
            to: "+14155550100",
            person: &unknown_caller("+14155550111"),
            call: &ringing(T0),
            owner,
        })
        .await
        .expect("insert call")
}

async fn status(store: &Store, rep: RepId, id: CallId) -> (CallStatus, Option<CallOutcome>) {
    let view = store
        .call_view(rep, id)
        .await
        .expect("read")
        .expect("found");
    (view.status, view.outcome)
}

async fn a_stale_write_is_refused(db: TestDb) {
    let rep = team(&db.store, "ada@example.com", "+14155550100")
        .await
        .rep
        .rep_id;
    let id = owned_call(&db.store, rep, "carrier-1", "a").await;
    let machine = ringing(T0);
    let version = db
        .store
        .save_call(id, &machine, 0)
        .await
        .expect("first write");
    assert_eq!(version, 1);
    let stale = db.store.save_call(id, &machine, 0).await;
    assert!(
        matches!(stale, Err(StoreError::Stale(call)) if call == id),
        "{stale:?}"
    );
    assert_eq!(
        db.store.save_call(id, &machine, 1).await.expect("current"),
        2
    );
}

async fn the_startup_sweep_touches_only_its_own_calls(db: TestDb) {
    let rep = team(&db.store, "ada@example.com", "+14155550100")
        .await
        .rep
        .rep_id;
    let mine = owned_call(&db.store, rep, "carrier-1", "a").await;
    let theirs = owned_call(&db.store, rep, "carrier-2", "b").await;
    assert_eq!(
        db.store
            .sweep_interrupted_calls(T0 + 1_000, "a")
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(
        status(&db.store, rep, mine).await,
        (CallStatus::Ended, Some(CallOutcome::Missed))
    );
    assert_eq!(status(&db.store, rep, theirs).await.0, CallStatus::Ringing);
}

async fn calls_of_an_instance_whose_lease_ran_out_are_ended_once(db: TestDb) {
    let rep = team(&db.store, "ada@example.com", "+14155550100")
        .await
        .rep
        .rep_id;
    let theirs = owned_call(&db.store, rep, "carrier-1", "b").await;
    let mine = owned_call(&db.store, rep, "carrier-2", "c").await;
    db.store.renew_lease("b", T0 + 9_000).await.expect("lease");
    db.store.renew_lease("c", T0 + 60_000).await.expect("lease");
    db.store
        .renew_lease("b", T0 + 10_000)
        .await
        .expect("renewed");
    // Within the lease nothing is touched, nor are the reaper's own calls.
    assert_eq!(
        db.store
            .end_orphaned_calls(T0 + 10_000, "c")
            .await
            .expect("reap"),
        []
    );
    let reaped = db
        .store
        .end_orphaned_calls(T0 + 10_001, "c")
        .await
        .expect("reap");
    assert_eq!(
        reaped,
        [Orphan {
            id: theirs,
            rep,
            answered: false
        }]
    );
    assert_eq!(
        status(&db.store, rep, theirs).await,
        (CallStatus::Ended, Some(CallOutcome::Missed))
    );
    assert_eq!(status(&db.store, rep, mine).await.0, CallStatus::Ringing);
    // A second reaper finds nothing; the old owner's next write is stale.
    assert_eq!(
        db.store
            .end_orphaned_calls(T0 + 20_000, "d")
            .await
            .expect("reap"),
        []
    );
    let stale = db.store.save_call(theirs, &ringing(T0), 0).await;
    assert!(matches!(stale, Err(StoreError::Stale(_))), "{stale:?}");
    // An instance that gives its lease up leaves its calls to the others at once.
    db.store.release_lease("c").await.expect("release");
    db.store.renew_lease("d", T0 + 20_000).await.expect("lease");
    let released = db
        .store
        .end_orphaned_calls(T0 + 11_000, "d")
        .await
        .expect("reap");
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].id, mine);
}

async fn the_owners_of_a_reps_live_calls_are_listed_once_each(db: TestDb) {
    let ada = team(&db.store, "ada@example.com", "+14155550100")
        .await
        .rep
        .rep_id;
    let bob = team(&db.store, "bob@example.com", "+14155550101")
        .await
        .rep
        .rep_id;
    assert!(
        db.store
            .live_call_owners(ada)
            .await
            .expect("read")
            .is_empty()
    );
    owned_call(&db.store, ada, "carrier-1", "b").await;
    owned_call(&db.store, ada, "carrier-2", "a").await;
    owned_call(&db.store, ada, "carrier-3", "b").await;
    owned_call(&db.store, bob, "carrier-4", "c").await;
    let ended = owned_call(&db.store, ada, "carrier-5", "d").await;
    db.store
        .sweep_interrupted_calls(T0 + 1_000, "d")
        .await
        .expect("sweep");
    assert_eq!(status(&db.store, ada, ended).await.0, CallStatus::Ended);
    assert_eq!(
        db.store.live_call_owners(ada).await.expect("read"),
        ["a", "b"],
        "live calls only, the rep's only, each owner once"
    );
}
