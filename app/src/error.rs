//! The application layer's one error: what went wrong, by kind, with the cause kept.
//!
//! The application services (`app.rs`, `rights.rs`, `selection.rs`, `responses.rs`, …) answer with an
//! [`AppError`] and know nothing of HTTP. The API turns it into a status and a JSON body
//! (`http/error.rs`, `From<AppError> for ApiError`), the pages into a page that says what to do next, and the
//! CLI prints it whole: an operator reads the real cause of a store failure (`Unavailable`, `Internal`),
//! which a client is never sent.

use cqrs_es::AggregateError;

use domain::application::ApplicationError;
use domain::application::rules::FieldProblem;
use domain::cycle::CycleError;
use domain::immigration::ImmigrationError;
use domain::recipient::RecipientError;
use domain::request::RequestError;
use projections::ProjectionError;

use crate::store::StoreError;

/// A refusal by one of the aggregates: a rule of the domain said no.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Application(#[from] ApplicationError),
    #[error(transparent)]
    Immigration(#[from] ImmigrationError),
    #[error(transparent)]
    Recipient(#[from] RecipientError),
    #[error(transparent)]
    Cycle(#[from] CycleError),
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// The short code a program acts on for each refusal of the domain (`not_selected`, `restricted`, …): the
/// one table of them, which the API's bodies, the sweep's and the selection's reports all give.
pub fn application_code(error: &ApplicationError) -> &'static str {
    use ApplicationError as E;
    match error {
        E::NotFound | E::NoSuchLetter => "not_found",
        E::Forbidden => "forbidden",
        E::AlreadyStarted => "conflict",
        E::ApplicationSubmitted => "application_submitted",
        E::Invalid { .. }
        | E::ReservePosition
        | E::OverrideIncomplete
        | E::ScoreOutOfRange { .. } => "invalid",
        E::Incomplete { .. } => "incomplete",
        E::CycleClosed { .. } => "cycle_closed",
        E::CycleConcluded { .. } => "cycle_concluded",
        E::CycleNotConcluded { .. } => "cycle_not_concluded",
        E::CycleTermsUnavailable(_) | E::DirectoryUnavailable => "unavailable",
        E::NotEligible { .. } => "not_eligible",
        E::NotAmendable { .. } => "not_amendable",
        E::NotSubmitted => "not_submitted",
        E::InvalidState { .. } => "invalid_state",
        E::DecisionMade => "decision_made",
        E::NotACommitteeMember => "not_a_committee_member",
        E::NotAssigned => "not_assigned",
        E::ConflictOfInterest => "conflict_of_interest",
        E::MemberConflicted => "member_conflicted",
        E::NotSelected { .. } => "not_selected",
        E::NotAwarded { .. } => "not_awarded",
        E::NotCompleted { .. } => "not_completed",
        E::NoNoticeDue => "no_notice_due",
        E::OfferAlreadyMade { .. } => "offer_already_made",
        E::NoOpenOffer { .. } => "no_open_offer",
        E::OfferNotAccepted { .. } => "offer_not_accepted",
        E::NoRecheckDue => "no_recheck_due",
        E::Destroyed => "destroyed",
        E::Restricted { .. } => "restricted",
        E::NotRestricted => "not_restricted",
        E::RuleDoesNotApply { .. } => "rule_does_not_apply",
        E::LetterDoesNotFit { .. } => "letter_does_not_fit",
    }
}

pub fn immigration_code(error: &ImmigrationError) -> &'static str {
    match error {
        ImmigrationError::Forbidden => "forbidden",
        ImmigrationError::NotFound => "not_found",
        ImmigrationError::Destroyed => "destroyed",
        ImmigrationError::AlreadyRecorded => "conflict",
        ImmigrationError::NotAwarded { .. } => "not_awarded",
        ImmigrationError::Invalid { .. } => "invalid",
    }
}

pub fn recipient_code(error: &RecipientError) -> &'static str {
    match error {
        RecipientError::Forbidden => "forbidden",
        RecipientError::AlreadyRegistered => "conflict",
        RecipientError::InvalidName | RecipientError::InvalidField { .. } => "invalid",
    }
}

pub fn cycle_code(error: &CycleError) -> &'static str {
    match error {
        CycleError::Forbidden => "forbidden",
        _ => "invalid",
    }
}

