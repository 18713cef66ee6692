//! Sharing: personal data leaves the programme only as a recorded disclosure to a registered recipient that
//! the policy allows for this person.
//!
//! "Where necessary your information will be shared with … the British Embassy or High Commission in your
//! country or the Embassy of the country you selected to study which is located in your country; your
//! country's Embassy or High Commission in the UK/other country of study; any joint sponsor who is
//! contributing to your Scholarship." Anything else is refused, with the reason, and the refusal is recorded.

use serde::{Deserialize, Serialize};

use crate::application::events::AwardTerms;
use crate::application::form::CourseChoice;
use crate::country::Country;
use crate::recipient::RecipientKind;

/// What the rule needs to know of a recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientFacts {
    pub id: String,
    pub name: String,
    pub kind: RecipientKind,
    /// Where the mission stands (a British mission, an embassy of the study country), or the nation it
    /// represents (a home country mission).
    pub country: Country,
    /// The nation whose embassy it is; required of an embassy of the study country.
    #[serde(default)]
    pub represents: Option<Country>,
    /// Where it stands; required of a home country mission.
    #[serde(default)]
    pub located_in: Option<Country>,
}

/// What the rule needs to know of the person whose data would be disclosed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectFacts<'a> {
    pub country_of_residence: Option<&'a str>,
    pub nationality: Option<&'a str>,
    pub joint_sponsor_id: Option<&'a str>,
    /// Where the person studies: the award's country once awarded, before that the countries of their
    /// course choices (any one of them will do).
    pub study_countries: &'a [Country],
}

/// Where the person studies: the award's country once awarded, before that the country of each course
/// choice (the United Kingdom where one gives none), each once.
pub fn study_countries(award: Option<&AwardTerms>, courses: &[CourseChoice]) -> Vec<Country> {
    if let Some(award) = award {
        return vec![award.country_of_study()];
    }
    let mut countries: Vec<Country> = Vec::new();
    for course in courses {
        let country = course.country_of_study();
        if !countries.contains(&country) {
            countries.push(country);
        }
    }
    countries
}

/// Why a disclosure is refused. The sentence is recorded in clear with the refusal, and outlives the
/// application's personal data: it names the recipient's side of the rule and never the person's country.
/// The officer who was refused has the case in front of them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SharingRefusal {
    #[error(
        "{} {kind} may receive data only of people living in {country}, and this person does not live there",
        indefinite_article(.kind)
    )]
    MissionNotInCountryOfResidence {
        kind: String,
        country: String,
        residence: String,
    },
    #[error("this mission represents {country}, and this person is not a national of it")]
    MissionNotOfNationality {
        country: String,
        nationality: String,
    },
    #[error(
        "this embassy represents {represents}, and this person does not study (or chose to study) there"
    )]
    EmbassyNotOfStudyCountry { represents: String },
    #[error(
        "this mission stands in {located_in}, and this person does not study (or chose to study) there"
    )]
    MissionNotInStudyCountry { located_in: String },
    #[error(
        "{} {kind} registered without `{field}` ({meaning}) receives nothing: register it again with it",
        indefinite_article(.kind)
    )]
    RegisteredWithout {
        kind: String,
        field: String,
        meaning: String,
    },
    #[error("{sponsor} is not a joint sponsor contributing to this person's award")]
    NotTheirSponsor { sponsor: String },
    #[error(
        "progress reports may be sent only to the British Embassy or High Commission, or the embassy of the country of study, in the scholar's home country; not to {} {kind}",
        indefinite_article(.kind)
    )]
    ProgressReportsNotFor { kind: String },
    #[error("the application does not say where the person lives or what their nationality is")]
    SubjectCountryUnknown,
    #[error("the application does not say where the person studies or chose to study")]
    StudyCountryUnknown,
}

/// "a" or "an", as the next word wants.
fn indefinite_article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The one sharing rule: may this recipient receive this person's data? Each kind of recipient is one
/// sentence of the policy, below.
pub fn may_disclose(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    match recipient.kind {
        RecipientKind::BritishMission => {
            the_british_embassy_or_high_commission_in_your_country(recipient, subject)
        }
        RecipientKind::StudyCountryEmbassy => {
            the_embassy_of_the_country_you_selected_to_study_in_your_country(recipient, subject)
        }
        RecipientKind::HomeCountryMission => {
            your_countrys_embassy_or_high_commission_in_the_country_of_study(recipient, subject)
        }
        RecipientKind::JointSponsor => {
            any_joint_sponsor_contributing_to_your_scholarship(recipient, subject)
        }
    }
}

