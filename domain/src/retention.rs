//! How long each kind of record is kept: the retention schedule of the policy, as data.
//!
//! "If your application is unsuccessful your application will be held for two years and then destroyed";
//! "application data will be stored for a limited period of no more than 24 months"; "records held about
//! you for immigration purposes will be held for a period of two years only"; a successful application and
//! award are "held for the EtP indefinitely".
//!
//! No record is ever without a rule: [`application_kept`] and [`request_kept`] map every state of every
//! stream either to a rule of the schedule or to "kept while live", and each live state has an end that does
//! not wait on anyone (an application's cycle is concluded automatically on 31 December of its second year;
//! a request is answered by its statutory date, and a request kept open past it is flagged).

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::application::Status;
use crate::request::RequestStatus;

/// The type of the event, on every aggregate, that records the destruction of a stream's personal data.
/// The event store erases the stream's data key in the transaction that appends it.
pub const PERSONAL_DATA_DESTROYED: &str = "PersonalDataDestroyed";

/// The kinds of record the schedule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// An application found ineligible, decided unsuccessful, or withdrawn.
    UnsuccessfulApplication,
    /// A draft never submitted.
    UnsubmittedDraft,
    ImmigrationRecord,
    /// An applicant's account once none of their applications is kept any longer.
    ApplicantAccount,
    /// A successful application and its award.
    Award,
    /// An information request (FOI, subject access or another right) once closed, with its response and
    /// letters.
    InformationRequest,
    /// Any application whose erasure an information officer approved (UK GDPR Art 17). Not on the schedule:
    /// erasure is asked for, not reached by time.
    ErasedOnRequest,
}

/// How long a record is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    Months(u32),
    Forever,
}

/// One line of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionRule {
    pub kind: RecordKind,
    pub keep: Keep,
    /// The event from which the period runs, in words.
    pub counted_from: &'static str,
    /// The record, in words an applicant understands.
    pub describes: &'static str,
}

/// The schedule, in the order the privacy notice lists it.
pub const SCHEDULE: [RetentionRule; 6] = [
    RetentionRule {
        kind: RecordKind::UnsuccessfulApplication,
        keep: Keep::Months(24),
        counted_from: "the decision, the withdrawal, or the cycle's conclusion",
        describes: "An unsuccessful, ineligible or withdrawn application; an application not awarded when its cycle was concluded",
    },
    RetentionRule {
        kind: RecordKind::UnsubmittedDraft,
        keep: Keep::Months(24),
        counted_from: "its last change",
        describes: "An application never submitted",
    },
    RetentionRule {
        kind: RecordKind::ImmigrationRecord,
        keep: Keep::Months(24),
        counted_from: "the day it was recorded, even for an award",
        describes: "A record held for immigration purposes",
    },
    RetentionRule {
        kind: RecordKind::InformationRequest,
        keep: Keep::Months(24),
        counted_from: "its closing (the response issued, the refusal or the decision)",
        describes: "An information request (freedom of information, subject access or another right), with its response and letters",
    },
    RetentionRule {
        kind: RecordKind::ApplicantAccount,
        keep: Keep::Months(24),
        counted_from: "the last sign-in",
        describes: "An applicant's account with no application still kept",
    },
    RetentionRule {
        kind: RecordKind::Award,
        keep: Keep::Forever,
        counted_from: "the award",
        describes: "A successful application and the award",
    },
];

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::UnsuccessfulApplication => "unsuccessful_application",
            RecordKind::UnsubmittedDraft => "unsubmitted_draft",
            RecordKind::ImmigrationRecord => "immigration_record",
            RecordKind::ApplicantAccount => "applicant_account",
            RecordKind::Award => "award",
            RecordKind::InformationRequest => "information_request",
            RecordKind::ErasedOnRequest => "erasure_request",
        }
    }

    pub fn parse(name: &str) -> Option<RecordKind> {
        [
            RecordKind::UnsuccessfulApplication,
            RecordKind::UnsubmittedDraft,
            RecordKind::ImmigrationRecord,
            RecordKind::ApplicantAccount,
            RecordKind::Award,
            RecordKind::InformationRequest,
            RecordKind::ErasedOnRequest,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }

    /// The kind of record an application is, for retention, while it has this status: `None` while it is
    /// still being decided (its clock has not started).
    pub fn of_application(status: Status) -> Option<RecordKind> {
        match status {
            Status::Draft => Some(RecordKind::UnsubmittedDraft),
            Status::Ineligible | Status::Unsuccessful | Status::Withdrawn => {
                Some(RecordKind::UnsuccessfulApplication)
            }
            Status::Awarded | Status::Alumni => Some(RecordKind::Award),
            Status::NotStarted
            | Status::Submitted
            | Status::Eligible
            | Status::UnderReview
            | Status::Selected
            | Status::Reserve => None,
        }
    }
}

/// What keeps a stream in the state it is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Kept under this rule of the schedule: its clock runs (or, for an award, it is kept for ever).
    Under(RecordKind),
    /// Kept while it is live, before any clock starts; `until` says what ends it.
    WhileLive { until: &'static str },
}

/// `application_kept`: what keeps an application in each status. Every status the lifecycle reaches has an
/// answer; the live ones end when the cycle is concluded, by an officer or automatically.
pub fn application_kept(status: Status) -> Kept {
    match RecordKind::of_application(status) {
        Some(kind) => Kept::Under(kind),
        None => Kept::WhileLive {
            until: "it is decided, or its cycle is concluded (automatically on 31 December of the cycle's second year)",
        },
    }
}