pub fn request_code(error: &RequestError) -> &'static str {
    use RequestError as E;
    match error {
        E::Forbidden => "forbidden",
        E::NotFound => "not_found",
        E::AlreadyLogged => "conflict",
        E::Invalid { .. }
        | E::ReasonNotAllowed { .. }
        | E::ExtensionNotAllowed { .. }
        | E::WrongKind { .. } => "invalid",
        E::ClockAlreadyStopped => "clock_stopped",
        E::ClockNotStopped => "clock_not_stopped",
        E::AlreadyExtended => "already_extended",
        E::AlreadyDecided => "already_decided",
        E::AlreadyAnswered => "already_answered",
        E::NoDraft => "no_draft",
        E::AlreadyWithheld => "already_withheld",
        E::Destroyed => "destroyed",
        E::NotClosed => "not_closed",
    }
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Application(error) => application_code(error),
            Refusal::Immigration(error) => immigration_code(error),
            Refusal::Recipient(error) => recipient_code(error),
            Refusal::Cycle(error) => cycle_code(error),
            Refusal::Request(error) => request_code(error),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such record, or not one the person may know of.
    #[error("there is no such record")]
    NotFound,
    /// The person's role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// The record's personal data was destroyed under the retention schedule.
    #[error("this record's personal data was destroyed under the retention schedule")]
    Destroyed,
    /// Values that break the rules of a form, each with its path.
    #[error("{message}")]
    Invalid {
        message: String,
        problems: Vec<FieldProblem>,
    },
    /// A rule of the domain refused the command.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// One application per applicant per cycle (the store's view said so when the application was started).
    #[error("you already have an application in this cycle")]
    DuplicateApplication,
    /// Another change to the same record was committed first, every time the command was tried.
    #[error("someone else changed this at the same moment")]
    Conflict,
    /// The password-hashing queue is full; the request may be tried again.
    #[error("the password queue is full")]
    Busy,
    /// The store is busy or out of reach; the request may be tried again. The cause is for the operator.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A failure on our side, with its cause (for the log and the operator, never for a client).
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn not_found() -> Self {
        AppError::NotFound
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden
    }

    pub fn destroyed() -> Self {
        AppError::Destroyed
    }

    pub fn conflict() -> Self {
        AppError::Conflict
    }

    /// The store cannot be reached; no cause was given.
    pub fn unavailable() -> Self {
        AppError::Unavailable("the store did not answer".to_string())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    pub fn invalid(message: impl Into<String>, problems: Vec<FieldProblem>) -> Self {
        AppError::Invalid {
            message: message.into(),
            problems,
        }
    }

    /// One field that breaks a rule: its path and what is wrong, in words.
    pub fn invalid_field(path: &str, problem: &str) -> Self {
        Self::invalid(
            format!("{path} {problem}"),
            vec![FieldProblem::new(path, problem)],
        )
    }

    /// The short code of the error, as the API gives it: `not_found`, `invalid`, `not_selected`, …
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Destroyed => "destroyed",
            AppError::Invalid { .. } => "invalid",
            AppError::Refused(refusal) => refusal.code(),
            AppError::DuplicateApplication => "duplicate_application",
            AppError::Conflict => "conflict",
            AppError::Busy | AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// Whether the record's personal data had already been destroyed.
    pub fn is_destroyed(&self) -> bool {
        matches!(
            self,
            AppError::Destroyed
                | AppError::Refused(
                    Refusal::Application(ApplicationError::Destroyed)
                        | Refusal::Immigration(ImmigrationError::Destroyed)
                        | Refusal::Request(RequestError::Destroyed)
                )
        )
    }

    /// A failure on our side (the store, or a fault), as against a refusal the person can act on.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            AppError::Unavailable(_)
                | AppError::Internal(_)
                | AppError::Busy
                | AppError::Refused(Refusal::Application(
                    ApplicationError::CycleTermsUnavailable(_)
                        | ApplicationError::DirectoryUnavailable,
                ))
        )
    }
}

impl From<ApplicationError> for AppError {
    fn from(error: ApplicationError) -> Self {
        AppError::Refused(error.into())
    }
}

impl From<ImmigrationError> for AppError {
    fn from(error: ImmigrationError) -> Self {
        AppError::Refused(error.into())
    }
}

impl From<RecipientError> for AppError {
    fn from(error: RecipientError) -> Self {
        AppError::Refused(error.into())
    }
}

impl From<CycleError> for AppError {
    fn from(error: CycleError) -> Self {
        AppError::Refused(error.into())
    }
}

impl From<RequestError> for AppError {
    fn from(error: RequestError) -> Self {
        AppError::Refused(error.into())
    }
}

impl From<crate::auth::Busy> for AppError {
    fn from(_: crate::auth::Busy) -> Self {
        AppError::Busy
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&error) {
            AppError::Unavailable(error.to_string())
        } else {
            AppError::Internal(error.to_string())
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(error) => error.into(),
            StoreError::Projection(ProjectionError::DuplicateApplication) => {
                AppError::DuplicateApplication
            }
            error if error.is_unavailable() => AppError::Unavailable(error.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl<E> From<AggregateError<E>> for AppError
where
    E: std::error::Error + Into<AppError>,
{
    fn from(error: AggregateError<E>) -> Self {
        match error {
            AggregateError::UserError(error) => error.into(),
            AggregateError::AggregateConflict => AppError::Conflict,
            AggregateError::DatabaseConnectionError(cause) => {
                AppError::Unavailable(cause.to_string())
            }
            AggregateError::UnexpectedError(cause) => match cause.downcast::<StoreError>() {
                Ok(error) => (*error).into(),
                Err(cause) => AppError::Internal(cause.to_string()),
            },
            AggregateError::DeserializationError(cause) => AppError::Internal(cause.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_keeps_its_cause_for_the_operator() {
        let error: AppError = sqlx::Error::PoolTimedOut.into();
        assert!(matches!(error, AppError::Unavailable(_)));
        assert!(error.to_string().contains("pool"), "{error}");
        assert!(error.is_failure());
    }

    #[test]
    fn a_destroyed_record_is_known_by_kind_not_by_a_code_string() {
        assert!(AppError::from(ApplicationError::Destroyed).is_destroyed());
        assert!(AppError::from(RequestError::Destroyed).is_destroyed());
        assert!(AppError::Destroyed.is_destroyed());
        assert!(!AppError::NotFound.is_destroyed());
        assert!(!AppError::from(ApplicationError::Forbidden).is_failure());
    }
}
