//! What happens to an application. Personal data travels inside [`Personal`], sealed at rest under the
//! application's own data key; ids, outcomes and the dates of the process stay in clear. Who did it and when
//! travel with every event as metadata.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::award::{ProgressReport, QualificationResult, ReportSource, Supervisor};
use super::form::{DraftChanges, PersonalField, Preferences, Section};
use super::letters::LetterKind;
use super::status::{Outcome, Status};
use crate::country::Country;
use crate::cycle::CycleName;
use crate::personal::Personal;
use crate::recipient::RecipientKind;
use crate::retention::{PERSONAL_DATA_DESTROYED, RecordKind};
use crate::screening::ScreeningRule;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    ApplicationStarted {
        cycle: CycleName,
        applicant_id: String,
    },
    DraftSaved {
        sections: Vec<Section>,
        changes: Personal<DraftChanges>,
    },
    ApplicationSubmitted {
        submitted_at: DateTime<Utc>,
    },
    /// On submitting, the applicant accepted the privacy notice of this version.
    PrivacyNoticeAccepted {
        notice: NoticeVersion,
    },
    ApplicationWithdrawn {
        previous_status: Status,
    },
    PreferencesChanged {
        preferences: Personal<Preferences>,
        reason: Personal<Option<String>>,
    },
    PersonalDataAmended {
        fields: Vec<PersonalField>,
        changes: Personal<Vec<FieldChange>>,
        reason: Personal<String>,
        requested_by: Personal<String>,
    },
    EligibilityDetermined {
        eligible: bool,
        reason: Personal<String>,
    },
    CommitteeMemberAssigned {
        member_id: String,
    },
    ConflictDeclared {
        member_id: String,
        reason: Personal<String>,
    },
    ApplicationScored {
        member_id: String,
        scores: Personal<Scores>,
    },
    /// Version 2 added `reserve_position` (a reserve's place on the cycle's reserve list, when the decision
    /// came from the ranking); version 1's decisions have none.
    DecisionRecorded {
        outcome: Outcome,
        reserve_position: Option<u32>,
    },
    /// The cycle was concluded on `on` while the application was still `previous_status` (undecided, a
    /// reserve, or selected without an award): it is unsuccessful from that day, and its two years of
    /// retention run from it.
    ConcludedWithCycle {
        on: NaiveDate,
        previous_status: Status,
    },
    /// A programme officer offered the scholarship to a selected applicant, to be answered by `reply_by`.
    OfferMade {
        reply_by: NaiveDate,
    },
    /// The applicant accepted the offer.
    OfferAccepted {
        on: NaiveDate,
    },
    /// The applicant declined the offer: the application is unsuccessful from `on`.
    OfferDeclined {
        on: NaiveDate,
    },
    /// The offer was not answered by its reply-by date: it lapsed on `on`, the day after, and the application
    /// is unsuccessful from then.
    OfferLapsed {
        on: NaiveDate,
    },
    AwardMade {
        terms: Personal<AwardTerms>,
        joint_sponsor_id: Option<String>,
    },
    AwardCompleted {
        completed_on: NaiveDate,
        outcome: Personal<String>,
    },
    /// The scholar's academic supervisor, as now recorded (each recording is a change in the history).
    SupervisorRecorded {
        supervisor: Personal<Supervisor>,
    },
    /// A programme officer set the dates the award's progress reports fall due, in place of the default.
    ReportScheduleSet {
        due: Vec<NaiveDate>,
    },
    /// A progress report was recorded: from whom, the due date it answers, and (sealed) what it says.
    ProgressReportRecorded {
        report_id: String,
        source: ReportSource,
        due_on: Option<NaiveDate>,
        report: Personal<ProgressReport>,
    },
    /// The reminder of the progress report due on `due_on` was emailed, once, to these kinds of recipient
    /// (`supervisor`, `programme_office`); no address is kept.
    ReportReminderSent {
        due_on: NaiveDate,
        sent_to: Vec<String>,
    },
    /// The institution released the qualification's result.
    ResultReleased {
        result: Personal<QualificationResult>,
    },
    /// A programme officer corrected the terms of the award: `terms` are the terms as they now stand.
    AwardTermsCorrected {
        terms: Personal<AwardTerms>,
        reason: Personal<String>,
    },
    /// A programme officer corrected the outcome recorded when the award was completed.
    CompletionOutcomeCorrected {
        outcome: Personal<String>,
        reason: Personal<String>,
    },
    /// Chosen fields were sent to a registered recipient the policy allows, for a stated purpose. The values
    /// sent are kept, so a later correction can be passed on.
    DataDisclosed {
        disclosure_id: String,
        recipient_id: String,
        recipient_name: String,
        recipient_kind: RecipientKind,
        fields: Vec<String>,
        purpose: Personal<String>,
        values: Personal<BTreeMap<String, String>>,
    },
    /// A disclosure the policy does not allow was asked for, and refused.
    DisclosureRefused {
        disclosure_id: String,
        recipient_id: String,
        recipient_name: String,
        recipient_kind: RecipientKind,
        fields: Vec<String>,
        purpose: Personal<String>,
        reason: String,
    },
    /// Nationality or residence was amended after eligibility was decided. The screening and the sharing
    /// rule read them, so the programme officer is to check eligibility and the recipients again.
    EligibilityRecheckDue {
        fields: Vec<PersonalField>,
    },
    /// A programme officer checked eligibility and the recipients again after such an amendment.
    EligibilityRechecked {
        note: Personal<String>,
    },
    /// A rectification (request `request_id`) was refused, and the data subject's statement that the data is
    /// inaccurate is kept with the application: staff see it on the case and every later subject access
    /// request includes it.
    StatementOfDisputeRecorded {
        request_id: String,
        statement: Personal<String>,
    },
    /// Personal data a recipient was sent has been amended: they must be told of the correction.
    RectificationNoticeDue {
        recipient_id: String,
        recipient_name: String,
        fields: Vec<String>,
    },
    /// A programme officer told the recipient of the correction.
    RectificationNoticeSent {
        recipient_id: String,
    },
    /// The application's personal data was destroyed (its data key erased) under a rule of the retention
    /// schedule or an approved erasure. It carries no personal data.
    PersonalDataDestroyed {
        rule: RecordKind,
        destroyed_on: NaiveDate,
    },
    /// Processing is restricted at the data subject's request (UK GDPR Art 18): the data is kept, but the
    /// case does not move until the restriction is lifted.
    ProcessingRestricted {
        request_id: Option<String>,
        reason: Personal<String>,
    },
    RestrictionLifted {
        reason: Personal<String>,
    },
    /// A letter telling the applicant of the outcome was issued: its subject and body as sent, sealed with
    /// the rest of the application's personal data. `by_email`: it is to be sent to the applicant's email
    /// address (a mail server was configured when it was issued); either way it is shown with the case.
    LetterIssued {
        letter_id: String,
        kind: LetterKind,
        subject: Personal<String>,
        body: Personal<String>,
        #[serde(default)]
        by_email: bool,
    },
    /// A programme officer waived rules of the cycle's screening for this application, with the reason;
    /// submission no longer checks them.
    ScreeningOverridden {
        rules: Vec<ScreeningRule>,
        reason: Personal<String>,
    },
    /// The mail server took the letter for the applicant's email address.
    LetterEmailed {
        letter_id: String,
    },
    /// The letter could not be emailed; the reason names no one. The letter is still kept and shown.
    LetterEmailFailed {
        letter_id: String,
        reason: String,
    },
}

