//! The applications that name each referee, by the referee's email address as given in the form (in lower
//! case): the index a subject access request by a referee reads. A function of the application's view, like
//! the published lists; an application whose personal data is destroyed leaves it.

use std::collections::BTreeSet;

use crate::application_view::ApplicationView;
use crate::{Conn, Db, ProjectionError, on_conn, on_pool};

/// The referees' email addresses an application's form gives, cleaned and in lower case.
fn emails(view: &ApplicationView) -> BTreeSet<String> {
    view.form
        .referees
        .iter()
        .map(|referee| crate::db::clean_text(&referee.email).trim().to_lowercase())
        .filter(|email| !email.is_empty())
        .collect()
}

/// Whether the event left the index as it was.
pub(crate) fn unchanged(before: &ApplicationView, view: &ApplicationView) -> bool {
    emails(before) == emails(view)
}

/// Brings the application's rows to the referees its view now names, writing only where they differ.
pub(crate) async fn project(
    conn: &mut Conn<'_>,
    before: Option<&ApplicationView>,
    view: &ApplicationView,
) -> Result<(), ProjectionError> {
    let was = before.map(emails).unwrap_or_default();
    let now = emails(view);
    for gone in was.difference(&now) {
        const SQL: &str = "DELETE FROM referee_index WHERE application_id = $1 AND email = $2";
        on_conn!(conn, c => sqlx::query(SQL).bind(&view.id).bind(gone).execute(&mut *c).await?.rows_affected());
    }
    for added in now.difference(&was) {
        const SQL: &str = "INSERT INTO referee_index (application_id, email) VALUES ($1, $2) \
                           ON CONFLICT (application_id, email) DO NOTHING";
        on_conn!(conn, c => sqlx::query(SQL).bind(&view.id).bind(added).execute(&mut *c).await?.rows_affected());
    }
    Ok(())
}

/// Indexes the referees of many views, into an emptied index.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    let rows: Vec<(&str, String)> = views
        .iter()
        .flat_map(|view| {
            emails(view)
                .into_iter()
                .map(|email| (view.id.as_str(), email))
        })
        .collect();
    for chunk in rows.chunks(crate::application_view::ROWS_A_STATEMENT) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new("INSERT INTO referee_index (application_id, email) ");
            insert.push_values(chunk, |mut b, (id, email)| {
                b.push_bind(*id).push_bind(email);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

/// An application whose personal data is destroyed leaves the index.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "referee_index", "application_id", None, ids).await?;
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    crate::db::empty_partitioned(conn, "referee_index").await?;
    Ok(())
}

/// The applications whose form names a referee with this email address.
pub async fn naming(db: &Db, email: &str) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str =
        "SELECT application_id FROM referee_index WHERE email = $1 ORDER BY application_id";
    let email = crate::db::clean_text(email).trim().to_lowercase();
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(&email).fetch_all(p).await)
}
