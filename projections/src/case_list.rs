//! The programme officers' case list: one row per application with the columns they filter by, and the
//! committee's assignments, so a member's own list is one indexed query. It is searched by any part of a
//! name or an email address on an index each server holds in memory ([`crate::case_search`]: the database
//! keeps no copy of the text), paged from the last row shown (a [`Cursor`]), and counted only up to
//! [`COUNT_CAP`] (docs/decisions/0012, 0013).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use domain::access::{Section, View};
use domain::application::ApplicationEvent;
use domain::application::form::PersonalField;
use serde_json::{Map, Value, json};

use std::collections::{HashMap, HashSet};

use crate::application_view::ApplicationView;
use crate::case_search::{Hit, Wanted};
pub use crate::case_search::{normalised, search_text_of};
use crate::{Conn, Db, ProjectionError, on_conn, on_pool};

/// The case list's columns, in the order [`upsert`] binds them.
macro_rules! case_list_columns {
    () => {
        "id, cycle, status, full_name, email, nationality, country_of_residence, submitted_at, updated_at, \
         mean_score, scores, recheck_due"
    };
}
/// What an upsert of a case-list row does to the row it meets.
macro_rules! case_list_on_conflict {
    () => {
        "ON CONFLICT (id) DO UPDATE SET cycle = excluded.cycle, status = excluded.status, \
         full_name = excluded.full_name, email = excluded.email, nationality = excluded.nationality, \
         country_of_residence = excluded.country_of_residence, submitted_at = excluded.submitted_at, \
         updated_at = excluded.updated_at, mean_score = excluded.mean_score, scores = excluded.scores, \
         recheck_due = excluded.recheck_due"
    };
}
/// Binds a case-list row's values to a query, in the order of [`case_list_columns`].
macro_rules! bind_case_row {
    ($query:expr, $row:expr) => {{
        let row: &CaseSummary = $row;
        $query
            .bind(&row.id)
            .bind(&row.cycle)
            .bind(&row.status)
            .bind(&row.full_name)
            .bind(&row.email)
            .bind(&row.nationality)
            .bind(&row.country_of_residence)
            .bind(row.submitted_at)
            .bind(row.updated_at)
            .bind(row.mean_score)
            .bind(row.scores)
            .bind(row.recheck_due)
    }};
}
pub(crate) use {bind_case_row, case_list_columns, case_list_on_conflict};

/// One row of the case list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseSummary {
    pub id: String,
    pub cycle: String,
    pub status: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub mean_score: Option<f64>,
    pub scores: i64,
    /// Nationality or residence was amended after eligibility was decided, not yet checked again.
    pub recheck_due: bool,
}

/// What the case list is filtered by; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub cycle: Option<String>,
    pub status: Option<String>,
    /// Matches the nationality or the country of residence.
    pub country: Option<String>,
    /// Matches the application id exactly, or, word by word, any part of the applicant's name or email
    /// address, accents and case ignored.
    pub text: Option<String>,
    /// The lowest mean committee score (0–40) to list.
    pub min_score: Option<f64>,
    /// Only the applications assigned to this committee member (and not conflicted).
    pub assigned_to: Option<String>,
    pub limit: i64,
    /// Rows to skip from the start of the list, where no cursor is given (kept for API clients; the pages
    /// and the services page with [`Cursor`]s).
    pub offset: i64,
    /// The page after or before a row of an earlier page.
    pub cursor: Option<Cursor>,
}

/// Keeps the application's row in step with its view (written only when a column changes) and records the
/// committee's assignments.
pub(crate) async fn project(
    conn: &mut Conn<'_>,
    before: Option<&ApplicationView>,
    view: &ApplicationView,
    payload: &ApplicationEvent,
) -> Result<(), ProjectionError> {
    let row = CaseSummary::of(view);
    if before.map(CaseSummary::of).as_ref() != Some(&row) {
        upsert(conn, &row).await?;
    }
    match payload {
        ApplicationEvent::CommitteeMemberAssigned { member_id } => {
            const SQL: &str = "INSERT INTO case_assignments (application_id, member_id, conflicted) \
                               VALUES ($1, $2, FALSE) ON CONFLICT (application_id, member_id) DO NOTHING";
            on_conn!(conn, c => sqlx::query(SQL).bind(&view.id).bind(member_id).execute(&mut *c).await?.rows_affected());
        }
        ApplicationEvent::ConflictDeclared { member_id, .. } => {
            const SQL: &str = "UPDATE case_assignments SET conflicted = TRUE WHERE application_id = $1 AND member_id = $2";
            on_conn!(conn, c => sqlx::query(SQL).bind(&view.id).bind(member_id).execute(&mut *c).await?.rows_affected());
        }
        _ => {}
    }
    Ok(())
}

