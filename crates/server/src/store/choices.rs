//! A team's disposition and sentiment lists.

use super::{Store, StoreResult};
use protocol::api::TeamChoices;
use protocol::{Choice, DispositionId, SentimentId, TeamId};

/// A team's two lists of log values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceList {
    Dispositions,
    Sentiments,
}

impl ChoiceList {
    /// The statement that sets `column` of one of a team's values.
    fn update_sql(self, column: &str) -> &'static str {
        match (self, column) {
            (Self::Dispositions, "label") => {
                "UPDATE dispositions SET label = ?1 WHERE id = ?2 AND team_id = ?3"
            }
            (Self::Sentiments, "label") => {
                "UPDATE sentiments SET label = ?1 WHERE id = ?2 AND team_id = ?3"
            }
            (Self::Dispositions, _) => {
                "UPDATE dispositions SET retired = ?1 WHERE id = ?2 AND team_id = ?3"
            }
            (Self::Sentiments, _) => {
                "UPDATE sentiments SET retired = ?1 WHERE id = ?2 AND team_id = ?3"
            }
        }
    }
}

impl Store {
    pub async fn team_choices(&self, team: TeamId) -> StoreResult<TeamChoices> {
        let dispositions: Vec<(i64, String, bool)> = sqlx::query_as(
            "SELECT id, label, retired FROM dispositions WHERE team_id = ? ORDER BY position, id",
        )
        .bind(team.0)
        .fetch_all(&self.pool)
        .await?;
        let sentiments: Vec<(i64, String, bool)> = sqlx::query_as(
            "SELECT id, label, retired FROM sentiments WHERE team_id = ? ORDER BY position, id",
        )
        .bind(team.0)
        .fetch_all(&self.pool)
        .await?;
        let disposition_required: bool =
            sqlx::query_scalar("SELECT disposition_required FROM teams WHERE id = ?")
                .bind(team.0)
                .fetch_one(&self.pool)
                .await?;
        Ok(TeamChoices {
            dispositions: dispositions
                .into_iter()
                .map(|(id, label, retired)| Choice {
                    id: DispositionId(id),
                    label,
                    retired,
                })
                .collect(),
            sentiments: sentiments
                .into_iter()
                .map(|(id, label, retired)| Choice {
                    id: SentimentId(id),
                    label,
                    retired,
                })
                .collect(),
            disposition_required,
        })
    }

    pub async fn add_disposition(&self, team: TeamId, label: &str) -> StoreResult<DispositionId> {
        let sql = "INSERT INTO dispositions (team_id, label, position)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(position), 0) + 1 FROM dispositions WHERE team_id = ?1))";
        self.append_choice(sql, team, label)
            .await
            .map(DispositionId)
    }

    pub async fn add_sentiment(&self, team: TeamId, label: &str) -> StoreResult<SentimentId> {
        let sql = "INSERT INTO sentiments (team_id, label, position)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(position), 0) + 1 FROM sentiments WHERE team_id = ?1))";
        self.append_choice(sql, team, label).await.map(SentimentId)
    }

    /// Runs one of the INSERTs above; returns the new row's id.
    async fn append_choice(
        &self,
        insert_sql: &'static str,
        team: TeamId,
        label: &str,
    ) -> StoreResult<i64> {
        let done = sqlx::query(insert_sql)
            .bind(team.0)
            .bind(label)
            .execute(&self.pool)
            .await?;
        Ok(done.last_insert_rowid())
    }

    /// Renames a team's value; old logs show the new name.
    pub async fn rename_choice(
        &self,
        list: ChoiceList,
        team: TeamId,
        id: i64,
        label: &str,
    ) -> StoreResult<bool> {
        self.update_choice(list.update_sql("label"), label.to_owned(), team, id)
            .await
    }

    /// Retires (or brings back) a value: retired values stay on old logs but
    /// are not offered for new ones.
    pub async fn set_choice_retired(
        &self,
        list: ChoiceList,
        team: TeamId,
        id: i64,
        retired: bool,
    ) -> StoreResult<bool> {
        // SQLite stores "1"/"0" in the INTEGER column as 1/0.
        self.update_choice(
            list.update_sql("retired"),
            i64::from(retired).to_string(),
            team,
            id,
        )
        .await
    }

    /// Sets one column of one of the team's values; `false` if it is not theirs.
    async fn update_choice(
        &self,
        sql: &'static str,
        value: String,
        team: TeamId,
        id: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(sql)
            .bind(value)
            .bind(id)
            .bind(team.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_disposition_required(&self, team: TeamId, required: bool) -> StoreResult<()> {
        sqlx::query("UPDATE teams SET disposition_required = ? WHERE id = ?")
            .bind(required)
            .bind(team.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
