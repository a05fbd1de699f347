//! Per-rep dialer settings, and the rep's availability (kept on the same row).

use super::{Store, StoreError, StoreResult, parse_enum};
use protocol::{Availability, AvailabilityMode, DialerSettings, NoAnswerAction, RepId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

impl Store {
    pub async fn dialer_settings(&self, rep: RepId) -> StoreResult<DialerSettings> {
        Ok(self.ring_settings(rep).await?.0)
    }

    /// What a call needs to route, in one read: the dialer settings and the
    /// rep's availability as stored (the call rules read it at the call's time).
    pub async fn ring_settings(&self, rep: RepId) -> StoreResult<(DialerSettings, Availability)> {
        let row = sqlx::query(
            "SELECT inbound_enabled, forwarding_number, custom_caller_id, no_answer_action,
               ring_timeout_secs, availability_mode, availability_until
             FROM dialer_settings WHERE rep_id = ?",
        )
        .bind(rep.0)
        .fetch_one(&self.pool)
        .await?;
        Ok((settings_from(&row)?, availability_from(&row)?))
    }

    /// Saves settings the caller has already validated.
    pub async fn put_dialer_settings(
        &self,
        rep: RepId,
        settings: &DialerSettings,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE dialer_settings SET inbound_enabled = ?, forwarding_number = ?, custom_caller_id = ?,
               no_answer_action = ?, ring_timeout_secs = ?
             WHERE rep_id = ?",
        )
        .bind(settings.inbound_enabled)
        .bind(&settings.forwarding_number)
        .bind(&settings.custom_caller_id)
        .bind(settings.no_answer_action.as_str())
        .bind(i64::from(settings.ring_timeout_secs))
        .bind(rep.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The rep's availability as stored; [`Availability::effective`] says
    /// what it is now.
    pub async fn availability(&self, rep: RepId) -> StoreResult<Availability> {
        let row = sqlx::query(
            "SELECT availability_mode, availability_until FROM dialer_settings WHERE rep_id = ?",
        )
        .bind(rep.0)
        .fetch_one(&self.pool)
        .await?;
        availability_from(&row)
    }

    /// Saves an availability the caller has already validated
    /// ([`Availability::validated`]).
    pub async fn put_availability(
        &self,
        rep: RepId,
        availability: Availability,
    ) -> StoreResult<()> {
        let until = match availability.mode {
            AvailabilityMode::Available => None,
            _ => availability.until,
        };
        sqlx::query(
            "UPDATE dialer_settings SET availability_mode = ?, availability_until = ? WHERE rep_id = ?",
        )
        .bind(availability.mode.as_str())
        .bind(until)
        .bind(rep.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn settings_from(row: &SqliteRow) -> StoreResult<DialerSettings> {
    let timeout: i64 = row.try_get("ring_timeout_secs")?;
    Ok(DialerSettings {
        inbound_enabled: row.try_get("inbound_enabled")?,
        forwarding_number: row.try_get("forwarding_number")?,
        custom_caller_id: row.try_get("custom_caller_id")?,
        no_answer_action: parse_enum(
            "dialer_settings.no_answer_action",
            row.try_get("no_answer_action")?,
            NoAnswerAction::parse,
        )?,
        ring_timeout_secs: u32::try_from(timeout).map_err(|_| StoreError::Corrupt {
            column: "dialer_settings.ring_timeout_secs",
            value: timeout.to_string(),
        })?,
    })
}

fn availability_from(row: &SqliteRow) -> StoreResult<Availability> {
    Ok(Availability {
        mode: parse_enum(
            "dialer_settings.availability_mode",
            row.try_get("availability_mode")?,
            AvailabilityMode::parse,
        )?,
        until: row.try_get("availability_until")?,
    })
}
