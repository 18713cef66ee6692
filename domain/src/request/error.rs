//! Every refusal of an information request, by name.

use super::aggregate::RequestKind;
use crate::application::rules::FieldProblem;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("your role may not do this")]
    Forbidden,
    #[error("no such request")]
    NotFound,
    #[error("this request has already been logged")]
    AlreadyLogged,
    #[error("some values are not valid")]
    Invalid { problems: Vec<FieldProblem> },
    #[error("the clock of this request is already stopped")]
    ClockAlreadyStopped,
    #[error("the clock of this request is not stopped")]
    ClockNotStopped,
    #[error("the clock of {kind} request cannot be stopped for {reason}")]
    ReasonNotAllowed {
        kind: &'static str,
        reason: &'static str,
    },
    #[error("this request's time limit has already been extended")]
    AlreadyExtended,
    #[error("only {expected} request is decided so; this is {kind} request")]
    WrongKind {
        expected: &'static str,
        kind: &'static str,
    },
    #[error("this request has already been decided")]
    AlreadyDecided,
    #[error("this request has already been answered")]
    AlreadyAnswered,
    #[error("that extension does not apply to {kind} request")]
    ExtensionNotAllowed { kind: &'static str },
    /// Withholding and notes are added to a draft, and there is none.
    #[error("this request has no draft response: make one first")]
    NoDraft,
    /// The item, or a part that holds it, is withheld already.
    #[error("that item of the draft is withheld already")]
    AlreadyWithheld,
    /// The request was destroyed under the retention schedule, two years after it closed.
    #[error("this request was destroyed under the retention schedule")]
    Destroyed,
    /// Only a closed request falls due, and only two years after it closed.
    #[error("this request is still open: it is kept until it is answered")]
    NotClosed,
}

impl RequestKind {
    /// The kind with its article, for sentences: "an FOI", "a subject access".
    pub fn in_words(self) -> &'static str {
        match self {
            RequestKind::Foi => "an FOI",
            RequestKind::Sar => "a subject access",
            RequestKind::Rectification => "a rectification",
            RequestKind::Erasure => "an erasure",
            RequestKind::Restriction => "a restriction",
            RequestKind::Objection => "an objection",
            RequestKind::Portability => "a portability",
        }
    }
}
