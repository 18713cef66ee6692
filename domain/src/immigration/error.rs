//! Every refusal of an immigration record, by name.

use crate::application::Status;
use crate::application::rules::FieldProblem;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImmigrationError {
    #[error("your role may not do this")]
    Forbidden,
    #[error("this immigration record has already been made")]
    AlreadyRecorded,
    /// Immigration records are held only for scholars whose award is current.
    #[error("immigration records are kept only for awarded scholars; this application is {status}")]
    NotAwarded { status: Status },
    #[error("no such immigration record")]
    NotFound,
    #[error("this immigration record has been destroyed under the retention schedule")]
    Destroyed,
    #[error("some values are not valid")]
    Invalid { problems: Vec<FieldProblem> },
}
