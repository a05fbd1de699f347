//! Teams, reps and the dialer numbers that route calls to them.

use super::row::Columns;
use super::{Store, StoreError, StoreResult, is_unique_violation};
use protocol::api::RepProfile;
use protocol::{RepId, TeamId, UnixMillis};

/// A rep to create. The password arrives already hashed.
#[derive(Debug, Clone)]
pub struct NewRep {
    pub team_id: TeamId,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
}

/// What sign-in needs to check a password.
#[derive(Debug, Clone)]
pub struct RepCredentials {
    pub rep_id: RepId,
    pub password_hash: String,
}

/// Who a bearer token or ticket belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepAuth {
    pub rep_id: RepId,
    pub team_id: TeamId,
    pub is_admin: bool,
}

/// Where a team's national numbers are read, as stored: the region an admin
/// chose (ISO 3166, e.g. "GB"), else the main region of its calling code.
/// The server reads it with libphonenumber's metadata, which the store does
/// not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRegion {
    pub region: Option<String>,
    pub calling_code: i64,
}

impl Store {
    pub async fn create_team(&self, name: &str, default_country_code: u16) -> StoreResult<TeamId> {
        let id: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO teams (name, default_country_code) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(i64::from(default_country_code))
            .fetch_one(pool)
            .await?
        });
        Ok(TeamId(id))
    }

    /// The region the team's national numbers are read in, as stored.
    pub async fn team_region(&self, team: TeamId) -> StoreResult<TeamRegion> {
        let (region, calling_code): (Option<String>, i64) = with_pool!(self, |pool| {
            sqlx::query_as("SELECT default_region, default_country_code FROM teams WHERE id = $1")
                .bind(team.0)
                .fetch_one(pool)
                .await?
        });
        Ok(TeamRegion {
            region,
            calling_code,
        })
    }

    /// Sets the team's region (an ISO 3166 code) and its calling code with it.
    pub async fn set_team_region(
        &self,
        team: TeamId,
        region: &str,
        calling_code: u16,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE teams SET default_region = $1, default_country_code = $2 WHERE id = $3",
            )
            .bind(region)
            .bind(i64::from(calling_code))
            .bind(team.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Creates a rep with default dialer settings. A taken email (in any
    /// case) is a conflict.
    pub async fn create_rep(&self, rep: &NewRep, now: UnixMillis) -> StoreResult<RepId> {
        let defaults = protocol::DialerSettings::default();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let result = sqlx::query_scalar(
                "INSERT INTO reps (team_id, name, email, password_hash, is_admin, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING id",
            )
            .bind(rep.team_id.0)
            .bind(&rep.name)
            .bind(&rep.email)
            .bind(&rep.password_hash)
            .bind(rep.is_admin)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let id = match result {
                Ok(id) => RepId(id),
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!(
                        "a rep with email {} exists",
                        rep.email
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            sqlx::query(
                "INSERT INTO dialer_settings
                   (rep_id, inbound_enabled, forwarding_number, custom_caller_id, no_answer_action,
                    ring_timeout_secs)
                 VALUES ($1, $2, NULL, NULL, $3, $4)",
            )
            .bind(id.0)
            .bind(defaults.inbound_enabled)
            .bind(defaults.no_answer_action.as_str())
            .bind(i64::from(defaults.ring_timeout_secs))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Routes `number` (E.164) to `rep`. A number already routed elsewhere is a conflict.
    pub async fn add_dialer_number(&self, rep: RepId, number: &str) -> StoreResult<()> {
        let result = with_pool!(self, |pool| {
            sqlx::query("INSERT INTO dialer_numbers (number, rep_id) VALUES ($1, $2)")
                .bind(number)
                .bind(rep.0)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Ok(()) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "{number} already routes to a rep"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Rule 1: the called number picks the rep.
    pub async fn rep_for_dialer_number(&self, number: &str) -> StoreResult<Option<RepAuth>> {
        with_pool!(self, |pool| {
            sqlx::query(
                "SELECT r.id, r.team_id, r.is_admin
                 FROM dialer_numbers d JOIN reps r ON r.id = d.rep_id
                 WHERE d.number = $1",
            )
            .bind(number)
            .fetch_optional(pool)
            .await?
            .map(|row| rep_auth(&row))
            .transpose()
        })
    }

    /// Sign-in's lookup: an email matches in any (ASCII) case, as the unique
    /// index on `lower(email)` compares them.
    pub async fn rep_credentials(&self, email: &str) -> StoreResult<Option<RepCredentials>> {
        let row: Option<(i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT id, password_hash FROM reps WHERE lower(email) = lower($1)")
                .bind(email.trim())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(id, password_hash)| RepCredentials {
            rep_id: RepId(id),
            password_hash,
        }))
    }

    pub async fn rep_profile(&self, rep: RepId) -> StoreResult<RepProfile> {
        with_pool!(self, |pool| {
            let row =
                sqlx::query("SELECT id, team_id, name, email, is_admin FROM reps WHERE id = $1")
                    .bind(rep.0)
                    .fetch_one(pool)
                    .await?;
            let dialer_numbers: Vec<String> = sqlx::query_scalar(
                "SELECT number FROM dialer_numbers WHERE rep_id = $1 ORDER BY number",
            )
            .bind(rep.0)
            .fetch_all(pool)
            .await?;
            Ok(RepProfile {
                id: RepId(row.column("id")?),
                team_id: TeamId(row.column("team_id")?),
                name: row.column("name")?,
                email: row.column("email")?,
                is_admin: row.column("is_admin")?,
                dialer_numbers,
            })
        })
    }
}

pub(super) fn rep_auth(row: &impl Columns) -> StoreResult<RepAuth> {
    Ok(RepAuth {
        rep_id: RepId(row.column("id")?),
        team_id: TeamId(row.column("team_id")?),
        is_admin: row.column("is_admin")?,
    })
}
