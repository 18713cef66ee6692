//! The case list's text search, held in memory by each server (docs/decisions/0013, option 4).
//!
//! Caseworkers search the list by any part of a name or an email address. An index of that text kept in the
//! database would be personal data the scrub must write anew after every sweep, and a trigram index cannot
//! be split into partitions without slowing every search; so the database keeps no copy of it. Each server
//! holds, for each store it serves, the [`normalised`](normalised) name and email of every
//! application in one buffer, beside the columns the list is filtered by, and finds a word with a SIMD
//! substring search of the whole buffer: a few milliseconds at a million applications, on one core.
//!
//! The index is built from the case list at the first search (or as the server starts, [`warm`]) and kept
//! current from the event log: before a search, the applications with events since the position last read
//! are read again from the case list, and one whose row is gone (destroyed) leaves the index. A second
//! server therefore sees the first one's writes at its next search. The position is the log's commit order:
//! on PostgreSQL `(tx, global_position)` below the oldest transaction still running (docs FACTS: a plain
//! `global_position` misses events of concurrent writers); on SQLite, with one writer, `global_position`.
//!
//! A destroyed name leaves the buffer at the next search after its destruction: its bytes are overwritten
//! at once and the buffer is compacted when a share of it is blank. Nothing of it is written to any file.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use memchr::memmem;
use sqlx::Row;

use crate::{Db, on_pool};

/// What follows each entry's text in the buffer, and what a removed entry's text is overwritten with: no
/// normalised text or word of a search holds it, so no match starts in a removed entry or spans two.
const SEPARATOR: u8 = b'\n';

/// The streams whose events change the case list.
const APPLICATION: &str = "Application";

/// How many events, and rows, are read at a time when catching up or building.
const READ_AT_ONCE: i64 = 5_000;

/// The most ids named in one statement that reads rows again.
const IDS_A_STATEMENT: usize = 500;

/// A case-list row as the search holds it: the columns the list is filtered and ordered by, and the text
/// its words are found in.
#[derive(Clone, Debug, PartialEq)]
pub struct Indexed {
    pub id: String,
    pub updated_at: DateTime<Utc>,
    pub cycle: String,
    pub status: String,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub mean_score: Option<f64>,
    /// The name and email address, normalised ([`search_text_of`]).
    pub text: String,
}

/// How many rows of one cycle, country of residence and status passed a search.
pub type Counted = (Arc<str>, Option<Arc<str>>, Arc<str>, i64);

/// A row that passed a search: what the list is ordered by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub updated_at: DateTime<Utc>,
    pub id: Arc<str>,
}

/// What a search asks beside its words: the list's other filters, as the case list's query applies them.
#[derive(Debug, Default)]
pub struct Wanted<'a> {
    /// The normalised words, each of which must be in the text.
    pub words: &'a [String],
    /// An id matched exactly, whatever the words.
    pub id: Option<&'a str>,
    pub cycle: Option<&'a str>,
    pub status: Option<&'a str>,
    /// The nationality or the country of residence.
    pub country: Option<&'a str>,
    pub min_score: Option<f64>,
    /// Only these applications (a committee member's assignments), where given.
    pub among: Option<&'a HashSet<String>>,
    /// Cycles whose applications are left out (concluded, for a member's list).
    pub not_in_cycles: Option<&'a HashSet<String>>,
}

/// The values of the few columns that repeat (cycles, statuses, countries), each kept once; 0 is none.
#[derive(Default)]
struct Values {
    names: Vec<Arc<str>>,
    numbers: HashMap<Arc<str>, u32>,
}

impl Values {
    fn number(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return 0 };
        if let Some(number) = self.numbers.get(value) {
            return *number;
        }
        let name: Arc<str> = value.into();
        self.names.push(name.clone());
        let number = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.numbers.insert(name, number);
        number
    }

    /// The number of a value already held; `None` where no row has it.
    fn known(&self, value: &str) -> Option<u32> {
        self.numbers.get(value).copied()
    }

    fn name(&self, number: u32) -> Option<&Arc<str>> {
        number
            .checked_sub(1)
            .and_then(|n| self.names.get(n as usize))
    }
}

