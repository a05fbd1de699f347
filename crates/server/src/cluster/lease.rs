//! The instance's lease, and the end of calls whose owner lost its own.
//!
//! Every [`Config::lease`](crate::config::Config::lease) / 3 an instance
//! renews its lease for one lease from now, then ends the live calls of
//! instances whose lease ran out. An owner that dies is thus noticed at
//! most a lease after its last renewal plus one period: 9 s + 3 s by
//! default, within the 15 s a ringing call may be left stranded.

use crate::state::AppState;
use protocol::api::TimelineKind;
use protocol::signal::{CallUpdate, ServerMessage};
use protocol::{CallOutcome, UnixMillis};

/// Renews the lease and reaps orphans until shutdown. The first renewal
/// happens before this returns, so the instance never runs without one.
pub async fn start(state: &AppState) -> Result<(), store::StoreError> {
    renew(state).await?;
    let state = state.clone();
    tokio::spawn(async move {
        let period = state.config().lease / 3;
        let mut every = tokio::time::interval(period);
        every.tick().await;
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(error) = renew(&state).await {
                        tracing::error!(%error, "renewing this instance's lease failed");
                    }
                    reap(&state).await;
                }
                () = state.shutting_down() => return,
            }
        }
    });
    Ok(())
}

async fn renew(state: &AppState) -> Result<(), store::StoreError> {
    let lease_ms = UnixMillis::try_from(state.config().lease.as_millis()).unwrap_or(i64::MAX);
    state
        .store()
        .renew_lease(
            state.cluster().instance(),
            state.now().saturating_add(lease_ms),
        )
        .await
}

/// Ends the calls of instances gone quiet, and tells the rep's browsers.
async fn reap(state: &AppState) {
    let now = state.now();
    let orphans = match state
        .store()
        .end_orphaned_calls(now, state.cluster().instance())
        .await
    {
        Ok(orphans) => orphans,
        Err(error) => {
            tracing::error!(%error, "ending the calls of stopped instances failed");
            return;
        }
    };
    for orphan in orphans {
        tracing::warn!(call = %orphan.id, rep = %orphan.rep, "ended a call whose instance stopped");
        let (update, kind) = if orphan.answered {
            (CallUpdate::Ended, TimelineKind::Ended)
        } else {
            let outcome = CallOutcome::Missed;
            (CallUpdate::NoAnswer { outcome }, TimelineKind::NoAnswer)
        };
        let message = ServerMessage::CallUpdate {
            call_id: orphan.id,
            update,
        };
        state
            .tell(orphan.rep, &calls::Audience::AllBrowsers, &message)
            .await;
        state
            .note(
                orphan.id,
                (kind, Some("the server holding the call stopped".to_owned())),
            )
            .await;
    }
}
