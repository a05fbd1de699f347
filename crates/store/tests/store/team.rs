use crate::common::{TestDb, on_both_backends, team};
use protocol::{Availability, AvailabilityMode, DialerSettings, NoAnswerAction};
use ringback_store::{ChoiceList, TeamRegion};

on_both_backends!(
    a_teams_region_is_kept_with_its_calling_code,
    a_teams_lists_keep_their_order_through_renames_and_retirements,
    dialer_settings_and_availability_round_trip,
);

async fn a_teams_region_is_kept_with_its_calling_code(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let unset = db.store.team_region(t.team).await.expect("read");
    assert_eq!(
        unset,
        TeamRegion {
            region: None,
            calling_code: 1
        }
    );
    db.store
        .set_team_region(t.team, "GB", 44)
        .await
        .expect("set");
    let set = db.store.team_region(t.team).await.expect("read");
    assert_eq!(
        set,
        TeamRegion {
            region: Some("GB".into()),
            calling_code: 44
        }
    );
}

async fn a_teams_lists_keep_their_order_through_renames_and_retirements(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let other = team(&db.store, "grace@example.com", "+14155550200").await;
    let store = &db.store;
    let [interested, not_now] = t.dispositions;
    assert!(
        store
            .rename_choice(ChoiceList::Dispositions, t.team, interested.0, "Keen")
            .await
            .expect("rename")
    );
    assert!(
        store
            .set_choice_retired(ChoiceList::Dispositions, t.team, not_now.0, true)
            .await
            .expect("retire")
    );
    assert!(
        store
            .set_choice_retired(ChoiceList::Sentiments, t.team, t.sentiments[1].0, true)
            .await
            .expect("retire")
    );
    assert!(
        !store
            .rename_choice(ChoiceList::Dispositions, other.team, interested.0, "Mine")
            .await
            .expect("rename"),
        "another team's value is not theirs to rename"
    );
    store
        .set_disposition_required(t.team, true)
        .await
        .expect("require");

    let choices = store.team_choices(t.team).await.expect("choices");
    let dispositions: Vec<_> = choices
        .dispositions
        .iter()
        .map(|c| (c.id, c.label.as_str(), c.retired))
        .collect();
    assert_eq!(
        dispositions,
        [(interested, "Keen", false), (not_now, "Not now", true)]
    );
    let sentiments: Vec<_> = choices.sentiments.iter().map(|c| c.retired).collect();
    assert_eq!(sentiments, [false, true]);
    assert!(choices.disposition_required);
    let untouched = store.team_choices(other.team).await.expect("choices");
    assert!(!untouched.disposition_required);
    assert_eq!(untouched.dispositions[0].label, "Interested");

    let added = store
        .add_disposition(t.team, "Call back")
        .await
        .expect("add");
    let choices = store.team_choices(t.team).await.expect("choices");
    assert_eq!(choices.dispositions.last().map(|c| c.id), Some(added));
}

async fn dialer_settings_and_availability_round_trip(db: TestDb) {
    let t = team(&db.store, "ada@example.com", "+14155550100").await;
    let store = &db.store;
    let rep = t.rep.rep_id;
    assert_eq!(
        store.dialer_settings(rep).await.expect("read"),
        DialerSettings::default()
    );
    let settings = DialerSettings {
        inbound_enabled: false,
        forwarding_number: Some("+14155550999".into()),
        custom_caller_id: Some("+14155550888".into()),
        no_answer_action: NoAnswerAction::Forward,
        ring_timeout_secs: 45,
    };
    store
        .put_dialer_settings(rep, &settings)
        .await
        .expect("put");

    let dnd = Availability {
        mode: AvailabilityMode::DndEverywhere,
        until: Some(1_700_000_600_000),
    };
    store.put_availability(rep, dnd).await.expect("put");
    assert_eq!(
        store.ring_settings(rep).await.expect("read"),
        (settings, dnd)
    );

    let available = Availability {
        mode: AvailabilityMode::Available,
        until: Some(1_700_000_600_000),
    };
    store.put_availability(rep, available).await.expect("put");
    assert_eq!(
        store.availability(rep).await.expect("read"),
        Availability {
            mode: AvailabilityMode::Available,
            until: None
        },
        "Available has no end"
    );
}