impl CaseSummary {
    /// The row the case list holds for an application's view.
    pub(crate) fn of(view: &ApplicationView) -> Self {
        let scores = view
            .committee
            .iter()
            .filter(|m| m.conflict.is_none() && m.scores.is_some())
            .count() as i64;
        Self {
            id: view.id.clone(),
            cycle: view.cycle.clone(),
            status: view.status.as_str().to_owned(),
            full_name: view.form.personal.full_name.clone(),
            email: view
                .form
                .personal
                .email
                .as_ref()
                .map(|email| email.to_lowercase()),
            nationality: view.form.personal.nationality.clone(),
            country_of_residence: view.form.personal.country_of_residence.clone(),
            submitted_at: view.submitted_at,
            updated_at: view.updated_at,
            mean_score: view.mean_score(),
            scores,
            recheck_due: view.recheck.is_some(),
        }
    }
}

impl CaseSummary {
    /// The row as a reader with this view may see it (`domain::access`: each column shown only where its
    /// section, or its personal field, is), and whether what is shown carries personal data.
    pub fn shown(&self, view: &View) -> (Value, bool) {
        let mut row = Map::new();
        let mut personal = false;
        let mut put = |key: &str, value: Value| {
            row.insert(key.to_string(), value);
        };
        put("id", json!(self.id));
        if view.shows(Section::Cycle) {
            put("cycle", json!(self.cycle));
        }
        if view.shows(Section::Status) {
            put("status", json!(self.status));
        }
        for (field, key, value) in [
            (PersonalField::FullName, "full_name", &self.full_name),
            (PersonalField::Email, "email", &self.email),
            (PersonalField::Nationality, "nationality", &self.nationality),
            (
                PersonalField::CountryOfResidence,
                "country_of_residence",
                &self.country_of_residence,
            ),
        ] {
            if view.shows_field(field) {
                personal = true;
                put(key, json!(value));
            }
        }
        if view.shows(Section::SubmittedAt) {
            put("submitted_at", json!(self.submitted_at));
        }
        if view.shows(Section::UpdatedAt) {
            put("updated_at", json!(self.updated_at));
        }
        if view.shows(Section::MeanScore) {
            put("mean_score", json!(self.mean_score));
        }
        if view.shows(Section::Committee) {
            put("scores", json!(self.scores));
        }
        if view.shows(Section::Recheck) {
            put("recheck_due", json!(self.recheck_due));
        }
        (Value::Object(row), personal)
    }
}

/// Inserts the rows of many applications (a rebuild): on PostgreSQL in one statement, the columns sent as
/// arrays; on SQLite many rows to a statement.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    let rows: Vec<CaseSummary> = views.iter().map(|view| CaseSummary::of(view)).collect();
    write_many(conn, &rows, false).await
}

/// Writes the rows of applications whose events changed them (a batch of many applications' events), as
/// [`project`] writes each: only where the row differs between the view before and after.
pub(crate) async fn upsert_changed(
    conn: &mut Conn<'_>,
    views: &[(&ApplicationView, &ApplicationView)],
) -> Result<(), ProjectionError> {
    let rows: Vec<CaseSummary> = views
        .iter()
        .filter_map(|(before, view)| {
            let row = CaseSummary::of(view);
            (CaseSummary::of(before) != row).then_some(row)
        })
        .collect();
    write_many(conn, &rows, true).await
}

