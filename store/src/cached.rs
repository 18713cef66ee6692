//! Aggregates kept in memory between commands, so a command on a long stream reads only the events since this
//! process last handled it instead of the whole stream.
//!
//! This is a snapshot kept in the process, not in the database (cqrs-es 0.5's snapshot stores apply events
//! twice: FACTS.md). A kept aggregate remembers the sequence it stands at, and a load reads the events after
//! that sequence from the store, whoever wrote them (another request, another process, a retention sweep),
//! before the command sees the state. A command decided on a state that another commit overtook still fails
//! on the events' primary key, as without the cache.
//!
//! Inside [`deciding`] with trust allowed (how `app.rs` runs every command first), a kept aggregate is used as
//! it is, without that read: it is checked at the write instead. The events it leads to are appended at the
//! sequence after the kept one, so if anyone else wrote there first the append fails on the primary key, the
//! copy is dropped and the command is decided again on the stream as stored. What the write cannot check is
//! a decision that writes nothing, a refusal or a command with nothing to change: [`Trust`] says when one was
//! decided on a copy taken on trust, and the command is then decided again with the read. Kept aggregates hold personal data,
//! so they are few and expire after a short time; a stream whose personal data is destroyed is kept, if at
//! all, in its destroyed state, because the destruction is itself an event applied on the next load.

use std::cell::Cell;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{
    EventStoreAggregateContext, PersistedEventRepository, PersistedEventStore, SerializedEvent,
};
use cqrs_es::{Aggregate, AggregateError, EventEnvelope, EventStore};
use lru::LruCache;

use super::EventRepository;

/// How many aggregates of one type are kept.
const CAPACITY: usize = 2048;
/// How long an aggregate is kept after its last command.
const KEEP_FOR: Duration = Duration::from_secs(120);

tokio::task_local! {
    static TRUST: Cell<Trust>;
}

/// Whether a command may be decided on a kept aggregate without reading the events after it, and what
/// happened when it was.
#[derive(Clone, Copy, Debug, Default)]
pub struct Trust {
    allowed: bool,
    /// The command was decided on a kept aggregate taken on trust.
    pub taken_on_trust: bool,
    /// The command's events were appended.
    pub appended: bool,
}

impl Trust {
    /// A decision taken on trust that the append did not check: it must be taken again with the read.
    pub fn unchecked(&self) -> bool {
        self.taken_on_trust && !self.appended
    }
}

/// Runs a command, its kept aggregate taken on trust when `allowed`; gives what happened beside its outcome.
pub async fn deciding<F: std::future::Future>(allowed: bool, command: F) -> (F::Output, Trust) {
    let trust = Trust {
        allowed,
        ..Trust::default()
    };
    TRUST
        .scope(Cell::new(trust), async {
            let outcome = command.await;
            (outcome, TRUST.with(Cell::get))
        })
        .await
}

fn note(change: impl FnOnce(&mut Trust)) {
    let _ = TRUST.try_with(|cell| {
        let mut trust = cell.get();
        change(&mut trust);
        cell.set(trust);
    });
}

struct Kept<A> {
    aggregate: A,
    sequence: usize,
    at: Instant,
}

/// cqrs-es's event store with the aggregates of recent commands kept in memory. A clone shares the kept
/// aggregates: the bus's framework holds one, and whoever decides commands outside it (a batch of
/// destructions, [`CachedEventStore::decide`]) another.
pub struct CachedEventStore<A: Aggregate> {
    inner: Arc<PersistedEventStore<EventRepository, A>>,
    repo: EventRepository,
    kept: Arc<Mutex<LruCache<String, Kept<A>>>>,
}

impl<A: Aggregate> Clone for CachedEventStore<A> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            repo: self.repo.clone(),
            kept: Arc::clone(&self.kept),
        }
    }
}

/// A command decided on its aggregate by [`CachedEventStore::decide`], its events not yet appended.
pub struct Decided<A: Aggregate> {
    aggregate_id: String,
    /// The command's events as the store appends them, at the sequences after the one decided on.
    events: Vec<SerializedEvent>,
    /// The aggregate with those events applied, and its sequence then.
    aggregate: A,
    sequence: usize,
}

impl<A: Aggregate> Decided<A> {
    pub fn aggregate_id(&self) -> &str {
        &self.aggregate_id
    }

    /// The events to append: none where the command changed nothing.
    pub fn events(&self) -> &[SerializedEvent] {
        &self.events
    }
}

