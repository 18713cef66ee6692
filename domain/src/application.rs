//! The application for a scholarship: from the first draft to the award and beyond.
//!
//! `draft → submitted → eligible | ineligible → under_review → selected | reserve | unsuccessful`,
//! `withdrawn` from any state before a decision, and `selected → awarded → alumni`; an offer made in the system is accepted before the award, and a
//! declined or lapsed offer ends the application `unsuccessful`.

pub mod aggregate;
pub mod assessment;
pub mod award;
pub mod commands;
pub mod error;
pub mod events;
pub mod form;
pub mod letters;
pub mod rules;
pub mod status;
pub mod subject_rights;

pub use aggregate::{Application, ApplicationServices, StaffDirectory};
pub use commands::ApplicationCommand;
pub use error::ApplicationError;
pub use events::ApplicationEvent;
pub use letters::LetterKind;
pub use status::{Outcome, Status};
