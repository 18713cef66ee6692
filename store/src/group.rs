//! Group commit on SQLite: the appends waiting in this process go into one transaction, each in a savepoint
//! of its own, and are made durable by one commit.
//!
//! SQLite has one writer at a time and makes each commit durable with a sync of its log, so committing every
//! command on its own caps the store at the disk's syncs per second, however little each command writes.
//! Here one writer task takes every append queued while the last commit was syncing, runs each (events,
//! projections) in its own savepoint — an append that fails, a conflict say, is rolled back alone and refused
//! alone — and commits them together. Nothing is acknowledged before that commit returns, and if it fails
//! every append in it is refused. The writer waits for nothing to fill a group: a lone command is committed
//! at once.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::persist::SerializedEvent;
use tokio::sync::{mpsc, oneshot};

use projections::application_view::ApplicationView;
use projections::{Conn, Db};

use super::{EventRepository, StoreError};
use crate::crypto::DataKey;

/// The most appends committed together.
const GROUP: usize = 64;

/// What an append knows of its streams' keys (see `keys`), handed to the writer and back.
pub type KnownKeys = HashMap<String, Option<Arc<DataKey>>>;

struct Job {
    events: Vec<SerializedEvent>,
    known: KnownKeys,
    reply: oneshot::Sender<(Result<Vec<ApplicationView>, StoreError>, KnownKeys)>,
}

/// Where this process's appends queue for the writer.
pub struct Queue(mpsc::Sender<Job>);

/// Starts the writer of an SQLite store.
pub fn start(repo: EventRepository) -> Queue {
    let (queue, jobs) = mpsc::channel(GROUP * 4);
    tokio::spawn(write(repo, jobs));
    Queue(queue)
}

impl Queue {
    /// Appends one command's events (and projects them) in the next group; answers once it is durable.
    pub async fn append(
        &self,
        events: Vec<SerializedEvent>,
        known: KnownKeys,
    ) -> (Result<Vec<ApplicationView>, StoreError>, KnownKeys) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            events,
            known,
            reply,
        };
        if self.0.send(job).await.is_err() {
            return (Err(StoreError::WriterStopped), HashMap::new());
        }
        answer
            .await
            .unwrap_or_else(|_| (Err(StoreError::WriterStopped), HashMap::new()))
    }
}

async fn write(repo: EventRepository, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(GROUP);
    while queue.recv_many(&mut jobs, GROUP).await > 0 {
        let _turn = repo.writer.lock().await;
        commit_group(&repo, std::mem::take(&mut jobs)).await;
    }
}

/// Runs each job in a savepoint of one transaction, commits, and answers every job.
async fn commit_group(repo: &EventRepository, mut jobs: Vec<Job>) {
    let Db::Sqlite(pool) = repo.db() else {
        unreachable!("only an SQLite store commits in groups")
    };
    let mut outcomes: Vec<Result<Vec<ApplicationView>, StoreError>> =
        Vec::with_capacity(jobs.len());
    let committed = async {
        // IMMEDIATE takes the write lock at once, so another process's writer queues instead of failing.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for job in &mut jobs {
            sqlx::query("SAVEPOINT command").execute(&mut *tx).await?;
            let done = repo
                .append_on(&mut Conn::Sqlite(&mut tx), &job.events, &mut job.known)
                .await;
            if done.is_err() {
                sqlx::query("ROLLBACK TO command").execute(&mut *tx).await?;
            }
            sqlx::query("RELEASE command").execute(&mut *tx).await?;
            outcomes.push(done);
        }
        tx.commit().await
    }
    .await;
    match committed {
        Ok(()) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send((outcome, job.known));
            }
        }
        Err(error) => {
            // Nothing in the group was kept: every append in it is refused (and may be tried again).
            tracing::error!(%error, appends = jobs.len(), "a group commit failed");
            for job in jobs {
                let _ = job
                    .reply
                    .send((Err(StoreError::GroupFailed), HashMap::new()));
            }
        }
    }
}
