//! One test body, run once on each backend: SQLite in a temporary directory
//! and PostgreSQL in a database of its own (created here) on the server
//! `RINGBACK_TEST_POSTGRES_URL` names (`make rust-test` starts one).

use protocol::api::TimelineKind;
use protocol::{
    Availability, CallId, DispositionId, NoAnswerAction, PersonId, PersonSnapshot, RepId,
    SentimentId, TeamId, UnixMillis,
};
use ringback_store::{NewCall, NewRep, PersonFields, RepAuth, Store};
use sqlx::{AssertSqlSafe, Connection};
use std::io::Write;
use tempfile::TempDir;

/// The variable naming the PostgreSQL server (any database on it; each test
/// creates its own), e.g. `postgres://postgres@127.0.0.1:54329/postgres`.
pub const POSTGRES_URL_VAR: &str = "RINGBACK_TEST_POSTGRES_URL";

/// Runs each named `async fn(TestDb)` as two tests, `<name>::sqlite` and
/// `<name>::postgres`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::common::TestDb::sqlite().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::common::TestDb::postgres(module_path!()).await {
                    super::$test(db).await;
                }
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// A fresh, migrated database and the store on it.
pub struct TestDb {
    pub store: Store,
    /// The URL a second store (or a raw connection) opens it by.
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("ringback.db").display());
        let store = Store::connect(&url).await.expect("SQLite store opens");
        Self {
            store,
            url,
            _dir: Some(dir),
        }
    }

    /// `None` (after saying so loudly) when no PostgreSQL is configured,
    /// except under `CI=true`, where that fails the test.
    pub async fn postgres(test: &str) -> Option<Self> {
        let url = Self::new_postgres_database(test).await?;
        let store = Store::connect(&url).await.expect("PostgreSQL store opens");
        Some(Self {
            store,
            url,
            _dir: None,
        })
    }

    /// Creates an empty database of its own for `test`; returns its URL.
    pub async fn new_postgres_database(test: &str) -> Option<String> {
        let server = match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!(
                "{POSTGRES_URL_VAR} is not set: under CI=true every store test runs on \
                 PostgreSQL too (`make rust-test` starts a throwaway server and sets it)"
            ),
            _ => {
                // Straight to stderr: the test harness would swallow eprintln!
                // of a passing test.
                let _ = writeln!(
                    std::io::stderr(),
                    "*** SKIPPED ON POSTGRESQL: {test}. Set {POSTGRES_URL_VAR} \
                     (or run `make rust-test`, which starts a PostgreSQL for the tests). ***"
                );
                return None;
            }
        };
        Some(ringback_store::testing::create_database(&server, "ringback_test").await)
    }

    /// Runs SQL on a connection of its own, past the store, as another
    /// client of the database would.
    pub async fn raw(&self, sql: String) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql);
        if self.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.url).await?;
            Ok(sqlx::raw_sql(sql).execute(&mut conn).await?.rows_affected())
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.url).await?;
            Ok(sqlx::raw_sql(sql).execute(&mut conn).await?.rows_affected())
        }
    }
}

impl TestDb {
    /// One number read past the store (a count, an id).
    pub async fn number(&self, sql: &str) -> i64 {
        let sql = AssertSqlSafe(sql.to_owned());
        let read = if self.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("raw connection");
            sqlx::query_scalar(sql).fetch_one(&mut conn).await
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("raw connection");
            sqlx::query_scalar(sql).fetch_one(&mut conn).await
        };
        read.expect("raw query")
    }
}

/// `url` with its database (the path) replaced by `database`.
pub const T0: UnixMillis = 1_700_000_000_000;

/// A team with one admin rep, a dialer number, two dispositions and two
/// sentiments.
pub struct Team {
    pub team: TeamId,
    pub rep: RepAuth,
    pub dispositions: [DispositionId; 2],
    pub sentiments: [SentimentId; 2],
}

pub async fn team(store: &Store, email: &str, dialer_number: &str) -> Team {
    let team = store.create_team("Acme", 1).await.expect("team");
    let rep_id = store
        .create_rep(
            &NewRep {
                team_id: team,
                name: "Rep".into(),
                email: email.into(),
                password_hash: "$argon2id$stand-in".into(),
                is_admin: true,
            },
            T0,
        )
        .await
        .expect("rep");
    store
        .add_dialer_number(rep_id, dialer_number)
        .await
        .expect("dialer number");
    let mut dispositions = [DispositionId(0); 2];
    for (slot, label) in dispositions.iter_mut().zip(["Interested", "Not now"]) {
        *slot = store
            .add_disposition(team, label)
            .await
            .expect("disposition");
    }
    let mut sentiments = [SentimentId(0); 2];
    for (slot, label) in sentiments.iter_mut().zip(["Positive", "Negative"]) {
        *slot = store.add_sentiment(team, label).await.expect("sentiment");
    }
    Team {
        team,
        rep: RepAuth {
            rep_id,
            team_id: team,
            is_admin: true,
        },
        dispositions,
        sentiments,
    }
}

pub fn person_fields(name: &str, account: Option<&str>, phones: &[&str]) -> PersonFields {
    PersonFields {
        name: name.into(),
        title: Some("CTO".into()),
        account: account.map(str::to_owned),
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        crm_url: None,
    }
}

/// A call ringing the browser and the phone, as the exchange stores one.
pub fn ringing(now: UnixMillis) -> calls::Call {
    let request = calls::RingRequest {
        inbound_enabled: true,
        custom_caller_id_set: false,
        browser: calls::BrowserPresence::Connected,
        availability: Availability::default(),
        forwarding_number: Some("+14155550999".into()),
        no_answer_action: NoAnswerAction::Voicemail,
        ring_timeout_ms: 30_000,
        max_call_ms: calls::DEFAULT_MAX_CALL_MS,
    };
    calls::Call::ring(&request, now).0
}

/// What a call from a number no Person has shows.
pub fn unknown_caller(number: &str) -> PersonSnapshot {
    PersonSnapshot {
        id: None,
        name: None,
        title: None,
        account: None,
        crm_url: None,
        number: number.into(),
    }
}

/// Stores a call from `from` (to `person`, if known) and moves it through
/// `events`, saving each state.
pub async fn call(
    store: &Store,
    rep: RepId,
    carrier_call_id: &str,
    from: &str,
    person: Option<(PersonId, &str)>,
    now: UnixMillis,
    events: &[calls::Event],
) -> CallId {
    let snapshot = PersonSnapshot {
        id: person.map(|(id, _)| id),
        name: person.map(|(_, name)| name.to_owned()),
        ..unknown_caller(from)
    };
    let mut machine = ringing(now);
    let id = store
        .insert_call(&NewCall {
            rep_id: rep,
            carrier_call_id,
            from,
            to: "+14155550100",
            person: &snapshot,
            call: &machine,
            owner: "local",
        })
        .await
        .expect("insert call");
    let mut version = 0;
    for event in events {
        machine.handle(event.clone(), now + 1_000).expect("event");
        version = store
            .save_call(id, &machine, version)
            .await
            .expect("save call");
    }
    store
        .add_call_event(id, now, TimelineKind::Arrived, None)
        .await
        .expect("timeline");
    id
}

/// Answered in the browser, then hung up: a call ready to be logged.
pub fn answered_and_ended() -> [calls::Event; 2] {
    [
        calls::Event::BrowserAccept {
            device_id: "device-1".into(),
        },
        calls::Event::RepHungUp,
    ]
}
