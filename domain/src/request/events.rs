//! What happens to an information request. The requester's details and the request's words are personal
//! data, sealed at rest; dates, kinds and reasons stay in clear.

use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::aggregate::RequestKind;
use super::deadlines::{ClockReason, Extension};
use super::exemptions::FoiGround;
use super::rights::ObjectedUse;
use super::withholding::WithholdingGround;
use crate::personal::Personal;
use crate::retention::{PERSONAL_DATA_DESTROYED, RecordKind};

/// Who made the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RequestEvent {
    RequestLogged {
        kind: RequestKind,
        received_on: NaiveDate,
        requester: Personal<Requester>,
        /// Whose personal data the request is about (subject access and the other rights), by email.
        subject_email: Personal<Option<String>>,
        description: Personal<String>,
    },
    ClockStopped {
        on: NaiveDate,
        reason: ClockReason,
        note: Personal<String>,
    },
    ClockResumed {
        on: NaiveDate,
        note: Personal<String>,
    },
    DeadlineExtended {
        extension: Extension,
        reason: Personal<String>,
    },
    /// An information officer decided an erasure request, with the reason.
    ErasureDecided {
        approved: bool,
        reason: Personal<String>,
    },
    /// An information officer decided a rectification request: granted, the fields named were corrected on
    /// the application through the amendment path; refused, the reason says why.
    RectificationDecided {
        rectified: bool,
        application_id: Option<String>,
        fields: Vec<String>,
        reason: Personal<String>,
    },
    /// An information officer decided a restriction request.
    RestrictionDecided {
        restricted: bool,
        reason: Personal<String>,
    },
    /// An information officer decided an objection: upheld, the uses named stop.
    ObjectionDecided {
        upheld: bool,
        uses: Vec<ObjectedUse>,
        reason: Personal<String>,
    },
    /// An FOI request was refused on a ground of the Act; the refusal notice is the response.
    FoiRefused {
        ground: FoiGround,
        reason: Personal<String>,
        public_interest: Personal<Option<String>>,
    },
    /// A draft of the response was made: it holds the subject's personal data (copies of their records),
    /// sealed as the issued response is. It replaces any draft before it.
    ResponseDrafted {
        drafted_on: NaiveDate,
        response: Personal<serde_json::Value>,
    },
    /// An item of the draft (a JSON pointer into its records, which names no one) is withheld on a ground
    /// of the Data Protection Act 2018, with the reason.
    DraftItemWithheld {
        item: String,
        ground: WithholdingGround,
        reason: Personal<String>,
    },
    /// The note to the requester and the records held elsewhere, as the draft now has them.
    DraftAnnotated {
        note: Personal<String>,
        held_elsewhere: Personal<String>,
    },
    /// The response was produced and sent; it is kept with the request.
    ResponseIssued {
        issued_on: NaiveDate,
        response: Personal<serde_json::Value>,
    },
    /// The request's personal data was destroyed (its data key erased) under the retention schedule. It
    /// carries no personal data.
    PersonalDataDestroyed {
        rule: RecordKind,
        destroyed_on: NaiveDate,
    },
}

impl DomainEvent for RequestEvent {
    fn event_type(&self) -> String {
        match self {
            RequestEvent::RequestLogged { .. } => "RequestLogged",
            RequestEvent::ClockStopped { .. } => "ClockStopped",
            RequestEvent::ClockResumed { .. } => "ClockResumed",
            RequestEvent::DeadlineExtended { .. } => "DeadlineExtended",
            RequestEvent::ResponseDrafted { .. } => "ResponseDrafted",
            RequestEvent::DraftItemWithheld { .. } => "DraftItemWithheld",
            RequestEvent::DraftAnnotated { .. } => "DraftAnnotated",
            RequestEvent::ResponseIssued { .. } => "ResponseIssued",
            RequestEvent::ErasureDecided { .. } => "ErasureDecided",
            RequestEvent::RectificationDecided { .. } => "RectificationDecided",
            RequestEvent::RestrictionDecided { .. } => "RestrictionDecided",
            RequestEvent::ObjectionDecided { .. } => "ObjectionDecided",
            RequestEvent::FoiRefused { .. } => "FoiRefused",
            RequestEvent::PersonalDataDestroyed { .. } => PERSONAL_DATA_DESTROYED,
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
