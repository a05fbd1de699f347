//! Sign-in outcomes, told to every instance so that the throttle counts
//! guesses spread over instances as one: behind a load balancer without
//! stickiness, a guesser's attempts land on each instance in turn.
//!
//! Each instance keeps its own [`SignInThrottle`](crate::throttle::SignInThrottle)
//! (pure and bounded, as for one instance). What an instance sees it applies
//! at once and publishes on [`SUBJECT`]; the others apply it when it arrives,
//! well under a millisecond later on one network. A message lost on the way
//! (a NATS hiccup, a slow subscriber) leaves one failure uncounted on one
//! instance: the throttle is a brake, and argon2's cost still bounds guessing.
//! A restarted instance starts with an empty throttle, as a single one does.

use super::{encode, serve_subject};
use crate::state::AppState;
use crate::throttle::Source;
use protocol::UnixMillis;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Every instance subscribes; every sign-in outcome goes here.
pub const SUBJECT: &str = "ringback.sign_in";

#[derive(Debug, Serialize, Deserialize)]
struct SignInNews {
    origin: String,
    email: String,
    /// The source's address (an IPv6 source is its /64's first address).
    source: IpAddr,
    outcome: Outcome,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Outcome {
    Failed { at: UnixMillis },
    Succeeded,
}

/// Subscribes before returning, so that no outcome published once the
/// instance serves is missed; applies the others' outcomes until shutdown.
pub async fn start(state: &AppState) -> Result<(), bus::BusError> {
    serve_subject(
        state,
        SUBJECT,
        |state, message| match serde_json::from_slice::<SignInNews>(&message.payload) {
            Ok(news) if news.origin != state.cluster().instance() => apply(&state, news),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "an unreadable sign-in outcome on the bus"),
        },
    )
    .await
}

fn apply(state: &AppState, news: SignInNews) {
    let source = Source::from(news.source);
    let mut throttle = state.sign_in_throttle();
    match news.outcome {
        // Never in this instance's future: a clock ahead elsewhere must not
        // make a failure count for longer here.
        Outcome::Failed { at } => throttle.failed(&news.email, source, at.min(state.now())),
        Outcome::Succeeded => throttle.succeeded(&news.email, source),
    }
}

impl AppState {
    /// A wrong password (or an unknown email) from `source`: counted here
    /// and on every other instance.
    pub async fn sign_in_failed(&self, email: &str, source: Source) {
        let at = self.now();
        self.sign_in_throttle().failed(email, source, at);
        self.publish_sign_in(email, source, Outcome::Failed { at })
            .await;
    }

    /// A right password from `source`: that pair's failures are forgotten
    /// here and on every other instance.
    pub async fn sign_in_succeeded(&self, email: &str, source: Source) {
        self.sign_in_throttle().succeeded(email, source);
        self.publish_sign_in(email, source, Outcome::Succeeded)
            .await;
    }

    async fn publish_sign_in(&self, email: &str, source: Source, outcome: Outcome) {
        let news = SignInNews {
            origin: self.cluster().instance().to_owned(),
            email: email.to_owned(),
            source: source.ip(),
            outcome,
        };
        let Some(payload) = encode(&news) else { return };
        if let Err(error) = self.cluster().bus.publish(SUBJECT, payload).await {
            tracing::warn!(%error, "telling the other instances of a sign-in failed");
        }
    }
}
