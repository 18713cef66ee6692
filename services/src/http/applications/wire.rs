//! The wire shapes of CONTRACT.md's Applications section: request bodies parsed into domain commands at the
//! edge, and the application view rendered for whoever asks.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};

use domain::Role;
use domain::access::{Section, View, view_of};
use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{
    CourseChoice, DraftChanges, Essay, HistoryEntry, PersonalField, Preferences, PreferencesChange,
    Referee,
};
use domain::application::rules::FieldProblem;
use domain::country::Country;
use domain::screening::ScreeningRule;
use projections::application_view::ApplicationView;

/// A partial application: any of the sections, each as in the application body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    /// The fields given are set; an empty string or `null` clears one.
    #[schema(value_type = Option<schema::PersonalSection>)]
    personal: Option<Map<String, Value>>,
    /// The whole list, replacing what was there.
    #[schema(value_type = Option<Vec<Object>>)]
    education: Option<Vec<Map<String, Value>>>,
    /// The whole list, replacing what was there.
    #[schema(value_type = Option<Vec<Object>>)]
    employment: Option<Vec<Map<String, Value>>>,
    /// One to three at submission; the whole list, replacing what was there.
    courses: Option<Vec<CourseBody>>,
    /// The essays given are set; an empty string or `null` clears one.
    #[schema(value_type = Option<schema::EssaysSection>)]
    essays: Option<Map<String, Value>>,
    referees: Option<Vec<RefereeBody>>,
    preferences: Option<PreferencesPatchBody>,
    /// The applicant commits (`true`) or not (`false`) to return home for two years after the award; a
    /// cycle's screening may ask for it.
    return_home: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CourseBody {
    #[serde(default)]
    institution: String,
    #[serde(default)]
    course: String,
    #[serde(default)]
    level: String,
    /// The country of study (`United Kingdom` where absent).
    country: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefereeBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreferencesPatchBody {
    networking_opt_out: Option<bool>,
    alumni_email_opt_out: Option<bool>,
    alumni_book_opt_out: Option<bool>,
    images_opt_out: Option<bool>,
}

/// Text or nothing: an empty string or `null` clears the field.
fn optional_text(path: &str, value: &Value, problems: &mut Vec<FieldProblem>) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => Some(text.clone()),
        _ => {
            problems.push(FieldProblem::new(path, "must be text"));
            None
        }
    }
}

/// A country of study or none: absent or blank is none; anything else must be a country.
fn optional_country(path: &str, raw: Option<&str>) -> Result<Option<Country>, FieldProblem> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => Country::parse(raw)
            .map(Some)
            .ok_or_else(|| FieldProblem::new(path, "must be a country by its English short name")),
    }
}

