//! The application aggregate: the state the rules need, and the rules that turn a command into events.

use crate::screening::ScreeningRule;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

pub use super::status::{Outcome, Status};

use super::award::{self as award_rules, Administration, Offer, OfferState, correction_reason};
use super::commands::ApplicationCommand;
use super::error::ApplicationError;
use super::events::{ApplicationEvent, AwardTerms, FieldChange, Scores};
use super::form::{DraftChanges, Form, PersonalField};
use super::rules::{
    FieldProblem, check_draft_changes, eligibility_problems, missing_for_submission,
};
use crate::actor::{Actor, Authored, Role};
use crate::country::Country;
use crate::cycle::{CycleName, CycleTerms, CycleTermsSource};
use crate::personal::Personal;
use crate::sharing::{RecipientFacts, SubjectFacts, may_disclose};

/// The fields of an application that may be disclosed to a recipient, by contract path.
pub const DISCLOSABLE_FIELDS: [&str; 15] = [
    "personal.full_name",
    "personal.date_of_birth",
    "personal.email",
    "personal.phone",
    "personal.address",
    "personal.nationality",
    "personal.country_of_residence",
    "cycle",
    "status",
    "courses",
    "award.institution",
    "award.course",
    "award.level",
    "award.start_date",
    "progress_reports",
];

/// `cycle_is_open`: an application is started and submitted only while its cycle takes applications (a
/// cycle whose terms were never set always does).
fn cycle_is_open(
    cycle: &CycleName,
    terms: Option<&CycleTerms>,
    today: NaiveDate,
) -> Result<(), ApplicationError> {
    match terms {
        Some(terms) if !terms.is_open_on(today) => Err(ApplicationError::CycleClosed {
            cycle: cycle.to_string(),
            opens_on: terms.opens_on,
            closes_on: terms.closes_on,
        }),
        _ => Ok(()),
    }
}

/// Who is on the staff, as the application needs to know it.
#[async_trait]
pub trait StaffDirectory: Send + Sync {
    /// The role of a staff account, or `None` where there is no such account.
    async fn role_of(&self, user_id: &str) -> Result<Option<Role>, String>;
}

/// What the application aggregate may ask of the world outside it.
#[derive(Clone)]
pub struct ApplicationServices {
    pub staff: Arc<dyn StaffDirectory>,
    /// The terms of each cycle: when it is open, and who is eligible.
    pub cycles: Arc<dyn CycleTermsSource>,
}

impl ApplicationServices {
    /// The cycle's terms, where an administrator set them.
    async fn terms_of(&self, cycle: &CycleName) -> Result<Option<CycleTerms>, ApplicationError> {
        self.cycles
            .terms_of(cycle)
            .await
            .map_err(ApplicationError::CycleTermsUnavailable)
    }

    /// `cycle_not_concluded`: once a cycle is concluded nothing of it is submitted, assessed, decided or
    /// awarded any more.
    async fn cycle_not_concluded(&self, cycle: &CycleName) -> Result<(), ApplicationError> {
        match self
            .cycles
            .concluded_on(cycle)
            .await
            .map_err(ApplicationError::CycleTermsUnavailable)?
        {
            Some(concluded_on) => Err(ApplicationError::CycleConcluded {
                cycle: cycle.to_string(),
                concluded_on,
            }),
            None => Ok(()),
        }
    }
}

/// The state of one application, as far as its rules need it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub status: Status,
    pub cycle: Option<CycleName>,
    pub applicant_id: String,
    pub form: Form,
    pub assigned: BTreeSet<String>,
    pub conflicted: BTreeSet<String>,
    pub scored: BTreeMap<String, u32>,
    /// Whether the application was ever submitted (a draft withdrawn unsubmitted never was).
    pub submitted: bool,
    pub award: Option<AwardTerms>,
    pub joint_sponsor_id: Option<String>,
    /// The fields each recipient has been sent, by recipient id, with the recipient's name.
    pub disclosed: BTreeMap<String, (String, BTreeSet<String>)>,
    /// Recipients who are still to be told of a correction.
    pub notices_due: BTreeSet<String>,
    /// The personal data has been destroyed.
    pub destroyed: bool,
    /// Processing is restricted at the subject's request.
    #[serde(default)]
    pub restricted: bool,
    /// The ids of the letters issued to the applicant.
    #[serde(default)]
    pub letters: BTreeSet<String>,
    /// The rules of the cycle's screening a programme officer waived for this application.
    #[serde(default)]
    pub waived: BTreeSet<ScreeningRule>,
    /// Eligibility has been determined (eligible or not).
    #[serde(default)]
    pub eligibility_determined: bool,
    /// Nationality or residence was amended since eligibility was determined, and not yet checked again.
    #[serde(default)]
    pub recheck_due: bool,
    /// The rectification requests whose refusal left the subject's statement with the application.
    #[serde(default)]
    pub disputed_by: BTreeSet<String>,
    /// The offer, supervisor, report schedule, reports and result of the award.
    #[serde(default)]
    pub administration: Administration,
}

