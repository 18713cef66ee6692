//! The letters that tell an applicant the outcome of their application: selected, on the reserve list,
//! unsuccessful, and the award. The service renders each one (rendering is I/O) and issues it as a command,
//! so the letter sent is kept in the log with the case; whether it reached the applicant's email is kept
//! there too.

use serde::{Deserialize, Serialize};

use super::aggregate::Application;
use super::commands::ApplicationCommand;
use super::error::ApplicationError;
use super::events::ApplicationEvent;
use super::rules::{FieldProblem, letter_fits_outcome};
use super::status::{Outcome, Status};

/// The longest subject a letter may have, and the largest body.
pub const MAX_SUBJECT_CHARS: usize = 300;
pub const MAX_BODY_CHARS: usize = 100_000;

/// Which outcome a letter tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    /// The committee selected the application.
    Selected,
    /// The application is on the reserve list.
    Reserve,
    /// The application was not successful.
    Unsuccessful,
    /// The scholarship was awarded: where, what and when the scholar studies.
    Award,
    /// The scholarship is offered, to be accepted or declined by a date.
    Offer,
    /// The applicant accepted the offer; the award's terms follow.
    OfferAccepted,
    /// The offer was not answered by its date and has lapsed: the application is unsuccessful.
    OfferLapsed,
}

impl LetterKind {
    pub const ALL: [LetterKind; 7] = [
        LetterKind::Selected,
        LetterKind::Reserve,
        LetterKind::Unsuccessful,
        LetterKind::Award,
        LetterKind::Offer,
        LetterKind::OfferAccepted,
        LetterKind::OfferLapsed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Selected => "selected",
            LetterKind::Reserve => "reserve",
            LetterKind::Unsuccessful => "unsuccessful",
            LetterKind::Award => "award",
            LetterKind::Offer => "offer",
            LetterKind::OfferAccepted => "offer_accepted",
            LetterKind::OfferLapsed => "offer_lapsed",
        }
    }

    pub fn parse(name: &str) -> Option<LetterKind> {
        LetterKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// The letter that tells of a decision.
    pub fn of_outcome(outcome: Outcome) -> LetterKind {
        match outcome {
            Outcome::Selected => LetterKind::Selected,
            Outcome::Reserve => LetterKind::Reserve,
            Outcome::Unsuccessful => LetterKind::Unsuccessful,
        }
    }

    /// The letter the applicant is owed once this command is carried out: a decision, an offer, its
    /// acceptance or lapse, and an award are each told by letter. (An applicant who declines has said so
    /// themselves.)
    pub fn due_after(command: &ApplicationCommand) -> Option<LetterKind> {
        match command {
            ApplicationCommand::RecordDecision { outcome, .. } => {
                Some(LetterKind::of_outcome(*outcome))
            }
            ApplicationCommand::MakeAward { .. } => Some(LetterKind::Award),
            ApplicationCommand::MakeOffer { .. } => Some(LetterKind::Offer),
            ApplicationCommand::AcceptOffer => Some(LetterKind::OfferAccepted),
            ApplicationCommand::LapseOffer { .. } => Some(LetterKind::OfferLapsed),
            _ => None,
        }
    }

    /// Where the application stands once the outcome this letter tells of is recorded.
    pub fn tells_of(self) -> Status {
        match self {
            LetterKind::Selected => Status::Selected,
            LetterKind::Reserve => Status::Reserve,
            LetterKind::Unsuccessful => Status::Unsuccessful,
            LetterKind::Award => Status::Awarded,
            LetterKind::Offer | LetterKind::OfferAccepted => Status::Selected,
            LetterKind::OfferLapsed => Status::Unsuccessful,
        }
    }
}

impl std::fmt::Display for LetterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Application {
    /// A letter is issued once (the same id again records nothing), with a subject and a body, and only
    /// for the outcome the application now has ([`letter_fits_outcome`]).
    pub(super) fn issue_letter(
        &self,
        letter_id: String,
        kind: LetterKind,
        subject: String,
        body: String,
        by_email: bool,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if self.letters.contains(&letter_id) {
            return Ok(vec![]);
        }
        letter_fits_outcome(kind, self.status)?;
        let mut problems = Vec::new();
        let subject = subject.trim().to_string();
        if letter_id.trim().is_empty() {
            problems.push(FieldProblem::new("letter_id", "must be given"));
        }
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
            problems.push(FieldProblem::new(
                "subject",
                format!("must be given, at most {MAX_SUBJECT_CHARS} characters"),
            ));
        }
        if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
            problems.push(FieldProblem::new(
                "body",
                format!("must be given, at most {MAX_BODY_CHARS} characters"),
            ));
        }
        if !problems.is_empty() {
            return Err(ApplicationError::Invalid { problems });
        }
        Ok(vec![ApplicationEvent::LetterIssued {
            letter_id,
            kind,
            subject: subject.into(),
            body: body.into(),
            by_email,
        }])
    }

    /// What became of a letter's email: sent, or refused for a reason that names no one.
    pub(super) fn record_letter_email(
        &self,
        letter_id: String,
        failure: Option<String>,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !self.letters.contains(&letter_id) {
            return Err(ApplicationError::NoSuchLetter);
        }
        Ok(vec![match failure {
            None => ApplicationEvent::LetterEmailed { letter_id },
            Some(reason) => ApplicationEvent::LetterEmailFailed {
                letter_id,
                reason: reason.trim().chars().take(MAX_SUBJECT_CHARS).collect(),
            },
        }])
    }
}
