//! What the information officer asks of a request.

use chrono::NaiveDate;

use super::aggregate::RequestKind;
use super::deadlines::{ClockReason, Extension};
use super::events::Requester;
use super::exemptions::FoiGround;
use super::rights::ObjectedUse;
use super::withholding::WithholdingGround;

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
    /// A rectification request is granted (the named fields of the subject's application were corrected
    /// through the amendment path) or refused, with the reason.
    DecideRectification {
        rectify: bool,
        application_id: Option<String>,
        fields: Vec<String>,
        reason: String,
    },
    /// A restriction request is granted (the subject's cases are frozen) or refused, with the reason.
    DecideRestriction {
        restrict: bool,
        reason: String,
    },
    /// An objection is upheld (the uses objected to stop) or not (the compelling grounds to go on), with the
    /// reason.
    DecideObjection {
        uphold: bool,
        uses: Vec<ObjectedUse>,
        reason: String,
    },
    /// An FOI request is refused on a ground of the Act, with why it applies and, for a qualified
    /// exemption, the public interest reasons.
    RefuseFoi {
        ground: FoiGround,
        reason: String,
        public_interest: Option<String>,
    },
    /// A draft of the response is made, to be seen, redacted and then issued. A new draft replaces the last,
    /// and what was withheld from it.
    DraftResponse {
        response: serde_json::Value,
    },
    /// An item of a subject access draft, named by its JSON pointer into the draft's records
    /// (`/records/applications/0/personal/phone`), is withheld on a ground of the Data Protection Act 2018,
    /// with the information officer's reason.
    WithholdFromDraft {
        item: String,
        ground: WithholdingGround,
        reason: String,
    },
    /// The information officer's note to the requester, and the records held elsewhere (outside this
    /// system), added to the draft; each replaces what was added before.
    AnnotateDraft {
        note: String,
        held_elsewhere: String,
    },
    /// The response produced by the system is issued and kept with the request.
    IssueResponse {
        response: serde_json::Value,
    },
    /// The retention sweep destroys a closed request's personal data (the requester, what was asked, the
    /// response and letters), two years after it closed.
    DestroyPersonalData {
        destroyed_on: NaiveDate,
    },
    /// The ledger of destroyed streams says this request was destroyed on `destroyed_on`, and a restored
    /// backup holds it again as it stood before (open, say): it is destroyed again.
    ReapplyDestruction {
        destroyed_on: NaiveDate,
    },
}