/// A version of the privacy notice: the day it was last updated and a digest (SHA-256, hex) of its text, so
/// that what an applicant accepted can be told from any later version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeVersion {
    pub updated_on: NaiveDate,
    pub digest: String,
}

/// One amended personal field: the value before and after, both kept in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: PersonalField,
    pub old: Option<String>,
    pub new: String,
}

/// A committee member's marks, each a whole number from 0 to 10, and their comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub leadership: u8,
    pub networking: u8,
    pub study_plan: u8,
    pub career_plan: u8,
    pub comment: String,
}

impl Scores {
    /// The highest mark on any criterion.
    pub const MAX: u8 = 10;

    /// The four criteria summed: 0 to 40.
    pub fn total(&self) -> u32 {
        [
            self.leadership,
            self.networking,
            self.study_plan,
            self.career_plan,
        ]
        .iter()
        .map(|mark| u32::from(*mark))
        .sum()
    }
}

/// What is awarded: where, what and at which level the scholar studies, and when the study starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardTerms {
    pub institution: String,
    pub course: String,
    pub level: String,
    pub start_date: NaiveDate,
    /// The country of study; an award made before awards had one is in the United Kingdom. Left out of the
    /// stored event when not given, as every award before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
}

impl AwardTerms {
    /// Where the scholar studies.
    pub fn country_of_study(&self) -> Country {
        self.country.clone().unwrap_or_else(Country::united_kingdom)
    }
}

