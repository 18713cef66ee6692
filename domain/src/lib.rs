//! The EtP Scholarships domain: aggregates, commands, events and the rules of the privacy policy.
//!
//! Nothing here does I/O. Each aggregate is a folder with `aggregate.rs` (state and the rules that decide
//! which events a command produces), `commands.rs`, `events.rs` and `error.rs`. A rule of the policy is a
//! named function or a named error variant, so it can be found by its name.

pub mod access;
pub mod actor;
pub mod application;
pub mod assignment;
pub mod calendar;
pub mod country;
pub mod cycle;
pub mod evolution;
pub mod immigration;
pub mod personal;
pub mod ranking;
pub mod recipient;
pub mod request;
pub mod retention;
pub mod screening;
pub mod sharing;

pub use actor::{Actor, Authored, Role};
pub use personal::Personal;
