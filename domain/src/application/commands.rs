//! What people ask of an application. Each command arrives in an [`Authored`](crate::Authored) envelope
//! that says who asked and when.

use crate::screening::ScreeningRule;
use chrono::NaiveDate;

use super::award::{ProgressReport, QualificationResult, ReportSource, Supervisor};
use super::events::{AwardTerms, NoticeVersion, Scores};
use super::form::{DraftChanges, Preferences, PreferencesChange};
use super::letters::LetterKind;
use super::status::Outcome;
use crate::cycle::CycleName;
use crate::retention::RecordKind;
use crate::sharing::RecipientFacts;

#[derive(Clone, Debug, PartialEq)]
pub enum ApplicationCommand {
    /// An applicant starts an application in a cycle.
    StartApplication {
        cycle: CycleName,
    },
    /// The applicant saves part of the form ("save and come back later").
    SaveDraft {
        changes: DraftChanges,
    },
    /// The applicant submits, having been shown the privacy notice of this version (`None`: none was shown,
    /// as when the programme's own tools submit).
    SubmitApplication {
        notice: Option<NoticeVersion>,
    },
    WithdrawApplication,
    /// The applicant (while a draft) or a programme officer (at any time) sets the four opt-outs.
    SetPreferences {
        preferences: Preferences,
        reason: Option<String>,
    },
    /// The Help Desk records, at the applicant's request, a change to personal data. `changes` maps contract
    /// paths (`personal.email`) to new values; paths outside the personal details are refused.
    AmendPersonalData {
        changes: Vec<(String, String)>,
        reason: String,
        requested_by: String,
    },
    DetermineEligibility {
        eligible: bool,
        reason: String,
    },
    AssignCommitteeMember {
        member_id: String,
    },
    DeclareConflict {
        reason: String,
    },
    ScoreApplication {
        scores: Scores,
    },
    /// `reserve_position`: where a reserve stands on the cycle's reserve list (1 first), when the decision
    /// comes from the ranking (`ranking::plan_decisions`); `None` for a decision taken on its own.
    RecordDecision {
        outcome: Outcome,
        reserve_position: Option<u32>,
    },
    /// A programme officer offers the scholarship to a selected applicant, to be answered by `reply_by` (the
    /// service gives the tenth UK working day after today when none is chosen).
    MakeOffer {
        reply_by: NaiveDate,
    },
    /// The applicant accepts the offer made to them.
    AcceptOffer,
    /// The applicant declines the offer made to them.
    DeclineOffer,
    /// The daily sweep, run for the day `on`, records an offer not answered by its reply-by date as lapsed.
    LapseOffer {
        on: NaiveDate,
    },
    /// A programme officer records (or changes) the scholar's academic supervisor.
    RecordSupervisor {
        supervisor: Supervisor,
    },
    /// A programme officer sets the dates the award's progress reports fall due.
    SetReportSchedule {
        due: Vec<NaiveDate>,
    },
    /// A programme officer records a progress report received from the supervisor or the scholar.
    RecordProgressReport {
        report_id: String,
        source: ReportSource,
        report: ProgressReport,
    },
    /// The daily sweep records that the reminder of a progress report due on `due_on` was emailed, to the
    /// kinds of recipient in `sent_to` (`supervisor`, `programme_office`): no address is kept.
    RecordReportReminder {
        due_on: NaiveDate,
        sent_to: Vec<String>,
    },
    /// A programme officer records the result the institution released.
    RecordResult {
        result: QualificationResult,
    },
    MakeAward {
        terms: AwardTerms,
        joint_sponsor_id: Option<String>,
    },
    CompleteAward {
        outcome: String,
        completed_on: NaiveDate,
    },
    /// A programme officer corrects the terms of an award made (or completed): the fields given replace
    /// those recorded, with the reason.
    CorrectAwardTerms {
        institution: Option<String>,
        course: Option<String>,
        level: Option<String>,
        start_date: Option<NaiveDate>,
        reason: String,
    },
    /// A programme officer corrects the outcome recorded when the award was completed, with the reason.
    CorrectCompletionOutcome {
        outcome: String,
        reason: String,
    },
    /// A programme officer sends chosen fields to a registered recipient, for a stated purpose. Whether the
    /// policy allows it is decided here; a refusal is recorded too.
    DiscloseData {
        disclosure_id: String,
        recipient: RecipientFacts,
        purpose: String,
        fields: Vec<String>,
    },
    /// A programme officer has checked eligibility and the recipients again after nationality or residence
    /// was amended, and says what was found.
    RecordRecheck {
        note: String,
    },
    /// A rectification was refused and the data subject sent their view that the data is inaccurate: an
    /// information officer keeps the statement with the application (once per request).
    RecordStatementOfDispute {
        request_id: String,
        statement: String,
    },
    /// A programme officer has told a recipient of the corrections they were due.
    MarkRectificationNoticeSent {
        recipient_id: String,
    },
    /// The application's cycle was concluded: an application still undecided, on the reserve list or selected
    /// without an award ends unsuccessful as of the day of the cycle's conclusion, and its two years of
    /// retention run from that day. Anything else (a draft, a decided, withdrawn or awarded application) is
    /// left as it is. Refused while the cycle is not concluded.
    ConcludeWithCycle,
    /// The retention sweep (or an approved erasure) destroys the application's personal data. The caller
    /// has found it due under `rule`; the rule must fit what the application now is.
    DestroyPersonalData {
        rule: RecordKind,
        destroyed_on: NaiveDate,
    },
    /// The ledger of destroyed streams says this application was destroyed under `rule` on `destroyed_on`,
    /// and a restored backup holds it again, as it stood before: it is destroyed again, whatever status the
    /// backup kept it at (the ledger is the record of what was destroyed; the backup is not).
    ReapplyDestruction {
        rule: RecordKind,
        destroyed_on: NaiveDate,
    },
    /// The information officer restricts processing at the subject's request.
    RestrictProcessing {
        request_id: Option<String>,
        reason: String,
    },
    LiftRestriction {
        reason: String,
    },
    /// The information officer grants a rectification request (`request_id`, UK GDPR Art 16) by the same
    /// path as a Help Desk amendment: the same fields, the same checks, the same notices to recipients.
    RectifyPersonalData {
        request_id: String,
        changes: Vec<(String, String)>,
        reason: String,
    },
    /// The information officer upheld an objection (request `request_id`): the uses objected to stop, by
    /// setting the opt-outs that match them. Unlike a change of preferences it is not halted by a
    /// restriction, since it only narrows what is done with the data.
    HonourObjection {
        request_id: String,
        opt_outs: PreferencesChange,
    },
    /// A programme officer waives rules of the cycle's screening for this draft, with a reason (a case the
    /// rules did not foresee); the applicant can then submit without meeting them.
    OverrideScreening {
        rules: Vec<ScreeningRule>,
        reason: String,
    },
    /// Once an outcome is recorded, the letter that tells the applicant of it (rendered by the service from
    /// the programme's template) is issued; it must fit the outcome. `by_email`: it is also to be emailed.
    IssueLetter {
        letter_id: String,
        kind: LetterKind,
        subject: String,
        body: String,
        by_email: bool,
    },
    /// The mail server took the letter for the applicant's email address.
    RecordLetterEmailed {
        letter_id: String,
    },
    /// The letter could not be emailed, for a reason that names no one.
    RecordLetterEmailFailed {
        letter_id: String,
        reason: String,
    },
}

