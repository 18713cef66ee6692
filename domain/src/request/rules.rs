//! The rules of an information request, one function for each command, named for the rule it holds:
//! logging, the clock (stopped, resumed, extended), the decisions on rights, an FOI refusal, the draft
//! response (drafted, items withheld, notes) and its issue, and destruction under the retention schedule.
//! `InformationRequest::handle` checks who may act and whether the request is still open, then
//! `InformationRequest::decide` chooses the rule.

use chrono::NaiveDate;

use super::aggregate::{InformationRequest, RequestKind, RequestStatus};
use super::commands::RequestCommand;
use super::deadlines::{ClockReason, Extension};
use super::error::RequestError;
use super::events::{RequestEvent, Requester};
use super::exemptions::FoiGround;
use super::rights::ObjectedUse;
use super::withholding::WithholdingGround;
use crate::application::form::parse_email;
use crate::application::rules::FieldProblem;
use crate::retention::{Kept, RecordKind};

/// At most this many characters in a note, a reason or a description.
pub const MAX_NOTE_CHARS: usize = 2000;

/// At most this many characters in the pointer of an item withheld from a draft response.
pub const MAX_ITEM_CHARS: usize = 300;

/// Whether `item` is `withheld` or lies inside it.
pub(super) fn within(item: &str, withheld: &str) -> bool {
    item == withheld
        || item
            .strip_prefix(withheld)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `note_problem`: a note is at most [`MAX_NOTE_CHARS`] characters, without NUL, and given where it is
/// `required`.
pub(super) fn note_problem(
    field: &str,
    text: &str,
    required: bool,
    problems: &mut Vec<FieldProblem>,
) {
    let chars = text.trim().chars().count();
    if (required && chars == 0) || chars > MAX_NOTE_CHARS || text.contains('\0') {
        problems.push(FieldProblem::new(
            field,
            "must be given, at most 2000 characters",
        ));
    }
}

fn invalid_if_any(problems: Vec<FieldProblem>) -> Result<(), RequestError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RequestError::Invalid { problems })
    }
}

impl InformationRequest {
    /// The rule of each command, once `handle` has let it through.
    pub(super) fn decide(
        &self,
        command: RequestCommand,
        today: NaiveDate,
    ) -> Result<RequestEvent, RequestError> {
        use RequestCommand as C;
        match command {
            C::LogRequest {
                kind,
                received_on,
                requester,
                subject_email,
                description,
            } => self.log_request(
                kind,
                received_on,
                requester,
                subject_email,
                description,
                today,
            ),
            C::StopClock { on, reason, note } => self.stop_clock(on, reason, note, today),
            C::ResumeClock { on, note } => self.resume_clock(on, note, today),
            C::DecideErasure { approve, reason } => self.decide_erasure(approve, reason),
            C::DecideRectification {
                rectify,
                application_id,
                fields,
                reason,
            } => self.decide_rectification(rectify, application_id, fields, reason),
            C::DecideRestriction { restrict, reason } => self.decide_restriction(restrict, reason),
            C::DecideObjection {
                uphold,
                uses,
                reason,
            } => self.decide_objection(uphold, uses, reason),
            C::RefuseFoi {
                ground,
                reason,
                public_interest,
            } => self.refuse_foi(ground, reason, public_interest),
            C::DraftResponse { response } => self.draft_response(response, today),
            C::WithholdFromDraft {
                item,
                ground,
                reason,
            } => self.withhold_from_draft(item, ground, reason),
            C::AnnotateDraft {
                note,
                held_elsewhere,
            } => self.annotate_draft(note, held_elsewhere),
            C::IssueResponse { response } => self.issue_response(response, today),
            C::ReapplyDestruction { destroyed_on } => self.reapply_destruction(destroyed_on),
            C::DestroyPersonalData { destroyed_on } => self.destroy_personal_data(destroyed_on),
            C::ExtendDeadline { extension, reason } => self.extend_deadline(extension, reason),
        }
    }

