//! The event store: cqrs-es's `PersistedEventRepository` over our own tables, on SQLite or PostgreSQL.
//!
//! One repository serves both stores (docs/decisions/0001-event-repository.md says why it is ours): it seals
//! personal data under each stream's data key before it reaches the table, and it runs the projectors on the
//! same connection, in the same transaction, as the events it appends, so a view is never out of step with
//! the log. Two commands on one stream race on the primary key `(aggregate_type, aggregate_id, sequence)`:
//! the loser's transaction rolls back whole and cqrs-es reports `AggregateConflict`.

pub mod bulk;
pub mod cached;
pub mod crypto;
mod group;
pub mod identity;
pub mod keys;
pub mod open;
pub mod partitions;
pub mod rebuild;
mod together;

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;

use projections::application_view::ApplicationView;
use projections::{Conn, Db, EventMetadata, ProjectionError, RecordedEvent, on_conn, on_pool};

use crate::crypto::{DataKey, MasterKey};
use domain::retention::PERSONAL_DATA_DESTROYED;

pub use open::{connect, is_unavailable, migrate};

/// The event repository shared by every aggregate.
#[derive(Clone)]
pub struct EventRepository {
    db: Db,
    master: Arc<MasterKey>,
    /// On SQLite, this process's writers take turns here before asking for the database's write lock. SQLite
    /// has one writer at a time, and a writer that finds the lock taken sleeps and polls (up to 100 ms a
    /// time), which put a third of a second on the slowest commands under load; waiting here is a queue
    /// with no sleeping. Other processes on the same file still meet the database's own lock.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The keys of streams this process read or wrote last, so an append need not look its key up again.
    known_keys: keys::KnownKeys,
    /// Application views as this process last committed them (see `CommittedViews`).
    committed_views: projections::application_view::CommittedViews,
    /// On SQLite, the queue of this process's group commit (see `group`), started by the first append.
    group: Arc<std::sync::OnceLock<group::Queue>>,
    /// On PostgreSQL, the queue of the appends written together (see `together`), started by the first.
    together: Arc<std::sync::OnceLock<together::Queue>>,
    /// What those writers did, for `/metrics`.
    together_counts: Arc<together::Counts>,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("a stored event could not be read: {0}")]
    Json(#[from] serde_json::Error),
    /// The group commit this append was in failed; nothing of it was kept.
    #[error("the commit of a group of appends failed")]
    GroupFailed,
    /// The writer of the group commits is gone (the service is stopping).
    #[error("the store's writer has stopped")]
    WriterStopped,
}

impl StoreError {
    /// Whether the store was out of reach (see [`is_unavailable`]), the database failure on the log or on a
    /// view alike, or the group commit failed: nothing was kept, and the command may be tried again.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error)
            | StoreError::Projection(ProjectionError::Database(error)) => is_unavailable(error),
            StoreError::GroupFailed | StoreError::WriterStopped => true,
            _ => false,
        }
    }
}

impl From<StoreError> for PersistenceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                PersistenceError::OptimisticLockError
            }
            // PostgreSQL undid the whole transaction to end a deadlock or a serialisation failure: nothing
            // was kept, and the command is decided again, as after a lost race.
            StoreError::Database(sqlx::Error::Database(db))
                if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
            {
                PersistenceError::OptimisticLockError
            }
            error if error.is_unavailable() => PersistenceError::ConnectionError(Box::new(error)),
            StoreError::Json(error) => PersistenceError::DeserializationError(Box::new(error)),
            other => PersistenceError::UnknownError(Box::new(other)),
        }
    }
}

/// The name of a stream, as keys and associated data use it.
pub fn stream_name(aggregate_type: &str, aggregate_id: &str) -> String {
    format!("{aggregate_type}/{aggregate_id}")
}

/// One row of the events table, its payload still sealed.
struct StoredRow {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
}

impl StoredRow {
    fn from_row<R: Row>(row: &R) -> Result<Self, sqlx::Error>
    where
        for<'r> &'r str: sqlx::ColumnIndex<R>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(Self {
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get::<Json<Value>, _>("payload")?.0,
            metadata: row.try_get::<Json<Value>, _>("metadata")?.0,
        })
    }
}

/// A stream's events with its wrapped key on every row (one look-up: an uncorrelated subquery runs once).
const STREAM_SQL: &str = "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, \
     (SELECT wrapped_key FROM stream_keys k WHERE k.aggregate_type = $1 AND k.aggregate_id = $2) AS wrapped_key \
     FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 ORDER BY sequence";
/// The aggregate types whose events may keep copies of other streams' personal data (a subject access
/// response keeps the subject's records as they stood): reads of their streams open those copies.
const HOLDS_COPIES: [&str; 1] = ["InformationRequest"];
const KEY_SQL: &str =
    "SELECT wrapped_key FROM stream_keys WHERE aggregate_type = $1 AND aggregate_id = $2";
