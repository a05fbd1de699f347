//! The data every test server starts with.

use super::{ADA_PHONE, PASSWORD, Rep};
use protocol::{PersonId, UnixMillis};
use ringback_server::secrets::hash_password;
use ringback_server::store::{NewRep, PersonFields, Store};

/// The fixture's data: a team with Alice and Bob, Alice's Person Ada, and
/// the team's dispositions and sentiments.
#[derive(Clone)]
pub struct Seed {
    pub alice: Rep,
    pub bob: Rep,
    pub ada: PersonId,
    pub dispositions: Vec<i64>,
    pub sentiments: Vec<i64>,
}

impl Seed {
    pub async fn plant(store: &Store, now: UnixMillis) -> Self {
        let team = store.create_team("Test team", 1).await.expect("team");
        let hash = hash_password(PASSWORD).expect("hash");
        let mut reps = Vec::new();
        for (name, email, number) in [
            ("Alice", "alice@example.test", "+14155550100"),
            ("Bob", "bob@example.test", "+14155550200"),
        ] {
            let new = NewRep {
                team_id: team,
                name: name.into(),
                email: email.into(),
                password_hash: hash.clone(),
                is_admin: false,
            };
            let id = store.create_rep(&new, now).await.expect("rep");
            store
                .add_dialer_number(id, number)
                .await
                .expect("dialer number");
            reps.push(Rep {
                id,
                team,
                email: email.into(),
                dialer_number: number.into(),
            });
        }
        let ada = store
            .create_person(
                reps[0].id,
                &PersonFields {
                    name: "Ada Lovelace".into(),
                    title: Some("CTO".into()),
                    account: Some("Analytical Engines".into()),
                    phones: vec![ADA_PHONE.into()],
                    crm_url: Some("https://crm.example.test/contacts/ada".into()),
                },
                now,
            )
            .await
            .expect("person");
        let mut dispositions = Vec::new();
        for label in ["Connected", "Meeting booked"] {
            dispositions.push(
                store
                    .add_disposition(team, label)
                    .await
                    .expect("disposition")
                    .0,
            );
        }
        let mut sentiments = Vec::new();
        for label in ["Positive", "Negative"] {
            sentiments.push(store.add_sentiment(team, label).await.expect("sentiment").0);
        }
        let bob = reps.pop().expect("bob");
        let alice = reps.pop().expect("alice");
        Self {
            alice,
            bob,
            ada: ada.id,
            dispositions,
            sentiments,
        }
    }
}
