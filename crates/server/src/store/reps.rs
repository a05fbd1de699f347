//! Teams, reps and the dialer numbers that route calls to them.

use super::{Store, StoreError, StoreResult};
use crate::phone::Region;
use protocol::api::RepProfile;
use protocol::{RepId, TeamId, UnixMillis};
use sqlx::Row;

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

impl Store {
    pub async fn create_team(&self, name: &str, default_country_code: u16) -> StoreResult<TeamId> {
        let id = sqlx::query("INSERT INTO teams (name, default_country_code) VALUES (?, ?)")
            .bind(name)
            .bind(i64::from(default_country_code))
            .execute(&self.pool)
            .await?
            .last_insert_rowid();
        Ok(TeamId(id))
    }

    /// The region the team's national numbers are read in.
    pub async fn team_region(&self, team: TeamId) -> StoreResult<Region> {
        let (region, code): (Option<String>, i64) =
            sqlx::query_as("SELECT default_region, default_country_code FROM teams WHERE id = ?")
                .bind(team.0)
                .fetch_one(&self.pool)
                .await?;
        if let Some(region) = region {
            return Region::from_code(&region).ok_or(StoreError::Corrupt {
                column: "teams.default_region",
                value: region,
            });
        }
        u16::try_from(code)
            .ok()
            .and_then(Region::for_calling_code)
            .ok_or(StoreError::Corrupt {
                column: "teams.default_country_code",
                value: code.to_string(),
            })
    }

    /// Sets the team's region (and its calling code with it).
    pub async fn set_team_region(&self, team: TeamId, region: Region) -> StoreResult<()> {
        sqlx::query("UPDATE teams SET default_region = ?, default_country_code = ? WHERE id = ?")
            .bind(region.code())
            .bind(i64::from(region.calling_code()))
            .bind(team.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates a rep with default dialer settings. A taken email is a conflict.
    pub async fn create_rep(&self, rep: &NewRep, now: UnixMillis) -> StoreResult<RepId> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO reps (team_id, name, email, password_hash, is_admin, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(rep.team_id.0)
        .bind(&rep.name)
        .bind(&rep.email)
        .bind(&rep.password_hash)
        .bind(rep.is_admin)
        .bind(now)
        .execute(&mut *tx)
        .await;
        let id = match result {
            Ok(done) => RepId(done.last_insert_rowid()),
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "a rep with email {} exists",
                    rep.email
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let defaults = protocol::DialerSettings::default();
        sqlx::query(
            "INSERT INTO dialer_settings
               (rep_id, inbound_enabled, forwarding_number, custom_caller_id, no_answer_action, ring_timeout_secs)
             VALUES (?, ?, NULL, NULL, ?, ?)",
        )
        .bind(id.0)
        .bind(defaults.inbound_enabled)
        .bind(defaults.no_answer_action.as_str())
        .bind(i64::from(defaults.ring_timeout_secs))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Routes `number` (E.164) to `rep`. A number already routed elsewhere is a conflict.
    pub async fn add_dialer_number(&self, rep: RepId, number: &str) -> StoreResult<()> {
        match sqlx::query("INSERT INTO dialer_numbers (number, rep_id) VALUES (?, ?)")
            .bind(number)
            .bind(rep.0)
            .execute(&self.pool)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "{number} already routes to a rep"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Rule 1: the called number picks the rep.
    pub async fn rep_for_dialer_number(&self, number: &str) -> StoreResult<Option<RepAuth>> {
        let row = sqlx::query(
            "SELECT r.id, r.team_id, r.is_admin FROM dialer_numbers d JOIN reps r ON r.id = d.rep_id
             WHERE d.number = ?",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| rep_auth(&row)).transpose()
    }

    pub async fn rep_credentials(&self, email: &str) -> StoreResult<Option<RepCredentials>> {
        let row = sqlx::query("SELECT id, password_hash FROM reps WHERE email = ?")
            .bind(email.trim())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(RepCredentials {
                rep_id: RepId(row.try_get("id")?),
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    pub async fn rep_profile(&self, rep: RepId) -> StoreResult<RepProfile> {
        let row = sqlx::query("SELECT id, team_id, name, email, is_admin FROM reps WHERE id = ?")
            .bind(rep.0)
            .fetch_one(&self.pool)
            .await?;
        let dialer_numbers: Vec<String> = sqlx::query_scalar(
            "SELECT number FROM dialer_numbers WHERE rep_id = ? ORDER BY number",
        )
        .bind(rep.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(RepProfile {
            id: RepId(row.try_get("id")?),
            team_id: TeamId(row.try_get("team_id")?),
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            is_admin: row.try_get("is_admin")?,
            dialer_numbers,
        })
    }
}

pub(super) fn rep_auth(row: &sqlx::sqlite::SqliteRow) -> StoreResult<RepAuth> {
    Ok(RepAuth {
        rep_id: RepId(row.try_get("id")?),
        team_id: TeamId(row.try_get("team_id")?),
        is_admin: row.try_get("is_admin")?,
    })
}

pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}
