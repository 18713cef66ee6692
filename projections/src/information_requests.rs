//! Information requests as the information officer's desk shows them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::types::Json;

use domain::calendar::WorkingDays;
use domain::request::{
    ClockReason, ClockStop, Deadlines, Extension, FoiGround, ObjectedUse, RequestEvent,
    RequestKind, Requester, deadlines,
};

use domain::retention::{RecordKind, RetentionRule};

use crate::{Conn, Db, ProjectionError, RecordedEvent, on_conn, on_pool};

/// The decision on an erasure request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureDecision {
    pub approved: bool,
    pub reason: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// The decision on a rectification, restriction or objection request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightDecision {
    /// Rectified, restricted or upheld.
    pub granted: bool,
    pub reason: Option<String>,
    /// Rectification: the application corrected and the fields that changed.
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub fields: Vec<String>,
    /// Objection: the uses objected to.
    #[serde(default)]
    pub uses: Vec<ObjectedUse>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// The refusal of an FOI request: the ground, why it applies and, for a qualified exemption, the public
/// interest reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoiRefusal {
    pub ground: FoiGround,
    pub reason: Option<String>,
    pub public_interest: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// One change of the clock, as the request's history shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockEntry {
    pub action: String,
    pub on: NaiveDate,
    pub reason: Option<ClockReason>,
    pub note: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: String,
    pub kind: RequestKind,
    pub received_on: NaiveDate,
    pub requester: Option<Requester>,
    pub subject_email: Option<String>,
    pub description: Option<String>,
    pub stops: Vec<ClockStop>,
    pub clock: Vec<ClockEntry>,
    pub extension: Option<Extension>,
    pub extension_reason: Option<String>,
    /// The day the response was issued. The response itself is read from the request's stream, where each
    /// copy of a record it keeps is sealed under that record's own key, and never kept here in clear.
    #[serde(default)]
    pub responded_on: Option<NaiveDate>,
    /// The day the draft response was made, while there is one and nothing is issued. The draft, like the
    /// response, is read from the request's stream.
    #[serde(default)]
    pub drafted_on: Option<NaiveDate>,
    /// For an erasure request: the decision and its reason.
    #[serde(default)]
    pub erasure: Option<ErasureDecision>,
    /// For a rectification, restriction or objection request: the decision.
    #[serde(default)]
    pub rectification: Option<RightDecision>,
    #[serde(default)]
    pub restriction: Option<RightDecision>,
    #[serde(default)]
    pub objection: Option<RightDecision>,
    /// For an FOI request that was refused.
    #[serde(default)]
    pub refusal: Option<FoiRefusal>,
    pub logged_by: String,
    pub logged_at: DateTime<Utc>,
    pub version: i64,
}

impl RequestView {
    /// Whether the right the request asks for has been decided (granted or refused).
    pub fn decided(&self) -> bool {
        self.erasure.is_some()
            || self.rectification.is_some()
            || self.restriction.is_some()
            || self.objection.is_some()
            || self.refusal.is_some()
    }

    /// The day the request closed: its response issued or, failing that, its decision (or refusal) recorded.
    pub fn closed_on(&self) -> Option<NaiveDate> {
        self.responded_on.or_else(|| {
            [
                self.erasure.as_ref().map(|d| d.decided_at),
                self.rectification.as_ref().map(|d| d.decided_at),
                self.restriction.as_ref().map(|d| d.decided_at),
                self.objection.as_ref().map(|d| d.decided_at),
                self.refusal.as_ref().map(|d| d.decided_at),
            ]
            .into_iter()
            .flatten()
            .min()
            .map(|at| at.date_naive())
        })
    }

    /// When the request falls due under the retention schedule: two years after it closed; never while it
    /// is open.
    pub fn due(&self) -> Option<(RecordKind, NaiveDate)> {
        let rule = RecordKind::InformationRequest;
        let closed_on = self.closed_on()?;
        RetentionRule::for_kind(rule)
            .falls_due(closed_on)
            .map(|due| (rule, due))
    }

    pub fn clock_stopped(&self) -> bool {
        self.stops
            .last()
            .is_some_and(|stop| stop.resumed_on.is_none())
    }

