//! The form's fields in words: the one table of labels the pages, the letters and the amendment notices use
//! for a contract path (`personal.full_name` is "Full name", `education[0].year` "Qualification 1: year
//! completed").

use domain::application::form::{Essay, PersonalField};

pub const EDUCATION_KEYS: [(&str, &str); 4] = [
    ("institution", "School, college or university"),
    ("qualification", "Qualification"),
    ("subject", "Subject"),
    ("year", "Year completed"),
];
pub const EMPLOYMENT_KEYS: [(&str, &str); 4] = [
    ("employer", "Employer"),
    ("role", "Job title"),
    ("from", "From (month and year)"),
    ("to", "To (month and year, or blank if current)"),
];

pub fn personal_label(field: PersonalField) -> &'static str {
    match field {
        PersonalField::FullName => "Full name",
        PersonalField::DateOfBirth => "Date of birth",
        PersonalField::Email => "Email address",
        PersonalField::Phone => "Phone number",
        PersonalField::Address => "Postal address",
        PersonalField::Nationality => "Nationality (country of citizenship)",
        PersonalField::CountryOfResidence => "Country of residence",
    }
}

pub fn essay_label(essay: Essay) -> &'static str {
    match essay {
        Essay::Leadership => "Leadership",
        Essay::Networking => "Networking",
        Essay::StudyPlan => "Study plan",
        Essay::CareerPlan => "Career plan",
    }
}

/// A human label for any contract path of the form.
pub fn label_for(path: &str) -> String {
    if let Some(field) = PersonalField::from_path(path) {
        return personal_label(field).to_string();
    }
    if let Some(name) = path.strip_prefix("essays.")
        && let Some(essay) = Essay::from_name(name)
    {
        return format!("{} essay", essay_label(essay));
    }
    let (list, rest) = path.split_once('[').unwrap_or((path, ""));
    let index: Option<usize> = rest.split(']').next().and_then(|i| i.parse().ok());
    let key = rest.split_once("].").map(|(_, key)| key);
    let (noun, keys): (&str, &[(&str, &str)]) = match list {
        "education" => ("Qualification", &EDUCATION_KEYS),
        "employment" => ("Job", &EMPLOYMENT_KEYS),
        "courses" => (
            "Course choice",
            &[
                ("institution", "Institution"),
                ("course", "Course"),
                ("level", "Level of study"),
                ("country", "Country of study"),
            ],
        ),
        "referees" => ("Referee", &[("name", "Name"), ("email", "Email address")]),
        _ => return path.to_string(),
    };
    match (index, key) {
        (None, _) => match list {
            "education" => "At least one qualification".to_string(),
            "courses" => "At least one course choice".to_string(),
            _ => noun.to_string(),
        },
        (Some(i), None) => format!("{noun} {}", i + 1),
        (Some(i), Some(key)) => {
            let label = keys
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, l)| *l)
                .unwrap_or(key);
            format!("{noun} {}: {}", i + 1, label.to_lowercase())
        }
    }
}
