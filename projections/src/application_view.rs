//! The application as GET returns it: the form, where it stands, and the case's record so far.

use domain::screening::ScreeningRule;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use lru::LruCache;
use serde::{Deserialize, Serialize};

use domain::Personal;
use domain::application::aggregate::Outcome;
use domain::application::award::{
    OfferState, ProgressReport, QualificationResult, ReportSource, Supervisor,
};
use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{Form, PersonalField};
use domain::application::letters::LetterKind;
use domain::application::{ApplicationEvent, Status};
use domain::recipient::RecipientKind;

use crate::sealed::{Keyring, SealError, StreamKey, open_doc, seal_doc, view_aad};
use crate::{Conn, Db, ProjectionError, RecordedEvent, on_conn, on_pool};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub id: String,
    pub cycle: String,
    pub status: Status,
    pub applicant_id: String,
    pub form: Form,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub eligibility: Option<EligibilityView>,
    pub committee: Vec<CommitteeMemberView>,
    pub decision: Option<DecisionView>,
    pub award: Option<AwardView>,
    pub amendments: Vec<AmendmentView>,
    pub preference_changes: Vec<PreferenceChangeView>,
    #[serde(default)]
    pub disclosures: Vec<DisclosureView>,
    #[serde(default)]
    pub refused_disclosures: Vec<RefusedDisclosureView>,
    #[serde(default)]
    pub rectification_notices: Vec<RectificationNoticeView>,
    /// The version of the privacy notice the applicant accepted by submitting, and when.
    #[serde(default)]
    pub notice_accepted: Option<NoticeAcceptedView>,
    /// Nationality or residence was amended after eligibility was decided: eligibility and the recipients are
    /// to be checked again. `None` once a programme officer has recorded the check.
    #[serde(default)]
    pub recheck: Option<RecheckView>,
    /// The data subject's statements that data is inaccurate, kept when a rectification was refused, oldest
    /// first.
    #[serde(default)]
    pub statements_of_dispute: Vec<StatementOfDisputeView>,
    /// Processing is restricted at the applicant's request, and why.
    #[serde(default)]
    pub restriction: Option<RestrictionView>,
    /// The letters issued to the applicant, oldest first.
    #[serde(default)]
    pub letters: Vec<LetterView>,
    /// The rules of the cycle's screening programme officers waived, oldest first.
    #[serde(default)]
    pub screening_overrides: Vec<ScreeningOverrideView>,
    /// The cycle was concluded while the application was still undecided, a reserve or selected without an
    /// award: it is unsuccessful from that day.
    #[serde(default)]
    pub concluded_with_cycle: Option<ConclusionView>,
    /// The offer, the supervisor, the progress reports and the result of the award.
    #[serde(default)]
    pub administration: AdministrationView,
    /// The sequence number of the last event folded in.
    pub version: i64,
}

/// The privacy notice an applicant accepted by submitting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeAcceptedView {
    pub updated_on: NaiveDate,
    pub digest: String,
    pub accepted_at: DateTime<Utc>,
}

/// What is to be checked again after an amendment, and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecheckView {
    pub fields: Vec<PersonalField>,
    pub since: DateTime<Utc>,
}

/// The data subject's view that their data is inaccurate, kept with the application when a rectification
/// was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementOfDisputeView {
    pub request_id: String,
    /// `None` once the personal data is destroyed.
    pub statement: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A restriction of processing in force.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestrictionView {
    pub request_id: Option<String>,
    pub reason: Option<String>,
    pub restricted_by: String,
    pub since: DateTime<Utc>,
}

/// A letter issued to the applicant, and what became of its email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LetterView {
    pub letter_id: String,
    pub kind: LetterKind,
    /// `None` once the personal data is destroyed.
    pub subject: Option<String>,
    /// The letter as sent, an HTML document; `None` once the personal data is destroyed.
    pub body: Option<String>,
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    /// It was to be emailed (a mail server was configured when it was issued).
    pub by_email: bool,
    pub emailed_at: Option<DateTime<Utc>>,
    /// Why the email failed, in words that name no one, and when.
    pub email_failure: Option<(String, DateTime<Utc>)>,
}

/// Where a letter's email stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterEmail {
    /// No mail server was configured: the letter is shown with the application, not emailed.
    NotSent,
    /// Being sent.
    Pending,
    /// The mail server took it.
    Sent,
    /// The mail server could not be reached or refused it.
    Failed,
}

impl LetterEmail {
    pub fn as_str(self) -> &'static str {
        match self {
            LetterEmail::NotSent => "not_sent",
            LetterEmail::Pending => "pending",
            LetterEmail::Sent => "sent",
            LetterEmail::Failed => "failed",
        }
    }
}

impl LetterView {
    /// Where its email stands: the last outcome recorded wins (a letter sent again after a failure).
    pub fn email(&self) -> LetterEmail {
        match (&self.emailed_at, &self.email_failure) {
            _ if !self.by_email => LetterEmail::NotSent,
            (Some(sent), Some((_, failed))) if failed > sent => LetterEmail::Failed,
            (Some(_), _) => LetterEmail::Sent,
            (None, Some(_)) => LetterEmail::Failed,
            (None, None) => LetterEmail::Pending,
        }
    }
}

/// A disclosure made: to whom, what, why and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisclosureView {
    pub disclosure_id: String,
    pub recipient_id: String,
    pub recipient_name: String,
    pub kind: RecipientKind,
    pub purpose: Option<String>,
    pub fields: Vec<String>,
    pub disclosed_by: String,
    pub at: DateTime<Utc>,
}

/// A disclosure asked for and refused by the sharing rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefusedDisclosureView {
    pub disclosure_id: String,
    pub recipient_id: String,
    pub recipient_name: String,
    pub kind: RecipientKind,
    pub purpose: Option<String>,
    pub fields: Vec<String>,
    pub reason: String,
    pub asked_by: String,
    pub at: DateTime<Utc>,
}

/// A recipient to be told of a correction to data they were sent; open until an officer marks it done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RectificationNoticeView {
    pub recipient_id: String,
    pub recipient_name: String,
    pub fields: Vec<String>,
    pub raised_at: DateTime<Utc>,
    /// The version of the application at which the correction was made.
    pub raised_in_version: i64,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<String>,
}