type Command = Authored<ApplicationCommand>;

impl Aggregate for Application {
    const TYPE: &'static str = "Application";
    type Command = Command;
    type Event = ApplicationEvent;
    type Error = ApplicationError;
    type Services = ApplicationServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let events = self.decide(command, services).await?;
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ApplicationEvent::ApplicationStarted {
                cycle,
                applicant_id,
            } => {
                self.status = Status::Draft;
                self.cycle = Some(cycle);
                self.applicant_id = applicant_id;
            }
            ApplicationEvent::DraftSaved { changes, .. } => {
                if let Personal::Known(changes) = changes {
                    self.form.apply(&changes);
                }
            }
            ApplicationEvent::ApplicationSubmitted { .. } => {
                self.status = Status::Submitted;
                self.submitted = true;
            }
            ApplicationEvent::ApplicationWithdrawn { .. } => self.status = Status::Withdrawn,
            ApplicationEvent::PrivacyNoticeAccepted { .. } => {}
            ApplicationEvent::PreferencesChanged { preferences, .. } => {
                if let Personal::Known(preferences) = preferences {
                    self.form.preferences = preferences;
                }
            }
            ApplicationEvent::PersonalDataAmended { changes, .. } => {
                for change in changes.into_known().unwrap_or_default() {
                    self.form.personal.set(change.field, Some(change.new));
                }
            }
            ApplicationEvent::EligibilityDetermined { eligible, .. } => {
                self.eligibility_determined = true;
                self.status = if eligible {
                    Status::Eligible
                } else {
                    Status::Ineligible
                };
            }
            ApplicationEvent::CommitteeMemberAssigned { member_id } => {
                self.status = Status::UnderReview;
                self.assigned.insert(member_id);
            }
            ApplicationEvent::ConflictDeclared { member_id, .. } => {
                self.scored.remove(&member_id);
                self.conflicted.insert(member_id);
            }
            ApplicationEvent::ApplicationScored { member_id, scores } => {
                let total = scores.known().map(Scores::total).unwrap_or_default();
                self.scored.insert(member_id, total);
            }
            ApplicationEvent::DecisionRecorded { outcome, .. } => self.status = outcome.status(),
            ApplicationEvent::ConcludedWithCycle { .. } => self.status = Status::Unsuccessful,
            ApplicationEvent::OfferMade { reply_by } => {
                self.administration.offer = Some(Offer {
                    reply_by,
                    state: OfferState::Open,
                });
            }
            ApplicationEvent::OfferAccepted { .. } => self.answer_offer(OfferState::Accepted),
            ApplicationEvent::OfferDeclined { .. } => {
                self.answer_offer(OfferState::Declined);
                self.status = Status::Unsuccessful;
            }
            ApplicationEvent::OfferLapsed { .. } => {
                self.answer_offer(OfferState::Lapsed);
                self.status = Status::Unsuccessful;
            }
            ApplicationEvent::SupervisorRecorded { supervisor } => {
                if let Some(supervisor) = supervisor.into_known() {
                    self.administration.supervisor = Some(supervisor);
                }
            }
            ApplicationEvent::ReportScheduleSet { due } => {
                self.administration.schedule = Some(due);
            }
            ApplicationEvent::ProgressReportRecorded {
                report_id,
                source,
                due_on,
                report,
            } => self
                .administration
                .reports
                .push(award_rules::RecordedReport {
                    report_id,
                    source,
                    due_on,
                    report: report.into_known(),
                }),
            ApplicationEvent::ResultReleased { result } => {
                self.administration.result = result.into_known();
            }
            ApplicationEvent::ReportReminderSent { due_on, .. } => {
                self.administration.reminded.push(due_on)
            }
            ApplicationEvent::AwardMade {
                terms,
                joint_sponsor_id,
            } => {
                self.status = Status::Awarded;
                self.award = terms.into_known();
                self.joint_sponsor_id = joint_sponsor_id;
            }
            ApplicationEvent::AwardCompleted { .. } => self.status = Status::Alumni,
            ApplicationEvent::AwardTermsCorrected { terms, .. } => {
                if let Some(terms) = terms.into_known() {
                    self.award = Some(terms);
                }
            }
            ApplicationEvent::CompletionOutcomeCorrected { .. } => {}
            ApplicationEvent::DataDisclosed {
                recipient_id,
                recipient_name,
                fields,
                ..
            } => {
                let entry = self
                    .disclosed
                    .entry(recipient_id)
                    .or_insert_with(|| (recipient_name, BTreeSet::new()));
                entry.1.extend(fields);
            }
            ApplicationEvent::DisclosureRefused { .. } => {}
            ApplicationEvent::RectificationNoticeDue { recipient_id, .. } => {
                self.notices_due.insert(recipient_id);
            }
            ApplicationEvent::EligibilityRecheckDue { .. } => self.recheck_due = true,
            ApplicationEvent::EligibilityRechecked { .. } => self.recheck_due = false,
            ApplicationEvent::StatementOfDisputeRecorded { request_id, .. } => {
                self.disputed_by.insert(request_id);
            }
            ApplicationEvent::RectificationNoticeSent { recipient_id } => {
                self.notices_due.remove(&recipient_id);
            }
            ApplicationEvent::ProcessingRestricted { .. } => self.restricted = true,
            ApplicationEvent::RestrictionLifted { .. } => self.restricted = false,
            ApplicationEvent::LetterIssued { letter_id, .. } => {
                self.letters.insert(letter_id);
            }
            ApplicationEvent::LetterEmailed { .. } | ApplicationEvent::LetterEmailFailed { .. } => {
            }
            ApplicationEvent::ScreeningOverridden { rules, .. } => self.waived.extend(rules),
            ApplicationEvent::PersonalDataDestroyed { .. } => {
                self.destroyed = true;
                self.recheck_due = false;
                self.form = Form::default();
                self.disclosed.clear();
                self.notices_due.clear();
                self.award = None;
                self.administration.supervisor = None;
                self.administration.result = None;
                for recorded in &mut self.administration.reports {
                    recorded.report = None;
                }
                // The committee's marks are personal data too: a reload reads them as destroyed.
                self.scored.clear();
            }
        }
    }
}

