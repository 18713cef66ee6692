//! `etp projections rebuild`: every view emptied and replayed from the log in commit order.
//!
//! The rebuild holds the store's write lock for its whole transaction, so no command commits in between and
//! the views it leaves are exactly a replay of the log as it stood.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;

use projections::{Conn, Db, EventMetadata, RecordedEvent, on_conn};

use super::{EventRepository, StoreError, stream_name};
use crate::crypto::{self, DataKey};

const PAGE: i64 = 500;

/// How much a rebuild replayed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: u64,
    pub streams: u64,
}

impl EventRepository {
    pub async fn rebuild_projections(&self) -> Result<RebuildReport, StoreError> {
        let _turn = self.sqlite_writer_turn().await;
        match self.db() {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let report = self.replay_all(&mut Conn::Sqlite(&mut tx)).await?;
                tx.commit().await?;
                Ok(report)
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
                let report = self.replay_all(&mut Conn::Postgres(&mut tx)).await?;
                tx.commit().await?;
                Ok(report)
            }
        }
    }

    async fn replay_all(&self, conn: &mut Conn<'_>) -> Result<RebuildReport, StoreError> {
        const SQL: &str = "SELECT global_position, aggregate_type, aggregate_id, sequence, event_type, payload, metadata \
             FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2";
        projections::reset(conn).await?;
        let mut keys: HashMap<String, Option<DataKey>> = HashMap::new();
        let mut report = RebuildReport::default();
        let mut cursor = 0_i64;
        loop {
            let rows: Vec<(i64, String, String, i64, String, Value, Value)> = on_conn!(conn, c => {
                sqlx::query(SQL)
                    .bind(cursor)
                    .bind(PAGE)
                    .fetch_all(&mut *c)
                    .await?
                    .iter()
                    .map(|row| -> Result<_, sqlx::Error> {
                        Ok((
                            row.try_get("global_position")?,
                            row.try_get("aggregate_type")?,
                            row.try_get("aggregate_id")?,
                            row.try_get("sequence")?,
                            row.try_get("event_type")?,
                            row.try_get::<Json<Value>, _>("payload")?.0,
                            row.try_get::<Json<Value>, _>("metadata")?.0,
                        ))
                    })
                    .collect::<Result<Vec<_>, _>>()?
            });
            if rows.is_empty() {
                break;
            }
            for (position, aggregate_type, aggregate_id, sequence, event_type, payload, metadata) in
                rows
            {
                cursor = position;
                let stream = stream_name(&aggregate_type, &aggregate_id);
                if !keys.contains_key(&stream) {
                    let key = self.key_on(conn, &aggregate_type, &aggregate_id).await?;
                    keys.insert(stream.clone(), key);
                    report.streams += 1;
                }
                let aad = crypto::event_aad(&stream, sequence as usize);
                let payload = crypto::open(&payload, keys[&stream].as_ref(), &aad)?;
                let metadata = EventMetadata::from_json(&metadata).ok_or_else(|| {
                    StoreError::Json(serde::de::Error::custom(
                        "event metadata lacks actor or time",
                    ))
                })?;
                let event = RecordedEvent {
                    aggregate_type,
                    aggregate_id,
                    sequence,
                    event_type,
                    payload,
                    metadata,
                };
                projections::project(conn, &event).await?;
                report.events += 1;
            }
        }
        Ok(report)
    }
}