    /// `log_request`: a request is logged once, received no later than today, with the requester's name
    /// and a valid email, the subject's email valid where given, and a description.
    fn log_request(
        &self,
        kind: RequestKind,
        received_on: NaiveDate,
        requester: Requester,
        subject_email: Option<String>,
        description: String,
        today: NaiveDate,
    ) -> Result<RequestEvent, RequestError> {
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
        invalid_if_any(problems)?;
        Ok(RequestEvent::RequestLogged {
            kind,
            received_on,
            requester: Requester {
                name: requester.name.trim().to_string(),
                email: requester_email,
            }
            .into(),
            subject_email: subject_email.into(),
            description: description.trim().to_string().into(),
        })
    }

    /// `stop_clock`: a running clock stops for a reason the kind of request allows, on a day between the
    /// receipt (or the last resumption) and today.
    fn stop_clock(
        &self,
        on: NaiveDate,
        reason: ClockReason,
        note: String,
        today: NaiveDate,
    ) -> Result<RequestEvent, RequestError> {
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
        invalid_if_any(problems)?;
        Ok(RequestEvent::ClockStopped {
            on,
            reason,
            note: note.trim().to_string().into(),
        })
    }

    /// `resume_clock`: a stopped clock resumes on a day between the day it stopped and today.
    fn resume_clock(
        &self,
        on: NaiveDate,
        note: String,
        today: NaiveDate,
    ) -> Result<RequestEvent, RequestError> {
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
        invalid_if_any(problems)?;
        Ok(RequestEvent::ClockResumed {
            on,
            note: note.trim().to_string().into(),
        })
    }

