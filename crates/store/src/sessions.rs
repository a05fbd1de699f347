//! Bearer sessions and single-use WebSocket tickets, stored by hash.

use super::reps::rep_auth;
use super::row::Columns;
use super::{RepAuth, Store, StoreResult};
use protocol::{RepId, UnixMillis};

/// What a redeemed ticket opens a socket for.
#[derive(Debug, Clone)]
pub struct TicketGrant {
    pub rep: RepAuth,
    /// The session that asked for the ticket; signing it out closes the socket.
    pub session_hash: String,
    /// The socket closes by itself when the session expires.
    pub session_expires_at: UnixMillis,
}

/// Unspent WebSocket tickets one session may hold.
pub const MAX_TICKETS_PER_SESSION: i64 = 10;

impl Store {
    pub async fn create_session(
        &self,
        rep: RepId,
        token_hash: &str,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, rep_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(rep.0)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The rep a live (unexpired) session token belongs to.
    pub async fn session_rep(
        &self,
        token_hash: &str,
        now: UnixMillis,
    ) -> StoreResult<Option<RepAuth>> {
        with_pool!(self, |pool| {
            sqlx::query(
                "SELECT r.id, r.team_id, r.is_admin FROM sessions s JOIN reps r ON r.id = s.rep_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
            .map(|row| rep_auth(&row))
            .transpose()
        })
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A ticket for the session whose token hashes to `session_hash`. A
    /// session keeps at most [`MAX_TICKETS_PER_SESSION`] unspent tickets:
    /// the oldest make room, so a client looping on this cannot fill the table.
    pub async fn create_ticket(
        &self,
        session_hash: &str,
        ticket_hash: &str,
        expires_at: UnixMillis,
    ) -> StoreResult<()> {
        // Newest first: SQLite's implicit rowid, PostgreSQL's identity column.
        let make_room = self.dialect().pick(
            "DELETE FROM ws_tickets WHERE session_hash = $1 AND ticket_hash NOT IN (
                 SELECT ticket_hash FROM ws_tickets WHERE session_hash = $1
                 ORDER BY rowid DESC LIMIT $2)",
            "DELETE FROM ws_tickets WHERE session_hash = $1 AND ticket_hash NOT IN (
                 SELECT ticket_hash FROM ws_tickets WHERE session_hash = $1
                 ORDER BY id DESC LIMIT $2)",
        );
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(make_room)
                .bind(session_hash)
                .bind(MAX_TICKETS_PER_SESSION - 1)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO ws_tickets (ticket_hash, session_hash, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(ticket_hash)
            .bind(session_hash)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Spends a ticket: it is deleted whether or not it was still valid, so it
    /// can never be used twice. Valid only while its session is.
    pub async fn redeem_ticket(
        &self,
        ticket_hash: &str,
        now: UnixMillis,
    ) -> StoreResult<Option<TicketGrant>> {
        with_pool!(self, |pool| {
            let spent: Option<(String, i64)> = sqlx::query_as(
                "DELETE FROM ws_tickets WHERE ticket_hash = $1 RETURNING session_hash, expires_at",
            )
            .bind(ticket_hash)
            .fetch_optional(pool)
            .await?;
            let Some((session_hash, expires_at)) = spent else {
                return Ok(None);
            };
            if expires_at <= now {
                return Ok(None);
            }
            sqlx::query(
                "SELECT r.id, r.team_id, r.is_admin, s.expires_at AS session_expires_at
                 FROM sessions s JOIN reps r ON r.id = s.rep_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(&session_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
            .map(|row| {
                Ok(TicketGrant {
                    rep: rep_auth(&row)?,
                    session_expires_at: row.column("session_expires_at")?,
                    session_hash,
                })
            })
            .transpose()
        })
    }

    /// Forgets expired sessions and tickets.
    pub async fn purge_expired(&self, now: UnixMillis) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query("DELETE FROM ws_tickets WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