/// Inserts rows (or, with `upsert`, inserts or replaces them): on PostgreSQL in one statement, the columns
/// sent as arrays; on SQLite many rows to a statement.
async fn write_many(
    conn: &mut Conn<'_>,
    rows: &[CaseSummary],
    upsert: bool,
) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    let on_conflict = if upsert {
        concat!(" ", case_list_on_conflict!())
    } else {
        ""
    };
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = concat!(
                "INSERT INTO case_list (",
                case_list_columns!(),
                ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::float8[], $11::bigint[], \
                 $12::bool[])"
            );
            let sql = format!("{SQL}{on_conflict}");
            sqlx::query(&sql)
                .bind(rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.cycle.as_str()).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
                .bind(
                    rows.iter()
                        .map(|r| r.full_name.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(rows.iter().map(|r| r.email.as_deref()).collect::<Vec<_>>())
                .bind(
                    rows.iter()
                        .map(|r| r.nationality.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    rows.iter()
                        .map(|r| r.country_of_residence.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(rows.iter().map(|r| r.submitted_at).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.updated_at).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.mean_score).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.scores).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.recheck_due).collect::<Vec<_>>())
                .execute(&mut **c)
                .await?;
        }
        Conn::Sqlite(c) => {
            for chunk in rows.chunks(crate::application_view::ROWS_A_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::new(concat!(
                    "INSERT INTO case_list (",
                    case_list_columns!(),
                    ") "
                ));
                insert.push_values(chunk, |mut b, row| {
                    b.push_bind(&row.id)
                        .push_bind(&row.cycle)
                        .push_bind(&row.status)
                        .push_bind(&row.full_name)
                        .push_bind(&row.email)
                        .push_bind(&row.nationality)
                        .push_bind(&row.country_of_residence)
                        .push_bind(row.submitted_at)
                        .push_bind(row.updated_at)
                        .push_bind(row.mean_score)
                        .push_bind(row.scores)
                        .push_bind(row.recheck_due);
                });
                insert.push(on_conflict);
                insert.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

/// Inserts committee assignments (application, member, conflicted) of many applications (a rebuild): on
/// PostgreSQL in one statement, on SQLite many rows to a statement.
pub(crate) async fn insert_assignments(
    conn: &mut Conn<'_>,
    assignments: &[(&str, &str, bool)],
) -> Result<(), ProjectionError> {
    if assignments.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO case_assignments (application_id, member_id, conflicted) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bool[])";
            sqlx::query(SQL)
                .bind(assignments.iter().map(|a| a.0).collect::<Vec<_>>())
                .bind(assignments.iter().map(|a| a.1).collect::<Vec<_>>())
                .bind(assignments.iter().map(|a| a.2).collect::<Vec<_>>())
                .execute(&mut **c)
                .await?;
        }
        Conn::Sqlite(c) => {
            for chunk in assignments.chunks(crate::application_view::ROWS_A_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO case_assignments (application_id, member_id, conflicted) ",
                );
                insert.push_values(chunk, |mut b, (application, member, conflicted)| {
                    b.push_bind(*application)
                        .push_bind(*member)
                        .push_bind(*conflicted);
                });
                insert.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

async fn upsert(conn: &mut Conn<'_>, row: &CaseSummary) -> Result<(), ProjectionError> {
    const SQL: &str = concat!(
        "INSERT INTO case_list (",
        case_list_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ",
        case_list_on_conflict!()
    );
    on_conn!(conn, c => bind_case_row!(sqlx::query(SQL), row)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// Deletes an application from the case list and its assignments.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "case_assignments", "application_id", None, ids).await?;
    crate::db::delete_many(conn, "case_list", "id", None, ids).await?;
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    crate::db::empty_partitioned(conn, "case_assignments").await?;
    crate::db::empty_partitioned(conn, "case_list").await?;
    Ok(())
}

/// The most a list's total is counted to: beyond it the total is given as "more than" this many, so that a
/// page costs the same however large the store (docs/decisions/0012).
pub const COUNT_CAP: i64 = 10_000;

/// The most words of a search that are matched; the rest are ignored.
const MOST_WORDS: usize = 8;

/// A position in the list, most recently changed first: the page after a row (`Next`), or the page before
/// one (`Previous`). Sent to clients as an opaque string ([`Cursor::encode`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Cursor {
    Next {
        updated_at: DateTime<Utc>,
        id: String,
    },
    Previous {
        updated_at: DateTime<Utc>,
        id: String,
    },
}

impl Cursor {
    /// The cursor as a client carries it: URL-safe base64 of its direction, its row's time to the
    /// nanosecond and its row's id.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let (direction, at, id) = match self {
            Cursor::Next { updated_at, id } => ('n', updated_at, id),
            Cursor::Previous { updated_at, id } => ('p', updated_at, id),
        };
        let plain = format!(
            "{direction}{}.{:09}.{id}",
            at.timestamp(),
            at.timestamp_subsec_nanos()
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(plain)
    }

    /// A cursor given back by a client, or `None` where it is not one [`Cursor::encode`] writes.
    pub fn decode(text: &str) -> Option<Self> {
        use base64::Engine;
        let text = text.trim();
        if text.is_empty() || text.len() > 400 {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        let plain = String::from_utf8(bytes).ok()?;
        let mut chars = plain.chars();
        let direction = chars.next()?;
        let mut parts = chars.as_str().splitn(3, '.');
        let seconds: i64 = parts.next()?.parse().ok()?;
        let nanos = parts.next()?;
        if nanos.len() != 9 {
            return None;
        }
        let nanos: u32 = nanos.parse().ok()?;
        let id = parts.next()?.to_string();
        if id.is_empty() || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return None;
        }
        let updated_at = DateTime::from_timestamp(seconds, nanos)?;
        match direction {
            'n' => Some(Cursor::Next { updated_at, id }),
            'p' => Some(Cursor::Previous { updated_at, id }),
            _ => None,
        }
    }

    fn next_after(case: &CaseSummary) -> Self {
        Cursor::Next {
            updated_at: case.updated_at,
            id: case.id.clone(),
        }
    }

    fn previous_before(case: &CaseSummary) -> Self {
        Cursor::Previous {
            updated_at: case.updated_at,
            id: case.id.clone(),
        }
    }
}

/// How many cases pass a filter: exactly, or (`exact: false`) more than `count`, which is [`COUNT_CAP`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Total {
    pub count: i64,
    pub exact: bool,
}