impl ApplicationPatch {
    pub fn into_changes(self) -> Result<DraftChanges, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut changes = DraftChanges::default();
        for (name, value) in self.personal.unwrap_or_default() {
            let path = format!("personal.{name}");
            match PersonalField::from_name(&name) {
                Some(field) => {
                    let text = optional_text(&path, &value, &mut problems);
                    changes.personal.insert(field, text);
                }
                None => problems.push(FieldProblem::new(path, "is not a field of the form")),
            }
        }
        for (name, value) in self.essays.unwrap_or_default() {
            let path = format!("essays.{name}");
            match Essay::from_name(&name) {
                Some(essay) => {
                    let text = optional_text(&path, &value, &mut problems);
                    changes.essays.insert(essay, text);
                }
                None => problems.push(FieldProblem::new(path, "is not an essay of the form")),
            }
        }
        let history = |entries: Vec<Map<String, Value>>| -> Vec<HistoryEntry> {
            entries
                .into_iter()
                .map(|entry| entry.into_iter().collect())
                .collect()
        };
        changes.education = self.education.map(history);
        changes.employment = self.employment.map(history);
        changes.courses = self.courses.map(|courses| {
            courses
                .into_iter()
                .enumerate()
                .map(|(i, c)| CourseChoice {
                    country: optional_country(
                        &format!("courses[{i}].country"),
                        c.country.as_deref(),
                    )
                    .unwrap_or_else(|problem| {
                        problems.push(problem);
                        None
                    }),
                    institution: c.institution,
                    course: c.course,
                    level: c.level,
                })
                .collect()
        });
        changes.referees = self.referees.map(|referees| {
            referees
                .into_iter()
                .map(|r| Referee {
                    name: r.name,
                    email: r.email,
                })
                .collect()
        });
        changes.return_home = self.return_home;
        changes.preferences = self.preferences.map(|p| PreferencesChange {
            networking_opt_out: p.networking_opt_out,
            alumni_email_opt_out: p.alumni_email_opt_out,
            alumni_book_opt_out: p.alumni_book_opt_out,
            images_opt_out: p.images_opt_out,
        });
        if problems.is_empty() {
            Ok(changes)
        } else {
            Err(problems)
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    pub networking_opt_out: bool,
    pub alumni_email_opt_out: bool,
    pub alumni_book_opt_out: bool,
    pub images_opt_out: bool,
    pub reason: Option<String>,
}

impl PreferencesBody {
    pub fn preferences(&self) -> Preferences {
        Preferences {
            networking_opt_out: self.networking_opt_out,
            alumni_email_opt_out: self.alumni_email_opt_out,
            alumni_book_opt_out: self.alumni_book_opt_out,
            images_opt_out: self.images_opt_out,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AmendmentBody {
    /// Contract paths of personal fields and their new values: `{"personal.email": "..."}`.
    #[schema(value_type = HashMap<String, String>)]
    pub changes: Map<String, Value>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub requested_by: String,
}

impl AmendmentBody {
    /// The changes as path and new value; every value must be text.
    pub fn changes(&self) -> Result<Vec<(String, String)>, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut changes = Vec::new();
        for (path, value) in &self.changes {
            match value {
                Value::String(text) => changes.push((path.clone(), text.clone())),
                _ => problems.push(FieldProblem::new(path.clone(), "must be text")),
            }
        }
        if problems.is_empty() {
            Ok(changes)
        } else {
            Err(problems)
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EligibilityBody {
    pub eligible: bool,
    #[serde(default)]
    pub reason: String,
}

/// What a programme officer found on checking eligibility and the recipients again after nationality or
/// residence was amended.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecheckBody {
    /// What was checked and found (1–2000 characters).
    #[serde(default)]
    pub note: String,
}

/// Rules of the cycle's screening to waive for one application, and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningOverrideBody {
    /// `eligible_nationality`, `undergraduate_degree`, `work_experience` or `return_home_commitment`.
    pub rules: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

impl ScreeningOverrideBody {
    pub fn rules(&self) -> Result<Vec<ScreeningRule>, crate::http::error::ApiError> {
        let mut problems = Vec::new();
        let mut rules = Vec::new();
        for (i, name) in self.rules.iter().enumerate() {
            match ScreeningRule::parse(name) {
                Some(rule) => rules.push(rule),
                None => problems.push(FieldProblem::new(
                    format!("rules.{i}"),
                    "must be eligible_nationality, undergraduate_degree, work_experience or return_home_commitment",
                )),
            }
        }
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(crate::http::error::ApiError::invalid(
                "some rules are not rules of the screening",
                problems,
            ))
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssignmentBody {
    pub committee_member_id: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConflictBody {
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ScoresBody {
    #[schema(minimum = 0, maximum = 10)]
    pub leadership: i64,
    #[schema(minimum = 0, maximum = 10)]
    pub networking: i64,
    #[schema(minimum = 0, maximum = 10)]
    pub study_plan: i64,
    #[schema(minimum = 0, maximum = 10)]
    pub career_plan: i64,
    #[serde(default)]
    pub comment: String,
}

impl ScoresBody {
    /// The marks as the domain takes them; a mark that is not even a small number becomes one the domain
    /// refuses as out of range.
    pub fn scores(&self) -> Scores {
        let mark = |value: i64| u8::try_from(value).unwrap_or(u8::MAX);
        Scores {
            leadership: mark(self.leadership),
            networking: mark(self.networking),
            study_plan: mark(self.study_plan),
            career_plan: mark(self.career_plan),
            comment: self.comment.trim().to_string(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    /// `selected`, `reserve` or `unsuccessful`.
    pub outcome: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AwardBody {
    pub institution: String,
    pub course: String,
    pub level: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub start_date: String,
    /// The recipient id of a joint sponsor of the award, to whom it may then be disclosed.
    pub joint_sponsor_id: Option<String>,
    /// The country of study (`United Kingdom` where absent).
    pub country: Option<String>,
}

/// A correction of the award's terms: the fields to correct (at least one that differs), and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardCorrectionBody {
    pub institution: Option<String>,
    pub course: Option<String>,
    pub level: Option<String>,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// A correction of the outcome recorded when the award was completed, and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionCorrectionBody {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
}

pub fn parse_date(path: &str, raw: &str, problems: &mut Vec<FieldProblem>) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        problems.push(FieldProblem::new(path, "must be a date written YYYY-MM-DD"));
    }
    parsed
}

fn required_text(path: &str, raw: &str, problems: &mut Vec<FieldProblem>) -> String {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > 500 {
        problems.push(FieldProblem::new(
            path,
            "must be given, at most 500 characters",
        ));
    }
    text.to_string()
}

impl AwardBody {
    pub fn terms(&self) -> Result<AwardTerms, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let institution = required_text("institution", &self.institution, &mut problems);
        let course = required_text("course", &self.course, &mut problems);
        let level = required_text("level", &self.level, &mut problems);
        let start_date = parse_date("start_date", &self.start_date, &mut problems);
        let country = optional_country("country", self.country.as_deref())
            .unwrap_or_else(|problem| {
                problems.push(problem);
                None
            })
            .unwrap_or_else(Country::united_kingdom);
        match start_date {
            Some(start_date) if problems.is_empty() => Ok(AwardTerms {
                institution,
                course,
                level,
                start_date,
                country: Some(country),
            }),
            _ => Err(problems),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CompletionBody {
    /// The outcome; may be left out once the institution's result is recorded, which then gives it.
    #[serde(default)]
    pub outcome: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub completed_on: String,
}

impl CompletionBody {
    pub fn parse(&self) -> Result<(String, NaiveDate), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        // Blank: the domain takes the outcome from the result released, or refuses it without one.
        let outcome = self.outcome.trim().to_string();
        if outcome.chars().count() > 500 {
            problems.push(FieldProblem::new(
                "outcome",
                "must be at most 500 characters",
            ));
        }
        let completed_on = parse_date("completed_on", &self.completed_on, &mut problems);
        match completed_on {
            Some(date) if problems.is_empty() => Ok((outcome, date)),
            _ => Err(problems),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ImmigrationBody {
    pub kind: String,
    pub reference: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub issued_on: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateBody {
    /// Two consecutive years: `2026-27`.
    #[schema(example = "2026-27")]
    pub cycle: String,
}

/// Who is looking at an application decides what of it they see: the view the role table
/// (`domain::access::view_of`) gives them, and, for a committee member, whose marks are theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audience {
    pub view: View,
    /// An assigned committee member: of the committee's marks, only their own are shown.
    pub member_id: Option<String>,
}

impl Audience {
    /// The applicant: their whole form and its progress.
    pub fn owner() -> Self {
        Self {
            view: view_of(Role::Applicant, false),
            member_id: None,
        }
    }

    /// Staff other than the committee: what their role sees of a case.
    pub fn staff(role: Role) -> Self {
        Self {
            view: view_of(role, false),
            member_id: None,
        }
    }

    /// An assigned committee member, in a cycle with blind review or not.
    pub fn committee(member_id: &str, blind: bool) -> Self {
        Self {
            view: view_of(Role::CommitteeMember, blind),
            member_id: Some(member_id.to_string()),
        }
    }
}

/// The application body of the contract, as this audience may see it, as a JSON value (for an answer that
/// adds to it).
pub fn render(view: &ApplicationView, audience: &Audience) -> Value {
    serde_json::to_value(Shown { view, audience }).expect("an application view serialises")
}

/// The application body of the contract, as this audience may see it, written straight out: an answer
/// that is the body alone is serialised from the view, without building it as a [`Value`] first (a tree
/// of every section and string of the form, for each request: docs/benchmarks.md).
pub struct Shown<'a> {
    pub view: &'a ApplicationView,
    pub audience: &'a Audience,
}

impl serde::Serialize for Shown<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let view = self.view;
        let form = &view.form;
        let sees = |section: Section| self.audience.view.shows(section);
        // The keys in the order of their names, as a JSON object built as a value has them.
        let mut map = serializer.serialize_map(None)?;
        if sees(Section::Amendments) {
            map.serialize_entry("amendments", &view.amendments)?;
        }
        if sees(Section::ApplicantId) {
            map.serialize_entry("applicant_id", &view.applicant_id)?;
        }
        if sees(Section::Award) {
            map.serialize_entry("award", &view.award.as_ref().map(ShownAward))?;
        }
        if sees(Section::Committee) {
            match &self.audience.member_id {
                None => map.serialize_entry("committee", &view.committee)?,
                Some(member_id) => {
                    let own: Vec<&_> = view
                        .committee
                        .iter()
                        .filter(|m| &m.member_id == member_id)
                        .collect();
                    map.serialize_entry("committee", &own)?;
                }
            }
        }
        if sees(Section::ConcludedWithCycle) {
            map.serialize_entry(
                "concluded_with_cycle",
                &view.concluded_with_cycle.as_ref().map(|c| {
                    serde_json::json!({"on": c.on, "previous_status": c.previous_status.as_str()})
                }),
            )?;
        }
        if sees(Section::Courses) {
            map.serialize_entry("courses", &ShownCourses(&form.courses))?;
        }
        if sees(Section::CreatedAt) {
            map.serialize_entry("created_at", &view.created_at)?;
        }
        if sees(Section::Cycle) {
            map.serialize_entry("cycle", &view.cycle)?;
        }
        if sees(Section::Decision) {
            map.serialize_entry(
                "decision",
                &view.decision.as_ref().map(|d| d.outcome.as_str()),
            )?;
        }
        if sees(Section::DecisionDetail) {
            map.serialize_entry("decision_detail", &view.decision)?;
        }
        if sees(Section::Education) {
            map.serialize_entry("education", &form.education)?;
        }
        if sees(Section::Eligibility) {
            map.serialize_entry("eligibility", &view.eligibility)?;
        }
        if sees(Section::Employment) {
            map.serialize_entry("employment", &form.employment)?;
        }
        if sees(Section::Essays) {
            map.serialize_entry("essays", &ShownEssays(&form.essays))?;
        }
        if sees(Section::Id) {
            map.serialize_entry("id", &view.id)?;
        }
        if sees(Section::MeanScore) {
            map.serialize_entry("mean_score", &view.mean_score())?;
        }
        if sees(Section::Personal) {
            map.serialize_entry(
                "personal",
                &ShownPersonal(&form.personal, self.audience.view.personal),
            )?;
        }
        if sees(Section::PreferenceChanges) {
            map.serialize_entry("preference_changes", &view.preference_changes)?;
        }
        if sees(Section::Preferences) {
            map.serialize_entry("preferences", &form.preferences)?;
        }
        if sees(Section::Recheck) {
            map.serialize_entry("recheck", &view.recheck)?;
        }
        if sees(Section::StatementsOfDispute) {
            map.serialize_entry("statements_of_dispute", &view.statements_of_dispute)?;
        }
        if sees(Section::RectificationNotices) {
            map.serialize_entry("rectification_notices", &view.rectification_notices)?;
        }
        if sees(Section::Referees) {
            map.serialize_entry("referees", &form.referees)?;
        }
        if sees(Section::Restriction) {
            map.serialize_entry("restriction", &view.restriction)?;
        }
        if sees(Section::ReturnHome) {
            map.serialize_entry("return_home", &form.return_home)?;
        }
        if sees(Section::ScreeningOverrides) {
            map.serialize_entry("screening_overrides", &view.screening_overrides)?;
        }
        if sees(Section::Status) {
            map.serialize_entry("status", view.status.as_str())?;
        }
        if sees(Section::SubmittedAt) {
            map.serialize_entry("submitted_at", &view.submitted_at)?;
        }
        if sees(Section::UpdatedAt) {
            map.serialize_entry("updated_at", &view.updated_at)?;
        }
        if sees(Section::Version) {
            map.serialize_entry("version", &view.version)?;
        }
        if sees(Section::WithdrawnAt) {
            map.serialize_entry("withdrawn_at", &view.withdrawn_at)?;
        }
        map.end()
    }
}

/// The personal section: every field the reader may see, `null` where not filled in.
struct ShownPersonal<'a>(
    &'a domain::application::form::PersonalDetails,
    &'a [PersonalField],
);

impl serde::Serialize for ShownPersonal<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            PersonalField::ALL
                .iter()
                .filter(|field| self.1.contains(field))
                .map(|field| (field.name(), self.0.get(*field))),
        )
    }
}

/// The essays: every one, `null` where not written.
struct ShownEssays<'a>(&'a domain::application::form::Essays);

impl serde::Serialize for ShownEssays<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            Essay::ALL
                .iter()
                .map(|essay| (essay.name(), self.0.get(*essay))),
        )
    }
}

/// Course choices, each with its country of study (`United Kingdom` where it gave none).
struct ShownCourses<'a>(&'a [CourseChoice]);

impl serde::Serialize for ShownCourses<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|course| CourseChoice {
            country: Some(course.country_of_study()),
            ..course.clone()
        }))
    }
}