/// "Reports on your progress may be sent to the British Embassy or High Commission or the Embassy of other
/// country you selected to study in your home country": progress reports go to those two kinds of recipient
/// only (which of them, for this person, the rule of its kind then decides). Any other field is left to
/// [`may_disclose`].
pub fn progress_reports_go_only_to_missions_in_the_home_country(
    recipient: &RecipientFacts,
    fields: &[String],
) -> Result<(), SharingRefusal> {
    let reports = fields.iter().any(|field| field == PROGRESS_REPORTS);
    match recipient.kind {
        RecipientKind::BritishMission | RecipientKind::StudyCountryEmbassy => Ok(()),
        _ if !reports => Ok(()),
        kind => Err(SharingRefusal::ProgressReportsNotFor {
            kind: kind.describe().to_string(),
        }),
    }
}

/// The disclosable field that carries an award's progress reports.
pub const PROGRESS_REPORTS: &str = "progress_reports";

/// "The British Embassy or High Commission in your country": it stands where the person lives.
pub fn the_british_embassy_or_high_commission_in_your_country(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    stands_in_the_country_of_residence(recipient, subject)
}

/// "The Embassy of the country you selected to study which is located in your country": it stands where the
/// person lives, and represents the country they study (or chose to study) in.
pub fn the_embassy_of_the_country_you_selected_to_study_in_your_country(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    let represents = recipient.represents.as_ref().ok_or_else(|| {
        registered_without(recipient, "represents", "the nation whose embassy it is")
    })?;
    stands_in_the_country_of_residence(recipient, subject)?;
    if is_a_study_country(represents, subject)? {
        Ok(())
    } else {
        Err(SharingRefusal::EmbassyNotOfStudyCountry {
            represents: represents.to_string(),
        })
    }
}

/// "Your country's Embassy or High Commission in the UK/other country of study": it represents the person's
/// nation, and stands in the country they study (or chose to study) in.
pub fn your_countrys_embassy_or_high_commission_in_the_country_of_study(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    let located_in = recipient
        .located_in
        .as_ref()
        .ok_or_else(|| registered_without(recipient, "located_in", "where it stands"))?;
    let nationality = subject
        .nationality
        .ok_or(SharingRefusal::SubjectCountryUnknown)?;
    if recipient.country.as_str() != nationality {
        return Err(SharingRefusal::MissionNotOfNationality {
            country: recipient.country.to_string(),
            nationality: nationality.to_string(),
        });
    }
    if is_a_study_country(located_in, subject)? {
        Ok(())
    } else {
        Err(SharingRefusal::MissionNotInStudyCountry {
            located_in: located_in.to_string(),
        })
    }
}

/// "Any joint sponsor who is contributing to your Scholarship": the joint sponsor of this person's award.
pub fn any_joint_sponsor_contributing_to_your_scholarship(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    if subject.joint_sponsor_id == Some(recipient.id.as_str()) {
        Ok(())
    } else {
        Err(SharingRefusal::NotTheirSponsor {
            sponsor: recipient.name.clone(),
        })
    }
}

fn stands_in_the_country_of_residence(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    let residence = subject
        .country_of_residence
        .ok_or(SharingRefusal::SubjectCountryUnknown)?;
    if recipient.country.as_str() == residence {
        Ok(())
    } else {
        Err(SharingRefusal::MissionNotInCountryOfResidence {
            kind: recipient.kind.describe().to_string(),
            country: recipient.country.to_string(),
            residence: residence.to_string(),
        })
    }
}

fn is_a_study_country(
    country: &Country,
    subject: SubjectFacts<'_>,
) -> Result<bool, SharingRefusal> {
    if subject.study_countries.is_empty() {
        return Err(SharingRefusal::StudyCountryUnknown);
    }
    Ok(subject.study_countries.contains(country))
}

fn registered_without(recipient: &RecipientFacts, field: &str, meaning: &str) -> SharingRefusal {
    SharingRefusal::RegisteredWithout {
        kind: recipient.kind.describe().to_string(),
        field: field.to_string(),
        meaning: meaning.to_string(),
    }
}
