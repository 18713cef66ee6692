//! Read models of the EtP Scholarships event log, and the queries that read them.
//!
//! Every view here is a fold over events. The event store runs [`project`] inside the transaction that
//! appends the events, so a view is never behind, ahead of, or different from a replay of the log; and
//! `etp projections rebuild` runs the same code over the whole log in commit order. A projector that fails
//! rolls back the command that caused it.

pub mod access_log;
pub mod application_view;
pub mod awards;
pub mod calendar;
pub mod case_list;
pub mod case_search;
pub mod committee_scores;
pub mod cycles;
pub mod db;
pub mod immigration_records;
pub mod information_requests;
pub mod one_statement;
pub mod publishing;
pub mod rebuild;
pub mod recipients;
pub mod recorded;
pub mod referees;
pub mod references;
pub mod retention;
pub mod sealed;
pub mod supervisors;

pub use db::{Conn, Db};
pub use recorded::{EventMetadata, RecordedEvent};

use cqrs_es::Aggregate;
use domain::application::{Application, ApplicationEvent};
use domain::cycle::{Cycle, CycleEvent};
use domain::immigration::{ImmigrationEvent, ImmigrationRecord};
use domain::recipient::{Recipient, RecipientEvent};
use domain::request::{InformationRequest, RequestEvent};
use serde::Deserialize;

/// Why a projection could not take an event.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The applicant already has an application in this cycle (the view's unique index said so).
    #[error("the applicant already has an application in this cycle")]
    DuplicateApplication,
    #[error("an event could not be read: {0}")]
    Event(#[from] serde_json::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("sealed view: {0}")]
    Sealed(#[from] sealed::SealError),
}

/// Brings every view up to date with one event. Called once per event, in commit order, inside the
/// transaction that recorded it (or inside a rebuild). Gives the application's view as the event left it,
/// for an event of an application that still has one, so a command can answer with it without reading it
/// back. `key` is the event's stream's data key: an application's view is sealed under it, so every
/// application event but the destruction of its personal data comes with one.
pub async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    committed: &application_view::CommittedViews,
    key: Option<&dyn sealed::StreamKey>,
) -> Result<Option<application_view::ApplicationView>, ProjectionError> {
    match event.aggregate_type.as_str() {
        Application::TYPE => {
            let payload = ApplicationEvent::deserialize(&event.payload)?;
            if let ApplicationEvent::ApplicationStarted { cycle, .. } = &payload {
                references::assign(conn, &event.aggregate_id, cycle.as_str()).await?;
            }
            if let ApplicationEvent::PersonalDataDestroyed { rule, destroyed_on } = payload {
                committed.forget(&event.aggregate_id);
                destroy_application(conn, event, rule, destroyed_on).await?;
                return Ok(None);
            }
            // The lists below copy from the application's view, projected first in this transaction; each
            // writes only where its rows differ between the view before the event and after it.
            let key = key.ok_or(sealed::SealError::NoKey)?;
            if let Some((before, view)) =
                application_view::project(conn, event, &payload, committed, key).await?
            {
                let before = before.as_ref();
                case_list::project(conn, before, &view, &payload).await?;
                committee_scores::project(conn, before, &view).await?;
                awards::project(conn, before, &view).await?;
                publishing::project(conn, before, &view).await?;
                referees::project(conn, before, &view).await?;
                supervisors::project(conn, before, &view).await?;
                retention::project_application(conn, before, &view).await?;
                return Ok(Some(view));
            }
        }
        ImmigrationRecord::TYPE => {
            let payload = ImmigrationEvent::deserialize(&event.payload)?;
            immigration_records::project(conn, event, &payload).await?;
            match payload {
                ImmigrationEvent::ImmigrationRecordRecorded { .. } => {
                    retention::project_immigration_record(conn, event).await?
                }
                ImmigrationEvent::PersonalDataDestroyed { rule, destroyed_on } => {
                    retention::project_destroyed(conn, event, rule, destroyed_on).await?
                }
            }
        }
        InformationRequest::TYPE => {
            let payload = RequestEvent::deserialize(&event.payload)?;
            information_requests::project(conn, event, &payload).await?;
        }
        Recipient::TYPE => {
            let payload = RecipientEvent::deserialize(&event.payload)?;
            recipients::project(conn, event, &payload).await?;
        }
        Cycle::TYPE => {
            let payload = CycleEvent::deserialize(&event.payload)?;
            cycles::project(conn, event, &payload).await?;
        }
        _ => {}
    }
    Ok(None)
}

