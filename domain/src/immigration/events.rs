//! What happens to an immigration record.

use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::personal::Personal;
use crate::retention::{PERSONAL_DATA_DESTROYED, RecordKind};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImmigrationEvent {
    ImmigrationRecordRecorded {
        application_id: String,
        applicant_id: String,
        kind: String,
        document: Personal<ImmigrationDocument>,
    },
    /// The record's personal data was destroyed (its data key erased): two years after it was recorded.
    PersonalDataDestroyed {
        rule: RecordKind,
        destroyed_on: NaiveDate,
    },
}

/// The personal part of the record: the document's reference and the day it was issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmigrationDocument {
    pub reference: String,
    pub issued_on: NaiveDate,
}

impl DomainEvent for ImmigrationEvent {
    fn event_type(&self) -> String {
        match self {
            ImmigrationEvent::ImmigrationRecordRecorded { .. } => {
                "ImmigrationRecordRecorded".to_string()
            }
            ImmigrationEvent::PersonalDataDestroyed { .. } => PERSONAL_DATA_DESTROYED.to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
