//! Fixtures shared by the domain's given/when/then tests: people, the staff directory, the clock, the parts
//! of a form, a complete form and the histories that leave an application in each status. Every test file
//! of the domain takes its fixtures from here (`mod common; use common::*;`); a file keeps only what is
//! its own (a history, a command with its values, a clock on another day).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cqrs_es::Aggregate;
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use serde_json::json;

use domain::application::aggregate::Outcome;
use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{
    CourseChoice, DraftChanges, Essay, HistoryEntry, PersonalField, Referee,
};
use domain::application::{
    Application, ApplicationEvent as Ev, ApplicationServices, StaffDirectory,
};
use domain::country::Country;
use domain::cycle::CycleName;
use domain::recipient::RecipientKind;
use domain::sharing::RecipientFacts;
use domain::{Actor, Authored, Role};

pub const APPLICANT: &str = "applicant-1";
pub const OTHER_APPLICANT: &str = "applicant-2";
pub const HELPDESK: &str = "helpdesk-1";
pub const OFFICER: &str = "officer-1";
pub const MEMBER: &str = "member-1";
pub const SECOND_MEMBER: &str = "member-2";
pub const UNASSIGNED_MEMBER: &str = "member-3";
pub const INFORMATION_OFFICER: &str = "information-officer-1";
pub const ADMIN: &str = "admin-1";

/// An in-memory staff directory: the staff accounts of the fixtures, or a directory that cannot be read.
pub struct FakeStaff {
    roles: HashMap<String, Role>,
    available: bool,
}

impl FakeStaff {
    /// Every staff account of the fixtures, with its role.
    pub fn standard() -> Self {
        let roles = [
            (HELPDESK, Role::Helpdesk),
            (OFFICER, Role::ProgrammeOfficer),
            (MEMBER, Role::CommitteeMember),
            (SECOND_MEMBER, Role::CommitteeMember),
            (UNASSIGNED_MEMBER, Role::CommitteeMember),
            (INFORMATION_OFFICER, Role::InformationOfficer),
            (ADMIN, Role::Admin),
        ]
        .into_iter()
        .map(|(id, role)| (id.to_string(), role))
        .collect();
        Self {
            roles,
            available: true,
        }
    }

    /// A directory that cannot be read.
    pub fn unavailable() -> Self {
        Self {
            roles: HashMap::new(),
            available: false,
        }
    }
}

#[async_trait]
impl StaffDirectory for FakeStaff {
    async fn role_of(&self, user_id: &str) -> Result<Option<Role>, String> {
        if !self.available {
            return Err("the test directory is offline".to_string());
        }
        Ok(self.roles.get(user_id).copied())
    }
}

/// The application's services over this staff directory, with cycles open all year.
pub fn services_with(staff: FakeStaff) -> ApplicationServices {
    ApplicationServices {
        staff: Arc::new(staff),
        cycles: Arc::new(domain::cycle::OpenAllYear),
    }
}

pub fn services() -> ApplicationServices {
    services_with(FakeStaff::standard())
}

/// An application with this history.
pub fn given(events: Vec<Ev>) -> AggregateTestExecutor<Application> {
    TestFramework::with(services()).given(events)
}

/// An application not yet started.
pub fn given_nothing() -> AggregateTestExecutor<Application> {
    TestFramework::with(services()).given_no_previous_events()
}

/// An aggregate that needs no services (an information request, a recipient, an immigration record),
/// with this history.
pub fn given_of<A: Aggregate<Services = ()>>(events: Vec<A::Event>) -> AggregateTestExecutor<A> {
    TestFramework::with(()).given(events)
}

/// An aggregate that needs no services, with no history.
pub fn nothing_given_of<A: Aggregate<Services = ()>>() -> AggregateTestExecutor<A> {
    TestFramework::with(()).given_no_previous_events()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The moment the commands of the tests are issued, unless a test names its day.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("a valid time")
}

/// Ten in the morning (UTC) of a day.
pub fn morning_of(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).expect("a valid time"))
}

/// The command, issued by `actor` [`now`].
pub fn by<T>(actor: Actor, command: T) -> Authored<T> {
    Authored::new(actor, now(), command)
}

/// The command, issued by `actor` at `moment`.
pub fn at<T>(moment: DateTime<Utc>, actor: Actor, command: T) -> Authored<T> {
    Authored::new(actor, moment, command)
}

/// The command, issued by `actor` on `day`.
pub fn on<T>(day: NaiveDate, actor: Actor, command: T) -> Authored<T> {
    Authored::new(actor, morning_of(day), command)
}

pub fn applicant() -> Actor {
    Actor::new(APPLICANT, Role::Applicant)
}
pub fn other_applicant() -> Actor {
    Actor::new(OTHER_APPLICANT, Role::Applicant)
}
pub fn helpdesk() -> Actor {
    Actor::new(HELPDESK, Role::Helpdesk)
}
pub fn officer() -> Actor {
    Actor::new(OFFICER, Role::ProgrammeOfficer)
}
pub fn member() -> Actor {
    Actor::new(MEMBER, Role::CommitteeMember)
}
pub fn second_member() -> Actor {
    Actor::new(SECOND_MEMBER, Role::CommitteeMember)
}
pub fn unassigned_member() -> Actor {
    Actor::new(UNASSIGNED_MEMBER, Role::CommitteeMember)
}
pub fn information_officer() -> Actor {
    Actor::new(INFORMATION_OFFICER, Role::InformationOfficer)
}
pub fn admin() -> Actor {
    Actor::new(ADMIN, Role::Admin)
}

/// Someone of each role: the applicant is the owner, the committee member the one assigned (where one is).
pub fn someone_with(role: Role) -> Actor {
    match role {
        Role::Applicant => applicant(),
        Role::Helpdesk => helpdesk(),
        Role::ProgrammeOfficer => officer(),
        Role::CommitteeMember => member(),
        Role::InformationOfficer => information_officer(),
        Role::Admin => admin(),
    }
}

pub fn cycle() -> CycleName {
    CycleName::parse("2026-27").expect("a valid cycle")
}

pub fn country(name: &str) -> Country {
    Country::parse(name).expect("a country the register knows")
}

pub fn entry(values: &[(&str, serde_json::Value)]) -> HistoryEntry {
    values
        .iter()
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect()
}

pub fn course(institution: &str, course: &str, level: &str) -> CourseChoice {
    CourseChoice {
        institution: institution.to_string(),
        course: course.to_string(),
        level: level.to_string(),
        country: None,
    }
}

pub fn referee(name: &str, email: &str) -> Referee {
    Referee {
        name: name.to_string(),
        email: email.to_string(),
    }
}

pub fn personal(
    values: &[(PersonalField, Option<&str>)],
) -> BTreeMap<PersonalField, Option<String>> {
    values
        .iter()
        .map(|(field, value)| (*field, value.map(str::to_string)))
        .collect()
}

pub fn essays(values: &[(Essay, Option<&str>)]) -> BTreeMap<Essay, Option<String>> {
    values
        .iter()
        .map(|(essay, value)| (*essay, value.map(str::to_string)))
        .collect()
}

/// `n` words.
pub fn words(n: usize) -> String {
    vec!["word"; n].join(" ")
}

/// A committee member's marks, with a comment.
pub fn scores(leadership: u8, networking: u8, study_plan: u8, career_plan: u8) -> Scores {
    Scores {
        leadership,
        networking,
        study_plan,
        career_plan,
        comment: "A test comment".to_string(),
    }
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
