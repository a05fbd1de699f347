//! Demo data for `ringback serve --demo`: a team, a rep who can sign in at once,
//! dispositions, sentiments, and People to call back.

use crate::secrets::hash_password;
use crate::store::{NewRep, PersonFields, Store};
use protocol::UnixMillis;

pub const DEMO_EMAIL: &str = "rep@demo.ringback.test";
pub const DEMO_PASSWORD: &str = "ringback-demo";
/// Prospects call this number back; it routes to the demo rep.
pub const DEMO_DIALER_NUMBER: &str = "+14155550100";

/// The demo rep's own phone, rung alongside the browser.
pub const DEMO_FORWARDING_NUMBER: &str = "+14155550199";

/// A second rep on the demo team, not an admin, with a Person of their own:
/// shows (and tests) that reps see only their own calls and People.
pub const DEMO_SECOND_EMAIL: &str = "sam@demo.ringback.test";
pub const DEMO_SECOND_DIALER_NUMBER: &str = "+14155550101";

/// What was seeded, for the start-up banner.
#[derive(Debug)]
pub struct DemoSeed {
    pub created: bool,
    pub people: Vec<(String, String)>,
}

const PEOPLE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Ada Lovelace",
        "CTO",
        "Analytical Engines",
        "+14155550111",
        "https://crm.example.com/contacts/ada",
    ),
    (
        "Grace Hopper",
        "VP Engineering",
        "Compiler Co",
        "+14155550112",
        "https://crm.example.com/contacts/grace",
    ),
    (
        "Katherine Johnson",
        "Head of Research",
        "Orbital Math",
        "+14155550113",
        "https://crm.example.com/contacts/katherine",
    ),
    (
        "Alan Turing",
        "Chief Scientist",
        "Bletchley Labs",
        "+442079460114",
        "https://crm.example.com/contacts/alan",
    ),
    (
        "Margaret Hamilton",
        "Director of Software",
        "Apollo Systems",
        "+14155550115",
        "",
    ),
];

/// Seeds once; later runs find the demo rep and change nothing.
pub async fn seed(store: &Store, now: UnixMillis) -> anyhow::Result<DemoSeed> {
    let people = PEOPLE
        .iter()
        .map(|p| (p.0.to_owned(), p.3.to_owned()))
        .collect();
    if store.rep_credentials(DEMO_EMAIL).await?.is_some() {
        return Ok(DemoSeed {
            created: false,
            people,
        });
    }
    let team = store.create_team("Demo Sales", 1).await?;
    let password_hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    let rep = store
        .create_rep(
            &NewRep {
                team_id: team,
                name: "Riley Rep".into(),
                email: DEMO_EMAIL.into(),
                password_hash,
                is_admin: true,
            },
            now,
        )
        .await?;
    store.add_dialer_number(rep, DEMO_DIALER_NUMBER).await?;
    let settings = protocol::DialerSettings {
        forwarding_number: Some(DEMO_FORWARDING_NUMBER.into()),
        ..protocol::DialerSettings::default()
    };
    store.put_dialer_settings(rep, &settings).await?;
    for label in [
        "Connected",
        "Meeting booked",
        "Left voicemail",
        "Not interested",
        "Wrong number",
    ] {
        store.add_disposition(team, label).await?;
    }
    for label in ["Positive", "Neutral", "Negative"] {
        store.add_sentiment(team, label).await?;
    }
    for (name, title, account, phone, crm) in PEOPLE {
        let fields = PersonFields {
            name: (*name).into(),
            title: Some((*title).into()),
            account: Some((*account).into()),
            phones: vec![(*phone).into()],
            crm_url: Some((*crm).to_owned()).filter(|u| !u.is_empty()),
        };
        store.create_person(rep, &fields, now).await?;
    }
    let password_hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    let sam = store
        .create_rep(
            &NewRep {
                team_id: team,
                name: "Sam Seller".into(),
                email: DEMO_SECOND_EMAIL.into(),
                password_hash,
                is_admin: false,
            },
            now,
        )
        .await?;
    store
        .add_dialer_number(sam, DEMO_SECOND_DIALER_NUMBER)
        .await?;
    let fields = PersonFields {
        name: "Linus Pauling".into(),
        title: Some("Head of Chemistry".into()),
        account: Some("Bonds Inc".into()),
        phones: vec!["+14155550121".into()],
        crm_url: None,
    };
    store.create_person(sam, &fields, now).await?;
    Ok(DemoSeed {
        created: true,
        people,
    })
}