const INSERT_KEY_SQL: &str = "INSERT INTO stream_keys (aggregate_type, aggregate_id, wrapped_key, created_at) VALUES ($1, $2, $3, $4)";

/// The views sealed under a stream's key are opened with the key unwrapped by the master key.
impl projections::sealed::Keyring for EventRepository {
    fn unwrap_key(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        wrapped: &[u8],
    ) -> Option<Box<dyn projections::sealed::StreamKey>> {
        self.master
            .unwrap_data_key(&stream_name(aggregate_type, aggregate_id), wrapped)
            .ok()
            .map(|key| Box::new(key) as Box<dyn projections::sealed::StreamKey>)
    }
}

/// Whether the event's stream keeps a view sealed under the stream's key, so that the key is needed to
/// project it even where the event itself holds no personal data: every application's event but the
/// destruction of its personal data.
fn projects_sealed_view(event: &SerializedEvent) -> bool {
    event.aggregate_type == APPLICATION && event.event_type != PERSONAL_DATA_DESTROYED
}

const APPLICATION: &str = "Application";

impl EventRepository {
    pub fn new(db: Db, master: Arc<MasterKey>) -> Self {
        Self {
            db,
            master,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            known_keys: keys::KnownKeys::default(),
            committed_views: Default::default(),
            group: Arc::new(std::sync::OnceLock::new()),
            together: Arc::new(std::sync::OnceLock::new()),
            together_counts: Arc::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// On PostgreSQL, the statements this process wrote holding more than one command's append, and the
    /// appends they kept (see `together`): their ratio is how many commands shared each commit.
    pub fn written_together(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering;
        (
            self.together_counts.groups.load(Ordering::Relaxed),
            self.together_counts.appends.load(Ordering::Relaxed),
        )
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The repository the group-commit writer works with: the same database, keys and turn, but no queue of
    /// its own (so the writer ends when the last repository that could send to it is gone).
    fn for_group(&self) -> Self {
        Self {
            group: Arc::new(std::sync::OnceLock::new()),
            ..self.clone()
        }
    }

    /// This process's turn to write to an SQLite store (see `writer`); on PostgreSQL, nothing to wait for.
    pub async fn sqlite_writer_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.db {
            Db::Sqlite(_) => Some(self.writer.lock().await),
            Db::Postgres(_) => None,
        }
    }

    /// The events of one stream after `after` (0 for all), opened.
    async fn read_stream(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after: usize,
    ) -> Result<Vec<SerializedEvent>, StoreError> {
        // Only ids we could have issued are looked up; anything else is a stream with no events.
        if !projections::db::is_plausible_id(aggregate_id) {
            return Ok(Vec::new());
        }
        let rows: Vec<(StoredRow, Option<Vec<u8>>)> = on_pool!(&self.db, p => sqlx::query(STREAM_SQL)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(after as i64)
            .fetch_all(p)
            .await?
            .iter()
            .map(|row| Ok::<_, sqlx::Error>((StoredRow::from_row(row)?, row.try_get("wrapped_key")?)))
            .collect::<Result<_, _>>()?);
        let Some((last, wrapped)) = rows.last() else {
            return Ok(Vec::new());
        };
        let last = last.sequence as usize;
        let key = self
            .unwrap_key(aggregate_type, aggregate_id, wrapped.clone())?
            .map(Arc::new);
        self.known_keys.remember(
            &stream_name(aggregate_type, aggregate_id),
            last,
            key.clone(),
        );
        let mut events = rows
            .into_iter()
            .map(|(row, _)| self.open_row(row, key.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        // Only the streams whose events keep copies of others' personal data are looked at for them.
        if HOLDS_COPIES.contains(&aggregate_type) {
            for event in &mut events {
                self.open_copies(event).await?;
            }
        }
        Ok(events)
    }

    /// The events of many streams of one type, opened, by stream: what [`Self::read_stream`] reads of each,
    /// a few statements for them all (the retention sweep's batches). A stream with no events is absent.
    pub async fn read_streams(
        &self,
        aggregate_type: &str,
        aggregate_ids: &[&str],
    ) -> Result<HashMap<String, Vec<SerializedEvent>>, StoreError> {
        let ids: Vec<&str> = aggregate_ids
            .iter()
            .copied()
            .filter(|id| projections::db::is_plausible_id(id))
            .collect();
        // The events, then the keys: a join would make PostgreSQL look in every partition of the keys.
        let mut rows: Vec<StoredRow> = Vec::new();
        let mut wrapped_keys: HashMap<String, Vec<u8>> = HashMap::new();
        for chunk in ids.chunks(projections::db::IDS_A_STATEMENT) {
            on_pool!(&self.db, p => {
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, \
                     metadata FROM events WHERE aggregate_type = ",
                );
                query.push_bind(aggregate_type).push(" AND aggregate_id IN (");
                let mut listed = query.separated(", ");
                for id in chunk {
                    listed.push_bind(*id);
                }
                query.push(") ORDER BY aggregate_id, sequence");
                for row in query.build().fetch_all(p).await? {
                    rows.push(StoredRow::from_row(&row)?);
                }
            });
            wrapped_keys
                .extend(projections::db::wrapped_keys(&self.db, aggregate_type, chunk).await?);
        }
        let mut streams: HashMap<String, Vec<SerializedEvent>> = HashMap::new();
        let mut rows = rows.into_iter().peekable();
        while let Some(first) = rows.next() {
            let id = first.aggregate_id.clone();
            let wrapped = wrapped_keys.remove(&id);
            let mut stream = vec![first];
            while let Some(row) = rows.next_if(|row| row.aggregate_id == id) {
                stream.push(row);
            }
            let last = stream.last().map_or(0, |row| row.sequence as usize);
            let key = self.unwrap_key(aggregate_type, &id, wrapped)?.map(Arc::new);
            self.known_keys
                .remember(&stream_name(aggregate_type, &id), last, key.clone());
            let mut events = stream
                .into_iter()
                .map(|row| self.open_row(row, key.as_deref()))
                .collect::<Result<Vec<_>, _>>()?;
            if HOLDS_COPIES.contains(&aggregate_type) {
                for event in &mut events {
                    self.open_copies(event).await?;
                }
            }
            streams.insert(id, events);
        }
        Ok(streams)
    }

    fn unwrap_key(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        wrapped: Option<Vec<u8>>,
    ) -> Result<Option<DataKey>, StoreError> {
        wrapped
            .map(|wrapped| {
                self.master
                    .unwrap_data_key(&stream_name(aggregate_type, aggregate_id), &wrapped)
            })
            .transpose()
            .map_err(StoreError::from)
    }

    fn open_row(
        &self,
        row: StoredRow,
        key: Option<&DataKey>,
    ) -> Result<SerializedEvent, StoreError> {
        let stream = stream_name(&row.aggregate_type, &row.aggregate_id);
        let aad = crypto::event_aad(&stream, row.sequence as usize);
        let payload = crypto::open(row.payload, key, &aad)?;
        // An event stored in an older shape of its type is brought to today's before anyone reads it.
        Ok(domain::evolution::upcast(SerializedEvent {
            aggregate_id: row.aggregate_id,
            sequence: row.sequence as usize,
            aggregate_type: row.aggregate_type,
            event_type: row.event_type,
            event_version: row.event_version,
            payload,
            metadata: row.metadata,
        }))
    }

    /// Records that `reader` read the personal data of the applications (`access_log`). On SQLite the rows
    /// go in this process's next group commit, so they never wait beside it for the writer's lock; on
    /// PostgreSQL they are inserted at once. Answers once they are durable: a read that cannot be recorded
    /// is not to be shown.
    pub async fn record_reads(
        &self,
        application_ids: &[&str],
        reader: &domain::Actor,
        through: projections::access_log::Through,
    ) -> Result<(), StoreError> {
        if !projections::access_log::is_recorded(reader) || application_ids.is_empty() {
            return Ok(());
        }
        match &self.db {
            Db::Sqlite(_) => {
                let queue = self.group.get_or_init(|| group::start(self.for_group()));
                let reads = group::Reads {
                    application_ids: application_ids.iter().map(|id| id.to_string()).collect(),
                    reader: reader.clone(),
                    through,
                };
                queue.record_reads(reads).await
            }
            Db::Postgres(_) => {
                projections::access_log::record(&self.db, application_ids, reader, through)
                    .await
                    .map_err(StoreError::from)
            }
        }
    }

    /// Appends the events of many commands, on many streams, in one transaction (on SQLite, one job of the
    /// group writer), each sealed and projected as a command's are (a stream's key is erased by its
    /// `PersonalDataDestroyed`). All or nothing: if any event cannot be appended (another writer took its
    /// sequence first, or the store failed), nothing of them is kept and the error says why.
    pub async fn append_together(&self, events: &[SerializedEvent]) -> Result<(), StoreError> {
        self.append(events).await.map(|_| ())
    }

    /// Appends a command's events and brings every view up to date, in one transaction; gives the
    /// application views the events left.
    async fn append(&self, events: &[SerializedEvent]) -> Result<Vec<ApplicationView>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // What this process knows of each stream's key as of the sequence before the batch's first event.
        let mut known: HashMap<String, Option<Arc<DataKey>>> = HashMap::new();
        for event in events {
            let stream = stream_name(&event.aggregate_type, &event.aggregate_id);
            if !known.contains_key(&stream)
                && let Some(key) = self.known_keys.for_append(&stream, event.sequence)
            {
                known.insert(stream, key);
            }
        }
        let outcome = match &self.db {
            Db::Sqlite(_) => {
                let queue = self.group.get_or_init(|| group::start(self.for_group()));
                let (done, back) = queue.append(events.to_vec(), known).await;
                known = back;
                done
            }
            Db::Postgres(pool) => match self.append_in_one_statement(pool, events, &known).await {
                Ok(Some(views)) => Ok(views),
                Err(error) => Err(error),
                Ok(None) => {
                    let mut tx = pool.begin().await?;
                    let done = self
                        .append_on(&mut Conn::Postgres(&mut tx), events, &mut known)
                        .await;
                    match done {
                        Ok(views) => tx.commit().await.map(|()| views).map_err(StoreError::from),
                        Err(error) => Err(error),
                    }
                }
            },
        };
        let mut last: HashMap<String, usize> = HashMap::new();
        for event in events {
            last.insert(
                stream_name(&event.aggregate_type, &event.aggregate_id),
                event.sequence,
            );
        }
        if let Ok(views) = &outcome {
            self.committed_views.remember(views);
        }
        for (stream, sequence) in last {
            match (&outcome, known.remove(&stream)) {
                (Ok(_), Some(key)) => self.known_keys.remember(&stream, sequence, key),
                _ => self.known_keys.forget(&stream),
            }
        }
        outcome
    }

    async fn append_on(
        &self,
        conn: &mut Conn<'_>,
        events: &[SerializedEvent],
        known: &mut HashMap<String, Option<Arc<DataKey>>>,
    ) -> Result<Vec<ApplicationView>, StoreError> {
        if let Some(destroyed) = destructions_only(events) {
            return self.append_destructions_on(conn, destroyed, known).await;
        }
        if let Some(streams) = applications_together(events, known) {
            return self.append_applications_on(conn, events, &streams).await;
        }
        let mut views: Vec<ApplicationView> = Vec::new();
        for event in events {
            let stream = stream_name(&event.aggregate_type, &event.aggregate_id);
            let aad = crypto::event_aad(&stream, event.sequence);
            // Copies of other streams' personal data are sealed first, each under its source's key.
            let sources = crypto::copy_sources(&event.payload);
            let with_copies = if sources.is_empty() {
                None
            } else {
                let keys = self.copy_keys(conn, &sources).await?;
                let mut payload = event.payload.clone();
                crypto::seal_copies(&mut payload, &keys, &aad);
                Some(payload)
            };
            let payload = with_copies.as_ref().unwrap_or(&event.payload);
            let personal = crypto::has_personal_data(payload);
            // The stream's key, made the first time the stream holds personal data or keeps a sealed view.
            let key = if personal || projects_sealed_view(event) {
                let key = match known.get(&stream) {
                    Some(Some(key)) => Arc::clone(key),
                    Some(None) => Arc::new(self.new_key(conn, event).await?),
                    None => Arc::new(self.key_for_writing(conn, event).await?),
                };
                known.insert(stream.clone(), Some(Arc::clone(&key)));
                Some(key)
            } else {
                None
            };
            let stored_payload = match &key {
                Some(key) if personal => crypto::seal(payload, key, &aad),
                _ => payload.clone(),
            };
            insert_event(conn, event, &stored_payload).await?;
            let recorded = recorded(event)?;
            let view_key = key
                .as_deref()
                .map(|key| key as &dyn projections::sealed::StreamKey);
            if let Some(view) =
                projections::project(conn, &recorded, &self.committed_views, view_key).await?
            {
                views.retain(|kept| kept.id != view.id);
                views.push(view);
            }
            if event.event_type == PERSONAL_DATA_DESTROYED {
                // Erasing the key is what destroys the stream's personal data: every value sealed under it,
                // in every event, can no longer be read.
                known.insert(stream, None);
                erase_key(conn, &event.aggregate_type, &event.aggregate_id).await?;
            }
        }
        Ok(views)
    }

    /// Appends destructions of many streams, one event each, as [`Self::append_on`] appends each: the
    /// events, then every view brought up to date and the streams' keys erased, a few statements for the
    /// whole batch rather than a dozen for each stream (the retention sweep's batches).
    async fn append_destructions_on(
        &self,
        conn: &mut Conn<'_>,
        events: &[SerializedEvent],
        known: &mut HashMap<String, Option<Arc<DataKey>>>,
    ) -> Result<Vec<ApplicationView>, StoreError> {
        insert_events(conn, events).await?;
        let recorded_events = events.iter().map(recorded).collect::<Result<Vec<_>, _>>()?;
        projections::project_destructions(conn, &recorded_events, &self.committed_views).await?;
        let mut by_type: HashMap<&str, Vec<&str>> = HashMap::new();
        for event in events {
            known.insert(
                stream_name(&event.aggregate_type, &event.aggregate_id),
                None,
            );
            by_type
                .entry(event.aggregate_type.as_str())
                .or_default()
                .push(event.aggregate_id.as_str());
        }
        // Erasing the keys is what destroys the streams' personal data (see `append_on`).
        for (aggregate_type, ids) in by_type {
            projections::db::delete_many(
                conn,
                "stream_keys",
                "aggregate_id",
                Some(("aggregate_type", aggregate_type)),
                &ids,
            )
            .await?;
        }
        Ok(Vec::new())
    }

    /// Appends the events of several applications' commands, each application's key known, as
    /// [`Self::append_on`] appends them one by one: each payload sealed under its stream's key, the events
    /// inserted many to a statement, and the views brought up to date together
    /// ([`projections::project_applications`]). `streams` gives each stream's events as ranges of `events`.
    async fn append_applications_on(
        &self,
        conn: &mut Conn<'_>,
        events: &[SerializedEvent],
        streams: &[(Arc<DataKey>, std::ops::Range<usize>)],
    ) -> Result<Vec<ApplicationView>, StoreError> {
        let mut stored = Vec::with_capacity(events.len());
        for (key, range) in streams {
            for event in &events[range.clone()] {
                let stream = stream_name(&event.aggregate_type, &event.aggregate_id);
                stored.push((event, sealed_if_personal(event, key, &stream)));
            }
        }
        insert_events_as(
            conn,
            &stored
                .iter()
                .map(|(event, payload)| (*event, payload))
                .collect::<Vec<_>>(),
        )
        .await?;
        let recorded_events = events.iter().map(recorded).collect::<Result<Vec<_>, _>>()?;
        let batch: Vec<projections::ApplicationEvents<'_>> = streams
            .iter()
            .map(|(key, range)| projections::ApplicationEvents {
                events: &recorded_events[range.clone()],
                key: key.as_ref(),
            })
            .collect();
        Ok(projections::project_applications(conn, &batch, &self.committed_views).await?)
    }

    /// On PostgreSQL, a command of one application event whose projection is only the view and its case-list
    /// row, written with them in one statement (`projections::one_statement`): the view it follows is one
    /// this process committed, and the stream's key, where the event needs one, is known. `None` where the
    /// event is not of that kind or the view had moved on (nothing was kept): the ordinary way follows.
    async fn append_in_one_statement(
        &self,
        pool: &sqlx::PgPool,
        events: &[SerializedEvent],
        known: &HashMap<String, Option<Arc<DataKey>>>,
    ) -> Result<Option<Vec<ApplicationView>>, StoreError> {
        let [event] = events else {
            return Ok(None);
        };
        let stream = stream_name(&event.aggregate_type, &event.aggregate_id);
        // The view is sealed under the stream's key, so the key must be known here.
        let Some(Some(key)) = known.get(&stream) else {
            return Ok(None);
        };
        let Some(plan) = projections::one_statement::plan(
            &recorded(event)?,
            &self.committed_views,
            key.as_ref(),
        )?
        else {
            return Ok(None);
        };
        if !crypto::copy_sources(&event.payload).is_empty() {
            return Ok(None);
        }
        let stored_payload = sealed_if_personal(event, key, &stream);
        let queue = self
            .together
            .get_or_init(|| together::start(pool.clone(), Arc::clone(&self.together_counts)));
        let written = queue.write(event.clone(), stored_payload, plan).await?;
        Ok(written.map(|view| vec![view]))
    }

    /// The stream's data key as the connection sees it, or `None` where the stream has none (yet, or any more).
    async fn key_on(
        &self,
        conn: &mut Conn<'_>,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<DataKey>, StoreError> {
        let wrapped: Option<Vec<u8>> = on_conn!(conn, c => sqlx::query_scalar(KEY_SQL)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .fetch_optional(&mut *c)
            .await?);
        self.unwrap_key(aggregate_type, aggregate_id, wrapped)
    }

    /// The keys to seal copies of other streams' personal data under, by source stream: the source's own
    /// key, made now where it has none yet (an account, whose row is not a stream, or an application with
    /// no personal data so far); `None` where the source's data is destroyed, so that the copy is written
    /// destroyed. An account is locked against its destruction until this transaction ends, so a key made
    /// for it here is erased with it.
    async fn copy_keys(
        &self,
        conn: &mut Conn<'_>,
        sources: &std::collections::BTreeSet<String>,
    ) -> Result<HashMap<String, Option<Arc<DataKey>>>, StoreError> {
        const DESTROYED: &str = "SELECT COUNT(*) FROM destroyed_streams WHERE aggregate_type = $1 AND aggregate_id = $2";
        let mut keys = HashMap::new();
        for source in sources {
            let Some((kind, id)) = source.split_once('/') else {
                keys.insert(source.clone(), None);
                continue;
            };
            if let Some(key) = self.key_on(conn, kind, id).await? {
                keys.insert(source.clone(), Some(Arc::new(key)));
                continue;
            }
            let destroyed: i64 = on_conn!(conn, c => sqlx::query_scalar(DESTROYED)
                .bind(kind).bind(id).fetch_one(&mut *c).await?);
            let live = destroyed == 0
                && (kind != "Account" || {
                    let sql = match conn {
                        Conn::Postgres(_) => "SELECT 1 FROM accounts WHERE id = $1 FOR SHARE",
                        Conn::Sqlite(_) => "SELECT 1 FROM accounts WHERE id = $1",
                    };
                    let found: Option<i32> = on_conn!(conn, c => sqlx::query_scalar(sql)
                        .bind(id).fetch_optional(&mut *c).await?);
                    found.is_some()
                });
            let key = if live {
                let (key, wrapped) = self.master.new_data_key(source);
                on_conn!(conn, c => sqlx::query(INSERT_KEY_SQL)
                    .bind(kind)
                    .bind(id)
                    .bind(wrapped)
                    .bind(chrono::Utc::now())
                    .execute(&mut *c)
                    .await?
                    .rows_affected());
                Some(Arc::new(key))
            } else {
                None
            };
            keys.insert(source.clone(), key);
        }
        Ok(keys)
    }

    /// Opens the copies of other streams' personal data an opened event holds, each with its source's key
    /// as it is now: a copy of a stream destroyed since reads as destroyed.
    async fn open_copies(&self, event: &mut SerializedEvent) -> Result<(), StoreError> {
        let sources = crypto::copy_sources(&event.payload);
        if sources.is_empty() {
            return Ok(());
        }
        let mut keys = HashMap::new();
        for source in sources {
            let key = match source.split_once('/') {
                Some((kind, id)) => {
                    let wrapped: Option<Vec<u8>> = on_pool!(&self.db, p => sqlx::query_scalar(KEY_SQL)
                        .bind(kind).bind(id).fetch_optional(p).await?);
                    self.unwrap_key(kind, id, wrapped)?.map(Arc::new)
                }
                None => None,
            };
            keys.insert(source, key);
        }
        let aad = crypto::event_aad(
            &stream_name(&event.aggregate_type, &event.aggregate_id),
            event.sequence,
        );
        crypto::open_copies(&mut event.payload, &keys, &aad)?;
        Ok(())
    }

    /// The stream's data key, made and stored (wrapped) the first time the stream holds personal data.
    async fn key_for_writing(
        &self,
        conn: &mut Conn<'_>,
        event: &SerializedEvent,
    ) -> Result<DataKey, StoreError> {
        if let Some(key) = self
            .key_on(conn, &event.aggregate_type, &event.aggregate_id)
            .await?
        {
            return Ok(key);
        }
        self.new_key(conn, event).await
    }

    /// Makes the stream's data key and stores it, wrapped. Another writer making one at the same time loses
    /// on the table's primary key, as a conflict.
    async fn new_key(
        &self,
        conn: &mut Conn<'_>,
        event: &SerializedEvent,
    ) -> Result<DataKey, StoreError> {
        let (key, wrapped) = self
            .master
            .new_data_key(&stream_name(&event.aggregate_type, &event.aggregate_id));
        on_conn!(conn, c => sqlx::query(INSERT_KEY_SQL)
            .bind(&event.aggregate_type)
            .bind(&event.aggregate_id)
            .bind(wrapped)
            .bind(chrono::Utc::now())
            .execute(&mut *c)
            .await?
            .rows_affected());
        Ok(key)
    }

    /// The events of every stream of one aggregate type, stream by stream, opened. (Rebuilds read the log in
    /// commit order through [`rebuild`] instead.)
    async fn read_all(&self, aggregate_type: &str) -> Result<Vec<SerializedEvent>, StoreError> {
        const IDS: &str = "SELECT DISTINCT aggregate_id FROM events WHERE aggregate_type = $1";
        let ids: Vec<String> = on_pool!(&self.db, p => sqlx::query_scalar(IDS).bind(aggregate_type).fetch_all(p).await?);
        let mut all = Vec::new();
        for id in ids {
            all.extend(self.read_stream(aggregate_type, &id, 0).await?);
        }
        Ok(all)
    }

    /// An application as it stood at a moment: its stream read back, opened, and folded only as far as the
    /// last event recorded at or before `as_of`, in memory, as the view's projector folds it. `None` where
    /// the application did not exist yet (or does not at all).
    pub async fn application_as_of(
        &self,
        aggregate_id: &str,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<ApplicationView>, StoreError> {
        const TYPE: &str = "Application";
        let events = self.read_stream(TYPE, aggregate_id, 0).await?;
        let mut recorded = Vec::new();
        for event in events {
            // Metadata that cannot be read is an event of no moment: it is not shown as of any.
            let Some(metadata) = EventMetadata::from_json(&event.metadata) else {
                continue;
            };
            if metadata.at > as_of {
                break;
            }
            recorded.push(projections::RecordedEvent {
                aggregate_type: event.aggregate_type,
                aggregate_id: event.aggregate_id,
                sequence: event.sequence as i64,
                event_type: event.event_type,
                payload: event.payload,
                metadata,
            });
        }
        Ok(projections::application_view::replay(&recorded)?)
    }

    /// One stream's history: who did what, when, without any payload.
    pub async fn history(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        if !projections::db::is_plausible_id(aggregate_id) {
            return Ok(Vec::new());
        }
        const SQL: &str = "SELECT sequence, event_type, metadata FROM events \
                           WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence";
        let rows: Vec<(i64, String, Json<Value>)> = on_pool!(&self.db, p => sqlx::query_as(SQL)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .filter_map(|(sequence, event_type, Json(metadata))| {
                EventMetadata::from_json(&metadata).map(|metadata| HistoryEntry {
                    sequence,
                    event_type,
                    metadata,
                })
            })
            .collect())
    }
}

tokio::task_local! {
    /// The application views the commands of this task left, while `with_projected` collects them.
    static PROJECTED: std::cell::RefCell<Vec<ApplicationView>>;
}

/// Runs a command and gives, beside its outcome, the application views its events left (one a stream, as
/// committed), so the answer need not read them back.
pub async fn with_projected<F: std::future::Future>(
    command: F,
) -> (F::Output, Vec<ApplicationView>) {
    PROJECTED
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let outcome = command.await;
            let views = PROJECTED.with(|projected| projected.take());
            (outcome, views)
        })
        .await
}

/// One line of a stream's history.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    pub sequence: i64,
    pub event_type: String,
    pub metadata: EventMetadata,
}

