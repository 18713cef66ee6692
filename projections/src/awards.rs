//! The dates an award's administration waits on, one row each: an open offer's reply-by date, and every
//! progress report due and not yet recorded. The daily sweep lapses the offers whose date has passed; the
//! programme officer's desk lists the reports due and overdue. A fold of the application's view, with no
//! personal data; a destroyed application leaves it with its other views.

use chrono::NaiveDate;
use sqlx::Row;

use domain::application::Status;
use domain::application::award::OfferState;

use crate::application_view::ApplicationView;
use crate::{Conn, Db, ProjectionError, on_conn, on_pool};

/// What a date is.
pub const REPLY_BY: &str = "reply_by";
pub const REPORT_DUE: &str = "report_due";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct AwardDate {
    kind: &'static str,
    due_on: NaiveDate,
}

fn rows_of(view: &ApplicationView) -> Vec<AwardDate> {
    let mut rows = Vec::new();
    if let Some(offer) = &view.administration.offer
        && offer.state == OfferState::Open
        && view.status == Status::Selected
    {
        rows.push(AwardDate {
            kind: REPLY_BY,
            due_on: offer.reply_by,
        });
    }
    if view.status == Status::Awarded {
        let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
        rows.extend(
            view.administration
                .outstanding(terms)
                .into_iter()
                .map(|due_on| AwardDate {
                    kind: REPORT_DUE,
                    due_on,
                }),
        );
    }
    rows.sort();
    rows.dedup();
    rows
}

/// Whether the event that took the view from `before` to `view` leaves the application's dates as they were.
pub(crate) fn unchanged(before: &ApplicationView, view: &ApplicationView) -> bool {
    rows_of(before) == rows_of(view)
}

/// Brings the application's dates to what its view now holds, writing only when they differ.
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
    forget(conn, &[&view.id]).await?;
    insert(conn, &view.id, &now).await
}

async fn insert(conn: &mut Conn<'_>, id: &str, rows: &[AwardDate]) -> Result<(), ProjectionError> {
    for row in rows {
        const SQL: &str =
            "INSERT INTO award_dates (application_id, kind, due_on) VALUES ($1, $2, $3)";
        on_conn!(conn, c => sqlx::query(SQL)
            .bind(id).bind(row.kind).bind(row.due_on)
            .execute(&mut *c).await?.rows_affected());
    }
    Ok(())
}

/// Inserts the dates of many applications (a rebuild). Only offers and awards have any, so a row at a time.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    for view in views {
        insert(conn, &view.id, &rows_of(view)).await?;
    }
    Ok(())
}

/// Deletes an application's dates.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "award_dates", "application_id", None, ids).await?;
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => sqlx::query("DELETE FROM award_dates").execute(&mut *c).await?.rows_affected());
    Ok(())
}

/// The applications whose open offer's reply-by date is before `on`: lapsed on that day.
pub async fn offers_lapsed_by(db: &Db, on: NaiveDate) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT application_id FROM award_dates WHERE kind = $1 AND due_on < $2 \
                       ORDER BY due_on, application_id";
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(REPLY_BY).bind(on).fetch_all(p).await)
}

/// A progress report due and not yet recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportDue {
    pub application_id: String,
    pub due_on: NaiveDate,
}

/// The progress reports due on or before `until` and not yet recorded, earliest first.
pub async fn reports_due_by(db: &Db, until: NaiveDate) -> Result<Vec<ReportDue>, sqlx::Error> {
    const SQL: &str = "SELECT application_id, due_on FROM award_dates WHERE kind = $1 AND due_on <= $2 \
                       ORDER BY due_on, application_id";
    on_pool!(db, p => sqlx::query(SQL).bind(REPORT_DUE).bind(until).fetch_all(p).await?
        .iter().map(|row| Ok(ReportDue {
            application_id: row.try_get("application_id")?,
            due_on: row.try_get("due_on")?,
        })).collect())
}