/// One page of the list: its cases, how many pass the filter, and the cursors of the pages beside it.
#[derive(Clone, Debug)]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    pub total: Total,
    pub next: Option<Cursor>,
    pub previous: Option<Cursor>,
}

/// A value bound to the list's query.
enum Bound {
    Text(String),
    Score(f64),
    Time(DateTime<Utc>),
    Int(i64),
}

/// A query's conditions, numbered as they are pushed.
#[derive(Default)]
struct Conditions {
    sql: Vec<String>,
    bound: Vec<Bound>,
}

impl Conditions {
    /// Adds a condition; each `?` in it becomes the next parameter, bound in order to `values`.
    fn push(&mut self, condition: &str, values: impl IntoIterator<Item = Bound>) {
        let mut values = values.into_iter();
        let mut sql = String::with_capacity(condition.len() + 8);
        for (n, piece) in condition.split('?').enumerate() {
            if n > 0
                && let Some(value) = values.next()
            {
                sql.push_str(&self.placeholder(value));
            }
            sql.push_str(piece);
        }
        self.sql.push(sql);
    }

    fn placeholder(&mut self, value: Bound) -> String {
        self.bound.push(value);
        format!("${}", self.bound.len())
    }

    fn clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.sql.join(" AND "))
        }
    }
}

/// Binds the values of [`Conditions`] to a query, in order.
macro_rules! bind_all {
    ($query:expr, $bound:expr) => {{
        let mut query = $query;
        for value in $bound {
            query = match value {
                Bound::Text(text) => query.bind(text),
                Bound::Score(score) => query.bind(score),
                Bound::Time(at) => query.bind(at),
                Bound::Int(n) => query.bind(n),
            };
        }
        query
    }};
}

/// The longest word of a search that is matched, in characters; a longer one is cut to it (no name or
/// email address has a longer part, and the index is not asked for thousands of trigrams).
const LONGEST_WORD: usize = 100;

/// The words of a search, [`normalised`]: at most [`MOST_WORDS`], each at most [`LONGEST_WORD`] long.
fn search_words(text: &str) -> Vec<String> {
    normalised(text)
        .split(' ')
        .filter(|word| !word.is_empty())
        .take(MOST_WORDS)
        .map(|word| word.chars().take(LONGEST_WORD).collect())
        .collect()
}

/// A filter's value as it is compared: without control characters, `None` where empty.
fn cleaned(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(crate::db::clean_text)
        .filter(|value| !value.is_empty())
}

/// A filter with a text search, as the index in memory is asked it ([`crate::case_search`]).
struct Searched {
    /// The text as typed, in lower case: an application's id matched exactly.
    id: String,
    words: Vec<String>,
    cycle: Option<String>,
    status: Option<String>,
    country: Option<String>,
    min_score: Option<f64>,
    among: Option<HashSet<String>>,
    concluded: HashSet<String>,
}