    pub fn status(&self) -> &'static str {
        if self.responded_on.is_some() {
            "responded"
        } else if self.clock_stopped() {
            "clock_stopped"
        } else {
            "open"
        }
    }

    /// The request's deadlines in the calendar given, counted as of `today`.
    pub fn deadlines(&self, calendar: &WorkingDays, today: NaiveDate) -> Deadlines {
        deadlines(
            self.kind.is_foi(),
            self.received_on,
            &self.stops,
            self.extension,
            calendar,
            today,
        )
    }
}

pub(crate) async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    payload: &RequestEvent,
) -> Result<(), ProjectionError> {
    if let RequestEvent::PersonalDataDestroyed { rule, destroyed_on } = payload {
        // The request leaves the desk (its requester, words and response were personal data); the fact
        // that it existed and was destroyed stays in the list of destroyed streams.
        forget(conn, &event.aggregate_id).await?;
        return crate::retention::project_destroyed(conn, event, *rule, *destroyed_on).await;
    }
    let before = match payload {
        RequestEvent::RequestLogged { .. } => None,
        _ => load_in(conn, &event.aggregate_id).await?,
    };
    let due_before = before.as_ref().and_then(RequestView::due);
    match fold(before, event, payload) {
        Some(view) => {
            save_many(conn, &[&view]).await?;
            let due = view.due();
            if due != due_before {
                crate::retention::schedule_stream(conn, event, due).await?;
            }
            Ok(())
        }
        None => Ok(()),
    }
}

async fn forget(conn: &mut Conn<'_>, id: &str) -> Result<(), ProjectionError> {
    on_conn!(conn, c => sqlx::query("DELETE FROM information_requests WHERE id = $1")
        .bind(id).execute(&mut *c).await?.rows_affected());
    Ok(())
}

/// The request's view after `event`, given the view before it (`None`: not logged yet). A request whose
/// first event is not its logging has no view.
pub(crate) fn fold(
    before: Option<RequestView>,
    event: &RecordedEvent,
    payload: &RequestEvent,
) -> Option<RequestView> {
    let at = event.metadata.at;
    let by = event.metadata.actor_id.clone();
    let mut view = match payload {
        RequestEvent::RequestLogged {
            kind,
            received_on,
            requester,
            subject_email,
            description,
        } => RequestView {
            id: event.aggregate_id.clone(),
            kind: *kind,
            received_on: *received_on,
            requester: requester.known().cloned(),
            subject_email: subject_email.known().cloned().flatten(),
            description: description.known().cloned(),
            stops: Vec::new(),
            clock: Vec::new(),
            extension: None,
            extension_reason: None,
            responded_on: None,
            drafted_on: None,
            erasure: None,
            rectification: None,
            restriction: None,
            objection: None,
            refusal: None,
            logged_by: by.clone(),
            logged_at: at,
            version: event.sequence,
        },
        _ => before?,
    };
    view.version = event.sequence;
    match payload {
        RequestEvent::RequestLogged { .. } => {}
        RequestEvent::ClockStopped { on, reason, note } => {
            view.stops.push(ClockStop {
                stopped_on: *on,
                resumed_on: None,
                reason: *reason,
            });
            view.clock.push(ClockEntry {
                action: "stop".into(),
                on: *on,
                reason: Some(*reason),
                note: note.known().cloned(),
                by,
                at,
            });
        }
        RequestEvent::ClockResumed { on, note } => {
            if let Some(stop) = view.stops.last_mut() {
                stop.resumed_on = Some(*on);
            }
            view.clock.push(ClockEntry {
                action: "resume".into(),
                on: *on,
                reason: None,
                note: note.known().cloned(),
                by,
                at,
            });
        }
        RequestEvent::DeadlineExtended { extension, reason } => {
            view.extension = Some(*extension);
            view.extension_reason = reason.known().cloned();
        }
        RequestEvent::ErasureDecided { approved, reason } => {
            view.erasure = Some(ErasureDecision {
                approved: *approved,
                reason: reason.known().cloned(),
                decided_by: by,
                decided_at: at,
            });
        }
        RequestEvent::RectificationDecided {
            rectified,
            application_id,
            fields,
            reason,
        } => {
            view.rectification = Some(RightDecision {
                granted: *rectified,
                reason: reason.known().cloned(),
                application_id: application_id.clone(),
                fields: fields.clone(),
                uses: Vec::new(),
                decided_by: by,
                decided_at: at,
            });
        }
        RequestEvent::RestrictionDecided { restricted, reason } => {
            view.restriction = Some(RightDecision {
                granted: *restricted,
                reason: reason.known().cloned(),
                application_id: None,
                fields: Vec::new(),
                uses: Vec::new(),
                decided_by: by,
                decided_at: at,
            });
        }
        RequestEvent::ObjectionDecided {
            upheld,
            uses,
            reason,
        } => {
            view.objection = Some(RightDecision {
                granted: *upheld,
                reason: reason.known().cloned(),
                application_id: None,
                fields: Vec::new(),
                uses: uses.clone(),
                decided_by: by,
                decided_at: at,
            });
        }
        RequestEvent::FoiRefused {
            ground,
            reason,
            public_interest,
        } => {
            view.refusal = Some(FoiRefusal {
                ground: *ground,
                reason: reason.known().cloned(),
                public_interest: public_interest.known().cloned().flatten(),
                decided_by: by,
                decided_at: at,
            });
        }
        RequestEvent::ResponseDrafted { drafted_on, .. } => {
            view.drafted_on = Some(*drafted_on);
        }
        RequestEvent::DraftItemWithheld { .. } | RequestEvent::DraftAnnotated { .. } => {}
        RequestEvent::ResponseIssued { issued_on, .. } => {
            view.responded_on = Some(*issued_on);
            view.drafted_on = None;
        }
        RequestEvent::PersonalDataDestroyed { .. } => return None,
    }
    Some(view)
}

