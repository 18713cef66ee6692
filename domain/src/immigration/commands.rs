//! What a programme officer asks of an immigration record.

use chrono::NaiveDate;

use crate::application::Status;

#[derive(Clone, Debug, PartialEq)]
pub enum ImmigrationCommand {
    /// Records a document for a scholar. `application_status` is the status of the application the record
    /// belongs to, read by the caller just before.
    RecordImmigrationDocument {
        application_id: String,
        applicant_id: String,
        application_status: Status,
        kind: String,
        reference: String,
        issued_on: NaiveDate,
    },
    /// The retention sweep destroys the record's personal data, found due by the caller.
    DestroyPersonalData { destroyed_on: NaiveDate },
}
