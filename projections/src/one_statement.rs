//! The commonest command on PostgreSQL, written in one statement: an application event whose projection is
//! only the view's new version and, where it changed, the case-list row (a draft edit, a change of
//! preferences, most of a case's steps), sent with the event itself as one `INSERT … UPDATE …` statement.
//!
//! A statement is its own transaction, so the event and its views still commit together or not at all, as
//! [`crate::project`] has them inside the command's transaction; what is saved is `BEGIN`, `COMMIT` and a
//! round trip for each write, which on a busy server are most of a command's cost. The statement keeps
//! nothing unless the view is still at the version the event follows (the one this process committed): a
//! view that moved on (another process, a rebuild) makes the statement fail whole, and the store then takes
//! the ordinary way. Two commands racing on one stream still meet on the events' primary key: the loser's
//! statement fails whole, as its transaction would.

use domain::application::ApplicationEvent;
use serde_json::Value;
use sqlx::types::Json;

use crate::application_view::{ApplicationView, CommittedViews};
use crate::case_list::{CaseSummary, bind_case_row, case_list_columns, case_list_on_conflict};
use crate::{ProjectionError, RecordedEvent, committee_scores, publishing, referees, retention};

/// PostgreSQL's error code for a division by zero: here, the view had moved on.
const DIVISION_BY_ZERO: &str = "22012";

/// An event's row of the log, as the store writes it (its payload already sealed).
pub struct EventRow<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub event_type: &'a str,
    pub event_version: &'a str,
    pub payload: &'a Value,
    pub metadata: &'a Value,
}

/// The writes of one application event that fit in one statement.
#[derive(Debug)]
pub struct Plan {
    before_version: i64,
    view: ApplicationView,
    /// The view's document sealed under the application's key, as the table keeps it.
    doc: Vec<u8>,
    case_row: Option<CaseSummary>,
}

/// The event's writes, if they are only the application's view and its case-list row and the view it follows
/// is one this process committed; `None` sends the event the ordinary way.
pub fn plan(
    event: &RecordedEvent,
    committed: &CommittedViews,
    key: &dyn crate::sealed::StreamKey,
) -> Result<Option<Plan>, ProjectionError> {
    if event.aggregate_type != <domain::application::Application as cqrs_es::Aggregate>::TYPE {
        return Ok(None);
    }
    let payload = <ApplicationEvent as serde::Deserialize>::deserialize(&event.payload)?;
    match payload {
        // These write more than the two rows: the destruction of personal data, and the committee's
        // assignments.
        ApplicationEvent::PersonalDataDestroyed { .. }
        | ApplicationEvent::ApplicationStarted { .. }
        | ApplicationEvent::CommitteeMemberAssigned { .. }
        | ApplicationEvent::ConflictDeclared { .. } => return Ok(None),
        _ => {}
    }
    let Some(before) = committed.before(&event.aggregate_id, event.sequence) else {
        return Ok(None);
    };
    let mut view = before.clone();
    view.apply(event, &payload);
    let others_unchanged = committee_scores::unchanged(&before, &view)
        && crate::awards::unchanged(&before, &view)
        && publishing::unchanged(&before, &view)
        && referees::unchanged(&before, &view)
        && crate::supervisors::unchanged(&before, &view)
        && retention::application_unchanged(&before, &view);
    if !others_unchanged {
        return Ok(None);
    }
    let row = CaseSummary::of(&view);
    let case_row = (CaseSummary::of(&before) != row).then_some(row);
    Ok(Some(Plan {
        before_version: before.version,
        doc: crate::application_view::sealed_doc(&view, key),
        view,
        case_row,
    }))
}

impl Plan {
    /// The application the plan writes.
    pub fn application_id(&self) -> &str {
        &self.view.id
    }

    /// The view the event leaves, once written.
    pub fn into_view(self) -> ApplicationView {
        self.view
    }

    /// Writes the event and its views in one statement. `Ok(None)`: the view had moved on and nothing was
    /// kept; `Ok(Some(view))`: all of it was, and this is the view the event left. A conflict on the
    /// events' primary key is the database's error, as on the ordinary way.
    pub async fn write(
        self,
        conn: &mut sqlx::PgConnection,
        event: EventRow<'_>,
    ) -> Result<Option<ApplicationView>, sqlx::Error> {
        Ok(self.write_alone(conn, event).await?.then_some(self.view))
    }

