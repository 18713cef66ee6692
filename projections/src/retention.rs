//! When each stream falls due under the retention schedule, which streams were destroyed, and which are
//! held. The schedule row of an application follows its status: a draft falls due 24 months after its last
//! change; an ineligible, unsuccessful or withdrawn application two years after that decision or the
//! withdrawal; an award never (no row). An immigration record falls due two years after it was recorded.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use domain::application::Status;
use domain::retention::{RecordKind, RetentionRule};

use crate::application_view::ApplicationView;
use crate::{Conn, Db, ProjectionError, RecordedEvent, on_conn, on_pool};

/// A stream that falls due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DueRecord {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: RecordKind,
    pub due_on: NaiveDate,
}

/// A stream whose personal data was destroyed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DestroyedRecord {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: String,
    pub destroyed_on: NaiveDate,
    pub destroyed_at: DateTime<Utc>,
}

/// A hold that keeps a stream from being destroyed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub reason: String,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
}

/// The day the application's clock started, under the rule its status puts it under: the last change of a
/// draft, the refusal of eligibility, the cycle's conclusion or the decision, the withdrawal. A status under
/// a rule always has a day (a declined or lapsed offer's, the day of its answer or lapse): where the event that set it is missing from the view (never, in a view built
/// from the log), the last change counts.
fn application_clock(view: &ApplicationView) -> Option<(RecordKind, NaiveDate)> {
    let rule = RecordKind::of_application(view.status)?;
    let from = match view.status {
        Status::Draft => Some(view.updated_at.date_naive()),
        Status::Ineligible => view
            .eligibility
            .as_ref()
            .map(|e| e.determined_at.date_naive()),
        // A declined or lapsed offer ends the application on the day it was declined or lapsed.
        Status::Unsuccessful => match (&view.concluded_with_cycle, &view.administration.offer) {
            (Some(conclusion), _) => Some(conclusion.on),
            (None, Some(offer)) if offer.answered_on.is_some() => offer.answered_on,
            (None, _) => view.decision.as_ref().map(|d| d.decided_at.date_naive()),
        },
        Status::Withdrawn => view.withdrawn_at.map(|at| at.date_naive()),
        _ => None,
    };
    Some((rule, from.unwrap_or(view.updated_at.date_naive())))
}

async fn schedule(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    aggregate_id: &str,
    due: Option<(RecordKind, NaiveDate)>,
) -> Result<(), ProjectionError> {
    match due {
        None => {
            const SQL: &str =
                "DELETE FROM retention_schedule WHERE aggregate_type = $1 AND aggregate_id = $2";
            on_conn!(conn, c => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id)
                .execute(&mut *c).await?.rows_affected());
        }
        Some((rule, due_on)) => {
            const SQL: &str = "INSERT INTO retention_schedule (aggregate_type, aggregate_id, rule, due_on) \
                               VALUES ($1, $2, $3, $4) ON CONFLICT (aggregate_type, aggregate_id) \
                               DO UPDATE SET rule = excluded.rule, due_on = excluded.due_on";
            on_conn!(conn, c => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id)
                .bind(rule.as_str()).bind(due_on).execute(&mut *c).await?.rows_affected());
        }
    }
    Ok(())
}

/// Whether the event that took the view from `before` to `view` leaves the application's row of the schedule
/// as it was.
pub(crate) fn application_unchanged(before: &ApplicationView, view: &ApplicationView) -> bool {
    application_due(before) == application_due(view)
}

/// Keeps the application's row of the schedule in step with its view (written only when the due day or rule
/// changes; a new application has no row yet).
pub(crate) async fn project_application(
    conn: &mut Conn<'_>,
    before: Option<&ApplicationView>,
    view: &ApplicationView,
) -> Result<(), ProjectionError> {
    let due = application_due(view);
    if before.map_or(due.is_none(), |before| application_due(before) == due) {
        return Ok(());
    }
    schedule(conn, "Application", &view.id, due).await
}

