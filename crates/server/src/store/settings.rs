//! Per-rep dialer settings.

use super::{Store, StoreError, StoreResult, parse_enum};
use protocol::{DialerSettings, NoAnswerAction, RepId};
use sqlx::Row;

impl Store {
    pub async fn dialer_settings(&self, rep: RepId) -> StoreResult<DialerSettings> {
        let row = sqlx::query(
            "SELECT inbound_enabled, forwarding_number, custom_caller_id, no_answer_action, ring_timeout_secs
             FROM dialer_settings WHERE rep_id = ?",
        )
        .bind(rep.0)
        .fetch_one(&self.pool)
        .await?;
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
}
