//! `etp projections rebuild`: every view emptied and replayed from the log in commit order.
//!
//! The rebuild holds the store's write lock for its whole transaction, so no command commits in between and
//! the views it leaves are exactly a replay of the log as it stood.

use std::collections::HashMap;

use cqrs_es::persist::SerializedEvent;
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;

use projections::rebuild::{
    ApplicationStream, FoldedBatch, FoldedStream, ImmigrationStream, RequestStream,
};
use projections::{Conn, Db, EventMetadata, RecordedEvent, on_conn, on_pool};

use super::{EventRepository, StoreError, stream_name};
use crate::crypto::{self, DataKey};

const PAGE: i64 = 500;

/// How much a rebuild replayed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: u64,
    pub streams: u64,
}

/// Whether a migration asked for the views to be rebuilt (`views_to_rebuild`); clears the ask, in the
/// rebuild's transaction.
async fn take_ask(conn: &mut Conn<'_>) -> Result<bool, StoreError> {
    let asked = on_conn!(conn, c => sqlx::query("DELETE FROM views_to_rebuild")
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(asked > 0)
}

impl EventRepository {
    pub async fn rebuild_projections(&self) -> Result<RebuildReport, StoreError> {
        self.rebuild(false)
            .await
            .map(|report| report.unwrap_or_default())
    }

    /// Rebuilds the views where a migration asked for it (one that changed how a view is kept), as the
    /// server starts; `None` where none did. Of servers starting together, the first rebuilds and the others
    /// find the ask already answered.
    pub async fn rebuild_projections_if_asked(&self) -> Result<Option<RebuildReport>, StoreError> {
        const ASKED: &str = "SELECT count(*) FROM views_to_rebuild";
        let asked: i64 = on_pool!(self.db(), p => sqlx::query_scalar(ASKED).fetch_one(p).await?);
        if asked == 0 {
            return Ok(None);
        }
        tracing::info!("a migration asked for the views to be rebuilt");
        self.rebuild(true).await
    }

    async fn rebuild(&self, only_if_asked: bool) -> Result<Option<RebuildReport>, StoreError> {
        let _turn = self.sqlite_writer_turn().await;
        match self.db() {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                if !take_ask(&mut Conn::Sqlite(&mut tx)).await? && only_if_asked {
                    return Ok(None);
                }
                let report = self.replay_all(&mut Conn::Sqlite(&mut tx)).await?;
                tx.commit().await?;
                Ok(Some(report))
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
                if !take_ask(&mut Conn::Postgres(&mut tx)).await? && only_if_asked {
                    return Ok(None);
                }
                // Fresh statistics, so the pages below walk the primary key instead of sorting the log once a
                // page (a store just loaded has none yet). Where both tables were analysed since a tenth of
                // their rows changed (by autovacuum, or the last rebuild), analysing them again would change
                // no plan and cost a tenth of the rebuild.
                const FRESH: &str = "SELECT count(*) FROM pg_stat_user_tables \
                     WHERE relid IN ('events'::regclass, 'stream_keys'::regclass) \
                     AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) \
                     AND n_mod_since_analyze * 10 <= n_live_tup";
                let fresh: i64 = sqlx::query_scalar(FRESH).fetch_one(&mut *tx).await?;
                if fresh < 2 {
                    sqlx::query("ANALYZE events, stream_keys")
                        .execute(&mut *tx)
                        .await?;
                }
                let report = self.replay_all(&mut Conn::Postgres(&mut tx)).await?;
                tx.commit().await?;
                // Every view was written anew: fresh statistics for them, so that their queries (the
                // sweep's deletes of a batch's rows by id among them) walk their indexes from the start
                // rather than guess at tables PostgreSQL has not sampled (a store just loaded, or a server
                // without autovacuum). ANALYZE samples a fixed number of rows: seconds at any size.
                sqlx::query("ANALYZE").execute(pool).await?;
                Ok(Some(report))
            }
        }
    }

    async fn replay_all(&self, conn: &mut Conn<'_>) -> Result<RebuildReport, StoreError> {
        let started = std::time::Instant::now();
        // The streams folded in memory are read and folded on a second connection, in a task of its own,
        // from the start: while this connection empties the views and replays the other streams, then while
        // it writes what was folded before. The log cannot change meanwhile: this rebuild holds the store's
        // write lock, and the second connection reads only what was committed before it was taken.
        let (folded, to_write) = tokio::sync::mpsc::channel(2);
        let reader = tokio::spawn({
            let repo = self.clone();
            async move { repo.fold_streams(folded).await }
        });
        self.committed_views.clear();
        let emptied_then_replayed = match projections::reset(conn).await {
            Ok(()) => {
                let emptied = started.elapsed();
                let mut report = RebuildReport::default();
                self.replay_in_commit_order(conn, &mut report)
                    .await
                    .map(|()| (emptied, report))
            }
            Err(failed) => Err(failed.into()),
        };
        let others_done = started.elapsed();
        let (replayed, emptied, mut report) = match emptied_then_replayed {
            Ok((emptied, report)) => (Ok(()), emptied, report),
            Err(failed) => (Err(failed), others_done, RebuildReport::default()),
        };
        let others = others_done - emptied;
        let written = match replayed {
            Ok(()) => self.write_folded(conn, to_write).await,
            Err(failed) => {
                drop(to_write);
                Err(failed)
            }
        };
        // Dropping the receiver stops a reader still going after a failure on this side.
        let folded = match reader.await {
            Ok(folded) => folded,
            Err(panicked) => std::panic::resume_unwind(panicked.into_panic()),
        };
        let writing = written?;
        let folded = folded?;
        report.events += folded.events;
        report.streams += folded.streams;
        tracing::info!(
            emptied_ms = emptied.as_millis() as u64,
            other_streams_ms = others.as_millis() as u64,
            reading_ms = folded.reading.as_millis() as u64,
            folding_ms = folded.folding.as_millis() as u64,
            writing_folded_ms = writing.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            events = report.events,
            "views rebuilt"
        );
        Ok(report)
    }

    /// Every stream whose type is not folded in memory, event by event in commit order, through the
    /// projectors commands use.
    async fn replay_in_commit_order(
        &self,
        conn: &mut Conn<'_>,
        report: &mut RebuildReport,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT e.global_position, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, \
             e.event_version, e.payload, e.metadata \
             FROM events e WHERE e.aggregate_type NOT IN ('{}', '{}', '{}') AND e.global_position > $1 \
             ORDER BY e.global_position LIMIT $2",
            ApplicationStream::TYPE,
            ImmigrationStream::TYPE,
            RequestStream::TYPE
        );
        let mut keys: HashMap<String, Option<DataKey>> = HashMap::new();
        let mut cursor = 0_i64;
        loop {
            let rows = page(conn, &sql, |q| q.bind(cursor)).await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                cursor = row.position;
                let stream = stream_name(&row.aggregate_type, &row.aggregate_id);
                if !keys.contains_key(&stream) {
                    // These streams are few (cycles, recipients): each key is read by its own primary key.
                    let key = self
                        .key_on(conn, &row.aggregate_type, &row.aggregate_id)
                        .await?;
                    keys.insert(stream.clone(), key);
                    report.streams += 1;
                }
                let key = keys[&stream].as_ref();
                let event = opened(row, &stream, key)?;
                let view_key = key.map(|key| key as &dyn projections::sealed::StreamKey);
                projections::project(conn, &event, &self.committed_views, view_key).await?;
                report.events += 1;
            }
        }
        Ok(())
    }

    /// Writes the batches of folded streams as they come (`projections::rebuild`), many rows to a
    /// statement; says how long the writes took.
    async fn write_folded(
        &self,
        conn: &mut Conn<'_>,
        mut to_write: tokio::sync::mpsc::Receiver<FoldedBatch>,
    ) -> Result<std::time::Duration, StoreError> {
        let mut writing = std::time::Duration::ZERO;
        while let Some(mut batch) = to_write.recv().await {
            let t = std::time::Instant::now();
            if let FoldedBatch::Applications(streams) = &mut batch {
                // An application whose events held no personal data has no key yet; its view is sealed under
                // one all the same, made here.
                for stream in streams.iter_mut().filter(|s| s.needs_key()) {
                    let (key, wrapped) = self
                        .master()
                        .new_data_key(&stream_name(ApplicationStream::TYPE, stream.stream_id()));
                    on_conn!(conn, c => sqlx::query(super::INSERT_KEY_SQL)
                        .bind(ApplicationStream::TYPE)
                        .bind(stream.stream_id())
                        .bind(wrapped)
                        .bind(chrono::Utc::now())
                        .execute(&mut *c)
                        .await?
                        .rows_affected());
                    stream.keep_key(std::sync::Arc::new(key));
                }
            }
            projections::rebuild::write_folded(conn, &batch).await?;
            writing += t.elapsed();
        }
        Ok(writing)
    }

    /// The applications' streams, then the immigration records', then the information requests', one after
    /// another, each folded in memory.
    async fn fold_streams(
        &self,
        folded: tokio::sync::mpsc::Sender<FoldedBatch>,
    ) -> Result<Folded, StoreError> {
        let mut connection = ReadConnection::acquire(self.db()).await?;
        let mut outcome = Folded::default();
        let _ = self
            .fold_streams_of::<ApplicationStream>(&mut connection, &folded, &mut outcome)
            .await?
            && self
                .fold_streams_of::<ImmigrationStream>(&mut connection, &folded, &mut outcome)
                .await?
            && self
                .fold_streams_of::<RequestStream>(&mut connection, &folded, &mut outcome)
                .await?;
        Ok(outcome)
    }

    /// Reads the events of one type of stream in the order of their primary key, opens and folds each
    /// stream, and sends them on in batches of [`STREAMS_A_WRITE`]. Says whether the writer still listens.
    async fn fold_streams_of<S: FoldedStream>(
        &self,
        connection: &mut ReadConnection,
        folded: &tokio::sync::mpsc::Sender<FoldedBatch>,
        outcome: &mut Folded,
    ) -> Result<bool, StoreError> {
        // In the order of the events' primary key, so each page is a walk along it from where the last ended
        // (written as a range on `aggregate_id` that both databases seek to; SQLite does not seek on a row
        // value, and scanned from the first stream for every page), each stream's key looked up by its own
        // primary key.
        // The type's keys are read first, in one pass over the table, not row by row beside the events: on
        // PostgreSQL they are in 256 partitions (migration 0025), and a lookup per row (or per page) searches
        // each of them, and at a million streams the planner's cost for it sets the JIT compiling every page.
        // At a million streams the keys take about 150 MB while the rebuild runs.
        const SQL: &str = "SELECT e.global_position, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, \
             e.event_version, e.payload, e.metadata \
             FROM events e WHERE e.aggregate_type = $1 \
             AND e.aggregate_id >= $2 AND (e.aggregate_id > $2 OR e.sequence > $3) \
             ORDER BY e.aggregate_type, e.aggregate_id, e.sequence LIMIT $4";
        let mut done: Vec<S> = Vec::new();
        let mut current: Option<(S, Option<std::sync::Arc<DataKey>>)> = None;
        let (mut after_id, mut after_sequence) = (String::new(), 0_i64);
        let t = std::time::Instant::now();
        let mut keys = keys_of(&mut connection.conn(), S::TYPE).await?;
        outcome.reading += t.elapsed();
        loop {
            let t = std::time::Instant::now();
            let rows = page(&mut connection.conn(), SQL, |q| {
                q.bind(S::TYPE).bind(after_id.clone()).bind(after_sequence)
            })
            .await?;
            if rows.is_empty() {
                outcome.reading += t.elapsed();
                break;
            }
            outcome.reading += t.elapsed();
            let t = std::time::Instant::now();
            for row in rows {
                after_id.clone_from(&row.aggregate_id);
                after_sequence = row.sequence;
                if current
                    .as_ref()
                    .is_none_or(|(s, _)| s.id() != row.aggregate_id)
                {
                    let key = self
                        .unwrap_key(
                            &row.aggregate_type,
                            &row.aggregate_id,
                            keys.remove(&row.aggregate_id),
                        )?
                        .map(std::sync::Arc::new);
                    let mut folding = S::new(&row.aggregate_id);
                    if let Some(key) = &key {
                        folding.keep_key(std::sync::Arc::clone(key) as _);
                    }
                    if let Some((stream, _)) = current.replace((folding, key)) {
                        done.push(stream);
                    }
                    outcome.streams += 1;
                }
                let Some((stream, key)) = current.as_mut() else {
                    unreachable!("a stream was just started")
                };
                let name = stream_name(&row.aggregate_type, &row.aggregate_id);
                let event = opened(row, &name, key.as_deref())?;
                stream.apply(&event)?;
                outcome.events += 1;
            }
            outcome.folding += t.elapsed();
            if done.len() >= STREAMS_A_WRITE
                && folded
                    .send(S::batch(std::mem::take(&mut done)))
                    .await
                    .is_err()
            {
                // The writer stopped (its write failed, and says why).
                return Ok(false);
            }
        }
        done.extend(current.map(|(stream, _)| stream));
        if !done.is_empty() && folded.send(S::batch(done)).await.is_err() {
            return Ok(false);
        }
        Ok(true)
    }
}

