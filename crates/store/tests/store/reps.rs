use crate::common::{T0, TestDb, on_both_backends, team};
use ringback_store::{NewRep, StoreError};

on_both_backends!(
    an_email_names_one_rep_in_any_case,
    a_dialer_number_routes_to_one_rep,
);

async fn an_email_names_one_rep_in_any_case(db: TestDb) {
    let t = team(&db.store, "Ada@Example.com", "+14155550100").await;
    let again = NewRep {
        team_id: t.team,
        name: "Ada again".into(),
        email: "ada@example.COM".into(),
        password_hash: "x".into(),
        is_admin: false,
    };
    let refused = db.store.create_rep(&again, T0).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );

    let found = db
        .store
        .rep_credentials(" ADA@example.com ")
        .await
        .expect("lookup")
        .expect("found in another case");
    assert_eq!(found.rep_id, t.rep.rep_id);
    assert_eq!(found.password_hash, "$argon2id$stand-in");
    assert!(
        db.store
            .rep_credentials("grace@example.com")
            .await
            .expect("lookup")
            .is_none()
    );

    let profile = db.store.rep_profile(t.rep.rep_id).await.expect("profile");
    assert_eq!(profile.email, "Ada@Example.com");
    assert!(profile.is_admin);
    assert_eq!(profile.dialer_numbers, ["+14155550100"]);
}

async fn a_dialer_number_routes_to_one_rep(db: TestDb) {
    let ada = team(&db.store, "ada@example.com", "+14155550100").await;
    let grace = team(&db.store, "grace@example.com", "+14155550200").await;
    let taken = db
        .store
        .add_dialer_number(grace.rep.rep_id, "+14155550100")
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");

    let routed = db
        .store
        .rep_for_dialer_number("+14155550100")
        .await
        .expect("lookup");
    assert_eq!(routed, Some(ada.rep));
    let routed = db
        .store
        .rep_for_dialer_number("+14155550200")
        .await
        .expect("lookup");
    assert_eq!(routed, Some(grace.rep));
    assert_eq!(
        db.store
            .rep_for_dialer_number("+14155550300")
            .await
            .expect("lookup"),
        None
    );
}
