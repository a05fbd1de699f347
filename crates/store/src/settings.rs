//! Per-rep dialer settings, and the rep's availability (kept on the same row).

use super::row::Columns;
use super::{Store, StoreError, StoreResult, parse_enum};
use protocol::{Availability, AvailabilityMode, DialerSettings, NoAnswerAction, RepId};

impl Store {
    pub async fn dialer_settings(&self, rep: RepId) -> StoreResult<DialerSettings> {
        Ok(self.ring_settings(rep).await?.0)
    }

    /// What a call needs to route, in one read: the dialer settings and the
    /// rep's availability as stored (the call rules read it at the call's time).
    pub async fn ring_settings(&self, rep: RepId) -> StoreResult<(DialerSettings, Availability)> {
        with_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT inbound_enabled, forwarding_number, custom_caller_id, no_answer_action,
                   ring_timeout_secs, availability_mode, availability_until
                 FROM dialer_settings WHERE rep_id = $1",
            )
            .bind(rep.0)
            .fetch_one(pool)
            .await?;
            Ok((settings_from(&row)?, availability_from(&row)?))
        })
    }

    /// Saves settings the caller has already validated.
    pub async fn put_dialer_settings(
        &self,
        rep: RepId,
        settings: &DialerSettings,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE dialer_settings SET inbound_enabled = $1, forwarding_number = $2,
                   custom_caller_id = $3, no_answer_action = $4, ring_timeout_secs = $5
                 WHERE rep_id = $6",
            )
            .bind(settings.inbound_enabled)
            .bind(&settings.forwarding_number)
            .bind(&settings.custom_caller_id)
            .bind(settings.no_answer_action.as_str())
            .bind(i64::from(settings.ring_timeout_secs))
            .bind(rep.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The rep's availability as stored; [`Availability::effective`] says
    /// what it is now.
    pub async fn availability(&self, rep: RepId) -> StoreResult<Availability> {
        with_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT availability_mode, availability_until FROM dialer_settings
                 WHERE rep_id = $1",
            )
            .bind(rep.0)
            .fetch_one(pool)
            .await?;
            availability_from(&row)
        })
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
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE dialer_settings SET availability_mode = $1, availability_until = $2
                 WHERE rep_id = $3",
            )
            .bind(availability.mode.as_str())
            .bind(until)
            .bind(rep.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

fn settings_from(row: &impl Columns) -> StoreResult<DialerSettings> {
    let timeout: i64 = row.column("ring_timeout_secs")?;
    Ok(DialerSettings {
        inbound_enabled: row.column("inbound_enabled")?,
        forwarding_number: row.column("forwarding_number")?,
        custom_caller_id: row.column("custom_caller_id")?,
        no_answer_action: parse_enum(
            "dialer_settings.no_answer_action",
            row.column("no_answer_action")?,
            NoAnswerAction::parse,
        )?,
        ring_timeout_secs: u32::try_from(timeout).map_err(|_| StoreError::Corrupt {
            column: "dialer_settings.ring_timeout_secs",
            value: timeout.to_string(),
        })?,
    })
}

fn availability_from(row: &impl Columns) -> StoreResult<Availability> {
    Ok(Availability {
        mode: parse_enum(
            "dialer_settings.availability_mode",
            row.column("availability_mode")?,
            AvailabilityMode::parse,
        )?,
        until: row.column("availability_until")?,
    })
}