struct Entry {
    id: Arc<str>,
    updated_at: DateTime<Utc>,
    cycle: u32,
    status: u32,
    nationality: u32,
    residence: u32,
    mean_score: Option<f64>,
    /// The entry's text is `text[start..end - 1]`, followed by the separator at `end - 1`; the entries tile
    /// the buffer in order.
    start: usize,
    end: usize,
    live: bool,
}

/// The texts of every application in one buffer, with the columns filtered by.
#[derive(Default)]
pub struct TextIndex {
    text: Vec<u8>,
    entries: Vec<Entry>,
    by_id: HashMap<Arc<str>, usize>,
    removed: usize,
    values: Values,
}

impl TextIndex {
    /// Puts a row in, in place of the row of the same id.
    pub fn put(&mut self, row: &Indexed) {
        self.remove(&row.id);
        let start = self.text.len();
        self.text
            .extend(row.text.bytes().filter(|byte| *byte != SEPARATOR));
        self.text.push(SEPARATOR);
        let id: Arc<str> = row.id.as_str().into();
        let entry = Entry {
            id: id.clone(),
            updated_at: row.updated_at,
            cycle: self.values.number(Some(&row.cycle)),
            status: self.values.number(Some(&row.status)),
            nationality: self.values.number(row.nationality.as_deref()),
            residence: self.values.number(row.country_of_residence.as_deref()),
            mean_score: row.mean_score,
            start,
            end: self.text.len(),
            live: true,
        };
        self.by_id.insert(id, self.entries.len());
        self.entries.push(entry);
    }

    /// Takes a row out, its text overwritten at once.
    pub fn remove(&mut self, id: &str) {
        let Some(n) = self.by_id.remove(id) else {
            return;
        };
        let entry = &mut self.entries[n];
        entry.live = false;
        self.text[entry.start..entry.end].fill(SEPARATOR);
        self.removed += 1;
        if self.removed > 1_000 && self.removed * 2 > self.entries.len() {
            self.compact();
        }
    }

    /// Writes the live entries into a new buffer, the removed ones left behind.
    fn compact(&mut self) {
        let live = self.entries.len() - self.removed;
        let mut text = Vec::with_capacity(self.text.len() / 2 + 1);
        let mut entries = Vec::with_capacity(live);
        self.by_id.clear();
        for mut entry in std::mem::take(&mut self.entries) {
            if !entry.live {
                continue;
            }
            let start = text.len();
            text.extend_from_slice(&self.text[entry.start..entry.end]);
            entry.start = start;
            entry.end = text.len();
            self.by_id.insert(entry.id.clone(), entries.len());
            entries.push(entry);
        }
        self.text.fill(SEPARATOR);
        self.text = text;
        self.entries = entries;
        self.removed = 0;
    }

    /// How many rows the index holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The bytes the index holds in its buffer and its entries (its maps aside): what a server's memory
    /// grows by with the store.
    pub fn bytes(&self) -> usize {
        self.text.capacity() + self.entries.capacity() * std::mem::size_of::<Entry>()
    }

    /// The live entries whose text holds every word: the longest word found in the whole buffer, the others
    /// in each entry it was found in. No word, no entry.
    fn with_words(&self, words: &[String]) -> Vec<usize> {
        let Some(longest) = words.iter().max_by_key(|word| word.len()) else {
            return Vec::new();
        };
        if longest.is_empty() {
            return Vec::new();
        }
        let others: Vec<memmem::Finder<'_>> = words
            .iter()
            .filter(|word| !std::ptr::eq(*word, longest))
            .map(|word| memmem::Finder::new(word.as_bytes()))
            .collect();
        let mut found = Vec::new();
        let mut at_entry = 0;
        for at in memmem::find_iter(&self.text, longest.as_bytes()) {
            at_entry += self.entries[at_entry..].partition_point(|entry| entry.end <= at);
            let Some(entry) = self.entries.get(at_entry) else {
                break;
            };
            if found.last() == Some(&at_entry) || !entry.live {
                continue;
            }
            let text = &self.text[entry.start..entry.end];
            if others.iter().all(|word| word.find(text).is_some()) {
                found.push(at_entry);
            }
        }
        found
    }

