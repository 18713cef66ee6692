//! Fixtures shared by the domain's given/when/then tests: people, the staff directory, the clock, a complete
//! form and the histories that leave an application in each status. (Test files move onto it one by one.)
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cqrs_es::Aggregate;
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use serde_json::json;

use domain::application::aggregate::Outcome;
use domain::application::events::AwardTerms;
use domain::application::form::{CourseChoice, DraftChanges, Essay, PersonalField, Referee};
use domain::application::{
    Application, ApplicationCommand as C, ApplicationEvent as Ev, ApplicationServices,
    StaffDirectory,
};
use domain::country::Country;
use domain::cycle::CycleName;
use domain::recipient::RecipientKind;
use domain::sharing::RecipientFacts;
use domain::{Actor, Authored, Role};

pub const APPLICANT: &str = "applicant-1";
pub const OTHER_APPLICANT: &str = "applicant-2";
pub const OFFICER: &str = "officer-1";
pub const MEMBER: &str = "member-1";
pub const INFORMATION_OFFICER: &str = "information-officer-1";

/// An in-memory staff directory holding the fixtures' staff.
pub struct FakeStaff(HashMap<String, Role>);

#[async_trait]
impl StaffDirectory for FakeStaff {
    async fn role_of(&self, user_id: &str) -> Result<Option<Role>, String> {
        Ok(self.0.get(user_id).copied())
    }
}

pub fn services() -> ApplicationServices {
    let staff = [
        (OFFICER, Role::ProgrammeOfficer),
        (MEMBER, Role::CommitteeMember),
        (INFORMATION_OFFICER, Role::InformationOfficer),
    ]
    .into_iter()
    .map(|(id, role)| (id.to_string(), role))
    .collect();
    ApplicationServices {
        staff: Arc::new(FakeStaff(staff)),
        cycles: Arc::new(domain::cycle::OpenAllYear),
    }
}

pub fn given(events: Vec<Ev>) -> AggregateTestExecutor<Application> {
    TestFramework::with(services()).given(events)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Ten in the morning (UTC) of a day.
pub fn morning_of(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).expect("a valid time"))
}

/// The command, issued by `actor` on `day`.
pub fn on(day: NaiveDate, actor: Actor, command: C) -> Authored<C> {
    Authored::new(actor, morning_of(day), command)
}

pub fn applicant() -> Actor {
    Actor::new(APPLICANT, Role::Applicant)
}
pub fn other_applicant() -> Actor {
    Actor::new(OTHER_APPLICANT, Role::Applicant)
}
pub fn officer() -> Actor {
    Actor::new(OFFICER, Role::ProgrammeOfficer)
}
pub fn information_officer() -> Actor {
    Actor::new(INFORMATION_OFFICER, Role::InformationOfficer)
}

pub fn cycle() -> CycleName {
    CycleName::parse("2026-27").expect("a valid cycle")
}

pub fn country(name: &str) -> Country {
    Country::parse(name).expect("a country the register knows")
}

/// A complete form of a test applicant who lives in Kenya, is a national of Ghana and chose to study in the
/// United Kingdom.
pub fn complete_changes() -> DraftChanges {
    let personal: BTreeMap<PersonalField, Option<String>> = [
        (PersonalField::FullName, "Test Applicant One"),
        (PersonalField::DateOfBirth, "1995-04-12"),
        (PersonalField::Email, "applicant1@example.test"),
        (PersonalField::Phone, "+000 0000 0001"),
        (PersonalField::Address, "1 Test Street, Testville"),
        (PersonalField::Nationality, "Ghana"),
        (PersonalField::CountryOfResidence, "Kenya"),
    ]
    .into_iter()
    .map(|(field, value)| (field, Some(value.to_string())))
    .collect();
    let essays: BTreeMap<Essay, Option<String>> = [
        Essay::Leadership,
        Essay::Networking,
        Essay::StudyPlan,
        Essay::CareerPlan,
    ]
    .into_iter()
    .map(|essay| (essay, Some("A test essay.".to_string())))
    .collect();
    DraftChanges {
        personal,
        education: Some(vec![
            [
                ("institution".to_string(), json!("Test University")),
                ("qualification".to_string(), json!("BSc Test Studies")),
                ("year".to_string(), json!(2018)),
            ]
            .into_iter()
            .collect(),
        ]),
        employment: None,
        courses: Some(vec![CourseChoice {
            institution: "Example University".to_string(),
            course: "MSc Test Policy".to_string(),
            level: "masters".to_string(),
            country: None,
        }]),
        essays,
        referees: Some(vec![Referee {
            name: "Test Referee One".to_string(),
            email: "referee1@example.test".to_string(),
        }]),
        preferences: None,
        return_home: None,
    }
}

pub fn award_terms(level: &str, start_date: NaiveDate) -> AwardTerms {
    AwardTerms {
        institution: "Example University".to_string(),
        course: "MSc Test Policy".to_string(),
        level: level.to_string(),
        start_date,
        country: None,
    }
}

/// A selected application: started, completed, submitted, eligible, reviewed and selected.
pub fn selected() -> Vec<Ev> {
    let changes = complete_changes();
    vec![
        Ev::ApplicationStarted {
            cycle: cycle(),
            applicant_id: APPLICANT.to_string(),
        },
        Ev::DraftSaved {
            sections: changes.sections(),
            changes: changes.into(),
        },
        Ev::ApplicationSubmitted {
            submitted_at: morning_of(date(2026, 1, 5)),
        },
        Ev::EligibilityDetermined {
            eligible: true,
            reason: "checked against the test criteria".to_string().into(),
        },
        Ev::CommitteeMemberAssigned {
            member_id: MEMBER.to_string(),
        },
        Ev::DecisionRecorded {
            outcome: Outcome::Selected,
            reserve_position: None,
        },
    ]
}

pub fn with(mut history: Vec<Ev>, more: impl IntoIterator<Item = Ev>) -> Vec<Ev> {
    history.extend(more);
    history
}

pub fn fold(history: &[Ev]) -> Application {
    let mut application = Application::default();
    for event in history.iter().cloned() {
        application.apply(event);
    }
    application
}

/// A registered recipient of a kind, standing in (or representing) a country; an embassy of the study
/// country represents the United Kingdom and a home country mission stands there.
pub fn recipient(id: &str, kind: RecipientKind, country_name: &str) -> RecipientFacts {
    RecipientFacts {
        id: id.to_string(),
        name: format!("Test recipient {id}"),
        kind,
        country: country(country_name),
        represents: (kind == RecipientKind::StudyCountryEmbassy).then(|| country("United Kingdom")),
        located_in: (kind == RecipientKind::HomeCountryMission).then(|| country("United Kingdom")),
    }
}
