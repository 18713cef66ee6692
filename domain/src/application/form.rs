//! The online application form, section by section, and the partial changes an applicant saves.
//!
//! The personal details are the applicant's "personal data" in the policy's sense: the only fields that
//! can change after submission, and only through the Help Desk ([`PersonalField`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::country::Country;

/// The maximum number of words in an essay.
pub const ESSAY_WORD_LIMIT: usize = 500;
/// Course choices an applicant may make.
pub const MAX_COURSE_CHOICES: usize = 3;
/// Referees an application names.
pub const REFEREES_REQUIRED: usize = 2;
/// Entries in the education or employment history.
pub const MAX_HISTORY_ENTRIES: usize = 20;
/// Characters in any one text field (essays excepted).
pub const MAX_TEXT_CHARS: usize = 500;
/// Characters in an essay.
pub const MAX_ESSAY_CHARS: usize = 6_000;

/// The personal details section. Every field is personal data and amendable after submission.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDetails {
    pub full_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub nationality: Option<String>,
    pub country_of_residence: Option<String>,
}

/// The fields of the personal details section: the one declaration of which fields of an application are
/// personal data that the Help Desk may amend after submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalField {
    FullName,
    DateOfBirth,
    Email,
    Phone,
    Address,
    Nationality,
    CountryOfResidence,
}

impl PersonalField {
    pub const ALL: [PersonalField; 7] = [
        PersonalField::FullName,
        PersonalField::DateOfBirth,
        PersonalField::Email,
        PersonalField::Phone,
        PersonalField::Address,
        PersonalField::Nationality,
        PersonalField::CountryOfResidence,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PersonalField::FullName => "full_name",
            PersonalField::DateOfBirth => "date_of_birth",
            PersonalField::Email => "email",
            PersonalField::Phone => "phone",
            PersonalField::Address => "address",
            PersonalField::Nationality => "nationality",
            PersonalField::CountryOfResidence => "country_of_residence",
        }
    }

    /// The field's path in the contract: `personal.email`.
    pub fn path(self) -> String {
        format!("personal.{}", self.name())
    }

    /// The personal field a contract path names, if it names one.
    pub fn from_path(path: &str) -> Option<PersonalField> {
        let name = path.strip_prefix("personal.")?;
        Self::from_name(name)
    }

    pub fn from_name(name: &str) -> Option<PersonalField> {
        PersonalField::ALL
            .into_iter()
            .find(|field| field.name() == name)
    }

    /// Checks a value for this field and returns it in its canonical form: trimmed text, a real date of
    /// birth written `YYYY-MM-DD`, an email address, a country by its English short name.
    pub fn parse_value(self, raw: &str) -> Result<String, String> {
        // A line break as a browser sends it from a text area (CR LF) is kept as one line feed.
        let lines = raw.replace("\r\n", "\n");
        let value = lines.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.chars().count() > MAX_TEXT_CHARS {
            return Err(format!("must be at most {MAX_TEXT_CHARS} characters"));
        }
        if value.chars().any(|c| c.is_control() && c != '\n') {
            return Err("must not contain control characters".into());
        }
        match self {
            PersonalField::DateOfBirth => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|date| date.format("%Y-%m-%d").to_string())
                .map_err(|_| "must be a date written YYYY-MM-DD".to_string()),
            PersonalField::Email => parse_email(value),
            PersonalField::Nationality | PersonalField::CountryOfResidence => Country::parse(value)
                .map(|country| country.as_str().to_string())
                .ok_or_else(|| {
                    "must be a country by its English short name, such as Kenya".to_string()
                }),
            PersonalField::Phone => parse_phone(value),
            PersonalField::FullName | PersonalField::Address => Ok(value.to_string()),
        }
    }
}

/// The fewest digits a telephone number has.
pub const MIN_PHONE_DIGITS: usize = 7;

/// A telephone number: digits, spaces, `+`, brackets and hyphens, with at least [`MIN_PHONE_DIGITS`]
/// digits, such as `+44 20 7946 0000` or `(020) 7946-0000`.
pub fn parse_phone(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-');
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if value.chars().all(allowed) && digits >= MIN_PHONE_DIGITS {
        Ok(value.to_string())
    } else {
        Err(format!(
            "must be a telephone number of at least {MIN_PHONE_DIGITS} digits, like +44 20 7946 0000 \
             (digits, spaces, +, brackets and hyphens only)"
        ))
    }
}

