//! The one table of words: every status, event type, region, role and kind the system stores as a code,
//! as a caseworker reads it ("Awaiting eligibility check", not `submitted`). Pages and letters take their
//! words from here, and templates through `{{in_words x}}`; a code with no entry is shown with its
//! underscores and hyphens as spaces. The tests below fail when a status or an event type has no words.

use domain::Role;
use domain::application::{Outcome, Status};
use domain::calendar::Region;
use domain::recipient::RecipientKind;
use domain::request::RequestKind;

/// Where an application stands, as the case desk says it.
pub fn status(status: Status) -> &'static str {
    match status {
        Status::NotStarted => "Not started",
        Status::Draft => "Draft: not submitted",
        Status::Submitted => "Awaiting eligibility check",
        Status::Eligible => "Eligible: awaiting the committee",
        Status::Ineligible => "Not eligible",
        Status::UnderReview => "Under review by the committee",
        Status::Selected => "Selected: award to be made",
        Status::Reserve => "On the reserve list",
        Status::Unsuccessful => "Unsuccessful",
        Status::Awarded => "Awarded",
        Status::Alumni => "Award completed",
        Status::Withdrawn => "Withdrawn",
    }
}

/// The committee's decision.
pub fn outcome(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Selected => "Selected",
        Outcome::Reserve => "Reserve",
        Outcome::Unsuccessful => "Unsuccessful",
    }
}

/// A part of the UK with its own bank holidays.
pub fn region(region: Region) -> &'static str {
    match region {
        Region::EnglandAndWales => "England and Wales",
        Region::Scotland => "Scotland",
        Region::NorthernIreland => "Northern Ireland",
    }
}

/// A role, as a job title.
pub fn role(role: Role) -> &'static str {
    match role {
        Role::Applicant => "Applicant",
        Role::Helpdesk => "Help Desk",
        Role::ProgrammeOfficer => "Programme officer",
        Role::CommitteeMember => "Committee member",
        Role::InformationOfficer => "Information officer",
        Role::Admin => "Administrator",
    }
}

/// A kind of recipient of the register.
pub fn recipient_kind(kind: RecipientKind) -> &'static str {
    kind.describe()
}

/// A kind of information request.
pub fn request_kind(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Foi => "Freedom of information request",
        RequestKind::Sar => "Subject access request",
        RequestKind::Rectification => "Rectification request",
        RequestKind::Erasure => "Erasure request",
        RequestKind::Restriction => "Restriction request",
        RequestKind::Objection => "Objection",
        RequestKind::Portability => "Data portability request",
    }
}

/// What an event of the log records, as a line of a case's or a request's history.
pub fn event(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        // An application's.
        "ApplicationStarted" => "Application started",
        "DraftSaved" => "Draft saved",
        "ApplicationSubmitted" => "Application submitted",
        "PrivacyNoticeAccepted" => "Privacy notice accepted on submitting",
        "ApplicationWithdrawn" => "Application withdrawn",
        "PreferencesChanged" => "Preferences changed",
        "PersonalDataAmended" => "Personal data amended",
        "EligibilityDetermined" => "Eligibility decided",
        "ScreeningOverridden" => "Screening rules waived",
        "CommitteeMemberAssigned" => "Committee member assigned",
        "ConflictDeclared" => "Conflict of interest declared",
        "ApplicationScored" => "Scored by a committee member",
        "DecisionRecorded" => "Decision recorded",
        "ConcludedWithCycle" => "Unsuccessful: the cycle was concluded",
        "OfferMade" => "Offer made",
        "OfferAccepted" => "Offer accepted",
        "OfferDeclined" => "Offer declined",
        "OfferLapsed" => "Offer lapsed",
        "AwardMade" => "Award made",
        "AwardCompleted" => "Award completed",
        "SupervisorRecorded" => "Academic supervisor recorded",
        "ReportScheduleSet" => "Progress report schedule set",
        "ProgressReportRecorded" => "Progress report recorded",
        "ReportReminderSent" => "Progress report reminder sent",
        "ResultReleased" => "Result released by the institution",
        "AwardTermsCorrected" => "Award terms corrected",
        "CompletionOutcomeCorrected" => "Completion outcome corrected",
        "DataDisclosed" => "Personal data disclosed",
        "DisclosureRefused" => "Disclosure refused",
        "EligibilityRecheckDue" => "Flagged: check eligibility and recipients again",
        "EligibilityRechecked" => "Eligibility and recipients checked again",
        "StatementOfDisputeRecorded" => {
            "The applicant's statement that their data is inaccurate kept"
        }
        "RectificationNoticeDue" => "A recipient to be told of a correction",
        "RectificationNoticeSent" => "A recipient told of a correction",
        "PersonalDataDestroyed" => "Personal data destroyed",
        "ProcessingRestricted" => "Processing restricted",
        "RestrictionLifted" => "Restriction lifted",
        "LetterIssued" => "Letter issued",
        "LetterEmailed" => "Letter emailed",
        "LetterEmailFailed" => "Letter could not be emailed",
        // An immigration record's.
        "ImmigrationRecordRecorded" => "Immigration document recorded",
        // A recipient's.
        "RecipientRegistered" => "Recipient registered",
        // An information request's.
        "RequestLogged" => "Request logged",
        "ClockStopped" => "Clock stopped",
        "ClockResumed" => "Clock resumed",
        "DeadlineExtended" => "Deadline extended",
        "ErasureDecided" => "Erasure decided",
        "RectificationDecided" => "Rectification decided",
        "RestrictionDecided" => "Restriction decided",
        "ObjectionDecided" => "Objection decided",
        "FoiRefused" => "Request refused",
        "ResponseDrafted" => "Response drafted",
        "DraftItemWithheld" => "Item withheld from the draft",
        "DraftAnnotated" => "Draft annotated",
        "ResponseIssued" => "Response issued",
        // A cycle's.
        "CycleTermsSet" => "Cycle terms set",
        "CycleConcluded" => "Cycle concluded",
        _ => return None,
    })
}

