//! Immigration records of each application, for programme officers. A destroyed record is deleted here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use domain::immigration::ImmigrationEvent;

use crate::{Conn, Db, ProjectionError, RecordedEvent, on_conn, on_pool};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImmigrationRecordView {
    pub record_id: String,
    pub kind: String,
    pub reference: String,
    pub issued_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

pub(crate) async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    payload: &ImmigrationEvent,
) -> Result<(), ProjectionError> {
    match payload {
        ImmigrationEvent::ImmigrationRecordRecorded {
            application_id,
            kind,
            document,
            ..
        } => {
            // A record whose personal part is destroyed is not listed at all.
            let Some(document) = document.known() else {
                return Ok(());
            };
            const SQL: &str = "INSERT INTO immigration_records \
                (record_id, application_id, kind, reference, issued_on, recorded_at) \
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (record_id) DO NOTHING";
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(&event.aggregate_id)
                .bind(application_id)
                .bind(kind)
                .bind(&document.reference)
                .bind(document.issued_on)
                .bind(event.metadata.at)
                .execute(&mut *c)
                .await?
                .rows_affected());
        }
        ImmigrationEvent::PersonalDataDestroyed { .. } => {
            forget(conn, &[&event.aggregate_id]).await?;
        }
    }
    Ok(())
}

/// Takes destroyed immigration records off the list, many to a statement.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "immigration_records", "record_id", None, ids).await?;
    Ok(())
}

/// An immigration record as the list holds it.
#[derive(Debug)]
pub(crate) struct ListedRecord {
    pub(crate) record_id: String,
    pub(crate) application_id: String,
    pub(crate) kind: String,
    pub(crate) reference: String,
    pub(crate) issued_on: NaiveDate,
    pub(crate) recorded_at: DateTime<Utc>,
}

/// Lists records not listed yet, many rows to a statement.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    records: &[&ListedRecord],
) -> Result<(), ProjectionError> {
    for chunk in records.chunks(crate::application_view::ROWS_A_STATEMENT) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO immigration_records \
                 (record_id, application_id, kind, reference, issued_on, recorded_at) ",
            );
            insert.push_values(chunk, |mut b, record| {
                b.push_bind(&record.record_id)
                    .push_bind(&record.application_id)
                    .push_bind(&record.kind)
                    .push_bind(&record.reference)
                    .push_bind(record.issued_on)
                    .push_bind(record.recorded_at);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    crate::db::empty_partitioned(conn, "immigration_records").await?;
    Ok(())
}

/// The immigration records of one application, oldest first.
pub async fn for_application(
    db: &Db,
    application_id: &str,
) -> Result<Vec<ImmigrationRecordView>, sqlx::Error> {
    const SQL: &str = "SELECT record_id, kind, reference, issued_on, recorded_at FROM immigration_records \
                       WHERE application_id = $1 ORDER BY recorded_at, record_id";
    on_pool!(db, p => sqlx::query(SQL).bind(application_id).fetch_all(p).await?
        .into_iter()
        .map(|row| Ok(ImmigrationRecordView {
            record_id: row.try_get("record_id")?,
            kind: row.try_get("kind")?,
            reference: row.try_get("reference")?,
            issued_on: row.try_get("issued_on")?,
            recorded_at: row.try_get("recorded_at")?,
        }))
        .collect())
}
