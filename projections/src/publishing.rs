//! The lists the programme publishes or shares, each enforcing one opt-out of the policy by construction:
//!
//! | list | who is on it | opt-out that keeps a person off |
//! | --- | --- | --- |
//! | scholar directory | current award holders | `networking_opt_out` |
//! | alumni networking scheme | alumni, with their email | `alumni_email_opt_out` |
//! | Alumni Open Book | alumni: name, subject, institution, level, outcome, year, country | `alumni_book_opt_out` |
//! | image consents | award holders and alumni | `images_opt_out` |
//!
//! No list holds anyone whose processing is restricted (UK GDPR Art 18), whatever their preferences.
//!
//! Each list is a table holding only the fields it shows. Its rows for an application are replaced in the
//! transaction of every event of that application, so a change of preference takes effect in the same
//! request that records it, and a rebuild from the log gives the same lists.

use chrono::Datelike;
use serde::Serialize;
use sqlx::Row;

use domain::application::Status;

use crate::application_view::ApplicationView;
use crate::{Conn, Db, ProjectionError, on_conn, on_pool};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DirectoryEntry {
    pub application_id: String,
    pub full_name: String,
    pub institution: String,
    pub course: String,
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkingEntry {
    pub application_id: String,
    pub full_name: String,
    pub email: String,
    pub institution: String,
    pub course: String,
    pub country: String,
}

/// An Alumni Open Book entry: what the policy allows to be published, and no contact data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenBookEntry {
    pub full_name: String,
    pub subject: String,
    pub institution: String,
    pub level: String,
    pub outcome: String,
    pub year: i64,
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MediaConsent {
    pub application_id: String,
    pub full_name: String,
}

const TABLES: [&str; 4] = [
    "scholar_directory",
    "alumni_networking",
    "alumni_open_book",
    "media_consents",
];

/// Takes an application off every list.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    for table in TABLES {
        crate::db::delete_many(conn, table, "application_id", None, ids).await?;
    }
    Ok(())
}

/// The rows one application's view puts on each list.
#[derive(Debug, Default, PartialEq)]
struct Listings {
    directory: Option<DirectoryEntry>,
    networking: Option<NetworkingEntry>,
    open_book: Option<OpenBookEntry>,
    media: Option<MediaConsent>,
}

impl Listings {
    fn of(view: &ApplicationView) -> Self {
        // `restriction_halts_every_use`: while processing is restricted at the subject's request, nothing of
        // them is published or shared; they return to the lists the day it is lifted.
        if view.restriction.is_some() {
            return Self::default();
        }
        let personal = &view.form.personal;
        let preferences = view.form.preferences;
        let (Some(full_name), Some(award)) = (personal.full_name.as_ref(), view.award.as_ref())
        else {
            return Self::default();
        };
        let Some(terms) = award.terms.as_ref() else {
            return Self::default();
        };
        let country = personal.nationality.clone().unwrap_or_default();
        let holder = view.status == Status::Awarded;
        let alumnus = view.status == Status::Alumni;
        Self {
            directory: (holder && !preferences.networking_opt_out).then(|| DirectoryEntry {
                application_id: view.id.clone(),
                full_name: full_name.clone(),
                institution: terms.institution.clone(),
                course: terms.course.clone(),
                country: country.clone(),
            }),
            networking: personal
                .email
                .as_ref()
                .filter(|_| alumnus && !preferences.alumni_email_opt_out)
                .map(|email| NetworkingEntry {
                    application_id: view.id.clone(),
                    full_name: full_name.clone(),
                    email: email.clone(),
                    institution: terms.institution.clone(),
                    course: terms.course.clone(),
                    country: country.clone(),
                }),
            open_book: (alumnus && !preferences.alumni_book_opt_out).then(|| OpenBookEntry {
                full_name: full_name.clone(),
                subject: terms.course.clone(),
                institution: terms.institution.clone(),
                level: terms.level.clone(),
                outcome: award.completion_outcome.clone().unwrap_or_default(),
                year: i64::from(award.awarded_at.year()),
                country: country.clone(),
            }),
            media: ((holder || alumnus) && !preferences.images_opt_out).then(|| MediaConsent {
                application_id: view.id.clone(),
                full_name: full_name.clone(),
            }),
        }
    }
}

