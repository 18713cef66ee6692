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

/// One application's events appended in a batch of many applications, and its stream's data key.
pub struct ApplicationEvents<'a> {
    pub events: &'a [RecordedEvent],
    pub key: &'a dyn sealed::StreamKey,
}

/// Brings the views up to date with the events of many applications appended together (a cycle's
/// conclusion and its letters), as [`project`] brings them up to date with each event, but in a few
/// statements for the whole batch: the views the events follow are read together (or taken as this process
/// committed them), each folded in memory, and written back with their case-list rows and retention schedule
/// rows many to a statement. An application whose events write anything more (the committee's scores, an
/// award, a published list, a referee or supervisor index), whose view is not at the version its first
/// event follows, or whose events start it, destroy it or change its committee's assignments, is projected
/// event by event as [`project`] does. Gives the views the events left.
pub async fn project_applications(
    conn: &mut Conn<'_>,
    streams: &[ApplicationEvents<'_>],
    committed: &application_view::CommittedViews,
) -> Result<Vec<application_view::ApplicationView>, ProjectionError> {
    use application_view::ApplicationView;
    let mut alone: Vec<&ApplicationEvents<'_>> = Vec::new();
    let mut together: Vec<(&ApplicationEvents<'_>, Vec<ApplicationEvent>)> = Vec::new();
    for stream in streams {
        let payloads = stream
            .events
            .iter()
            .map(|event| ApplicationEvent::deserialize(&event.payload))
            .collect::<Result<Vec<_>, _>>()?;
        let simple = !stream.events.is_empty()
            && payloads.iter().all(|payload| {
                !matches!(
                    payload,
                    ApplicationEvent::ApplicationStarted { .. }
                        | ApplicationEvent::PersonalDataDestroyed { .. }
                        | ApplicationEvent::CommitteeMemberAssigned { .. }
                        | ApplicationEvent::ConflictDeclared { .. }
                )
            });
        if simple {
            together.push((stream, payloads));
        } else {
            alone.push(stream);
        }
    }
    // The views the events follow: as this process committed them, or read together.
    let mut befores: std::collections::HashMap<String, ApplicationView> =
        std::collections::HashMap::new();
    let mut unread: Vec<(&str, &dyn sealed::StreamKey)> = Vec::new();
    for (stream, _) in &together {
        let first = &stream.events[0];
        match committed.before(&first.aggregate_id, first.sequence) {
            Some(view) => {
                befores.insert(view.id.clone(), view);
            }
            None => unread.push((first.aggregate_id.as_str(), stream.key)),
        }
    }
    for view in application_view::load_many_in(conn, &unread).await? {
        befores.insert(view.id.clone(), view);
    }
    let mut folded: Vec<(&ApplicationEvents<'_>, ApplicationView, ApplicationView)> = Vec::new();
    for (stream, payloads) in together {
        let first = &stream.events[0];
        let before = befores
            .remove(&first.aggregate_id)
            .filter(|view| view.version + 1 == first.sequence);
        let Some(before) = before else {
            alone.push(stream);
            continue;
        };
        let mut view = before.clone();
        for (event, payload) in stream.events.iter().zip(&payloads) {
            view.apply(event, payload);
        }
        let others_unchanged = committee_scores::unchanged(&before, &view)
            && awards::unchanged(&before, &view)
            && publishing::unchanged(&before, &view)
            && referees::unchanged(&before, &view)
            && supervisors::unchanged(&before, &view);
        if others_unchanged {
            folded.push((stream, before, view));
        } else {
            alone.push(stream);
        }
    }
    // Each view is updated only where the table still holds the version it was folded from; one that moved
    // on (a view this process committed may be older than the table's) is projected event by event instead.
    let sealed: Vec<(&ApplicationView, i64, &dyn sealed::StreamKey)> = folded
        .iter()
        .map(|(stream, before, view)| (view, before.version, stream.key))
        .collect();
    let updated = application_view::update_many(conn, &sealed).await?;
    let mut written: Vec<(&ApplicationView, &ApplicationView)> = Vec::new();
    for ((stream, before, view), done) in folded.iter().zip(&updated) {
        if *done {
            written.push((before, view));
        } else {
            committed.forget(&view.id);
            alone.push(stream);
        }
    }
    case_list::upsert_changed(conn, &written).await?;
    retention::schedule_changed(conn, &written).await?;
    let mut views: Vec<ApplicationView> = written.iter().map(|(_, view)| (*view).clone()).collect();
    for stream in alone {
        let mut last = None;
        for event in stream.events {
            last = project(conn, event, committed, Some(stream.key)).await?;
        }
        if let Some(view) = last {
            views.retain(|kept: &ApplicationView| kept.id != view.id);
            views.push(view);
        }
    }
    Ok(views)
}
