//! The programme officers' case list: one row per application with the columns they filter by, and the
//! committee's assignments, so a member's own list is one indexed query.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use domain::access::{Section, View};
use domain::application::ApplicationEvent;
use domain::application::form::PersonalField;
use serde_json::{Map, Value, json};

use crate::application_view::ApplicationView;
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
    /// Matches the application id exactly, or part of the applicant's name or email address.
    pub text: Option<String>,
    /// The lowest mean committee score (0–40) to list.
    pub min_score: Option<f64>,
    /// Only the applications assigned to this committee member (and not conflicted).
    pub assigned_to: Option<String>,
    pub limit: i64,
    pub offset: i64,
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
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = concat!(
                "INSERT INTO case_list (",
                case_list_columns!(),
                ") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::float8[], $11::bigint[], \
                 $12::bool[])"
            );
            sqlx::query(SQL)
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
pub(crate) async fn forget(conn: &mut Conn<'_>, id: &str) -> Result<(), ProjectionError> {
    on_conn!(conn, c => {
        sqlx::query("DELETE FROM case_assignments WHERE application_id = $1").bind(id).execute(&mut *c).await?;
        sqlx::query("DELETE FROM case_list WHERE id = $1").bind(id).execute(&mut *c).await?.rows_affected()
    });
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => {
        sqlx::query("DELETE FROM case_assignments").execute(&mut *c).await?;
        sqlx::query("DELETE FROM case_list").execute(&mut *c).await?.rows_affected()
    });
    Ok(())
}

/// The cases that pass the filter, most recently changed first, and how many pass it in all.
pub async fn search(db: &Db, filter: &CaseFilter) -> Result<(Vec<CaseSummary>, i64), sqlx::Error> {
    // A committee member's assignments end with their cycle's conclusion.
    let concluded = if filter.assigned_to.is_some() {
        " AND cycle NOT IN (SELECT name FROM cycle_conclusions)"
    } else {
        ""
    };
    const WHERE: &str = " WHERE ($1 IS NULL OR cycle = $1) AND ($2 IS NULL OR status = $2) \
        AND ($3 IS NULL OR nationality = $3 OR country_of_residence = $3) \
        AND ($4 IS NULL OR mean_score >= $4) \
        AND ($5 IS NULL OR id IN (SELECT application_id FROM case_assignments \
                                  WHERE member_id = $5 AND conflicted = FALSE)) \
        AND ($6 IS NULL OR id = $6 OR LOWER(full_name) LIKE $7 ESCAPE '\\' OR email LIKE $7 ESCAPE '\\')";
    let list = format!(
        "SELECT id, cycle, status, full_name, email, nationality, country_of_residence, submitted_at, updated_at, \
         mean_score, scores, recheck_due FROM case_list{WHERE}{concluded} ORDER BY updated_at DESC, id LIMIT $8 OFFSET $9"
    );
    let count = format!("SELECT COUNT(*) FROM case_list{WHERE}{concluded}");
    let clean = |value: &Option<String>| value.as_deref().map(crate::db::clean_text);
    let (cycle, status, country, assigned_to) = (
        clean(&filter.cycle),
        clean(&filter.status),
        clean(&filter.country),
        clean(&filter.assigned_to),
    );
    let text = clean(&filter.text)
        .map(|text| text.trim().to_lowercase())
        .filter(|text| !text.is_empty());
    // The typed text is matched literally: LIKE's wildcards in it are escaped.
    let pattern = text.as_ref().map(|text| {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    on_pool!(db, p => {
        let rows = sqlx::query(&list)
            .bind(&cycle)
            .bind(&status)
            .bind(&country)
            .bind(filter.min_score)
            .bind(&assigned_to)
            .bind(&text)
            .bind(&pattern)
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(p)
            .await?;
        let total: i64 = sqlx::query_scalar(&count)
            .bind(&cycle)
            .bind(&status)
            .bind(&country)
            .bind(filter.min_score)
            .bind(&assigned_to)
            .bind(&text)
            .bind(&pattern)
            .fetch_one(p)
            .await?;
        let cases = rows
            .into_iter()
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
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((cases, total))
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
}
