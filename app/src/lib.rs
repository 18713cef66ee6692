//! The application layer of EtP Scholarships: the command bus and the services around the domain.
//!
//! It speaks no HTTP: every service answers with [`error::AppError`], which the server turns into a status
//! and a body or a page, and the CLI prints whole. Its `Cargo.toml` is the rule: no axum, no tower.

pub mod accounts;
pub mod auth;
pub mod awards;
pub mod backup;
pub mod bus;
pub mod conclusion;
pub mod config;
pub mod drafts;
pub mod error;
pub mod labels;
pub mod letters;
pub mod mail;
pub mod metrics;
pub mod notice;
pub mod password_reset;
pub mod pdf;
pub mod readable;
pub mod responses;
pub mod retention;
pub mod rights;
pub mod selection;
pub mod subjects;
pub mod templates;
pub mod throttle;
pub mod words;

/// The event store and the sealing of personal data live in their own crate, the only one that reads and
/// writes the `events` and `stream_keys` tables.
pub use store::{self, crypto};
