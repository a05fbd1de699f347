//! A call's timeline (`call_events`): written as things happen, read oldest first.

use super::{Store, StoreResult, enum_from_text, enum_text, parse_enum};
use protocol::api::{TimelineEntry, TimelineKind};
use protocol::{CallId, RepId, UnixMillis};
use std::collections::HashMap;

/// A call keeps at most this many entries; later ones are dropped (a call
/// that rings, closes and connects needs a dozen).
pub const MAX_EVENTS_PER_CALL: i64 = 100;

impl Store {
    /// Adds an entry to a call's timeline, unless it already holds
    /// [`MAX_EVENTS_PER_CALL`].
    pub async fn add_call_event(
        &self,
        call: CallId,
        at: UnixMillis,
        kind: TimelineKind,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO call_events (call_id, at, kind, detail)
                 SELECT $1, $2, $3, $4
                 WHERE (SELECT count(*) FROM call_events WHERE call_id = $1) < $5",
            )
            .bind(call.0)
            .bind(at)
            .bind(enum_text(&kind))
            .bind(detail)
            .bind(MAX_EVENTS_PER_CALL)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The timeline of one of the rep's calls, oldest first; `None` for a
    /// call that is not theirs, like a missing one.
    pub async fn call_timeline(
        &self,
        rep: RepId,
        call: CallId,
    ) -> StoreResult<Option<Vec<TimelineEntry>>> {
        let owned: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM calls WHERE id = $1 AND rep_id = $2")
                .bind(call.0)
                .bind(rep.0)
                .fetch_optional(pool)
                .await?
        });
        if owned.is_none() {
            return Ok(None);
        }
        let mut all = self.timelines(rep, &[call]).await?;
        Ok(Some(all.remove(&call).unwrap_or_default()))
    }

    /// The timelines of several of the rep's calls (a page of them), by call.
    pub async fn timelines(
        &self,
        rep: RepId,
        calls: &[CallId],
    ) -> StoreResult<HashMap<CallId, Vec<TimelineEntry>>> {
        let (Some(low), Some(high)) = (calls.iter().min(), calls.iter().max()) else {
            return Ok(HashMap::new());
        };
        let rows: Vec<(i64, i64, String, Option<String>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT e.call_id, e.at, e.kind, e.detail FROM call_events e
                 JOIN calls c ON c.id = e.call_id
                 WHERE c.rep_id = $1 AND e.call_id BETWEEN $2 AND $3
                 ORDER BY e.call_id, e.id",
            )
            .bind(rep.0)
            .bind(low.0)
            .bind(high.0)
            .fetch_all(pool)
            .await?
        });
        let mut by_call: HashMap<CallId, Vec<TimelineEntry>> = HashMap::new();
        for (call, at, kind, detail) in rows {
            let call = CallId(call);
            if !calls.contains(&call) {
                continue;
            }
            by_call.entry(call).or_default().push(TimelineEntry {
                at,
                kind: parse_enum("call_events.kind", kind, enum_from_text)?,
                detail,
            });
        }
        Ok(by_call)
    }
}