/// Keeps the schedule rows of many applications in step with their views (a batch of many applications'
/// events), as [`project_application`] keeps each: written only where the due day or rule changed.
pub(crate) async fn schedule_changed(
    conn: &mut Conn<'_>,
    views: &[(&ApplicationView, &ApplicationView)],
) -> Result<(), ProjectionError> {
    let changed: Vec<(&str, Option<(RecordKind, NaiveDate)>)> = views
        .iter()
        .filter_map(|(before, view)| {
            let due = application_due(view);
            (application_due(before) != due).then_some((view.id.as_str(), due))
        })
        .collect();
    match conn {
        Conn::Postgres(c) => {
            const UPSERT: &str = "INSERT INTO retention_schedule (aggregate_type, aggregate_id, rule, due_on) \
                 SELECT 'Application', * FROM unnest($1::text[], $2::text[], $3::date[]) \
                 ON CONFLICT (aggregate_type, aggregate_id) \
                 DO UPDATE SET rule = excluded.rule, due_on = excluded.due_on";
            let due: Vec<(&str, RecordKind, NaiveDate)> = changed
                .iter()
                .filter_map(|(id, due)| due.map(|(rule, on)| (*id, rule, on)))
                .collect();
            if !due.is_empty() {
                sqlx::query(UPSERT)
                    .bind(due.iter().map(|(id, ..)| *id).collect::<Vec<_>>())
                    .bind(
                        due.iter()
                            .map(|(_, rule, _)| rule.as_str())
                            .collect::<Vec<_>>(),
                    )
                    .bind(due.iter().map(|(.., on)| *on).collect::<Vec<_>>())
                    .execute(&mut **c)
                    .await?;
            }
            let off: Vec<&str> = changed
                .iter()
                .filter(|(_, due)| due.is_none())
                .map(|(id, _)| *id)
                .collect();
            crate::db::delete_many(
                conn,
                "retention_schedule",
                "aggregate_id",
                Some(("aggregate_type", "Application")),
                &off,
            )
            .await?;
        }
        Conn::Sqlite(_) => {
            // A statement costs no round trip on SQLite.
            for (id, due) in changed {
                schedule(conn, "Application", id, due).await?;
            }
        }
    }
    Ok(())
}

/// Enters many applications in the schedule (a rebuild), many to a statement; those not due are left out.
pub(crate) async fn schedule_applications(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    let due: Vec<(&str, RecordKind, NaiveDate)> = views
        .iter()
        .filter_map(|view| application_due(view).map(|(rule, on)| (view.id.as_str(), rule, on)))
        .collect();
    schedule_many(conn, "Application", &due).await
}

/// Enters streams of one type, none of them in the schedule yet, many rows to a statement.
pub(crate) async fn schedule_many(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    due: &[(&str, RecordKind, NaiveDate)],
) -> Result<(), ProjectionError> {
    for chunk in due.chunks(crate::application_view::ROWS_A_STATEMENT) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO retention_schedule (aggregate_type, aggregate_id, rule, due_on) ",
            );
            insert.push_values(chunk, |mut b, (id, rule, due_on)| {
                b.push_bind(aggregate_type).push_bind(*id).push_bind(rule.as_str()).push_bind(*due_on);
            });
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

fn application_due(view: &ApplicationView) -> Option<(RecordKind, NaiveDate)> {
    application_clock(view).and_then(|(rule, from)| {
        RetentionRule::for_kind(rule)
            .falls_due(from)
            .map(|due| (rule, due))
    })
}

/// An immigration record falls due two years after it was recorded.
pub(crate) async fn project_immigration_record(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
) -> Result<(), ProjectionError> {
    let due = immigration_record_due(event.metadata.at);
    schedule(conn, &event.aggregate_type, &event.aggregate_id, due).await
}

/// When an immigration record recorded at `recorded_at` falls due, and under which rule.
pub(crate) fn immigration_record_due(
    recorded_at: DateTime<Utc>,
) -> Option<(RecordKind, NaiveDate)> {
    let rule = RecordKind::ImmigrationRecord;
    RetentionRule::for_kind(rule)
        .falls_due(recorded_at.date_naive())
        .map(|due| (rule, due))
}

/// Puts a stream on the schedule (or takes it off, with `None`) as its latest event leaves it.
pub(crate) async fn schedule_stream(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    due: Option<(RecordKind, NaiveDate)>,
) -> Result<(), ProjectionError> {
    schedule(conn, &event.aggregate_type, &event.aggregate_id, due).await
}

/// A destroyed stream leaves the schedule and enters the list of destroyed streams.
pub(crate) async fn project_destroyed(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    rule: RecordKind,
    destroyed_on: NaiveDate,
) -> Result<(), ProjectionError> {
    schedule(conn, &event.aggregate_type, &event.aggregate_id, None).await?;
    record_destroyed(
        conn,
        &event.aggregate_type,
        &event.aggregate_id,
        rule,
        destroyed_on,
        event.metadata.at,
    )
    .await
}

/// Many streams of one type destroyed at once, as [`project_destroyed`] takes each: off the schedule, onto
/// the list of destroyed streams; a few statements for them all.
pub(crate) async fn project_destroyed_many(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    destroyed: &[(&str, RecordKind, NaiveDate, DateTime<Utc>)],
) -> Result<(), ProjectionError> {
    let ids: Vec<&str> = destroyed.iter().map(|(id, ..)| *id).collect();
    crate::db::delete_many(
        conn,
        "retention_schedule",
        "aggregate_id",
        Some(("aggregate_type", aggregate_type)),
        &ids,
    )
    .await?;
    record_destroyed_many(conn, aggregate_type, destroyed).await
}