    /// The rows a search passes, most recently changed first (the latest id first among rows changed at the
    /// same moment), as the case list orders them.
    pub fn search(&self, wanted: &Wanted<'_>) -> Vec<Hit> {
        let mut candidates = self.with_words(wanted.words);
        if let Some(&n) = wanted.id.and_then(|id| self.by_id.get(id))
            && !candidates.contains(&n)
        {
            candidates.push(n);
        }
        let Some(test) = self.test(wanted) else {
            return Vec::new();
        };
        let mut hits: Vec<Hit> = candidates
            .into_iter()
            .map(|n| &self.entries[n])
            .filter(|entry| test(entry))
            .map(|entry| Hit {
                updated_at: entry.updated_at,
                id: entry.id.clone(),
            })
            .collect();
        hits.sort_unstable_by(|a, b| b.cmp(a));
        hits
    }

    /// The rows a search passes, counted by cycle, country of residence and status.
    pub fn tally(&self, wanted: &Wanted<'_>) -> Vec<Counted> {
        let hits = self.search(wanted);
        let mut counted: HashMap<(u32, u32, u32), i64> = HashMap::new();
        for hit in &hits {
            if let Some(&n) = self.by_id.get(&hit.id) {
                let entry = &self.entries[n];
                *counted
                    .entry((entry.cycle, entry.residence, entry.status))
                    .or_default() += 1;
            }
        }
        let mut tallies: Vec<_> = counted
            .into_iter()
            .filter_map(|((cycle, residence, status), count)| {
                Some((
                    self.values.name(cycle)?.clone(),
                    self.values.name(residence).cloned(),
                    self.values.name(status)?.clone(),
                    count,
                ))
            })
            .collect();
        tallies.sort();
        tallies
    }

    /// The test of the filters beside the words, or `None` where one names a value no row has.
    fn test<'w>(&self, wanted: &'w Wanted<'_>) -> Option<impl Fn(&Entry) -> bool + 'w> {
        let number = |value: Option<&str>| -> Option<Option<u32>> {
            match value {
                None => Some(None),
                Some(value) => self.values.known(value).map(Some),
            }
        };
        let cycle = number(wanted.cycle)?;
        let status = number(wanted.status)?;
        let country = number(wanted.country)?;
        let excluded: HashSet<u32> = wanted
            .not_in_cycles
            .into_iter()
            .flatten()
            .filter_map(|cycle| self.values.known(cycle))
            .collect();
        Some(move |entry: &Entry| {
            cycle.is_none_or(|cycle| entry.cycle == cycle)
                && status.is_none_or(|status| entry.status == status)
                && country.is_none_or(|country| {
                    entry.nationality == country || entry.residence == country
                })
                && wanted
                    .min_score
                    .is_none_or(|min| entry.mean_score.is_some_and(|score| score >= min))
                && wanted.among.is_none_or(|among| among.contains(&*entry.id))
                && !excluded.contains(&entry.cycle)
        })
    }
}

/// Where the index has read the event log to: every event at or before it is in the index.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Position {
    /// PostgreSQL's transaction id of the event (0 on SQLite).
    tx: i64,
    global: i64,
}

#[derive(Default)]
struct Progress {
    /// The id of the store the index was built from (`store_identity`): another id, another store (a
    /// database made anew under the same name), and the index is built again.
    store: Option<String>,
    position: Position,
    /// Events after the position already applied, not yet settled (PostgreSQL: a transaction older than
    /// theirs is still running), by transaction and position.
    seen: HashSet<(i64, i64)>,
    /// When the last catch-up began: a search asked before it needs no other.
    began: Option<Instant>,
}

/// One store's index, shared by every search of this server on that store.
#[derive(Default)]
struct Shared {
    index: RwLock<TextIndex>,
    progress: tokio::sync::Mutex<Progress>,
}

/// The indexes of the stores this server searches, by the store's address.
static INDEXES: LazyLock<Mutex<HashMap<String, Arc<Shared>>>> = LazyLock::new(Default::default);

