//! The rules of the form: what a saved change may hold, and what a complete application needs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::form::{
    DraftChanges, ESSAY_WORD_LIMIT, Essay, Form, HistoryEntry, MAX_COURSE_CHOICES, MAX_ESSAY_CHARS,
    MAX_HISTORY_ENTRIES, MAX_TEXT_CHARS, REFEREES_REQUIRED, parse_email, word_count,
};

/// What is wrong with one field, by its contract path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub path: String,
    pub problem: String,
}

impl FieldProblem {
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Checks a change to the draft and returns it with every value in canonical form, or every problem found.
/// A draft may be incomplete; what it holds must still be well formed and within the form's limits.
pub fn check_draft_changes(changes: &DraftChanges) -> Result<DraftChanges, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut checked = changes.clone();

    for (field, value) in checked.personal.iter_mut() {
        if let Some(raw) = value {
            match field.parse_value(raw) {
                Ok(canonical) => *raw = canonical,
                Err(problem) => problems.push(FieldProblem::new(field.path(), problem)),
            }
        }
    }
    if let Some(entries) = &checked.education {
        check_history("education", entries, &mut problems);
    }
    if let Some(entries) = &checked.employment {
        check_history("employment", entries, &mut problems);
        job_dates_are_months(entries, &mut problems);
    }
    if let Some(courses) = checked.courses.as_mut() {
        if courses.len() > MAX_COURSE_CHOICES {
            problems.push(FieldProblem::new(
                "courses",
                format!("at most {MAX_COURSE_CHOICES} course choices"),
            ));
        }
        for (i, course) in courses.iter_mut().enumerate() {
            for (name, value) in [
                ("institution", &mut course.institution),
                ("course", &mut course.course),
                ("level", &mut course.level),
            ] {
                *value = value.trim().to_string();
                check_text(
                    &format!("courses[{i}].{name}"),
                    value,
                    MAX_TEXT_CHARS,
                    &mut problems,
                );
            }
        }
    }
    for (essay, text) in checked.essays.iter_mut() {
        if let Some(text) = text {
            let path = format!("essays.{}", essay.name());
            check_text(&path, text, MAX_ESSAY_CHARS, &mut problems);
            if word_count(text) > ESSAY_WORD_LIMIT {
                problems.push(FieldProblem::new(
                    path,
                    format!(
                        "must be at most {ESSAY_WORD_LIMIT} words; it has {}",
                        word_count(text)
                    ),
                ));
            }
        }
    }
    if let Some(referees) = checked.referees.as_mut() {
        if referees.len() > REFEREES_REQUIRED {
            problems.push(FieldProblem::new(
                "referees",
                format!("name exactly {REFEREES_REQUIRED} referees"),
            ));
        }
        for (i, referee) in referees.iter_mut().enumerate() {
            referee.name = referee.name.trim().to_string();
            referee.email = referee.email.trim().to_string();
            check_text(
                &format!("referees[{i}].name"),
                &referee.name,
                MAX_TEXT_CHARS,
                &mut problems,
            );
            if !referee.email.is_empty()
                && let Err(problem) = parse_email(&referee.email)
            {
                problems.push(FieldProblem::new(format!("referees[{i}].email"), problem));
            }
        }
    }

    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// A job's dates (`from`, `to`) are a month and year, written `YYYY-MM`; a date left out is no problem.
fn job_dates_are_months(entries: &[HistoryEntry], problems: &mut Vec<FieldProblem>) {
    for (i, entry) in entries.iter().enumerate() {
        for key in ["from", "to"] {
            let fine = match entry.get(key) {
                None | Some(Value::Null) => true,
                Some(Value::String(text)) => is_month_and_year(text.trim()),
                Some(_) => false,
            };
            if !fine {
                problems.push(FieldProblem::new(
                    format!("employment[{i}].{key}"),
                    "must be a month and year written YYYY-MM, such as 2020-09",
                ));
            }
        }
    }
}

/// `YYYY-MM`: a year of four digits from 1900, a month from 01 to 12.
pub fn is_month_and_year(text: &str) -> bool {
    let Some((year, month)) = text.split_once('-') else {
        return false;
    };
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    digits(year, 4)
        && digits(month, 2)
        && year.parse::<u32>().is_ok_and(|year| year >= 1900)
        && month
            .parse::<u32>()
            .is_ok_and(|month| (1..=12).contains(&month))
}

fn check_text(path: &str, value: &str, limit: usize, problems: &mut Vec<FieldProblem>) {
    if value.chars().count() > limit {
        problems.push(FieldProblem::new(
            path,
            format!("must be at most {limit} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        problems.push(FieldProblem::new(
            path,
            "must not contain control characters",
        ));
    }
}

fn check_history(section: &str, entries: &[HistoryEntry], problems: &mut Vec<FieldProblem>) {
    if entries.len() > MAX_HISTORY_ENTRIES {
        problems.push(FieldProblem::new(
            section,
            format!("at most {MAX_HISTORY_ENTRIES} entries"),
        ));
    }
    for (i, entry) in entries.iter().enumerate() {
        if entry.len() > 20 {
            problems.push(FieldProblem::new(
                format!("{section}[{i}]"),
                "at most 20 named values",
            ));
        }
        for (key, value) in entry {
            let path = format!("{section}[{i}].{key}");
            let key_ok = !key.is_empty()
                && key.len() <= 40
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !key_ok {
                problems.push(FieldProblem::new(
                    format!("{section}[{i}]"),
                    "names of values are letters, digits and underscores, at most 40",
                ));
                continue;
            }
            match value {
                Value::String(text) => check_text(&path, text, MAX_TEXT_CHARS, problems),
                Value::Number(_) | Value::Bool(_) | Value::Null => {}
                Value::Array(_) | Value::Object(_) => {
                    problems.push(FieldProblem::new(path, "must be text, a number or yes/no"))
                }
            }
        }
    }
}

/// Every path a submission still needs, in the order of the form: each personal field, at least one
/// education entry, one to three courses with every part, all four essays, and two referees.
pub fn missing_for_submission(form: &Form) -> Vec<String> {
    let mut missing = Vec::new();
    for field in super::form::PersonalField::ALL {
        if form
            .personal
            .get(field)
            .is_none_or(|value| value.trim().is_empty())
        {
            missing.push(field.path());
        }
    }
    if !form
        .education
        .iter()
        .any(|entry| entry.values().any(has_content))
    {
        missing.push("education".to_string());
    }
    if form.courses.is_empty() {
        missing.push("courses".to_string());
    }
    for (i, course) in form.courses.iter().enumerate() {
        for (name, value) in [
            ("institution", &course.institution),
            ("course", &course.course),
            ("level", &course.level),
        ] {
            if value.trim().is_empty() {
                missing.push(format!("courses[{i}].{name}"));
            }
        }
    }
    for essay in Essay::ALL {
        if form
            .essays
            .get(essay)
            .is_none_or(|text| word_count(text) == 0)
        {
            missing.push(format!("essays.{}", essay.name()));
        }
    }
    for i in 0..REFEREES_REQUIRED {
        match form.referees.get(i) {
            None => missing.push(format!("referees[{i}]")),
            Some(referee) => {
                if referee.name.trim().is_empty() {
                    missing.push(format!("referees[{i}].name"));
                }
                if referee.email.trim().is_empty() {
                    missing.push(format!("referees[{i}].email"));
                }
            }
        }
    }
    missing
}

fn has_content(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.trim().is_empty(),
        _ => true,
    }
}

/// The eligibility rules checked at submission, as sentences; empty when the application may be submitted.
pub fn eligibility_problems(form: &Form, today: NaiveDate) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(born) = form
        .personal
        .date_of_birth
        .as_deref()
        .and_then(|raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        && born >= today
    {
        problems.push("the date of birth must be in the past".to_string());
    }
    problems
}

/// `letter_fits_outcome`: an outcome letter tells the applicant of the outcome recorded and of no other, so
/// it is issued only while the application stands at that outcome: a selected, reserve or unsuccessful
/// letter after that decision, an award letter once the award is made.
pub fn letter_fits_outcome(
    kind: super::letters::LetterKind,
    status: super::status::Status,
) -> Result<(), super::error::ApplicationError> {
    if kind.tells_of() == status {
        Ok(())
    } else {
        Err(super::error::ApplicationError::LetterDoesNotFit { kind, status })
    }
}

#[cfg(test)]
mod month_tests {
    use super::*;

    #[test]
    fn a_job_date_is_a_month_and_year() {
        assert!(is_month_and_year("2020-09"));
        assert!(is_month_and_year("1999-12"));
        for bad in [
            "2020-9",
            "2020-13",
            "2020-00",
            "Sept 2020",
            "09/2020",
            "2020",
            "1899-01",
            "2020-09-01",
            "",
        ] {
            assert!(!is_month_and_year(bad), "{bad}");
        }
    }
}
