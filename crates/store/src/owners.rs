//! Which instance runs each live call, and the leases that say an instance
//! is still alive (several instances share one PostgreSQL).

use super::{Store, StoreResult};
use protocol::{CallId, RepId, UnixMillis};

/// A live call whose owner stopped renewing its lease, as another instance ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub id: CallId,
    pub rep: RepId,
    /// Someone had answered: the call ended connected rather than missed.
    pub answered: bool,
}

/// Sets a live call's columns to "ended now": missed unless it had an
/// outcome, the legs still ringing stopped, and the version moved on so a
/// stale owner's next write is refused.
macro_rules! end_live_calls {
    ($where:literal) => {
        concat!(
            "UPDATE calls SET
                outcome = COALESCE(outcome, 'missed'),
                browser_leg = CASE WHEN browser_leg = 'ringing' THEN 'stopped' ELSE browser_leg END,
                phone_leg = CASE WHEN phone_leg = 'ringing' THEN 'stopped' ELSE phone_leg END,
                status = 'ended',
                ended_at = $1,
                version = version + 1
             WHERE status != 'ended' AND ",
            $where
        )
    };
}

impl Store {
    /// After a crash or restart none of this instance's calls can still be
    /// ringing or connected: their media and timers died with the process.
    /// Ends them (another instance's calls are its own); returns how many.
    pub async fn sweep_interrupted_calls(&self, now: UnixMillis, owner: &str) -> StoreResult<u64> {
        Ok(with_pool!(self, |pool| {
            sqlx::query(end_live_calls!("owner = $2"))
                .bind(now)
                .bind(owner)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Renews `instance`'s lease until `until`.
    pub async fn renew_lease(&self, instance: &str, until: UnixMillis) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO instances (id, lease_until) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
            )
            .bind(instance)
            .bind(until)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Gives the lease up at once (a clean shutdown): its calls are orphans now.
    pub async fn release_lease(&self, instance: &str) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM instances WHERE id = $1")
                .bind(instance)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends the live calls of every other instance whose lease ran out
    /// before `now` (or that never took one), and returns them. One row is
    /// ended by one instance only: the update re-checks `status` under the
    /// row's lock, so two instances reaping together split the calls.
    pub async fn end_orphaned_calls(&self, now: UnixMillis, me: &str) -> StoreResult<Vec<Orphan>> {
        let rows: Vec<(i64, i64, Option<i64>)> = with_pool!(self, |pool| {
            sqlx::query_as(concat!(
                end_live_calls!(
                    "owner != $2 AND NOT EXISTS (
                        SELECT 1 FROM instances i WHERE i.id = calls.owner AND i.lease_until >= $1)"
                ),
                " RETURNING id, rep_id, answered_at"
            ))
            .bind(now)
            .bind(me)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, rep, answered_at)| Orphan {
                id: CallId(id),
                rep: RepId(rep),
                answered: answered_at.is_some(),
            })
            .collect())
    }

    /// The instances that own one of the rep's live calls (the partial
    /// index on live calls keeps this small whatever the rep's history).
    pub async fn live_call_owners(&self, rep: RepId) -> StoreResult<Vec<String>> {
        let owners: Vec<(String,)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT DISTINCT owner FROM calls WHERE status != 'ended' AND rep_id = $1 ORDER BY owner",
            )
            .bind(rep.0)
            .fetch_all(pool)
            .await?
        });
        Ok(owners.into_iter().map(|(owner,)| owner).collect())
    }
}