/// Writes requests' views, new or replacing what was there, many to a statement.
pub(crate) async fn save_many(
    conn: &mut Conn<'_>,
    views: &[&RequestView],
) -> Result<(), ProjectionError> {
    for chunk in views.chunks(crate::application_view::ROWS_A_STATEMENT) {
        on_conn!(conn, c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO information_requests \
                 (id, kind, status, requester_email, subject_email, received_on, version, doc) ",
            );
            insert.push_values(chunk, |mut b, view| {
                let requester_email = view
                    .requester
                    .as_ref()
                    .map(|r| r.email.to_lowercase())
                    .unwrap_or_default();
                b.push_bind(&view.id)
                    .push_bind(view.kind.as_str())
                    .push_bind(view.status())
                    .push_bind(requester_email)
                    .push_bind(view.subject_email.as_ref().map(|e| e.to_lowercase()))
                    .push_bind(view.received_on)
                    .push_bind(view.version)
                    .push_bind(Json(*view));
            });
            insert.push(
                " ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = excluded.version, \
                 doc = excluded.doc",
            );
            insert.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

async fn load_in(conn: &mut Conn<'_>, id: &str) -> Result<Option<RequestView>, ProjectionError> {
    const SQL: &str = "SELECT doc FROM information_requests WHERE id = $1";
    let row = on_conn!(conn, c => sqlx::query(SQL).bind(id).fetch_optional(&mut *c).await?
        .map(|row| row.try_get::<Json<RequestView>, _>("doc")).transpose()?);
    Ok(row.map(|Json(view)| view))
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    crate::db::empty_partitioned(conn, "information_requests").await?;
    Ok(())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<RequestView>, sqlx::Error> {
    if !crate::db::is_plausible_id(id) {
        return Ok(None);
    }
    const SQL: &str = "SELECT doc FROM information_requests WHERE id = $1";
    let row = on_pool!(db, p => sqlx::query(SQL).bind(id).fetch_optional(p).await?
        .map(|row| row.try_get::<Json<RequestView>, _>("doc")).transpose()?);
    Ok(row.map(|Json(view)| view))
}

/// Every request on the desk.
pub async fn all(db: &Db) -> Result<Vec<RequestView>, sqlx::Error> {
    const SQL: &str = "SELECT doc FROM information_requests ORDER BY received_on, id";
    let rows = on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?
        .into_iter()
        .map(|row| row.try_get::<Json<RequestView>, _>("doc"))
        .collect::<Result<Vec<_>, _>>()?);
    Ok(rows.into_iter().map(|Json(view)| view).collect())
}

/// The requests a person made, or that are about them, by email address.
pub async fn about(db: &Db, email: &str) -> Result<Vec<RequestView>, sqlx::Error> {
    const SQL: &str = "SELECT doc FROM information_requests WHERE requester_email = $1 OR subject_email = $1 \
                       ORDER BY received_on, id";
    let email = crate::db::clean_text(email).trim().to_lowercase();
    let rows = on_pool!(db, p => sqlx::query(SQL).bind(&email).fetch_all(p).await?
        .into_iter()
        .map(|row| row.try_get::<Json<RequestView>, _>("doc"))
        .collect::<Result<Vec<_>, _>>()?);
    Ok(rows.into_iter().map(|Json(view)| view).collect())
}

/// The requests not yet answered, of every kind (the figures of `GET /metrics` count them by their dates).
pub async fn open(db: &Db) -> Result<Vec<RequestView>, sqlx::Error> {
    const SQL: &str =
        "SELECT doc FROM information_requests WHERE status <> 'responded' ORDER BY received_on, id";
    let rows = on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?
        .into_iter()
        .map(|row| row.try_get::<Json<RequestView>, _>("doc"))
        .collect::<Result<Vec<_>, _>>()?);
    Ok(rows.into_iter().map(|Json(view)| view).collect())
}

/// The requests not yet answered that name whose data they are about.
pub async fn open_with_subject(db: &Db) -> Result<Vec<RequestView>, sqlx::Error> {
    const SQL: &str = "SELECT doc FROM information_requests WHERE status <> 'responded' AND subject_email IS NOT NULL \
                       ORDER BY received_on, id";
    let rows = on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await?
        .into_iter()
        .map(|row| row.try_get::<Json<RequestView>, _>("doc"))
        .collect::<Result<Vec<_>, _>>()?);
    Ok(rows.into_iter().map(|Json(view)| view).collect())
}

