use crate::common::{T0, TestDb, answered_and_ended, call, on_both_backends, person_fields, team};
use protocol::PersonSnapshot;
use ringback_store::LogInput;

on_both_backends!(
    people_are_found_by_name_or_account_in_any_case_and_script,
    updating_a_person_replaces_their_numbers,
    people_sharing_a_number_lead_with_the_one_chosen_for_it,
);

async fn people_are_found_by_name_or_account_in_any_case_and_script(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let store = &db.store;
    let rep = t.rep.rep_id;
    let zoe = store
        .create_person(
            rep,
            &person_fields(
                "Zoë Ångström",
                Some("Straße GmbH"),
                &["+14155550122", "+14155550111"],
            ),
            T0,
        )
        .await
        .expect("person");
    store
        .create_person(rep, &person_fields("Ada Lovelace", None, &[]), T0)
        .await
        .expect("person");
    store
        .create_person(other.rep.rep_id, &person_fields("Zoë Other", None, &[]), T0)
        .await
        .expect("another rep's person");

    let names = |found: Vec<protocol::Person>| -> Vec<String> {
        found.into_iter().map(|p| p.name).collect()
    };
    for query in ["ZOË", "ångSTRÖM", "STRASSE"] {
        let found = store.search_people(rep, query, 10).await.expect("search");
        assert_eq!(names(found), ["Zoë Ångström"], "{query}");
    }
    // LIKE's wildcards in a search are plain characters.
    for query in ["_", "%", "\\"] {
        let found = store.search_people(rep, query, 10).await.expect("search");
        assert!(found.is_empty(), "{query:?} found {found:?}");
    }
    let all = store.search_people(rep, "", 10).await.expect("search");
    assert_eq!(names(all), ["Ada Lovelace", "Zoë Ångström"]);
    let first = store.search_people(rep, "", 1).await.expect("search");
    assert_eq!(first.len(), 1);

    let read = store
        .person(rep, zoe.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read.phones, ["+14155550111", "+14155550122"], "by number");
    assert_eq!(read.account.as_deref(), Some("Straße GmbH"));
    assert!(
        store
            .person(other.rep.rep_id, zoe.id)
            .await
            .expect("read")
            .is_none(),
        "another rep's Person reads as missing"
    );
}

async fn updating_a_person_replaces_their_numbers(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let store = &db.store;
    let rep = t.rep.rep_id;
    let ada = store
        .create_person(rep, &person_fields("Ada", None, &["+14155550111"]), T0)
        .await
        .expect("person");
    let fields = person_fields("Ada Lovelace", Some("Engines"), &["+14155550133"]);
    let updated = store
        .update_person(rep, ada.id, &fields, T0 + 1)
        .await
        .expect("update")
        .expect("found");
    assert_eq!(updated.name, "Ada Lovelace");
    let read = store
        .person(rep, ada.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read, updated);
    assert!(
        store
            .people_by_phone(rep, "+14155550111")
            .await
            .expect("lookup")
            .is_empty(),
        "the old number is gone"
    );
    assert!(
        store
            .update_person(other.rep.rep_id, ada.id, &fields, T0 + 2)
            .await
            .expect("update")
            .is_none(),
        "another rep cannot edit her"
    );
}

async fn people_sharing_a_number_lead_with_the_one_chosen_for_it(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let store = &db.store;
    let rep = t.rep.rep_id;
    let desk = "+14155550150";
    let jane = store
        .create_person(rep, &person_fields("Jane", None, &[desk]), T0)
        .await
        .expect("person");
    let john = store
        .create_person(rep, &person_fields("John", None, &[desk]), T0 + 10)
        .await
        .expect("person");
    let order =
        |people: Vec<protocol::Person>| people.into_iter().map(|p| p.id).collect::<Vec<_>>();
    // Nobody chosen or called yet: the one edited last leads.
    let first = store.people_by_phone(rep, desk).await.expect("lookup");
    assert_eq!(order(first), [john.id, jane.id]);

    let ring = call(
        store,
        rep,
        "carrier-1",
        desk,
        Some((john.id, "John")),
        T0 + 100,
        &answered_and_ended(),
    )
    .await;
    let snapshot = PersonSnapshot {
        id: Some(jane.id),
        name: Some("Jane".into()),
        ..crate::common::unknown_caller(desk)
    };
    assert!(
        store
            .choose_person(rep, ring, desk, &snapshot, T0 + 200)
            .await
            .expect("choose")
    );
    let chosen = store.people_by_phone(rep, desk).await.expect("lookup");
    assert_eq!(order(chosen), [jane.id, john.id]);
    let view = store
        .call_view(rep, ring)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(view.person.id, Some(jane.id));

    let log = LogInput {
        idempotency_key: "log-1".into(),
        notes: String::new(),
        disposition_id: None,
        sentiment_id: None,
        person_id: None,
    };
    store
        .log_call(t.rep, ring, &log, T0 + 300)
        .await
        .expect("log")
        .expect("the rep's call");
    let john_snapshot = PersonSnapshot {
        id: Some(john.id),
        ..snapshot
    };
    assert!(
        !store
            .choose_person(rep, ring, desk, &john_snapshot, T0 + 400)
            .await
            .expect("choose"),
        "a logged call keeps its Person"
    );
}