    /// `extend_deadline`: once per request, FOI by the public interest test, subject access and the other
    /// rights by one or two months where complex, with a reason.
    fn extend_deadline(
        &self,
        extension: Extension,
        reason: String,
    ) -> Result<RequestEvent, RequestError> {
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
        invalid_if_any(problems)?;
        Ok(RequestEvent::DeadlineExtended {
            extension,
            reason: reason.trim().to_string().into(),
        })
    }

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
        invalid_if_any(problems)?;
        Ok(reason.trim().to_string())
    }

    /// `decide_erasure`: an erasure request is approved or refused, with a reason.
    fn decide_erasure(&self, approve: bool, reason: String) -> Result<RequestEvent, RequestError> {
        let reason = self.decision(RequestKind::Erasure, &reason)?;
        Ok(RequestEvent::ErasureDecided {
            approved: approve,
            reason: reason.into(),
        })
    }

    /// `decide_rectification`: a rectification granted names the application corrected; one refused
    /// names no fields.
    fn decide_rectification(
        &self,
        rectify: bool,
        application_id: Option<String>,
        fields: Vec<String>,
        reason: String,
    ) -> Result<RequestEvent, RequestError> {
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
        Ok(RequestEvent::RectificationDecided {
            rectified: rectify,
            fields: if rectify { fields } else { Vec::new() },
            application_id,
            reason: reason.into(),
        })
    }

    /// `decide_restriction`: a restriction request is granted or refused, with a reason.
    fn decide_restriction(
        &self,
        restrict: bool,
        reason: String,
    ) -> Result<RequestEvent, RequestError> {
        let reason = self.decision(RequestKind::Restriction, &reason)?;
        Ok(RequestEvent::RestrictionDecided {
            restricted: restrict,
            reason: reason.into(),
        })
    }

    /// `decide_objection`: an objection names at least one use objected to, each once.
    fn decide_objection(
        &self,
        uphold: bool,
        uses: Vec<ObjectedUse>,
        reason: String,
    ) -> Result<RequestEvent, RequestError> {
        let reason = self.decision(RequestKind::Objection, &reason)?;
        let mut uses = uses;
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
        Ok(RequestEvent::ObjectionDecided {
            upheld: uphold,
            uses,
            reason: reason.into(),
        })
    }

    /// `refuse_foi`: an FOI request is refused on a ground, with a reason; a qualified exemption also
    /// gives the public interest test, which an absolute one does not keep.
    fn refuse_foi(
        &self,
        ground: FoiGround,
        reason: String,
        public_interest: Option<String>,
    ) -> Result<RequestEvent, RequestError> {
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
        invalid_if_any(problems)?;
        Ok(RequestEvent::FoiRefused {
            ground,
            reason: reason.into(),
            public_interest: public_interest.filter(|_| ground.is_qualified()).into(),
        })
    }

    /// `draft_response`: FOI, subject access and portability requests are answered by a response drafted
    /// first.
    fn draft_response(
        &self,
        response: serde_json::Value,
        today: NaiveDate,
    ) -> Result<RequestEvent, RequestError> {
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
        Ok(RequestEvent::ResponseDrafted {
            drafted_on: today,
            response: response.into(),
        })
    }

    /// `withhold_from_draft`: an item of a subject access draft's records is withheld on a ground, with a
    /// reason, once (an item inside one already withheld is withheld already).
    fn withhold_from_draft(
        &self,
        item: String,
        ground: WithholdingGround,
        reason: String,
    ) -> Result<RequestEvent, RequestError> {
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
        if !item.starts_with("/records/") || depth < 2 || item.len() > MAX_ITEM_CHARS {
            problems.push(FieldProblem::new(
                "item",
                "must name an item of the draft's records, such as /records/applications/0/personal/phone",
            ));
        }
        note_problem("reason", &reason, true, &mut problems);
        invalid_if_any(problems)?;
        if draft.withheld.iter().any(|w| within(&item, w)) {
            return Err(RequestError::AlreadyWithheld);
        }
        Ok(RequestEvent::DraftItemWithheld {
            item,
            ground,
            reason: reason.trim().to_string().into(),
        })
    }

    /// `annotate_draft`: a draft carries a note and the records held elsewhere.
    fn annotate_draft(
        &self,
        note: String,
        held_elsewhere: String,
    ) -> Result<RequestEvent, RequestError> {
        self.kind.ok_or(RequestError::NotFound)?;
        self.draft.as_ref().ok_or(RequestError::NoDraft)?;
        let mut problems = Vec::new();
        note_problem("note", &note, false, &mut problems);
        note_problem("held_elsewhere", &held_elsewhere, false, &mut problems);
        invalid_if_any(problems)?;
        Ok(RequestEvent::DraftAnnotated {
            note: note.trim().to_string().into(),
            held_elsewhere: held_elsewhere.trim().to_string().into(),
        })
    }

    /// `issue_response`: the response is issued today, and the request is answered.
    fn issue_response(
        &self,
        response: serde_json::Value,
        today: NaiveDate,
    ) -> Result<RequestEvent, RequestError> {
        self.kind.ok_or(RequestError::NotFound)?;
        Ok(RequestEvent::ResponseIssued {
            issued_on: today,
            response: response.into(),
        })
    }

    /// `reapply_destruction`: a request destroyed once and brought back by a restored backup is destroyed
    /// again.
    fn reapply_destruction(&self, destroyed_on: NaiveDate) -> Result<RequestEvent, RequestError> {
        self.kind.ok_or(RequestError::NotFound)?;
        Ok(RequestEvent::PersonalDataDestroyed {
            rule: RecordKind::InformationRequest,
            destroyed_on,
        })
    }

    /// `destroy_personal_data`: a request is destroyed under the rule that keeps it, once it is closed.
    fn destroy_personal_data(&self, destroyed_on: NaiveDate) -> Result<RequestEvent, RequestError> {
        self.kind.ok_or(RequestError::NotFound)?;
        match self.kept() {
            Kept::WhileLive { .. } => Err(RequestError::NotClosed),
            Kept::Under(rule) => Ok(RequestEvent::PersonalDataDestroyed { rule, destroyed_on }),
        }
    }
}