/// An award: its terms, sponsor and completion.
struct ShownAward<'a>(&'a projections::application_view::AwardView);

impl serde::Serialize for ShownAward<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let award = self.0;
        let terms = award.terms.as_ref();
        let mut map = serializer.serialize_map(Some(9))?;
        map.serialize_entry("awarded_at", &award.awarded_at)?;
        map.serialize_entry("completed_on", &award.completed_on)?;
        map.serialize_entry("country", &terms.map(AwardTerms::country_of_study))?;
        map.serialize_entry("course", &terms.map(|t| &t.course))?;
        map.serialize_entry("institution", &terms.map(|t| &t.institution))?;
        map.serialize_entry("joint_sponsor_id", &award.joint_sponsor_id)?;
        map.serialize_entry("level", &terms.map(|t| &t.level))?;
        map.serialize_entry("outcome", &award.completion_outcome)?;
        map.serialize_entry("start_date", &terms.map(|t| t.start_date))?;
        map.end()
    }
}

/// The shapes the OpenAPI document gives for what this module answers. They describe the JSON that `render`
/// and the handlers build; `tests/api/openapi.rs` checks real answers against them.
pub mod schema {
    #![allow(dead_code)]

    use chrono::{DateTime, NaiveDate, Utc};
    use serde_json::Value;
    use utoipa::ToSchema;