impl Application {
    /// The events a command produces, or the rule it breaks. Checks run in this order: the role may issue
    /// the command (a role that may not is refused before anything about the application is looked at, so
    /// the refusal tells nothing of it), the application exists (and an applicant may only know of their
    /// own), then the command's own rules.
    async fn decide(
        &self,
        command: Command,
        services: &ApplicationServices,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let Authored { by, at, command } = command;
        if let ApplicationCommand::StartApplication { cycle } = command {
            let terms = if by.role == Role::Applicant && self.status == Status::NotStarted {
                services.cycle_not_concluded(&cycle).await?;
                services.terms_of(&cycle).await?
            } else {
                None
            };
            return self.start(&by, cycle, terms.as_ref(), at.date_naive());
        }
        if !may_issue(by.role, &command) {
            return Err(ApplicationError::Forbidden);
        }
        self.visible_to(&by)?;
        let action = command.action();
        if self.restricted && halted_by_restriction(&command) && !only_narrows(&command, self) {
            return Err(ApplicationError::Restricted { action });
        }
        if ends_with_the_cycle(&command)
            && let Some(cycle) = &self.cycle
        {
            services.cycle_not_concluded(cycle).await?;
        }
        use ApplicationCommand as C;
        match command {
            C::StartApplication { .. } => Err(ApplicationError::AlreadyStarted),
            C::SaveDraft { changes } => self.save_draft(changes),
            C::SubmitApplication { notice } => {
                let terms = match &self.cycle {
                    Some(cycle) if self.status == Status::Draft => services.terms_of(cycle).await?,
                    _ => None,
                };
                self.submit_with_notice(at, terms.as_ref(), notice)
            }
            C::WithdrawApplication => self.withdraw(action),
            C::SetPreferences {
                preferences,
                reason,
            } => self.set_preferences(&by, preferences, reason, action),
            C::AmendPersonalData {
                changes,
                reason,
                requested_by,
            } => self.amend(changes, reason, requested_by),
            C::RectifyPersonalData {
                request_id,
                changes,
                reason,
            } => self.rectify_personal_data(request_id, changes, reason),
            C::DetermineEligibility { eligible, reason } => {
                self.determine_eligibility(eligible, reason, action)
            }
            C::AssignCommitteeMember { member_id } => {
                self.assign(member_id, services, action).await
            }
            C::DeclareConflict { reason } => self.declare_conflict(by, reason, action),
            C::ScoreApplication { scores } => self.score_application(by, scores, action),
            C::RecordDecision {
                outcome,
                reserve_position,
            } => self.record_decision(outcome, reserve_position, action),
            C::MakeOffer { reply_by } => award_rules::make_offer(
                self.status,
                self.administration.offer.as_ref(),
                reply_by,
                at.date_naive(),
            ),
            C::AcceptOffer => {
                award_rules::answer_offer(self.administration.offer.as_ref(), true, at.date_naive())
            }
            C::DeclineOffer => award_rules::answer_offer(
                self.administration.offer.as_ref(),
                false,
                at.date_naive(),
            ),
            C::LapseOffer { on } => {
                award_rules::lapse_offer(self.administration.offer.as_ref(), on)
            }
            C::RecordSupervisor { supervisor } => award_rules::record_supervisor(
                self.status,
                self.administration.supervisor.as_ref(),
                supervisor,
            ),
            C::SetReportSchedule { due } => {
                award_rules::set_report_schedule(self.status, self.award.as_ref(), due)
            }
            C::RecordProgressReport {
                report_id,
                source,
                report,
            } => award_rules::record_progress_report(
                self.status,
                &self.administration,
                self.award.as_ref(),
                report_id,
                source,
                report,
            ),
            C::RecordResult { result } => {
                award_rules::record_result(self.status, result, at.date_naive())
            }
            C::RecordReportReminder { due_on, sent_to } => award_rules::record_report_reminder(
                self.status,
                &self.administration,
                self.award.as_ref(),
                due_on,
                sent_to,
            ),
            C::MakeAward {
                terms,
                joint_sponsor_id,
            } => award_rules::make_award(
                self.status,
                self.administration.offer.as_ref(),
                terms,
                joint_sponsor_id,
            ),
            C::CompleteAward {
                outcome,
                completed_on,
            } => award_rules::complete_award(
                self.status,
                self.administration.result.as_ref(),
                &outcome,
                completed_on,
                at.date_naive(),
            ),
            C::CorrectAwardTerms {
                institution,
                course,
                level,
                start_date,
                reason,
            } => self.correct_award(institution, course, level, start_date, reason),
            C::CorrectCompletionOutcome { outcome, reason } => {
                award_rules::correct_completion_outcome(self.status, outcome, reason)
            }
            C::DiscloseData {
                disclosure_id,
                recipient,
                purpose,
                fields,
            } => self.disclose(disclosure_id, recipient, purpose, fields, action),
            C::ConcludeWithCycle => self.conclude(services).await,
            C::DestroyPersonalData { rule, destroyed_on } => {
                self.destroy_personal_data(rule, destroyed_on)
            }
            C::ReapplyDestruction { rule, destroyed_on } => {
                self.reapply_destruction(rule, destroyed_on)
            }
            C::RestrictProcessing { request_id, reason } => {
                self.restrict_processing(request_id, reason)
            }
            C::HonourObjection {
                request_id,
                opt_outs,
            } => self.honour_objection(request_id, opt_outs),
            C::LiftRestriction { reason } => self.lift_restriction(reason),
            C::OverrideScreening { rules, reason } => {
                self.override_screening(rules, reason, action)
            }
            C::IssueLetter {
                letter_id,
                kind,
                subject,
                body,
                by_email,
            } => self.issue_letter(letter_id, kind, subject, body, by_email),
            C::RecordLetterEmailed { letter_id } => self.record_letter_email(letter_id, None),
            C::RecordLetterEmailFailed { letter_id, reason } => {
                self.record_letter_email(letter_id, Some(reason))
            }
            C::RecordRecheck { note } => self.record_recheck(note),
            C::RecordStatementOfDispute {
                request_id,
                statement,
            } => self.record_statement_of_dispute(request_id, statement),
            C::MarkRectificationNoticeSent { recipient_id } => {
                self.mark_rectification_notice_sent(recipient_id)
            }
        }
    }