/// Enters a stream in the list of destroyed streams (the first destruction counts).
pub(crate) async fn record_destroyed(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    aggregate_id: &str,
    rule: RecordKind,
    destroyed_on: NaiveDate,
    at: DateTime<Utc>,
) -> Result<(), ProjectionError> {
    const SQL: &str = "INSERT INTO destroyed_streams (aggregate_type, aggregate_id, rule, destroyed_on, destroyed_at) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING";
    on_conn!(conn, c => sqlx::query(SQL)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(rule.as_str())
        .bind(destroyed_on)
        .bind(at)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(())
}

/// Enters streams of one type in the list of destroyed streams, many rows to a statement (the first
/// destruction of each counts).
pub(crate) async fn record_destroyed_many(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    destroyed: &[(&str, RecordKind, NaiveDate, DateTime<Utc>)],
) -> Result<(), ProjectionError> {
    for chunk in destroyed.chunks(crate::application_view::ROWS_A_STATEMENT) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO destroyed_streams (aggregate_type, aggregate_id, rule, destroyed_on, destroyed_at) ",
            );
            insert.push_values(chunk, |mut b, (id, rule, on, at)| {
                b.push_bind(aggregate_type)
                    .push_bind(*id)
                    .push_bind(rule.as_str())
                    .push_bind(*on)
                    .push_bind(*at);
            });
            insert.push(" ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING");
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => {
        sqlx::query("DELETE FROM retention_schedule").execute(&mut *c).await?;
        // Accounts are not event streams: their line of the list is kept, not replayed.
        sqlx::query("DELETE FROM destroyed_streams WHERE aggregate_type <> 'Account'")
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(())
}

fn due_from<R: Row>(row: &R) -> Result<DueRecord, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let rule: String = row.try_get("rule")?;
    Ok(DueRecord {
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        rule: RecordKind::parse(&rule)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown rule {rule}").into()))?,
        due_on: row.try_get("due_on")?,
    })
}

/// Every stream due on or before the day, oldest first. Reads only the rows due.
pub async fn due_by(db: &Db, as_of: NaiveDate) -> Result<Vec<DueRecord>, sqlx::Error> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, rule, due_on FROM retention_schedule \
                       WHERE due_on <= $1 ORDER BY due_on, aggregate_type, aggregate_id";
    on_pool!(db, p => sqlx::query(SQL).bind(as_of).fetch_all(p).await?.iter().map(due_from).collect())
}

/// The first `limit` streams due on or before the day, oldest first.
pub async fn due_by_at_most(
    db: &Db,
    as_of: NaiveDate,
    limit: i64,
) -> Result<Vec<DueRecord>, sqlx::Error> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, rule, due_on FROM retention_schedule \
                       WHERE due_on <= $1 ORDER BY due_on, aggregate_type, aggregate_id LIMIT $2";
    on_pool!(db, p => sqlx::query(SQL).bind(as_of).bind(limit).fetch_all(p).await?.iter().map(due_from).collect())
}

/// The streams falling due after the day, soonest first, at most `limit`.
pub async fn upcoming(
    db: &Db,
    after: NaiveDate,
    limit: i64,
) -> Result<Vec<DueRecord>, sqlx::Error> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, rule, due_on FROM retention_schedule \
                       WHERE due_on > $1 ORDER BY due_on, aggregate_type, aggregate_id LIMIT $2";
    on_pool!(db, p => sqlx::query(SQL).bind(after).bind(limit).fetch_all(p).await?.iter().map(due_from).collect())
}

/// When a stream falls due, if it is on the schedule.
pub async fn due_on(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    const SQL: &str =
        "SELECT due_on FROM retention_schedule WHERE aggregate_type = $1 AND aggregate_id = $2";
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(aggregate_type).bind(aggregate_id).fetch_optional(p).await)
}

/// Whether a stream's personal data has been destroyed.
pub async fn is_destroyed(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<bool, sqlx::Error> {
    if !crate::db::is_plausible_id(aggregate_id) {
        return Ok(false);
    }
    const SQL: &str =
        "SELECT COUNT(*) FROM destroyed_streams WHERE aggregate_type = $1 AND aggregate_id = $2";
    let count: i64 = on_pool!(db, p => sqlx::query_scalar(SQL).bind(aggregate_type).bind(aggregate_id).fetch_one(p).await?);
    Ok(count > 0)
}

/// The streams destroyed, newest first, at most `limit`.
pub async fn destroyed(db: &Db, limit: i64) -> Result<Vec<DestroyedRecord>, sqlx::Error> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, rule, destroyed_on, destroyed_at FROM destroyed_streams \
                       ORDER BY destroyed_at DESC, aggregate_id LIMIT $1";
    on_pool!(db, p => sqlx::query(SQL).bind(limit).fetch_all(p).await?.iter().map(|row| Ok(DestroyedRecord {
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        rule: row.try_get("rule")?,
        destroyed_on: row.try_get("destroyed_on")?,
        destroyed_at: row.try_get("destroyed_at")?,
    })).collect())
}