async fn delete_from(conn: &mut Conn<'_>, table: &str, id: &str) -> Result<(), ProjectionError> {
    let sql = format!("DELETE FROM {table} WHERE application_id = $1");
    on_conn!(conn, c => sqlx::query(&sql).bind(id).execute(&mut *c).await?.rows_affected());
    Ok(())
}

/// Whether the event that took the view from `before` to `view` leaves the application's rows in every list
/// as they were.
pub(crate) fn unchanged(before: &ApplicationView, view: &ApplicationView) -> bool {
    Listings::of(before) == Listings::of(view)
}

/// Brings the application's rows in every list to what its view now allows, writing only the lists whose
/// rows differ from what the view before the event put there.
pub(crate) async fn project(
    conn: &mut Conn<'_>,
    before: Option<&ApplicationView>,
    view: &ApplicationView,
) -> Result<(), ProjectionError> {
    let was = before.map(Listings::of).unwrap_or_default();
    let now = Listings::of(view);
    if was == now {
        return Ok(());
    }
    let id = view.id.as_str();
    if was.directory != now.directory {
        delete_from(conn, TABLES[0], id).await?;
        if let Some(e) = &now.directory {
            const SQL: &str = "INSERT INTO scholar_directory (application_id, full_name, institution, course, country) \
                               VALUES ($1, $2, $3, $4, $5)";
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(id).bind(&e.full_name).bind(&e.institution).bind(&e.course).bind(&e.country)
                .execute(&mut *c).await?.rows_affected());
        }
    }
    if was.networking != now.networking {
        delete_from(conn, TABLES[1], id).await?;
        if let Some(e) = &now.networking {
            const SQL: &str = "INSERT INTO alumni_networking (application_id, full_name, email, institution, course, country) \
                               VALUES ($1, $2, $3, $4, $5, $6)";
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(id).bind(&e.full_name).bind(&e.email).bind(&e.institution).bind(&e.course).bind(&e.country)
                .execute(&mut *c).await?.rows_affected());
        }
    }
    if was.open_book != now.open_book {
        delete_from(conn, TABLES[2], id).await?;
        if let Some(e) = &now.open_book {
            const SQL: &str = "INSERT INTO alumni_open_book \
                               (application_id, full_name, subject, institution, level, outcome, year, country) \
                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
            on_conn!(conn, c => sqlx::query(SQL)
                .bind(id)
                .bind(&e.full_name)
                .bind(&e.subject)
                .bind(&e.institution)
                .bind(&e.level)
                .bind(&e.outcome)
                .bind(e.year)
                .bind(&e.country)
                .execute(&mut *c).await?.rows_affected());
        }
    }
    if was.media != now.media {
        delete_from(conn, TABLES[3], id).await?;
        if let Some(e) = &now.media {
            const SQL: &str =
                "INSERT INTO media_consents (application_id, full_name) VALUES ($1, $2)";
            on_conn!(conn, c => sqlx::query(SQL).bind(id).bind(&e.full_name).execute(&mut *c).await?.rows_affected());
        }
    }
    Ok(())
}