    /// Personal data leaves only to a recipient the policy allows for this person; anything else is refused
    /// and the refusal recorded. Only the fields of [`DISCLOSABLE_FIELDS`] can be sent.
    fn disclose(
        &self,
        disclosure_id: String,
        recipient: RecipientFacts,
        purpose: String,
        fields: Vec<String>,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if matches!(self.status, Status::Draft | Status::Withdrawn) {
            return Err(self.invalid_state(action));
        }
        let mut problems = Vec::new();
        let purpose = purpose.trim().to_string();
        if purpose.is_empty() || purpose.chars().count() > 500 {
            problems.push(FieldProblem::new(
                "purpose",
                "say why, in at most 500 characters",
            ));
        }
        if fields.is_empty() {
            problems.push(FieldProblem::new(
                "fields",
                "name at least one field to disclose",
            ));
        }
        let mut chosen: Vec<String> = Vec::new();
        for field in fields {
            if !DISCLOSABLE_FIELDS.contains(&field.as_str()) {
                problems.push(FieldProblem::new(
                    field,
                    "is not a field that can be disclosed",
                ));
            } else if !chosen.contains(&field) {
                chosen.push(field);
            }
        }
        if !problems.is_empty() {
            return Err(ApplicationError::Invalid { problems });
        }
        let study_countries = self.study_countries();
        let allowed = crate::sharing::progress_reports_go_only_to_missions_in_the_home_country(
            &recipient, &chosen,
        );
        let subject = SubjectFacts {
            country_of_residence: self.form.personal.country_of_residence.as_deref(),
            nationality: self.form.personal.nationality.as_deref(),
            joint_sponsor_id: self.joint_sponsor_id.as_deref(),
            study_countries: &study_countries,
        };
        Ok(vec![
            match allowed.and_then(|()| may_disclose(&recipient, subject)) {
                Ok(()) => {
                    let values = chosen
                        .iter()
                        .map(|field| {
                            (
                                field.clone(),
                                self.disclosable_value(field).unwrap_or_default(),
                            )
                        })
                        .collect();
                    ApplicationEvent::DataDisclosed {
                        disclosure_id,
                        recipient_id: recipient.id,
                        recipient_name: recipient.name,
                        recipient_kind: recipient.kind,
                        fields: chosen,
                        purpose: purpose.into(),
                        values: Personal::Known(values),
                    }
                }
                Err(refusal) => ApplicationEvent::DisclosureRefused {
                    disclosure_id,
                    recipient_id: recipient.id,
                    recipient_name: recipient.name,
                    recipient_kind: recipient.kind,
                    fields: chosen,
                    purpose: purpose.into(),
                    reason: refusal.to_string(),
                },
            },
        ])
    }

