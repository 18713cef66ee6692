//! Every refusal of the register, by name.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("your role may not do this")]
    Forbidden,
    #[error("this recipient is already registered")]
    AlreadyRegistered,
    #[error("a recipient needs a name of at most 200 characters")]
    InvalidName,
    /// A field this kind of recipient needs is missing, or says something its kind cannot be.
    #[error("`{field}` {problem}")]
    InvalidField { field: String, problem: String },
}
