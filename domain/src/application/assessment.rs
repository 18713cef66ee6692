//! The rules of assessment: eligibility, the committee's conflicts and marks, the decision, a recheck of
//! eligibility after an amendment, and a programme officer's waiver of screening rules. Each command's
//! rule is one function named for it; `Application::decide` only chooses which.

use std::collections::BTreeSet;

use super::aggregate::Application;
use super::error::ApplicationError;
use super::events::{ApplicationEvent, Scores};
use super::rules::FieldProblem;
use super::status::{Outcome, Status};
use crate::actor::Actor;
use crate::screening::ScreeningRule;

/// At most this many characters in the note of a recheck of eligibility.
pub const MAX_RECHECK_NOTE_CHARS: usize = 2000;

impl Application {
    /// `determine_eligibility`: eligibility is determined once, on a submitted application.
    pub(super) fn determine_eligibility(
        &self,
        eligible: bool,
        reason: String,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        self.require(Status::Submitted, action)?;
        Ok(vec![ApplicationEvent::EligibilityDetermined {
            eligible,
            reason: reason.trim().to_string().into(),
        }])
    }

    /// `declare_conflict`: a member assigned to an application under review may declare a conflict of
    /// interest, once.
    pub(super) fn declare_conflict(
        &self,
        by: Actor,
        reason: String,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        self.require_assigned(&by)?;
        // Once declared, the application is closed to the member everywhere, this route too: a
        // declaration sent again (its answer lost, say) is told it is already made.
        if self.conflicted.contains(&by.user_id) {
            return Err(ApplicationError::ConflictOfInterest);
        }
        self.require(Status::UnderReview, action)?;
        Ok(vec![ApplicationEvent::ConflictDeclared {
            member_id: by.user_id,
            reason: reason.trim().to_string().into(),
        }])
    }

    /// `score_application`: a member assigned, without a conflict, marks an application under review, each
    /// criterion 0 to 10.
    pub(super) fn score_application(
        &self,
        by: Actor,
        scores: Scores,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        self.require_assigned(&by)?;
        if self.conflicted.contains(&by.user_id) {
            return Err(ApplicationError::ConflictOfInterest);
        }
        check_scores(&scores)?;
        self.require(Status::UnderReview, action)?;
        Ok(vec![ApplicationEvent::ApplicationScored {
            member_id: by.user_id,
            scores: scores.into(),
        }])
    }

    /// `record_decision`: the committee decides an application under review, or moves one on the reserve
    /// list to another outcome; a decision the application already stands at is refused.
    pub(super) fn record_decision(
        &self,
        outcome: Outcome,
        reserve_position: Option<u32>,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !matches!(self.status, Status::UnderReview | Status::Reserve)
            || outcome.status() == self.status
        {
            return Err(self.invalid_state(action));
        }
        reserve_position_fits(outcome, reserve_position)?;
        Ok(vec![ApplicationEvent::DecisionRecorded {
            outcome,
            reserve_position,
        }])
    }

    /// `record_recheck`: after nationality or residence is amended, eligibility is checked again and the
    /// check noted (at most [`MAX_RECHECK_NOTE_CHARS`] characters); without an amendment there is nothing
    /// to recheck.
    pub(super) fn record_recheck(
        &self,
        note: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !self.recheck_due {
            return Err(ApplicationError::NoRecheckDue);
        }
        let note = note.trim().to_string();
        if note.is_empty() || note.chars().count() > MAX_RECHECK_NOTE_CHARS {
            return Err(ApplicationError::Invalid {
                problems: vec![FieldProblem::new(
                    "note",
                    "say what was checked and found, in at most 2000 characters",
                )],
            });
        }
        Ok(vec![ApplicationEvent::EligibilityRechecked {
            note: note.into(),
        }])
    }

    /// `override_screening`: on a draft, a programme officer may waive named screening rules, saying why.
    pub(super) fn override_screening(
        &self,
        rules: Vec<ScreeningRule>,
        reason: String,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        self.require(Status::Draft, action)?;
        let reason = reason.trim().to_string();
        let rules: BTreeSet<ScreeningRule> = rules.into_iter().collect();
        if rules.is_empty() || reason.is_empty() {
            return Err(ApplicationError::OverrideIncomplete);
        }
        Ok(vec![ApplicationEvent::ScreeningOverridden {
            rules: rules.into_iter().collect(),
            reason: reason.into(),
        }])
    }
}

/// `check_scores`: each criterion is marked 0 to 10.
pub(super) fn check_scores(scores: &Scores) -> Result<(), ApplicationError> {
    for (criterion, mark) in [
        ("leadership", scores.leadership),
        ("networking", scores.networking),
        ("study_plan", scores.study_plan),
        ("career_plan", scores.career_plan),
    ] {
        if mark > Scores::MAX {
            return Err(ApplicationError::ScoreOutOfRange { criterion });
        }
    }
    Ok(())
}

/// `reserve_position_fits`: only a reserve has a place on the reserve list, and places count from 1.
pub(super) fn reserve_position_fits(
    outcome: Outcome,
    position: Option<u32>,
) -> Result<(), ApplicationError> {
    match position {
        Some(0) => Err(ApplicationError::ReservePosition),
        Some(_) if outcome != Outcome::Reserve => Err(ApplicationError::ReservePosition),
        _ => Ok(()),
    }
}