/// Rules of the cycle's screening a programme officer waived for the application, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScreeningOverrideView {
    pub rules: Vec<ScreeningRule>,
    /// `None` once the personal data is destroyed.
    pub reason: Option<String>,
    pub overridden_by: String,
    pub overridden_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EligibilityView {
    pub eligible: bool,
    pub reason: Option<String>,
    pub determined_by: String,
    pub determined_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitteeMemberView {
    pub member_id: String,
    pub assigned_at: DateTime<Utc>,
    pub conflict: Option<ConflictView>,
    pub scores: Option<Scores>,
    pub scored_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    pub reason: Option<String>,
    pub declared_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionView {
    pub outcome: Outcome,
    /// A reserve's place on the cycle's reserve list, when the decision came from the ranking.
    #[serde(default)]
    pub reserve_position: Option<u32>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// How the cycle's conclusion ended an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConclusionView {
    /// The day the cycle was concluded: the application's two years of retention run from it.
    pub on: NaiveDate,
    /// Where the application stood then (submitted, eligible, under review, selected or reserve).
    pub previous_status: Status,
    pub concluded_by: String,
    pub concluded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AwardView {
    pub terms: Option<AwardTerms>,
    pub joint_sponsor_id: Option<String>,
    pub awarded_at: DateTime<Utc>,
    pub completed_on: Option<NaiveDate>,
    pub completion_outcome: Option<String>,
}

/// The administration of an award: what the programme officer records between the offer and completion.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdministrationView {
    pub offer: Option<OfferView>,
    /// The supervisor as now recorded; `None` once the personal data is destroyed.
    pub supervisor: Option<Supervisor>,
    /// Every recording of the supervisor, oldest first.
    pub supervisor_history: Vec<SupervisorChangeView>,
    /// The dates the officer set; `None`: the default for the award's terms.
    pub schedule: Option<Vec<NaiveDate>>,
    pub reports: Vec<ProgressReportView>,
    pub result: Option<ResultView>,
    /// The due dates whose reminder the sweep emailed, each once.
    #[serde(default)]
    pub reminded: Vec<NaiveDate>,
}

impl AdministrationView {
    /// The dates reports fall due on this award.
    pub fn schedule(&self, terms: Option<&AwardTerms>) -> Vec<NaiveDate> {
        match (&self.schedule, terms) {
            (Some(dates), _) => dates.clone(),
            (None, Some(terms)) => domain::application::award::default_report_schedule(terms),
            (None, None) => vec![],
        }
    }

    /// The due dates no report has answered yet, earliest first.
    pub fn outstanding(&self, terms: Option<&AwardTerms>) -> Vec<NaiveDate> {
        self.schedule(terms)
            .into_iter()
            .filter(|due| {
                !self
                    .reports
                    .iter()
                    .any(|report| report.due_on == Some(*due))
            })
            .collect()
    }
}

/// An offer made in the system, and its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub reply_by: NaiveDate,
    pub state: OfferState,
    pub made_by: String,
    pub made_at: DateTime<Utc>,
    /// The day it was accepted, declined or lapsed.
    pub answered_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorChangeView {
    /// `None` once the personal data is destroyed.
    pub supervisor: Option<Supervisor>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReportView {
    pub report_id: String,
    pub source: ReportSource,
    /// The due date the report answers.
    pub due_on: Option<NaiveDate>,
    /// What it says; `None` once the personal data is destroyed.
    pub report: Option<ProgressReport>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultView {
    /// `None` once the personal data is destroyed.
    pub result: Option<QualificationResult>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmendmentView {
    pub fields: Vec<PersonalField>,
    pub reason: Option<String>,
    pub requested_by: Option<String>,
    pub recorded_by: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreferenceChangeView {
    pub reason: Option<String>,
    pub changed_by: String,
    pub at: DateTime<Utc>,
}

impl ApplicationView {
    /// The view of a new application.
    pub(crate) fn started(event: &RecordedEvent, cycle: &str, applicant_id: &str) -> Self {
        Self {
            id: event.aggregate_id.clone(),
            cycle: cycle.to_string(),
            status: Status::Draft,
            applicant_id: applicant_id.to_string(),
            form: Form::default(),
            created_at: event.metadata.at,
            updated_at: event.metadata.at,
            submitted_at: None,
            withdrawn_at: None,
            eligibility: None,
            committee: Vec::new(),
            decision: None,
            award: None,
            amendments: Vec::new(),
            preference_changes: Vec::new(),
            disclosures: Vec::new(),
            refused_disclosures: Vec::new(),
            rectification_notices: Vec::new(),
            restriction: None,
            letters: Vec::new(),
            screening_overrides: Vec::new(),
            concluded_with_cycle: None,
            administration: AdministrationView::default(),
            recheck: None,
            notice_accepted: None,
            statements_of_dispute: Vec::new(),
            version: event.sequence,
        }
    }

    /// Folds one more event of this application into the view.
    pub fn apply(&mut self, event: &RecordedEvent, payload: &ApplicationEvent) {
        let at = event.metadata.at;
        let by = event.metadata.actor_id.clone();
        self.updated_at = at;
        self.version = event.sequence;
        match payload {
            ApplicationEvent::ApplicationStarted { .. } => {}
            // The view itself is deleted when its personal data is destroyed.
            ApplicationEvent::PersonalDataDestroyed { .. } => {}
            ApplicationEvent::ScreeningOverridden { .. }
            | ApplicationEvent::DraftSaved { .. }
            | ApplicationEvent::ApplicationSubmitted { .. }
            | ApplicationEvent::ApplicationWithdrawn { .. }
            | ApplicationEvent::PrivacyNoticeAccepted { .. }
            | ApplicationEvent::PreferencesChanged { .. }
            | ApplicationEvent::PersonalDataAmended { .. } => self.apply_to_form(payload, by, at),
            ApplicationEvent::EligibilityDetermined { .. }
            | ApplicationEvent::CommitteeMemberAssigned { .. }
            | ApplicationEvent::ConflictDeclared { .. }
            | ApplicationEvent::ApplicationScored { .. }
            | ApplicationEvent::DecisionRecorded { .. }
            | ApplicationEvent::ConcludedWithCycle { .. } => self.apply_assessment(payload, by, at),
            ApplicationEvent::OfferMade { .. }
            | ApplicationEvent::OfferAccepted { .. }
            | ApplicationEvent::OfferDeclined { .. }
            | ApplicationEvent::OfferLapsed { .. }
            | ApplicationEvent::SupervisorRecorded { .. }
            | ApplicationEvent::ReportScheduleSet { .. }
            | ApplicationEvent::ProgressReportRecorded { .. }
            | ApplicationEvent::ReportReminderSent { .. }
            | ApplicationEvent::ResultReleased { .. }
            | ApplicationEvent::AwardMade { .. }
            | ApplicationEvent::AwardCompleted { .. }
            | ApplicationEvent::AwardTermsCorrected { .. }
            | ApplicationEvent::CompletionOutcomeCorrected { .. } => {
                self.apply_award(payload, by, at)
            }
            ApplicationEvent::DataDisclosed { .. }
            | ApplicationEvent::DisclosureRefused { .. }
            | ApplicationEvent::RectificationNoticeDue { .. }
            | ApplicationEvent::RectificationNoticeSent { .. } => {
                self.apply_sharing(payload, by, at, event.sequence)
            }
            ApplicationEvent::EligibilityRecheckDue { .. }
            | ApplicationEvent::EligibilityRechecked { .. }
            | ApplicationEvent::StatementOfDisputeRecorded { .. }
            | ApplicationEvent::ProcessingRestricted { .. }
            | ApplicationEvent::RestrictionLifted { .. } => self.apply_rights(payload, by, at),
            ApplicationEvent::LetterIssued { .. }
            | ApplicationEvent::LetterEmailed { .. }
            | ApplicationEvent::LetterEmailFailed { .. } => self.apply_letters(payload, by, at),
        }
    }

    /// Folds in the form and what the applicant did with it: drafts, submission, withdrawal, the notice
    /// accepted, preferences, amendments and screening waivers.
    fn apply_to_form(&mut self, payload: &ApplicationEvent, by: String, at: DateTime<Utc>) {
        match payload {
            ApplicationEvent::ScreeningOverridden { rules, reason } => {
                self.screening_overrides.push(ScreeningOverrideView {
                    rules: rules.clone(),
                    reason: reason.known().cloned(),
                    overridden_by: by,
                    overridden_at: at,
                });
            }
            // A draft whose personal data is destroyed leaves the form as it was.
            ApplicationEvent::DraftSaved {
                changes: Personal::Known(changes),
                ..
            } => self.form.apply(changes),
            ApplicationEvent::ApplicationSubmitted { submitted_at } => {
                self.status = Status::Submitted;
                self.submitted_at = Some(*submitted_at);
            }
            ApplicationEvent::ApplicationWithdrawn { .. } => {
                self.status = Status::Withdrawn;
                self.withdrawn_at = Some(at);
            }
            ApplicationEvent::PrivacyNoticeAccepted { notice } => {
                self.notice_accepted = Some(NoticeAcceptedView {
                    updated_on: notice.updated_on,
                    digest: notice.digest.clone(),
                    accepted_at: at,
                });
            }
            ApplicationEvent::PreferencesChanged {
                preferences,
                reason,
            } => {
                if let Personal::Known(preferences) = preferences {
                    self.form.preferences = *preferences;
                }
                self.preference_changes.push(PreferenceChangeView {
                    reason: reason.known().cloned().flatten(),
                    changed_by: by,
                    at,
                });
            }
            ApplicationEvent::PersonalDataAmended {
                fields,
                changes,
                reason,
                requested_by,
            } => {
                for change in changes.known().into_iter().flatten() {
                    self.form
                        .personal
                        .set(change.field, Some(change.new.clone()));
                }
                self.amendments.push(AmendmentView {
                    fields: fields.clone(),
                    reason: reason.known().cloned(),
                    requested_by: requested_by.known().cloned(),
                    recorded_by: by,
                    at,
                });
            }
            // The other events are folded by their own functions.
            _ => {}
        }
    }

    /// Folds in eligibility, the committee (assignments, conflicts, marks) and the decision, or the
    /// conclusion of the cycle.
    fn apply_assessment(&mut self, payload: &ApplicationEvent, by: String, at: DateTime<Utc>) {
        match payload {
            ApplicationEvent::EligibilityDetermined { eligible, reason } => {
                self.status = if *eligible {
                    Status::Eligible
                } else {
                    Status::Ineligible
                };
                self.eligibility = Some(EligibilityView {
                    eligible: *eligible,
                    reason: reason.known().cloned(),
                    determined_by: by,
                    determined_at: at,
                });
            }
            ApplicationEvent::CommitteeMemberAssigned { member_id } => {
                self.status = Status::UnderReview;
                self.committee.push(CommitteeMemberView {
                    member_id: member_id.clone(),
                    assigned_at: at,
                    conflict: None,
                    scores: None,
                    scored_at: None,
                });
            }
            ApplicationEvent::ConflictDeclared { member_id, reason } => {
                if let Some(member) = self.member(member_id) {
                    member.conflict = Some(ConflictView {
                        reason: reason.known().cloned(),
                        declared_at: at,
                    });
                    member.scores = None;
                    member.scored_at = None;
                }
            }
            ApplicationEvent::ApplicationScored { member_id, scores } => {
                if let Some(member) = self.member(member_id) {
                    member.scores = scores.known().cloned();
                    member.scored_at = Some(at);
                }
            }
            ApplicationEvent::DecisionRecorded {
                outcome,
                reserve_position,
            } => {
                self.status = match outcome {
                    Outcome::Selected => Status::Selected,
                    Outcome::Reserve => Status::Reserve,
                    Outcome::Unsuccessful => Status::Unsuccessful,
                };
                self.decision = Some(DecisionView {
                    outcome: *outcome,
                    reserve_position: *reserve_position,
                    decided_by: by,
                    decided_at: at,
                });
            }
            ApplicationEvent::ConcludedWithCycle {
                on,
                previous_status,
            } => {
                self.status = Status::Unsuccessful;
                self.concluded_with_cycle = Some(ConclusionView {
                    on: *on,
                    previous_status: *previous_status,
                    concluded_by: by,
                    concluded_at: at,
                });
            }
            // The other events are folded by their own functions.
            _ => {}
        }
    }

    /// Folds in the offer and its answer, the supervisor, report schedule, reports and result, and the
    /// award with its corrections.
    fn apply_award(&mut self, payload: &ApplicationEvent, by: String, at: DateTime<Utc>) {
        match payload {
            ApplicationEvent::OfferMade { reply_by } => {
                self.administration.offer = Some(OfferView {
                    reply_by: *reply_by,
                    state: OfferState::Open,
                    made_by: by,
                    made_at: at,
                    answered_on: None,
                });
            }
            ApplicationEvent::OfferAccepted { on }
            | ApplicationEvent::OfferDeclined { on }
            | ApplicationEvent::OfferLapsed { on } => {
                let state = match payload {
                    ApplicationEvent::OfferAccepted { .. } => OfferState::Accepted,
                    ApplicationEvent::OfferDeclined { .. } => OfferState::Declined,
                    _ => OfferState::Lapsed,
                };
                if state != OfferState::Accepted {
                    self.status = Status::Unsuccessful;
                }
                if let Some(offer) = self.administration.offer.as_mut() {
                    offer.state = state;
                    offer.answered_on = Some(*on);
                }
            }
            ApplicationEvent::SupervisorRecorded { supervisor } => {
                self.administration.supervisor = supervisor.known().cloned();
                self.administration
                    .supervisor_history
                    .push(SupervisorChangeView {
                        supervisor: supervisor.known().cloned(),
                        recorded_by: by,
                        recorded_at: at,
                    });
            }
            ApplicationEvent::ReportScheduleSet { due } => {
                self.administration.schedule = Some(due.clone());
            }
            ApplicationEvent::ProgressReportRecorded {
                report_id,
                source,
                due_on,
                report,
            } => self.administration.reports.push(ProgressReportView {
                report_id: report_id.clone(),
                source: *source,
                due_on: *due_on,
                report: report.known().cloned(),
                recorded_by: by,
                recorded_at: at,
            }),
            ApplicationEvent::ReportReminderSent { due_on, .. } => {
                self.administration.reminded.push(*due_on);
            }
            ApplicationEvent::ResultReleased { result } => {
                self.administration.result = Some(ResultView {
                    result: result.known().cloned(),
                    recorded_by: by,
                    recorded_at: at,
                });
            }
            ApplicationEvent::AwardMade {
                terms,
                joint_sponsor_id,
            } => {
                self.status = Status::Awarded;
                self.award = Some(AwardView {
                    terms: terms.known().cloned(),
                    joint_sponsor_id: joint_sponsor_id.clone(),
                    awarded_at: at,
                    completed_on: None,
                    completion_outcome: None,
                });
            }
            ApplicationEvent::AwardCompleted {
                completed_on,
                outcome,
            } => {
                self.status = Status::Alumni;
                if let Some(award) = self.award.as_mut() {
                    award.completed_on = Some(*completed_on);
                    award.completion_outcome = outcome.known().cloned();
                }
            }
            ApplicationEvent::AwardTermsCorrected { terms, .. } => {
                if let Some(award) = self.award.as_mut() {
                    award.terms = terms.known().cloned();
                }
            }
            ApplicationEvent::CompletionOutcomeCorrected { outcome, .. } => {
                if let Some(award) = self.award.as_mut() {
                    award.completion_outcome = outcome.known().cloned();
                }
            }
            // The other events are folded by their own functions.
            _ => {}
        }
    }

    /// Folds in disclosures made and refused, and the rectification notices owed to recipients and
    /// sent.
    fn apply_sharing(
        &mut self,
        payload: &ApplicationEvent,
        by: String,
        at: DateTime<Utc>,
        sequence: i64,
    ) {
        match payload {
            ApplicationEvent::DataDisclosed {
                disclosure_id,
                recipient_id,
                recipient_name,
                recipient_kind,
                fields,
                purpose,
                ..
            } => self.disclosures.push(DisclosureView {
                disclosure_id: disclosure_id.clone(),
                recipient_id: recipient_id.clone(),
                recipient_name: recipient_name.clone(),
                kind: *recipient_kind,
                purpose: purpose.known().cloned(),
                fields: fields.clone(),
                disclosed_by: by,
                at,
            }),
            ApplicationEvent::DisclosureRefused {
                disclosure_id,
                recipient_id,
                recipient_name,
                recipient_kind,
                fields,
                purpose,
                reason,
            } => self.refused_disclosures.push(RefusedDisclosureView {
                disclosure_id: disclosure_id.clone(),
                recipient_id: recipient_id.clone(),
                recipient_name: recipient_name.clone(),
                kind: *recipient_kind,
                purpose: purpose.known().cloned(),
                fields: fields.clone(),
                reason: reason.clone(),
                asked_by: by,
                at,
            }),
            ApplicationEvent::RectificationNoticeDue {
                recipient_id,
                recipient_name,
                fields,
            } => self.rectification_notices.push(RectificationNoticeView {
                recipient_id: recipient_id.clone(),
                recipient_name: recipient_name.clone(),
                fields: fields.clone(),
                raised_at: at,
                raised_in_version: sequence,
                sent_at: None,
                sent_by: None,
            }),
            ApplicationEvent::RectificationNoticeSent { recipient_id } => {
                for notice in self
                    .rectification_notices
                    .iter_mut()
                    .filter(|n| &n.recipient_id == recipient_id && n.sent_at.is_none())
                {
                    notice.sent_at = Some(at);
                    notice.sent_by = Some(by.clone());
                }
            }

            // The other events are folded by their own functions.
            _ => {}
        }
    }

    /// Folds in the data subject's rights: a recheck of eligibility after an amendment, statements of
    /// dispute, restriction of processing.
    fn apply_rights(&mut self, payload: &ApplicationEvent, by: String, at: DateTime<Utc>) {
        match payload {
            // A second amendment before the check adds its fields; the flag stands since the first.
            ApplicationEvent::EligibilityRecheckDue { fields } => {
                let recheck = self.recheck.get_or_insert(RecheckView {
                    fields: Vec::new(),
                    since: at,
                });
                for field in fields {
                    if !recheck.fields.contains(field) {
                        recheck.fields.push(*field);
                    }
                }
            }
            ApplicationEvent::EligibilityRechecked { .. } => self.recheck = None,
            ApplicationEvent::StatementOfDisputeRecorded {
                request_id,
                statement,
            } => self.statements_of_dispute.push(StatementOfDisputeView {
                request_id: request_id.clone(),
                statement: statement.known().cloned(),
                recorded_by: by.clone(),
                recorded_at: at,
            }),
            ApplicationEvent::ProcessingRestricted { request_id, reason } => {
                self.restriction = Some(RestrictionView {
                    request_id: request_id.clone(),
                    reason: reason.known().cloned(),
                    restricted_by: by.clone(),
                    since: at,
                });
            }
            ApplicationEvent::RestrictionLifted { .. } => self.restriction = None,
            // The other events are folded by their own functions.
            _ => {}
        }
    }

    /// Folds in the letters issued and what became of their email.
    fn apply_letters(&mut self, payload: &ApplicationEvent, by: String, at: DateTime<Utc>) {
        match payload {
            ApplicationEvent::LetterIssued {
                letter_id,
                kind,
                subject,
                body,
                by_email,
            } => self.letters.push(LetterView {
                letter_id: letter_id.clone(),
                kind: *kind,
                subject: subject.known().cloned(),
                body: body.known().cloned(),
                issued_by: by,
                issued_at: at,
                by_email: *by_email,
                emailed_at: None,
                email_failure: None,
            }),
            ApplicationEvent::LetterEmailed { letter_id } => {
                if let Some(letter) = self.letter(letter_id) {
                    letter.emailed_at = Some(at);
                }
            }
            ApplicationEvent::LetterEmailFailed { letter_id, reason } => {
                if let Some(letter) = self.letter(letter_id) {
                    letter.email_failure = Some((reason.clone(), at));
                }
            }
            // The other events are folded by their own functions.
            _ => {}
        }
    }

    fn letter(&mut self, letter_id: &str) -> Option<&mut LetterView> {
        self.letters
            .iter_mut()
            .find(|letter| letter.letter_id == letter_id)
    }

    fn member(&mut self, member_id: &str) -> Option<&mut CommitteeMemberView> {
        self.committee
            .iter_mut()
            .find(|member| member.member_id == member_id)
    }

    /// The mean of the committee's totals (0–40), over the members who scored and have no conflict.
    pub fn mean_score(&self) -> Option<f64> {
        let totals: Vec<f64> = self
            .committee
            .iter()
            .filter(|member| member.conflict.is_none())
            .filter_map(|member| member.scores.as_ref().map(|s| f64::from(s.total())))
            .collect();
        if totals.is_empty() {
            None
        } else {
            Some(totals.iter().sum::<f64>() / totals.len() as f64)
        }
    }
}

/// Application views as this process last committed them, so the next event of a stream need not read its
/// view back.
///
/// A view is remembered only after the transaction that wrote it committed (the store calls `remember`), and
/// used only for the event right after it (its version is the event's sequence less one). A view's version
/// is the sequence of the last event folded into it, written in that event's transaction, so the view in the
/// table then has the same version and, folded by the same code from the same events, the same content; the
/// update is made on that condition (`version = …`) all the same, and falls back to reading the row when it
/// does not hold. Views hold personal data: few are kept, briefly, and a destroyed stream's is forgotten.
#[derive(Clone)]
pub struct CommittedViews(Arc<Mutex<LruCache<String, (ApplicationView, Instant)>>>);

/// How many views are kept, and for how long.
const KEPT_VIEWS: usize = 2048;
const KEEP_VIEWS_FOR: Duration = Duration::from_secs(120);

impl Default for CommittedViews {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(LruCache::new(
            NonZeroUsize::new(KEPT_VIEWS).expect("capacity is not zero"),
        ))))
    }
}

impl CommittedViews {
    /// Views just committed.
    pub fn remember(&self, views: &[ApplicationView]) {
        let mut kept = self.lock();
        for view in views {
            kept.put(view.id.clone(), (view.clone(), Instant::now()));
        }
    }

    /// Forgets one view (its stream was destroyed).
    pub fn forget(&self, id: &str) {
        self.lock().pop(id);
    }

    /// Forgets every view (the views were rebuilt).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The committed view the event with `sequence` follows, if it is kept.
    pub(crate) fn before(&self, id: &str, sequence: i64) -> Option<ApplicationView> {
        let mut kept = self.lock();
        let (view, at) = kept.get(id)?;
        if at.elapsed() > KEEP_VIEWS_FOR {
            kept.pop(id);
            return None;
        }
        (view.version + 1 == sequence).then(|| view.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, (ApplicationView, Instant)>> {
        // Every use is one call on the cache, so a panic elsewhere cannot leave it half-changed.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The table the views are kept in, and what binds each sealed document to its row.
pub const TABLE: &str = "application_views";

/// The view's document as the table keeps it: sealed under the application's own data key
/// (`crate::sealed`), so that erasing the key destroys it wherever its bytes lie.
pub fn sealed_doc(view: &ApplicationView, key: &dyn StreamKey) -> Vec<u8> {
    seal_doc(key, &view_aad(TABLE, &view.id, view.version), view)
}

fn opened(
    id: &str,
    version: i64,
    doc: &[u8],
    key: &dyn StreamKey,
) -> Result<ApplicationView, SealError> {
    open_doc(key, &view_aad(TABLE, id, version), doc)
}

/// Brings the application's view up to date with one event, and gives the view as it was before the event
/// (`None` for a new application) and as it is now; `None` when the application has no view (destroyed).
/// The view is sealed under `key`, the application's data key.
pub(crate) async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    payload: &ApplicationEvent,
    committed: &CommittedViews,
    key: &dyn StreamKey,
) -> Result<Option<(Option<ApplicationView>, ApplicationView)>, ProjectionError> {
    if let Some(before) = committed.before(&event.aggregate_id, event.sequence) {
        let mut view = before.clone();
        view.apply(event, payload);
        if update_from(conn, &view, before.version, key).await? {
            return Ok(Some((Some(before), view)));
        }
        committed.forget(&event.aggregate_id);
    }
    let (before, mut view) = match payload {
        ApplicationEvent::ApplicationStarted {
            cycle,
            applicant_id,
        } => (
            None,
            ApplicationView::started(event, cycle.as_str(), applicant_id),
        ),
        _ => match load_in(conn, &event.aggregate_id, key).await? {
            Some(view) => (Some(view.clone()), view),
            None => return Ok(None),
        },
    };
    view.apply(event, payload);
    save(conn, &view, before.is_none(), key).await?;
    Ok(Some((before, view)))
}

/// Updates the view if the table still holds the version it was folded from; whether it did.
async fn update_from(
    conn: &mut Conn<'_>,
    view: &ApplicationView,
    version: i64,
    key: &dyn StreamKey,
) -> Result<bool, ProjectionError> {
    const UPDATE: &str =
        "UPDATE application_views SET version = $1, doc = $2 WHERE id = $3 AND version = $4";
    let doc = sealed_doc(view, key);
    let updated = on_conn!(conn, c => sqlx::query(UPDATE)
        .bind(view.version)
        .bind(&doc)
        .bind(&view.id)
        .bind(version)
        .execute(&mut *c)
        .await?
        .rows_affected());
    Ok(updated == 1)
}

pub(crate) async fn load_in(
    conn: &mut Conn<'_>,
    id: &str,
    key: &dyn StreamKey,
) -> Result<Option<ApplicationView>, ProjectionError> {
    const SQL: &str = "SELECT version, doc FROM application_views WHERE id = $1";
    let row: Option<(i64, Vec<u8>)> =
        on_conn!(conn, c => sqlx::query_as(SQL).bind(id).fetch_optional(&mut *c).await?);
    row.map(|(version, doc)| opened(id, version, &doc, key))
        .transpose()
        .map_err(ProjectionError::from)
}

/// The views of many applications as the connection sees them, each opened with its stream's key, read a
/// few statements for them all; an application with no view (destroyed) is left out.
pub(crate) async fn load_many_in(
    conn: &mut Conn<'_>,
    ids: &[(&str, &dyn StreamKey)],
) -> Result<Vec<ApplicationView>, ProjectionError> {
    let keys: std::collections::HashMap<&str, &dyn StreamKey> = ids.iter().copied().collect();
    let mut views = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(crate::db::IDS_A_STATEMENT) {
        let rows: Vec<(String, i64, Vec<u8>)> = on_conn!(conn, c => {
            let mut query =
                sqlx::QueryBuilder::new("SELECT id, version, doc FROM application_views WHERE id IN (");
            let mut listed = query.separated(", ");
            for (id, _) in chunk {
                listed.push_bind(*id);
            }
            query.push(")");
            query.build_query_as().fetch_all(&mut *c).await?
        });
        for (id, version, doc) in rows {
            let Some(key) = keys.get(id.as_str()) else {
                continue;
            };
            views.push(opened(&id, version, &doc, *key)?);
        }
    }
    Ok(views)
}

/// Updates many views, each sealed under its key, where the table still holds the version given beside it
/// (the one each was folded from); whether each was updated, in the order given.
pub(crate) async fn update_many(
    conn: &mut Conn<'_>,
    views: &[(&ApplicationView, i64, &dyn StreamKey)],
) -> Result<Vec<bool>, ProjectionError> {
    if views.is_empty() {
        return Ok(Vec::new());
    }
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "UPDATE application_views v SET version = g.after, doc = g.doc \
                 FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bigint[]) AS g (id, after, doc, before) \
                 WHERE v.id = g.id AND v.version = g.before RETURNING v.id";
            let docs: Vec<Vec<u8>> = views
                .iter()
                .map(|(view, _, key)| sealed_doc(view, *key))
                .collect();
            let updated: Vec<String> = sqlx::query_scalar(SQL)
                .bind(
                    views
                        .iter()
                        .map(|(v, ..)| v.id.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(views.iter().map(|(v, ..)| v.version).collect::<Vec<_>>())
                .bind(docs)
                .bind(
                    views
                        .iter()
                        .map(|(_, before, _)| *before)
                        .collect::<Vec<_>>(),
                )
                .fetch_all(&mut **c)
                .await?;
            let updated: std::collections::HashSet<String> = updated.into_iter().collect();
            Ok(views
                .iter()
                .map(|(view, ..)| updated.contains(&view.id))
                .collect())
        }
        Conn::Sqlite(_) => {
            // A statement costs no round trip on SQLite.
            let mut done = Vec::with_capacity(views.len());
            for (view, before, key) in views {
                done.push(update_from(conn, view, *before, *key).await?);
            }
            Ok(done)
        }
    }
}

async fn save(
    conn: &mut Conn<'_>,
    view: &ApplicationView,
    new: bool,
    key: &dyn StreamKey,
) -> Result<(), ProjectionError> {
    const INSERT: &str = "INSERT INTO application_views (id, applicant_id, cycle, version, doc) \
                          VALUES ($1, $2, $3, $4, $5)";
    const UPDATE: &str = "UPDATE application_views SET version = $1, doc = $2 WHERE id = $3";
    let doc = sealed_doc(view, key);
    let result = if new {
        on_conn!(conn, c => sqlx::query(INSERT)
            .bind(&view.id)
            .bind(&view.applicant_id)
            .bind(&view.cycle)
            .bind(view.version)
            .bind(&doc)
            .execute(&mut *c)
            .await
            .map(|done| done.rows_affected()))
    } else {
        on_conn!(conn, c => sqlx::query(UPDATE)
            .bind(view.version)
            .bind(&doc)
            .bind(&view.id)
            .execute(&mut *c)
            .await
            .map(|done| done.rows_affected()))
    };
    match result {
        Err(sqlx::Error::Database(error)) if new && error.is_unique_violation() => {
            Err(ProjectionError::DuplicateApplication)
        }
        other => other.map(|_| ()).map_err(ProjectionError::from),
    }
}

/// How many rows a rebuild writes in one statement on SQLite.
pub(crate) const ROWS_A_STATEMENT: usize = 200;

/// Inserts the views of many applications (a rebuild), each sealed under its own key: on PostgreSQL in one
/// statement, the columns sent as arrays; on SQLite many rows to a statement.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[(&ApplicationView, &dyn StreamKey)],
) -> Result<(), ProjectionError> {
    if views.is_empty() {
        return Ok(());
    }
    let docs: Vec<Vec<u8>> = views.iter().map(|(v, key)| sealed_doc(v, *key)).collect();
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO application_views (id, applicant_id, cycle, version, doc) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[])";
            let ids: Vec<&str> = views.iter().map(|(v, _)| v.id.as_str()).collect();
            let applicants: Vec<&str> =
                views.iter().map(|(v, _)| v.applicant_id.as_str()).collect();
            let cycles: Vec<&str> = views.iter().map(|(v, _)| v.cycle.as_str()).collect();
            let versions: Vec<i64> = views.iter().map(|(v, _)| v.version).collect();
            sqlx::query(SQL)
                .bind(ids)
                .bind(applicants)
                .bind(cycles)
                .bind(versions)
                .bind(docs)
                .execute(&mut **c)
                .await?;
        }
        Conn::Sqlite(c) => {
            let rows: Vec<_> = views.iter().zip(&docs).collect();
            for chunk in rows.chunks(ROWS_A_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO application_views (id, applicant_id, cycle, version, doc) ",
                );
                insert.push_values(chunk, |mut row, ((view, _), doc)| {
                    row.push_bind(&view.id)
                        .push_bind(&view.applicant_id)
                        .push_bind(&view.cycle)
                        .push_bind(view.version)
                        .push_bind(doc.as_slice());
                });
                insert.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

/// Deletes the view of one application.
pub(crate) async fn forget(conn: &mut Conn<'_>, ids: &[&str]) -> Result<(), ProjectionError> {
    crate::db::delete_many(conn, "application_views", "id", None, ids).await?;
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => sqlx::query("DELETE FROM application_views").execute(&mut *c).await?.rows_affected());
    Ok(())
}

/// The view that one application's events leave, folded in memory (nothing is read or written): what
/// time travel shows of the application as it stood after the last of them. `None` before it was started
/// or once its personal data was destroyed.
pub fn replay(events: &[RecordedEvent]) -> Result<Option<ApplicationView>, ProjectionError> {
    let mut view: Option<ApplicationView> = None;
    for event in events {
        let payload = ApplicationEvent::deserialize(&event.payload)?;
        match &payload {
            ApplicationEvent::ApplicationStarted {
                cycle,
                applicant_id,
            } => {
                view = Some(ApplicationView::started(
                    event,
                    cycle.as_str(),
                    applicant_id,
                ));
            }
            ApplicationEvent::PersonalDataDestroyed { .. } => return Ok(None),
            _ => {}
        }
        if let Some(view) = view.as_mut() {
            view.apply(event, &payload);
        }
    }
    Ok(view)
}

/// A row of the views as read: its id, version and sealed document, and its stream's wrapped key.
type SealedRow = (String, i64, Vec<u8>, Option<Vec<u8>>);

/// A row of the views with its stream's wrapped key, opened: the view, or the reason it cannot be read (a
/// decode error to the caller, as any row that does not decode).
fn open_row(
    keys: &dyn Keyring,
    (id, version, doc, wrapped): SealedRow,
) -> Result<ApplicationView, sqlx::Error> {
    let key = wrapped
        .and_then(|wrapped| keys.unwrap_key(APPLICATION, &id, &wrapped))
        .ok_or(SealError::NoKey)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    opened(&id, version, &doc, key.as_ref()).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

const APPLICATION: &str = "Application";

/// One application's view, opened with its key (`keys` unwraps it).
pub async fn find(
    db: &Db,
    keys: &dyn Keyring,
    id: &str,
) -> Result<Option<ApplicationView>, sqlx::Error> {
    if !crate::db::is_plausible_id(id) {
        return Ok(None);
    }
    // The key is named by the id itself, so PostgreSQL reads one partition of the keys.
    const SQL: &str = "SELECT v.id, v.version, v.doc, k.wrapped_key FROM application_views v \
         LEFT JOIN stream_keys k ON k.aggregate_type = 'Application' AND k.aggregate_id = $1 \
         WHERE v.id = $1";
    let row: Option<SealedRow> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await?);
    row.map(|row| open_row(keys, row)).transpose()
}

/// A row of the views as read: its id, version and sealed document.
type ViewRow = (String, i64, Vec<u8>);

/// The views of many applications, each opened with its key (`keys` unwraps it), a few statements for them
/// all; those with no view (destroyed, or never started) are left out.
pub async fn find_many(
    db: &Db,
    keys: &dyn Keyring,
    ids: &[&str],
) -> Result<Vec<ApplicationView>, sqlx::Error> {
    let ids: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| crate::db::is_plausible_id(id))
        .collect();
    let mut views = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(crate::db::IDS_A_STATEMENT) {
        // The views, then the keys: a join would make PostgreSQL look in every partition of the keys.
        let rows: Vec<ViewRow> = on_pool!(db, p => {
            let mut query =
                sqlx::QueryBuilder::new("SELECT id, version, doc FROM application_views WHERE id IN (");
            let mut listed = query.separated(", ");
            for id in chunk {
                listed.push_bind(*id);
            }
            query.push(")");
            query.build_query_as().fetch_all(p).await?
        });
        let mut wrapped = crate::db::wrapped_keys(db, APPLICATION, chunk).await?;
        for (id, version, doc) in rows {
            let key = wrapped.remove(&id);
            views.push(open_row(keys, (id, version, doc, key))?);
        }
    }
    Ok(views)
}

/// The id of the applicant's application in a cycle, if they have one.
pub async fn find_for_applicant(
    db: &Db,
    applicant_id: &str,
    cycle: &str,
) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT id FROM application_views WHERE applicant_id = $1 AND cycle = $2";
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(applicant_id).bind(cycle).fetch_optional(p).await)
}

/// The ids of the applicant's applications, newest cycle first: nothing sealed is read.
pub async fn ids_for_applicant(db: &Db, applicant_id: &str) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str =
        "SELECT id FROM application_views WHERE applicant_id = $1 ORDER BY cycle DESC";
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(applicant_id).fetch_all(p).await)
}

