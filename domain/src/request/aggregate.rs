//! The information request aggregate.

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::RequestCommand;
use super::deadlines::{ClockReason, ClockStop, Extension};
use super::error::RequestError;
use super::events::RequestEvent;
use super::rights::ObjectedUse;
use crate::actor::{Authored, Role};
use crate::application::form::parse_email;
use crate::application::rules::FieldProblem;
use crate::retention::{Kept, RecordKind, request_kept};

/// The kinds of request the information officer logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Foi,
    Sar,
    Rectification,
    Erasure,
    Restriction,
    Objection,
    Portability,
}

impl RequestKind {
    pub const ALL: [RequestKind; 7] = [
        RequestKind::Foi,
        RequestKind::Sar,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::Portability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Foi => "foi",
            RequestKind::Sar => "sar",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::Portability => "portability",
        }
    }

    pub fn parse(name: &str) -> Option<RequestKind> {
        RequestKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// FOI requests run on FOIA's clock; every other kind on the data subject's (one calendar month).
    pub fn is_foi(self) -> bool {
        self == RequestKind::Foi
    }

    /// The reasons this kind's clock may be stopped for.
    pub fn allows(self, reason: ClockReason) -> bool {
        match reason {
            ClockReason::Fee => self.is_foi(),
            ClockReason::Clarification => true,
            ClockReason::Identity => !self.is_foi(),
        }
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[default]
    NotLogged,
    Open,
    ClockStopped,
    Responded,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::NotLogged => "not_logged",
            RequestStatus::Open => "open",
            RequestStatus::ClockStopped => "clock_stopped",
            RequestStatus::Responded => "responded",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InformationRequest {
    pub kind: Option<RequestKind>,
    pub received_on: Option<NaiveDate>,
    pub status: RequestStatus,
    pub stops: Vec<ClockStop>,
    pub extension: Option<Extension>,
    /// For a request of a right the officer decides (rectification, erasure, restriction, objection):
    /// whether it was granted, once decided.
    pub decided: Option<bool>,
    /// The personal data has been destroyed under the retention schedule.
    #[serde(default)]
    pub destroyed: bool,
    /// The draft response, while there is one and nothing is issued: the items withheld from it.
    #[serde(default)]
    pub draft: Option<Draft>,
}

/// What the aggregate knows of a draft response: which of its items are withheld (JSON pointers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub withheld: Vec<String>,
}

/// Whether `item` is `withheld` or lies inside it.
fn within(item: &str, withheld: &str) -> bool {
    item == withheld
        || item
            .strip_prefix(withheld)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn note_problem(field: &str, text: &str, required: bool, problems: &mut Vec<FieldProblem>) {
    let chars = text.trim().chars().count();
    if (required && chars == 0) || chars > 2000 || text.contains('\0') {
        problems.push(FieldProblem::new(
            field,
            "must be given, at most 2000 characters",
        ));
    }
}

impl InformationRequest {
    /// The checks every decision on a right shares: the request is of the kind the decision is for, it has
    /// not been decided, and the reason is given. Returns the reason, trimmed.
    fn decision(&self, expected: RequestKind, reason: &str) -> Result<String, RequestError> {
        let kind = self.kind.ok_or(RequestError::NotFound)?;
        if kind != expected {
            return Err(RequestError::WrongKind {
                expected: expected.in_words(),
                kind: kind.in_words(),
            });
        }
        if self.decided.is_some() {
            return Err(RequestError::AlreadyDecided);
        }
        let mut problems = Vec::new();
        note_problem("reason", reason, true, &mut problems);
        if !problems.is_empty() {
            return Err(RequestError::Invalid { problems });
        }
        Ok(reason.trim().to_string())
    }
}

impl Aggregate for InformationRequest {
    const TYPE: &'static str = "InformationRequest";
    type Command = Authored<RequestCommand>;
    type Event = RequestEvent;
    type Error = RequestError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if command.by.role != Role::InformationOfficer {
            return Err(RequestError::Forbidden);
        }
        let today = command.at.date_naive();
        if self.destroyed {
            return Err(RequestError::Destroyed);
        }
        if self.status == RequestStatus::Responded
            && !matches!(
                command.command,
                RequestCommand::LogRequest { .. }
                    | RequestCommand::DestroyPersonalData { .. }
                    | RequestCommand::ReapplyDestruction { .. }
            )
        {
            return Err(RequestError::AlreadyAnswered);
        }
        let event = match command.command {
            RequestCommand::LogRequest {
                kind,
                received_on,
                requester,
                subject_email,
                description,
            } => {
                if self.status != RequestStatus::NotLogged {
                    return Err(RequestError::AlreadyLogged);
                }
                let mut problems = Vec::new();
                if received_on > today {
                    problems.push(FieldProblem::new(
                        "received_on",
                        "must not be in the future",
                    ));
                }
                note_problem("requester.name", &requester.name, true, &mut problems);
                let requester_email = parse_email(&requester.email).unwrap_or_else(|problem| {
                    problems.push(FieldProblem::new("requester.email", problem));
                    String::new()
                });
                let subject_email = subject_email
                    .as_deref()
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .map(|email| {
                        parse_email(email).unwrap_or_else(|problem| {
                            problems.push(FieldProblem::new("subject_email", problem));
                            String::new()
                        })
                    });
                note_problem("description", &description, true, &mut problems);
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                RequestEvent::RequestLogged {
                    kind,
                    received_on,
                    requester: super::events::Requester {
                        name: requester.name.trim().to_string(),
                        email: requester_email,
                    }
                    .into(),
                    subject_email: subject_email.into(),
                    description: description.trim().to_string().into(),
                }
            }
            RequestCommand::StopClock { on, reason, note } => {
                let kind = self.kind.ok_or(RequestError::NotFound)?;
                if self.status == RequestStatus::ClockStopped {
                    return Err(RequestError::ClockAlreadyStopped);
                }
                if !kind.allows(reason) {
                    return Err(RequestError::ReasonNotAllowed {
                        kind: kind.in_words(),
                        reason: reason.as_str(),
                    });
                }
                let mut problems = Vec::new();
                let earliest = self
                    .stops
                    .last()
                    .and_then(|s| s.resumed_on)
                    .or(self.received_on);
                if earliest.is_some_and(|earliest| on < earliest) || on > today {
                    problems.push(FieldProblem::new(
                        "on",
                        "must be between the receipt (or the last resumption) and today",
                    ));
                }
                note_problem("note", &note, false, &mut problems);
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                RequestEvent::ClockStopped {
                    on,
                    reason,
                    note: note.trim().to_string().into(),
                }
            }
            RequestCommand::ResumeClock { on, note } => {
                self.kind.ok_or(RequestError::NotFound)?;
                let Some(stopped_on) = self
                    .stops
                    .last()
                    .filter(|s| s.resumed_on.is_none())
                    .map(|s| s.stopped_on)
                else {
                    return Err(RequestError::ClockNotStopped);
                };
                let mut problems = Vec::new();
                if on < stopped_on || on > today {
                    problems.push(FieldProblem::new(
                        "on",
                        "must be between the day the clock stopped and today",
                    ));
                }
                note_problem("note", &note, false, &mut problems);
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                RequestEvent::ClockResumed {
                    on,
                    note: note.trim().to_string().into(),
                }
            }
            RequestCommand::DecideErasure { approve, reason } => {
                let reason = self.decision(RequestKind::Erasure, &reason)?;
                RequestEvent::ErasureDecided {
                    approved: approve,
                    reason: reason.into(),
                }
            }
            RequestCommand::DecideRectification {
                rectify,
                application_id,
                fields,
                reason,
            } => {
                let reason = self.decision(RequestKind::Rectification, &reason)?;
                let application_id = application_id.filter(|_| rectify);
                if rectify && application_id.is_none() {
                    return Err(RequestError::Invalid {
                        problems: vec![FieldProblem::new(
                            "application_id",
                            "name the application whose data was corrected",
                        )],
                    });
                }
                RequestEvent::RectificationDecided {
                    rectified: rectify,
                    fields: if rectify { fields } else { Vec::new() },
                    application_id,
                    reason: reason.into(),
                }
            }
            RequestCommand::DecideRestriction { restrict, reason } => {
                let reason = self.decision(RequestKind::Restriction, &reason)?;
                RequestEvent::RestrictionDecided {
                    restricted: restrict,
                    reason: reason.into(),
                }
            }
            RequestCommand::DecideObjection {
                uphold,
                uses,
                reason,
            } => {
                let reason = self.decision(RequestKind::Objection, &reason)?;
                let mut uses: Vec<ObjectedUse> = uses;
                uses.sort();
                uses.dedup();
                if uses.is_empty() {
                    return Err(RequestError::Invalid {
                        problems: vec![FieldProblem::new(
                            "uses",
                            "name at least one use objected to: networking, alumni_email, alumni_book or images",
                        )],
                    });
                }
                RequestEvent::ObjectionDecided {
                    upheld: uphold,
                    uses,
                    reason: reason.into(),
                }
            }
            RequestCommand::RefuseFoi {
                ground,
                reason,
                public_interest,
            } => {
                let reason = self.decision(RequestKind::Foi, &reason)?;
                let public_interest = public_interest
                    .as_deref()
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string);
                let mut problems = Vec::new();
                if ground.is_qualified() {
                    note_problem(
                        "public_interest",
                        public_interest.as_deref().unwrap_or_default(),
                        true,
                        &mut problems,
                    );
                }
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                RequestEvent::FoiRefused {
                    ground,
                    reason: reason.into(),
                    public_interest: public_interest.filter(|_| ground.is_qualified()).into(),
                }
            }
            RequestCommand::DraftResponse { response } => {
                let kind = self.kind.ok_or(RequestError::NotFound)?;
                if !matches!(
                    kind,
                    RequestKind::Foi | RequestKind::Sar | RequestKind::Portability
                ) {
                    return Err(RequestError::WrongKind {
                        expected: "an FOI, a subject access or a portability",
                        kind: kind.in_words(),
                    });
                }
                RequestEvent::ResponseDrafted {
                    drafted_on: today,
                    response: response.into(),
                }
            }
            RequestCommand::WithholdFromDraft {
                item,
                ground,
                reason,
            } => {
                let kind = self.kind.ok_or(RequestError::NotFound)?;
                let draft = self.draft.as_ref().ok_or(RequestError::NoDraft)?;
                if !matches!(kind, RequestKind::Sar | RequestKind::Portability) {
                    return Err(RequestError::WrongKind {
                        expected: "a subject access",
                        kind: kind.in_words(),
                    });
                }
                let item = item.trim().to_string();
                let mut problems = Vec::new();
                let depth = item.split('/').filter(|part| !part.is_empty()).count();
                if !item.starts_with("/records/") || depth < 2 || item.len() > 300 {
                    problems.push(FieldProblem::new(
                        "item",
                        "must name an item of the draft's records, such as /records/applications/0/personal/phone",
                    ));
                }
                note_problem("reason", &reason, true, &mut problems);
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                if draft.withheld.iter().any(|w| within(&item, w)) {
                    return Err(RequestError::AlreadyWithheld);
                }
                RequestEvent::DraftItemWithheld {
                    item,
                    ground,
                    reason: reason.trim().to_string().into(),
                }
            }
            RequestCommand::AnnotateDraft {
                note,
                held_elsewhere,
            } => {
                self.kind.ok_or(RequestError::NotFound)?;
                self.draft.as_ref().ok_or(RequestError::NoDraft)?;
                let mut problems = Vec::new();
                note_problem("note", &note, false, &mut problems);
                note_problem("held_elsewhere", &held_elsewhere, false, &mut problems);
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                RequestEvent::DraftAnnotated {
                    note: note.trim().to_string().into(),
                    held_elsewhere: held_elsewhere.trim().to_string().into(),
                }
            }
            RequestCommand::IssueResponse { response } => {
                self.kind.ok_or(RequestError::NotFound)?;
                RequestEvent::ResponseIssued {
                    issued_on: today,
                    response: response.into(),
                }
            }
            RequestCommand::ReapplyDestruction { destroyed_on } => {
                self.kind.ok_or(RequestError::NotFound)?;
                RequestEvent::PersonalDataDestroyed {
                    rule: RecordKind::InformationRequest,
                    destroyed_on,
                }
            }
            RequestCommand::DestroyPersonalData { destroyed_on } => {
                self.kind.ok_or(RequestError::NotFound)?;
                match self.kept() {
                    Kept::WhileLive { .. } => return Err(RequestError::NotClosed),
                    Kept::Under(rule) => RequestEvent::PersonalDataDestroyed { rule, destroyed_on },
                }
            }
            RequestCommand::ExtendDeadline { extension, reason } => {
                let kind = self.kind.ok_or(RequestError::NotFound)?;
                if self.extension.is_some() {
                    return Err(RequestError::AlreadyExtended);
                }
                let allowed = match extension {
                    Extension::PublicInterestTest => kind.is_foi(),
                    Extension::Complex { months } => !kind.is_foi() && (1..=2).contains(&months),
                };
                if !allowed {
                    return Err(RequestError::ExtensionNotAllowed {
                        kind: kind.in_words(),
                    });
                }
                let mut problems = Vec::new();
                note_problem("reason", &reason, true, &mut problems);
                if !problems.is_empty() {
                    return Err(RequestError::Invalid { problems });
                }
                RequestEvent::DeadlineExtended {
                    extension,
                    reason: reason.trim().to_string().into(),
                }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            RequestEvent::RequestLogged {
                kind, received_on, ..
            } => {
                self.kind = Some(kind);
                self.received_on = Some(received_on);
                self.status = RequestStatus::Open;
            }
            RequestEvent::ClockStopped { on, reason, .. } => {
                self.stops.push(ClockStop {
                    stopped_on: on,
                    resumed_on: None,
                    reason,
                });
                self.status = RequestStatus::ClockStopped;
            }
            RequestEvent::ClockResumed { on, .. } => {
                if let Some(stop) = self.stops.last_mut() {
                    stop.resumed_on = Some(on);
                }
                self.status = RequestStatus::Open;
            }
            RequestEvent::DeadlineExtended { extension, .. } => self.extension = Some(extension),
            RequestEvent::ResponseDrafted { .. } => self.draft = Some(Draft::default()),
            RequestEvent::DraftItemWithheld { item, .. } => {
                if let Some(draft) = self.draft.as_mut() {
                    draft.withheld.push(item);
                }
            }
            RequestEvent::DraftAnnotated { .. } => {}
            RequestEvent::ResponseIssued { .. } => {
                self.status = RequestStatus::Responded;
                self.draft = None;
            }
            RequestEvent::ErasureDecided { approved, .. } => self.decided = Some(approved),
            RequestEvent::RectificationDecided { rectified, .. } => self.decided = Some(rectified),
            RequestEvent::RestrictionDecided { restricted, .. } => self.decided = Some(restricted),
            RequestEvent::ObjectionDecided { upheld, .. } => self.decided = Some(upheld),
            RequestEvent::FoiRefused { .. } => self.decided = Some(false),
            RequestEvent::PersonalDataDestroyed { .. } => self.destroyed = true,
        }
    }
}

impl InformationRequest {
    /// What keeps the request as it stands (`retention::request_kept`).
    pub fn kept(&self) -> Kept {
        request_kept(self.status, self.decided.is_some())
    }
}