/// Any stored code in words: an event type, a status, a region, a role, a recipient or request kind, or
/// an outcome; `None` for a code the table does not know.
pub fn of_code(code: &str) -> Option<&'static str> {
    event(code)
        .or_else(|| Status::parse(code).map(status))
        .or_else(|| Region::parse(code).map(region))
        .or_else(|| Role::parse(code).map(role))
        .or_else(|| RecipientKind::parse(code).map(recipient_kind))
        .or_else(|| RequestKind::parse(code).map(request_kind))
        .or_else(|| Outcome::parse(code).map(outcome))
}

/// A code in words: from the table, else with its underscores and hyphens as spaces.
pub fn in_words(code: &str) -> String {
    of_code(code)
        .map(str::to_string)
        .unwrap_or_else(|| code.replace(['_', '-'], " "))
}

/// The reference a letter about an information request gives, short enough to quote on the telephone: the
/// last eight letters and digits of the request's id, in capitals (`5F3A9C21`).
pub fn short_reference(id: &str) -> String {
    let kept: Vec<char> = id.chars().filter(char::is_ascii_alphanumeric).collect();
    kept[kept.len().saturating_sub(8)..]
        .iter()
        .collect::<String>()
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::application::ApplicationEvent;
    use domain::cycle::CycleEvent;
    use domain::evolution::event_types_of;
    use domain::immigration::ImmigrationEvent;
    use domain::recipient::RecipientEvent;
    use domain::request::RequestEvent;

    #[test]
    fn every_event_type_has_words() {
        let types = [
            event_types_of::<ApplicationEvent>(),
            event_types_of::<ImmigrationEvent>(),
            event_types_of::<RecipientEvent>(),
            event_types_of::<RequestEvent>(),
            event_types_of::<CycleEvent>(),
        ];
        assert!(types.iter().all(|t| !t.is_empty()), "{types:?}");
        let missing: Vec<&str> = types
            .iter()
            .flat_map(|t| t.iter().copied())
            .filter(|t| event(t).is_none())
            .collect();
        assert!(missing.is_empty(), "event types with no words: {missing:?}");
    }

    #[test]
    fn every_status_has_words_and_no_code_shows() {
        for s in Status::ALL {
            let words = status(s);
            assert!(!words.contains('_'), "{words}");
            assert_eq!(of_code(s.as_str()), Some(words));
        }
        assert_eq!(in_words("submitted"), "Awaiting eligibility check");
        assert_eq!(in_words("DisclosureRefused"), "Disclosure refused");
        assert_eq!(in_words("england-and-wales"), "England and Wales");
        assert_eq!(in_words("programme_officer"), "Programme officer");
        assert_eq!(
            in_words("british_mission"),
            recipient_kind(RecipientKind::BritishMission)
        );
        assert_eq!(in_words("sar"), "Subject access request");
        assert_eq!(in_words("some_new-code"), "some new code");
    }
}
