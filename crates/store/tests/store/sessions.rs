use crate::common::{T0, TestDb, on_both_backends, team};
use ringback_store::MAX_TICKETS_PER_SESSION;

on_both_backends!(
    a_session_lasts_until_it_expires_or_signs_out,
    a_ticket_opens_one_socket_and_a_session_keeps_the_newest,
);

const HOUR: i64 = 3_600_000;

async fn a_session_lasts_until_it_expires_or_signs_out(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let store = &db.store;
    store
        .create_session(t.rep.rep_id, "session-a", T0, T0 + HOUR)
        .await
        .expect("session a");
    store
        .create_session(t.rep.rep_id, "session-b", T0, T0 + 2 * HOUR)
        .await
        .expect("session b");
    assert_eq!(
        store.session_rep("session-a", T0 + 1).await.expect("read"),
        Some(t.rep)
    );
    assert_eq!(
        store
            .session_rep("session-a", T0 + HOUR)
            .await
            .expect("read"),
        None,
        "expired"
    );
    store.delete_session("session-b").await.expect("sign out");
    assert_eq!(
        store.session_rep("session-b", T0 + 1).await.expect("read"),
        None,
        "signed out"
    );

    store
        .create_session(t.rep.rep_id, "session-c", T0, T0 + 2 * HOUR)
        .await
        .expect("session c");
    store.purge_expired(T0 + HOUR).await.expect("purge");
    assert_eq!(db.number("SELECT count(*) FROM sessions").await, 1);
}

async fn a_ticket_opens_one_socket_and_a_session_keeps_the_newest(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let store = &db.store;
    store
        .create_session(t.rep.rep_id, "session", T0, T0 + HOUR)
        .await
        .expect("session");
    let issued = MAX_TICKETS_PER_SESSION + 2;
    for n in 0..issued {
        store
            .create_ticket("session", &format!("ticket-{n}"), T0 + 60_000)
            .await
            .expect("ticket");
    }
    assert_eq!(
        db.number("SELECT count(*) FROM ws_tickets").await,
        MAX_TICKETS_PER_SESSION
    );
    for oldest in 0..issued - MAX_TICKETS_PER_SESSION {
        let redeemed = store
            .redeem_ticket(&format!("ticket-{oldest}"), T0)
            .await
            .expect("redeem");
        assert!(redeemed.is_none(), "ticket-{oldest} made room for newer");
    }
    let newest = format!("ticket-{}", issued - 1);
    let grant = store
        .redeem_ticket(&newest, T0)
        .await
        .expect("redeem")
        .expect("the newest ticket is valid");
    assert_eq!(grant.rep, t.rep);
    assert_eq!(grant.session_hash, "session");
    assert_eq!(grant.session_expires_at, T0 + HOUR);
    assert!(
        store
            .redeem_ticket(&newest, T0)
            .await
            .expect("redeem")
            .is_none(),
        "spent"
    );
    let late = format!("ticket-{}", issued - 2);
    assert!(
        store
            .redeem_ticket(&late, T0 + 60_000)
            .await
            .expect("redeem")
            .is_none(),
        "expired"
    );
}