/// Every hold that stands.
pub async fn holds(db: &Db) -> Result<Vec<Hold>, sqlx::Error> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, reason, placed_by, placed_at FROM retention_holds \
                       ORDER BY placed_at, aggregate_id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(|row| Ok(Hold {
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        reason: row.try_get("reason")?,
        placed_by: row.try_get("placed_by")?,
        placed_at: row.try_get("placed_at")?,
    })).collect())
}

/// Places a hold on a stream (again: the reason is replaced).
pub async fn place_hold(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
    reason: &str,
    placed_by: &str,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO retention_holds (aggregate_type, aggregate_id, reason, placed_by, placed_at) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (aggregate_type, aggregate_id) \
                       DO UPDATE SET reason = excluded.reason, placed_by = excluded.placed_by, placed_at = excluded.placed_at";
    on_pool!(db, p => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id).bind(reason).bind(placed_by)
        .bind(Utc::now()).execute(p).await?.rows_affected());
    Ok(())
}

/// Lifts a hold; answers whether there was one.
pub async fn lift_hold(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "DELETE FROM retention_holds WHERE aggregate_type = $1 AND aggregate_id = $2";
    let lifted = on_pool!(db, p => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id)
        .execute(p).await?.rows_affected());
    Ok(lifted > 0)
}

/// Enters in the list of destroyed streams a stream the ledger says was destroyed and this store does not
/// hold (a backup restored from before it existed): the destruction is already satisfied, and the ledger's
/// line is not looked at again.
pub async fn record_absent(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
    rule: &str,
    destroyed_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO destroyed_streams (aggregate_type, aggregate_id, rule, destroyed_on, destroyed_at) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING";
    on_pool!(db, p => sqlx::query(SQL)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(rule)
        .bind(destroyed_on)
        .bind(Utc::now())
        .execute(p)
        .await?
        .rows_affected());
    Ok(())
}

/// A record the retention sweep could not destroy: what it is, where the sweep met it (`schedule`, `ledger`
/// or `account`), why (never personal data), since when and how many sweeps have tried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: String,
    pub source: String,
    pub cause: String,
    pub first_failed_at: DateTime<Utc>,
    pub last_failed_at: DateTime<Utc>,
    pub attempts: i64,
}

/// The records the sweeps are failing on, the longest-failing first.
pub async fn failures(db: &Db) -> Result<Vec<Failure>, sqlx::Error> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, rule, source, cause, first_failed_at, last_failed_at, attempts \
                       FROM retention_failures ORDER BY first_failed_at, aggregate_type, aggregate_id";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?.iter().map(|row| Ok(Failure {
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        rule: row.try_get("rule")?,
        source: row.try_get("source")?,
        cause: row.try_get("cause")?,
        first_failed_at: row.try_get("first_failed_at")?,
        last_failed_at: row.try_get("last_failed_at")?,
        attempts: row.try_get("attempts")?,
    })).collect())
}

/// Records that a sweep failed on a record (again: the cause is replaced, the attempts counted).
pub async fn record_failure(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
    rule: &str,
    source: &str,
    cause: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO retention_failures \
                       (aggregate_type, aggregate_id, rule, source, cause, first_failed_at, last_failed_at, attempts) \
                       VALUES ($1, $2, $3, $4, $5, $6, $6, 1) ON CONFLICT (aggregate_type, aggregate_id) \
                       DO UPDATE SET rule = excluded.rule, source = excluded.source, cause = excluded.cause, \
                       last_failed_at = excluded.last_failed_at, attempts = retention_failures.attempts + 1";
    on_pool!(db, p => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id).bind(rule).bind(source)
        .bind(cause).bind(at).execute(p).await?.rows_affected());
    Ok(())
}

/// Forgets a failure: the record was destroyed, or no sweep fails on it any more.
pub async fn clear_failure(
    db: &Db,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "DELETE FROM retention_failures WHERE aggregate_type = $1 AND aggregate_id = $2";
    on_pool!(db, p => sqlx::query(SQL).bind(aggregate_type).bind(aggregate_id).execute(p).await?.rows_affected());
    Ok(())
}