/// An event as the projectors take it.
pub fn recorded(event: &SerializedEvent) -> Result<RecordedEvent, StoreError> {
    let metadata = EventMetadata::from_json(&event.metadata).ok_or_else(|| {
        StoreError::Json(serde::de::Error::custom(
            "event metadata lacks actor or time",
        ))
    })?;
    Ok(RecordedEvent {
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence as i64,
        event_type: event.event_type.clone(),
        payload: event.payload.clone(),
        metadata,
    })
}

/// The payload of an event of `stream` as the log stores it: sealed under the stream's key where it holds
/// personal data, as it is otherwise.
fn sealed_if_personal(event: &SerializedEvent, key: &DataKey, stream: &str) -> Value {
    if crypto::has_personal_data(&event.payload) {
        crypto::seal(
            &event.payload,
            key,
            &crypto::event_aad(stream, event.sequence),
        )
    } else {
        event.payload.clone()
    }
}

/// The events, where they are destructions of more than one stream, one event each, none of them carrying
/// personal data or copies of it: what [`EventRepository::append_destructions_on`] appends together.
fn destructions_only(events: &[SerializedEvent]) -> Option<&[SerializedEvent]> {
    if events.len() < 2 {
        return None;
    }
    let mut streams = std::collections::HashSet::with_capacity(events.len());
    events
        .iter()
        .all(|event| {
            event.event_type == PERSONAL_DATA_DESTROYED
                && !crypto::has_personal_data(&event.payload)
                && crypto::copy_sources(&event.payload).is_empty()
                && streams.insert(stream_name(&event.aggregate_type, &event.aggregate_id))
        })
        .then_some(events)
}

