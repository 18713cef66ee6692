//! Information requests: freedom of information (FOI), subject access (SAR) and the other rights of data
//! subjects (rectification, erasure, restriction, objection, portability), each with its clock.
//!
//! The policy promises FOI answers "within 20 working days of the receipt of the request"; subject access
//! is due one calendar month after receipt (the ICO's rule; extendable by two months where the request is
//! complex), and EtP aims to answer it, too, within 20 working days. The clock can be stopped and resumed,
//! with the effect the law gives each reason ([`deadlines`]).

pub mod aggregate;
pub mod commands;
pub mod deadlines;
pub mod error;
pub mod events;
pub mod exemptions;
pub mod rights;
pub mod rules;
pub mod withholding;

pub use aggregate::{Draft, InformationRequest, RequestKind, RequestStatus};
pub use commands::RequestCommand;
pub use deadlines::{ClockReason, ClockStop, Deadlines, Extension, deadlines};
pub use error::RequestError;
pub use events::{RequestEvent, Requester};
pub use exemptions::FoiGround;
pub use rights::{ObjectedUse, opt_outs_for};
pub use withholding::WithholdingGround;
