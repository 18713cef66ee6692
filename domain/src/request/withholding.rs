//! What a subject access response may withhold, and on which ground of the Data Protection Act 2018.
//!
//! The right of access (UK GDPR Art 15) gives way where an exemption of the Act's Schedules 2 and 3
//! applies. Each ground here is one an information officer relies on in answering subject access, cited as
//! the Act numbers it; a draft's item is withheld on one of them, with the officer's reason, and the letter
//! lists what was withheld and why.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithholdingGround {
    /// Sch 2 Part 3 para 16: the item would disclose information about another person who has not
    /// consented, and it is not reasonable to disclose it without their consent.
    ThirdParty,
    /// Sch 2 Part 4 para 24: a reference given in confidence for the subject's education or training.
    ConfidentialReference,
    /// Sch 2 Part 4 para 19: legal professional privilege.
    LegalProfessionalPrivilege,
    /// Sch 2 Part 1 para 5(3): disclosure would prejudice legal proceedings or legal advice.
    LegalProceedings,
    /// Sch 2 Part 1 para 2: disclosure would prejudice the prevention or detection of crime or the
    /// assessment or collection of a tax.
    CrimeAndTaxation,
    /// Sch 2 Part 4 para 22: management forecasting or planning, where disclosure would prejudice it.
    ManagementForecasts,
    /// Sch 2 Part 4 para 23: the organisation's intentions in negotiations with the subject.
    Negotiations,
    /// Sch 2 Part 4 para 25: exam scripts and, until results are announced, exam marks.
    ExamScripts,
    /// Sch 3 Part 2: health data whose disclosure would be likely to cause serious harm.
    HealthData,
    /// Sch 3 Part 3: social work data whose disclosure would be likely to cause serious harm.
    SocialWorkData,
    /// Sch 3 Part 4: education data whose disclosure would be likely to cause serious harm.
    EducationData,
}

impl WithholdingGround {
    pub const ALL: [WithholdingGround; 11] = [
        WithholdingGround::ThirdParty,
        WithholdingGround::ConfidentialReference,
        WithholdingGround::LegalProfessionalPrivilege,
        WithholdingGround::LegalProceedings,
        WithholdingGround::CrimeAndTaxation,
        WithholdingGround::ManagementForecasts,
        WithholdingGround::Negotiations,
        WithholdingGround::ExamScripts,
        WithholdingGround::HealthData,
        WithholdingGround::SocialWorkData,
        WithholdingGround::EducationData,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WithholdingGround::ThirdParty => "third_party",
            WithholdingGround::ConfidentialReference => "confidential_reference",
            WithholdingGround::LegalProfessionalPrivilege => "legal_professional_privilege",
            WithholdingGround::LegalProceedings => "legal_proceedings",
            WithholdingGround::CrimeAndTaxation => "crime_and_taxation",
            WithholdingGround::ManagementForecasts => "management_forecasts",
            WithholdingGround::Negotiations => "negotiations",
            WithholdingGround::ExamScripts => "exam_scripts",
            WithholdingGround::HealthData => "health_data",
            WithholdingGround::SocialWorkData => "social_work_data",
            WithholdingGround::EducationData => "education_data",
        }
    }

    pub fn parse(name: &str) -> Option<WithholdingGround> {
        WithholdingGround::ALL
            .into_iter()
            .find(|ground| ground.as_str() == name.trim())
    }

    /// The provision, as the Act numbers it.
    pub fn provision(self) -> &'static str {
        match self {
            WithholdingGround::ThirdParty => {
                "Data Protection Act 2018, Schedule 2, Part 3, paragraph 16"
            }
            WithholdingGround::ConfidentialReference => {
                "Data Protection Act 2018, Schedule 2, Part 4, paragraph 24"
            }
            WithholdingGround::LegalProfessionalPrivilege => {
                "Data Protection Act 2018, Schedule 2, Part 4, paragraph 19"
            }
            WithholdingGround::LegalProceedings => {
                "Data Protection Act 2018, Schedule 2, Part 1, paragraph 5(3)"
            }
            WithholdingGround::CrimeAndTaxation => {
                "Data Protection Act 2018, Schedule 2, Part 1, paragraph 2"
            }
            WithholdingGround::ManagementForecasts => {
                "Data Protection Act 2018, Schedule 2, Part 4, paragraph 22"
            }
            WithholdingGround::Negotiations => {
                "Data Protection Act 2018, Schedule 2, Part 4, paragraph 23"
            }
            WithholdingGround::ExamScripts => {
                "Data Protection Act 2018, Schedule 2, Part 4, paragraph 25"
            }
            WithholdingGround::HealthData => "Data Protection Act 2018, Schedule 3, Part 2",
            WithholdingGround::SocialWorkData => "Data Protection Act 2018, Schedule 3, Part 3",
            WithholdingGround::EducationData => "Data Protection Act 2018, Schedule 3, Part 4",
        }
    }

    /// What the exemption protects, in words for the letter.
    pub fn describe(self) -> &'static str {
        match self {
            WithholdingGround::ThirdParty => {
                "information about another person, who has not agreed to its disclosure (protection of the rights of others)"
            }
            WithholdingGround::ConfidentialReference => {
                "a reference given in confidence for your education or training"
            }
            WithholdingGround::LegalProfessionalPrivilege => {
                "information covered by legal professional privilege"
            }
            WithholdingGround::LegalProceedings => {
                "information whose disclosure would prejudice legal proceedings or the obtaining of legal advice"
            }
            WithholdingGround::CrimeAndTaxation => {
                "information whose disclosure would prejudice the prevention or detection of crime, or the assessment or collection of a tax"
            }
            WithholdingGround::ManagementForecasts => {
                "management forecasting or planning, whose disclosure would prejudice it"
            }
            WithholdingGround::Negotiations => "our intentions in negotiations with you",
            WithholdingGround::ExamScripts => {
                "exam scripts, and exam marks before their announcement"
            }
            WithholdingGround::HealthData => {
                "health data whose disclosure would be likely to cause serious harm"
            }
            WithholdingGround::SocialWorkData => {
                "social work data whose disclosure would be likely to cause serious harm"
            }
            WithholdingGround::EducationData => {
                "education data whose disclosure would be likely to cause serious harm"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ground_is_named_once_and_parses_back() {
        let names: std::collections::BTreeSet<_> =
            WithholdingGround::ALL.iter().map(|g| g.as_str()).collect();
        assert_eq!(names.len(), WithholdingGround::ALL.len());
        for ground in WithholdingGround::ALL {
            assert_eq!(WithholdingGround::parse(ground.as_str()), Some(ground));
            assert!(
                ground
                    .provision()
                    .starts_with("Data Protection Act 2018, Schedule ")
            );
        }
        assert_eq!(WithholdingGround::parse("s.40(2)"), None);
    }
}