    /// Where the person studies: the award's country once awarded, before that the country of each course
    /// choice (the United Kingdom where one gives none).
    pub fn study_countries(&self) -> Vec<Country> {
        crate::sharing::study_countries(self.award.as_ref(), &self.form.courses)
    }

    /// The value a disclosable field has now, as sent.
    fn disclosable_value(&self, path: &str) -> Option<String> {
        if let Some(field) = PersonalField::from_path(path) {
            return self.form.personal.get(field).cloned();
        }
        let award = self.award.as_ref();
        match path {
            "cycle" => self.cycle.as_ref().map(|c| c.to_string()),
            "status" => Some(self.status.as_str().to_string()),
            "courses" => Some(
                self.form
                    .courses
                    .iter()
                    .map(|c| format!("{} at {} ({})", c.course, c.institution, c.level))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            "award.institution" => award.map(|a| a.institution.clone()),
            "award.course" => award.map(|a| a.course.clone()),
            "award.level" => award.map(|a| a.level.clone()),
            "award.start_date" => award.map(|a| a.start_date.to_string()),
            "progress_reports" => Some(self.administration.reports_as_sent()),
            _ => None,
        }
    }

    fn start(
        &self,
        by: &Actor,
        cycle: CycleName,
        terms: Option<&CycleTerms>,
        today: NaiveDate,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if by.role != Role::Applicant {
            return Err(ApplicationError::Forbidden);
        }
        if self.status != Status::NotStarted {
            return Err(ApplicationError::AlreadyStarted);
        }
        cycle_is_open(&cycle, terms, today)?;
        Ok(vec![ApplicationEvent::ApplicationStarted {
            cycle,
            applicant_id: by.user_id.clone(),
        }])
    }

    /// An application exists for everyone who may see it; an applicant sees only their own.
    fn visible_to(&self, by: &Actor) -> Result<(), ApplicationError> {
        if self.status == Status::NotStarted {
            return Err(ApplicationError::NotFound);
        }
        if self.destroyed {
            return Err(ApplicationError::Destroyed);
        }
        if by.role == Role::Applicant && by.user_id != self.applicant_id {
            return Err(ApplicationError::NotFound);
        }
        Ok(())
    }

    /// Edits are free while the application is a draft, and refused after submission.
    fn save_draft(&self, changes: DraftChanges) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if self.status == Status::Withdrawn {
            return Err(self.invalid_state("edit"));
        }
        if self.status != Status::Draft {
            return Err(ApplicationError::ApplicationSubmitted);
        }
        let changes = check_draft_changes(&changes)
            .map_err(|problems| ApplicationError::Invalid { problems })?;
        if changes.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![ApplicationEvent::DraftSaved {
            sections: changes.sections(),
            changes: changes.into(),
        }])
    }

    /// Submission needs a complete form that meets the eligibility rules.
    fn submit(
        &self,
        at: chrono::DateTime<chrono::Utc>,
        terms: Option<&CycleTerms>,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if self.status != Status::Draft {
            return Err(if self.status == Status::Withdrawn {
                self.invalid_state("submit")
            } else {
                ApplicationError::ApplicationSubmitted
            });
        }
        if let Some(cycle) = &self.cycle {
            cycle_is_open(cycle, terms, at.date_naive())?;
        }
        let missing = missing_for_submission(&self.form);
        if !missing.is_empty() {
            return Err(ApplicationError::Incomplete { missing });
        }
        let mut reasons = eligibility_problems(&self.form, at.date_naive());
        let failures = terms
            .map(|terms| {
                terms
                    .screening
                    .screen(&self.form, at.date_naive(), &self.waived)
            })
            .unwrap_or_default();
        reasons.extend(failures.iter().map(|failure| failure.message.clone()));
        if !reasons.is_empty() {
            return Err(ApplicationError::NotEligible { reasons, failures });
        }
        Ok(vec![ApplicationEvent::ApplicationSubmitted {
            submitted_at: at,
        }])
    }

    /// `notice_accepted`: what the applicant accepted by submitting is kept with the application.
    fn submit_with_notice(
        &self,
        at: chrono::DateTime<chrono::Utc>,
        terms: Option<&CycleTerms>,
        notice: Option<super::events::NoticeVersion>,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let mut events = self.submit(at, terms)?;
        if let Some(notice) = notice {
            events.push(ApplicationEvent::PrivacyNoticeAccepted { notice });
        }
        Ok(events)
    }

    /// `conclude`: the cycle's conclusion, once recorded, ends the application as the cycle left it.
    async fn conclude(
        &self,
        services: &ApplicationServices,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let cycle = self.cycle.clone().ok_or(ApplicationError::NotFound)?;
        let concluded_on = services
            .cycles
            .concluded_on(&cycle)
            .await
            .map_err(ApplicationError::CycleTermsUnavailable)?;
        match concluded_on {
            Some(on) => Ok(self.conclude_with_cycle(on)),
            None => Err(ApplicationError::CycleNotConcluded {
                cycle: cycle.to_string(),
            }),
        }
    }

    /// An applicant may withdraw at any point before a decision.
    fn withdraw(&self, action: &'static str) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if self.status.is_decided() {
            return Err(ApplicationError::DecisionMade);
        }
        if self.status == Status::Withdrawn {
            return Err(self.invalid_state(action));
        }
        Ok(vec![ApplicationEvent::ApplicationWithdrawn {
            previous_status: self.status,
        }])
    }

    /// After submission only personal data can change, only through the Help Desk, and the old value is
    /// kept in the log with who asked.
    pub(super) fn amend(
        &self,
        changes: Vec<(String, String)>,
        reason: String,
        requested_by: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !self.submitted {
            return Err(ApplicationError::NotSubmitted);
        }
        let not_amendable: Vec<String> = changes
            .iter()
            .filter(|(path, _)| PersonalField::from_path(path).is_none())
            .map(|(path, _)| path.clone())
            .collect();
        if !not_amendable.is_empty() {
            return Err(ApplicationError::NotAmendable {
                fields: not_amendable,
            });
        }
        let mut problems = Vec::new();
        if changes.is_empty() {
            problems.push(FieldProblem::new(
                "changes",
                "name at least one field to amend",
            ));
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            problems.push(FieldProblem::new("reason", "say why the amendment is made"));
        }
        let mut amended: BTreeMap<PersonalField, FieldChange> = BTreeMap::new();
        for (path, raw) in changes {
            let Some(field) = PersonalField::from_path(&path) else {
                continue;
            };
            match field.parse_value(&raw) {
                Err(problem) => problems.push(FieldProblem::new(path, problem)),
                Ok(new) => {
                    let old = self.form.personal.get(field).cloned();
                    if old.as_ref() != Some(&new) {
                        amended.insert(field, FieldChange { field, old, new });
                    } else {
                        amended.remove(&field);
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(ApplicationError::Invalid { problems });
        }
        if amended.is_empty() {
            return Ok(vec![]);
        }
        let requested_by = match requested_by.trim() {
            "" => "the applicant".to_string(),
            who => who.to_string(),
        };
        let changed: BTreeSet<String> = amended.keys().map(|field| field.path()).collect();
        let changed_fields: Vec<PersonalField> = amended.keys().copied().collect();
        let mut events = vec![ApplicationEvent::PersonalDataAmended {
            fields: amended.keys().copied().collect(),
            changes: amended.into_values().collect::<Vec<_>>().into(),
            reason: reason.into(),
            requested_by: requested_by.into(),
        }];
        // `amended_after_eligibility`: the screening and the sharing rule read nationality and residence, so a
        // change to either once eligibility was decided is to be checked again by the programme officer.
        let rechecked: Vec<PersonalField> = changed_fields
            .iter()
            .copied()
            .filter(|field| {
                matches!(
                    field,
                    PersonalField::Nationality | PersonalField::CountryOfResidence
                )
            })
            .collect();
        if self.eligibility_determined && self.status != Status::Withdrawn && !rechecked.is_empty()
        {
            events.push(ApplicationEvent::EligibilityRecheckDue { fields: rechecked });
        }
        // Whoever was sent a value that has now changed must be told of the correction.
        for (recipient_id, (recipient_name, sent)) in &self.disclosed {
            let fields: Vec<String> = sent.intersection(&changed).cloned().collect();
            if !fields.is_empty() {
                events.push(ApplicationEvent::RectificationNoticeDue {
                    recipient_id: recipient_id.clone(),
                    recipient_name: recipient_name.clone(),
                    fields,
                });
            }
        }
        Ok(events)
    }

    /// `award_terms_corrected`: the terms of an award made (or completed) are corrected with a reason; the
    /// fields given replace those recorded, and something must change. Whoever was sent an old value is to
    /// be told of the correction, as for an amendment.
    fn correct_award(
        &self,
        institution: Option<String>,
        course: Option<String>,
        level: Option<String>,
        start_date: Option<NaiveDate>,
        reason: String,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        let current = match (&self.award, self.status) {
            (Some(terms), Status::Awarded | Status::Alumni) => terms,
            _ => {
                return Err(ApplicationError::NotAwarded {
                    status: self.status,
                });
            }
        };
        let reason = correction_reason(&reason)?;
        let mut terms = current.clone();
        let mut problems = Vec::new();
        for (name, given, field) in [
            ("institution", institution, &mut terms.institution),
            ("course", course, &mut terms.course),
            ("level", level, &mut terms.level),
        ] {
            if let Some(given) = given {
                match given.trim() {
                    "" => problems.push(FieldProblem::new(name, "must not be empty")),
                    value => *field = value.to_string(),
                }
            }
        }
        if let Some(start_date) = start_date {
            terms.start_date = start_date;
        }
        if !problems.is_empty() {
            return Err(ApplicationError::Invalid { problems });
        }
        let changed: BTreeSet<String> = [
            (
                "award.institution",
                current.institution != terms.institution,
            ),
            ("award.course", current.course != terms.course),
            ("award.level", current.level != terms.level),
            ("award.start_date", current.start_date != terms.start_date),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(path, _)| path.to_string())
        .collect();
        if changed.is_empty() {
            return Err(ApplicationError::Invalid {
                problems: vec![FieldProblem::new(
                    "terms",
                    "nothing to correct: give at least one value that differs from the award's",
                )],
            });
        }
        let mut events = vec![ApplicationEvent::AwardTermsCorrected {
            terms: terms.into(),
            reason: reason.into(),
        }];
        for (recipient_id, (recipient_name, sent)) in &self.disclosed {
            let fields: Vec<String> = sent.intersection(&changed).cloned().collect();
            if !fields.is_empty() {
                events.push(ApplicationEvent::RectificationNoticeDue {
                    recipient_id: recipient_id.clone(),
                    recipient_name: recipient_name.clone(),
                    fields,
                });
            }
        }
        Ok(events)
    }

    /// `concluded_with_cycle`: when its cycle is concluded, an application still being decided (submitted,
    /// eligible, under review), a reserve never promoted and a selected application never awarded end
    /// unsuccessful. A draft keeps its own rule; a decided, withdrawn or awarded application is left as it is.
    fn conclude_with_cycle(&self, on: NaiveDate) -> Vec<ApplicationEvent> {
        if concluded_with_cycle(self.status) {
            vec![ApplicationEvent::ConcludedWithCycle {
                on,
                previous_status: self.status,
            }]
        } else {
            vec![]
        }
    }

    /// A programme officer assigns committee members to an eligible application, which puts it under review.
    async fn assign(
        &self,
        member_id: String,
        services: &ApplicationServices,
        action: &'static str,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        if !matches!(self.status, Status::Eligible | Status::UnderReview) {
            return Err(self.invalid_state(action));
        }
        let role = services
            .staff
            .role_of(&member_id)
            .await
            .map_err(|_| ApplicationError::DirectoryUnavailable)?;
        if role != Some(Role::CommitteeMember) {
            return Err(ApplicationError::NotACommitteeMember);
        }
        if self.conflicted.contains(&member_id) {
            return Err(ApplicationError::MemberConflicted);
        }
        if self.assigned.contains(&member_id) {
            return Ok(vec![]);
        }
        Ok(vec![ApplicationEvent::CommitteeMemberAssigned {
            member_id,
        }])
    }

    /// A committee member acts only on the applications assigned to them.
    pub(super) fn require_assigned(&self, by: &Actor) -> Result<(), ApplicationError> {
        if self.assigned.contains(&by.user_id) {
            Ok(())
        } else {
            Err(ApplicationError::NotAssigned)
        }
    }

    fn answer_offer(&mut self, state: OfferState) {
        if let Some(offer) = &mut self.administration.offer {
            offer.state = state;
        }
    }

    pub(super) fn require(
        &self,
        status: Status,
        action: &'static str,
    ) -> Result<(), ApplicationError> {
        if self.status == status {
            Ok(())
        } else {
            Err(self.invalid_state(action))
        }
    }

    pub(super) fn invalid_state(&self, action: &'static str) -> ApplicationError {
        ApplicationError::InvalidState {
            action,
            status: self.status,
        }
    }
}

/// `concluded_with_cycle`: the statuses that a cycle's conclusion ends as unsuccessful.
pub fn concluded_with_cycle(status: Status) -> bool {
    matches!(
        status,
        Status::Submitted
            | Status::Eligible
            | Status::UnderReview
            | Status::Selected
            | Status::Reserve
    )
}

/// `ends_with_the_cycle`: the commands that move a case on through its cycle, refused once the cycle is
/// concluded (its applications are then all decided, withdrawn, drafts or awards).
pub fn ends_with_the_cycle(command: &ApplicationCommand) -> bool {
    use ApplicationCommand as C;
    matches!(
        command,
        C::SubmitApplication { .. }
            | C::DetermineEligibility { .. }
            | C::AssignCommitteeMember { .. }
            | C::ScoreApplication { .. }
            | C::RecordDecision { .. }
            | C::MakeOffer { .. }
            | C::MakeAward { .. }
    )
}

/// Which role may issue which command. Applicants act on their own application; the Help Desk amends;
/// programme officers run the case; committee members declare conflicts and score; information officers
/// run retention.
pub fn may_issue(role: Role, command: &ApplicationCommand) -> bool {
    use ApplicationCommand as C;
    match command {
        C::StartApplication { .. }
        | C::SaveDraft { .. }
        | C::SubmitApplication { .. }
        | C::WithdrawApplication
        | C::AcceptOffer
        | C::DeclineOffer => role == Role::Applicant,
        // The daily sweep, which acts as an information officer, records offers that lapsed and the reminders
        // of reports due that it sent.
        C::LapseOffer { .. } | C::RecordReportReminder { .. } => {
            matches!(role, Role::ProgrammeOfficer | Role::InformationOfficer)
        }
        C::SetPreferences { .. } => matches!(role, Role::Applicant | Role::ProgrammeOfficer),
        C::AmendPersonalData { .. } => role == Role::Helpdesk,
        C::DetermineEligibility { .. }
        | C::AssignCommitteeMember { .. }
        | C::RecordDecision { .. }
        | C::MakeAward { .. }
        | C::MakeOffer { .. }
        | C::RecordSupervisor { .. }
        | C::SetReportSchedule { .. }
        | C::RecordProgressReport { .. }
        | C::RecordResult { .. }
        | C::CompleteAward { .. }
        | C::OverrideScreening { .. }
        | C::CorrectAwardTerms { .. }
        | C::CorrectCompletionOutcome { .. } => role == Role::ProgrammeOfficer,
        C::DeclareConflict { .. } | C::ScoreApplication { .. } => role == Role::CommitteeMember,
        C::DiscloseData { .. }
        | C::MarkRectificationNoticeSent { .. }
        | C::RecordRecheck { .. } => role == Role::ProgrammeOfficer,
        // The letter follows the officer's decision or award (or the cycle's conclusion, which the retention
        // sweep carries out as an information officer); its email is recorded by the service.
        C::IssueLetter { .. }
        | C::RecordLetterEmailed { .. }
        | C::RecordLetterEmailFailed { .. } => {
            matches!(role, Role::ProgrammeOfficer | Role::InformationOfficer)
        }
        // The retention sweep, which acts as an information officer, concludes what nobody concluded.
        C::ConcludeWithCycle => {
            matches!(role, Role::ProgrammeOfficer | Role::InformationOfficer)
        }
        C::DestroyPersonalData { .. }
        | C::ReapplyDestruction { .. }
        | C::RestrictProcessing { .. }
        | C::LiftRestriction { .. }
        | C::HonourObjection { .. }
        | C::RectifyPersonalData { .. }
        | C::RecordStatementOfDispute { .. } => role == Role::InformationOfficer,
    }
}

/// While processing is restricted the case does not move: no assessment, decision, award, disclosure or
/// change of preferences (but one that only opts out: `only_narrows`). The data can still be corrected
/// (rectification), the application withdrawn, the restriction lifted and, on erasure or retention, the data
/// destroyed.
pub fn halted_by_restriction(command: &ApplicationCommand) -> bool {
    use ApplicationCommand as C;
    matches!(
        command,
        C::SaveDraft { .. }
            | C::SubmitApplication { .. }
            | C::SetPreferences { .. }
            | C::DetermineEligibility { .. }
            | C::AssignCommitteeMember { .. }
            | C::ScoreApplication { .. }
            | C::RecordDecision { .. }
            | C::MakeOffer { .. }
            | C::MakeAward { .. }
            | C::RecordSupervisor { .. }
            | C::SetReportSchedule { .. }
            | C::RecordProgressReport { .. }
            | C::RecordResult { .. }
            | C::RecordReportReminder { .. }
            | C::CompleteAward { .. }
            | C::DiscloseData { .. }
    )
}

/// `an_opt_out_only_narrows_processing`: while processing is restricted, a change of preferences that only
/// opts out (takes back no opt-out) is still recorded: it narrows what is done with the data, as the
/// restriction itself does.
fn only_narrows(command: &ApplicationCommand, application: &Application) -> bool {
    match command {
        ApplicationCommand::SetPreferences { preferences, .. } => {
            application.form.preferences.only_narrowed_by(*preferences)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::RecordKind;

    /// The events of an application assessed by one committee member, with these marks, then destroyed.
    fn assessed_then_destroyed(scores: Personal<Scores>) -> Application {
        let mut application = Application::default();
        for event in [
            ApplicationEvent::CommitteeMemberAssigned {
                member_id: "member-1".to_string(),
            },
            ApplicationEvent::ApplicationScored {
                member_id: "member-1".to_string(),
                scores,
            },
            ApplicationEvent::PersonalDataDestroyed {
                rule: RecordKind::ErasedOnRequest,
                destroyed_on: chrono::NaiveDate::from_ymd_opt(2028, 6, 1).expect("a date"),
            },
        ] {
            application.apply(event);
        }
        application
    }

    /// Regression: destruction kept each member's total, worked out from the sealed marks, in the live
    /// aggregate (and so in the in-process cache), while a reload of the stream, whose marks then read as
    /// destroyed, gave 0. The destroyed application now keeps no marks, live or reloaded.
    #[test]
    fn a_destroyed_application_keeps_no_marks_and_reloads_as_it_was_left() {
        let marks = Scores {
            leadership: 7,
            networking: 8,
            study_plan: 6,
            career_plan: 9,
            comment: "a strong plan".to_string(),
        };
        let live = assessed_then_destroyed(Personal::Known(marks));
        let reloaded = assessed_then_destroyed(Personal::Destroyed);
        assert!(live.scored.is_empty(), "{:?}", live.scored);
        assert_eq!(live, reloaded);
    }
}
