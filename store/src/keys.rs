//! The data keys this process last saw for its busiest streams, so that appending to a stream just read needs
//! no second look-up of its key.
//!
//! A stream's key changes only together with an event on the same stream: it is made by the first event that
//! holds personal data and erased by `PersonalDataDestroyed`, each in that event's transaction. So a key known
//! "as of sequence n" is still the stream's key for an append whose first event is n + 1: if anything had
//! changed the key, it would have taken sequence n + 1 itself, and the append would fail on the events'
//! primary key and roll back (optimistic concurrency) before anything sealed under a stale key is kept.
//! Reads never use what is here: every read of a stream fetches its key with its events, so an erased key
//! opens nothing. Entries are few and short-lived, so erased keys do not linger in memory.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::crypto::DataKey;

/// How many streams' keys are kept.
const CAPACITY: usize = 4096;
/// How long a key is kept after it was last seen.
const KEEP_FOR: Duration = Duration::from_secs(120);

/// What is known of one stream's key: as of which sequence, and the key (`None`: the stream has none).
#[derive(Clone)]
pub struct Known {
    pub sequence: usize,
    pub key: Option<Arc<DataKey>>,
    seen: Instant,
}

/// The keys known to this process, by stream name.
#[derive(Clone)]
pub struct KnownKeys(Arc<Mutex<LruCache<String, Known>>>);

impl Default for KnownKeys {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(LruCache::new(
            NonZeroUsize::new(CAPACITY).expect("capacity is not zero"),
        ))))
    }
}

impl KnownKeys {
    /// Records that as of `sequence` the stream's key is `key`.
    pub fn remember(&self, stream: &str, sequence: usize, key: Option<Arc<DataKey>>) {
        let known = Known {
            sequence,
            key,
            seen: Instant::now(),
        };
        self.lock().put(stream.to_owned(), known);
    }

    /// The stream's key for an append whose first event has sequence `next`, if known as of `next - 1`.
    pub fn for_append(&self, stream: &str, next: usize) -> Option<Option<Arc<DataKey>>> {
        let mut cache = self.lock();
        let known = cache.get(stream)?;
        if known.seen.elapsed() > KEEP_FOR {
            cache.pop(stream);
            return None;
        }
        (known.sequence + 1 == next).then(|| known.key.clone())
    }

    /// Forgets a stream (its append failed, so what is known of it may be stale).
    pub fn forget(&self, stream: &str) {
        self.lock().pop(stream);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Known>> {
        // A panic while holding this lock cannot leave the cache inconsistent: every operation is one call.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
