//! Application, immigration record and information request streams replayed for a rebuild: each stream's events folded in memory
//! into the state its views hold, then the views of many streams written together.
//!
//! Every table an application feeds is a function of its view as it stands after its last event (the case
//! list row, the committee's totals, the published lists, the retention schedule,
//! the indexes of referees and supervisors), except the committee's
//! assignments, which are folded here event by event as `case_list` records them, and the fact of a
//! destruction, which the first `PersonalDataDestroyed` records. An application's views depend on nothing
//! outside its own stream, so the streams can be replayed one after another rather than in commit order, and
//! what this writes is what the event-by-event projection leaves (the rebuild tests compare the two). The
//! applications' references are kept, not rewritten: only an application without one is numbered.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use domain::application::ApplicationEvent;
use domain::immigration::ImmigrationEvent;
use domain::request::RequestEvent;
use domain::retention::RecordKind;

use crate::application_view::{self, ApplicationView};
use crate::immigration_records::{self, ListedRecord};
use crate::information_requests::{self, RequestView};
use crate::sealed::StreamKey;
use crate::{
    Conn, ProjectionError, RecordedEvent, case_list, committee_scores, publishing, referees,
    retention,
};

/// A stream folded in memory for a rebuild, its events taken one after another in its own order. Its views
/// depend on nothing outside the stream, so streams of its type can be replayed in any order.
pub trait FoldedStream: Sized + Send + 'static {
    /// The aggregate type of the streams it folds.
    const TYPE: &'static str;
    fn new(id: &str) -> Self;
    fn id(&self) -> &str;
    /// Takes the stream's next event.
    fn apply(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError>;
    /// Folded streams of this type, ready for [`write_folded`].
    fn batch(streams: Vec<Self>) -> FoldedBatch;
    /// Keeps the stream's data key, for views sealed under it. Streams whose views are not sealed ignore it.
    fn keep_key(&mut self, _key: Arc<dyn StreamKey>) {}
}

/// Folded streams of one type, written together.
#[derive(Debug)]
pub enum FoldedBatch {
    Applications(Vec<ApplicationStream>),
    ImmigrationRecords(Vec<ImmigrationStream>),
    Requests(Vec<RequestStream>),
}

/// Writes folded streams into emptied views.
pub async fn write_folded(conn: &mut Conn<'_>, batch: &FoldedBatch) -> Result<(), ProjectionError> {
    match batch {
        FoldedBatch::Applications(streams) => write_application_streams(conn, streams).await,
        FoldedBatch::ImmigrationRecords(streams) => write_immigration_streams(conn, streams).await,
        FoldedBatch::Requests(streams) => write_request_streams(conn, streams).await,
    }
}

/// The first destruction of a stream's personal data: under which rule, on which day, and when.
type Destruction = (RecordKind, NaiveDate, DateTime<Utc>);

/// Enters the destroyed ones of folded streams of one type in the list of destroyed streams.
async fn record_destructions<'a>(
    conn: &mut Conn<'_>,
    aggregate_type: &str,
    streams: impl Iterator<Item = (&'a str, Option<Destruction>)>,
) -> Result<(), ProjectionError> {
    let destroyed: Vec<_> = streams
        .filter_map(|(id, destroyed)| destroyed.map(|(rule, on, at)| (id, rule, on, at)))
        .collect();
    retention::record_destroyed_many(conn, aggregate_type, &destroyed).await
}

/// One application stream, folded.
pub struct ApplicationStream {
    id: String,
    view: Option<ApplicationView>,
    /// The stream's data key, which its view is sealed under.
    key: Option<Arc<dyn StreamKey>>,
    /// Committee members assigned, and whether each declared a conflict.
    assignments: Vec<(String, bool)>,
    destroyed: Option<Destruction>,
}

impl FoldedStream for ApplicationStream {
    const TYPE: &'static str = "Application";

    fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            view: None,
            key: None,
            assignments: Vec::new(),
            destroyed: None,
        }
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn batch(streams: Vec<Self>) -> FoldedBatch {
        FoldedBatch::Applications(streams)
    }

    fn keep_key(&mut self, key: Arc<dyn StreamKey>) {
        self.key = Some(key);
    }

    fn apply(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError> {
        let payload = ApplicationEvent::deserialize(&event.payload)?;
        match &payload {
            ApplicationEvent::PersonalDataDestroyed { rule, destroyed_on } => {
                self.view = None;
                self.assignments.clear();
                self.destroyed
                    .get_or_insert((*rule, *destroyed_on, event.metadata.at));
                return Ok(());
            }
            ApplicationEvent::ApplicationStarted {
                cycle,
                applicant_id,
            } => {
                self.view = Some(ApplicationView::started(
                    event,
                    cycle.as_str(),
                    applicant_id,
                ));
            }
            _ => {}
        }
        let Some(view) = self.view.as_mut() else {
            return Ok(());
        };
        view.apply(event, &payload);
        match payload {
            ApplicationEvent::CommitteeMemberAssigned { member_id }
                if !self.assignments.iter().any(|(m, _)| *m == member_id) =>
            {
                self.assignments.push((member_id, false));
            }
            ApplicationEvent::ConflictDeclared { member_id, .. } => {
                if let Some((_, conflicted)) =
                    self.assignments.iter_mut().find(|(m, _)| *m == member_id)
                {
                    *conflicted = true;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl std::fmt::Debug for ApplicationStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationStream")
            .field("id", &self.id)
            .field("keyed", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl ApplicationStream {
    /// Whether the stream has a view to write but no key to seal it under (a stream whose events held no
    /// personal data, from before every application had a key): the store makes it one first.
    pub fn needs_key(&self) -> bool {
        self.view.is_some() && self.key.is_none()
    }

    pub fn stream_id(&self) -> &str {
        &self.id
    }
}

/// Writes the views of folded application streams into emptied views, many rows to a statement: the
/// application views, case list rows, assignments, schedule, published lists and destructions.
async fn write_application_streams(
    conn: &mut Conn<'_>,
    streams: &[ApplicationStream],
) -> Result<(), ProjectionError> {
    let views: Vec<&ApplicationView> = streams.iter().filter_map(|s| s.view.as_ref()).collect();
    let sealed = streams
        .iter()
        .filter_map(|s| {
            let view = s.view.as_ref()?;
            Some(match &s.key {
                Some(key) => Ok((view, key.as_ref())),
                None => Err(crate::sealed::SealError::NoKey),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    application_view::insert_many(conn, &sealed).await?;
    case_list::insert_many(conn, &views).await?;
    let assignments: Vec<(&str, &str, bool)> = streams
        .iter()
        .filter(|s| s.view.is_some())
        .flat_map(|s| {
            s.assignments
                .iter()
                .map(|(member, conflicted)| (s.id.as_str(), member.as_str(), *conflicted))
        })
        .collect();
    case_list::insert_assignments(conn, &assignments).await?;
    committee_scores::insert_many(conn, &views).await?;
    crate::awards::insert_many(conn, &views).await?;
    retention::schedule_applications(conn, &views).await?;
    publishing::insert_many(conn, &views).await?;
    referees::insert_many(conn, &views).await?;
    crate::supervisors::insert_many(conn, &views).await?;
    let started = views.iter().map(|v| (v.id.as_str(), v.cycle.as_str()));
    crate::references::assign_many(conn, started).await?;
    let destroyed = streams.iter().map(|s| (s.id.as_str(), s.destroyed));
    record_destructions(conn, ApplicationStream::TYPE, destroyed).await
}

/// One immigration record stream, folded.
#[derive(Debug)]
pub struct ImmigrationStream {
    id: String,
    /// The record as the list shows it, unless its personal part is destroyed.
    listed: Option<ListedRecord>,
    due: Option<(RecordKind, NaiveDate)>,
    destroyed: Option<Destruction>,
}

impl FoldedStream for ImmigrationStream {
    const TYPE: &'static str = "ImmigrationRecord";

    fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            listed: None,
            due: None,
            destroyed: None,
        }
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn batch(streams: Vec<Self>) -> FoldedBatch {
        FoldedBatch::ImmigrationRecords(streams)
    }

    fn apply(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError> {
        match ImmigrationEvent::deserialize(&event.payload)? {
            ImmigrationEvent::ImmigrationRecordRecorded {
                application_id,
                kind,
                document,
                ..
            } => {
                // As the list does: the first listing stands, and a record whose personal part is destroyed
                // is not listed.
                if self.listed.is_none()
                    && let Some(document) = document.known()
                {
                    self.listed = Some(ListedRecord {
                        record_id: self.id.clone(),
                        application_id,
                        kind,
                        reference: document.reference.clone(),
                        issued_on: document.issued_on,
                        recorded_at: event.metadata.at,
                    });
                }
                self.due = retention::immigration_record_due(event.metadata.at);
            }
            ImmigrationEvent::PersonalDataDestroyed { rule, destroyed_on } => {
                self.listed = None;
                self.due = None;
                self.destroyed
                    .get_or_insert((rule, destroyed_on, event.metadata.at));
            }
        }
        Ok(())
    }
}

/// Writes folded immigration record streams into emptied views, many rows to a statement: the list of
/// records, the schedule and destructions.
async fn write_immigration_streams(
    conn: &mut Conn<'_>,
    streams: &[ImmigrationStream],
) -> Result<(), ProjectionError> {
    let listed: Vec<&ListedRecord> = streams.iter().filter_map(|s| s.listed.as_ref()).collect();
    immigration_records::insert_many(conn, &listed).await?;
    let due: Vec<_> = streams
        .iter()
        .filter_map(|s| s.due.map(|(rule, on)| (s.id.as_str(), rule, on)))
        .collect();
    retention::schedule_many(conn, ImmigrationStream::TYPE, &due).await?;
    let destroyed = streams.iter().map(|s| (s.id.as_str(), s.destroyed));
    record_destructions(conn, ImmigrationStream::TYPE, destroyed).await
}

/// One information request's stream, folded with the projector's own `information_requests::fold`.
#[derive(Debug)]
pub struct RequestStream {
    id: String,
    view: Option<RequestView>,
    destroyed: Option<Destruction>,
}

/// Writes folded request streams into emptied views: the desk, the schedule and destructions.
async fn write_request_streams(
    conn: &mut Conn<'_>,
    streams: &[RequestStream],
) -> Result<(), ProjectionError> {
    let views: Vec<&RequestView> = streams.iter().filter_map(|s| s.view.as_ref()).collect();
    information_requests::save_many(conn, &views).await?;
    let due: Vec<_> = views
        .iter()
        .filter_map(|view| view.due().map(|(rule, on)| (view.id.as_str(), rule, on)))
        .collect();
    retention::schedule_many(conn, RequestStream::TYPE, &due).await?;
    let destroyed = streams.iter().map(|s| (s.id.as_str(), s.destroyed));
    record_destructions(conn, RequestStream::TYPE, destroyed).await
}

impl FoldedStream for RequestStream {
    const TYPE: &'static str = "InformationRequest";

    fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            view: None,
            destroyed: None,
        }
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn batch(streams: Vec<Self>) -> FoldedBatch {
        FoldedBatch::Requests(streams)
    }

    fn apply(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError> {
        let payload = RequestEvent::deserialize(&event.payload)?;
        if let RequestEvent::PersonalDataDestroyed { rule, destroyed_on } = payload {
            self.destroyed
                .get_or_insert((rule, destroyed_on, event.metadata.at));
        }
        self.view = information_requests::fold(self.view.take(), event, &payload);
        Ok(())
    }
}