impl ApplicationCommand {
    /// A short name for the command, used in refusals ("cannot submit an application that is withdrawn").
    pub fn action(&self) -> &'static str {
        match self {
            ApplicationCommand::StartApplication { .. } => "start",
            ApplicationCommand::SaveDraft { .. } => "edit",
            ApplicationCommand::SubmitApplication { .. } => "submit",
            ApplicationCommand::WithdrawApplication => "withdraw",
            ApplicationCommand::SetPreferences { .. } => "change the preferences of",
            ApplicationCommand::AmendPersonalData { .. } => "amend",
            ApplicationCommand::DetermineEligibility { .. } => "determine the eligibility of",
            ApplicationCommand::AssignCommitteeMember { .. } => "assign a committee member to",
            ApplicationCommand::DeclareConflict { .. } => "declare a conflict on",
            ApplicationCommand::ScoreApplication { .. } => "score",
            ApplicationCommand::RecordDecision { .. } => "decide",
            ApplicationCommand::MakeOffer { .. } => "make an offer on",
            ApplicationCommand::AcceptOffer => "accept the offer on",
            ApplicationCommand::DeclineOffer => "decline the offer on",
            ApplicationCommand::LapseOffer { .. } => "lapse the offer on",
            ApplicationCommand::RecordSupervisor { .. } => "record the supervisor of",
            ApplicationCommand::SetReportSchedule { .. } => "set the report schedule of",
            ApplicationCommand::RecordProgressReport { .. } => "record a progress report on",
            ApplicationCommand::RecordResult { .. } => "record the result of",
            ApplicationCommand::RecordReportReminder { .. } => "record a report reminder on",
            ApplicationCommand::MakeAward { .. } => "award",
            ApplicationCommand::CompleteAward { .. } => "complete the award of",
            ApplicationCommand::CorrectAwardTerms { .. } => "correct the award of",
            ApplicationCommand::CorrectCompletionOutcome { .. } => {
                "correct the completion outcome of"
            }
            ApplicationCommand::DiscloseData { .. } => "disclose data of",
            ApplicationCommand::RecordRecheck { .. } => "record the check of",
            ApplicationCommand::RecordStatementOfDispute { .. } => {
                "record the subject's statement on"
            }
            ApplicationCommand::MarkRectificationNoticeSent { .. } => {
                "record a rectification notice for"
            }
            ApplicationCommand::DestroyPersonalData { .. }
            | ApplicationCommand::ReapplyDestruction { .. } => "destroy",
            ApplicationCommand::ConcludeWithCycle => "conclude",
            ApplicationCommand::RestrictProcessing { .. } => "restrict",
            ApplicationCommand::LiftRestriction { .. } => "lift the restriction of",
            ApplicationCommand::HonourObjection { .. } => "honour an objection on",
            ApplicationCommand::RectifyPersonalData { .. } => "rectify",
            ApplicationCommand::IssueLetter { .. } => "issue a letter on",
            ApplicationCommand::OverrideScreening { .. } => "override the screening of",
            ApplicationCommand::RecordLetterEmailed { .. }
            | ApplicationCommand::RecordLetterEmailFailed { .. } => {
                "record the email of a letter on"
            }
        }
    }
}