impl Searched {
    /// The filter's search, or `None` where it has no text to search for.
    async fn of(db: &Db, filter: &CaseFilter) -> Result<Option<Self>, sqlx::Error> {
        let Some(text) = cleaned(&filter.text)
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
        else {
            return Ok(None);
        };
        let (among, concluded) = match cleaned(&filter.assigned_to) {
            Some(member) => {
                const ASSIGNED: &str = "SELECT application_id FROM case_assignments \
                                        WHERE member_id = $1 AND conflicted = FALSE";
                const CONCLUDED: &str = "SELECT name FROM cycle_conclusions";
                let assigned: Vec<String> = on_pool!(db, p => sqlx::query_scalar(ASSIGNED).bind(&member).fetch_all(p).await?);
                let concluded: Vec<String> =
                    on_pool!(db, p => sqlx::query_scalar(CONCLUDED).fetch_all(p).await?);
                (
                    Some(assigned.into_iter().collect()),
                    concluded.into_iter().collect(),
                )
            }
            None => (None, HashSet::new()),
        };
        Ok(Some(Self {
            id: text.to_lowercase(),
            words: search_words(&text),
            cycle: cleaned(&filter.cycle),
            status: cleaned(&filter.status),
            country: cleaned(&filter.country),
            min_score: filter.min_score,
            among,
            concluded,
        }))
    }

    fn wanted(&self) -> Wanted<'_> {
        Wanted {
            words: &self.words,
            id: Some(&self.id),
            cycle: self.cycle.as_deref(),
            status: self.status.as_deref(),
            country: self.country.as_deref(),
            min_score: self.min_score,
            among: self.among.as_ref(),
            not_in_cycles: Some(&self.concluded),
        }
    }
}

/// The conditions of a filter without its text (searched in memory) and its cursor.
fn conditions(filter: &CaseFilter) -> Conditions {
    let clean = cleaned;
    let mut conditions = Conditions::default();
    if let Some(cycle) = clean(&filter.cycle) {
        conditions.push("cycle = ?", [Bound::Text(cycle)]);
    }
    if let Some(status) = clean(&filter.status) {
        conditions.push("status = ?", [Bound::Text(status)]);
    }
    if let Some(country) = clean(&filter.country) {
        conditions.push(
            "(nationality = ? OR country_of_residence = ?)",
            [Bound::Text(country.clone()), Bound::Text(country)],
        );
    }
    if let Some(min_score) = filter.min_score {
        conditions.push("mean_score >= ?", [Bound::Score(min_score)]);
    }
    if let Some(member) = clean(&filter.assigned_to) {
        conditions.push(
            "id IN (SELECT application_id FROM case_assignments WHERE member_id = ? AND conflicted = FALSE)",
            [Bound::Text(member)],
        );
        // A committee member's assignments end with their cycle's conclusion.
        conditions.push("cycle NOT IN (SELECT name FROM cycle_conclusions)", []);
    }
    conditions
}

const CASE_COLUMNS: &str = "id, cycle, status, full_name, email, nationality, country_of_residence, \
     submitted_at, updated_at, mean_score, scores, recheck_due";

/// The cases that pass the filter, most recently changed first (the latest id first among rows changed at
/// the same moment), from the filter's cursor (or its offset, without one); how many pass it, counted up to
/// [`COUNT_CAP`]; and the cursors of the pages before and after.
pub async fn search(db: &Db, filter: &CaseFilter) -> Result<CasePage, sqlx::Error> {
    let limit = filter.limit.max(1);
    let hits = match Searched::of(db, filter).await? {
        Some(searched) => Some(crate::case_search::search(db, &searched.wanted()).await?),
        None => None,
    };
    let hits = hits.as_deref();
    let total = match hits {
        Some(hits) => {
            let passing = i64::try_from(hits.len()).unwrap_or(i64::MAX);
            Total {
                count: passing.min(COUNT_CAP),
                exact: passing <= COUNT_CAP,
            }
        }
        None => count(db, &conditions(filter)).await?,
    };
    let first_page = |rows: Vec<CaseSummary>| {
        let (cases, more) = split_page(rows, limit);
        CasePage {
            next: more.then(|| cases.last().map(Cursor::next_after)).flatten(),
            previous: (filter.offset > 0)
                .then(|| cases.first().map(Cursor::previous_before))
                .flatten(),
            cases,
            total,
        }
    };
    match &filter.cursor {
        None => Ok(first_page(
            page_rows(db, filter, hits, None, limit, filter.offset).await?,
        )),
        Some(cursor @ Cursor::Next { updated_at, id }) => {
            let (cases, more) = split_page(
                page_rows(db, filter, hits, Some(cursor), limit, 0).await?,
                limit,
            );
            let previous = Some(match cases.first() {
                Some(first) => Cursor::previous_before(first),
                None => Cursor::Previous {
                    updated_at: *updated_at,
                    id: id.clone(),
                },
            });
            Ok(CasePage {
                next: more.then(|| cases.last().map(Cursor::next_after)).flatten(),
                previous,
                cases,
                total,
            })
        }
        Some(cursor @ Cursor::Previous { .. }) => {
            let (mut cases, more) = split_page(
                page_rows(db, filter, hits, Some(cursor), limit, 0).await?,
                limit,
            );
            if !more {
                // Back at the start of the list: the first page, whole.
                let (cases, more) =
                    split_page(page_rows(db, filter, hits, None, limit, 0).await?, limit);
                return Ok(CasePage {
                    next: more.then(|| cases.last().map(Cursor::next_after)).flatten(),
                    previous: None,
                    cases,
                    total,
                });
            }
            cases.reverse();
            Ok(CasePage {
                next: cases.last().map(Cursor::next_after),
                previous: cases.first().map(Cursor::previous_before),
                cases,
                total,
            })
        }
    }
}

