//! The register of sharing recipients: the only organisations personal data may ever be disclosed to.
//!
//! The policy names four kinds: the British Embassy or High Commission in the applicant's country; the
//! embassy of the chosen country of study located in the applicant's country; the applicant's own country's
//! embassy or high commission in the country of study; and a joint sponsor contributing to the award.

pub mod aggregate;
pub mod commands;
pub mod error;
pub mod events;

pub use aggregate::{Recipient, RecipientKind};
pub use commands::RecipientCommand;
pub use error::RecipientError;
pub use events::RecipientEvent;