fn shared(db: &Db) -> Arc<Shared> {
    let address = match db {
        Db::Postgres(pool) => {
            let options = pool.connect_options();
            format!(
                "postgres://{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            )
        }
        Db::Sqlite(pool) => format!(
            "sqlite://{}",
            pool.connect_options().get_filename().display()
        ),
    };
    INDEXES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(address)
        .or_default()
        .clone()
}

/// Builds the store's index now, so that the first search does not wait for it (at a million applications,
/// seconds); answers how many rows it holds.
pub async fn warm(db: &Db) -> Result<usize, sqlx::Error> {
    let shared = current(db).await?;
    let held = shared
        .index
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    Ok(held)
}

/// The rows a search passes, on an index brought up to date with the log first.
pub async fn search(db: &Db, wanted: &Wanted<'_>) -> Result<Vec<Hit>, sqlx::Error> {
    let shared = current(db).await?;
    let index = shared.index.read().unwrap_or_else(PoisonError::into_inner);
    Ok(index.search(wanted))
}

/// The rows a search passes, counted by cycle, country of residence and status.
pub async fn tally(db: &Db, wanted: &Wanted<'_>) -> Result<Vec<Counted>, sqlx::Error> {
    let shared = current(db).await?;
    let index = shared.index.read().unwrap_or_else(PoisonError::into_inner);
    Ok(index.tally(wanted))
}

/// The store's index, built or brought up to date with every event committed before this call.
async fn current(db: &Db) -> Result<Arc<Shared>, sqlx::Error> {
    let shared = shared(db);
    catch_up(db, &shared).await?;
    Ok(shared)
}

async fn catch_up(db: &Db, shared: &Shared) -> Result<(), sqlx::Error> {
    let asked = Instant::now();
    let mut progress = shared.progress.lock().await;
    if progress.began.is_some_and(|began| began >= asked) {
        // Another search caught up after this one was asked: what it read covers this one.
        return Ok(());
    }
    let began = Instant::now();
    let store: String =
        on_pool!(db, p => sqlx::query_scalar("SELECT id FROM store_identity").fetch_one(p).await?);
    if progress.store.as_deref() != Some(store.as_str()) {
        let position = position_now(db).await?;
        let index = build(db).await?;
        *shared.index.write().unwrap_or_else(PoisonError::into_inner) = index;
        progress.store = Some(store);
        progress.position = position;
    } else {
        // Events are read in commit order from the position. Those of transactions older than every one
        // still running are settled: nothing can commit before them any more, and the position moves past
        // them. Later ones are committed too (this statement sees them) but one still running may yet
        // commit before them: they are applied now, so a caseworker finds what was just written, and
        // remembered (`seen`), and the position stays before them until they are settled.
        let mut from = progress.position;
        let mut settled_so_far = true;
        loop {
            let events = changed_since(db, from).await?;
            let more = events.len() as i64 == READ_AT_ONCE;
            let mut ids = Vec::new();
            let mut unsettled = Vec::new();
            for event in &events {
                let key = (event.tx, event.global);
                settled_so_far &= event.settled;
                if settled_so_far {
                    progress.position = Position {
                        tx: event.tx,
                        global: event.global,
                    };
                } else {
                    unsettled.push(key);
                }
                if event.aggregate_type == APPLICATION && !progress.seen.contains(&key) {
                    ids.push(event.id.clone());
                }
            }
            ids.sort_unstable();
            ids.dedup();
            if !ids.is_empty() {
                let rows = rows_of(db, &ids).await?;
                let mut index = shared.index.write().unwrap_or_else(PoisonError::into_inner);
                for id in &ids {
                    match rows.get(id.as_str()) {
                        Some(row) => index.put(row),
                        None => index.remove(id),
                    }
                }
            }
            progress.seen.extend(unsettled);
            match events.last() {
                Some(last) if more => {
                    from = Position {
                        tx: last.tx,
                        global: last.global,
                    }
                }
                _ => break,
            }
        }
        let settled = progress.position;
        progress
            .seen
            .retain(|&(tx, global)| (tx, global) > (settled.tx, settled.global));
    }
    progress.began = Some(began);
    Ok(())
}

/// A position before every event not yet committed: events after it may already be in the case list, and
/// are read again, which changes nothing.
async fn position_now(db: &Db) -> Result<Position, sqlx::Error> {
    Ok(match db {
        Db::Postgres(p) => {
            let oldest: i64 =
                sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                    .fetch_one(p)
                    .await?;
            Position {
                tx: oldest - 1,
                global: i64::MAX,
            }
        }
        Db::Sqlite(p) => Position {
            tx: 0,
            global: sqlx::query_scalar("SELECT COALESCE(MAX(global_position), 0) FROM events")
                .fetch_one(p)
                .await?,
        },
    })
}

/// An application's event after the position, in commit order.
#[derive(sqlx::FromRow)]
struct Changed {
    aggregate_type: String,
    #[sqlx(rename = "aggregate_id")]
    id: String,
    tx: i64,
    #[sqlx(rename = "global_position")]
    global: i64,
    /// Every transaction that could yet commit before it has ended (on SQLite, always).
    settled: bool,
}

/// The log's events after a position, in commit order, a few thousand at most.
async fn changed_since(db: &Db, from: Position) -> Result<Vec<Changed>, sqlx::Error> {
    // Every kind of stream is read and the applications' events kept here, rather than asked of the
    // database: SQLite would otherwise find the events by type, on the log's primary key, and sort every
    // application's event by position on each search (measured: a second a search at 100,000).
    const POSTGRES: &str = "SELECT aggregate_type, aggregate_id, tx, global_position, \
         tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS settled FROM events \
         WHERE (tx, global_position) > ($1, $2) ORDER BY tx, global_position LIMIT $3";
    const SQLITE: &str = "SELECT aggregate_type, aggregate_id, 0 AS tx, global_position, TRUE AS settled \
         FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2";
    Ok(match db {
        Db::Postgres(p) => {
            sqlx::query_as(POSTGRES)
                .bind(from.tx)
                .bind(from.global)
                .bind(READ_AT_ONCE)
                .fetch_all(p)
                .await?
        }
        Db::Sqlite(p) => {
            sqlx::query_as(SQLITE)
                .bind(from.global)
                .bind(READ_AT_ONCE)
                .fetch_all(p)
                .await?
        }
    })
}

const COLUMNS: &str = "id, updated_at, cycle, status, nationality, country_of_residence, mean_score, full_name, email";

fn indexed(row: &impl RowOf) -> Result<Indexed, sqlx::Error> {
    row.indexed()
}

/// Reads a case-list row as the index holds it, whichever the store.
trait RowOf {
    fn indexed(&self) -> Result<Indexed, sqlx::Error>;
}

macro_rules! row_of {
    ($row:ty) => {
        impl RowOf for $row {
            fn indexed(&self) -> Result<Indexed, sqlx::Error> {
                let full_name: Option<String> = self.try_get("full_name")?;
                let email: Option<String> = self.try_get("email")?;
                Ok(Indexed {
                    id: self.try_get("id")?,
                    updated_at: self.try_get("updated_at")?,
                    cycle: self.try_get("cycle")?,
                    status: self.try_get("status")?,
                    nationality: self.try_get("nationality")?,
                    country_of_residence: self.try_get("country_of_residence")?,
                    mean_score: self.try_get("mean_score")?,
                    text: search_text_of(full_name.as_deref(), email.as_deref()),
                })
            }
        }
    };
}
row_of!(sqlx::postgres::PgRow);
row_of!(sqlx::sqlite::SqliteRow);

/// The whole case list, read a few thousand rows at a time in the order of the id.
async fn build(db: &Db) -> Result<TextIndex, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM case_list WHERE id > $1 ORDER BY id LIMIT $2");
    let mut index = TextIndex::default();
    let mut after = String::new();
    loop {
        let rows: Vec<Indexed> = on_pool!(db, p => sqlx::query(&sql)
            .bind(&after)
            .bind(READ_AT_ONCE)
            .fetch_all(p)
            .await?
            .iter()
            .map(indexed)
            .collect::<Result<_, _>>()?);
        for row in &rows {
            index.put(row);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == READ_AT_ONCE => after = last.id.clone(),
            _ => return Ok(index),
        }
    }
}

