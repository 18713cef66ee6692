//! The terms of the application cycles, as the commands and the screens read them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use domain::cycle::{CycleEvent, CycleName, CycleTerms, CycleTermsSource};

use crate::{Conn, Db, ProjectionError, RecordedEvent, on_conn, on_pool};

/// One cycle with the terms an administrator set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CycleView {
    pub name: String,
    pub terms: CycleTerms,
    pub set_at: DateTime<Utc>,
    pub set_by: String,
}

pub(crate) async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    payload: &CycleEvent,
) -> Result<(), ProjectionError> {
    match payload {
        CycleEvent::CycleTermsSet { cycle, terms } => {
            const SQL: &str = "INSERT INTO cycles (name, terms, set_at, set_by) VALUES ($1, $2, $3, $4) \
                               ON CONFLICT (name) DO UPDATE SET terms = excluded.terms, \
                               set_at = excluded.set_at, set_by = excluded.set_by";
            let terms = serde_json::to_string(terms)?;
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(cycle.as_str())
                .bind(&terms)
                .bind(event.metadata.at)
                .bind(&event.metadata.actor_id)
                .execute(&mut *c)
                .await?
                .rows_affected());
        }
        CycleEvent::CycleConcluded {
            cycle,
            on,
            automatic,
        } => {
            const SQL: &str = "INSERT INTO cycle_conclusions (name, concluded_on, automatic, concluded_at, concluded_by) \
                               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING";
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(cycle.as_str())
                .bind(on)
                .bind(automatic)
                .bind(event.metadata.at)
                .bind(&event.metadata.actor_id)
                .execute(&mut *c)
                .await?
                .rows_affected());
        }
    }
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => {
        sqlx::query("DELETE FROM cycle_conclusions").execute(&mut *c).await?;
        sqlx::query("DELETE FROM cycles").execute(&mut *c).await?.rows_affected()
    });
    Ok(())
}

/// A cycle's conclusion: when, whether automatic, and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conclusion {
    pub cycle: String,
    pub concluded_on: NaiveDate,
    pub automatic: bool,
    pub concluded_at: DateTime<Utc>,
    pub concluded_by: String,
}

fn conclusion_from<R: Row>(row: &R) -> Result<Conclusion, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Conclusion {
        cycle: row.try_get("name")?,
        concluded_on: row.try_get("concluded_on")?,
        automatic: row.try_get("automatic")?,
        concluded_at: row.try_get("concluded_at")?,
        concluded_by: row.try_get("concluded_by")?,
    })
}

/// The cycle's conclusion, if it was concluded.
pub async fn conclusion(db: &Db, cycle: &str) -> Result<Option<Conclusion>, sqlx::Error> {
    const SQL: &str = "SELECT name, concluded_on, automatic, concluded_at, concluded_by \
                       FROM cycle_conclusions WHERE name = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(cycle).fetch_optional(p).await?
        .map(|row| conclusion_from(&row)).transpose())
}

/// Every concluded cycle, the latest first.
pub async fn conclusions(db: &Db) -> Result<Vec<Conclusion>, sqlx::Error> {
    const SQL: &str = "SELECT name, concluded_on, automatic, concluded_at, concluded_by \
                       FROM cycle_conclusions ORDER BY name DESC";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(conclusion_from).collect())
}

/// Every cycle the store knows of: those with terms, those concluded and those with applications.
pub async fn known(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT name FROM cycles UNION SELECT name FROM cycle_conclusions \
                       UNION SELECT DISTINCT cycle FROM case_list ORDER BY 1";
    on_pool!(db, p => sqlx::query_scalar(SQL).fetch_all(p).await)
}

fn from_row<R: Row>(row: &R) -> Result<CycleView, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let terms: String = row.try_get("terms")?;
    Ok(CycleView {
        name: row.try_get("name")?,
        terms: serde_json::from_str(&terms).map_err(|error| sqlx::Error::Decode(error.into()))?,
        set_at: row.try_get("set_at")?,
        set_by: row.try_get("set_by")?,
    })
}

/// The cycle's terms, where they were set.
pub async fn find(db: &Db, cycle: &str) -> Result<Option<CycleView>, sqlx::Error> {
    const SQL: &str = "SELECT name, terms, set_at, set_by FROM cycles WHERE name = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(cycle).fetch_optional(p).await?.map(|row| from_row(&row)).transpose())
}

/// Every cycle whose terms were set, the latest first.
pub async fn list(db: &Db) -> Result<Vec<CycleView>, sqlx::Error> {
    const SQL: &str = "SELECT name, terms, set_at, set_by FROM cycles ORDER BY name DESC";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(from_row).collect())
}

/// Whether the cycle's committee reviews blind.
pub async fn is_blind(db: &Db, cycle: &str) -> Result<bool, sqlx::Error> {
    Ok(find(db, cycle)
        .await?
        .is_some_and(|view| view.terms.blind_review))
}

/// The cycles' terms as the application aggregate asks for them.
#[derive(Clone)]
pub struct CycleCalendar {
    db: Db,
}

impl CycleCalendar {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CycleTermsSource for CycleCalendar {
    async fn terms_of(&self, cycle: &CycleName) -> Result<Option<CycleTerms>, String> {
        find(&self.db, cycle.as_str())
            .await
            .map(|view| view.map(|view| view.terms))
            .map_err(|error| error.to_string())
    }

    async fn concluded_on(&self, cycle: &CycleName) -> Result<Option<NaiveDate>, String> {
        conclusion(&self.db, cycle.as_str())
            .await
            .map(|found| found.map(|c| c.concluded_on))
            .map_err(|error| error.to_string())
    }
}