/// Up to `limit + 1` rows from a cursor (or, without one, after skipping `skip`): most recently changed
/// first, or, before a `Previous` cursor, the rows just before it nearest first. From the rows a search in
/// memory passed (`hits`, in the list's order), or else from the database.
async fn page_rows(
    db: &Db,
    filter: &CaseFilter,
    hits: Option<&[Hit]>,
    cursor: Option<&Cursor>,
    limit: i64,
    skip: i64,
) -> Result<Vec<CaseSummary>, sqlx::Error> {
    let take = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    if let Some(hits) = hits {
        let key = |hit: &Hit| (hit.updated_at, hit.id.clone());
        let ids: Vec<&str> = match cursor {
            None => hits
                .iter()
                .skip(usize::try_from(skip.max(0)).unwrap_or(usize::MAX))
                .take(take)
                .map(|hit| &*hit.id)
                .collect(),
            Some(Cursor::Next { updated_at, id }) => {
                let at = (*updated_at, std::sync::Arc::<str>::from(id.as_str()));
                let from = hits.partition_point(|hit| key(hit) >= at);
                hits[from..].iter().take(take).map(|hit| &*hit.id).collect()
            }
            Some(Cursor::Previous { updated_at, id }) => {
                let at = (*updated_at, std::sync::Arc::<str>::from(id.as_str()));
                let to = hits.partition_point(|hit| key(hit) > at);
                hits[to.saturating_sub(take)..to]
                    .iter()
                    .rev()
                    .map(|hit| &*hit.id)
                    .collect()
            }
        };
        return rows_in_order(db, &ids).await;
    }
    let mut query = conditions(filter);
    let ascending = matches!(cursor, Some(Cursor::Previous { .. }));
    match cursor {
        Some(Cursor::Next { updated_at, id }) => query.push(
            "(updated_at, id) < (?, ?)",
            [Bound::Time(*updated_at), Bound::Text(id.clone())],
        ),
        Some(Cursor::Previous { updated_at, id }) => query.push(
            "(updated_at, id) > (?, ?)",
            [Bound::Time(*updated_at), Bound::Text(id.clone())],
        ),
        None => {}
    }
    let order = if ascending {
        "updated_at ASC, id ASC"
    } else {
        "updated_at DESC, id DESC"
    };
    let take = query.placeholder(Bound::Int(limit.saturating_add(1)));
    let skip = query.placeholder(Bound::Int(if cursor.is_none() { skip.max(0) } else { 0 }));
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM case_list{} ORDER BY {order} LIMIT {take} OFFSET {skip}",
        query.clause()
    );
    rows(db, (sql, query.bound)).await
}

/// The rows of these applications, in the order given; one gone meanwhile is left out.
async fn rows_in_order(db: &Db, ids: &[&str]) -> Result<Vec<CaseSummary>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM case_list WHERE id IN ({})",
        crate::db::placeholders(1, ids.len())
    );
    let bound = ids.iter().map(|id| Bound::Text((*id).to_owned())).collect();
    let mut found: HashMap<String, CaseSummary> = rows(db, (sql, bound))
        .await?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(*id)).collect())
}

