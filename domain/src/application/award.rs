//! Administering an award: the offer and its reply, the academic supervisor, the schedule of progress
//! reports and the reports themselves, and the institution's release of the result.
//!
//! The policy: "If your application is successful, data you provided at application will be used to
//! administer your scholarship. The Committee may contact your academic supervisor in the UK/other country of
//! study to obtain information on your progress … your school/college/university will release details of
//! your certificate/diploma/degree results … reports on your progress may be sent to the British Embassy or
//! High Commission or the Embassy of other country you selected to study in your home country."
//!
//! Each rule below is named after what it keeps true; the aggregate calls them.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::error::ApplicationError;
use super::events::{ApplicationEvent, AwardTerms};
use super::rules::FieldProblem;
use super::status::Status;

/// Where an offer made in the system stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    /// Made, waiting for the applicant's reply until `reply_by` (inclusive).
    Open,
    Accepted,
    Declined,
    /// Not answered by its reply-by date.
    Lapsed,
}

impl OfferState {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferState::Open => "open",
            OfferState::Accepted => "accepted",
            OfferState::Declined => "declined",
            OfferState::Lapsed => "lapsed",
        }
    }

    pub fn in_words(self) -> &'static str {
        match self {
            OfferState::Open => "waiting for the applicant's reply",
            OfferState::Accepted => "accepted",
            OfferState::Declined => "declined",
            OfferState::Lapsed => "lapsed: not answered by its reply-by date",
        }
    }
}

/// An offer made in the system: when the applicant must reply by, and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub reply_by: NaiveDate,
    pub state: OfferState,
}

/// The scholar's academic supervisor at the place of study: a data subject in their own right.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervisor {
    pub name: String,
    pub email: String,
    pub institution: String,
    pub department: String,
}

/// Who a progress report came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    Supervisor,
    Scholar,
}

impl ReportSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportSource::Supervisor => "supervisor",
            ReportSource::Scholar => "scholar",
        }
    }

    pub fn parse(name: &str) -> Option<ReportSource> {
        [ReportSource::Supervisor, ReportSource::Scholar]
            .into_iter()
            .find(|source| source.as_str() == name)
    }

    pub fn in_words(self) -> &'static str {
        match self {
            ReportSource::Supervisor => "the academic supervisor",
            ReportSource::Scholar => "the scholar",
        }
    }
}

/// The fixed scale a progress report is rated on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressRating {
    Excellent,
    Good,
    Satisfactory,
    Concern,
}

impl ProgressRating {
    pub const ALL: [ProgressRating; 4] = [
        ProgressRating::Excellent,
        ProgressRating::Good,
        ProgressRating::Satisfactory,
        ProgressRating::Concern,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProgressRating::Excellent => "excellent",
            ProgressRating::Good => "good",
            ProgressRating::Satisfactory => "satisfactory",
            ProgressRating::Concern => "concern",
        }
    }

    pub fn parse(name: &str) -> Option<ProgressRating> {
        Self::ALL.into_iter().find(|rating| rating.as_str() == name)
    }

    pub fn in_words(self) -> &'static str {
        match self {
            ProgressRating::Excellent => "Excellent",
            ProgressRating::Good => "Good",
            ProgressRating::Satisfactory => "Satisfactory",
            ProgressRating::Concern => "A cause for concern",
        }
    }
}

/// What a progress report says: the period it covers, its rating and its text. It is about the scholar, so
/// it travels sealed as personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReport {
    pub period: String,
    pub rating: ProgressRating,
    pub text: String,
}

/// The institution's release of the qualification's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationResult {
    pub qualification: String,
    pub result: String,
    pub released_on: NaiveDate,
    pub released_by: String,
}

impl QualificationResult {
    /// The completion's outcome, as the result gives it.
    pub fn outcome(&self) -> String {
        format!("{}: {}", self.qualification, self.result)
    }
}

/// The reports recorded and due on an award, as far as its rules need them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administration {
    #[serde(default)]
    pub offer: Option<Offer>,
    #[serde(default)]
    pub supervisor: Option<Supervisor>,
    /// The report schedule the officer set; `None`: the default for the award's terms.
    #[serde(default)]
    pub schedule: Option<Vec<NaiveDate>>,
    /// The reports recorded, in order.
    #[serde(default)]
    pub reports: Vec<RecordedReport>,
    #[serde(default)]
    pub result: Option<QualificationResult>,
    /// The due dates whose reminder was emailed.
    #[serde(default)]
    pub reminded: Vec<NaiveDate>,
}

/// A progress report as the award's rules keep it; `report` is `None` once the personal data is destroyed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedReport {
    pub report_id: String,
    pub source: ReportSource,
    pub due_on: Option<NaiveDate>,
    pub report: Option<ProgressReport>,
}