/// Puts many applications on the lists their views allow (a rebuild, on emptied lists), many rows to a
/// statement.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    let listings: Vec<(&str, Listings)> = views
        .iter()
        .map(|view| (view.id.as_str(), Listings::of(view)))
        .filter(|(_, listed)| *listed != Listings::default())
        .collect();
    let rows = crate::application_view::ROWS_A_STATEMENT;
    let directory: Vec<&DirectoryEntry> = listings
        .iter()
        .filter_map(|(_, l)| l.directory.as_ref())
        .collect();
    for chunk in directory.chunks(rows) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO scholar_directory (application_id, full_name, institution, course, country) ",
            );
            insert.push_values(chunk, |mut b, e| {
                b.push_bind(&e.application_id).push_bind(&e.full_name).push_bind(&e.institution)
                    .push_bind(&e.course).push_bind(&e.country);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    let networking: Vec<&NetworkingEntry> = listings
        .iter()
        .filter_map(|(_, l)| l.networking.as_ref())
        .collect();
    for chunk in networking.chunks(rows) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO alumni_networking (application_id, full_name, email, institution, course, country) ",
            );
            insert.push_values(chunk, |mut b, e| {
                b.push_bind(&e.application_id).push_bind(&e.full_name).push_bind(&e.email)
                    .push_bind(&e.institution).push_bind(&e.course).push_bind(&e.country);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    let open_book: Vec<(&str, &OpenBookEntry)> = listings
        .iter()
        .filter_map(|(id, l)| l.open_book.as_ref().map(|e| (*id, e)))
        .collect();
    for chunk in open_book.chunks(rows) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO alumni_open_book (application_id, full_name, subject, institution, level, outcome, year, country) ",
            );
            insert.push_values(chunk, |mut b, (id, e)| {
                b.push_bind(*id).push_bind(&e.full_name).push_bind(&e.subject).push_bind(&e.institution)
                    .push_bind(&e.level).push_bind(&e.outcome).push_bind(e.year).push_bind(&e.country);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    let media: Vec<&MediaConsent> = listings
        .iter()
        .filter_map(|(_, l)| l.media.as_ref())
        .collect();
    for chunk in media.chunks(rows) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new("INSERT INTO media_consents (application_id, full_name) ");
            insert.push_values(chunk, |mut b, e| {
                b.push_bind(&e.application_id).push_bind(&e.full_name);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    for table in TABLES {
        crate::db::empty_partitioned(conn, table).await?;
    }
    Ok(())
}

/// The scholar directory: current award holders who share their details with other scholars.
pub async fn scholar_directory(db: &Db) -> Result<Vec<DirectoryEntry>, sqlx::Error> {
    const SQL: &str = "SELECT application_id, full_name, institution, course, country FROM scholar_directory \
                       ORDER BY full_name, application_id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(|row| Ok(DirectoryEntry {
        application_id: row.try_get("application_id")?,
        full_name: row.try_get("full_name")?,
        institution: row.try_get("institution")?,
        course: row.try_get("course")?,
        country: row.try_get("country")?,
    })).collect())
}

/// The alumni networking scheme: alumni who let future scholars have their email.
pub async fn networking_scheme(db: &Db) -> Result<Vec<NetworkingEntry>, sqlx::Error> {
    const SQL: &str = "SELECT application_id, full_name, email, institution, course, country FROM alumni_networking \
                       ORDER BY full_name, application_id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(|row| Ok(NetworkingEntry {
        application_id: row.try_get("application_id")?,
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        institution: row.try_get("institution")?,
        course: row.try_get("course")?,
        country: row.try_get("country")?,
    })).collect())
}

/// The Alumni Open Book, newest year first.
pub async fn open_book(db: &Db) -> Result<Vec<OpenBookEntry>, sqlx::Error> {
    const SQL: &str = "SELECT full_name, subject, institution, level, outcome, year, country FROM alumni_open_book \
                       ORDER BY year DESC, full_name, application_id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(|row| Ok(OpenBookEntry {
        full_name: row.try_get("full_name")?,
        subject: row.try_get("subject")?,
        institution: row.try_get("institution")?,
        level: row.try_get("level")?,
        outcome: row.try_get("outcome")?,
        year: row.try_get("year")?,
        country: row.try_get("country")?,
    })).collect())
}

/// Award holders and alumni whose images may be published.
pub async fn media_consents(db: &Db) -> Result<Vec<MediaConsent>, sqlx::Error> {
    const SQL: &str =
        "SELECT application_id, full_name FROM media_consents ORDER BY full_name, application_id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(|row| Ok(MediaConsent {
        application_id: row.try_get("application_id")?,
        full_name: row.try_get("full_name")?,
    })).collect())
}