/// The event types an application's batch leaves to [`EventRepository::append_on`]: a start makes the
/// stream's key, a destruction erases it.
const STARTS_OR_DESTROYS: [&str; 2] = ["ApplicationStarted", PERSONAL_DATA_DESTROYED];

/// The events, where they are several applications' (each stream's events together and in order), none of
/// them starting or destroying its application or holding copies of another stream's personal data, and
/// each stream's key known: what [`EventRepository::append_applications_on`] appends together, as each
/// stream's key and the range of its events.
fn applications_together(
    events: &[SerializedEvent],
    known: &HashMap<String, Option<Arc<DataKey>>>,
) -> Option<Vec<(Arc<DataKey>, std::ops::Range<usize>)>> {
    if events.len() < 2 {
        return None;
    }
    let mut streams: Vec<(Arc<DataKey>, std::ops::Range<usize>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut start = 0;
    for (at, event) in events.iter().enumerate() {
        if event.aggregate_type != APPLICATION
            || STARTS_OR_DESTROYS.contains(&event.event_type.as_str())
            || !crypto::copy_sources(&event.payload).is_empty()
        {
            return None;
        }
        let last = events.get(at + 1);
        let ends_here = last.is_none_or(|next| next.aggregate_id != event.aggregate_id);
        if let Some(next) = last
            && next.aggregate_id == event.aggregate_id
            && next.sequence != event.sequence + 1
        {
            return None;
        }
        if ends_here {
            if !seen.insert(event.aggregate_id.as_str()) {
                return None;
            }
            let Some(Some(key)) = known.get(&stream_name(APPLICATION, &event.aggregate_id)) else {
                return None;
            };
            streams.push((Arc::clone(key), start..at + 1));
            start = at + 1;
        }
    }
    (streams.len() >= 2).then_some(streams)
}

async fn erase_key(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM stream_keys WHERE aggregate_type = $1 AND aggregate_id = $2";
    on_conn!(conn, c => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id).execute(&mut *c).await?.rows_affected());
    Ok(())
}