/// The case-list rows of these applications, by id; an application without one has none.
async fn rows_of(db: &Db, ids: &[String]) -> Result<HashMap<String, Indexed>, sqlx::Error> {
    let mut rows = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_A_STATEMENT) {
        let sql = format!(
            "SELECT {COLUMNS} FROM case_list WHERE id IN ({})",
            crate::db::placeholders(1, chunk.len())
        );
        let read: Vec<Indexed> = on_pool!(db, p => {
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            query.fetch_all(p).await?.iter().map(indexed).collect::<Result<_, _>>()?
        });
        rows.extend(read.into_iter().map(|row| (row.id.clone(), row)));
    }
    Ok(rows)
}

/// What the text search of the list matches for an application: its applicant's name and email address,
/// each [`normalised`], one after the other. (A short reference given to applications would join them
/// here, and be matched exactly beside the id in the case list's search.)
pub fn search_text_of(full_name: Option<&str>, email: Option<&str>) -> String {
    [full_name, email]
        .into_iter()
        .flatten()
        .map(normalised)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text as the search compares it: compatibility-decomposed, marks stripped, lower case, and white space
/// collapsed to single spaces, so that "Zoë Ådler-Núñez" reads "zoe adler-nunez" and a query typed without
/// its accents (or in capitals, or in full-width letters) finds it. The few Latin letters that decompose
/// into no base letter are spelled as they are commonly typed without them (ø as o, ß as ss).
pub fn normalised(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut folded = String::with_capacity(text.len());
    for c in text
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && *c != '\0')
        .flat_map(char::to_lowercase)
    {
        match c {
            'ø' => folded.push('o'),
            'ł' => folded.push('l'),
            'đ' | 'ð' => folded.push('d'),
            'ı' => folded.push('i'),
            'æ' => folded.push_str("ae"),
            'œ' => folded.push_str("oe"),
            'ß' => folded.push_str("ss"),
            'þ' => folded.push_str("th"),
            c => folded.push(c),
        }
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, minute: u32, name: &str, email: &str) -> Indexed {
        Indexed {
            id: id.into(),
            updated_at: DateTime::from_timestamp(1_767_225_600 + i64::from(minute) * 60, 0)
                .unwrap(),
            cycle: "2026-27".into(),
            status: "submitted".into(),
            nationality: Some("Kenya".into()),
            country_of_residence: Some("Ghana".into()),
            mean_score: None,
            text: search_text_of(Some(name), Some(email)),
        }
    }

    fn words(text: &str) -> Vec<String> {
        normalised(text).split(' ').map(str::to_owned).collect()
    }

    fn ids(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|hit| &*hit.id).collect()
    }

    fn found(index: &TextIndex, text: &str) -> Vec<String> {
        let words = words(text);
        index
            .search(&Wanted {
                words: &words,
                ..Wanted::default()
            })
            .iter()
            .map(|hit| hit.id.to_string())
            .collect()
    }

    #[test]
    fn every_word_is_found_in_any_part_of_the_name_or_the_email_latest_first() {
        let mut index = TextIndex::default();
        index.put(&row("a", 1, "Test Zoë Ådler", "zoe@example.test"));
        index.put(&row("b", 2, "Test Adlerson", "b@example.test"));
        index.put(&row("c", 3, "Test Other", "adler.c@example.test"));
        assert_eq!(found(&index, "ADLER"), ["c", "b", "a"]);
        assert_eq!(found(&index, "zoe adler"), ["a"]);
        assert_eq!(found(&index, "adler zoe"), ["a"]);
        assert_eq!(found(&index, "dler@"), Vec::<String>::new());
        assert_eq!(found(&index, "adler.c@exa"), ["c"]);
        assert_eq!(found(&index, "nobody"), Vec::<String>::new());
        assert_eq!(found(&index, ""), Vec::<String>::new());
    }

    #[test]
    fn a_word_never_matches_across_two_rows() {
        let mut index = TextIndex::default();
        index.put(&row("a", 1, "Test Ann", "x@example.test"));
        index.put(&row("b", 2, "Test Bee", "y@example.test"));
        assert_eq!(found(&index, "test ann"), ["a"]);
        assert_eq!(found(&index, "annx"), Vec::<String>::new());
        assert_eq!(found(&index, "exampletest"), Vec::<String>::new());
    }

    #[test]
    fn a_row_put_again_replaces_its_text_and_a_removed_one_leaves_nothing_behind() {
        let mut index = TextIndex::default();
        index.put(&row("a", 1, "Test Firstname", "a@example.test"));
        index.put(&row("a", 2, "Test Secondname", "a@example.test"));
        assert_eq!(found(&index, "firstname"), Vec::<String>::new());
        assert_eq!(found(&index, "secondname"), ["a"]);
        assert_eq!(index.len(), 1);
        index.remove("a");
        assert!(index.is_empty());
        assert!(
            !index.text.windows(10).any(|w| w == b"secondname"),
            "the text is overwritten at once"
        );
        assert_eq!(found(&index, "example"), Vec::<String>::new());
    }

    #[test]
    fn the_buffer_is_compacted_when_half_of_it_is_removed_and_the_rest_still_found() {
        let mut index = TextIndex::default();
        for n in 0..3_000 {
            index.put(&row(
                &format!("id-{n:05}"),
                n,
                &format!("Test Name{n:05}"),
                "x@example.test",
            ));
        }
        for n in 0..2_000 {
            index.remove(&format!("id-{n:05}"));
        }
        assert_eq!(index.len(), 1_000);
        assert!(
            index.entries.len() < 2_000,
            "compacted: {}",
            index.entries.len()
        );
        assert_eq!(found(&index, "name02500"), ["id-02500"]);
        assert_eq!(found(&index, "name00500"), Vec::<String>::new());
        assert_eq!(found(&index, "example").len(), 1_000);
    }

    #[test]
    fn the_other_filters_are_applied_as_the_list_applies_them() {
        let mut index = TextIndex::default();
        let mut scored = row("a", 1, "Test Same", "a@example.test");
        scored.mean_score = Some(30.0);
        index.put(&scored);
        let mut elsewhere = row("b", 2, "Test Same", "b@example.test");
        elsewhere.nationality = Some("Peru".into());
        elsewhere.country_of_residence = None;
        elsewhere.cycle = "2025-26".into();
        index.put(&elsewhere);
        let words = words("same");
        let search = |wanted: Wanted<'_>| ids(&index.search(&wanted)).join(",");
        let base = || Wanted {
            words: &words,
            ..Wanted::default()
        };
        assert_eq!(search(base()), "b,a");
        assert_eq!(
            search(Wanted {
                country: Some("Ghana"),
                ..base()
            }),
            "a"
        );
        assert_eq!(
            search(Wanted {
                country: Some("Peru"),
                ..base()
            }),
            "b"
        );
        assert_eq!(
            search(Wanted {
                country: Some("Chile"),
                ..base()
            }),
            ""
        );
        assert_eq!(
            search(Wanted {
                cycle: Some("2025-26"),
                ..base()
            }),
            "b"
        );
        assert_eq!(
            search(Wanted {
                min_score: Some(25.0),
                ..base()
            }),
            "a"
        );
        assert_eq!(
            search(Wanted {
                status: Some("draft"),
                ..base()
            }),
            ""
        );
        let among: HashSet<String> = ["b".to_string()].into();
        assert_eq!(
            search(Wanted {
                among: Some(&among),
                ..base()
            }),
            "b"
        );
        let concluded: HashSet<String> = ["2025-26".to_string()].into();
        assert_eq!(
            search(Wanted {
                not_in_cycles: Some(&concluded),
                ..base()
            }),
            "a"
        );
        assert_eq!(
            search(Wanted {
                words: &[],
                id: Some("b"),
                ..Wanted::default()
            }),
            "b",
            "the id alone"
        );
    }
}
