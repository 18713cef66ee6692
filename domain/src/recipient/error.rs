//! Every refusal of the register, by name.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("your role may not do this")]
    Forbidden,
    #[error("this recipient is already registered")]
    AlreadyRegistered,
    #[error("a recipient needs a name of at most 200 characters")]
    InvalidName,
}