/// The first `limit` rows, and whether there were more.
fn split_page(mut rows: Vec<CaseSummary>, limit: i64) -> (Vec<CaseSummary>, bool) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// How many applications of one cycle, country of residence and status there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub cycle: String,
    pub country_of_residence: Option<String>,
    pub status: String,
    pub count: i64,
}

/// The applications the filter's conditions pass (its paging ignored), counted by cycle, country of
/// residence and status: the statistics of an FOI response, counted by the database in one statement
/// rather than read row by row (a million rows of names into memory at a million applications).
pub async fn tallies(db: &Db, filter: &CaseFilter) -> Result<Vec<Tally>, sqlx::Error> {
    if let Some(searched) = Searched::of(db, filter).await? {
        let counted = crate::case_search::tally(db, &searched.wanted()).await?;
        return Ok(counted
            .into_iter()
            .map(|(cycle, country, status, count)| Tally {
                cycle: cycle.to_string(),
                country_of_residence: country.map(|country| country.to_string()),
                status: status.to_string(),
                count,
            })
            .collect());
    }
    let conditions = conditions(filter);
    let sql = format!(
        "SELECT cycle, country_of_residence, status, COUNT(*) AS counted FROM case_list{} \
         GROUP BY cycle, country_of_residence, status ORDER BY cycle, country_of_residence, status",
        conditions.clause()
    );
    on_pool!(db, p => {
        let rows = bind_all!(sqlx::query(&sql), conditions.bound.iter()).fetch_all(p).await?;
        rows.into_iter()
            .map(|row| {
                Ok(Tally {
                    cycle: row.try_get("cycle")?,
                    country_of_residence: row.try_get("country_of_residence")?,
                    status: row.try_get("status")?,
                    count: row.try_get("counted")?,
                })
            })
            .collect()
    })
}

async fn count(db: &Db, conditions: &Conditions) -> Result<Total, sqlx::Error> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM case_list{} LIMIT {}) AS passing",
        conditions.clause(),
        COUNT_CAP + 1
    );
    let counted: i64 = on_pool!(db, p => bind_all!(sqlx::query_scalar(&sql), conditions.bound.iter()).fetch_one(p).await?);
    Ok(Total {
        count: counted.min(COUNT_CAP),
        exact: counted <= COUNT_CAP,
    })
}

