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
    /// The statement that renames one of a team's values.
    fn rename_sql(self) -> &'static str {
        match self {
            Self::Dispositions => {
                "UPDATE dispositions SET label = $1 WHERE id = $2 AND team_id = $3"
            }
            Self::Sentiments => "UPDATE sentiments SET label = $1 WHERE id = $2 AND team_id = $3",
        }
    }

    /// The statement that retires (or brings back) one of a team's values.
    fn retire_sql(self) -> &'static str {
        match self {
            Self::Dispositions => {
                "UPDATE dispositions SET retired = $1 WHERE id = $2 AND team_id = $3"
            }
            Self::Sentiments => "UPDATE sentiments SET retired = $1 WHERE id = $2 AND team_id = $3",
        }
    }
}

/// What an admin changes of one of the team's values.
#[derive(Debug, Clone, Copy)]
enum ChoiceChange<'a> {
    Label(&'a str),
    Retired(bool),
}

/// A disposition or sentiment as read: id, label, retired.
type ChoiceRow = (i64, String, bool);

impl Store {
    pub async fn team_choices(&self, team: TeamId) -> StoreResult<TeamChoices> {
        let (dispositions, sentiments, disposition_required): (
            Vec<ChoiceRow>,
            Vec<ChoiceRow>,
            bool,
        ) = with_pool!(self, |pool| {
            (
                sqlx::query_as(
                    "SELECT id, label, retired FROM dispositions WHERE team_id = $1
                     ORDER BY position, id",
                )
                .bind(team.0)
                .fetch_all(pool)
                .await?,
                sqlx::query_as(
                    "SELECT id, label, retired FROM sentiments WHERE team_id = $1
                     ORDER BY position, id",
                )
                .bind(team.0)
                .fetch_all(pool)
                .await?,
                sqlx::query_scalar("SELECT disposition_required FROM teams WHERE id = $1")
                    .bind(team.0)
                    .fetch_one(pool)
                    .await?,
            )
        });
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
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM dispositions WHERE team_id = $1))
             RETURNING id";
        self.append_choice(sql, team, label)
            .await
            .map(DispositionId)
    }

    pub async fn add_sentiment(&self, team: TeamId, label: &str) -> StoreResult<SentimentId> {
        let sql = "INSERT INTO sentiments (team_id, label, position)
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM sentiments WHERE team_id = $1))
             RETURNING id";
        self.append_choice(sql, team, label).await.map(SentimentId)
    }

    /// Runs one of the INSERTs above; returns the new row's id.
    async fn append_choice(
        &self,
        insert_sql: &'static str,
        team: TeamId,
        label: &str,
    ) -> StoreResult<i64> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_scalar(insert_sql)
                .bind(team.0)
                .bind(label)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Renames a team's value; old logs show the new name. `false` if it is
    /// not theirs.
    pub async fn rename_choice(
        &self,
        list: ChoiceList,
        team: TeamId,
        id: i64,
        label: &str,
    ) -> StoreResult<bool> {
        self.change_choice(list, team, id, ChoiceChange::Label(label))
            .await
    }

    /// Retires (or brings back) a value: retired values stay on old logs but
    /// are not offered for new ones. `false` if it is not the team's.
    pub async fn set_choice_retired(
        &self,
        list: ChoiceList,
        team: TeamId,
        id: i64,
        retired: bool,
    ) -> StoreResult<bool> {
        self.change_choice(list, team, id, ChoiceChange::Retired(retired))
            .await
    }

    async fn change_choice(
        &self,
        list: ChoiceList,
        team: TeamId,
        id: i64,
        change: ChoiceChange<'_>,
    ) -> StoreResult<bool> {
        let changed = with_pool!(self, |pool| {
            let query = match change {
                ChoiceChange::Label(label) => sqlx::query(list.rename_sql()).bind(label),
                ChoiceChange::Retired(retired) => sqlx::query(list.retire_sql()).bind(retired),
            };
            query
                .bind(id)
                .bind(team.0)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    pub async fn set_disposition_required(&self, team: TeamId, required: bool) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE teams SET disposition_required = $1 WHERE id = $2")
                .bind(required)
                .bind(team.0)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
