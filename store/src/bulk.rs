//! Many new streams written at once: the events of hundreds or thousands of streams, with the account rows
//! and application references that go with them, sealed as [`EventRepository::append`] seals them and
//! written in one transaction with multi-row statements (PostgreSQL: arrays `unnest`ed; SQLite: many rows a
//! statement). `etp demo seed` uses it to fill a store with a million applications in minutes instead of
//! hours.
//!
//! Every stream written here begins here: its first event is sequence 1 and it has no data key yet. A stream
//! that already has events fails on the events' primary key (or its key on `stream_keys`'), and nothing of
//! the write is kept. The views are not touched: the caller brings them up to date afterwards, with
//! [`EventRepository::rebuild_projections`], which folds a million events in seconds where projecting event
//! by event would take longer than writing them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use serde_json::Value;

use domain::retention::PERSONAL_DATA_DESTROYED;
use projections::{Conn, Db};

use super::{EventRepository, StoreError, stream_name};
use crate::crypto::{self, DataKey};

/// Rows a multi-row statement holds on SQLite (nine values each for an event, under SQLite's 32,766).
const SQLITE_ROWS: usize = 1000;
/// Rows an `unnest` statement holds on PostgreSQL.
const POSTGRES_ROWS: usize = 10_000;

/// An account row, its password already hashed.
#[derive(Clone, Debug)]
pub struct BulkAccount {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// An application's short reference (`projections::references`): its year and number.
#[derive(Clone, Debug)]
pub struct BulkReference {
    pub application_id: String,
    pub year: i64,
    pub number: i64,
}

/// What one bulk write holds: events in the order they were decided (each stream's in sequence), their
/// personal data still in clear.
#[derive(Debug, Default)]
pub struct BulkWrite {
    pub accounts: Vec<BulkAccount>,
    pub references: Vec<BulkReference>,
    pub events: Vec<SerializedEvent>,
}

/// An event as it goes into the table.
struct SealedRow<'a> {
    event: &'a SerializedEvent,
    payload: String,
    metadata: String,
}

