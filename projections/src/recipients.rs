//! The register of sharing recipients, as a table to list and look up.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use domain::country::Country;
use domain::recipient::{RecipientEvent, RecipientKind};
use domain::sharing::RecipientFacts;

use crate::{Conn, Db, ProjectionError, RecordedEvent, on_conn, on_pool};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecipientView {
    pub id: String,
    pub name: String,
    pub kind: RecipientKind,
    pub country: String,
    /// The nation whose embassy it is, where registered with it.
    pub represents: Option<String>,
    /// Where it stands, where registered with it.
    pub located_in: Option<String>,
    pub registered_at: DateTime<Utc>,
}

impl RecipientView {
    /// What the sharing rule needs to know of this recipient.
    pub fn facts(&self) -> Option<RecipientFacts> {
        Some(RecipientFacts {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind,
            country: Country::parse(&self.country)?,
            represents: self.represents.as_deref().and_then(Country::parse),
            located_in: self.located_in.as_deref().and_then(Country::parse),
        })
    }
}

pub(crate) async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    payload: &RecipientEvent,
) -> Result<(), ProjectionError> {
    match payload {
        RecipientEvent::RecipientRegistered {
            name,
            kind,
            country,
            represents,
            located_in,
        } => {
            const SQL: &str = "INSERT INTO recipients \
                               (id, name, kind, country, represents, located_in, registered_at) \
                               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING";
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(&event.aggregate_id)
                .bind(name)
                .bind(kind.as_str())
                .bind(country.as_str())
                .bind(represents.as_ref().map(Country::as_str))
                .bind(located_in.as_ref().map(Country::as_str))
                .bind(event.metadata.at)
                .execute(&mut *c)
                .await?
                .rows_affected());
        }
    }
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => sqlx::query("DELETE FROM recipients").execute(&mut *c).await?.rows_affected());
    Ok(())
}

fn from_row<R: Row>(row: &R) -> Result<RecipientView, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    Ok(RecipientView {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: RecipientKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {kind}").into()))?,
        country: row.try_get("country")?,
        represents: row.try_get("represents")?,
        located_in: row.try_get("located_in")?,
        registered_at: row.try_get("registered_at")?,
    })
}

pub async fn find(db: &Db, id: &str) -> Result<Option<RecipientView>, sqlx::Error> {
    if !crate::db::is_plausible_id(id) {
        return Ok(None);
    }
    const SQL: &str = "SELECT id, name, kind, country, represents, located_in, registered_at FROM recipients WHERE id = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(id).fetch_optional(p).await?.map(|row| from_row(&row)).transpose())
}

pub async fn list(db: &Db) -> Result<Vec<RecipientView>, sqlx::Error> {
    const SQL: &str = "SELECT id, name, kind, country, represents, located_in, registered_at FROM recipients ORDER BY country, name, id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(from_row).collect())
}