/// How long a course at this level runs, in months: a doctorate three years, a bachelor's degree three, a
/// master's degree and anything else one.
pub fn course_months(level: &str) -> u32 {
    let level = level.to_lowercase();
    if ["phd", "dphil", "doctor"]
        .iter()
        .any(|word| level.contains(word))
        || level.contains("bachelor")
        || level.contains("undergraduate")
    {
        36
    } else {
        12
    }
}

/// `reports_are_due_termly`: unless the officer sets other dates, a report falls due at the end of each term
/// of the course — every four months from its start, to its end.
pub fn default_report_schedule(terms: &AwardTerms) -> Vec<NaiveDate> {
    let months = course_months(&terms.level);
    (1..=months / 4)
        .filter_map(|term| terms.start_date.checked_add_months(Months::new(term * 4)))
        .collect()
}

impl Administration {
    /// The dates reports fall due on this award.
    pub fn schedule(&self, terms: Option<&AwardTerms>) -> Vec<NaiveDate> {
        match (&self.schedule, terms) {
            (Some(dates), _) => dates.clone(),
            (None, Some(terms)) => default_report_schedule(terms),
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

impl Administration {
    /// The reports as a recipient is sent them, one line each: period, rating, source and text.
    pub fn reports_as_sent(&self) -> String {
        let lines: Vec<String> = self
            .reports
            .iter()
            .filter_map(|recorded| {
                recorded.report.as_ref().map(|report| {
                    format!(
                        "{} ({}, from {}): {}",
                        report.period,
                        report.rating.in_words(),
                        recorded.source.in_words(),
                        report.text
                    )
                })
            })
            .collect();
        if lines.is_empty() {
            "no progress report recorded".to_string()
        } else {
            lines.join("\n")
        }
    }
}

/// `an_offer_is_made_to_a_selected_applicant`: a selected applicant without an offer may be made one, with a
/// reply-by date after the day it is made.
pub fn make_offer(
    status: Status,
    offer: Option<&Offer>,
    reply_by: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    if status != Status::Selected {
        return Err(ApplicationError::NotSelected { status });
    }
    if let Some(offer) = offer {
        return Err(ApplicationError::OfferAlreadyMade {
            state: offer.state.as_str(),
        });
    }
    if reply_by <= today {
        return Err(ApplicationError::Invalid {
            problems: vec![FieldProblem::new(
                "reply_by",
                "the reply-by date must be after today",
            )],
        });
    }
    Ok(vec![ApplicationEvent::OfferMade { reply_by }])
}

/// `an_offer_is_answered_by_its_reply_by_date`: an open offer may be accepted or declined up to and including
/// its reply-by date; after it the offer has lapsed, whether or not the sweep has recorded it yet. A declined
/// offer ends the application unsuccessful.
pub fn answer_offer(
    offer: Option<&Offer>,
    accept: bool,
    today: NaiveDate,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    let offer = open_offer(offer)?;
    if today > offer.reply_by {
        return Err(ApplicationError::NoOpenOffer {
            why: "the offer lapsed: it was not answered by its reply-by date",
        });
    }
    Ok(vec![if accept {
        ApplicationEvent::OfferAccepted { on: today }
    } else {
        ApplicationEvent::OfferDeclined { on: today }
    }])
}

/// `an_unanswered_offer_lapses_the_day_after_its_reply_by_date`: never on the reply-by date itself. `today`
/// is the day the sweep runs for.
pub fn lapse_offer(
    offer: Option<&Offer>,
    today: NaiveDate,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    let offer = open_offer(offer)?;
    if today <= offer.reply_by {
        return Err(ApplicationError::NoOpenOffer {
            why: "the offer is still open: it lapses only the day after its reply-by date",
        });
    }
    Ok(vec![ApplicationEvent::OfferLapsed { on: today }])
}

fn open_offer(offer: Option<&Offer>) -> Result<&Offer, ApplicationError> {
    match offer {
        None => Err(ApplicationError::NoOpenOffer {
            why: "no offer has been made",
        }),
        Some(offer) if offer.state != OfferState::Open => Err(ApplicationError::NoOpenOffer {
            why: match offer.state {
                OfferState::Accepted => "the offer has already been accepted",
                OfferState::Declined => "the offer has already been declined",
                _ => "the offer lapsed: it was not answered by its reply-by date",
            },
        }),
        Some(offer) => Ok(offer),
    }
}

/// `an_award_waits_for_the_offer_to_be_accepted`: where an offer was made in the system, the award is
/// recorded only once it is accepted. With no offer in the system the award may follow selection directly
/// (an offer accepted outside the system).
pub fn award_may_follow(offer: Option<&Offer>) -> Result<(), ApplicationError> {
    match offer {
        Some(offer) if offer.state != OfferState::Accepted => {
            Err(ApplicationError::OfferNotAccepted {
                state: offer.state.as_str(),
            })
        }
        _ => Ok(()),
    }
}

/// `make_award`: only a selected application is awarded, and where an offer was made, only once it is
/// accepted.
pub fn make_award(
    status: Status,
    offer: Option<&Offer>,
    terms: AwardTerms,
    joint_sponsor_id: Option<String>,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    if status != Status::Selected {
        return Err(ApplicationError::NotSelected { status });
    }
    award_may_follow(offer)?;
    Ok(vec![ApplicationEvent::AwardMade {
        terms: terms.into(),
        joint_sponsor_id,
    }])
}

/// `correct_completion_outcome`: the outcome of a completed award (alumni) is corrected with a reason.
pub fn correct_completion_outcome(
    status: Status,
    outcome: String,
    reason: String,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    if status != Status::Alumni {
        return Err(ApplicationError::NotCompleted { status });
    }
    let reason = correction_reason(&reason)?;
    let outcome = outcome.trim().to_string();
    if outcome.is_empty() {
        return Err(ApplicationError::Invalid {
            problems: vec![FieldProblem::new("outcome", "give the corrected outcome")],
        });
    }
    Ok(vec![ApplicationEvent::CompletionOutcomeCorrected {
        outcome: outcome.into(),
        reason: reason.into(),
    }])
}

/// `correction_reason`: a correction gives its reason (at most 2000 characters).
pub(super) fn correction_reason(reason: &str) -> Result<String, ApplicationError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApplicationError::Invalid {
            problems: vec![FieldProblem::new(
                "reason",
                "say why it is corrected, in at most 2000 characters",
            )],
        });
    }
    Ok(reason.to_string())
}