impl EventRepository {
    /// Writes the accounts, references and events of `write` in one transaction, each stream's personal data
    /// sealed under a data key made for it now (and copies of other streams' data under theirs). Nothing is
    /// kept if any of it fails.
    pub async fn write_bulk(&self, write: &BulkWrite) -> Result<(), StoreError> {
        if write.events.is_empty() && write.accounts.is_empty() && write.references.is_empty() {
            return Ok(());
        }
        let _turn = self.sqlite_writer_turn().await;
        match self.db() {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                self.write_bulk_on(&mut Conn::Sqlite(&mut tx), write)
                    .await?;
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                self.write_bulk_on(&mut Conn::Postgres(&mut tx), write)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    async fn write_bulk_on(
        &self,
        conn: &mut Conn<'_>,
        write: &BulkWrite,
    ) -> Result<(), StoreError> {
        // Each stream's key, made the first time one of its events holds personal data (as an append makes
        // it); `None` once the stream's data was destroyed in this write.
        let mut keys: HashMap<String, Option<Arc<DataKey>>> = HashMap::new();
        let mut wrapped: Vec<(String, String, Vec<u8>)> = Vec::new();
        let mut rows = Vec::with_capacity(write.events.len());
        for event in &write.events {
            let stream = stream_name(&event.aggregate_type, &event.aggregate_id);
            let aad = crypto::event_aad(&stream, event.sequence);
            let sources = crypto::copy_sources(&event.payload);
            let with_copies = if sources.is_empty() {
                None
            } else {
                let copy_keys = self.bulk_copy_keys(conn, &keys, &sources).await?;
                let mut payload = event.payload.clone();
                crypto::seal_copies(&mut payload, &copy_keys, &aad);
                Some(payload)
            };
            let payload = with_copies.as_ref().unwrap_or(&event.payload);
            let stored: Value = if crypto::has_personal_data(payload) {
                let key = match keys.get(&stream) {
                    Some(Some(key)) => Arc::clone(key),
                    _ => {
                        let (key, key_wrapped) = self.master().new_data_key(&stream);
                        wrapped.retain(|(kind, id, _)| {
                            (kind.as_str(), id.as_str())
                                != (event.aggregate_type.as_str(), event.aggregate_id.as_str())
                        });
                        wrapped.push((
                            event.aggregate_type.clone(),
                            event.aggregate_id.clone(),
                            key_wrapped,
                        ));
                        let key = Arc::new(key);
                        keys.insert(stream.clone(), Some(Arc::clone(&key)));
                        key
                    }
                };
                crypto::seal(payload, &key, &aad)
            } else {
                payload.clone()
            };
            if event.event_type == PERSONAL_DATA_DESTROYED {
                // As an append erases the key: the stream's sealed values can no longer be read.
                keys.insert(stream, None);
                wrapped.retain(|(kind, id, _)| {
                    (kind.as_str(), id.as_str())
                        != (event.aggregate_type.as_str(), event.aggregate_id.as_str())
                });
            }
            rows.push(SealedRow {
                event,
                payload: stored.to_string(),
                metadata: event.metadata.to_string(),
            });
        }
        insert_keys(conn, &wrapped).await?;
        insert_accounts(conn, &write.accounts).await?;
        insert_references(conn, &write.references).await?;
        insert_events(conn, &rows).await?;
        Ok(())
    }

    /// The keys to seal copies under: a stream of this write by the key made for it here, any other as an
    /// append finds it.
    async fn bulk_copy_keys(
        &self,
        conn: &mut Conn<'_>,
        keys: &HashMap<String, Option<Arc<DataKey>>>,
        sources: &BTreeSet<String>,
    ) -> Result<HashMap<String, Option<Arc<DataKey>>>, StoreError> {
        let mut found = HashMap::new();
        let mut elsewhere = BTreeSet::new();
        for source in sources {
            match keys.get(source) {
                Some(key) => {
                    found.insert(source.clone(), key.clone());
                }
                None => {
                    elsewhere.insert(source.clone());
                }
            }
        }
        if !elsewhere.is_empty() {
            found.extend(self.copy_keys(conn, &elsewhere).await?);
        }
        Ok(found)
    }

    /// The next number of a year's application references (1 for a year with none yet).
    pub async fn next_reference_number(&self, year: i64) -> Result<i64, StoreError> {
        const SQL: &str =
            "SELECT COALESCE(MAX(number), 0) + 1 FROM application_references WHERE year = $1";
        let next: i64 = projections::on_pool!(self.db(), p => sqlx::query_scalar(SQL)
            .bind(year)
            .fetch_one(p)
            .await?);
        Ok(next)
    }
}

async fn insert_keys(
    conn: &mut Conn<'_>,
    wrapped: &[(String, String, Vec<u8>)],
) -> Result<(), StoreError> {
    let now = Utc::now();
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO stream_keys (aggregate_type, aggregate_id, wrapped_key, created_at) \
                 SELECT t, i, k, $4 FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u(t, i, k)";
            for chunk in wrapped.chunks(POSTGRES_ROWS) {
                let kinds: Vec<&str> = chunk.iter().map(|(kind, _, _)| kind.as_str()).collect();
                let ids: Vec<&str> = chunk.iter().map(|(_, id, _)| id.as_str()).collect();
                let keys: Vec<&[u8]> = chunk.iter().map(|(_, _, key)| key.as_slice()).collect();
                sqlx::query(SQL)
                    .bind(kinds)
                    .bind(ids)
                    .bind(keys)
                    .bind(now)
                    .execute(&mut **c)
                    .await?;
            }
        }
        Conn::Sqlite(c) => {
            for chunk in wrapped.chunks(SQLITE_ROWS) {
                let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO stream_keys (aggregate_type, aggregate_id, wrapped_key, created_at) ",
                );
                query.push_values(chunk, |mut row, (kind, id, key)| {
                    row.push_bind(kind.as_str())
                        .push_bind(id.as_str())
                        .push_bind(key.as_slice())
                        .push_bind(now);
                });
                query.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

async fn insert_accounts(conn: &mut Conn<'_>, accounts: &[BulkAccount]) -> Result<(), StoreError> {
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO accounts (id, email, full_name, role, password_hash, created_at) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])";
            for chunk in accounts.chunks(POSTGRES_ROWS) {
                let column = |get: fn(&BulkAccount) -> &str| -> Vec<&str> {
                    chunk.iter().map(get).collect()
                };
                let created: Vec<DateTime<Utc>> = chunk.iter().map(|a| a.created_at).collect();
                sqlx::query(SQL)
                    .bind(column(|a| &a.id))
                    .bind(column(|a| &a.email))
                    .bind(column(|a| &a.full_name))
                    .bind(column(|a| &a.role))
                    .bind(column(|a| &a.password_hash))
                    .bind(created)
                    .execute(&mut **c)
                    .await?;
            }
        }
        Conn::Sqlite(c) => {
            for chunk in accounts.chunks(SQLITE_ROWS) {
                let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO accounts (id, email, full_name, role, password_hash, created_at) ",
                );
                query.push_values(chunk, |mut row, account| {
                    row.push_bind(account.id.as_str())
                        .push_bind(account.email.as_str())
                        .push_bind(account.full_name.as_str())
                        .push_bind(account.role.as_str())
                        .push_bind(account.password_hash.as_str())
                        .push_bind(account.created_at);
                });
                query.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

async fn insert_references(
    conn: &mut Conn<'_>,
    references: &[BulkReference],
) -> Result<(), StoreError> {
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO application_references (application_id, year, number) \
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])";
            for chunk in references.chunks(POSTGRES_ROWS) {
                let ids: Vec<&str> = chunk.iter().map(|r| r.application_id.as_str()).collect();
                let years: Vec<i64> = chunk.iter().map(|r| r.year).collect();
                let numbers: Vec<i64> = chunk.iter().map(|r| r.number).collect();
                sqlx::query(SQL)
                    .bind(ids)
                    .bind(years)
                    .bind(numbers)
                    .execute(&mut **c)
                    .await?;
            }
        }
        Conn::Sqlite(c) => {
            for chunk in references.chunks(SQLITE_ROWS) {
                let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO application_references (application_id, year, number) ",
                );
                query.push_values(chunk, |mut row, reference| {
                    row.push_bind(reference.application_id.as_str())
                        .push_bind(reference.year)
                        .push_bind(reference.number);
                });
                query.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

async fn insert_events(conn: &mut Conn<'_>, rows: &[SealedRow<'_>]) -> Result<(), StoreError> {
    match conn {
        Conn::Postgres(c) => {
            // `global_position` is the column's own sequence, in the order of the arrays: each stream's
            // events in order, as the rebuild replays them.
            const SQL: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                 event_version, payload, metadata) \
                 SELECT t, i, s, e, v, p::jsonb, m::jsonb \
                 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) \
                 WITH ORDINALITY AS u(t, i, s, e, v, p, m, o) ORDER BY o";
            for chunk in rows.chunks(POSTGRES_ROWS) {
                let mut kinds = Vec::with_capacity(chunk.len());
                let mut ids = Vec::with_capacity(chunk.len());
                let mut sequences = Vec::with_capacity(chunk.len());
                let mut types = Vec::with_capacity(chunk.len());
                let mut versions = Vec::with_capacity(chunk.len());
                let mut payloads = Vec::with_capacity(chunk.len());
                let mut metadata = Vec::with_capacity(chunk.len());
                for row in chunk {
                    kinds.push(row.event.aggregate_type.as_str());
                    ids.push(row.event.aggregate_id.as_str());
                    sequences.push(row.event.sequence as i64);
                    types.push(row.event.event_type.as_str());
                    versions.push(row.event.event_version.as_str());
                    payloads.push(row.payload.as_str());
                    metadata.push(row.metadata.as_str());
                }
                sqlx::query(SQL)
                    .bind(kinds)
                    .bind(ids)
                    .bind(sequences)
                    .bind(types)
                    .bind(versions)
                    .bind(payloads)
                    .bind(metadata)
                    .execute(&mut **c)
                    .await?;
            }
        }
        Conn::Sqlite(c) => {
            // One writer holds the store (`BEGIN IMMEDIATE`), so the positions after the last are ours.
            let last: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(global_position), 0) FROM events")
                    .fetch_one(&mut **c)
                    .await?;
            let now = Utc::now();
            let mut position = last;
            for chunk in rows.chunks(SQLITE_ROWS) {
                let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                     event_version, payload, metadata, recorded_at, global_position) ",
                );
                query.push_values(chunk, |mut row, sealed| {
                    position += 1;
                    row.push_bind(sealed.event.aggregate_type.as_str())
                        .push_bind(sealed.event.aggregate_id.as_str())
                        .push_bind(sealed.event.sequence as i64)
                        .push_bind(sealed.event.event_type.as_str())
                        .push_bind(sealed.event.event_version.as_str())
                        .push_bind(sealed.payload.as_str())
                        .push_bind(sealed.metadata.as_str())
                        .push_bind(now)
                        .push_bind(position);
                });
                query.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}