async fn insert_event(
    conn: &mut Conn<'_>,
    event: &SerializedEvent,
    payload: &Value,
) -> Result<(), StoreError> {
    match conn {
        Conn::Sqlite(c) => {
            const SQL: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                event_version, payload, metadata, recorded_at, global_position) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT COALESCE(MAX(global_position), 0) + 1 FROM events))";
            sqlx::query(SQL)
                .bind(&event.aggregate_type)
                .bind(&event.aggregate_id)
                .bind(event.sequence as i64)
                .bind(&event.event_type)
                .bind(&event.event_version)
                .bind(Json(payload))
                .bind(Json(&event.metadata))
                .bind(chrono::Utc::now())
                .execute(&mut **c)
                .await?;
        }
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                event_version, payload, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)";
            sqlx::query(SQL)
                .bind(&event.aggregate_type)
                .bind(&event.aggregate_id)
                .bind(event.sequence as i64)
                .bind(&event.event_type)
                .bind(&event.event_version)
                .bind(Json(payload))
                .bind(Json(&event.metadata))
                .execute(&mut **c)
                .await?;
        }
    }
    Ok(())
}

/// Inserts many events that hold no personal data (the sweep's destructions), as [`insert_event`] inserts
/// each: on PostgreSQL in statements of many rows, so a batch is not a round trip an event; on SQLite, where a
/// statement costs no round trip, one at a time (each takes the next global position).
async fn insert_events(conn: &mut Conn<'_>, events: &[SerializedEvent]) -> Result<(), StoreError> {
    let rows: Vec<(&SerializedEvent, &Value)> =
        events.iter().map(|event| (event, &event.payload)).collect();
    insert_events_as(conn, &rows).await
}