    /// Where an application is in its lifecycle.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum StatusName {
        Draft,
        Submitted,
        Eligible,
        Ineligible,
        UnderReview,
        Selected,
        Reserve,
        Unsuccessful,
        Awarded,
        Alumni,
        Withdrawn,
    }

    /// The personal section; a field not yet filled in is `null`.
    #[derive(ToSchema)]
    pub struct PersonalSection {
        full_name: Option<String>,
        /// YYYY-MM-DD.
        date_of_birth: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        address: Option<String>,
        nationality: Option<String>,
        country_of_residence: Option<String>,
    }

    /// The four essays, each 1–500 words at submission; one not yet written is `null`.
    #[derive(ToSchema)]
    pub struct EssaysSection {
        leadership: Option<String>,
        networking: Option<String>,
        study_plan: Option<String>,
        career_plan: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct Course {
        institution: String,
        course: String,
        level: String,
        /// The country of study (`United Kingdom` where none was given).
        country: String,
    }

    #[derive(ToSchema)]
    pub struct RefereeEntry {
        name: String,
        email: String,
    }

    /// The applicant's opt-outs, which the published lists obey.
    #[derive(ToSchema)]
    pub struct PreferencesSection {
        networking_opt_out: bool,
        alumni_email_opt_out: bool,
        alumni_book_opt_out: bool,
        images_opt_out: bool,
    }

    /// An application, as the person asking may see it (`domain::access`, the role table). The owner
    /// gets the whole form and its progress; programme and information officers the whole case (its
    /// eligibility, committee, decision, award, amendments and restriction too); the Help Desk `id`,
    /// `cycle`, `status`, `applicant_id`, `personal`, `submitted_at` and `amendments` only; an assigned
    /// committee member the form without `preferences` nor the contact details and date of birth, with
    /// only their own marks (under blind review without `personal`, `referees` and `applicant_id` either).
    #[derive(ToSchema)]
    pub struct Application {
        id: String,
        cycle: String,
        status: StatusName,
        /// Absent for a committee member in a cycle with blind review.
        #[schema(required = false)]
        applicant_id: String,
        /// Absent for a committee member in a cycle with blind review.
        #[schema(required = false)]
        personal: PersonalSection,
        /// Each entry as the applicant gave it (institution, subject, dates ...). Absent for the Help Desk.
        #[schema(required = false)]
        education: Vec<Value>,
        /// Each entry as the applicant gave it (employer, role, dates ...). Absent for the Help Desk.
        #[schema(required = false)]
        employment: Vec<Value>,
        /// Absent for the Help Desk.
        #[schema(required = false)]
        courses: Vec<Course>,
        /// Absent for the Help Desk.
        #[schema(required = false)]
        essays: EssaysSection,
        /// Absent for the Help Desk, and for a committee member in a cycle with blind review.
        #[schema(required = false)]
        referees: Vec<RefereeEntry>,
        #[schema(required = false)]
        preferences: PreferencesSection,
        /// Whether the applicant commits to return home for two years after the award; `null` until answered.
        return_home: Option<bool>,
        submitted_at: Option<DateTime<Utc>>,
        /// `selected`, `reserve` or `unsuccessful` once decided.
        decision: Option<String>,
        /// Absent for the Help Desk.
        #[schema(required = false)]
        created_at: DateTime<Utc>,
        /// Absent for the Help Desk.
        #[schema(required = false)]
        updated_at: DateTime<Utc>,
        /// The sequence number of the last event folded in. Absent for the Help Desk.
        #[schema(required = false)]
        version: i64,
        #[schema(required = false)]
        withdrawn_at: Option<DateTime<Utc>>,
        #[schema(required = false)]
        award: Option<Value>,
        #[schema(required = false)]
        eligibility: Option<Value>,
        #[schema(required = false)]
        committee: Option<Vec<Value>>,
        /// The cycle was concluded while the application was still undecided, a reserve or selected without
        /// an award: `{on, previous_status}`; it is unsuccessful from `on`. `null` otherwise.
        #[schema(required = false)]
        concluded_with_cycle: Option<Value>,
        /// The mean of the members' totals (0–40).
        #[schema(required = false)]
        mean_score: Option<f64>,
        #[schema(required = false)]
        decision_detail: Option<Value>,
        #[schema(required = false)]
        amendments: Option<Vec<Value>>,
        #[schema(required = false)]
        preference_changes: Option<Vec<Value>>,
        #[schema(required = false)]
        rectification_notices: Option<Vec<Value>>,
        #[schema(required = false)]
        restriction: Option<Value>,
        /// Nationality or residence was amended after eligibility was decided: `{fields, since}` until a
        /// programme officer records that eligibility and the recipients were checked again; `null` otherwise.
        #[schema(required = false)]
        recheck: Option<Value>,
        /// The data subject's statements that data is inaccurate, kept when a rectification was refused:
        /// `[{request_id, statement, recorded_by, recorded_at}]`, oldest first (staff only).
        #[schema(required = false)]
        statements_of_dispute: Option<Vec<Value>>,
        /// The rules of the cycle's screening a programme officer waived, with who, when and why.
        #[schema(required = false)]
        screening_overrides: Option<Vec<Value>>,
        /// With `?as_of=`: the moment the application is shown as it stood.
        #[schema(required = false)]
        as_of: Option<DateTime<Utc>>,
        /// After an amendment: the recipients who were sent a value that changed, to be told.
        #[schema(required = false)]
        notify_recipients: Option<Vec<NotifyRecipient>>,
    }

    #[derive(ToSchema)]
    pub struct NotifyRecipient {
        recipient_id: String,
        recipient_name: String,
        fields: Vec<String>,
    }

    /// A new application.
    #[derive(ToSchema)]
    pub struct Started {
        id: String,
        status: StatusName,
    }

    /// An applicant's own applications, or a page of the case list for staff (filtered and paged).
    #[derive(ToSchema)]
    pub struct ApplicationList {
        /// Applications for an applicant; case summaries for staff.
        items: Vec<Value>,
        /// How many pass the filter; for staff counted up to 10,000, and `total_exact` is false beyond.
        total: i64,
        /// Whether `total` is the exact count (false: more than `total` pass the filter).
        #[schema(required = false)]
        total_exact: bool,
        #[schema(required = false)]
        limit: i64,
        #[schema(required = false)]
        offset: i64,
        /// Give as `cursor` for the page after this one; null on the last page.
        #[schema(required = false)]
        next_cursor: Option<String>,
        /// Give as `cursor` for the page before this one; null on the first page.
        #[schema(required = false)]
        previous_cursor: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct ConflictDeclared {
        application_id: String,
        conflict_declared: bool,
    }

    #[derive(ToSchema)]
    pub struct Scored {
        application_id: String,
        /// The four marks and the comment, as recorded.
        scores: Value,
        /// The four marks summed, 0–40.
        total: i64,
    }

    #[derive(ToSchema)]
    pub struct RecordCreated {
        record_id: String,
    }

    /// An immigration record of an award holder; destroyed ones are absent.
    #[derive(ToSchema)]
    pub struct ImmigrationRecord {
        record_id: String,
        kind: String,
        reference: String,
        issued_on: NaiveDate,
    }

    /// One event of the case's history: what happened, when, and who did it.
    #[derive(ToSchema)]
    pub struct HistoryItem {
        sequence: i64,
        r#type: String,
        at: DateTime<Utc>,
        actor: String,
        actor_role: String,
    }

    /// One read of the application's personal data by staff.
    #[derive(ToSchema)]
    pub struct Read {
        at: DateTime<Utc>,
        reader_id: String,
        reader_name: Option<String>,
        reader_role: String,
        /// The route or page it was read through: `api`, `case_list` (a list or search that showed it),
        /// `cases_page`, `case_page`, `committee_list`, `committee_page`, ...
        through: String,
    }
}