impl DomainEvent for ApplicationEvent {
    fn event_type(&self) -> String {
        let name = match self {
            ApplicationEvent::ApplicationStarted { .. } => "ApplicationStarted",
            ApplicationEvent::DraftSaved { .. } => "DraftSaved",
            ApplicationEvent::ApplicationSubmitted { .. } => "ApplicationSubmitted",
            ApplicationEvent::PrivacyNoticeAccepted { .. } => "PrivacyNoticeAccepted",
            ApplicationEvent::ApplicationWithdrawn { .. } => "ApplicationWithdrawn",
            ApplicationEvent::PreferencesChanged { .. } => "PreferencesChanged",
            ApplicationEvent::PersonalDataAmended { .. } => "PersonalDataAmended",
            ApplicationEvent::EligibilityDetermined { .. } => "EligibilityDetermined",
            ApplicationEvent::CommitteeMemberAssigned { .. } => "CommitteeMemberAssigned",
            ApplicationEvent::ConflictDeclared { .. } => "ConflictDeclared",
            ApplicationEvent::ApplicationScored { .. } => "ApplicationScored",
            ApplicationEvent::DecisionRecorded { .. } => "DecisionRecorded",
            ApplicationEvent::ConcludedWithCycle { .. } => "ConcludedWithCycle",
            ApplicationEvent::OfferMade { .. } => "OfferMade",
            ApplicationEvent::OfferAccepted { .. } => "OfferAccepted",
            ApplicationEvent::OfferDeclined { .. } => "OfferDeclined",
            ApplicationEvent::OfferLapsed { .. } => "OfferLapsed",
            ApplicationEvent::SupervisorRecorded { .. } => "SupervisorRecorded",
            ApplicationEvent::ReportScheduleSet { .. } => "ReportScheduleSet",
            ApplicationEvent::ProgressReportRecorded { .. } => "ProgressReportRecorded",
            ApplicationEvent::ResultReleased { .. } => "ResultReleased",
            ApplicationEvent::ReportReminderSent { .. } => "ReportReminderSent",
            ApplicationEvent::AwardMade { .. } => "AwardMade",
            ApplicationEvent::AwardCompleted { .. } => "AwardCompleted",
            ApplicationEvent::AwardTermsCorrected { .. } => "AwardTermsCorrected",
            ApplicationEvent::CompletionOutcomeCorrected { .. } => "CompletionOutcomeCorrected",
            ApplicationEvent::DataDisclosed { .. } => "DataDisclosed",
            ApplicationEvent::DisclosureRefused { .. } => "DisclosureRefused",
            ApplicationEvent::EligibilityRecheckDue { .. } => "EligibilityRecheckDue",
            ApplicationEvent::EligibilityRechecked { .. } => "EligibilityRechecked",
            ApplicationEvent::StatementOfDisputeRecorded { .. } => "StatementOfDisputeRecorded",
            ApplicationEvent::RectificationNoticeDue { .. } => "RectificationNoticeDue",
            ApplicationEvent::RectificationNoticeSent { .. } => "RectificationNoticeSent",
            ApplicationEvent::PersonalDataDestroyed { .. } => PERSONAL_DATA_DESTROYED,
            ApplicationEvent::ProcessingRestricted { .. } => "ProcessingRestricted",
            ApplicationEvent::RestrictionLifted { .. } => "RestrictionLifted",
            ApplicationEvent::LetterIssued { .. } => "LetterIssued",
            ApplicationEvent::ScreeningOverridden { .. } => "ScreeningOverridden",
            ApplicationEvent::LetterEmailed { .. } => "LetterEmailed",
            ApplicationEvent::LetterEmailFailed { .. } => "LetterEmailFailed",
        };
        name.to_string()
    }

    fn event_version(&self) -> String {
        match self {
            ApplicationEvent::DecisionRecorded { .. } => "2",
            _ => "1",
        }
        .to_string()
    }
}
