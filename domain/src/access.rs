//! Who sees what of an application: the one table of role → sections (CONTRACT.md, "What each role gets
//! of an application"). The API's application body, the case list's rows, the case page and the
//! committee's pages all show an application through [`view_of`], so a section a role may not see is
//! left out everywhere at once.

use crate::Role;
use crate::application::form::PersonalField;

/// A section of an application, named as the key of the application body that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    Id,
    Cycle,
    Status,
    ApplicantId,
    /// The personal details; which of their fields is shown is the view's `personal`.
    Personal,
    SubmittedAt,
    CreatedAt,
    UpdatedAt,
    Version,
    WithdrawnAt,
    Education,
    Employment,
    Courses,
    Essays,
    Referees,
    Preferences,
    ReturnHome,
    /// The outcome of the decision, in one word.
    Decision,
    /// Who decided, and when.
    DecisionDetail,
    Eligibility,
    ScreeningOverrides,
    /// The committee's assignments and marks (a committee member: their own only).
    Committee,
    MeanScore,
    Award,
    ConcludedWithCycle,
    /// The amendment history of the personal details.
    Amendments,
    PreferenceChanges,
    RectificationNotices,
    Restriction,
    /// Nationality or residence amended after eligibility was decided, to be checked again.
    Recheck,
    /// The data subject's statements that data is inaccurate, kept when a rectification was refused.
    StatementsOfDispute,
    /// Immigration records of an award holder.
    ImmigrationRecords,
    /// What was shared with whom.
    Disclosures,
    /// The letters the case was told by.
    Letters,
    /// The case's events, who did what and when.
    Timeline,
}

impl Section {
    pub const ALL: [Section; 35] = [
        Section::Id,
        Section::Cycle,
        Section::Status,
        Section::ApplicantId,
        Section::Personal,
        Section::SubmittedAt,
        Section::CreatedAt,
        Section::UpdatedAt,
        Section::Version,
        Section::WithdrawnAt,
        Section::Education,
        Section::Employment,
        Section::Courses,
        Section::Essays,
        Section::Referees,
        Section::Preferences,
        Section::ReturnHome,
        Section::Decision,
        Section::DecisionDetail,
        Section::Eligibility,
        Section::ScreeningOverrides,
        Section::Committee,
        Section::MeanScore,
        Section::Award,
        Section::ConcludedWithCycle,
        Section::Amendments,
        Section::PreferenceChanges,
        Section::RectificationNotices,
        Section::Restriction,
        Section::Recheck,
        Section::StatementsOfDispute,
        Section::ImmigrationRecords,
        Section::Disclosures,
        Section::Letters,
        Section::Timeline,
    ];

    /// The key of the application body (or the route) that carries the section.
    pub fn name(self) -> &'static str {
        match self {
            Section::Id => "id",
            Section::Cycle => "cycle",
            Section::Status => "status",
            Section::ApplicantId => "applicant_id",
            Section::Personal => "personal",
            Section::SubmittedAt => "submitted_at",
            Section::CreatedAt => "created_at",
            Section::UpdatedAt => "updated_at",
            Section::Version => "version",
            Section::WithdrawnAt => "withdrawn_at",
            Section::Education => "education",
            Section::Employment => "employment",
            Section::Courses => "courses",
            Section::Essays => "essays",
            Section::Referees => "referees",
            Section::Preferences => "preferences",
            Section::ReturnHome => "return_home",
            Section::Decision => "decision",
            Section::DecisionDetail => "decision_detail",
            Section::Eligibility => "eligibility",
            Section::ScreeningOverrides => "screening_overrides",
            Section::Committee => "committee",
            Section::MeanScore => "mean_score",
            Section::Award => "award",
            Section::ConcludedWithCycle => "concluded_with_cycle",
            Section::Amendments => "amendments",
            Section::PreferenceChanges => "preference_changes",
            Section::RectificationNotices => "rectification_notices",
            Section::Restriction => "restriction",
            Section::Recheck => "recheck",
            Section::StatementsOfDispute => "statements_of_dispute",
            Section::ImmigrationRecords => "immigration_records",
            Section::Disclosures => "disclosures",
            Section::Letters => "letters",
            Section::Timeline => "timeline",
        }
    }

    /// Whether the section is carried by the application body itself (the others have routes or page
    /// parts of their own).
    pub fn in_body(self) -> bool {
        !matches!(
            self,
            Section::ImmigrationRecords
                | Section::Disclosures
                | Section::Letters
                | Section::Timeline
        )
    }
}

/// What one reader sees of an application: its sections, and of the personal section which fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    pub sections: &'static [Section],
    pub personal: &'static [PersonalField],
}

impl View {
    /// No application content at all.
    pub const NOTHING: View = View {
        sections: &[],
        personal: &[],
    };

    pub fn shows(&self, section: Section) -> bool {
        self.sections.contains(&section)
    }