/// Given a request's events, the row `fold` leaves: the clock, the decisions, the draft and the response,
/// and the status and retention date the desk reads from it.
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::Personal;
    use domain::{Actor, Role};

    use crate::EventMetadata;

    const OFFICER: &str = "information-officer-1";

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("a valid date")
    }

    /// The request's view after these events, each recorded at ten in the morning of its day.
    fn folded(events: Vec<(NaiveDate, RequestEvent)>) -> Option<RequestView> {
        let officer = Actor::new(OFFICER, Role::InformationOfficer);
        let mut view = None;
        for (sequence, (on, payload)) in (1..).zip(events) {
            let at = Utc.from_utc_datetime(&on.and_hms_opt(10, 0, 0).expect("a valid time"));
            let event = RecordedEvent {
                aggregate_type: "InformationRequest".to_string(),
                aggregate_id: "request-1".to_string(),
                sequence,
                event_type: String::new(),
                payload: serde_json::Value::Null,
                metadata: EventMetadata::new(&officer, at),
            };
            view = fold(view, &event, &payload);
        }
        view
    }

    fn logged(kind: RequestKind) -> (NaiveDate, RequestEvent) {
        (
            day(3, 2),
            RequestEvent::RequestLogged {
                kind,
                received_on: day(3, 2),
                requester: Personal::Known(Requester {
                    name: "Test Requester".to_string(),
                    email: "requester@example.test".to_string(),
                }),
                subject_email: Personal::Known(Some("subject@example.test".to_string())),
                description: Personal::Known("a test request".to_string()),
            },
        )
    }

    #[test]
    fn a_request_not_logged_first_has_no_row() {
        let view = folded(vec![(
            day(3, 2),
            RequestEvent::ResponseIssued {
                issued_on: day(3, 2),
                response: Personal::Known(serde_json::json!({})),
            },
        )]);
        assert_eq!(view, None);
    }

    #[test]
    fn a_logged_request_is_open_with_its_requester_and_no_retention_date() {
        let view = folded(vec![logged(RequestKind::Sar)]).expect("a row");
        assert_eq!(view.id, "request-1");
        assert_eq!(view.kind, RequestKind::Sar);
        assert_eq!(view.received_on, day(3, 2));
        assert_eq!(view.subject_email.as_deref(), Some("subject@example.test"));
        assert_eq!(view.logged_by, OFFICER);
        assert_eq!(view.status(), "open");
        assert!(!view.decided());
        assert_eq!(view.due(), None);
        assert_eq!(view.version, 1);
    }

    #[test]
    fn the_clock_stops_and_resumes_with_each_change_in_its_history() {
        let stopped = (
            day(3, 5),
            RequestEvent::ClockStopped {
                on: day(3, 5),
                reason: ClockReason::Identity,
                note: Personal::Known("identity asked for".to_string()),
            },
        );
        let view = folded(vec![logged(RequestKind::Sar), stopped.clone()]).expect("a row");
        assert!(view.clock_stopped());
        assert_eq!(view.status(), "clock_stopped");

        let resumed = (
            day(3, 9),
            RequestEvent::ClockResumed {
                on: day(3, 9),
                note: Personal::Known(String::new()),
            },
        );
        let view = folded(vec![logged(RequestKind::Sar), stopped, resumed]).expect("a row");
        assert!(!view.clock_stopped());
        assert_eq!(
            view.stops,
            vec![ClockStop {
                stopped_on: day(3, 5),
                resumed_on: Some(day(3, 9)),
                reason: ClockReason::Identity,
            }]
        );
        let actions: Vec<&str> = view.clock.iter().map(|c| c.action.as_str()).collect();
        assert_eq!(actions, vec!["stop", "resume"]);
        assert_eq!(view.clock[0].note.as_deref(), Some("identity asked for"));
        assert_eq!(view.version, 3);
    }

    #[test]
    fn an_issued_response_closes_the_request_and_starts_its_retention() {
        let view = folded(vec![
            logged(RequestKind::Foi),
            (
                day(3, 10),
                RequestEvent::ResponseDrafted {
                    drafted_on: day(3, 10),
                    response: Personal::Known(serde_json::json!({})),
                },
            ),
        ])
        .expect("a row");
        assert_eq!(view.drafted_on, Some(day(3, 10)));
        assert_eq!(view.responded_on, None);

        let view = folded(vec![
            logged(RequestKind::Foi),
            (
                day(3, 10),
                RequestEvent::ResponseDrafted {
                    drafted_on: day(3, 10),
                    response: Personal::Known(serde_json::json!({})),
                },
            ),
            (
                day(3, 12),
                RequestEvent::ResponseIssued {
                    issued_on: day(3, 12),
                    response: Personal::Known(serde_json::json!({})),
                },
            ),
        ])
        .expect("a row");
        assert_eq!(view.drafted_on, None);
        assert_eq!(view.responded_on, Some(day(3, 12)));
        assert_eq!(view.status(), "responded");
        assert_eq!(view.closed_on(), Some(day(3, 12)));
        assert_eq!(
            view.due(),
            Some((
                RecordKind::InformationRequest,
                NaiveDate::from_ymd_opt(2028, 3, 12).expect("a valid date")
            ))
        );
    }

    #[test]
    fn a_decided_right_closes_the_request_on_the_day_of_the_decision() {
        let view = folded(vec![
            logged(RequestKind::Erasure),
            (
                day(3, 20),
                RequestEvent::ErasureDecided {
                    approved: false,
                    reason: Personal::Known("a test reason".to_string()),
                },
            ),
        ])
        .expect("a row");
        assert!(view.decided());
        let erasure = view.erasure.as_ref().expect("a decision");
        assert!(!erasure.approved);
        assert_eq!(erasure.decided_by, OFFICER);
        assert_eq!(view.closed_on(), Some(day(3, 20)));
    }

    #[test]
    fn a_request_whose_personal_data_is_destroyed_has_no_row() {
        let view = folded(vec![
            logged(RequestKind::Foi),
            (
                day(3, 12),
                RequestEvent::PersonalDataDestroyed {
                    rule: RecordKind::InformationRequest,
                    destroyed_on: day(3, 12),
                },
            ),
        ]);
        assert_eq!(view, None);
    }
}
