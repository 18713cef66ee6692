//! On PostgreSQL, the one-statement appends (`projections::one_statement`) waiting in this process are
//! written together: one statement, one commit, for every append queued while the writers were busy.
//!
//! A durable commit costs the database a flush of its log and the server a round trip, whatever the
//! commit holds; under load, when many applicants save at once, those are most of what a draft edit costs.
//! Here up to [`WRITERS`] groups are written at a time, each taking every append that queued while they
//! were busy (a lone append, on a quiet server, is written at once and alone). Each append in a group is
//! still kept whole or not at all: one whose view had moved on is left out and takes the ordinary way, and
//! if the group's statement fails (two writers met on a stream, say) every append in it is written again
//! alone, so that each gets its own answer. Nothing is acknowledged before its commit returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cqrs_es::persist::SerializedEvent;
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc, oneshot};

use projections::application_view::ApplicationView;
use projections::one_statement::{self, EventRow, Plan};

use super::StoreError;

/// The most appends written in one statement.
const GROUP: usize = 32;
/// The most groups written at a time, each on a connection of its own. Two, not more: while one group is
/// being written the next gathers what queues, and fewer, larger groups cost the database less for each
/// append. At 16 clients on two cores, two writers made groups that cost PostgreSQL 0.134–0.138 ms of CPU an
/// edit against 0.151–0.165 ms with four, and took 5,759–5,779 edits/s against 5,254–5,588; one writer
/// cost least (0.117 ms) but left the cores idle between groups (docs/benchmarks.md).
const WRITERS: usize = 2;

/// One append: the event as stored (its payload sealed) and the plan of its views.
pub struct Job {
    pub event: SerializedEvent,
    pub stored_payload: Value,
    pub plan: Plan,
    reply: oneshot::Sender<Result<Option<ApplicationView>, sqlx::Error>>,
}

/// Where this process's one-statement appends queue for the writers.
pub struct Queue(mpsc::Sender<Job>);

/// What the writers did since the process started, for `/metrics`.
#[derive(Default)]
pub struct Counts {
    /// Statements that wrote more than one append.
    pub groups: AtomicU64,
    /// The appends those statements kept.
    pub appends: AtomicU64,
}

/// Starts the writers of a PostgreSQL store.
pub fn start(pool: sqlx::PgPool, counts: Arc<Counts>) -> Queue {
    let (queue, jobs) = mpsc::channel(GROUP * WRITERS);
    tokio::spawn(dispatch(pool, jobs, counts));
    Queue(queue)
}

impl Queue {
    /// Writes one event and its views with the next group; answers once it is durable. `Ok(None)`: the
    /// view had moved on and nothing was kept.
    pub async fn write(
        &self,
        event: SerializedEvent,
        stored_payload: Value,
        plan: Plan,
    ) -> Result<Option<ApplicationView>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            event,
            stored_payload,
            plan,
            reply,
        };
        if self.0.send(job).await.is_err() {
            return Err(StoreError::WriterStopped);
        }
        match answer.await {
            Ok(written) => Ok(written?),
            Err(_) => Err(StoreError::WriterStopped),
        }
    }
}

/// Takes what queued whenever a writer is free, finds it a connection, and writes it on a task of its own.
///
/// The connection is found before the group is handed over, so that when none can be had (the database is
/// down, say) the group and everything queued behind it are refused together after one wait of the pool's
/// acquire timeout, and no append waits for a connection once in the queue and again in its group.
async fn dispatch(pool: sqlx::PgPool, mut queue: mpsc::Receiver<Job>, counts: Arc<Counts>) {
    let writers = Arc::new(Semaphore::new(WRITERS));
    let mut jobs = Vec::with_capacity(GROUP);
    loop {
        let Ok(turn) = Arc::clone(&writers).acquire_owned().await else {
            return;
        };
        if queue.recv_many(&mut jobs, GROUP).await == 0 {
            return;
        }
        match pool.acquire().await {
            Ok(conn) => {
                // What queued while the connection was found goes with the group.
                while jobs.len() < GROUP {
                    match queue.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let group = std::mem::take(&mut jobs);
                let counts = Arc::clone(&counts);
                tokio::spawn(async move {
                    write_group(conn, group, &counts).await;
                    drop(turn);
                });
            }
            Err(error) => {
                while let Ok(job) = queue.try_recv() {
                    jobs.push(job);
                }
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(like(&error)));
                }
            }
        }
    }
}

/// Writes a group and answers each of its appends.
async fn write_group(
    mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    jobs: Vec<Job>,
    counts: &Counts,
) {
    // One append for each application goes in the group; a second for the same one (it decided on the same
    // version, so at most one of them can be kept) is written alone after it.
    let mut together: Vec<Job> = Vec::with_capacity(jobs.len());
    let mut after = Vec::new();
    for job in jobs {
        if together
            .iter()
            .any(|j| j.plan.application_id() == job.plan.application_id())
        {
            after.push(job);
        } else {
            together.push(job);
        }
    }
    if together.len() > 1 {
        let rows: Vec<(&Plan, EventRow<'_>)> = together
            .iter()
            .map(|job| (&job.plan, row_of(&job.event, &job.stored_payload)))
            .collect();
        let written = one_statement::write_together(&mut conn, &rows).await;
        drop(rows);
        match written {
            Ok(written) => {
                let kept = written.iter().filter(|kept| **kept).count() as u64;
                counts.groups.fetch_add(1, Ordering::Relaxed);
                counts.appends.fetch_add(kept, Ordering::Relaxed);
                for (Job { plan, reply, .. }, kept) in together.into_iter().zip(written) {
                    let _ = reply.send(Ok(kept.then(|| plan.into_view())));
                }
            }
            Err(error) => {
                tracing::debug!(%error, appends = together.len(), "a group was written again, one by one");
                after.splice(0..0, together);
            }
        }
    } else {
        after.splice(0..0, together);
    }
    for Job {
        event,
        stored_payload,
        plan,
        reply,
    } in after
    {
        let written = plan.write(&mut conn, row_of(&event, &stored_payload)).await;
        let _ = reply.send(written);
    }
}

fn row_of<'a>(event: &'a SerializedEvent, stored_payload: &'a Value) -> EventRow<'a> {
    EventRow {
        aggregate_type: &event.aggregate_type,
        aggregate_id: &event.aggregate_id,
        sequence: event.sequence as i64,
        event_type: &event.event_type,
        event_version: &event.event_version,
        payload: stored_payload,
        metadata: &event.metadata,
    }
}

/// The same failure to get a connection, for each append that waited on it.
fn like(error: &sqlx::Error) -> sqlx::Error {
    match error {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        other => sqlx::Error::Io(std::io::Error::other(other.to_string())),
    }
}