/// An email address: one `@`, something before it, a dotted domain after it, no spaces.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let bad = || "must be an email address, such as name@example.org".to_string();
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    if local.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err(bad());
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad());
    }
    Ok(value.to_string())
}

impl PersonalDetails {
    pub fn get(&self, field: PersonalField) -> Option<&String> {
        match field {
            PersonalField::FullName => self.full_name.as_ref(),
            PersonalField::DateOfBirth => self.date_of_birth.as_ref(),
            PersonalField::Email => self.email.as_ref(),
            PersonalField::Phone => self.phone.as_ref(),
            PersonalField::Address => self.address.as_ref(),
            PersonalField::Nationality => self.nationality.as_ref(),
            PersonalField::CountryOfResidence => self.country_of_residence.as_ref(),
        }
    }

    pub fn set(&mut self, field: PersonalField, value: Option<String>) {
        let slot = match field {
            PersonalField::FullName => &mut self.full_name,
            PersonalField::DateOfBirth => &mut self.date_of_birth,
            PersonalField::Email => &mut self.email,
            PersonalField::Phone => &mut self.phone,
            PersonalField::Address => &mut self.address,
            PersonalField::Nationality => &mut self.nationality,
            PersonalField::CountryOfResidence => &mut self.country_of_residence,
        };
        *slot = value;
    }
}

/// One entry of the education or employment history: named values (text, numbers, yes/no), kept as the
/// applicant gave them, such as `{"institution": "…", "qualification": "…", "year": 2020}`.
pub type HistoryEntry = BTreeMap<String, Value>;

/// One of up to three course choices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseChoice {
    pub institution: String,
    pub course: String,
    pub level: String,
    /// The country of study; a choice made before courses had one (or given without one) is in the
    /// United Kingdom. Left out of the stored event when not given, as every choice before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
}

impl CourseChoice {
    /// Where this course would be studied.
    pub fn country_of_study(&self) -> Country {
        self.country.clone().unwrap_or_else(Country::united_kingdom)
    }
}

/// A referee: third-party data, shown to staff and redacted from the applicant's subject access response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referee {
    pub name: String,
    pub email: String,
}

/// The four essays of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Essay {
    Leadership,
    Networking,
    StudyPlan,
    CareerPlan,
}

impl Essay {
    pub const ALL: [Essay; 4] = [
        Essay::Leadership,
        Essay::Networking,
        Essay::StudyPlan,
        Essay::CareerPlan,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Essay::Leadership => "leadership",
            Essay::Networking => "networking",
            Essay::StudyPlan => "study_plan",
            Essay::CareerPlan => "career_plan",
        }
    }

    pub fn from_name(name: &str) -> Option<Essay> {
        Essay::ALL.into_iter().find(|essay| essay.name() == name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Essays {
    pub leadership: Option<String>,
    pub networking: Option<String>,
    pub study_plan: Option<String>,
    pub career_plan: Option<String>,
}

impl Essays {
    pub fn get(&self, essay: Essay) -> Option<&String> {
        match essay {
            Essay::Leadership => self.leadership.as_ref(),
            Essay::Networking => self.networking.as_ref(),
            Essay::StudyPlan => self.study_plan.as_ref(),
            Essay::CareerPlan => self.career_plan.as_ref(),
        }
    }

    pub fn set(&mut self, essay: Essay, text: Option<String>) {
        let slot = match essay {
            Essay::Leadership => &mut self.leadership,
            Essay::Networking => &mut self.networking,
            Essay::StudyPlan => &mut self.study_plan,
            Essay::CareerPlan => &mut self.career_plan,
        };
        *slot = text;
    }
}

/// Words in an essay, as a reader counts them: runs of characters between spaces.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The four opt-outs of the policy. Each is `false` (not opted out) until the applicant says otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Not shared with other scholars (the scholar directory).
    pub networking_opt_out: bool,
    /// Email not given to future scholars (the alumni networking scheme).
    pub alumni_email_opt_out: bool,
    /// Not included in the Alumni Open Book, online or in print.
    pub alumni_book_opt_out: bool,
    /// No images, photographs or videos published.
    pub images_opt_out: bool,
}

/// A partial change to the opt-outs: the flags named are set, the others kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferencesChange {
    pub networking_opt_out: Option<bool>,
    pub alumni_email_opt_out: Option<bool>,
    pub alumni_book_opt_out: Option<bool>,
    pub images_opt_out: Option<bool>,
}

