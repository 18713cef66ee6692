//! What the information officer asks of a request.

use chrono::NaiveDate;

use super::aggregate::RequestKind;
use super::deadlines::{ClockReason, Extension};
use super::events::Requester;

#[derive(Clone, Debug, PartialEq)]
pub enum RequestCommand {
    LogRequest {
        kind: RequestKind,
        received_on: NaiveDate,
        requester: Requester,
        subject_email: Option<String>,
        description: String,
    },
    StopClock {
        on: NaiveDate,
        reason: ClockReason,
        note: String,
    },
    ResumeClock {
        on: NaiveDate,
        note: String,
    },
    ExtendDeadline {
        extension: Extension,
        reason: String,
    },
    /// An erasure request is approved or refused, with the reason.
    DecideErasure {
        approve: bool,
        reason: String,
    },
    /// The response produced by the system is issued and kept with the request.
    IssueResponse {
        response: serde_json::Value,
    },
}
