//! Demo data for `ringback serve --demo`: a team, a rep who can sign in at once,
//! dispositions, sentiments, and People to call back.

use crate::secrets::hash_password;
use crate::store::{NewRep, PersonFields, Store};
use protocol::UnixMillis;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

/// A demo Person, as the demo CRM (`crate::demo_crm`) also shows them.
#[derive(Debug, Clone, Copy)]
pub struct DemoPerson {
    pub name: &'static str,
    pub title: &'static str,
    pub account: &'static str,
    pub phone: &'static str,
    /// Their Contact page in the demo CRM (`/demo-crm/contacts/{slug}`);
    /// `None`: no CRM record, so Accept opens Ringback's own Person page.
    pub slug: Option<&'static str>,
}

const fn person(
    name: &'static str,
    title: &'static str,
    account: &'static str,
    phone: &'static str,
    slug: Option<&'static str>,
) -> DemoPerson {
    DemoPerson {
        name,
        title,
        account,
        phone,
        slug,
    }
}

pub const PEOPLE: &[DemoPerson] = &[
    person(
        "Ada Lovelace",
        "CTO",
        "Analytical Engines",
        "+14155550111",
        Some("ada"),
    ),
    person(
        "Grace Hopper",
        "VP Engineering",
        "Compiler Co",
        "+14155550112",
        Some("grace"),
    ),
    person(
        "Katherine Johnson",
        "Head of Research",
        "Orbital Math",
        "+14155550113",
        Some("katherine"),
    ),
    person(
        "Alan Turing",
        "Chief Scientist",
        "Bletchley Labs",
        "+442079460114",
        Some("alan"),
    ),
    person(
        "Margaret Hamilton",
        "Director of Software",
        "Apollo Systems",
        "+14155550115",
        None,
    ),
];

/// The demo Person whose Contact page is `/demo-crm/contacts/{slug}`.
pub fn by_slug(slug: &str) -> Option<&'static DemoPerson> {
    PEOPLE.iter().find(|p| p.slug == Some(slug))
}

/// The server bound to `addr` as a browser on this machine opens it: that
/// address, but a browser cannot open `0.0.0.0` or `::`, so those become
/// loopback (the demo is for a browser on this machine).
pub fn browser_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Where the demo CRM is for a server bound to `addr`.
pub fn crm_base(addr: SocketAddr) -> String {
    format!("{}{}", browser_url(addr), crate::demo_crm::PREFIX)
}

/// A demo Person's CRM link with the demo CRM at `crm_base`.
fn crm_url(person: &DemoPerson, crm_base: &str) -> Option<String> {
    person
        .slug
        .map(|slug| format!("{crm_base}/contacts/{slug}"))
}

/// The demo Person a stored CRM link was made for, if it is a demo CRM link
/// (of this or an earlier run, on any address, or the old `crm.example.com`).
fn demo_link_slug(url: &str) -> Option<&str> {
    let slug = url
        .strip_prefix("https://crm.example.com/contacts/")
        .or_else(|| {
            let (_, slug) = url.split_once("/demo-crm/contacts/")?;
            url.starts_with("http://").then_some(slug)
        })?;
    by_slug(slug).and(Some(slug))
}

/// Seeds once; later runs find the demo rep and change nothing but the
/// demo People's CRM links, which follow the demo CRM to `crm_base` (see
/// [`crm_base`]: the port may differ from one run to the next).
pub async fn seed(store: &Store, now: UnixMillis, crm_base: &str) -> anyhow::Result<DemoSeed> {
    let people = PEOPLE
        .iter()
        .map(|p| (p.name.to_owned(), p.phone.to_owned()))
        .collect();
    if let Some(rep) = store.rep_credentials(DEMO_EMAIL).await? {
        relink(store, rep.rep_id, now, crm_base).await?;
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
    for person in PEOPLE {
        let fields = PersonFields {
            name: person.name.into(),
            title: Some(person.title.into()),
            account: Some(person.account.into()),
            phones: vec![person.phone.into()],
            crm_url: crm_url(person, crm_base),
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

/// Points the demo rep's People whose CRM link is a demo CRM link (of an
/// earlier run, or the old `crm.example.com`) at the demo CRM of this run.
/// Links the rep changed to anything else are left alone.
async fn relink(
    store: &Store,
    rep: protocol::RepId,
    now: UnixMillis,
    crm_base: &str,
) -> anyhow::Result<()> {
    for stored in store.search_people(rep, "", 1000).await? {
        let Some(slug) = stored.crm_url.as_deref().and_then(demo_link_slug) else {
            continue;
        };
        let url = format!("{crm_base}/contacts/{slug}");
        if stored.crm_url.as_deref() == Some(url.as_str()) {
            continue;
        }
        let fields = PersonFields {
            name: stored.name,
            title: stored.title,
            account: stored.account,
            phones: stored.phones,
            crm_url: Some(url),
        };
        store.update_person(rep, stored.id, &fields, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_crm_is_at_an_address_a_browser_opens() {
        let at = |addr: &str| crm_base(addr.parse().expect("address"));
        assert_eq!(at("127.0.0.1:8080"), "http://127.0.0.1:8080/demo-crm");
        assert_eq!(at("0.0.0.0:8080"), "http://127.0.0.1:8080/demo-crm");
        assert_eq!(at("[::]:9000"), "http://[::1]:9000/demo-crm");
        assert_eq!(at("192.0.2.7:80"), "http://192.0.2.7:80/demo-crm");
    }

    #[test]
    fn demo_links_of_earlier_runs_are_recognised() {
        assert_eq!(
            demo_link_slug("https://crm.example.com/contacts/ada"),
            Some("ada")
        );
        assert_eq!(
            demo_link_slug("http://127.0.0.1:8081/demo-crm/contacts/grace"),
            Some("grace")
        );
        assert_eq!(demo_link_slug("https://crm.example.com/contacts/zed"), None);
        assert_eq!(demo_link_slug("https://acme.my.salesforce.com/ada"), None);
        assert_eq!(
            demo_link_slug("https://elsewhere.test/demo-crm/contacts/ada"),
            None
        );
    }
}
