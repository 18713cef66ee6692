//! The application as GET returns it: the form, where it stands, and the case's record so far.

use domain::screening::ScreeningRule;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use lru::LruCache;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::types::Json;

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
            ApplicationEvent::ScreeningOverridden { rules, reason } => {
                self.screening_overrides.push(ScreeningOverrideView {
                    rules: rules.clone(),
                    reason: reason.known().cloned(),
                    overridden_by: by,
                    overridden_at: at,
                });
            }
            ApplicationEvent::DraftSaved { changes, .. } => {
                if let Personal::Known(changes) = changes {
                    self.form.apply(changes);
                }
            }
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
                raised_in_version: event.sequence,
                sent_at: None,
                sent_by: None,
            }),
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
            // The view itself is deleted when its personal data is destroyed.
            ApplicationEvent::PersonalDataDestroyed { .. } => {}
            ApplicationEvent::ProcessingRestricted { request_id, reason } => {
                self.restriction = Some(RestrictionView {
                    request_id: request_id.clone(),
                    reason: reason.known().cloned(),
                    restricted_by: by.clone(),
                    since: at,
                });
            }
            ApplicationEvent::RestrictionLifted { .. } => self.restriction = None,
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

/// Brings the application's view up to date with one event, and gives the view as it was before the event
/// (`None` for a new application) and as it is now; `None` when the application has no view (destroyed).
pub(crate) async fn project(
    conn: &mut Conn<'_>,
    event: &RecordedEvent,
    payload: &ApplicationEvent,
    committed: &CommittedViews,
) -> Result<Option<(Option<ApplicationView>, ApplicationView)>, ProjectionError> {
    if let Some(before) = committed.before(&event.aggregate_id, event.sequence) {
        let mut view = before.clone();
        view.apply(event, payload);
        if update_from(conn, &view, before.version).await? {
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
        _ => match load_in(conn, &event.aggregate_id).await? {
            Some(view) => (Some(view.clone()), view),
            None => return Ok(None),
        },
    };
    view.apply(event, payload);
    save(conn, &view, before.is_none()).await?;
    Ok(Some((before, view)))
}

/// Updates the view if the table still holds the version it was folded from; whether it did.
async fn update_from(
    conn: &mut Conn<'_>,
    view: &ApplicationView,
    version: i64,
) -> Result<bool, ProjectionError> {
    const UPDATE: &str =
        "UPDATE application_views SET version = $1, doc = $2 WHERE id = $3 AND version = $4";
    let updated = on_conn!(conn, c => sqlx::query(UPDATE)
        .bind(view.version)
        .bind(crate::db::JsonText(view))
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
) -> Result<Option<ApplicationView>, ProjectionError> {
    const SQL: &str = "SELECT doc FROM application_views WHERE id = $1";
    let row = on_conn!(conn, c => sqlx::query(SQL).bind(id).fetch_optional(&mut *c).await?
        .map(|row| row.try_get::<Json<ApplicationView>, _>("doc")).transpose()?);
    Ok(row.map(|Json(view)| view))
}

async fn save(
    conn: &mut Conn<'_>,
    view: &ApplicationView,
    new: bool,
) -> Result<(), ProjectionError> {
    const INSERT: &str = "INSERT INTO application_views (id, applicant_id, cycle, version, doc) \
                          VALUES ($1, $2, $3, $4, $5)";
    const UPDATE: &str = "UPDATE application_views SET version = $1, doc = $2 WHERE id = $3";
    let result = if new {
        on_conn!(conn, c => sqlx::query(INSERT)
            .bind(&view.id)
            .bind(&view.applicant_id)
            .bind(&view.cycle)
            .bind(view.version)
            .bind(crate::db::JsonText(view))
            .execute(&mut *c)
            .await
            .map(|done| done.rows_affected()))
    } else {
        on_conn!(conn, c => sqlx::query(UPDATE)
            .bind(view.version)
            .bind(crate::db::JsonText(view))
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

/// Inserts the views of many applications (a rebuild): on PostgreSQL in one statement, the columns sent as
/// arrays; on SQLite many rows to a statement.
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    views: &[&ApplicationView],
) -> Result<(), ProjectionError> {
    if views.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Postgres(c) => {
            const SQL: &str = "INSERT INTO application_views (id, applicant_id, cycle, version, doc) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::json[])";
            let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
            let applicants: Vec<&str> = views.iter().map(|v| v.applicant_id.as_str()).collect();
            let cycles: Vec<&str> = views.iter().map(|v| v.cycle.as_str()).collect();
            let versions: Vec<i64> = views.iter().map(|v| v.version).collect();
            let docs: Vec<crate::db::JsonText<&ApplicationView>> =
                views.iter().map(|v| crate::db::JsonText(*v)).collect();
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
            for chunk in views.chunks(ROWS_A_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO application_views (id, applicant_id, cycle, version, doc) ",
                );
                insert.push_values(chunk, |mut row, view| {
                    row.push_bind(&view.id)
                        .push_bind(&view.applicant_id)
                        .push_bind(&view.cycle)
                        .push_bind(view.version)
                        .push_bind(crate::db::JsonText(*view));
                });
                insert.build().execute(&mut **c).await?;
            }
        }
    }
    Ok(())
}

/// Deletes the view of one application.
pub(crate) async fn forget(conn: &mut Conn<'_>, id: &str) -> Result<(), ProjectionError> {
    on_conn!(conn, c => sqlx::query("DELETE FROM application_views WHERE id = $1")
        .bind(id).execute(&mut *c).await?.rows_affected());
    Ok(())
}

pub(crate) async fn reset(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    on_conn!(conn, c => sqlx::query("DELETE FROM application_views").execute(&mut *c).await?.rows_affected());
    Ok(())
}

/// Reads one application as it stands.
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

pub async fn find(db: &Db, id: &str) -> Result<Option<ApplicationView>, sqlx::Error> {
    if !crate::db::is_plausible_id(id) {
        return Ok(None);
    }
    const SQL: &str = "SELECT doc FROM application_views WHERE id = $1";
    let row = on_pool!(db, p => sqlx::query(SQL).bind(id).fetch_optional(p).await?
        .map(|row| row.try_get::<Json<ApplicationView>, _>("doc")).transpose()?);
    Ok(row.map(|Json(view)| view))
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

/// The applicant's applications, newest cycle first.
pub async fn list_for_applicant(
    db: &Db,
    applicant_id: &str,
) -> Result<Vec<ApplicationView>, sqlx::Error> {
    const SQL: &str =
        "SELECT doc FROM application_views WHERE applicant_id = $1 ORDER BY cycle DESC";
    let rows = on_pool!(db, p => sqlx::query(SQL).bind(applicant_id).fetch_all(p).await?
        .into_iter()
        .map(|row| row.try_get::<Json<ApplicationView>, _>("doc"))
        .collect::<Result<Vec<_>, _>>()?);
    Ok(rows.into_iter().map(|Json(view)| view).collect())
}