    /// Whether this personal field is shown (the personal section shown, and the field in it).
    pub fn shows_field(&self, field: PersonalField) -> bool {
        self.shows(Section::Personal) && self.personal.contains(&field)
    }

    /// Whether the reader may see anything of an application.
    pub fn is_nothing(&self) -> bool {
        self.sections.is_empty()
    }
}

const EVERYTHING: &[Section] = &Section::ALL;

/// The applicant's own application, whole: the form and its progress (what staff record about the case,
/// such as the committee's marks or the amendment log, is shown to them through a subject access request).
const OWN: &[Section] = &[
    Section::Id,
    Section::Cycle,
    Section::Status,
    Section::ApplicantId,
    Section::Personal,
    Section::SubmittedAt,
    Section::CreatedAt,
    Section::UpdatedAt,
    Section::Version,
    Section::WithdrawnAt,
    Section::Education,
    Section::Employment,
    Section::Courses,
    Section::Essays,
    Section::Referees,
    Section::Preferences,
    Section::ReturnHome,
    Section::Decision,
    Section::Award,
    Section::ConcludedWithCycle,
    Section::Letters,
];

/// The Help Desk amends personal data: the personal section, where the case stands, and the amendments.
const HELPDESK: &[Section] = &[
    Section::Id,
    Section::Cycle,
    Section::Status,
    Section::ApplicantId,
    Section::Personal,
    Section::SubmittedAt,
    Section::Amendments,
];

/// A committee member scores: the form, without the preferences, and their own marks.
const COMMITTEE: &[Section] = &[
    Section::Id,
    Section::Cycle,
    Section::Status,
    Section::ApplicantId,
    Section::Personal,
    Section::SubmittedAt,
    Section::CreatedAt,
    Section::UpdatedAt,
    Section::Version,
    Section::Education,
    Section::Employment,
    Section::Courses,
    Section::Essays,
    Section::Referees,
    Section::ReturnHome,
    Section::Decision,
    Section::Committee,
];

/// Under blind review, nothing that says who the applicant is: neither the personal section nor the
/// referees, nor the applicant's account id (the same in every cycle, it would link a blind application to
/// the name a member saw in another cycle).
const COMMITTEE_BLIND: &[Section] = &[
    Section::Id,
    Section::Cycle,
    Section::Status,
    Section::SubmittedAt,
    Section::CreatedAt,
    Section::UpdatedAt,
    Section::Version,
    Section::Education,
    Section::Employment,
    Section::Courses,
    Section::Essays,
    Section::ReturnHome,
    Section::Decision,
    Section::Committee,
];

const ALL_FIELDS: &[PersonalField] = &PersonalField::ALL;

/// A committee member never sees contact details or the date of birth.
const COMMITTEE_FIELDS: &[PersonalField] = &[
    PersonalField::FullName,
    PersonalField::Nationality,
    PersonalField::CountryOfResidence,
];

/// The table: what each role sees of an application, in a cycle with blind review (`blind`) or not.
/// `Role::Applicant` is the owner's view; whether the reader owns the application, or is assigned to it,
/// is for the caller to check first.
pub fn view_of(role: Role, blind: bool) -> View {
    match role {
        Role::ProgrammeOfficer | Role::InformationOfficer => View {
            sections: EVERYTHING,
            personal: ALL_FIELDS,
        },
        Role::Helpdesk => View {
            sections: HELPDESK,
            personal: ALL_FIELDS,
        },
        Role::CommitteeMember if blind => View {
            sections: COMMITTEE_BLIND,
            personal: &[],
        },
        Role::CommitteeMember => View {
            sections: COMMITTEE,
            personal: COMMITTEE_FIELDS,
        },
        Role::Admin => View::NOTHING,
        Role::Applicant => View {
            sections: OWN,
            personal: ALL_FIELDS,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_listed_once() {
        let mut names: Vec<&str> = Section::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Section::ALL.len());
    }

    #[test]
    fn a_committee_member_never_sees_contact_details_preferences_or_what_was_shared() {
        for blind in [false, true] {
            let view = view_of(Role::CommitteeMember, blind);
            for field in [
                PersonalField::Email,
                PersonalField::Phone,
                PersonalField::Address,
                PersonalField::DateOfBirth,
            ] {
                assert!(!view.shows_field(field));
            }
            for section in [
                Section::Preferences,
                Section::ImmigrationRecords,
                Section::Disclosures,
            ] {
                assert!(!view.shows(section));
            }
        }
        let blind = view_of(Role::CommitteeMember, true);
        assert!(!blind.shows(Section::Personal) && !blind.shows(Section::Referees));
        assert!(!blind.shows(Section::ApplicantId));
    }

    #[test]
    fn an_administrator_reads_no_application() {
        assert!(view_of(Role::Admin, false).is_nothing());
        assert!(view_of(Role::Admin, true).is_nothing());
    }
}