/// What the reading side of a rebuild did, and how long it spent reading and folding.
#[derive(Default)]
struct Folded {
    events: u64,
    streams: u64,
    reading: std::time::Duration,
    folding: std::time::Duration,
}

/// A connection of the store's pool, for reading beside a transaction.
enum ReadConnection {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl ReadConnection {
    async fn acquire(db: &Db) -> Result<Self, StoreError> {
        Ok(match db {
            Db::Sqlite(pool) => ReadConnection::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => ReadConnection::Postgres(pool.acquire().await?),
        })
    }

    fn conn(&mut self) -> Conn<'_> {
        match self {
            ReadConnection::Sqlite(c) => Conn::Sqlite(&mut *c),
            ReadConnection::Postgres(c) => Conn::Postgres(&mut *c),
        }
    }
}

/// How many folded streams are written together.
const STREAMS_A_WRITE: usize = 1000;

/// One row of the log, sealed.
struct LogRow {
    position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
}

/// One page of the log: `sql` with the binds `bind` adds, then the page size.
async fn page<F>(conn: &mut Conn<'_>, sql: &str, bind: F) -> Result<Vec<LogRow>, StoreError>
where
    F: for<'q> Fn(QueryOf<'q>) -> QueryOf<'q>,
{
    let rows = match conn {
        Conn::Sqlite(c) => {
            let query = bind(QueryOf::Sqlite(sqlx::query(sql))).sqlite().bind(PAGE);
            query
                .fetch_all(&mut **c)
                .await?
                .iter()
                .map(log_row)
                .collect::<Result<Vec<_>, _>>()?
        }
        Conn::Postgres(c) => {
            let query = bind(QueryOf::Postgres(sqlx::query(sql)))
                .postgres()
                .bind(PAGE);
            query
                .fetch_all(&mut **c)
                .await?
                .iter()
                .map(log_row)
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok(rows)
}

fn log_row<R: Row>(row: &R) -> Result<LogRow, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(LogRow {
        position: row.try_get("global_position")?,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row.try_get::<Json<Value>, _>("payload")?.0,
        metadata: row.try_get::<Json<Value>, _>("metadata")?.0,
    })
}

/// The wrapped key of every stream of one type, by id.
async fn keys_of(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
) -> Result<HashMap<String, Vec<u8>>, StoreError> {
    const SQL: &str = "SELECT aggregate_id, wrapped_key FROM stream_keys WHERE aggregate_type = $1";
    let rows: Vec<(String, Vec<u8>)> = on_conn!(conn, c => sqlx::query_as(SQL)
        .bind(aggregate_type)
        .fetch_all(&mut *c)
        .await?);
    Ok(rows.into_iter().collect())
}

/// A query on either driver, before its binds.
enum QueryOf<'q> {
    Sqlite(sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>),
    Postgres(sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>),
}

