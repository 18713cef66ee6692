//! Every refusal of the application lifecycle, by name.

use super::letters::LetterKind;
use super::rules::FieldProblem;
use super::status::Status;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    /// The application does not exist, or the person asking may not know that it does (another applicant's).
    #[error("no such application")]
    NotFound,
    /// The person's role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    #[error("this application has already been started")]
    AlreadyStarted,
    /// The applicant edits after submission.
    #[error(
        "the application has been submitted and can no longer be edited; to correct your personal details, contact the Help Desk"
    )]
    ApplicationSubmitted,
    #[error("some values are not valid")]
    Invalid { problems: Vec<FieldProblem> },
    /// `cycle_is_open`: the cycle does not take applications today.
    #[error("the {cycle} cycle is not open: it takes applications from {opens_on} to {closes_on}")]
    CycleClosed {
        cycle: String,
        opens_on: chrono::NaiveDate,
        closes_on: chrono::NaiveDate,
    },
    /// The cycle was concluded: nothing of it is decided, awarded or submitted any more.
    #[error(
        "the {cycle} cycle was concluded on {concluded_on}: its applications are no longer decided or awarded"
    )]
    CycleConcluded {
        cycle: String,
        concluded_on: chrono::NaiveDate,
    },
    /// An application is concluded with its cycle only once the cycle is concluded.
    #[error("the {cycle} cycle has not been concluded")]
    CycleNotConcluded { cycle: String },
    /// The cycle's terms could not be read; the command may be tried again.
    #[error("the cycle's terms could not be read: {0}")]
    CycleTermsUnavailable(String),
    #[error("the application is not complete")]
    Incomplete { missing: Vec<String> },
    /// `reasons`: every rule not met, as sentences; `failures`: those of the cycle's screening, by name.
    #[error("the application does not meet the eligibility rules: {}", reasons.join("; "))]
    NotEligible {
        reasons: Vec<String>,
        failures: Vec<crate::screening::ScreeningFailure>,
    },
    /// A place on the reserve list given to a decision that is not reserve, or place 0.
    #[error("only a reserve has a place on the reserve list, counted from 1")]
    ReservePosition,
    /// An override of the screening names no rule, or gives no reason.
    #[error("name at least one rule of the screening to waive, and the reason")]
    OverrideIncomplete,
    /// A Help Desk amendment names something other than personal data.
    #[error("only personal data can be amended after submission")]
    NotAmendable { fields: Vec<String> },
    /// A Help Desk amendment on an application that is still a draft: the applicant edits it themselves.
    #[error("the application is still a draft: the applicant can change it themselves")]
    NotSubmitted,
    #[error("cannot {action} an application that is {status}")]
    InvalidState {
        action: &'static str,
        status: Status,
    },
    #[error("a decision has been made on this application, so it can no longer be withdrawn")]
    DecisionMade,
    #[error("that person is not a committee member")]
    NotACommitteeMember,
    #[error("you are not assigned to this application")]
    NotAssigned,
    #[error("you have declared a conflict of interest on this application")]
    ConflictOfInterest,
    #[error("that committee member has declared a conflict of interest on this application")]
    MemberConflicted,
    #[error("{criterion} must be a whole number from 0 to 10")]
    ScoreOutOfRange { criterion: &'static str },
    #[error("only a selected application can be awarded; this one is {status}")]
    NotSelected { status: Status },
    /// `an_offer_is_made_to_a_selected_applicant`: only one offer is made.
    #[error("an offer has already been made on this application (it is {state})")]
    OfferAlreadyMade { state: &'static str },
    /// There is no offer waiting for a reply: none was made, it was answered, or it lapsed.
    #[error("there is no open offer: {why}")]
    NoOpenOffer { why: &'static str },
    /// `an_award_waits_for_the_offer_to_be_accepted`.
    #[error(
        "an offer was made in the system and is {state}: the award is recorded once it is accepted"
    )]
    OfferNotAccepted { state: &'static str },
    #[error("only an awarded application can do this; this one is {status}")]
    NotAwarded { status: Status },
    /// The award is not completed, so there is no completion outcome to correct.
    #[error("the award is not completed: the application is {}", status.as_str())]
    NotCompleted { status: Status },
    #[error("no correction is waiting to be passed on to that recipient")]
    NoNoticeDue,
    /// No amendment of nationality or residence is waiting to be checked.
    #[error(
        "nothing is waiting to be checked: no nationality or residence was amended since eligibility was last checked"
    )]
    NoRecheckDue,
    /// Processing is restricted at the subject's request: the case does not move until it is lifted.
    #[error(
        "processing of this application is restricted at the applicant's request; it cannot {action} until the restriction is lifted"
    )]
    Restricted { action: &'static str },
    #[error("processing of this application is not restricted")]
    NotRestricted,
    /// The application's personal data has been destroyed; nothing more can be done with it.
    #[error("this application's personal data has been destroyed under the retention schedule")]
    Destroyed,
    /// The retention rule named does not apply to the application as it now stands (an award is kept for
    /// ever; an application still being decided has not started its clock).
    #[error("the {rule} rule does not apply to an application that is {status}")]
    RuleDoesNotApply { rule: &'static str, status: Status },
    /// `letter_fits_outcome`: the letter would tell of an outcome the application does not have.
    #[error(
        "the {kind} letter does not fit an application that is {status}: a letter tells of the outcome recorded"
    )]
    LetterDoesNotFit { kind: LetterKind, status: Status },
    /// No letter with that id was issued on this application.
    #[error("no such letter was issued on this application")]
    NoSuchLetter,
    /// The list of staff could not be read; the command may be tried again.
    #[error("the staff directory could not be read")]
    DirectoryUnavailable,
}
