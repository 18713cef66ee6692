//! The wire shapes of CONTRACT.md's Applications section: request bodies parsed into domain commands at the
//! edge, and the application view rendered for whoever asks.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{
    CourseChoice, DraftChanges, Essay, HistoryEntry, PersonalField, Preferences, PreferencesChange,
    Referee,
};
use domain::application::rules::FieldProblem;
use projections::application_view::ApplicationView;

/// A partial application: any of the sections, each as in the application body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    personal: Option<Map<String, Value>>,
    education: Option<Vec<Map<String, Value>>>,
    employment: Option<Vec<Map<String, Value>>>,
    courses: Option<Vec<CourseBody>>,
    essays: Option<Map<String, Value>>,
    referees: Option<Vec<RefereeBody>>,
    preferences: Option<PreferencesPatchBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseBody {
    #[serde(default)]
    institution: String,
    #[serde(default)]
    course: String,
    #[serde(default)]
    level: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefereeBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
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
                .map(|c| CourseChoice {
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

#[derive(Deserialize)]
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

#[derive(Deserialize)]
pub struct AmendmentBody {
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

#[derive(Deserialize)]
pub struct EligibilityBody {
    pub eligible: bool,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize)]
pub struct AssignmentBody {
    pub committee_member_id: String,
}

#[derive(Deserialize)]
pub struct ConflictBody {
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize)]
pub struct ScoresBody {
    pub leadership: i64,
    pub networking: i64,
    pub study_plan: i64,
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

#[derive(Deserialize)]
pub struct DecisionBody {
    pub outcome: String,
}

#[derive(Deserialize)]
pub struct AwardBody {
    pub institution: String,
    pub course: String,
    pub level: String,
    pub start_date: String,
    pub joint_sponsor_id: Option<String>,
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
        match start_date {
            Some(start_date) if problems.is_empty() => Ok(AwardTerms {
                institution,
                course,
                level,
                start_date,
            }),
            _ => Err(problems),
        }
    }
}

#[derive(Deserialize)]
pub struct CompletionBody {
    pub outcome: String,
    pub completed_on: String,
}

impl CompletionBody {
    pub fn parse(&self) -> Result<(String, NaiveDate), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let outcome = required_text("outcome", &self.outcome, &mut problems);
        let completed_on = parse_date("completed_on", &self.completed_on, &mut problems);
        match completed_on {
            Some(date) if problems.is_empty() => Ok((outcome, date)),
            _ => Err(problems),
        }
    }
}

#[derive(Deserialize)]
pub struct ImmigrationBody {
    pub kind: String,
    pub reference: String,
    pub issued_on: String,
}

#[derive(Deserialize)]
pub struct CreateBody {
    pub cycle: String,
}

/// Who is looking at an application decides what of it they see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The applicant: their whole form and its progress.
    Owner,
    /// An assigned committee member: the form without the preferences, and only their own marks.
    Committee { member_id: String },
    /// Programme officers, the Help Desk, information officers, administrators: the whole case.
    Staff,
}

/// The application body of the contract, as this audience may see it.
pub fn render(view: &ApplicationView, audience: &Audience) -> Value {
    let form = &view.form;
    let personal: Map<String, Value> = PersonalField::ALL
        .iter()
        .map(|field| (field.name().to_string(), json!(form.personal.get(*field))))
        .collect();
    let essays: Map<String, Value> = Essay::ALL
        .iter()
        .map(|essay| (essay.name().to_string(), json!(form.essays.get(*essay))))
        .collect();
    let mut body = json!({
        "id": view.id,
        "cycle": view.cycle,
        "status": view.status.as_str(),
        "applicant_id": view.applicant_id,
        "personal": personal,
        "education": form.education,
        "employment": form.employment,
        "courses": form.courses,
        "essays": essays,
        "referees": form.referees,
        "preferences": form.preferences,
        "submitted_at": view.submitted_at,
        "decision": view.decision.as_ref().map(|d| d.outcome.as_str()),
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "version": view.version,
    });
    let Value::Object(map) = &mut body else {
        unreachable!("json! of an object literal is an object")
    };
    match audience {
        Audience::Owner => {
            map.insert("withdrawn_at".into(), json!(view.withdrawn_at));
            map.insert("award".into(), award(view));
        }
        Audience::Committee { member_id } => {
            map.remove("preferences");
            let own: Vec<&_> = view
                .committee
                .iter()
                .filter(|m| &m.member_id == member_id)
                .collect();
            map.insert("committee".into(), json!(own));
        }
        Audience::Staff => {
            map.insert("withdrawn_at".into(), json!(view.withdrawn_at));
            map.insert("eligibility".into(), json!(view.eligibility));
            map.insert("committee".into(), json!(view.committee));
            map.insert("mean_score".into(), json!(view.mean_score()));
            map.insert("decision_detail".into(), json!(view.decision));
            map.insert("award".into(), award(view));
            map.insert("amendments".into(), json!(view.amendments));
            map.insert("preference_changes".into(), json!(view.preference_changes));
            map.insert(
                "rectification_notices".into(),
                json!(view.rectification_notices),
            );
            map.insert("restriction".into(), json!(view.restriction));
        }
    }
    body
}

fn award(view: &ApplicationView) -> Value {
    view.award
        .as_ref()
        .map(|award| {
            let terms = award.terms.as_ref();
            json!({
                "institution": terms.map(|t| &t.institution),
                "course": terms.map(|t| &t.course),
                "level": terms.map(|t| &t.level),
                "start_date": terms.map(|t| t.start_date),
                "joint_sponsor_id": award.joint_sponsor_id,
                "awarded_at": award.awarded_at,
                "completed_on": award.completed_on,
                "outcome": award.completion_outcome,
            })
        })
        .unwrap_or(Value::Null)
}