async fn rows(
    db: &Db,
    (sql, bound): (String, Vec<Bound>),
) -> Result<Vec<CaseSummary>, sqlx::Error> {
    on_pool!(db, p => {
        let rows = bind_all!(sqlx::query(&sql), bound.iter()).fetch_all(p).await?;
        rows.into_iter()
            .map(|row| {
                Ok(CaseSummary {
                    id: row.try_get("id")?,
                    cycle: row.try_get("cycle")?,
                    status: row.try_get("status")?,
                    full_name: row.try_get("full_name")?,
                    email: row.try_get("email")?,
                    nationality: row.try_get("nationality")?,
                    country_of_residence: row.try_get("country_of_residence")?,
                    submitted_at: row.try_get("submitted_at")?,
                    updated_at: row.try_get("updated_at")?,
                    mean_score: row.try_get("mean_score")?,
                    scores: row.try_get("scores")?,
                    recheck_due: row.try_get("recheck_due")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })
}

/// The applications whose personal details give this email address.
pub async fn with_email(db: &Db, email: &str) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT id FROM case_list WHERE email = $1 ORDER BY id";
    let email = crate::db::clean_text(email).trim().to_lowercase();
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(&email).fetch_all(p).await)
}

/// Given an application's view, the case list's row: what it copies, the email in lower case, and the
/// marks counted only from members without a conflict.
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::application::Status;
    use domain::application::events::Scores;
    use domain::{Actor, Role};

    use crate::application_view::{CommitteeMemberView, ConflictView, RecheckView};
    use crate::{EventMetadata, RecordedEvent};

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 10, 0, 0)
            .single()
            .expect("a valid time")
    }

    fn started() -> ApplicationView {
        let event = RecordedEvent {
            aggregate_type: "Application".to_string(),
            aggregate_id: "application-1".to_string(),
            sequence: 1,
            event_type: "ApplicationStarted".to_string(),
            payload: Value::Null,
            metadata: EventMetadata::new(&Actor::new("applicant-1", Role::Applicant), at(1)),
        };
        ApplicationView::started(&event, "2026-27", "applicant-1")
    }

    fn member(id: &str, mark: u8, conflicted: bool) -> CommitteeMemberView {
        CommitteeMemberView {
            member_id: id.to_string(),
            assigned_at: at(4),
            conflict: conflicted.then(|| ConflictView {
                reason: None,
                declared_at: at(5),
            }),
            scores: Some(Scores {
                leadership: mark,
                networking: mark,
                study_plan: mark,
                career_plan: mark,
                comment: String::new(),
            }),
            scored_at: Some(at(5)),
        }
    }

    #[test]
    fn a_draft_is_listed_with_its_cycle_and_status_and_nothing_more() {
        let row = CaseSummary::of(&started());
        assert_eq!(row.id, "application-1");
        assert_eq!(row.cycle, "2026-27");
        assert_eq!(row.status, "draft");
        assert_eq!(row.full_name, None);
        assert_eq!(row.submitted_at, None);
        assert_eq!(row.updated_at, at(1));
        assert_eq!(row.mean_score, None);
        assert_eq!(row.scores, 0);
        assert!(!row.recheck_due);
    }

    #[test]
    fn the_row_copies_the_person_lowers_the_email_and_counts_marks_without_conflicts() {
        let mut view = started();
        view.status = Status::UnderReview;
        view.form.personal.full_name = Some("Test Applicant One".to_string());
        view.form.personal.email = Some("Applicant.One@Example.TEST".to_string());
        view.form.personal.nationality = Some("Ghana".to_string());
        view.form.personal.country_of_residence = Some("Kenya".to_string());
        view.submitted_at = Some(at(3));
        view.committee = vec![
            member("member-1", 8, false),
            member("member-2", 6, false),
            member("member-3", 1, true),
        ];
        view.recheck = Some(RecheckView {
            fields: vec![PersonalField::Nationality],
            since: at(6),
        });
        let row = CaseSummary::of(&view);
        assert_eq!(row.status, "under_review");
        assert_eq!(row.full_name.as_deref(), Some("Test Applicant One"));
        assert_eq!(row.email.as_deref(), Some("applicant.one@example.test"));
        assert_eq!(row.nationality.as_deref(), Some("Ghana"));
        assert_eq!(row.country_of_residence.as_deref(), Some("Kenya"));
        assert_eq!(row.submitted_at, Some(at(3)));
        assert_eq!(row.scores, 2);
        assert_eq!(row.mean_score, Some(28.0));
        assert!(row.recheck_due);
    }

    #[test]
    fn a_name_is_searched_without_its_accents_its_case_or_its_extra_spaces() {
        assert_eq!(normalised("Zoë  Ådler-Núñez "), "zoe adler-nunez");
        assert_eq!(normalised("ＡＤＬＥＲ"), "adler");
        assert_eq!(
            normalised("Søren Łukasz Straße Æsir"),
            "soren lukasz strasse aesir"
        );
        assert_eq!(normalised("Ça\u{0}va"), "cava");
    }

    #[test]
    fn a_search_is_cut_to_eight_words_of_at_most_a_hundred_characters() {
        let words = search_words(&format!("{} b c d e f g h i j", "a".repeat(500)));
        assert_eq!(words.len(), MOST_WORDS);
        assert_eq!(words[0], "a".repeat(LONGEST_WORD));
        assert_eq!(words[7], "h");
        assert_eq!(search_words("  Núñez\tZOË "), ["nunez", "zoe"]);
    }

    #[test]
    fn the_search_text_holds_the_name_and_the_email_normalised() {
        assert_eq!(
            search_text_of(Some("Zoë Ådler"), Some("zoe@example.test")),
            "zoe adler zoe@example.test"
        );
        assert_eq!(
            search_text_of(None, Some("A@Example.TEST")),
            "a@example.test"
        );
        assert_eq!(search_text_of(None, None), "");
    }

    #[test]
    fn a_cursor_reads_back_as_it_was_written_and_nothing_else_reads_as_one() {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
            .single()
            .expect("a valid time")
            + chrono::Duration::nanoseconds(123_456_789);
        for cursor in [
            Cursor::Next {
                updated_at: at,
                id: "application-1".into(),
            },
            Cursor::Previous {
                updated_at: at,
                id: "0190a0b2-0000-7000-8000-000000000001".into(),
            },
        ] {
            assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        }
        for text in [
            "",
            "garbage",
            "bjE3.MDAw",
            "n1.000000000.id",
            &"a".repeat(500),
        ] {
            assert_eq!(Cursor::decode(text), None, "{text}");
        }
    }
}
