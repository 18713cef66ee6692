//! Who looked at an application's personal data: every read of it by staff (who, when, which case, through
//! which screen or answer).
//!
//! Reads change nothing, so they are not events of the application (they would take its sequence numbers
//! and collide with its commands); they are kept here, beside the views. Not being a fold of the log, this
//! table is left alone by a rebuild, and it is destroyed with the application's personal data, in the same
//! transaction (see `destroy_application`). docs/decisions/0002-reads-of-personal-data.md says why.

use chrono::{DateTime, Utc};
use serde::Serialize;

use domain::{Actor, Role};

use crate::{Conn, Db, ProjectionError, on_conn, on_pool};

/// What a read went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    /// `GET /api/applications/{id}`, or a command's answer carrying the application.
    Api,
    /// The immigration records of the application.
    ImmigrationRecords,
    /// The case list, `GET /api/applications` (staff's and committee members'): one read per application
    /// shown with personal data.
    CaseList,
    /// The case desk's list, `/cases`: one read per application shown.
    CasesPage,
    /// A committee member's list of assignments, `/committee`: one read per application shown by name.
    CommitteeList,
    /// The case page, `/cases/{id}`.
    CasePage,
    /// The committee's page of the application.
    CommitteePage,
    /// A subject access request's response gathered the subject's records.
    SubjectAccessResponse,
}

impl Through {
    pub fn as_str(self) -> &'static str {
        match self {
            Through::Api => "api",
            Through::ImmigrationRecords => "immigration_records",
            Through::CaseList => "case_list",
            Through::CasesPage => "cases_page",
            Through::CommitteeList => "committee_list",
            Through::CasePage => "case_page",
            Through::CommitteePage => "committee_page",
            Through::SubjectAccessResponse => "subject_access_response",
        }
    }
}

/// One recorded read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Read {
    pub application_id: String,
    pub at: DateTime<Utc>,
    pub reader_id: String,
    /// The reader's name, where the account is still there.
    pub reader_name: Option<String>,
    pub reader_role: String,
    pub through: String,
}

/// Whether a read by this person is recorded: staff reads are; an applicant reading their own is not.
pub fn is_recorded(reader: &Actor) -> bool {
    reader.role != Role::Applicant
}

/// Records that `reader` read the personal data of the applications, now, in one insert however many
/// they are (a list or a search records every application it shows). A read by the applicant is not
/// recorded.
///
/// The service records through its store (`EventRepository::record_reads`), which on SQLite writes in the
/// turn of this process's group commit rather than beside it; this is for tools and tests.
pub async fn record(
    db: &Db,
    application_ids: &[&str],
    reader: &Actor,
    through: Through,
) -> Result<(), sqlx::Error> {
    if !is_recorded(reader) || application_ids.is_empty() {
        return Ok(());
    }
    match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            record_on(
                &mut Conn::Sqlite(&mut conn),
                application_ids,
                reader,
                through,
            )
            .await
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            record_on(
                &mut Conn::Postgres(&mut conn),
                application_ids,
                reader,
                through,
            )
            .await
        }
    }
}

/// As [`record`], on a connection or transaction already held.
pub async fn record_on(
    conn: &mut Conn<'_>,
    application_ids: &[&str],
    reader: &Actor,
    through: Through,
) -> Result<(), sqlx::Error> {
    if !is_recorded(reader) || application_ids.is_empty() {
        return Ok(());
    }
    let at = Utc::now();
    on_conn!(conn, c => {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO personal_data_reads (id, application_id, reader_id, reader_role, what, at) ",
        );
        insert.push_values(application_ids, |mut row, id| {
            row.push_bind(uuid::Uuid::now_v7().to_string())
                .push_bind(*id)
                .push_bind(&reader.user_id)
                .push_bind(reader.role.as_str())
                .push_bind(through.as_str())
                .push_bind(at);
        });
        insert.build().execute(&mut *c).await?.rows_affected()
    });
    Ok(())
}

/// The reads of one application, oldest first.
pub async fn of_application(db: &Db, application_id: &str) -> Result<Vec<Read>, sqlx::Error> {
    of_applications(db, &[application_id]).await
}

/// application_id, at, reader_id, reader_name, reader_role, through.
type ReadRow = (
    String,
    DateTime<Utc>,
    String,
    Option<String>,
    String,
    String,
);

/// The reads of several applications (a subject's), oldest first.
pub async fn of_applications(db: &Db, application_ids: &[&str]) -> Result<Vec<Read>, sqlx::Error> {
    if application_ids.is_empty() {
        return Ok(Vec::new());
    }
    on_pool!(db, p => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT r.application_id, r.at, r.reader_id, a.full_name, r.reader_role, r.what \
             FROM personal_data_reads r LEFT JOIN accounts a ON a.id = r.reader_id \
             WHERE r.application_id IN (",
        );
        let mut ids = query.separated(", ");
        for id in application_ids {
            ids.push_bind(*id);
        }
        query.push(") ORDER BY r.at, r.id");
        let rows: Vec<ReadRow> = query.build_query_as().fetch_all(p).await?;
        Ok(rows
            .into_iter()
            .map(|(application_id, at, reader_id, reader_name, reader_role, through)| Read {
                application_id,
                at,
                reader_id,
                reader_name,
                reader_role,
                through,
            })
            .collect())
    })
}

/// The reads of an application whose personal data is destroyed go with it.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "personal_data_reads", "application_id", None, ids).await?;
    Ok(())
}