impl<A: Aggregate + Clone> CachedEventStore<A> {
    pub fn new(repo: EventRepository) -> Self {
        Self {
            inner: Arc::new(PersistedEventStore::new_event_store(repo.clone())),
            repo,
            kept: Arc::new(Mutex::new(LruCache::new(
                NonZeroUsize::new(CAPACITY).expect("capacity is not zero"),
            ))),
        }
    }

    /// Decides a command as the bus's framework does (`CqrsFramework::execute_with_metadata`), but appends
    /// nothing: the aggregate is loaded as a command loads it outside [`deciding`] (the kept copy brought up
    /// to date by reading the events after it, or the stream read whole), the command handled, and its
    /// events numbered after the stream's last and given `metadata`. The caller appends the events of many
    /// decisions together (`EventRepository::append_together`): if anyone wrote to the stream after it was
    /// read, that append fails on the events' primary key and keeps nothing. Once the append is committed,
    /// [`Self::appended`] keeps the aggregates as they now stand.
    pub async fn decide(
        &self,
        aggregate_id: &str,
        command: A::Command,
        services: &A::Services,
        metadata: HashMap<String, String>,
    ) -> Result<Decided<A>, AggregateError<A::Error>> {
        let context = self.load_read(aggregate_id).await?;
        Self::decide_on(context, command, services, metadata).await
    }

    /// [`Self::decide`] for many commands, each on a stream of its own, in the order given: the streams not
    /// kept in memory are read together (`EventRepository::read_streams`), a few statements for them all,
    /// rather than one read each.
    pub async fn decide_many(
        &self,
        commands: Vec<(String, A::Command)>,
        services: &A::Services,
        metadata: HashMap<String, String>,
    ) -> Vec<Result<Decided<A>, AggregateError<A::Error>>> {
        let unkept: Vec<&str> = {
            let kept = self.kept();
            commands
                .iter()
                .map(|(id, _)| id.as_str())
                .filter(|id| !kept.contains(*id))
                .collect()
        };
        // Where the streams cannot be read together, each is read on its own below, and answers for itself.
        let mut read = self.repo.read_streams(A::TYPE, &unkept).await.ok();
        let mut decided = Vec::with_capacity(commands.len());
        for (id, command) in commands {
            // A stream read together is taken once; any other (kept in memory, or with no events) is
            // loaded as `decide` loads it.
            let context = match read.as_mut().and_then(|read| read.remove(&id)) {
                Some(events) => folded::<A>(&id, events),
                None => self.load_read(&id).await,
            };
            decided.push(match context {
                Ok(context) => Self::decide_on(context, command, services, metadata.clone()).await,
                Err(error) => Err(error),
            });
        }
        decided
    }

    /// Handles the command on the aggregate as loaded, and numbers its events after the stream's last.
    async fn decide_on(
        context: EventStoreAggregateContext<A>,
        command: A::Command,
        services: &A::Services,
        metadata: HashMap<String, String>,
    ) -> Result<Decided<A>, AggregateError<A::Error>> {
        let aggregate_id = context.aggregate_id.as_str();
        let mut aggregate = context.aggregate;
        let sink = EventSink::default();
        aggregate
            .handle(command, services, &sink)
            .await
            .map_err(AggregateError::UserError)?;
        let mut events = Vec::new();
        let mut sequence = context.current_sequence;
        for payload in sink.collect().await {
            sequence += 1;
            let envelope = EventEnvelope::<A> {
                aggregate_id: aggregate_id.to_owned(),
                sequence,
                payload,
                metadata: metadata.clone(),
            };
            events.push(SerializedEvent::try_from(&envelope)?);
        }
        Ok(Decided {
            aggregate_id: aggregate_id.to_owned(),
            events,
            aggregate,
            sequence,
        })
    }

    /// Decides a further command on a decision's aggregate as its events leave it, the new events numbered
    /// after them and appended with them (a conclusion and the letter that tells the applicant). A refusal
    /// leaves the decision as it was.
    pub async fn decide_then(
        decided: &mut Decided<A>,
        command: A::Command,
        services: &A::Services,
        metadata: HashMap<String, String>,
    ) -> Result<(), AggregateError<A::Error>> {
        let context = EventStoreAggregateContext {
            aggregate_id: decided.aggregate_id.clone(),
            aggregate: decided.aggregate.clone(),
            current_sequence: decided.sequence,
            current_snapshot: None,
        };
        let then = Self::decide_on(context, command, services, metadata).await?;
        decided.events.extend(then.events);
        decided.aggregate = then.aggregate;
        decided.sequence = then.sequence;
        Ok(())
    }