/// The applicant's applications, newest cycle first, each opened with its key.
pub async fn list_for_applicant(
    db: &Db,
    keys: &dyn Keyring,
    applicant_id: &str,
) -> Result<Vec<ApplicationView>, sqlx::Error> {
    const SQL: &str = "SELECT v.id, v.version, v.doc, k.wrapped_key FROM application_views v \
         LEFT JOIN stream_keys k ON k.aggregate_type = 'Application' AND k.aggregate_id = v.id \
         WHERE v.applicant_id = $1 ORDER BY v.cycle DESC";
    let rows: Vec<SealedRow> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(applicant_id).fetch_all(p).await?);
    rows.into_iter().map(|row| open_row(keys, row)).collect()
}

/// Given an application's events, the view `apply` folds them into: each group of events (the form, the
/// assessment, the award, sharing, rights and letters) and what a reader sees of it.
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use cqrs_es::DomainEvent;
    use domain::application::events::NoticeVersion;
    use domain::application::form::{DraftChanges, Preferences};
    use domain::cycle::CycleName;
    use domain::retention::RecordKind;
    use domain::{Actor, Role};

    use crate::EventMetadata;

    const ID: &str = "application-view-1";
    const APPLICANT: &str = "applicant-1";
    const OFFICER: &str = "officer-1";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("a valid date")
    }

    /// Ten in the morning of a day of March 2026.
    fn morning(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 10, 0, 0)
            .single()
            .expect("a valid time")
    }

    /// The events, each recorded on the next day of March by the actor named beside it.
    fn recorded(events: Vec<(&str, ApplicationEvent)>) -> Vec<RecordedEvent> {
        events
            .into_iter()
            .zip(1..)
            .map(|((actor_id, event), sequence)| {
                let role = if actor_id == APPLICANT {
                    Role::Applicant
                } else {
                    Role::ProgrammeOfficer
                };
                RecordedEvent {
                    aggregate_type: "Application".to_string(),
                    aggregate_id: ID.to_string(),
                    sequence,
                    event_type: event.event_type(),
                    payload: serde_json::to_value(&event).expect("an event serialises"),
                    metadata: EventMetadata::new(
                        &Actor::new(actor_id, role),
                        morning(sequence as u32),
                    ),
                }
            })
            .collect()
    }

    fn view_of(events: Vec<(&str, ApplicationEvent)>) -> ApplicationView {
        replay(&recorded(events))
            .expect("the events fold")
            .expect("a started application has a view")
    }

    fn started() -> (&'static str, ApplicationEvent) {
        (
            APPLICANT,
            ApplicationEvent::ApplicationStarted {
                cycle: CycleName::parse("2026-27").expect("a valid cycle"),
                applicant_id: APPLICANT.to_string(),
            },
        )
    }

    fn by_officer(event: ApplicationEvent) -> (&'static str, ApplicationEvent) {
        (OFFICER, event)
    }

    fn submitted() -> Vec<(&'static str, ApplicationEvent)> {
        let mut changes = DraftChanges::default();
        changes.personal.insert(
            PersonalField::FullName,
            Some("Test Applicant One".to_string()),
        );
        vec![
            started(),
            (
                APPLICANT,
                ApplicationEvent::DraftSaved {
                    sections: changes.sections(),
                    changes: changes.into(),
                },
            ),
            (
                APPLICANT,
                ApplicationEvent::ApplicationSubmitted {
                    submitted_at: morning(3),
                },
            ),
        ]
    }

    fn under_review() -> Vec<(&'static str, ApplicationEvent)> {
        let mut events = submitted();
        events.extend([
            by_officer(ApplicationEvent::EligibilityDetermined {
                eligible: true,
                reason: Personal::Known("meets the test rules".to_string()),
            }),
            by_officer(ApplicationEvent::CommitteeMemberAssigned {
                member_id: "member-1".to_string(),
            }),
            by_officer(ApplicationEvent::CommitteeMemberAssigned {
                member_id: "member-2".to_string(),
            }),
        ]);
        events
    }

    fn marks(each: u8) -> Scores {
        Scores {
            leadership: each,
            networking: each,
            study_plan: each,
            career_plan: each,
            comment: "a test comment".to_string(),
        }
    }

    fn terms() -> AwardTerms {
        AwardTerms {
            institution: "Example University".to_string(),
            course: "MSc Test Policy".to_string(),
            level: "masters".to_string(),
            start_date: NaiveDate::from_ymd_opt(2026, 9, 28).expect("a valid date"),
            country: None,
        }
    }

    fn selected() -> Vec<(&'static str, ApplicationEvent)> {
        let mut events = under_review();
        events.push(by_officer(ApplicationEvent::DecisionRecorded {
            outcome: Outcome::Selected,
            reserve_position: None,
        }));
        events
    }

    #[test]
    fn a_started_application_is_a_draft_of_its_applicant_at_version_one() {
        let view = view_of(vec![started()]);
        assert_eq!(view.id, ID);
        assert_eq!(view.cycle, "2026-27");
        assert_eq!(view.applicant_id, APPLICANT);
        assert_eq!(view.status, Status::Draft);
        assert_eq!(view.created_at, morning(1));
        assert_eq!(view.version, 1);
    }

    #[test]
    fn a_submitted_application_keeps_its_form_and_when_it_was_submitted() {
        let mut events = submitted();
        events.push((
            APPLICANT,
            ApplicationEvent::PrivacyNoticeAccepted {
                notice: NoticeVersion {
                    updated_on: day(1),
                    digest: "test-digest".to_string(),
                },
            },
        ));
        let view = view_of(events);
        assert_eq!(view.status, Status::Submitted);
        assert_eq!(view.submitted_at, Some(morning(3)));
        assert_eq!(
            view.form.personal.full_name.as_deref(),
            Some("Test Applicant One")
        );
        assert_eq!(
            view.notice_accepted,
            Some(NoticeAcceptedView {
                updated_on: day(1),
                digest: "test-digest".to_string(),
                accepted_at: morning(4),
            })
        );
        assert_eq!(view.created_at, morning(1));
        assert_eq!(view.updated_at, morning(4));
        assert_eq!(view.version, 4);
    }

    #[test]
    fn a_withdrawal_and_a_change_of_preferences_are_recorded_with_who_and_when() {
        let mut events = vec![started()];
        events.push((
            APPLICANT,
            ApplicationEvent::PreferencesChanged {
                preferences: Personal::Known(Preferences {
                    images_opt_out: true,
                    ..Preferences::default()
                }),
                reason: Personal::Known(None),
            },
        ));
        events.push((
            APPLICANT,
            ApplicationEvent::ApplicationWithdrawn {
                previous_status: Status::Draft,
            },
        ));
        let view = view_of(events);
        assert!(view.form.preferences.images_opt_out);
        assert_eq!(
            view.preference_changes,
            vec![PreferenceChangeView {
                reason: None,
                changed_by: APPLICANT.to_string(),
                at: morning(2),
            }]
        );
        assert_eq!(view.status, Status::Withdrawn);
        assert_eq!(view.withdrawn_at, Some(morning(3)));
    }

    #[test]
    fn the_committee_marks_count_only_without_a_conflict_and_a_conflict_clears_them() {
        let mut events = under_review();
        events.extend([
            (
                "member-1",
                ApplicationEvent::ApplicationScored {
                    member_id: "member-1".to_string(),
                    scores: Personal::Known(marks(8)),
                },
            ),
            (
                "member-2",
                ApplicationEvent::ApplicationScored {
                    member_id: "member-2".to_string(),
                    scores: Personal::Known(marks(4)),
                },
            ),
            (
                "member-2",
                ApplicationEvent::ConflictDeclared {
                    member_id: "member-2".to_string(),
                    reason: Personal::Known("a test conflict".to_string()),
                },
            ),
        ]);
        let view = view_of(events);
        assert_eq!(view.status, Status::UnderReview);
        let eligibility = view.eligibility.as_ref().expect("eligibility determined");
        assert!(eligibility.eligible);
        assert_eq!(eligibility.determined_by, OFFICER);
        assert_eq!(view.committee.len(), 2);
        assert_eq!(view.committee[0].scores, Some(marks(8)));
        assert_eq!(view.committee[0].scored_at, Some(morning(7)));
        let conflicted = &view.committee[1];
        assert_eq!(conflicted.scores, None);
        assert_eq!(conflicted.scored_at, None);
        assert_eq!(
            conflicted.conflict.as_ref().map(|c| c.declared_at),
            Some(morning(9))
        );
        assert_eq!(view.mean_score(), Some(32.0));
    }

    #[test]
    fn an_ineligible_application_and_a_reserve_decision_set_the_status() {
        let mut events = submitted();
        events.push(by_officer(ApplicationEvent::EligibilityDetermined {
            eligible: false,
            reason: Personal::Known("outside the test rules".to_string()),
        }));
        assert_eq!(view_of(events).status, Status::Ineligible);

        let mut events = under_review();
        events.push(by_officer(ApplicationEvent::DecisionRecorded {
            outcome: Outcome::Reserve,
            reserve_position: Some(2),
        }));
        let view = view_of(events);
        assert_eq!(view.status, Status::Reserve);
        let decision = view.decision.expect("a decision");
        assert_eq!(decision.outcome, Outcome::Reserve);
        assert_eq!(decision.reserve_position, Some(2));
        assert_eq!(decision.decided_by, OFFICER);
    }

    #[test]
    fn a_cycle_concluded_leaves_the_application_unsuccessful_with_its_previous_status() {
        let mut events = under_review();
        events.push(by_officer(ApplicationEvent::ConcludedWithCycle {
            on: day(20),
            previous_status: Status::UnderReview,
        }));
        let view = view_of(events);
        assert_eq!(view.status, Status::Unsuccessful);
        let conclusion = view.concluded_with_cycle.expect("a conclusion");
        assert_eq!(conclusion.on, day(20));
        assert_eq!(conclusion.previous_status, Status::UnderReview);
    }

    #[test]
    fn an_offer_accepted_keeps_the_application_selected_and_one_declined_ends_it() {
        let offered = || {
            let mut events = selected();
            events.push(by_officer(ApplicationEvent::OfferMade {
                reply_by: day(25),
            }));
            events
        };
        let view = view_of(offered());
        let offer = view.administration.offer.as_ref().expect("an offer");
        assert_eq!(offer.state, OfferState::Open);
        assert_eq!(offer.reply_by, day(25));

        let mut accepted = offered();
        accepted.push((APPLICANT, ApplicationEvent::OfferAccepted { on: day(12) }));
        let view = view_of(accepted);
        assert_eq!(view.status, Status::Selected);
        let offer = view.administration.offer.expect("an offer");
        assert_eq!(offer.state, OfferState::Accepted);
        assert_eq!(offer.answered_on, Some(day(12)));

        for (answer, state) in [
            (
                ApplicationEvent::OfferDeclined { on: day(12) },
                OfferState::Declined,
            ),
            (
                ApplicationEvent::OfferLapsed { on: day(26) },
                OfferState::Lapsed,
            ),
        ] {
            let mut events = offered();
            events.push((APPLICANT, answer));
            let view = view_of(events);
            assert_eq!(view.status, Status::Unsuccessful);
            assert_eq!(view.administration.offer.map(|o| o.state), Some(state));
        }
    }

    #[test]
    fn an_award_made_completed_and_corrected_shows_its_latest_terms_and_outcome() {
        let mut events = selected();
        let mut corrected = terms();
        corrected.course = "MSc Test Policy (corrected)".to_string();
        events.extend([
            by_officer(ApplicationEvent::AwardMade {
                terms: Personal::Known(terms()),
                joint_sponsor_id: Some("recipient-sponsor-1".to_string()),
            }),
            by_officer(ApplicationEvent::AwardTermsCorrected {
                terms: Personal::Known(corrected.clone()),
                reason: Personal::Known("a test correction".to_string()),
            }),
        ]);
        let view = view_of(events.clone());
        assert_eq!(view.status, Status::Awarded);
        let award = view.award.expect("an award");
        assert_eq!(award.terms, Some(corrected));
        assert_eq!(
            award.joint_sponsor_id.as_deref(),
            Some("recipient-sponsor-1")
        );
        assert_eq!(award.completed_on, None);

        events.extend([
            by_officer(ApplicationEvent::AwardCompleted {
                completed_on: day(28),
                outcome: Personal::Known("MSc awarded".to_string()),
            }),
            by_officer(ApplicationEvent::CompletionOutcomeCorrected {
                outcome: Personal::Known("MSc with merit".to_string()),
                reason: Personal::Known("a test correction".to_string()),
            }),
        ]);
        let view = view_of(events);
        assert_eq!(view.status, Status::Alumni);
        let award = view.award.expect("an award");
        assert_eq!(award.completed_on, Some(day(28)));
        assert_eq!(award.completion_outcome.as_deref(), Some("MSc with merit"));
    }

    #[test]
    fn each_notice_due_to_a_recipient_is_marked_sent_once_and_only_its_own() {
        let notice_due = |recipient: &str| {
            by_officer(ApplicationEvent::RectificationNoticeDue {
                recipient_id: recipient.to_string(),
                recipient_name: format!("Test recipient {recipient}"),
                fields: vec!["personal.phone".to_string()],
            })
        };
        let mut events = submitted();
        events.extend([
            notice_due("recipient-1"),
            notice_due("recipient-2"),
            by_officer(ApplicationEvent::RectificationNoticeSent {
                recipient_id: "recipient-1".to_string(),
            }),
        ]);
        let view = view_of(events);
        let notices = &view.rectification_notices;
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].raised_in_version, 4);
        assert_eq!(notices[0].sent_at, Some(morning(6)));
        assert_eq!(notices[0].sent_by.as_deref(), Some(OFFICER));
        assert_eq!(notices[1].raised_in_version, 5);
        assert_eq!(notices[1].sent_at, None);
    }

    #[test]
    fn a_recheck_gathers_its_fields_once_from_the_first_amendment_until_it_is_recorded() {
        let recheck_due = |fields: Vec<PersonalField>| {
            by_officer(ApplicationEvent::EligibilityRecheckDue { fields })
        };
        let mut events = submitted();
        events.extend([
            recheck_due(vec![PersonalField::Nationality]),
            recheck_due(vec![
                PersonalField::Nationality,
                PersonalField::CountryOfResidence,
            ]),
        ]);
        let view = view_of(events.clone());
        assert_eq!(
            view.recheck,
            Some(RecheckView {
                fields: vec![
                    PersonalField::Nationality,
                    PersonalField::CountryOfResidence
                ],
                since: morning(4),
            })
        );
        events.push(by_officer(ApplicationEvent::EligibilityRechecked {
            note: Personal::Known("checked again".to_string()),
        }));
        assert_eq!(view_of(events).recheck, None);
    }

    #[test]
    fn a_restriction_shows_while_it_is_in_force_and_a_dispute_is_kept() {
        let mut events = submitted();
        events.extend([
            by_officer(ApplicationEvent::ProcessingRestricted {
                request_id: Some("request-1".to_string()),
                reason: Personal::Known("accuracy contested".to_string()),
            }),
            by_officer(ApplicationEvent::StatementOfDisputeRecorded {
                request_id: "request-2".to_string(),
                statement: Personal::Known("the test data is wrong".to_string()),
            }),
        ]);
        let view = view_of(events.clone());
        let restriction = view.restriction.expect("a restriction");
        assert_eq!(restriction.request_id.as_deref(), Some("request-1"));
        assert_eq!(restriction.since, morning(4));
        assert_eq!(
            view.statements_of_dispute,
            vec![StatementOfDisputeView {
                request_id: "request-2".to_string(),
                statement: Some("the test data is wrong".to_string()),
                recorded_by: OFFICER.to_string(),
                recorded_at: morning(5),
            }]
        );
        events.push(by_officer(ApplicationEvent::RestrictionLifted {
            reason: Personal::Known("settled".to_string()),
        }));
        assert_eq!(view_of(events).restriction, None);
    }

    #[test]
    fn a_letter_records_its_email_sent_or_failed_and_an_unknown_letter_changes_nothing() {
        let mut events = selected();
        events.extend([
            by_officer(ApplicationEvent::LetterIssued {
                letter_id: "letter-1".to_string(),
                kind: LetterKind::Selected,
                subject: Personal::Known("A test letter".to_string()),
                body: Personal::Known("<p>Test</p>".to_string()),
                by_email: true,
            }),
            by_officer(ApplicationEvent::LetterEmailFailed {
                letter_id: "letter-1".to_string(),
                reason: "the test mail server refused it".to_string(),
            }),
            by_officer(ApplicationEvent::LetterEmailed {
                letter_id: "letter-unknown".to_string(),
            }),
        ]);
        let view = view_of(events);
        assert_eq!(view.letters.len(), 1);
        let letter = &view.letters[0];
        assert_eq!(letter.subject.as_deref(), Some("A test letter"));
        assert_eq!(letter.emailed_at, None);
        assert_eq!(
            letter.email_failure,
            Some(("the test mail server refused it".to_string(), morning(9)))
        );
    }

    #[test]
    fn an_application_whose_personal_data_is_destroyed_has_no_view() {
        let mut events = submitted();
        events.push(by_officer(ApplicationEvent::PersonalDataDestroyed {
            rule: RecordKind::ErasedOnRequest,
            destroyed_on: day(10),
        }));
        assert_eq!(replay(&recorded(events)).expect("the events fold"), None);
    }
}