impl Preferences {
    /// `only_narrows`: `other` opts out of everything this does, and perhaps more: it takes nothing back.
    pub fn only_narrowed_by(self, other: Preferences) -> bool {
        (!self.networking_opt_out || other.networking_opt_out)
            && (!self.alumni_email_opt_out || other.alumni_email_opt_out)
            && (!self.alumni_book_opt_out || other.alumni_book_opt_out)
            && (!self.images_opt_out || other.images_opt_out)
    }

    pub fn with(self, change: &PreferencesChange) -> Preferences {
        Preferences {
            networking_opt_out: change.networking_opt_out.unwrap_or(self.networking_opt_out),
            alumni_email_opt_out: change
                .alumni_email_opt_out
                .unwrap_or(self.alumni_email_opt_out),
            alumni_book_opt_out: change
                .alumni_book_opt_out
                .unwrap_or(self.alumni_book_opt_out),
            images_opt_out: change.images_opt_out.unwrap_or(self.images_opt_out),
        }
    }
}

/// The sections of the form, by their names in the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Personal,
    Education,
    Employment,
    Courses,
    Essays,
    Referees,
    Preferences,
    /// The commitment to return home after the award.
    Commitment,
}

/// What one save of the draft changes. A section that is `None` is left as it was; within `personal` and
/// `essays` only the fields named change (`None` clears a field); the lists are replaced whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftChanges {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub personal: BTreeMap<PersonalField, Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub education: Option<Vec<HistoryEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employment: Option<Vec<HistoryEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courses: Option<Vec<CourseChoice>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub essays: BTreeMap<Essay, Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referees: Option<Vec<Referee>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<PreferencesChange>,
    /// The commitment to return home for two years after the award (a cycle's screening may ask for it).
    /// Absent from every change saved before it existed, and from those that leave it alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_home: Option<bool>,
}

impl DraftChanges {
    /// The sections this change touches.
    pub fn sections(&self) -> Vec<Section> {
        let mut sections = Vec::new();
        if !self.personal.is_empty() {
            sections.push(Section::Personal);
        }
        if self.education.is_some() {
            sections.push(Section::Education);
        }
        if self.employment.is_some() {
            sections.push(Section::Employment);
        }
        if self.courses.is_some() {
            sections.push(Section::Courses);
        }
        if !self.essays.is_empty() {
            sections.push(Section::Essays);
        }
        if self.referees.is_some() {
            sections.push(Section::Referees);
        }
        if self.preferences.is_some() {
            sections.push(Section::Preferences);
        }
        if self.return_home.is_some() {
            sections.push(Section::Commitment);
        }
        sections
    }

    pub fn is_empty(&self) -> bool {
        self.sections().is_empty()
    }
}

/// The whole form as it stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub personal: PersonalDetails,
    pub education: Vec<HistoryEntry>,
    pub employment: Vec<HistoryEntry>,
    pub courses: Vec<CourseChoice>,
    pub essays: Essays,
    pub referees: Vec<Referee>,
    pub preferences: Preferences,
    /// Whether the applicant commits to return home for two years after the award; `None` until answered.
    #[serde(default)]
    pub return_home: Option<bool>,
}

impl Form {
    /// The form after a saved change.
    pub fn apply(&mut self, changes: &DraftChanges) {
        for (field, value) in &changes.personal {
            self.personal.set(*field, value.clone());
        }
        if let Some(education) = &changes.education {
            self.education = education.clone();
        }
        if let Some(employment) = &changes.employment {
            self.employment = employment.clone();
        }
        if let Some(courses) = &changes.courses {
            self.courses = courses.clone();
        }
        for (essay, text) in &changes.essays {
            self.essays.set(*essay, text.clone());
        }
        if let Some(referees) = &changes.referees {
            self.referees = referees.clone();
        }
        if let Some(preferences) = &changes.preferences {
            self.preferences = self.preferences.with(preferences);
        }
        if let Some(return_home) = changes.return_home {
            self.return_home = Some(return_home);
        }
    }
}

#[cfg(test)]
mod line_break_tests {
    use super::*;

    #[test]
    fn an_address_from_a_text_area_keeps_its_lines_and_a_lone_carriage_return_is_refused() {
        assert_eq!(
            PersonalField::Address.parse_value("2 New Street\r\nNew Town\r\n"),
            Ok("2 New Street\nNew Town".to_string())
        );
        assert_eq!(
            PersonalField::Address.parse_value("2 New Street\nNew Town"),
            Ok("2 New Street\nNew Town".to_string())
        );
        assert!(
            PersonalField::Address
                .parse_value("2 New Street\rNew Town")
                .is_err()
        );
    }
}