/// `request_kept`: an information request is kept while it is open, and two years from its closing (the
/// response issued, or the decision or refusal recorded).
pub fn request_kept(status: RequestStatus, decided: bool) -> Kept {
    match status {
        RequestStatus::Responded => Kept::Under(RecordKind::InformationRequest),
        _ if decided => Kept::Under(RecordKind::InformationRequest),
        _ => Kept::WhileLive {
            until: "it is answered; an open request past its statutory date is flagged on the retention page",
        },
    }
}

impl RetentionRule {
    /// The day a record kept under this rule falls due for destruction, counted from `from` (the day of the
    /// event the rule names): the same day of the month, the period later (the last day of the month where
    /// that month is shorter). `None` for records kept for ever.
    pub fn falls_due(&self, from: NaiveDate) -> Option<NaiveDate> {
        match self.keep {
            Keep::Forever => None,
            Keep::Months(months) => from.checked_add_months(Months::new(months)),
        }
    }

    /// The rule for a kind of record.
    pub fn for_kind(kind: RecordKind) -> &'static RetentionRule {
        SCHEDULE
            .iter()
            .find(|rule| rule.kind == kind)
            .expect("every kind of record has a rule")
    }

    /// The period in words: "2 years from the decision, or the withdrawal", "indefinitely".
    pub fn period_in_words(&self) -> String {
        match self.keep {
            Keep::Forever => "Indefinitely".to_string(),
            Keep::Months(months) if months % 12 == 0 => {
                format!(
                    "{} years from {}, then destroyed",
                    months / 12,
                    self.counted_from
                )
            }
            Keep::Months(months) => {
                format!("{months} months from {}, then destroyed", self.counted_from)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awards_are_kept_for_ever_and_everything_else_for_two_years() {
        assert_eq!(
            RetentionRule::for_kind(RecordKind::Award).keep,
            Keep::Forever
        );
        for kind in [
            RecordKind::UnsuccessfulApplication,
            RecordKind::UnsubmittedDraft,
            RecordKind::ImmigrationRecord,
            RecordKind::ApplicantAccount,
            RecordKind::InformationRequest,
        ] {
            assert_eq!(
                RetentionRule::for_kind(kind).keep,
                Keep::Months(24),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_record_falls_due_the_same_day_two_years_later() {
        let rule = RetentionRule::for_kind(RecordKind::UnsuccessfulApplication);
        let from = NaiveDate::from_ymd_opt(2024, 3, 15).unwrap();
        assert_eq!(rule.falls_due(from), NaiveDate::from_ymd_opt(2026, 3, 15));
        let leap = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(rule.falls_due(leap), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(
            RetentionRule::for_kind(RecordKind::Award).falls_due(from),
            None
        );
    }

    #[test]
    fn an_application_is_kept_under_the_rule_of_its_status() {
        assert_eq!(
            RecordKind::of_application(Status::Draft),
            Some(RecordKind::UnsubmittedDraft)
        );
        for status in [Status::Ineligible, Status::Unsuccessful, Status::Withdrawn] {
            assert_eq!(
                RecordKind::of_application(status),
                Some(RecordKind::UnsuccessfulApplication)
            );
        }
        assert_eq!(
            RecordKind::of_application(Status::Alumni),
            Some(RecordKind::Award)
        );
        assert_eq!(RecordKind::of_application(Status::UnderReview), None);
        assert_eq!(
            RecordKind::parse("immigration_record"),
            Some(RecordKind::ImmigrationRecord)
        );
    }

    #[test]
    fn every_status_of_an_application_is_kept_under_a_rule_or_while_it_is_live() {
        for status in Status::ALL {
            let kept = application_kept(status);
            let live = matches!(
                status,
                Status::Submitted
                    | Status::Eligible
                    | Status::UnderReview
                    | Status::Selected
                    | Status::Reserve
            );
            assert_eq!(
                matches!(kept, Kept::WhileLive { .. }),
                live,
                "{status:?}: {kept:?}"
            );
            // Every live status is one a cycle's conclusion ends.
            assert_eq!(
                crate::application::aggregate::concluded_with_cycle(status),
                live,
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_request_is_kept_while_open_and_two_years_from_its_closing() {
        assert!(matches!(
            request_kept(RequestStatus::Open, false),
            Kept::WhileLive { .. }
        ));
        assert!(matches!(
            request_kept(RequestStatus::ClockStopped, false),
            Kept::WhileLive { .. }
        ));
        for (status, decided) in [
            (RequestStatus::Responded, false),
            (RequestStatus::Open, true),
        ] {
            assert_eq!(
                request_kept(status, decided),
                Kept::Under(RecordKind::InformationRequest)
            );
        }
        assert_eq!(
            RecordKind::parse("information_request"),
            Some(RecordKind::InformationRequest)
        );
    }

    #[test]
    fn periods_read_as_sentences() {
        assert_eq!(
            RetentionRule::for_kind(RecordKind::ImmigrationRecord).period_in_words(),
            "2 years from the day it was recorded, even for an award, then destroyed"
        );
        assert_eq!(
            RetentionRule::for_kind(RecordKind::Award).period_in_words(),
            "Indefinitely"
        );
    }

    /// A period that is not a whole number of years reads in months (no line of today's schedule is, but
    /// the sentence must not turn 18 months into "1 years").
    #[test]
    fn a_period_not_in_whole_years_reads_in_months() {
        let rule = RetentionRule {
            keep: Keep::Months(18),
            ..*RetentionRule::for_kind(RecordKind::ImmigrationRecord)
        };
        assert_eq!(
            rule.period_in_words(),
            "18 months from the day it was recorded, even for an award, then destroyed"
        );
        let rule = RetentionRule {
            keep: Keep::Months(36),
            ..rule
        };
        assert_eq!(
            rule.period_in_words(),
            "3 years from the day it was recorded, even for an award, then destroyed"
        );
    }
}