/// Inserts many events, each with the payload to store for it (sealed where it holds personal data), as
/// [`insert_event`] inserts each: on PostgreSQL many rows to a statement; on SQLite one at a time.
async fn insert_events_as(
    conn: &mut Conn<'_>,
    events: &[(&SerializedEvent, &Value)],
) -> Result<(), StoreError> {
    match conn {
        Conn::Sqlite(_) => {
            for (event, payload) in events {
                insert_event(conn, event, payload).await?;
            }
        }
        Conn::Postgres(c) => {
            for chunk in events.chunks(projections::db::IDS_A_STATEMENT) {
                let mut query = sqlx::QueryBuilder::new(
                    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                     event_version, payload, metadata) ",
                );
                query.push_values(chunk, |mut row, (event, payload)| {
                    row.push_bind(&event.aggregate_type)
                        .push_bind(&event.aggregate_id)
                        .push_bind(event.sequence as i64)
                        .push_bind(&event.event_type)
                        .push_bind(&event.event_version)
                        .push_bind(Json(*payload))
                        .push_bind(Json(&event.metadata));
                });
                query.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        Ok(self.read_stream(A::TYPE, aggregate_id, 0).await?)
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        Ok(self
            .read_stream(A::TYPE, aggregate_id, last_sequence)
            .await?)
    }

    /// Snapshots are not kept: cqrs-es 0.5's snapshot stores apply events twice (FACTS.md), so every load
    /// replays the stream.
    async fn get_snapshot<A: Aggregate>(
        &self,
        _aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        Ok(None)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        _snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        let views = self.append(events).await?;
        // Handed to the command's caller when it asked (`with_projected`); otherwise dropped.
        let _ = PROJECTED.try_with(|projected| projected.borrow_mut().extend(views));
        Ok(())
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        let events = self.read_stream(A::TYPE, aggregate_id, 0).await?;
        Ok(replay(events))
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        let events = self.read_all(A::TYPE).await?;
        Ok(replay(events))
    }
}

/// A replay stream fed from events already read.
fn replay(events: Vec<SerializedEvent>) -> ReplayStream {
    let (mut feed, stream) = ReplayStream::new(events.len().max(1));
    tokio::spawn(async move {
        for event in events {
            if feed.push(Ok(event)).await.is_err() {
                break;
            }
        }
    });
    stream
}