    async fn write_alone(
        &self,
        conn: &mut sqlx::PgConnection,
        event: EventRow<'_>,
    ) -> Result<bool, sqlx::Error> {
        // The event goes in first and the view's row is locked after it, in the order every other
        // transaction takes them (so two writers cannot wait on each other); a view that moved on is updated
        // in no row, and the division by that count undoes the whole statement.
        macro_rules! event_and_view {
            () => {
                "WITH event AS (INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                 event_version, payload, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING sequence), \
                 view AS (UPDATE application_views SET version = $8, doc = $9 \
                 WHERE id = $2 AND version = $10 AND EXISTS (SELECT 1 FROM event) RETURNING id)"
            };
        }
        macro_rules! written {
            () => {
                " SELECT 1 / (SELECT count(*) FROM view)"
            };
        }
        const WITHOUT_CASE_ROW: &str = concat!(event_and_view!(), written!());
        const WITH_CASE_ROW: &str = concat!(
            event_and_view!(),
            ", case_row AS (INSERT INTO case_list (",
            case_list_columns!(),
            ") SELECT $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22 FROM view ",
            case_list_on_conflict!(),
            " RETURNING id)",
            written!()
        );
        let sql = match self.case_row {
            Some(_) => WITH_CASE_ROW,
            None => WITHOUT_CASE_ROW,
        };
        let mut query = sqlx::query_scalar::<_, i64>(sql)
            .bind(event.aggregate_type)
            .bind(event.aggregate_id)
            .bind(event.sequence)
            .bind(event.event_type)
            .bind(event.event_version)
            .bind(Json(event.payload))
            .bind(Json(event.metadata))
            .bind(self.view.version)
            .bind(&self.doc)
            .bind(self.before_version);
        if let Some(row) = &self.case_row {
            query = bind_case_row!(query, row);
        }
        match query.fetch_one(&mut *conn).await {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(DIVISION_BY_ZERO) =>
            {
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }
}

/// Writes several applications' plans in one statement, and so in one commit: for each, whether its event
/// and views were kept (`false`: its view had moved on, and nothing of it was written). The applications
/// must be distinct.
///
/// Each plan is kept whole or not at all, as [`Plan::write`] keeps it: a plan whose view is no longer at the
/// version it follows is left out before anything is written; one whose view moves on while the statement
/// runs, or whose event meets another writer's on the events' primary key, makes the whole statement fail,
/// and the caller then writes the plans one by one. The events go in in the order of their applications'
/// ids, so that two such statements lock the rows they share in one order and cannot wait on each other.
pub async fn write_together(
    conn: &mut sqlx::PgConnection,
    plans: &[(&Plan, EventRow<'_>)],
) -> Result<Vec<bool>, sqlx::Error> {
    const SQL: &str = concat!(
        "WITH given AS (SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], \
         $6::jsonb[], $7::jsonb[], $8::bigint[], $9::bytea[], $10::bigint[], $11::bool[], $12::text[], \
         $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::timestamptz[], \
         $19::timestamptz[], $20::float8[], $21::bigint[], $22::bool[]) AS g (id, sequence, \
         event_type, event_version, payload, metadata, after, doc, before, with_case_row, cycle, status, \
         full_name, email, nationality, country_of_residence, submitted_at, updated_at, mean_score, scores, \
         recheck_due)), \
         ready AS (SELECT g.* FROM given g JOIN application_views v ON v.id = g.id AND v.version = g.before), \
         event AS (INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
         payload, metadata) SELECT $1, id, sequence, event_type, event_version, payload, metadata \
         FROM ready ORDER BY id RETURNING aggregate_id), \
         view AS (UPDATE application_views v SET version = r.after, doc = r.doc \
         FROM ready r JOIN event e ON e.aggregate_id = r.id \
         WHERE v.id = r.id AND v.version = r.before RETURNING v.id), \
         case_row AS (INSERT INTO case_list (",
        case_list_columns!(),
        ") SELECT r.id, r.cycle, r.status, r.full_name, r.email, r.nationality, r.country_of_residence, \
         r.submitted_at, r.updated_at, r.mean_score, r.scores, r.recheck_due FROM ready r \
         JOIN view w ON w.id = r.id \
         WHERE r.with_case_row ",
        case_list_on_conflict!(),
        " RETURNING id) \
         SELECT coalesce(array_agg(id), '{}'), \
         1 / (CASE WHEN count(*) = (SELECT count(*) FROM event) THEN 1 ELSE 0 END) FROM view"
    );
    let Some((_, first)) = plans.first() else {
        return Ok(Vec::new());
    };
    let n = plans.len();
    let mut ids = Vec::with_capacity(n);
    let mut sequences = Vec::with_capacity(n);
    let mut event_types = Vec::with_capacity(n);
    let mut event_versions = Vec::with_capacity(n);
    let mut payloads = Vec::with_capacity(n);
    let mut metadata = Vec::with_capacity(n);
    let mut afters = Vec::with_capacity(n);
    let mut docs = Vec::with_capacity(n);
    let mut befores = Vec::with_capacity(n);
    let mut with_case_rows = Vec::with_capacity(n);
    let mut cycles = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut full_names = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    let mut nationalities = Vec::with_capacity(n);
    let mut countries = Vec::with_capacity(n);
    let mut submitted = Vec::with_capacity(n);
    let mut updated = Vec::with_capacity(n);
    let mut mean_scores = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    let mut rechecks = Vec::with_capacity(n);
    for (plan, event) in plans {
        ids.push(event.aggregate_id);
        sequences.push(event.sequence);
        event_types.push(event.event_type);
        event_versions.push(event.event_version);
        payloads.push(Json(event.payload));
        metadata.push(Json(event.metadata));
        afters.push(plan.view.version);
        docs.push(plan.doc.as_slice());
        befores.push(plan.before_version);
        let row = plan.case_row.as_ref();
        with_case_rows.push(row.is_some());
        cycles.push(row.map(|r| r.cycle.as_str()));
        statuses.push(row.map(|r| r.status.as_str()));
        full_names.push(row.and_then(|r| r.full_name.as_deref()));
        emails.push(row.and_then(|r| r.email.as_deref()));
        nationalities.push(row.and_then(|r| r.nationality.as_deref()));
        countries.push(row.and_then(|r| r.country_of_residence.as_deref()));
        submitted.push(row.and_then(|r| r.submitted_at));
        updated.push(row.map(|r| r.updated_at));
        mean_scores.push(row.and_then(|r| r.mean_score));
        scores.push(row.map(|r| r.scores));
        rechecks.push(row.map(|r| r.recheck_due));
    }
    let (written, _): (Vec<String>, i32) = sqlx::query_as(SQL)
        .bind(first.aggregate_type)
        .bind(&ids)
        .bind(&sequences)
        .bind(&event_types)
        .bind(&event_versions)
        .bind(&payloads)
        .bind(&metadata)
        .bind(&afters)
        .bind(&docs)
        .bind(&befores)
        .bind(&with_case_rows)
        .bind(&cycles)
        .bind(&statuses)
        .bind(&full_names)
        .bind(&emails)
        .bind(&nationalities)
        .bind(&countries)
        .bind(&submitted)
        .bind(&updated)
        .bind(&mean_scores)
        .bind(&scores)
        .bind(&rechecks)
        .fetch_one(&mut *conn)
        .await?;
    Ok(ids
        .iter()
        .map(|id| written.iter().any(|w| w == id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventMetadata;
    use crate::sealed::test_keys::XorKey;
    use chrono::Utc;
    use domain::Personal;
    use domain::actor::Role;
    use domain::application::form::DraftChanges;

    const ID: &str = "0190a0b2-0000-7000-8000-000000000001";

    fn event(sequence: i64, payload: &ApplicationEvent) -> RecordedEvent {
        RecordedEvent {
            aggregate_type: "Application".into(),
            aggregate_id: ID.into(),
            sequence,
            event_type: "event".into(),
            payload: serde_json::to_value(payload).expect("an event serialises"),
            metadata: EventMetadata {
                actor_id: "applicant-1".into(),
                actor_role: Role::Applicant,
                at: Utc::now(),
            },
        }
    }

    /// The views of a process that committed the application's first event.
    fn committed_after_start() -> CommittedViews {
        let started = event(
            1,
            &ApplicationEvent::ApplicationStarted {
                cycle: domain::cycle::CycleName::parse("2026-27").expect("a cycle"),
                applicant_id: "applicant-1".into(),
            },
        );
        let view = ApplicationView::started(&started, "2026-27", "applicant-1");
        let committed = CommittedViews::default();
        committed.remember(&[view]);
        committed
    }

    fn draft_saved() -> ApplicationEvent {
        ApplicationEvent::DraftSaved {
            sections: Vec::new(),
            changes: Personal::from(DraftChanges::default()),
        }
    }

    #[test]
    fn a_draft_edit_after_a_committed_view_is_written_in_one_statement_with_its_case_list_row() {
        let plan = plan(
            &event(2, &draft_saved()),
            &committed_after_start(),
            &XorKey(9),
        )
        .expect("the event reads")
        .expect("a draft edit fits in one statement");
        assert_eq!(plan.before_version, 1);
        assert_eq!(plan.view.version, 2);
        assert!(
            plan.case_row.is_some(),
            "the case list shows when the application last changed"
        );
    }

    #[test]
    fn an_event_that_writes_more_than_the_view_and_its_case_row_takes_the_ordinary_way() {
        let assigned = ApplicationEvent::CommitteeMemberAssigned {
            member_id: "member-1".into(),
        };
        let plan = plan(&event(2, &assigned), &committed_after_start(), &XorKey(9))
            .expect("the event reads");
        assert!(plan.is_none(), "an assignment also writes case_assignments");
    }

    #[test]
    fn an_event_that_does_not_follow_the_committed_view_takes_the_ordinary_way() {
        let committed = committed_after_start();
        assert!(
            plan(&event(3, &draft_saved()), &committed, &XorKey(9))
                .expect("the event reads")
                .is_none(),
            "another writer's event came between"
        );
        assert!(
            plan(
                &event(2, &draft_saved()),
                &CommittedViews::default(),
                &XorKey(9)
            )
            .expect("the event reads")
            .is_none(),
            "a view this process did not commit"
        );
    }
}