fn text_field(
    problems: &mut Vec<FieldProblem>,
    name: &'static str,
    value: &str,
    max: usize,
    missing: &'static str,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        problems.push(FieldProblem::new(name, missing));
    } else if value.chars().count() > max {
        problems.push(FieldProblem::new(
            name,
            format!("must be at most {max} characters"),
        ));
    }
    value.to_string()
}

fn require_award(status: Status) -> Result<(), ApplicationError> {
    if matches!(status, Status::Awarded | Status::Alumni) {
        Ok(())
    } else {
        Err(ApplicationError::NotAwarded { status })
    }
}

/// `a_supervisor_is_recorded_for_an_award`: name, email, institution and department, each given; recorded
/// again whenever it changes (the events are its history). Recording the same supervisor again records
/// nothing.
pub fn record_supervisor(
    status: Status,
    current: Option<&Supervisor>,
    supervisor: Supervisor,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    require_award(status)?;
    let mut problems = Vec::new();
    let name = text_field(
        &mut problems,
        "name",
        &supervisor.name,
        200,
        "enter the supervisor's name",
    );
    let email = text_field(
        &mut problems,
        "email",
        &supervisor.email,
        254,
        "enter the supervisor's email address",
    );
    if !email.is_empty()
        && let Err(problem) = super::form::parse_email(&email)
    {
        problems.push(FieldProblem::new("email", problem));
    }
    let institution = text_field(
        &mut problems,
        "institution",
        &supervisor.institution,
        200,
        "enter the supervisor's institution",
    );
    let department = text_field(
        &mut problems,
        "department",
        &supervisor.department,
        200,
        "enter the supervisor's department",
    );
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid { problems });
    }
    let supervisor = Supervisor {
        name,
        email,
        institution,
        department,
    };
    if current == Some(&supervisor) {
        return Ok(vec![]);
    }
    Ok(vec![ApplicationEvent::SupervisorRecorded {
        supervisor: supervisor.into(),
    }])
}

/// `a_report_schedule_is_dates_per_award`: the officer replaces the schedule with dates of their own — at
/// least one, at most sixty, each once, none before the study starts.
pub fn set_report_schedule(
    status: Status,
    terms: Option<&AwardTerms>,
    mut due: Vec<NaiveDate>,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    require_award(status)?;
    due.sort();
    due.dedup();
    let starts = terms.map(|terms| terms.start_date);
    let problem = if due.is_empty() {
        Some("give at least one date a report is due")
    } else if due.len() > 60 {
        Some("give at most 60 dates")
    } else if starts.is_some_and(|start| due[0] < start) {
        Some("a report cannot fall due before the study starts")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(ApplicationError::Invalid {
            problems: vec![FieldProblem::new("due", problem)],
        });
    }
    Ok(vec![ApplicationEvent::ReportScheduleSet { due }])
}

