//! Records held about a scholar for immigration purposes (visa, confirmation of studies, residence permit).
//!
//! Each record is its own stream, apart from the application, because the policy destroys it two years after
//! it was recorded even when the award it belongs to is kept for ever.

pub mod aggregate;
pub mod commands;
pub mod error;
pub mod events;

pub use aggregate::ImmigrationRecord;
pub use commands::ImmigrationCommand;
pub use error::ImmigrationError;
pub use events::{ImmigrationDocument, ImmigrationEvent};
