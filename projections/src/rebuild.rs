//! Application streams replayed for a rebuild: each stream's events folded in memory into the state its views
//! hold, then the views of many streams written together.
//!
//! Every table an application feeds is a function of its view as it stands after its last event (the case
//! list row, the committee's totals, the published lists, the retention schedule), except the committee's
//! assignments, which are folded here event by event as `case_list` records them, and the fact of a
//! destruction, which the first `PersonalDataDestroyed` records. An application's views depend on nothing
//! outside its own stream, so the streams can be replayed one after another rather than in commit order, and
//! what this writes is what the event-by-event projection leaves (the rebuild tests compare the two).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use domain::application::ApplicationEvent;
use domain::retention::RecordKind;

use crate::application_view::{self, ApplicationView};
use crate::{
    Conn, ProjectionError, RecordedEvent, case_list, committee_scores, publishing, retention,
};

/// One application stream, folded.
#[derive(Debug)]
pub struct ApplicationStream {
    id: String,
    view: Option<ApplicationView>,
    /// Committee members assigned, and whether each declared a conflict.
    assignments: Vec<(String, bool)>,
    destroyed: Option<(RecordKind, NaiveDate, DateTime<Utc>)>,
}

impl ApplicationStream {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            view: None,
            assignments: Vec::new(),
            destroyed: None,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Takes the stream's next event.
    pub fn apply(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError> {
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

/// Writes the views of folded streams into emptied views: the application views, case list rows,
/// assignments, schedule and published lists many rows to a statement; destructions, which few streams have,
/// one by one.
pub async fn write_application_streams(
    conn: &mut Conn<'_>,
    streams: &[ApplicationStream],
) -> Result<(), ProjectionError> {
    let views: Vec<&ApplicationView> = streams.iter().filter_map(|s| s.view.as_ref()).collect();
    application_view::insert_many(conn, &views).await?;
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
    retention::schedule_applications(conn, &views).await?;
    publishing::insert_many(conn, &views).await?;
    for stream in streams {
        if let Some((rule, destroyed_on, at)) = stream.destroyed {
            retention::record_destroyed(conn, "Application", &stream.id, rule, destroyed_on, at)
                .await?;
        }
    }
    Ok(())
}