/// `a_progress_report_is_recorded_against_its_due_date`: the period, who it came from, a rating on the fixed
/// scale and its text. It answers the earliest due date still outstanding on or before the day it is
/// recorded (or, with none passed, the next one), so the desk knows what remains due.
pub fn record_progress_report(
    status: Status,
    administration: &Administration,
    terms: Option<&AwardTerms>,
    report_id: String,
    source: ReportSource,
    report: ProgressReport,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    require_award(status)?;
    let mut problems = Vec::new();
    let period = text_field(
        &mut problems,
        "period",
        &report.period,
        100,
        "enter the period the report covers, like Autumn term 2027",
    );
    let text = text_field(
        &mut problems,
        "text",
        &report.text,
        10_000,
        "enter what the report says",
    );
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid { problems });
    }
    if administration
        .reports
        .iter()
        .any(|recorded| recorded.report_id == report_id)
    {
        return Ok(vec![]);
    }
    let due_on = administration.outstanding(terms).into_iter().next();
    Ok(vec![ApplicationEvent::ProgressReportRecorded {
        report_id,
        source,
        due_on,
        report: ProgressReport {
            period,
            rating: report.rating,
            text,
        }
        .into(),
    }])
}

/// `a_report_reminder_is_sent_once_per_due_date`: the sweep records the reminder of a report due on a date
/// of the award's schedule, not yet answered, to at least one kind of recipient; a second reminder of the
/// same date records nothing.
pub fn record_report_reminder(
    status: Status,
    administration: &Administration,
    terms: Option<&AwardTerms>,
    due_on: NaiveDate,
    mut sent_to: Vec<String>,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    if status != Status::Awarded {
        return Err(ApplicationError::NotAwarded { status });
    }
    if administration.reminded.contains(&due_on) {
        return Ok(vec![]);
    }
    sent_to.sort();
    sent_to.dedup();
    let problem = if !administration.outstanding(terms).contains(&due_on) {
        Some(("due_on", "no report is outstanding on that date"))
    } else if sent_to.is_empty()
        || sent_to
            .iter()
            .any(|to| !["supervisor", "programme_office"].contains(&to.as_str()))
    {
        Some(("sent_to", "give supervisor or programme_office"))
    } else {
        None
    };
    if let Some((path, problem)) = problem {
        return Err(ApplicationError::Invalid {
            problems: vec![FieldProblem::new(path, problem)],
        });
    }
    Ok(vec![ApplicationEvent::ReportReminderSent {
        due_on,
        sent_to,
    }])
}

/// `results_are_released_by_the_institution`: the qualification, its result, the day it was released (not
/// after today) and who released it.
pub fn record_result(
    status: Status,
    result: QualificationResult,
    today: NaiveDate,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    require_award(status)?;
    let mut problems = Vec::new();
    let qualification = text_field(
        &mut problems,
        "qualification",
        &result.qualification,
        200,
        "enter the qualification, like MSc Public Health",
    );
    let outcome = text_field(
        &mut problems,
        "result",
        &result.result,
        200,
        "enter the result, like Distinction",
    );
    let released_by = text_field(
        &mut problems,
        "released_by",
        &result.released_by,
        200,
        "enter who released the result, like the registry of the university",
    );
    if result.released_on > today {
        problems.push(FieldProblem::new(
            "released_on",
            "the date the result was released must be today or in the past",
        ));
    }
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid { problems });
    }
    Ok(vec![ApplicationEvent::ResultReleased {
        result: QualificationResult {
            qualification,
            result: outcome,
            released_on: result.released_on,
            released_by,
        }
        .into(),
    }])
}

/// `studies_are_completed_on_a_day_that_has_come`: an award is completed on a day that is not after today,
/// so that the Alumni Open Book never shows someone before their studies end. The outcome is the one given,
/// or, when none is given, the result the institution released.
pub fn complete_award(
    status: Status,
    result: Option<&QualificationResult>,
    outcome: &str,
    completed_on: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<ApplicationEvent>, ApplicationError> {
    if status != Status::Awarded {
        return Err(ApplicationError::NotAwarded { status });
    }
    let mut problems = Vec::new();
    if completed_on > today {
        problems.push(FieldProblem::new(
            "completed_on",
            "the studies must have been completed: the date must be today or in the past",
        ));
    }
    let outcome = match (outcome.trim(), result) {
        ("", Some(result)) => result.outcome(),
        ("", None) => {
            problems.push(FieldProblem::new(
                "outcome",
                "enter the outcome, or record the result the institution released first",
            ));
            String::new()
        }
        (given, _) => given.to_string(),
    };
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid { problems });
    }
    Ok(vec![ApplicationEvent::AwardCompleted {
        completed_on,
        outcome: outcome.into(),
    }])
}
