//! The committee's totals, one row per application and member, so a cycle's ranking is one indexed query
//! rather than a read of every application's whole view.
//!
//! A row is a function of the application's view: a member who scored the application and has not declared a
//! conflict of interest (declaring one takes the member's scores off the view, so they never count again),
//! on an application that is not withdrawn. A destroyed application leaves the table with its other views.
//! The total is derived from the member's marks, which the log keeps sealed as personal data; the table is
//! among those the retention sweep scrubs.

use std::collections::BTreeMap;

use sqlx::Row;

use domain::application::Status;
use domain::ranking::{MemberTotal, ScoredApplication};

use crate::application_view::ApplicationView;
use crate::{Conn, Db, ProjectionError, on_conn, on_pool};

/// One member's total for one application.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CommitteeScore {
    application_id: String,
    member_id: String,
    cycle: String,
    total: i64,
}

/// The rows an application's view puts in the table, by member.
fn rows_of(view: &ApplicationView) -> Vec<CommitteeScore> {
    if view.status == Status::Withdrawn {
        return Vec::new();
    }
    let mut rows: Vec<CommitteeScore> = view
        .committee
        .iter()
        .filter(|member| member.conflict.is_none())
        .filter_map(|member| {
            member.scores.as_ref().map(|scores| CommitteeScore {
                application_id: view.id.clone(),
                member_id: member.member_id.clone(),
                cycle: view.cycle.clone(),
                total: i64::from(scores.total()),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    rows.dedup_by(|a, b| a.member_id == b.member_id);
    rows
}

/// Whether the event that took the view from `before` to `view` leaves the application's rows as they were.
pub(crate) fn unchanged(before: &ApplicationView, view: &ApplicationView) -> bool {
    rows_of(before) == rows_of(view)
}

/// Brings the application's rows to what its view now holds, writing only when they differ from what the
/// view before the event put there.
pub(crate) async fn project(
    conn: &mut Conn<'_>,
    before: Option<&ApplicationView>,
    view: &ApplicationView,
) -> Result<(), ProjectionError> {
    let was = before.map(rows_of).unwrap_or_default();
    let now = rows_of(view);
    if was == now {
        return Ok(());
    }
    for gone in was
        .iter()
        .filter(|row| !now.iter().any(|n| n.member_id == row.member_id))
    {
        const SQL: &str =
            "DELETE FROM committee_scores WHERE application_id = $1 AND member_id = $2";
        on_conn!(conn, c => sqlx::query(SQL)
            .bind(&gone.application_id).bind(&gone.member_id)
            .execute(&mut *c).await?.rows_affected());
    }
    for row in now.iter().filter(|row| !was.contains(row)) {
        const SQL: &str = "INSERT INTO committee_scores (application_id, member_id, cycle, total) \
                           VALUES ($1, $2, $3, $4) ON CONFLICT (application_id, member_id) \
                           DO UPDATE SET cycle = excluded.cycle, total = excluded.total";
        on_conn!(conn, c => sqlx::query(SQL)
            .bind(&row.application_id).bind(&row.member_id).bind(&row.cycle).bind(row.total)
            .execute(&mut *c).await?.rows_affected());
    }
    Ok(())
}

/// Inserts the rows of many applications (a rebuild): on PostgreSQL in one statement, the columns sent as
/// arrays; on SQLite many rows to a statement.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    let rows: Vec<CommitteeScore> = views.iter().flat_map(|view| rows_of(view)).collect();
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO committee_scores (application_id, member_id, cycle, total) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])";
            sqlx::query(SQL)
                .bind(
                    rows.iter()
                        .map(|r| r.application_id.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    rows.iter()
                        .map(|r| r.member_id.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(rows.iter().map(|r| r.cycle.as_str()).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.total).collect::<Vec<_>>())
                .execute(&mut **c)
                .await?;
        }
        Conn::Sqlite(c) => {
            for chunk in rows.chunks(crate::application_view::ROWS_A_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO committee_scores (application_id, member_id, cycle, total) ",
                );
                insert.push_values(chunk, |mut b, row| {
                    b.push_bind(&row.application_id)
                        .push_bind(&row.member_id)
                        .push_bind(&row.cycle)
                        .push_bind(row.total);
                });
                insert.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

/// Deletes an application's rows.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "committee_scores", "application_id", None, ids).await?;
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    crate::db::empty_partitioned(conn, "committee_scores").await?;
    Ok(())
}

/// The cycle's scored applications, each with its members' totals and the applicant's nationality (from the
/// case list), in the order of their ids.
pub async fn of_cycle(db: &Db, cycle: &str) -> Result<Vec<ScoredApplication>, sqlx::Error> {
    const SQL: &str = "SELECT s.application_id, s.member_id, s.total, c.nationality \
                       FROM committee_scores s LEFT JOIN case_list c ON c.id = s.application_id \
                       WHERE s.cycle = $1 ORDER BY s.application_id, s.member_id";
    let rows: Vec<(String, String, i64, Option<String>)> = on_pool!(db, p => {
        sqlx::query(SQL)
            .bind(cycle)
            .fetch_all(p)
            .await?
            .into_iter()
            .map(|row| {
                Ok((
                    row.try_get("application_id")?,
                    row.try_get("member_id")?,
                    row.try_get("total")?,
                    row.try_get("nationality")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    let mut applications: BTreeMap<String, ScoredApplication> = BTreeMap::new();
    for (application_id, member_id, total, nationality) in rows {
        let application = applications
            .entry(application_id.clone())
            .or_insert_with(|| ScoredApplication {
                application_id,
                country: nationality,
                totals: Vec::new(),
            });
        application.totals.push(MemberTotal {
            member_id,
            total: u32::try_from(total).unwrap_or_default(),
        });
    }
    Ok(applications.into_values().collect())
}