impl<'q> QueryOf<'q> {
    fn bind<T>(self, value: T) -> Self
    where
        T: 'q
            + sqlx::Encode<'q, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + sqlx::Encode<'q, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>,
    {
        match self {
            QueryOf::Sqlite(q) => QueryOf::Sqlite(q.bind(value)),
            QueryOf::Postgres(q) => QueryOf::Postgres(q.bind(value)),
        }
    }

    fn sqlite(self) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
        match self {
            QueryOf::Sqlite(q) => q,
            QueryOf::Postgres(_) => unreachable!("an SQLite query"),
        }
    }

    fn postgres(self) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        match self {
            QueryOf::Postgres(q) => q,
            QueryOf::Sqlite(_) => unreachable!("a PostgreSQL query"),
        }
    }
}

/// A row of the log opened with its stream's key.
fn opened(row: LogRow, stream: &str, key: Option<&DataKey>) -> Result<RecordedEvent, StoreError> {
    let aad = crypto::event_aad(stream, row.sequence as usize);
    let payload = crypto::open(row.payload, key, &aad)?;
    let metadata = EventMetadata::from_json(&row.metadata).ok_or_else(|| {
        StoreError::Json(serde::de::Error::custom(
            "event metadata lacks actor or time",
        ))
    })?;
    // An event stored in an older shape of its type is brought to today's, as the store does for commands.
    let event = domain::evolution::upcast(SerializedEvent {
        aggregate_id: row.aggregate_id,
        sequence: row.sequence as usize,
        aggregate_type: row.aggregate_type,
        event_type: row.event_type,
        event_version: row.event_version,
        payload,
        metadata: row.metadata,
    });
    Ok(RecordedEvent {
        aggregate_type: event.aggregate_type,
        aggregate_id: event.aggregate_id,
        sequence: row.sequence,
        event_type: event.event_type,
        payload: event.payload,
        metadata,
    })
}