/// An application whose personal data is destroyed leaves every view that held it; the fact that it was
/// destroyed, and under which rule, stays.
async fn destroy_application(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    rule: domain::retention::RecordKind,
    destroyed_on: chrono::NaiveDate,
) -> Result<(), ProjectionError> {
    destroy_applications(
        conn,
        &[(
            event.aggregate_id.as_str(),
            rule,
            destroyed_on,
            event.metadata.at,
        )],
    )
    .await
}

/// What one destruction leaves: the stream, the rule it was destroyed under, the day and the moment.
type Destroyed<'a> = (
    &'a str,
    domain::retention::RecordKind,
    chrono::NaiveDate,
    chrono::DateTime<chrono::Utc>,
);

/// Applications whose personal data is destroyed leave every view that held them, a few statements for
/// them all (a batch of the retention sweep); the fact that each was destroyed, and under which rule, stays.
async fn destroy_applications(
    conn: &mut Conn<'_>,
    destroyed: &[Destroyed<'_>],
) -> Result<(), ProjectionError> {
    let ids: Vec<&str> = destroyed.iter().map(|(id, ..)| *id).collect();
    application_view::forget(conn, &ids).await?;
    access_log::forget(conn, &ids).await?;
    case_list::forget(conn, &ids).await?;
    committee_scores::forget(conn, &ids).await?;
    awards::forget(conn, &ids).await?;
    publishing::forget(conn, &ids).await?;
    referees::forget(conn, &ids).await?;
    supervisors::forget(conn, &ids).await?;
    retention::project_destroyed_many(conn, Application::TYPE, destroyed).await
}

/// Brings every view up to date with many destructions, each the only event of its stream here, in the
/// order given: what [`project`] does with each, with the applications and immigration records taken
/// together, a few statements for all of them rather than a dozen for each (the retention sweep's
/// batches). Any other event is projected on its own, with no key: an application's other events do not
/// come this way.
pub async fn project_destructions(
    conn: &mut Conn<'_>,
    events: &[RecordedEvent],
    committed: &application_view::CommittedViews,
) -> Result<(), ProjectionError> {
    let mut applications = Vec::new();
    let mut immigration = Vec::new();
    for event in events {
        let at = event.metadata.at;
        let id = event.aggregate_id.as_str();
        match event.aggregate_type.as_str() {
            Application::TYPE => {
                if let ApplicationEvent::PersonalDataDestroyed { rule, destroyed_on } =
                    ApplicationEvent::deserialize(&event.payload)?
                {
                    committed.forget(id);
                    applications.push((id, rule, destroyed_on, at));
                    continue;
                }
            }
            ImmigrationRecord::TYPE => {
                if let ImmigrationEvent::PersonalDataDestroyed { rule, destroyed_on } =
                    ImmigrationEvent::deserialize(&event.payload)?
                {
                    immigration.push((id, rule, destroyed_on, at));
                    continue;
                }
            }
            _ => {}
        }
        project(conn, event, committed, None).await?;
    }
    if !applications.is_empty() {
        destroy_applications(conn, &applications).await?;
    }
    if !immigration.is_empty() {
        let ids: Vec<&str> = immigration.iter().map(|(id, ..)| *id).collect();
        immigration_records::forget(conn, &ids).await?;
        retention::project_destroyed_many(conn, ImmigrationRecord::TYPE, &immigration).await?;
    }
    Ok(())
}

/// Empties every view, before a rebuild replays the log into them. The applications' references stay:
/// they are quoted in letters already sent (`references`).
pub async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    application_view::reset(conn).await?;
    case_list::reset(conn).await?;
    committee_scores::reset(conn).await?;
    awards::reset(conn).await?;
    cycles::reset(conn).await?;
    immigration_records::reset(conn).await?;
    publishing::reset(conn).await?;
    recipients::reset(conn).await?;
    referees::reset(conn).await?;
    supervisors::reset(conn).await?;
    retention::reset(conn).await?;
    information_requests::reset(conn).await?;
    Ok(())
}