    /// Keeps the aggregates of decisions whose events were committed, as the commit left them.
    pub fn appended(&self, decided: impl IntoIterator<Item = Decided<A>>) {
        let mut kept = self.kept();
        for decided in decided {
            if decided.events.is_empty() {
                continue;
            }
            kept.put(
                decided.aggregate_id,
                Kept {
                    aggregate: decided.aggregate,
                    sequence: decided.sequence,
                    at: Instant::now(),
                },
            );
        }
    }

    /// The aggregate as stored: the kept copy with the events after it applied, or the stream read whole.
    async fn load_read(
        &self,
        aggregate_id: &str,
    ) -> Result<EventStoreAggregateContext<A>, AggregateError<A::Error>> {
        let Some((mut aggregate, mut sequence)) = self.take_copy(aggregate_id) else {
            return self.inner.load_aggregate(aggregate_id).await;
        };
        let newer = self
            .repo
            .get_last_events::<A>(aggregate_id, sequence)
            .await?;
        for event in newer {
            let payload: A::Event = serde_json::from_value(event.payload)
                .map_err(|error| AggregateError::DeserializationError(Box::new(error)))?;
            aggregate.apply(payload);
            sequence = event.sequence;
        }
        Ok(EventStoreAggregateContext {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            current_sequence: sequence,
            current_snapshot: None,
        })
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, LruCache<String, Kept<A>>> {
        // Every use of the cache is one call, so a panic elsewhere cannot leave it half-changed.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of the kept aggregate and its sequence, if it is kept and fresh.
    fn take_copy(&self, aggregate_id: &str) -> Option<(A, usize)> {
        let mut kept = self.kept();
        let entry = kept.get(aggregate_id)?;
        if entry.at.elapsed() > KEEP_FOR {
            kept.pop(aggregate_id);
            return None;
        }
        Some((entry.aggregate.clone(), entry.sequence))
    }
}

/// The aggregate its stream's events leave, as a load from the store folds them (a stream with no events is
/// the aggregate's default, at sequence 0).
fn folded<A: Aggregate>(
    aggregate_id: &str,
    events: Vec<SerializedEvent>,
) -> Result<EventStoreAggregateContext<A>, AggregateError<A::Error>> {
    let mut aggregate = A::default();
    let mut sequence = 0;
    for event in events {
        let payload: A::Event = serde_json::from_value(event.payload)
            .map_err(|error| AggregateError::DeserializationError(Box::new(error)))?;
        aggregate.apply(payload);
        sequence = event.sequence;
    }
    Ok(EventStoreAggregateContext {
        aggregate_id: aggregate_id.to_owned(),
        aggregate,
        current_sequence: sequence,
        current_snapshot: None,
    })
}

impl<A: Aggregate + Clone> EventStore<A> for CachedEventStore<A> {
    type AC = EventStoreAggregateContext<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        self.inner.load_events(aggregate_id).await
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<EventStoreAggregateContext<A>, AggregateError<A::Error>> {
        if TRUST.try_with(|trust| trust.get().allowed).unwrap_or(false) {
            let Some((aggregate, sequence)) = self.take_copy(aggregate_id) else {
                return self.inner.load_aggregate(aggregate_id).await;
            };
            note(|trust| trust.taken_on_trust = true);
            return Ok(EventStoreAggregateContext {
                aggregate_id: aggregate_id.to_owned(),
                aggregate,
                current_sequence: sequence,
                current_snapshot: None,
            });
        }
        self.load_read(aggregate_id).await
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: EventStoreAggregateContext<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let aggregate_id = context.aggregate_id.clone();
        // The command's events are already applied to the context's aggregate (cqrs-es's sink applies each
        // as it is written), so after a commit it is the state at the new sequence.
        let after = (
            context.aggregate.clone(),
            context.current_sequence + events.len(),
        );
        match self.inner.commit(events, context, metadata).await {
            Ok(committed) => {
                if !committed.is_empty() {
                    note(|trust| trust.appended = true);
                }
                let (aggregate, sequence) = after;
                self.kept().put(
                    aggregate_id,
                    Kept {
                        aggregate,
                        sequence,
                        at: Instant::now(),
                    },
                );
                Ok(committed)
            }
            Err(error) => {
                self.kept().pop(&aggregate_id);
                Err(error)
            }
        }
    }
}
