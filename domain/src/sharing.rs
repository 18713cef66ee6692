//! Sharing: personal data leaves the programme only as a recorded disclosure to a registered recipient that
//! the policy allows for this person.
//!
//! "Where necessary your information will be shared with … the British Embassy or High Commission in your
//! country or the Embassy of the country you selected to study which is located in your country; your
//! country's Embassy or High Commission in the UK/other country of study; any joint sponsor who is
//! contributing to your Scholarship." Anything else is refused, with the reason, and the refusal is recorded.

use serde::{Deserialize, Serialize};

use crate::country::Country;
use crate::recipient::RecipientKind;

/// What the rule needs to know of a recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientFacts {
    pub id: String,
    pub name: String,
    pub kind: RecipientKind,
    pub country: Country,
}

/// What the rule needs to know of the person whose data would be disclosed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectFacts<'a> {
    pub country_of_residence: Option<&'a str>,
    pub nationality: Option<&'a str>,
    pub joint_sponsor_id: Option<&'a str>,
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
    #[error("{sponsor} is not a joint sponsor contributing to this person's award")]
    NotTheirSponsor { sponsor: String },
    #[error("the application does not say where the person lives or what their nationality is")]
    SubjectCountryUnknown,
}

/// "a" or "an", as the next word wants.
fn indefinite_article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The one sharing rule: may this recipient receive this person's data?
pub fn may_disclose(
    recipient: &RecipientFacts,
    subject: SubjectFacts<'_>,
) -> Result<(), SharingRefusal> {
    match recipient.kind {
        RecipientKind::BritishMission | RecipientKind::StudyCountryEmbassy => {
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
        RecipientKind::HomeCountryMission => {
            let nationality = subject
                .nationality
                .ok_or(SharingRefusal::SubjectCountryUnknown)?;
            if recipient.country.as_str() == nationality {
                Ok(())
            } else {
                Err(SharingRefusal::MissionNotOfNationality {
                    country: recipient.country.to_string(),
                    nationality: nationality.to_string(),
                })
            }
        }
        RecipientKind::JointSponsor => {
            if subject.joint_sponsor_id == Some(recipient.id.as_str()) {
                Ok(())
            } else {
                Err(SharingRefusal::NotTheirSponsor {
                    sponsor: recipient.name.clone(),
                })
            }
        }
    }
}
