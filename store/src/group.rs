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
//!
//! The records of staff's reads of personal data (`access_log`) are written the same way: a case list
//! records the fifty applications it shows, and written beside the group, each such insert waited in
//! SQLite's busy handler for the writer's lock (a second and more, under load); in the group it is one more
//! savepoint, made durable by the group's commit, and the read is shown only after that commit.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::persist::SerializedEvent;
use tokio::sync::{mpsc, oneshot};

use domain::Actor;
use projections::access_log::{self, Through};
use projections::application_view::ApplicationView;
use projections::{Conn, Db};

use super::{EventRepository, StoreError};
use crate::crypto::DataKey;

/// The most appends committed together.
const GROUP: usize = 64;

/// What an append knows of its streams' keys (see `keys`), handed to the writer and back.
pub type KnownKeys = HashMap<String, Option<Arc<DataKey>>>;

type AppendReply = oneshot::Sender<(Result<Vec<ApplicationView>, StoreError>, KnownKeys)>;

enum Job {
    Append {
        events: Vec<SerializedEvent>,
        known: KnownKeys,
        reply: AppendReply,
    },
    Reads {
        reads: Reads,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// Reads of personal data by one person, through one screen or answer, to be recorded.
pub struct Reads {
    pub application_ids: Vec<String>,
    pub reader: Actor,
    pub through: Through,
}

/// What became of one job in the group's transaction.
enum Outcome {
    Appended(Result<Vec<ApplicationView>, StoreError>),
    Recorded(Result<(), StoreError>),
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
        let job = Job::Append {
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

    /// Records reads of personal data in the next group; answers once they are durable.
    pub async fn record_reads(&self, reads: Reads) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        if self.0.send(Job::Reads { reads, reply }).await.is_err() {
            return Err(StoreError::WriterStopped);
        }
        answer.await.unwrap_or(Err(StoreError::WriterStopped))
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
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(jobs.len());
    let committed = async {
        // IMMEDIATE takes the write lock at once, so another process's writer queues instead of failing.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for job in &mut jobs {
            sqlx::query("SAVEPOINT command").execute(&mut *tx).await?;
            let mut conn = Conn::Sqlite(&mut tx);
            let outcome = match job {
                Job::Append { events, known, .. } => {
                    Outcome::Appended(repo.append_on(&mut conn, events, known).await)
                }
                Job::Reads { reads, .. } => {
                    let ids: Vec<&str> = reads.application_ids.iter().map(String::as_str).collect();
                    let done = access_log::record_on(&mut conn, &ids, &reads.reader, reads.through);
                    Outcome::Recorded(done.await.map_err(StoreError::from))
                }
            };
            if matches!(
                outcome,
                Outcome::Appended(Err(_)) | Outcome::Recorded(Err(_))
            ) {
                sqlx::query("ROLLBACK TO command").execute(&mut *tx).await?;
            }
            sqlx::query("RELEASE command").execute(&mut *tx).await?;
            outcomes.push(outcome);
        }
        tx.commit().await
    }
    .await;
    match committed {
        Ok(()) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                match (job, outcome) {
                    (Job::Append { known, reply, .. }, Outcome::Appended(done)) => {
                        let _ = reply.send((done, known));
                    }
                    (Job::Reads { reply, .. }, Outcome::Recorded(done)) => {
                        let _ = reply.send(done);
                    }
                    (Job::Append { reply, .. }, Outcome::Recorded(_)) => {
                        let _ = reply.send((Err(StoreError::GroupFailed), HashMap::new()));
                    }
                    (Job::Reads { reply, .. }, Outcome::Appended(_)) => {
                        let _ = reply.send(Err(StoreError::GroupFailed));
                    }
                }
            }
        }
        Err(error) => {
            // Nothing in the group was kept: every job in it is refused (and may be tried again).
            tracing::error!(%error, jobs = jobs.len(), "a group commit failed");
            for job in jobs {
                match job {
                    Job::Append { reply, .. } => {
                        let _ = reply.send((Err(StoreError::GroupFailed), HashMap::new()));
                    }
                    Job::Reads { reply, .. } => {
                        let _ = reply.send(Err(StoreError::GroupFailed));
                    }
                }
            }
        }
    }
}
