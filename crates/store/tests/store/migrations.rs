use crate::common::{TestDb, on_both_backends, person_fields, team};
use ringback_store::{MIGRATION_COUNT, Store};

on_both_backends!(
    a_new_database_gets_every_migration_once,
    rows_from_before_the_folded_columns_are_found_after_a_restart,
);

async fn a_new_database_gets_every_migration_once(db: TestDb) {
    assert_eq!(db.store.migrations_applied(), MIGRATION_COUNT);
    let again = Store::connect(&db.url).await.expect("reopens");
    assert_eq!(again.migrations_applied(), 0);
    let recorded = db.number("SELECT count(*) FROM ringback_migrations").await;
    assert_eq!(recorded, i64::try_from(MIGRATION_COUNT).expect("small"));
}

async fn rows_from_before_the_folded_columns_are_found_after_a_restart(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let person = db
        .store
        .create_person(t.rep.rep_id, &person_fields("Øyvind Ås", None, &[]), 1)
        .await
        .expect("person");
    crate::common::call(
        &db.store,
        t.rep.rep_id,
        "carrier-1",
        "+14155550111",
        Some((person.id, "Øyvind Ås")),
        crate::common::T0,
        &[],
    )
    .await;
    // As a database from before migration 4 would have them.
    db.raw("UPDATE people SET name_folded = NULL, account_folded = NULL".into())
        .await
        .expect("clear people");
    db.raw("UPDATE calls SET person_name_folded = NULL".into())
        .await
        .expect("clear calls");

    let store = Store::connect(&db.url).await.expect("reopens");
    let found = store
        .search_people(t.rep.rep_id, "ØYVIND", 10)
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    let filter = ringback_store::CallFilter {
        person_name: Some("ås".into()),
        limit: 10,
        ..Default::default()
    };
    let page = store.list_calls(t.rep.rep_id, &filter).await.expect("list");
    assert_eq!(page.calls.len(), 1);
}

/// Two instances starting together on one PostgreSQL database: the advisory
/// lock lets one migrate while the other waits, then finds nothing to do.
#[tokio::test]
async fn two_instances_migrating_one_postgres_database_at_once_migrate_it_once() {
    let Some(url) = TestDb::new_postgres_database(module_path!()).await else {
        return;
    };
    let (first, second) = tokio::join!(Store::connect(&url), Store::connect(&url));
    let (first, second) = (first.expect("first opens"), second.expect("second opens"));
    let mut applied = [first.migrations_applied(), second.migrations_applied()];
    applied.sort_unstable();
    assert_eq!(applied, [0, MIGRATION_COUNT]);

    // Both work on the one schema.
    let team = first.create_team("Acme", 44).await.expect("team");
    let region = second.team_region(team).await.expect("region");
    assert_eq!(region.calling_code, 44);
}
