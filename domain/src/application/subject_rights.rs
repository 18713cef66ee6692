//! The rules of the data subject's rights as they reach an application: preferences and objections,
//! rectification and the statement of dispute, restriction of processing, the notices owed to
//! recipients after a correction, and destruction under the retention schedule or on erasure. Each
//! command's rule is one function named for it; `Application::decide` only chooses which.

use chrono::NaiveDate;

use super::aggregate::Application;
use super::error::ApplicationError;
use super::events::ApplicationEvent;
use super::form::{Preferences, PreferencesChange};
use super::rules::FieldProblem;
use super::status::Status;
use crate::actor::{Actor, Role};
use crate::retention::RecordKind;

/// At most this many characters in a data subject's statement of dispute.
pub const MAX_STATEMENT_CHARS: usize = 10_000;

impl Application {
    /// `set_preferences`: the applicant sets their preferences while the application is a draft; a
    /// programme officer at any time before it is withdrawn. Setting what is already set records nothing.
    pub(super) fn set_preferences(
        &self,
        by: &Actor,
        preferences: Preferences,
        reason: Option<String>,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if by.role == Role::Applicant && self.status != Status::Draft {
            return Err(ApplicationError::ApplicationSubmitted);
        }
        if self.status == Status::Withdrawn {
            return Err(self.invalid_state(action));
        }
        if preferences == self.form.preferences {
            return Ok(vec![]);
        }
        Ok(vec![ApplicationEvent::PreferencesChanged {
            preferences: preferences.into(),
            reason: clean_reason(reason).into(),
        }])
    }

    /// `rectify_personal_data`: a rectification request granted corrects the data as a Help Desk
    /// amendment does, its reason naming the request.
    pub(super) fn rectify_personal_data(
        &self,
        request_id: String,
        changes: Vec<(String, String)>,
        reason: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let reason = match reason.trim() {
            "" => String::new(),
            reason => format!("rectification request {request_id}: {reason}"),
        };
        self.amend(
            changes,
            reason,
            "the data subject, by a rectification request".to_string(),
        )
    }

    /// `restrict_processing`: processing is restricted with a reason; restricting it again records nothing.
    pub(super) fn restrict_processing(
        &self,
        request_id: Option<String>,
        reason: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if self.restricted {
            return Ok(vec![]);
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(ApplicationError::Invalid {
                problems: vec![FieldProblem::new(
                    "reason",
                    "say why processing is restricted",
                )],
            });
        }
        Ok(vec![ApplicationEvent::ProcessingRestricted {
            request_id,
            reason: reason.into(),
        }])
    }

    /// `honour_objection`: an objection upheld sets the opt-outs it names; it only ever opts out, and one
    /// already set records nothing.
    pub(super) fn honour_objection(
        &self,
        request_id: String,
        opt_outs: PreferencesChange,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        // An objection only ever opts out: a flag it names false is not a choice it can make.
        let only_out = |flag: Option<bool>| flag.filter(|out| *out);
        let opt_outs = PreferencesChange {
            networking_opt_out: only_out(opt_outs.networking_opt_out),
            alumni_email_opt_out: only_out(opt_outs.alumni_email_opt_out),
            alumni_book_opt_out: only_out(opt_outs.alumni_book_opt_out),
            images_opt_out: only_out(opt_outs.images_opt_out),
        };
        let preferences = self.form.preferences.with(&opt_outs);
        if preferences == self.form.preferences {
            return Ok(vec![]);
        }
        Ok(vec![ApplicationEvent::PreferencesChanged {
            preferences: preferences.into(),
            reason: Some(format!(
                "objection upheld (information request {request_id})"
            ))
            .into(),
        }])
    }

    /// `lift_restriction`: only a restriction in force can be lifted.
    pub(super) fn lift_restriction(
        &self,
        reason: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !self.restricted {
            return Err(ApplicationError::NotRestricted);
        }
        Ok(vec![ApplicationEvent::RestrictionLifted {
            reason: reason.trim().to_string().into(),
        }])
    }

    /// `record_statement_of_dispute`: a refused rectification leaves the subject's statement (at most
    /// [`MAX_STATEMENT_CHARS`] characters) with the application, once per request.
    pub(super) fn record_statement_of_dispute(
        &self,
        request_id: String,
        statement: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        // Once per request: carrying out the refusal again records nothing more.
        if self.disputed_by.contains(&request_id) {
            return Ok(vec![]);
        }
        let statement = statement.trim().to_string();
        if statement.is_empty() || statement.chars().count() > MAX_STATEMENT_CHARS {
            return Err(ApplicationError::Invalid {
                problems: vec![FieldProblem::new(
                    "statement",
                    "give the subject's statement, in at most 10000 characters",
                )],
            });
        }
        Ok(vec![ApplicationEvent::StatementOfDisputeRecorded {
            request_id,
            statement: statement.into(),
        }])
    }

    /// `mark_rectification_notice_sent`: only a recipient still owed the notice of a correction is marked
    /// as told.
    pub(super) fn mark_rectification_notice_sent(
        &self,
        recipient_id: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !self.notices_due.contains(&recipient_id) {
            return Err(ApplicationError::NoNoticeDue);
        }
        Ok(vec![ApplicationEvent::RectificationNoticeSent {
            recipient_id,
        }])
    }

    /// `destroy_personal_data`: the personal data is destroyed under the rule that applies to the
    /// application's status: never under the award's rule (an award is kept for ever), on erasure only
    /// before an award.
    pub(super) fn destroy_personal_data(
        &self,
        rule: RecordKind,
        destroyed_on: NaiveDate,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !destruction_fits(rule, self.status) {
            return Err(ApplicationError::RuleDoesNotApply {
                rule: rule.as_str(),
                status: self.status,
            });
        }
        Ok(vec![ApplicationEvent::PersonalDataDestroyed {
            rule,
            destroyed_on,
        }])
    }

    /// `reapply_destruction`: data destroyed once and brought back by a restored backup is destroyed
    /// again, whatever the status it was restored in.
    pub(super) fn reapply_destruction(
        &self,
        rule: RecordKind,
        destroyed_on: NaiveDate,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        Ok(vec![ApplicationEvent::PersonalDataDestroyed {
            rule,
            destroyed_on,
        }])
    }
}

/// `destruction_fits`: whether the retention rule `rule` lets an application at `status` be destroyed.
pub fn destruction_fits(rule: RecordKind, status: Status) -> bool {
    match rule {
        // An award is kept for ever: there is a ground to keep it, whatever is asked.
        RecordKind::Award => false,
        RecordKind::ErasedOnRequest => !matches!(status, Status::Awarded | Status::Alumni),
        other => RecordKind::of_application(status) == Some(other),
    }
}

/// A reason given blank is no reason.
pub(super) fn clean_reason(reason: Option<String>) -> Option<String> {
    reason
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
}
