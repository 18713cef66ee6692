//! Given/when/then tests of the `Application` aggregate: every rule of the lifecycle in SPEC.md and
//! CONTRACT.md (Applications), and every refusal a command can produce.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;
use serde_json::json;

use common::*;
use domain::application::aggregate::Outcome;
use domain::application::events::{AwardTerms, FieldChange};
use domain::application::form::{
    DraftChanges, Essay, HistoryEntry, PersonalField, Preferences, PreferencesChange, Section,
};
use domain::application::rules::FieldProblem;
use domain::application::{
    Application, ApplicationCommand as C, ApplicationError as E, ApplicationEvent as Ev,
    ApplicationServices, Status,
};
use domain::cycle::CycleName;
use domain::screening::{ScreeningFailure, ScreeningRule, ScreeningRules};
use domain::{Actor, Role};

// ---------------------------------------------------------------------------------------------------------
// Fixtures of this file: the form of a test applicant who is a national and resident of Kenya, with two
// referees (the people, the staff directory, the clock and the parts of a form are in `common`).
// ---------------------------------------------------------------------------------------------------------

/// Everything a submission needs, already in canonical form.
fn complete_form() -> DraftChanges {
    DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("Test Applicant One")),
            (PersonalField::DateOfBirth, Some("1995-04-12")),
            (PersonalField::Email, Some("applicant1@example.test")),
            (PersonalField::Phone, Some("+000 0000 0001")),
            (PersonalField::Address, Some("1 Test Street, Testville")),
            (PersonalField::Nationality, Some("Kenya")),
            (PersonalField::CountryOfResidence, Some("Kenya")),
        ]),
        education: Some(vec![entry(&[
            ("institution", json!("Test University")),
            ("qualification", json!("BSc Test Studies")),
            ("year", json!(2018)),
        ])]),
        employment: None,
        courses: Some(vec![course(
            "Example University",
            "MSc Test Policy",
            "masters",
        )]),
        essays: essays(&[
            (Essay::Leadership, Some("I led a test team of volunteers.")),
            (
                Essay::Networking,
                Some("I keep in touch with a test network."),
            ),
            (Essay::StudyPlan, Some("I will study test policy.")),
            (
                Essay::CareerPlan,
                Some("I will go back to a test ministry."),
            ),
        ]),
        referees: Some(vec![
            referee("Test Referee One", "referee1@example.test"),
            referee("Test Referee Two", "referee2@example.test"),
        ]),
        preferences: None,
        return_home: None,
    }
}

fn all_opted_out() -> Preferences {
    Preferences {
        networking_opt_out: true,
        alumni_email_opt_out: true,
        alumni_book_opt_out: true,
        images_opt_out: true,
    }
}

fn only_images_opted_out() -> Preferences {
    Preferences {
        images_opt_out: true,
        ..Preferences::default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Events and histories.
// ---------------------------------------------------------------------------------------------------------

fn started() -> Ev {
    Ev::ApplicationStarted {
        cycle: cycle(),
        applicant_id: APPLICANT.to_string(),
    }
}

fn saved(changes: DraftChanges) -> Ev {
    Ev::DraftSaved {
        sections: changes.sections(),
        changes: changes.into(),
    }
}

fn submitted_event() -> Ev {
    Ev::ApplicationSubmitted {
        submitted_at: now() - chrono::Duration::days(10),
    }
}

fn eligibility(eligible: bool) -> Ev {
    Ev::EligibilityDetermined {
        eligible,
        reason: "checked against the test criteria".to_string().into(),
    }
}

fn assigned(member_id: &str) -> Ev {
    Ev::CommitteeMemberAssigned {
        member_id: member_id.to_string(),
    }
}

fn conflict(member_id: &str) -> Ev {
    Ev::ConflictDeclared {
        member_id: member_id.to_string(),
        reason: "a test conflict".to_string().into(),
    }
}

fn decision(outcome: Outcome) -> Ev {
    Ev::DecisionRecorded {
        outcome,
        reserve_position: None,
    }
}

fn award_made() -> Ev {
    Ev::AwardMade {
        terms: award_terms("masters", date(2026, 9, 28)).into(),
        joint_sponsor_id: None,
    }
}

fn award_completed() -> Ev {
    Ev::AwardCompleted {
        completed_on: date(2027, 9, 30),
        outcome: "Merit".to_string().into(),
    }
}

fn withdrawn_from(previous_status: Status) -> Ev {
    Ev::ApplicationWithdrawn { previous_status }
}

fn with(mut history: Vec<Ev>, more: impl IntoIterator<Item = Ev>) -> Vec<Ev> {
    history.extend(more);
    history
}

fn draft() -> Vec<Ev> {
    vec![started()]
}
fn complete_draft() -> Vec<Ev> {
    with(draft(), [saved(complete_form())])
}
fn submitted() -> Vec<Ev> {
    with(complete_draft(), [submitted_event()])
}
fn eligible() -> Vec<Ev> {
    with(submitted(), [eligibility(true)])
}
fn ineligible() -> Vec<Ev> {
    with(submitted(), [eligibility(false)])
}
/// Eligible, with `member-1` assigned.
fn under_review() -> Vec<Ev> {
    with(eligible(), [assigned(MEMBER)])
}
fn decided(outcome: Outcome) -> Vec<Ev> {
    with(under_review(), [decision(outcome)])
}
fn awarded() -> Vec<Ev> {
    with(decided(Outcome::Selected), [award_made()])
}
fn alumni() -> Vec<Ev> {
    with(awarded(), [award_completed()])
}
fn withdrawn_draft() -> Vec<Ev> {
    with(complete_draft(), [withdrawn_from(Status::Draft)])
}
fn withdrawn_after_submission() -> Vec<Ev> {
    with(submitted(), [withdrawn_from(Status::Submitted)])
}

/// A history that leaves the application in each status (where the lifecycle can reach it).
fn history_in(status: Status) -> Vec<Ev> {
    match status {
        Status::NotStarted => vec![],
        Status::Draft => complete_draft(),
        Status::Submitted => submitted(),
        Status::Eligible => eligible(),
        Status::Ineligible => ineligible(),
        Status::UnderReview => under_review(),
        Status::Selected => decided(Outcome::Selected),
        Status::Reserve => decided(Outcome::Reserve),
        Status::Unsuccessful => decided(Outcome::Unsuccessful),
        Status::Awarded => awarded(),
        Status::Alumni => alumni(),
        Status::Withdrawn => withdrawn_after_submission(),
    }
}

const EVERY_STATUS: [Status; 11] = [
    Status::Draft,
    Status::Submitted,
    Status::Eligible,
    Status::Ineligible,
    Status::UnderReview,
    Status::Selected,
    Status::Reserve,
    Status::Unsuccessful,
    Status::Awarded,
    Status::Alumni,
    Status::Withdrawn,
];

fn fold(history: &[Ev]) -> Application {
    let mut application = Application::default();
    for event in history.iter().cloned() {
        application.apply(event);
    }
    application
}

// ---------------------------------------------------------------------------------------------------------
// The histories themselves are what they claim to be.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn each_fixture_history_leaves_the_application_in_the_status_it_is_named_after() {
    assert_eq!(fold(&[]).status, Status::NotStarted);
    for status in EVERY_STATUS {
        assert_eq!(
            fold(&history_in(status)).status,
            status,
            "history for {status:?}"
        );
    }
    assert_eq!(fold(&withdrawn_draft()).status, Status::Withdrawn);
}

// ---------------------------------------------------------------------------------------------------------
// Starting an application.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_applicant_starts_a_draft_application_in_a_cycle() {
    given_nothing()
        .when_async(by(applicant(), C::StartApplication { cycle: cycle() }))
        .await
        .then_expect_events(vec![Ev::ApplicationStarted {
            cycle: cycle(),
            applicant_id: APPLICANT.to_string(),
        }]);
}

#[tokio::test]
async fn staff_cannot_start_an_application() {
    for role in Role::ALL.into_iter().filter(|role| role.is_staff()) {
        given_nothing()
            .when_async(by(
                someone_with(role),
                C::StartApplication { cycle: cycle() },
            ))
            .await
            .then_expect_error(E::Forbidden);
    }
}

#[tokio::test]
async fn an_application_cannot_be_started_twice() {
    given(draft())
        .when_async(by(applicant(), C::StartApplication { cycle: cycle() }))
        .await
        .then_expect_error(E::AlreadyStarted);
}

// ---------------------------------------------------------------------------------------------------------
// An application that does not exist, or belongs to someone else.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_command_on_an_application_that_does_not_exist_is_not_found() {
    let attempts = [
        (applicant(), C::SubmitApplication { notice: None }),
        (applicant(), C::WithdrawApplication),
        (
            applicant(),
            C::SaveDraft {
                changes: complete_form(),
            },
        ),
        (
            officer(),
            C::DetermineEligibility {
                eligible: true,
                reason: "test".to_string(),
            },
        ),
        (
            helpdesk(),
            C::AmendPersonalData {
                changes: vec![("personal.phone".to_string(), "+000 0000 0009".to_string())],
                reason: "test".to_string(),
                requested_by: "test".to_string(),
            },
        ),
        (
            member(),
            C::DeclareConflict {
                reason: "test".to_string(),
            },
        ),
    ];
    for (actor, command) in attempts {
        given_nothing()
            .when_async(by(actor, command))
            .await
            .then_expect_error(E::NotFound);
    }
}

#[tokio::test]
async fn another_applicant_is_told_the_application_does_not_exist() {
    let attempts = [
        C::SaveDraft {
            changes: complete_form(),
        },
        C::SubmitApplication { notice: None },
        C::WithdrawApplication,
        C::SetPreferences {
            preferences: all_opted_out(),
            reason: None,
        },
    ];
    for command in attempts {
        given(complete_draft())
            .when_async(by(other_applicant(), command))
            .await
            .then_expect_error(E::NotFound);
    }
}

/// A role that may not issue a command is refused before the application is looked at: another applicant
/// gets the same answer whether the application exists or not, so learns nothing of it.
#[tokio::test]
async fn another_applicant_issuing_a_staff_command_learns_nothing_either() {
    let command = || C::DetermineEligibility {
        eligible: true,
        reason: "test".to_string(),
    };
    given(submitted())
        .when_async(by(other_applicant(), command()))
        .await
        .then_expect_error(E::Forbidden);
    given_nothing()
        .when_async(by(other_applicant(), command()))
        .await
        .then_expect_error(E::Forbidden);
}

// ---------------------------------------------------------------------------------------------------------
// Role permissions.
// ---------------------------------------------------------------------------------------------------------

/// Each command, a history in which its rightful issuer would succeed, and the roles that may issue it.
fn permission_table() -> Vec<(&'static str, Vec<Ev>, C, Vec<Role>)> {
    vec![
        (
            "save draft",
            draft(),
            C::SaveDraft {
                changes: complete_form(),
            },
            vec![Role::Applicant],
        ),
        (
            "submit",
            complete_draft(),
            C::SubmitApplication { notice: None },
            vec![Role::Applicant],
        ),
        (
            "withdraw",
            submitted(),
            C::WithdrawApplication,
            vec![Role::Applicant],
        ),
        (
            "set preferences",
            complete_draft(),
            C::SetPreferences {
                preferences: all_opted_out(),
                reason: None,
            },
            vec![Role::Applicant, Role::ProgrammeOfficer],
        ),
        (
            "amend",
            submitted(),
            C::AmendPersonalData {
                changes: vec![("personal.phone".to_string(), "+000 0000 0009".to_string())],
                reason: "test".to_string(),
                requested_by: "test".to_string(),
            },
            vec![Role::Helpdesk],
        ),
        (
            "rectify",
            submitted(),
            C::RectifyPersonalData {
                request_id: "request-1".to_string(),
                changes: vec![("personal.phone".to_string(), "+000 0000 0009".to_string())],
                reason: "test".to_string(),
            },
            vec![Role::InformationOfficer],
        ),
        (
            "honour objection",
            submitted(),
            C::HonourObjection {
                request_id: "request-1".to_string(),
                opt_outs: domain::request::opt_outs_for(&[domain::request::ObjectedUse::Images]),
            },
            vec![Role::InformationOfficer],
        ),
        (
            "eligibility",
            submitted(),
            C::DetermineEligibility {
                eligible: true,
                reason: "test".to_string(),
            },
            vec![Role::ProgrammeOfficer],
        ),
        (
            "assign",
            eligible(),
            C::AssignCommitteeMember {
                member_id: SECOND_MEMBER.to_string(),
            },
            vec![Role::ProgrammeOfficer],
        ),
        (
            "declare conflict",
            under_review(),
            C::DeclareConflict {
                reason: "test".to_string(),
            },
            vec![Role::CommitteeMember],
        ),
        (
            "score",
            under_review(),
            C::ScoreApplication {
                scores: scores(5, 5, 5, 5),
            },
            vec![Role::CommitteeMember],
        ),
        (
            "decide",
            under_review(),
            C::RecordDecision {
                outcome: Outcome::Selected,
                reserve_position: None,
            },
            vec![Role::ProgrammeOfficer],
        ),
        (
            "award",
            decided(Outcome::Selected),
            C::MakeAward {
                terms: award_terms("masters", date(2026, 9, 28)),
                joint_sponsor_id: None,
            },
            vec![Role::ProgrammeOfficer],
        ),
        (
            "complete award",
            awarded(),
            C::CompleteAward {
                outcome: "Merit".to_string(),
                completed_on: date(2026, 2, 27),
            },
            vec![Role::ProgrammeOfficer],
        ),
    ]
}

#[tokio::test]
async fn every_role_that_may_not_issue_a_command_is_forbidden() {
    for (name, history, command, allowed) in permission_table() {
        for role in Role::ALL.into_iter().filter(|role| !allowed.contains(role)) {
            let result = given(history.clone())
                .when_async(by(someone_with(role), command.clone()))
                .await
                .inspect_result();
            assert_eq!(result, Err(E::Forbidden), "{role} issuing {name}");
        }
    }
}

#[tokio::test]
async fn every_role_that_may_issue_a_command_gets_past_the_permission_check() {
    for (name, history, command, allowed) in permission_table() {
        for role in allowed {
            let result = given(history.clone())
                .when_async(by(someone_with(role), command.clone()))
                .await
                .inspect_result();
            assert!(
                matches!(&result, Ok(events) if events.len() == 1),
                "{role} issuing {name}: {result:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Editing the draft.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_applicant_saves_a_complete_form_in_one_go() {
    let changes = complete_form();
    given(draft())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: changes.clone(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::DraftSaved {
            sections: vec![
                Section::Personal,
                Section::Education,
                Section::Courses,
                Section::Essays,
                Section::Referees,
            ],
            changes: changes.into(),
        }]);
}

#[tokio::test]
async fn a_saved_draft_is_recorded_in_canonical_form() {
    let typed = DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("  Test Applicant One  ")),
            (PersonalField::Nationality, Some(" kenya ")),
            (PersonalField::CountryOfResidence, Some("UK")),
        ]),
        courses: Some(vec![course(
            "  Example University ",
            " MSc Test Policy",
            "masters  ",
        )]),
        referees: Some(vec![referee(
            " Test Referee One ",
            " referee1@example.test ",
        )]),
        ..DraftChanges::default()
    };
    let canonical = DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("Test Applicant One")),
            (PersonalField::Nationality, Some("Kenya")),
            (PersonalField::CountryOfResidence, Some("United Kingdom")),
        ]),
        courses: Some(vec![course(
            "Example University",
            "MSc Test Policy",
            "masters",
        )]),
        referees: Some(vec![referee("Test Referee One", "referee1@example.test")]),
        ..DraftChanges::default()
    };
    given(draft())
        .when_async(by(applicant(), C::SaveDraft { changes: typed }))
        .await
        .then_expect_events(vec![Ev::DraftSaved {
            sections: vec![Section::Personal, Section::Courses, Section::Referees],
            changes: canonical.into(),
        }]);
}

#[tokio::test]
async fn an_applicant_can_change_the_draft_again_and_again_until_submission() {
    let changes = DraftChanges {
        essays: essays(&[(Essay::Leadership, Some("A rewritten test essay."))]),
        employment: Some(vec![entry(&[
            ("employer", json!("Test Employer")),
            ("current", json!(true)),
        ])]),
        preferences: Some(PreferencesChange {
            images_opt_out: Some(true),
            ..PreferencesChange::default()
        }),
        ..DraftChanges::default()
    };
    given(complete_draft())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: changes.clone(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::DraftSaved {
            sections: vec![Section::Employment, Section::Essays, Section::Preferences],
            changes: changes.into(),
        }]);
}

#[tokio::test]
async fn an_applicant_can_clear_a_field_of_the_draft() {
    let changes = DraftChanges {
        personal: personal(&[(PersonalField::Phone, None)]),
        essays: essays(&[(Essay::CareerPlan, None)]),
        ..DraftChanges::default()
    };
    given(complete_draft())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: changes.clone(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::DraftSaved {
            sections: vec![Section::Personal, Section::Essays],
            changes: changes.into(),
        }]);
}

#[tokio::test]
async fn saving_nothing_records_nothing() {
    given(complete_draft())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: DraftChanges::default(),
            },
        ))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_draft_may_hold_the_form_limits_exactly() {
    let changes = DraftChanges {
        courses: Some(vec![
            course("Example University", "MSc One", "masters"),
            course("Example University", "MSc Two", "masters"),
            course("Example University", "MSc Three", "masters"),
        ]),
        essays: essays(&[(Essay::StudyPlan, Some(&words(500)))]),
        ..DraftChanges::default()
    };
    given(draft())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: changes.clone(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::DraftSaved {
            sections: vec![Section::Courses, Section::Essays],
            changes: changes.into(),
        }]);
}

#[tokio::test]
async fn invalid_personal_details_in_a_draft_are_refused_field_by_field() {
    let long_phone = "1".repeat(501);
    let changes = DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("   ")),
            (PersonalField::DateOfBirth, Some("1995-13-40")),
            (PersonalField::Email, Some("applicant1.example.test")),
            (PersonalField::Phone, Some(&long_phone)),
            (PersonalField::Address, Some("1 Test Street\u{7}")),
            (PersonalField::Nationality, Some("Kenyan")),
            (PersonalField::CountryOfResidence, Some("Atlantis")),
        ]),
        ..DraftChanges::default()
    };
    let country = "must be a country by its English short name, such as Kenya";
    given(draft())
        .when_async(by(applicant(), C::SaveDraft { changes }))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![
                FieldProblem::new("personal.full_name", "must not be empty"),
                FieldProblem::new(
                    "personal.date_of_birth",
                    "must be a date written YYYY-MM-DD",
                ),
                FieldProblem::new(
                    "personal.email",
                    "must be an email address, such as name@example.org",
                ),
                FieldProblem::new("personal.phone", "must be at most 500 characters"),
                FieldProblem::new("personal.address", "must not contain control characters"),
                FieldProblem::new("personal.nationality", country),
                FieldProblem::new("personal.country_of_residence", country),
            ],
        });
}

#[tokio::test]
async fn invalid_lists_and_essays_in_a_draft_are_all_reported_at_once() {
    let too_many_entries = vec![entry(&[("institution", json!("Test School"))]); 21];
    let too_many_values: HistoryEntry = (0..21)
        .map(|i| (format!("value_{i:02}"), json!(i)))
        .collect();
    let changes = DraftChanges {
        education: Some(too_many_entries),
        employment: Some(vec![
            too_many_values,
            entry(&[("bad key", json!("x")), ("roles", json!(["a", "b"]))]),
        ]),
        courses: Some(vec![
            course("Example University", &"c".repeat(501), "masters"),
            course("Example University", "MSc Two", "masters"),
            course("Example University", "MSc Three", "masters"),
            course("Example University", "MSc Four", "masters"),
        ]),
        essays: essays(&[
            (Essay::Leadership, Some(&words(501))),
            (Essay::Networking, Some("a test essay\u{0}")),
        ]),
        referees: Some(vec![
            referee("Test Referee One", "referee1@example.test"),
            referee("Test Referee Two", "referee2-at-example.test"),
            referee("Test Referee Three", "referee3@example.test"),
        ]),
        ..DraftChanges::default()
    };
    given(draft())
        .when_async(by(applicant(), C::SaveDraft { changes }))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![
                FieldProblem::new("education", "at most 20 entries"),
                FieldProblem::new("employment[0]", "at most 20 named values"),
                FieldProblem::new(
                    "employment[1]",
                    "names of values are letters, digits and underscores, at most 40",
                ),
                FieldProblem::new("employment[1].roles", "must be text, a number or yes/no"),
                FieldProblem::new("courses", "at most 3 course choices"),
                FieldProblem::new("courses[0].course", "must be at most 500 characters"),
                FieldProblem::new("essays.leadership", "must be at most 500 words; it has 501"),
                FieldProblem::new("essays.networking", "must not contain control characters"),
                FieldProblem::new("referees", "name exactly 2 referees"),
                FieldProblem::new(
                    "referees[1].email",
                    "must be an email address, such as name@example.org",
                ),
            ],
        });
}

#[tokio::test]
async fn an_applicant_cannot_edit_after_submission() {
    for status in [Status::Submitted, Status::UnderReview, Status::Awarded] {
        given(history_in(status))
            .when_async(by(
                applicant(),
                C::SaveDraft {
                    changes: DraftChanges {
                        essays: essays(&[(Essay::Leadership, Some("A late change."))]),
                        ..DraftChanges::default()
                    },
                },
            ))
            .await
            .then_expect_error(E::ApplicationSubmitted);
    }
}

#[tokio::test]
async fn the_refusal_of_a_late_edit_tells_the_applicant_to_contact_the_help_desk() {
    given(submitted())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: complete_form(),
            },
        ))
        .await
        .then_expect_error_message(
            "the application has been submitted and can no longer be edited; to correct your personal \
             details, contact the Help Desk",
        );
}

// ---------------------------------------------------------------------------------------------------------
// Submission: completeness and eligibility.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_complete_and_eligible_draft_is_submitted_at_the_time_of_the_command() {
    given(complete_draft())
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_events(vec![Ev::ApplicationSubmitted {
            submitted_at: now(),
        }]);
}

#[tokio::test]
async fn an_empty_draft_cannot_be_submitted_and_every_missing_path_is_listed_in_form_order() {
    given(draft())
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error(E::Incomplete {
            missing: [
                "personal.full_name",
                "personal.date_of_birth",
                "personal.email",
                "personal.phone",
                "personal.address",
                "personal.nationality",
                "personal.country_of_residence",
                "education",
                "courses",
                "essays.leadership",
                "essays.networking",
                "essays.study_plan",
                "essays.career_plan",
                "referees[0]",
                "referees[1]",
            ]
            .map(String::from)
            .to_vec(),
        });
}

#[tokio::test]
async fn a_partly_filled_draft_lists_only_what_is_still_missing() {
    let gaps = DraftChanges {
        personal: personal(&[(PersonalField::Phone, None)]),
        education: Some(vec![entry(&[
            ("institution", json!("   ")),
            ("year", json!(null)),
        ])]),
        courses: Some(vec![
            course("Example University", "", "masters"),
            course(" ", "MSc Test Two", ""),
        ]),
        essays: essays(&[(Essay::CareerPlan, Some("   "))]),
        referees: Some(vec![referee("Test Referee One", "")]),
        ..DraftChanges::default()
    };
    given(with(complete_draft(), [saved(gaps)]))
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error(E::Incomplete {
            missing: [
                "personal.phone",
                "education",
                "courses[0].course",
                "courses[1].institution",
                "courses[1].level",
                "essays.career_plan",
                "referees[0].email",
                "referees[1]",
            ]
            .map(String::from)
            .to_vec(),
        });
}

#[tokio::test]
async fn a_referee_without_a_name_is_missing_at_submission() {
    let gaps = DraftChanges {
        referees: Some(vec![
            referee("", "referee1@example.test"),
            referee("Test Referee Two", "referee2@example.test"),
        ]),
        ..DraftChanges::default()
    };
    given(with(complete_draft(), [saved(gaps)]))
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error(E::Incomplete {
            missing: vec!["referees[0].name".to_string()],
        });
}

#[tokio::test]
async fn an_applicant_born_on_the_day_of_submission_or_later_is_not_eligible() {
    for born in ["2026-03-02", "2030-01-01"] {
        let changes = DraftChanges {
            personal: personal(&[(PersonalField::DateOfBirth, Some(born))]),
            ..DraftChanges::default()
        };
        given(with(complete_draft(), [saved(changes)]))
            .when_async(by(applicant(), C::SubmitApplication { notice: None }))
            .await
            .then_expect_error(E::NotEligible {
                reasons: vec!["the date of birth must be in the past".to_string()],
                failures: vec![],
            });
    }
}

#[tokio::test]
async fn completeness_is_checked_before_eligibility() {
    let changes = DraftChanges {
        personal: personal(&[
            (PersonalField::DateOfBirth, Some("2030-01-01")),
            (PersonalField::Phone, None),
        ]),
        ..DraftChanges::default()
    };
    given(with(complete_draft(), [saved(changes)]))
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error(E::Incomplete {
            missing: vec!["personal.phone".to_string()],
        });
}

#[tokio::test]
async fn a_submitted_application_cannot_be_submitted_again() {
    for status in [Status::Submitted, Status::Eligible, Status::Selected] {
        given(history_in(status))
            .when_async(by(applicant(), C::SubmitApplication { notice: None }))
            .await
            .then_expect_error(E::ApplicationSubmitted);
    }
}

#[tokio::test]
async fn a_withdrawn_application_cannot_be_submitted() {
    for history in [withdrawn_draft(), withdrawn_after_submission()] {
        given(history)
            .when_async(by(applicant(), C::SubmitApplication { notice: None }))
            .await
            .then_expect_error(E::InvalidState {
                action: "submit",
                status: Status::Withdrawn,
            });
    }
}

#[tokio::test]
async fn the_refusal_names_the_action_and_the_status() {
    given(withdrawn_draft())
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error_message("cannot submit an application that is withdrawn");
    given(submitted())
        .when_async(by(
            officer(),
            C::RecordDecision {
                outcome: Outcome::Selected,
                reserve_position: None,
            },
        ))
        .await
        .then_expect_error_message("cannot decide an application that is submitted");
}

// ---------------------------------------------------------------------------------------------------------
// Withdrawal.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_applicant_can_withdraw_at_any_point_before_a_decision() {
    for status in [
        Status::Draft,
        Status::Submitted,
        Status::Eligible,
        Status::UnderReview,
    ] {
        given(history_in(status))
            .when_async(by(applicant(), C::WithdrawApplication))
            .await
            .then_expect_events(vec![Ev::ApplicationWithdrawn {
                previous_status: status,
            }]);
    }
}

#[tokio::test]
async fn an_applicant_cannot_withdraw_after_a_decision() {
    for status in [
        Status::Ineligible,
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Awarded,
        Status::Alumni,
    ] {
        given(history_in(status))
            .when_async(by(applicant(), C::WithdrawApplication))
            .await
            .then_expect_error(E::DecisionMade);
    }
}

#[tokio::test]
async fn an_application_cannot_be_withdrawn_twice() {
    given(withdrawn_after_submission())
        .when_async(by(applicant(), C::WithdrawApplication))
        .await
        .then_expect_error(E::InvalidState {
            action: "withdraw",
            status: Status::Withdrawn,
        });
}

// ---------------------------------------------------------------------------------------------------------
// Preferences (opt-outs).
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_applicant_sets_the_opt_outs_while_the_application_is_a_draft() {
    given(complete_draft())
        .when_async(by(
            applicant(),
            C::SetPreferences {
                preferences: all_opted_out(),
                reason: Some("   ".to_string()),
            },
        ))
        .await
        .then_expect_events(vec![Ev::PreferencesChanged {
            preferences: all_opted_out().into(),
            reason: None::<String>.into(),
        }]);
}

#[tokio::test]
async fn the_applicant_cannot_change_the_opt_outs_after_submission() {
    for status in [
        Status::Submitted,
        Status::UnderReview,
        Status::Awarded,
        Status::Withdrawn,
    ] {
        given(history_in(status))
            .when_async(by(
                applicant(),
                C::SetPreferences {
                    preferences: all_opted_out(),
                    reason: None,
                },
            ))
            .await
            .then_expect_error(E::ApplicationSubmitted);
    }
}

#[tokio::test]
async fn a_programme_officer_changes_the_opt_outs_at_any_time_and_the_reason_is_kept() {
    for status in [
        Status::Draft,
        Status::Submitted,
        Status::Eligible,
        Status::Ineligible,
        Status::UnderReview,
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Awarded,
        Status::Alumni,
    ] {
        given(history_in(status))
            .when_async(by(
                officer(),
                C::SetPreferences {
                    preferences: only_images_opted_out(),
                    reason: Some("  scholar asked by email  ".to_string()),
                },
            ))
            .await
            .then_expect_events(vec![Ev::PreferencesChanged {
                preferences: only_images_opted_out().into(),
                reason: Some("scholar asked by email".to_string()).into(),
            }]);
    }
}

#[tokio::test]
async fn the_opt_outs_of_a_withdrawn_application_cannot_be_changed() {
    given(withdrawn_after_submission())
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: all_opted_out(),
                reason: None,
            },
        ))
        .await
        .then_expect_error(E::InvalidState {
            action: "change the preferences of",
            status: Status::Withdrawn,
        });
}

#[tokio::test]
async fn setting_the_opt_outs_they_already_have_records_nothing() {
    // Opted out of images on the form itself, then the same opt-outs again.
    let on_the_form = DraftChanges {
        preferences: Some(PreferencesChange {
            images_opt_out: Some(true),
            ..PreferencesChange::default()
        }),
        ..DraftChanges::default()
    };
    let history = with(submitted(), [saved(on_the_form)]);
    given(history)
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: only_images_opted_out(),
                reason: None,
            },
        ))
        .await
        .then_expect_events(vec![]);
    given(awarded())
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: Preferences::default(),
                reason: None,
            },
        ))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_later_preference_change_is_compared_with_the_last_one() {
    let history = with(
        awarded(),
        [Ev::PreferencesChanged {
            preferences: all_opted_out().into(),
            reason: None::<String>.into(),
        }],
    );
    given(history.clone())
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: all_opted_out(),
                reason: None,
            },
        ))
        .await
        .then_expect_events(vec![]);
    given(history)
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: Preferences::default(),
                reason: Some("opted back in".to_string()),
            },
        ))
        .await
        .then_expect_events(vec![Ev::PreferencesChanged {
            preferences: Preferences::default().into(),
            reason: Some("opted back in".to_string()).into(),
        }]);
}

// ---------------------------------------------------------------------------------------------------------
// Help Desk amendments of personal data.
// ---------------------------------------------------------------------------------------------------------

fn amend(changes: &[(&str, &str)], reason: &str, requested_by: &str) -> C {
    C::AmendPersonalData {
        changes: changes
            .iter()
            .map(|(path, value)| (path.to_string(), value.to_string()))
            .collect(),
        reason: reason.to_string(),
        requested_by: requested_by.to_string(),
    }
}

fn change(field: PersonalField, old: &str, new: &str) -> FieldChange {
    FieldChange {
        field,
        old: Some(old.to_string()),
        new: new.to_string(),
    }
}

#[tokio::test]
async fn the_help_desk_amends_personal_data_and_the_old_value_and_requester_are_kept() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[("personal.email", "applicant1.new@example.test")],
                "  new email provider  ",
                "  Test Applicant One, by phone  ",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::PersonalDataAmended {
            fields: vec![PersonalField::Email],
            changes: vec![change(
                PersonalField::Email,
                "applicant1@example.test",
                "applicant1.new@example.test",
            )]
            .into(),
            reason: "new email provider".to_string().into(),
            requested_by: "Test Applicant One, by phone".to_string().into(),
        }]);
}

#[tokio::test]
async fn every_personal_field_can_be_amended_in_canonical_form_listed_in_form_order() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.country_of_residence", " uk "),
                    ("personal.nationality", "ghana"),
                    ("personal.address", "2 Test Road, Testville"),
                    ("personal.phone", "+000 0000 0002"),
                    ("personal.email", " applicant1.other@example.test "),
                    ("personal.date_of_birth", "1995-04-13"),
                    ("personal.full_name", "  Test Applicant Renamed "),
                ],
                "the applicant's request",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::PersonalDataAmended {
            fields: PersonalField::ALL.to_vec(),
            changes: vec![
                change(
                    PersonalField::FullName,
                    "Test Applicant One",
                    "Test Applicant Renamed",
                ),
                change(PersonalField::DateOfBirth, "1995-04-12", "1995-04-13"),
                change(
                    PersonalField::Email,
                    "applicant1@example.test",
                    "applicant1.other@example.test",
                ),
                change(PersonalField::Phone, "+000 0000 0001", "+000 0000 0002"),
                change(
                    PersonalField::Address,
                    "1 Test Street, Testville",
                    "2 Test Road, Testville",
                ),
                change(PersonalField::Nationality, "Kenya", "Ghana"),
                change(PersonalField::CountryOfResidence, "Kenya", "United Kingdom"),
            ]
            .into(),
            reason: "the applicant's request".to_string().into(),
            requested_by: "Test Applicant One".to_string().into(),
        }]);
}

#[tokio::test]
async fn an_amendment_with_no_named_requester_is_recorded_as_asked_by_the_applicant() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(&[("personal.phone", "+000 0000 0002")], "new phone", "   "),
        ))
        .await
        .then_expect_events(vec![Ev::PersonalDataAmended {
            fields: vec![PersonalField::Phone],
            changes: vec![change(
                PersonalField::Phone,
                "+000 0000 0001",
                "+000 0000 0002",
            )]
            .into(),
            reason: "new phone".to_string().into(),
            requested_by: "the applicant".to_string().into(),
        }]);
}

#[tokio::test]
async fn an_amendment_that_changes_nothing_records_nothing() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.email", " applicant1@example.test "),
                    ("personal.nationality", "kenya"),
                ],
                "confirming details",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn only_the_fields_that_really_change_are_listed_in_an_amendment() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.nationality", "KENYA"),
                    ("personal.phone", "+000 0000 0002"),
                ],
                "new phone",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::PersonalDataAmended {
            fields: vec![PersonalField::Phone],
            changes: vec![change(
                PersonalField::Phone,
                "+000 0000 0001",
                "+000 0000 0002",
            )]
            .into(),
            reason: "new phone".to_string().into(),
            requested_by: "Test Applicant One".to_string().into(),
        }]);
}

#[tokio::test]
async fn when_a_field_is_named_twice_the_last_value_counts() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.phone", "+000 0000 0002"),
                    ("personal.phone", "+000 0000 0001"),
                ],
                "changed their mind",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_events(vec![]);
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.phone", "+000 0000 0002"),
                    ("personal.phone", "+000 0000 0003"),
                ],
                "changed their mind",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::PersonalDataAmended {
            fields: vec![PersonalField::Phone],
            changes: vec![change(
                PersonalField::Phone,
                "+000 0000 0001",
                "+000 0000 0003",
            )]
            .into(),
            reason: "changed their mind".to_string().into(),
            requested_by: "Test Applicant One".to_string().into(),
        }]);
}

#[tokio::test]
async fn a_second_amendment_keeps_the_value_of_the_first_as_its_old_value() {
    let first = Ev::PersonalDataAmended {
        fields: vec![PersonalField::Email],
        changes: vec![change(
            PersonalField::Email,
            "applicant1@example.test",
            "applicant1.second@example.test",
        )]
        .into(),
        reason: "first change".to_string().into(),
        requested_by: "Test Applicant One".to_string().into(),
    };
    given(with(submitted(), [first]))
        .when_async(by(
            helpdesk(),
            amend(
                &[("personal.email", "applicant1.third@example.test")],
                "second change",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::PersonalDataAmended {
            fields: vec![PersonalField::Email],
            changes: vec![change(
                PersonalField::Email,
                "applicant1.second@example.test",
                "applicant1.third@example.test",
            )]
            .into(),
            reason: "second change".to_string().into(),
            requested_by: "Test Applicant One".to_string().into(),
        }]);
}

#[tokio::test]
async fn personal_data_can_be_amended_at_every_stage_after_submission() {
    for status in [
        Status::Submitted,
        Status::Eligible,
        Status::Ineligible,
        Status::UnderReview,
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Awarded,
        Status::Alumni,
        Status::Withdrawn,
    ] {
        given(history_in(status))
            .when_async(by(
                helpdesk(),
                amend(
                    &[("personal.address", "2 Test Road, Testville")],
                    "moved",
                    "Test Applicant One",
                ),
            ))
            .await
            .then_expect_events(vec![Ev::PersonalDataAmended {
                fields: vec![PersonalField::Address],
                changes: vec![change(
                    PersonalField::Address,
                    "1 Test Street, Testville",
                    "2 Test Road, Testville",
                )]
                .into(),
                reason: "moved".to_string().into(),
                requested_by: "Test Applicant One".to_string().into(),
            }]);
    }
}

#[tokio::test]
async fn an_amendment_that_touches_anything_but_personal_data_is_refused_listing_those_fields() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.email", "applicant1.new@example.test"),
                    ("essays.leadership", "a better essay"),
                    ("courses[0].institution", "Other Example University"),
                    ("referees[0].email", "referee9@example.test"),
                    ("education", "[]"),
                    ("preferences.images_opt_out", "true"),
                    ("personal.salary", "1"),
                    ("full_name", "Test Applicant Renamed"),
                ],
                "the applicant's request",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_error(E::NotAmendable {
            fields: [
                "essays.leadership",
                "courses[0].institution",
                "referees[0].email",
                "education",
                "preferences.images_opt_out",
                "personal.salary",
                "full_name",
            ]
            .map(String::from)
            .to_vec(),
        });
}

#[tokio::test]
async fn a_not_amendable_field_is_reported_before_invalid_values() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[("personal.email", "not an email"), ("employment", "x")],
                "",
                "",
            ),
        ))
        .await
        .then_expect_error(E::NotAmendable {
            fields: vec!["employment".to_string()],
        });
}

#[tokio::test]
async fn the_help_desk_cannot_amend_a_draft() {
    for history in [draft(), complete_draft()] {
        given(history)
            .when_async(by(
                helpdesk(),
                amend(
                    &[("personal.phone", "+000 0000 0002")],
                    "new phone",
                    "Test Applicant One",
                ),
            ))
            .await
            .then_expect_error(E::NotSubmitted);
    }
}

#[tokio::test]
async fn an_amendment_with_invalid_values_is_refused_naming_each_path() {
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[
                    ("personal.email", "applicant1-at-example.test"),
                    ("personal.date_of_birth", "12/04/1995"),
                    ("personal.nationality", "Kenyan"),
                    ("personal.full_name", "   "),
                ],
                "the applicant's request",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![
                FieldProblem::new(
                    "personal.email",
                    "must be an email address, such as name@example.org",
                ),
                FieldProblem::new(
                    "personal.date_of_birth",
                    "must be a date written YYYY-MM-DD",
                ),
                FieldProblem::new(
                    "personal.nationality",
                    "must be a country by its English short name, such as Kenya",
                ),
                FieldProblem::new("personal.full_name", "must not be empty"),
            ],
        });
}

#[tokio::test]
async fn an_amendment_must_name_a_field_and_say_why() {
    given(submitted())
        .when_async(by(helpdesk(), amend(&[], "   ", "Test Applicant One")))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![
                FieldProblem::new("changes", "name at least one field to amend"),
                FieldProblem::new("reason", "say why the amendment is made"),
            ],
        });
    given(submitted())
        .when_async(by(
            helpdesk(),
            amend(
                &[("personal.phone", "+000 0000 0002")],
                "",
                "Test Applicant One",
            ),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![FieldProblem::new("reason", "say why the amendment is made")],
        });
}

// ---------------------------------------------------------------------------------------------------------
// Eligibility.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_programme_officer_finds_a_submitted_application_eligible() {
    given(submitted())
        .when_async(by(
            officer(),
            C::DetermineEligibility {
                eligible: true,
                reason: "  meets the test criteria ".to_string(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::EligibilityDetermined {
            eligible: true,
            reason: "meets the test criteria".to_string().into(),
        }]);
}

#[tokio::test]
async fn a_programme_officer_finds_a_submitted_application_ineligible() {
    given(submitted())
        .when_async(by(
            officer(),
            C::DetermineEligibility {
                eligible: false,
                reason: "outside the test criteria".to_string(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::EligibilityDetermined {
            eligible: false,
            reason: "outside the test criteria".to_string().into(),
        }]);
}

#[tokio::test]
async fn eligibility_is_determined_only_for_a_submitted_application() {
    for status in EVERY_STATUS.into_iter().filter(|s| *s != Status::Submitted) {
        given(history_in(status))
            .when_async(by(
                officer(),
                C::DetermineEligibility {
                    eligible: true,
                    reason: "test".to_string(),
                },
            ))
            .await
            .then_expect_error(E::InvalidState {
                action: "determine the eligibility of",
                status,
            });
    }
}

// ---------------------------------------------------------------------------------------------------------
// Committee assignment.
// ---------------------------------------------------------------------------------------------------------

fn assign(member_id: &str) -> C {
    C::AssignCommitteeMember {
        member_id: member_id.to_string(),
    }
}

#[tokio::test]
async fn assigning_a_committee_member_puts_an_eligible_application_under_review() {
    given(eligible())
        .when_async(by(officer(), assign(MEMBER)))
        .await
        .then_expect_events(vec![assigned(MEMBER)]);
    let mut history = eligible();
    history.push(assigned(MEMBER));
    assert_eq!(fold(&history).status, Status::UnderReview);
}

#[tokio::test]
async fn further_committee_members_can_be_assigned_while_under_review() {
    given(under_review())
        .when_async(by(officer(), assign(SECOND_MEMBER)))
        .await
        .then_expect_events(vec![assigned(SECOND_MEMBER)]);
}

#[tokio::test]
async fn assigning_the_same_member_again_records_nothing() {
    given(under_review())
        .when_async(by(officer(), assign(MEMBER)))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn only_a_committee_member_can_be_assigned() {
    for someone in [
        HELPDESK,
        OFFICER,
        INFORMATION_OFFICER,
        ADMIN,
        APPLICANT,
        "nobody-9",
    ] {
        given(eligible())
            .when_async(by(officer(), assign(someone)))
            .await
            .then_expect_error(E::NotACommitteeMember);
    }
}

#[tokio::test]
async fn a_member_who_declared_a_conflict_cannot_be_assigned_again() {
    given(with(under_review(), [conflict(MEMBER)]))
        .when_async(by(officer(), assign(MEMBER)))
        .await
        .then_expect_error(E::MemberConflicted);
}

#[tokio::test]
async fn committee_members_are_assigned_only_while_eligible_or_under_review() {
    for status in EVERY_STATUS
        .into_iter()
        .filter(|s| !matches!(s, Status::Eligible | Status::UnderReview))
    {
        given(history_in(status))
            .when_async(by(officer(), assign(SECOND_MEMBER)))
            .await
            .then_expect_error(E::InvalidState {
                action: "assign a committee member to",
                status,
            });
    }
}

#[tokio::test]
async fn an_unreadable_staff_directory_refuses_the_assignment_so_it_can_be_retried() {
    TestFramework::<Application>::with(ApplicationServices {
        staff: Arc::new(FakeStaff::unavailable()),
        cycles: Arc::new(domain::cycle::OpenAllYear),
    })
    .given(eligible())
    .when_async(by(officer(), assign(MEMBER)))
    .await
    .then_expect_error(E::DirectoryUnavailable);
}

// ---------------------------------------------------------------------------------------------------------
// Conflicts of interest.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_assigned_member_declares_a_conflict_of_interest() {
    given(under_review())
        .when_async(by(
            member(),
            C::DeclareConflict {
                reason: "  a former test colleague ".to_string(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::ConflictDeclared {
            member_id: MEMBER.to_string(),
            reason: "a former test colleague".to_string().into(),
        }]);
}

#[tokio::test]
async fn a_member_not_assigned_cannot_declare_a_conflict() {
    given(under_review())
        .when_async(by(
            unassigned_member(),
            C::DeclareConflict {
                reason: "test".to_string(),
            },
        ))
        .await
        .then_expect_error(E::NotAssigned);
}

#[tokio::test]
async fn declaring_the_same_conflict_again_is_refused_as_already_made_and_records_nothing() {
    given(with(under_review(), [conflict(MEMBER)]))
        .when_async(by(
            member(),
            C::DeclareConflict {
                reason: "again".to_string(),
            },
        ))
        .await
        .then_expect_error(E::ConflictOfInterest);
}

#[tokio::test]
async fn a_conflict_is_declared_only_while_under_review() {
    for status in [
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Awarded,
    ] {
        given(history_in(status))
            .when_async(by(
                member(),
                C::DeclareConflict {
                    reason: "test".to_string(),
                },
            ))
            .await
            .then_expect_error(E::InvalidState {
                action: "declare a conflict on",
                status,
            });
    }
    given(with(under_review(), [withdrawn_from(Status::UnderReview)]))
        .when_async(by(
            member(),
            C::DeclareConflict {
                reason: "test".to_string(),
            },
        ))
        .await
        .then_expect_error(E::InvalidState {
            action: "declare a conflict on",
            status: Status::Withdrawn,
        });
}

#[tokio::test]
async fn a_conflict_withdraws_the_scores_the_member_had_given() {
    let mut history = under_review();
    history.push(Ev::ApplicationScored {
        member_id: MEMBER.to_string(),
        scores: scores(7, 7, 7, 7).into(),
    });
    assert_eq!(fold(&history).scored.get(MEMBER), Some(&28));
    history.push(conflict(MEMBER));
    let application = fold(&history);
    assert_eq!(application.scored.get(MEMBER), None);
    assert!(application.conflicted.contains(MEMBER));
}

// ---------------------------------------------------------------------------------------------------------
// Scoring.
// ---------------------------------------------------------------------------------------------------------

fn score(leadership: u8, networking: u8, study_plan: u8, career_plan: u8) -> C {
    C::ScoreApplication {
        scores: scores(leadership, networking, study_plan, career_plan),
    }
}

#[tokio::test]
async fn an_assigned_member_scores_the_application() {
    given(under_review())
        .when_async(by(member(), score(7, 6, 8, 9)))
        .await
        .then_expect_events(vec![Ev::ApplicationScored {
            member_id: MEMBER.to_string(),
            scores: scores(7, 6, 8, 9).into(),
        }]);
}

#[tokio::test]
async fn marks_of_zero_and_ten_are_within_the_range() {
    for (marks, total) in [
        ((0, 0, 0, 0), 0),
        ((10, 10, 10, 10), 40),
        ((0, 10, 0, 10), 20),
    ] {
        let (l, n, s, c) = marks;
        given(under_review())
            .when_async(by(member(), score(l, n, s, c)))
            .await
            .then_expect_events(vec![Ev::ApplicationScored {
                member_id: MEMBER.to_string(),
                scores: scores(l, n, s, c).into(),
            }]);
        assert_eq!(scores(l, n, s, c).total(), total);
    }
}

#[tokio::test]
async fn a_mark_above_ten_is_refused_naming_the_criterion() {
    let cases = [
        (score(11, 5, 5, 5), "leadership"),
        (score(5, 11, 5, 5), "networking"),
        (score(5, 5, 11, 5), "study_plan"),
        (score(5, 5, 5, 255), "career_plan"),
        (score(11, 11, 11, 11), "leadership"),
    ];
    for (command, criterion) in cases {
        given(under_review())
            .when_async(by(member(), command))
            .await
            .then_expect_error(E::ScoreOutOfRange { criterion });
    }
    given(under_review())
        .when_async(by(member(), score(5, 5, 11, 5)))
        .await
        .then_expect_error_message("study_plan must be a whole number from 0 to 10");
}

#[tokio::test]
async fn a_member_not_assigned_cannot_score() {
    given(under_review())
        .when_async(by(unassigned_member(), score(5, 5, 5, 5)))
        .await
        .then_expect_error(E::NotAssigned);
    given(under_review())
        .when_async(by(unassigned_member(), score(11, 5, 5, 5)))
        .await
        .then_expect_error(E::NotAssigned);
}

#[tokio::test]
async fn a_member_who_declared_a_conflict_can_never_score() {
    let history = with(under_review(), [assigned(SECOND_MEMBER), conflict(MEMBER)]);
    given(history.clone())
        .when_async(by(member(), score(5, 5, 5, 5)))
        .await
        .then_expect_error(E::ConflictOfInterest);
    given(history.clone())
        .when_async(by(member(), score(11, 5, 5, 5)))
        .await
        .then_expect_error(E::ConflictOfInterest);
    // The other assigned member is not affected.
    given(history)
        .when_async(by(second_member(), score(5, 5, 5, 5)))
        .await
        .then_expect_events(vec![Ev::ApplicationScored {
            member_id: SECOND_MEMBER.to_string(),
            scores: scores(5, 5, 5, 5).into(),
        }]);
}

#[tokio::test]
async fn an_application_is_scored_only_while_under_review() {
    for status in [
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Awarded,
        Status::Alumni,
    ] {
        given(history_in(status))
            .when_async(by(member(), score(5, 5, 5, 5)))
            .await
            .then_expect_error(E::InvalidState {
                action: "score",
                status,
            });
    }
    given(with(under_review(), [withdrawn_from(Status::UnderReview)]))
        .when_async(by(member(), score(5, 5, 5, 5)))
        .await
        .then_expect_error(E::InvalidState {
            action: "score",
            status: Status::Withdrawn,
        });
}

// ---------------------------------------------------------------------------------------------------------
// Decision.
// ---------------------------------------------------------------------------------------------------------

fn decide(outcome: Outcome) -> C {
    C::RecordDecision {
        outcome,
        reserve_position: None,
    }
}

#[tokio::test]
async fn a_programme_officer_records_each_outcome_for_an_application_under_review() {
    for (outcome, status) in [
        (Outcome::Selected, Status::Selected),
        (Outcome::Reserve, Status::Reserve),
        (Outcome::Unsuccessful, Status::Unsuccessful),
    ] {
        given(under_review())
            .when_async(by(officer(), decide(outcome)))
            .await
            .then_expect_events(vec![decision(outcome)]);
        assert_eq!(
            fold(&with(under_review(), [decision(outcome)])).status,
            status
        );
    }
}

#[tokio::test]
async fn a_reserve_application_can_later_be_selected_or_turned_down() {
    for outcome in [Outcome::Selected, Outcome::Unsuccessful] {
        given(decided(Outcome::Reserve))
            .when_async(by(officer(), decide(outcome)))
            .await
            .then_expect_events(vec![decision(outcome)]);
    }
}

#[tokio::test]
async fn a_reserve_application_cannot_be_put_on_the_reserve_list_again() {
    given(decided(Outcome::Reserve))
        .when_async(by(officer(), decide(Outcome::Reserve)))
        .await
        .then_expect_error(E::InvalidState {
            action: "decide",
            status: Status::Reserve,
        });
}

#[tokio::test]
async fn a_decision_is_refused_in_any_other_state() {
    for status in EVERY_STATUS
        .into_iter()
        .filter(|s| !matches!(s, Status::UnderReview | Status::Reserve))
    {
        for outcome in [Outcome::Selected, Outcome::Reserve, Outcome::Unsuccessful] {
            given(history_in(status))
                .when_async(by(officer(), decide(outcome)))
                .await
                .then_expect_error(E::InvalidState {
                    action: "decide",
                    status,
                });
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Award and its completion.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_selected_application_is_awarded_with_its_terms_and_joint_sponsor() {
    given(decided(Outcome::Selected))
        .when_async(by(
            officer(),
            C::MakeAward {
                terms: award_terms("masters", date(2026, 9, 28)),
                joint_sponsor_id: Some("sponsor-1".to_string()),
            },
        ))
        .await
        .then_expect_events(vec![Ev::AwardMade {
            terms: award_terms("masters", date(2026, 9, 28)).into(),
            joint_sponsor_id: Some("sponsor-1".to_string()),
        }]);
    given(decided(Outcome::Selected))
        .when_async(by(
            officer(),
            C::MakeAward {
                terms: award_terms("masters", date(2026, 9, 28)),
                joint_sponsor_id: None,
            },
        ))
        .await
        .then_expect_events(vec![award_made()]);
}

#[tokio::test]
async fn an_application_that_is_not_selected_cannot_be_awarded() {
    for status in EVERY_STATUS.into_iter().filter(|s| *s != Status::Selected) {
        given(history_in(status))
            .when_async(by(
                officer(),
                C::MakeAward {
                    terms: award_terms("masters", date(2026, 9, 28)),
                    joint_sponsor_id: None,
                },
            ))
            .await
            .then_expect_error(E::NotSelected { status });
    }
}

#[tokio::test]
async fn completing_an_award_makes_the_scholar_an_alumnus() {
    given(awarded())
        .when_async(by(
            officer(),
            C::CompleteAward {
                outcome: "  Distinction ".to_string(),
                completed_on: date(2026, 2, 27),
            },
        ))
        .await
        .then_expect_events(vec![Ev::AwardCompleted {
            completed_on: date(2026, 2, 27),
            outcome: "Distinction".to_string().into(),
        }]);
    assert_eq!(fold(&alumni()).status, Status::Alumni);
}

#[tokio::test]
async fn only_an_awarded_application_can_be_completed() {
    for status in EVERY_STATUS.into_iter().filter(|s| *s != Status::Awarded) {
        given(history_in(status))
            .when_async(by(
                officer(),
                C::CompleteAward {
                    outcome: "Merit".to_string(),
                    completed_on: date(2027, 9, 30),
                },
            ))
            .await
            .then_expect_error(E::NotAwarded { status });
    }
}

// ---------------------------------------------------------------------------------------------------------
// The whole lifecycle, command after command.
// ---------------------------------------------------------------------------------------------------------

async fn run(history: &mut Vec<Ev>, actor: Actor, command: C) -> Vec<Ev> {
    let events = given(history.clone())
        .when_async(by(actor, command))
        .await
        .inspect_result()
        .unwrap_or_else(|error| panic!("refused: {error:?}"));
    history.extend(events.clone());
    events
}

#[tokio::test]
async fn an_application_goes_from_draft_to_alumni_through_every_step() {
    let mut history = Vec::new();
    let mut statuses = Vec::new();
    let steps = [
        (applicant(), C::StartApplication { cycle: cycle() }),
        (
            applicant(),
            C::SaveDraft {
                changes: complete_form(),
            },
        ),
        (
            applicant(),
            C::SetPreferences {
                preferences: only_images_opted_out(),
                reason: None,
            },
        ),
        (applicant(), C::SubmitApplication { notice: None }),
        (
            helpdesk(),
            amend(
                &[("personal.phone", "+000 0000 0002")],
                "new phone",
                "Test Applicant One",
            ),
        ),
        (
            officer(),
            C::DetermineEligibility {
                eligible: true,
                reason: "meets the test criteria".to_string(),
            },
        ),
        (officer(), assign(MEMBER)),
        (officer(), assign(SECOND_MEMBER)),
        (
            second_member(),
            C::DeclareConflict {
                reason: "a test conflict".to_string(),
            },
        ),
        (member(), score(8, 7, 9, 6)),
        (officer(), decide(Outcome::Reserve)),
        (officer(), decide(Outcome::Selected)),
        (
            officer(),
            C::MakeAward {
                terms: award_terms("masters", date(2026, 9, 28)),
                joint_sponsor_id: None,
            },
        ),
        (
            officer(),
            C::SetPreferences {
                preferences: all_opted_out(),
                reason: Some("scholar asked".to_string()),
            },
        ),
        (
            officer(),
            C::CompleteAward {
                outcome: "Merit".to_string(),
                completed_on: date(2026, 2, 27),
            },
        ),
    ];
    for (actor, command) in steps {
        let events = run(&mut history, actor, command).await;
        assert_eq!(events.len(), 1, "each step records one event: {events:?}");
        statuses.push(fold(&history).status);
    }
    assert_eq!(
        statuses,
        vec![
            Status::Draft,
            Status::Draft,
            Status::Draft,
            Status::Submitted,
            Status::Submitted,
            Status::Eligible,
            Status::UnderReview,
            Status::UnderReview,
            Status::UnderReview,
            Status::UnderReview,
            Status::Reserve,
            Status::Selected,
            Status::Awarded,
            Status::Awarded,
            Status::Alumni,
        ]
    );
    let application = fold(&history);
    assert_eq!(application.applicant_id, APPLICANT);
    assert_eq!(
        application.form.personal.phone.as_deref(),
        Some("+000 0000 0002")
    );
    assert_eq!(application.form.preferences, all_opted_out());
    assert_eq!(application.scored.get(MEMBER), Some(&30));
    assert!(application.conflicted.contains(SECOND_MEMBER));
}

// ---------------------------------------------------------------------------------------------------------
// Personal data travels sealed inside every event.
// ---------------------------------------------------------------------------------------------------------

/// The event as the store would see it once every `{"$personal": …}` value is sealed away.
fn without_personal_values(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) if map.contains_key("$personal") => json!("<sealed>"),
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(key, value)| (key, without_personal_values(value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        serde_json::Value::Array(items) => items.into_iter().map(without_personal_values).collect(),
        other => other,
    }
}

#[test]
fn no_personal_value_of_an_event_is_left_outside_the_personal_marker() {
    let events = [
        saved(complete_form()),
        Ev::PreferencesChanged {
            preferences: all_opted_out().into(),
            reason: Some("asked by Test Applicant One".to_string()).into(),
        },
        Ev::PersonalDataAmended {
            fields: vec![PersonalField::Email],
            changes: vec![change(
                PersonalField::Email,
                "applicant1@example.test",
                "applicant1.new@example.test",
            )]
            .into(),
            reason: "asked by Test Applicant One".to_string().into(),
            requested_by: "Test Applicant One".to_string().into(),
        },
        eligibility(false),
        conflict(MEMBER),
        Ev::ApplicationScored {
            member_id: MEMBER.to_string(),
            scores: scores(7, 7, 7, 7).into(),
        },
        award_made(),
        award_completed(),
    ];
    let plaintexts = [
        "Test Applicant One",
        "applicant1",
        "1995-04-12",
        "Test Street",
        "Kenya",
        "Test University",
        "Example University",
        "MSc Test Policy",
        "test team",
        "Test Referee",
        "referee1@example.test",
        "test criteria",
        "a test conflict",
        "A test comment",
        "Merit",
        "2026-09-28",
    ];
    for event in events {
        let sealed = without_personal_values(serde_json::to_value(&event).expect("serializable"))
            .to_string();
        for plaintext in plaintexts {
            assert!(
                !sealed.contains(plaintext),
                "{plaintext:?} is in clear in {sealed}"
            );
        }
        let back: Ev = serde_json::from_value(serde_json::to_value(&event).expect("serializable"))
            .expect("deserializable");
        assert_eq!(back, event);
    }
}

#[tokio::test]
async fn a_draft_withdrawn_without_being_submitted_cannot_be_amended_by_the_help_desk() {
    given(withdrawn_draft())
        .when_async(by(
            helpdesk(),
            C::AmendPersonalData {
                changes: vec![("personal.phone".to_string(), "+000 0000 0009".to_string())],
                reason: "asked by phone".to_string(),
                requested_by: "the applicant".to_string(),
            },
        ))
        .await
        .then_expect_error(E::NotSubmitted);
}

#[tokio::test]
async fn an_application_withdrawn_after_submission_can_still_be_amended() {
    let result = given(withdrawn_after_submission())
        .when_async(by(
            helpdesk(),
            C::AmendPersonalData {
                changes: vec![("personal.phone".to_string(), "+000 0000 0009".to_string())],
                reason: "asked by phone".to_string(),
                requested_by: "the applicant".to_string(),
            },
        ))
        .await
        .inspect_result();
    let events = result.expect("the amendment is recorded");
    assert!(matches!(
        events.as_slice(),
        [Ev::PersonalDataAmended { .. }]
    ));
}

#[tokio::test]
async fn a_withdrawn_draft_cannot_be_edited_and_says_it_is_withdrawn() {
    given(withdrawn_draft())
        .when_async(by(
            applicant(),
            C::SaveDraft {
                changes: DraftChanges {
                    essays: essays(&[(Essay::Leadership, Some("more"))]),
                    ..DraftChanges::default()
                },
            },
        ))
        .await
        .then_expect_error(E::InvalidState {
            action: "edit",
            status: Status::Withdrawn,
        });
}

fn restricted_after_submission() -> Vec<Ev> {
    with(
        submitted(),
        [Ev::ProcessingRestricted {
            request_id: None,
            reason: "accuracy contested".to_string().into(),
        }],
    )
}

#[tokio::test]
async fn an_information_officer_restricts_processing_with_a_reason() {
    given(submitted())
        .when_async(by(
            someone_with(Role::InformationOfficer),
            C::RestrictProcessing {
                request_id: Some("request-1".to_string()),
                reason: " accuracy contested ".to_string(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::ProcessingRestricted {
            request_id: Some("request-1".to_string()),
            reason: "accuracy contested".to_string().into(),
        }]);
}

#[tokio::test]
async fn a_restricted_case_is_not_assessed_but_can_be_corrected() {
    given(restricted_after_submission())
        .when_async(by(
            officer(),
            C::DetermineEligibility {
                eligible: true,
                reason: "meets the rules".to_string(),
            },
        ))
        .await
        .then_expect_error(E::Restricted {
            action: "determine the eligibility of",
        });
    let events = given(restricted_after_submission())
        .when_async(by(
            helpdesk(),
            C::AmendPersonalData {
                changes: vec![("personal.phone".to_string(), "+000 0000 0009".to_string())],
                reason: "corrected".to_string(),
                requested_by: "the applicant".to_string(),
            },
        ))
        .await
        .inspect_result()
        .expect("a correction is not halted by the restriction");
    assert!(matches!(
        events.as_slice(),
        [Ev::PersonalDataAmended { .. }]
    ));
}

#[tokio::test]
async fn a_restriction_is_lifted_once_and_only_by_an_information_officer() {
    given(restricted_after_submission())
        .when_async(by(
            officer(),
            C::LiftRestriction {
                reason: "x".to_string(),
            },
        ))
        .await
        .then_expect_error(E::Forbidden);
    given(submitted())
        .when_async(by(
            someone_with(Role::InformationOfficer),
            C::LiftRestriction {
                reason: "x".to_string(),
            },
        ))
        .await
        .then_expect_error(E::NotRestricted);
}

/// "An opt-out only narrows processing": while processing is restricted, a programme officer still records
/// the subject's opt-out, but cannot take one back.
#[tokio::test]
async fn an_opt_out_only_narrows_processing_so_it_is_recorded_while_restricted() {
    let opted_out = Preferences {
        images_opt_out: true,
        ..Preferences::default()
    };
    given(restricted_after_submission())
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: opted_out,
                reason: Some("the scholar asked by email".to_string()),
            },
        ))
        .await
        .then_expect_events(vec![Ev::PreferencesChanged {
            preferences: opted_out.into(),
            reason: Some("the scholar asked by email".to_string()).into(),
        }]);
    let mut history = restricted_after_submission();
    history.push(Ev::PreferencesChanged {
        preferences: opted_out.into(),
        reason: None.into(),
    });
    given(history)
        .when_async(by(
            officer(),
            C::SetPreferences {
                preferences: Preferences::default(),
                reason: None,
            },
        ))
        .await
        .then_expect_error(E::Restricted {
            action: "change the preferences of",
        });
}

#[tokio::test]
async fn an_upheld_objection_opts_out_of_the_uses_named_even_while_restricted() {
    let opt_outs = domain::request::opt_outs_for(&[
        domain::request::ObjectedUse::Images,
        domain::request::ObjectedUse::AlumniBook,
    ]);
    for history in [submitted(), restricted_after_submission()] {
        given(history)
            .when_async(by(
                someone_with(Role::InformationOfficer),
                C::HonourObjection {
                    request_id: "request-7".to_string(),
                    opt_outs,
                },
            ))
            .await
            .then_expect_events(vec![Ev::PreferencesChanged {
                preferences: Preferences {
                    alumni_book_opt_out: true,
                    images_opt_out: true,
                    ..Preferences::default()
                }
                .into(),
                reason: Some("objection upheld (information request request-7)".to_string()).into(),
            }]);
    }
}

#[tokio::test]
async fn an_objection_only_opts_out_and_only_an_information_officer_honours_it() {
    let opted_in_again = PreferencesChange {
        images_opt_out: Some(false),
        networking_opt_out: Some(true),
        ..PreferencesChange::default()
    };
    given(with(
        submitted(),
        [Ev::PreferencesChanged {
            preferences: only_images_opted_out().into(),
            reason: None::<String>.into(),
        }],
    ))
    .when_async(by(
        someone_with(Role::InformationOfficer),
        C::HonourObjection {
            request_id: "request-8".to_string(),
            opt_outs: opted_in_again,
        },
    ))
    .await
    .then_expect_events(vec![Ev::PreferencesChanged {
        preferences: Preferences {
            images_opt_out: true,
            networking_opt_out: true,
            ..Preferences::default()
        }
        .into(),
        reason: Some("objection upheld (information request request-8)".to_string()).into(),
    }]);
    given(with(
        submitted(),
        [Ev::PreferencesChanged {
            preferences: only_images_opted_out().into(),
            reason: None::<String>.into(),
        }],
    ))
    .when_async(by(
        someone_with(Role::InformationOfficer),
        C::HonourObjection {
            request_id: "request-9".to_string(),
            opt_outs: domain::request::opt_outs_for(&[domain::request::ObjectedUse::Images]),
        },
    ))
    .await
    .then_expect_events(vec![]);
    for actor in [officer(), helpdesk(), applicant()] {
        given(submitted())
            .when_async(by(
                actor,
                C::HonourObjection {
                    request_id: "request-10".to_string(),
                    opt_outs: domain::request::opt_outs_for(&[
                        domain::request::ObjectedUse::Networking,
                    ]),
                },
            ))
            .await
            .then_expect_error(E::Forbidden);
    }
}

#[tokio::test]
async fn an_information_officer_corrects_personal_data_through_the_amendment_path() {
    let events = given(submitted())
        .when_async(by(
            someone_with(Role::InformationOfficer),
            C::RectifyPersonalData {
                request_id: "request-3".to_string(),
                changes: vec![("personal.phone".to_string(), "+000 0000 0042".to_string())],
                reason: " mistyped ".to_string(),
            },
        ))
        .await
        .inspect_result()
        .expect("an information officer may rectify personal data");
    let [
        Ev::PersonalDataAmended {
            fields,
            reason,
            requested_by,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("one amendment: {events:?}");
    };
    assert_eq!(fields, &vec![PersonalField::Phone]);
    assert_eq!(
        reason.known().map(String::as_str),
        Some("rectification request request-3: mistyped")
    );
    assert_eq!(
        requested_by.known().map(String::as_str),
        Some("the data subject, by a rectification request")
    );
    for (changes, expected) in [
        (
            vec![("essays.leadership".to_string(), "new words".to_string())],
            E::NotAmendable {
                fields: vec!["essays.leadership".to_string()],
            },
        ),
        (
            vec![("personal.phone".to_string(), "+000 0000 0042".to_string())],
            E::NotSubmitted,
        ),
    ] {
        let history = if matches!(expected, E::NotSubmitted) {
            vec![started()]
        } else {
            submitted()
        };
        given(history)
            .when_async(by(
                someone_with(Role::InformationOfficer),
                C::RectifyPersonalData {
                    request_id: "request-4".to_string(),
                    changes,
                    reason: "x".to_string(),
                },
            ))
            .await
            .then_expect_error(expected);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Cycle terms: `cycle_is_open`, `nationality_is_eligible`.
// ---------------------------------------------------------------------------------------------------------

/// A cycle whose terms an administrator set.
struct Terms(domain::cycle::CycleTerms);

#[async_trait]
impl domain::cycle::CycleTermsSource for Terms {
    async fn terms_of(
        &self,
        _cycle: &CycleName,
    ) -> Result<Option<domain::cycle::CycleTerms>, String> {
        Ok(Some(self.0.clone()))
    }
}

fn under_terms(
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    nationalities: &[&str],
) -> ApplicationServices {
    let eligible = (!nationalities.is_empty()).then(|| {
        nationalities
            .iter()
            .map(|name| domain::country::Country::parse(name).expect("a country"))
            .collect()
    });
    under_screening(
        opens_on,
        closes_on,
        ScreeningRules {
            eligible_nationalities: eligible,
            ..ScreeningRules::default()
        },
    )
}

fn under_screening(
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    screening: ScreeningRules,
) -> ApplicationServices {
    ApplicationServices {
        staff: Arc::new(FakeStaff::standard()),
        cycles: Arc::new(Terms(domain::cycle::CycleTerms {
            opens_on,
            closes_on,
            blind_review: false,
            screening,
        })),
    }
}

#[tokio::test]
async fn a_cycle_takes_applications_only_between_its_dates() {
    // The commands of these tests are issued on 2 March 2026.
    let closed = E::CycleClosed {
        cycle: "2026-27".to_string(),
        opens_on: date(2026, 3, 3),
        closes_on: date(2026, 5, 1),
    };
    TestFramework::<Application>::with(under_terms(date(2026, 3, 3), date(2026, 5, 1), &[]))
        .given_no_previous_events()
        .when_async(by(applicant(), C::StartApplication { cycle: cycle() }))
        .await
        .then_expect_error(closed.clone());
    TestFramework::<Application>::with(under_terms(date(2026, 3, 3), date(2026, 5, 1), &[]))
        .given(complete_draft())
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error(closed);
    // Open on its first and on its last day.
    for (opens_on, closes_on) in [
        (date(2026, 3, 2), date(2026, 5, 1)),
        (date(2026, 1, 1), date(2026, 3, 2)),
    ] {
        TestFramework::<Application>::with(under_terms(opens_on, closes_on, &[]))
            .given(complete_draft())
            .when_async(by(applicant(), C::SubmitApplication { notice: None }))
            .await
            .then_expect_events(vec![Ev::ApplicationSubmitted {
                submitted_at: now(),
            }]);
    }
}

#[tokio::test]
async fn only_the_cycles_eligible_nationalities_are_submitted() {
    let open = (date(2026, 1, 1), date(2026, 12, 31));
    TestFramework::<Application>::with(under_terms(open.0, open.1, &["Nepal"]))
        .given(complete_draft())
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_error(E::NotEligible {
            reasons: vec!["your nationality is not one of those eligible in this cycle".into()],
            failures: vec![ScreeningFailure {
                rule: ScreeningRule::EligibleNationality,
                message: "your nationality is not one of those eligible in this cycle".into(),
            }],
        });
    let nationality = complete_draft()
        .iter()
        .find_map(|event| match event {
            Ev::DraftSaved { changes, .. } => changes.known().and_then(|c| {
                c.personal
                    .get(&PersonalField::Nationality)
                    .cloned()
                    .flatten()
            }),
            _ => None,
        })
        .expect("the complete draft names a nationality");
    TestFramework::<Application>::with(under_terms(open.0, open.1, &["Nepal", &nationality]))
        .given(complete_draft())
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_events(vec![Ev::ApplicationSubmitted {
            submitted_at: now(),
        }]);
}

// ---------------------------------------------------------------------------------------------------------
// Screening at submission: `screen`, `undergraduate_degree`, `work_experience`, `return_home_commitment`,
// and the officer's override.
// ---------------------------------------------------------------------------------------------------------

fn every_rule() -> ScreeningRules {
    ScreeningRules {
        eligible_nationalities: Some(
            [domain::country::Country::parse("Nepal").expect("a country")].into(),
        ),
        undergraduate_degree: true,
        minimum_work_years: Some(2),
        return_home_commitment: true,
    }
}

async fn screened_failures(services: ApplicationServices, history: Vec<Ev>) -> Vec<ScreeningRule> {
    let result = TestFramework::<Application>::with(services)
        .given(history)
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .inspect_result();
    match result {
        Err(E::NotEligible { failures, .. }) => failures.into_iter().map(|f| f.rule).collect(),
        other => panic!("expected a screening refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn submission_names_every_rule_of_the_screening_the_form_does_not_meet() {
    let open = (date(2026, 1, 1), date(2026, 12, 31));
    // The complete draft is from Kenya, with a BSc, no employment and no commitment to return home.
    assert_eq!(
        screened_failures(
            under_screening(open.0, open.1, every_rule()),
            complete_draft()
        )
        .await,
        vec![
            ScreeningRule::EligibleNationality,
            ScreeningRule::WorkExperience,
            ScreeningRule::ReturnHomeCommitment,
        ]
    );
}

#[tokio::test]
async fn a_form_that_meets_the_screening_is_submitted() {
    let open = (date(2026, 1, 1), date(2026, 12, 31));
    let mut rules = every_rule();
    rules.eligible_nationalities =
        Some([domain::country::Country::parse("Kenya").expect("a country")].into());
    let meets = DraftChanges {
        employment: Some(vec![
            entry(&[
                ("employer", json!("Test Employer")),
                ("from", json!("2022-01")),
                ("to", json!("2023-06")),
            ]),
            entry(&[
                ("employer", json!("Test Employer Two")),
                ("from", json!("2023-07")),
            ]),
        ]),
        return_home: Some(true),
        ..DraftChanges::default()
    };
    TestFramework::<Application>::with(under_screening(open.0, open.1, rules))
        .given(with(complete_draft(), [saved(meets)]))
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_events(vec![Ev::ApplicationSubmitted {
            submitted_at: now(),
        }]);
}

#[tokio::test]
async fn a_programme_officer_waives_rules_with_a_reason_and_submission_then_passes() {
    let open = (date(2026, 1, 1), date(2026, 12, 31));
    let waive = C::OverrideScreening {
        rules: vec![
            ScreeningRule::WorkExperience,
            ScreeningRule::EligibleNationality,
        ],
        reason: "  Refugee status recognised by the programme board.  ".to_string(),
    };
    let overridden = Ev::ScreeningOverridden {
        rules: vec![
            ScreeningRule::EligibleNationality,
            ScreeningRule::WorkExperience,
        ],
        reason: "Refugee status recognised by the programme board."
            .to_string()
            .into(),
    };
    given(complete_draft())
        .when_async(by(officer(), waive))
        .await
        .then_expect_events(vec![overridden.clone()]);
    // Only the rule not waived is still reported.
    assert_eq!(
        screened_failures(
            under_screening(open.0, open.1, every_rule()),
            with(complete_draft(), [overridden.clone()])
        )
        .await,
        vec![ScreeningRule::ReturnHomeCommitment]
    );
    let committed = DraftChanges {
        return_home: Some(true),
        ..DraftChanges::default()
    };
    TestFramework::<Application>::with(under_screening(open.0, open.1, every_rule()))
        .given(with(complete_draft(), [overridden, saved(committed)]))
        .when_async(by(applicant(), C::SubmitApplication { notice: None }))
        .await
        .then_expect_events(vec![Ev::ApplicationSubmitted {
            submitted_at: now(),
        }]);
}

#[tokio::test]
async fn only_a_programme_officer_overrides_and_only_a_draft_with_rules_and_a_reason() {
    let waive = |reason: &str, rules: Vec<ScreeningRule>| C::OverrideScreening {
        rules,
        reason: reason.to_string(),
    };
    for actor in [applicant(), helpdesk(), member(), someone_with(Role::Admin)] {
        given(complete_draft())
            .when_async(by(
                actor,
                waive("a reason", vec![ScreeningRule::WorkExperience]),
            ))
            .await
            .then_expect_error(E::Forbidden);
    }
    given(complete_draft())
        .when_async(by(
            officer(),
            waive("  ", vec![ScreeningRule::WorkExperience]),
        ))
        .await
        .then_expect_error(E::OverrideIncomplete);
    given(complete_draft())
        .when_async(by(officer(), waive("a reason", vec![])))
        .await
        .then_expect_error(E::OverrideIncomplete);
    given(submitted())
        .when_async(by(
            officer(),
            waive("a reason", vec![ScreeningRule::WorkExperience]),
        ))
        .await
        .then_expect_error(E::InvalidState {
            action: "override the screening of",
            status: Status::Submitted,
        });
}

// ---------------------------------------------------------------------------------------------------------
// Amendments that change who may receive data

fn amend_one(path: &str, value: &str) -> C {
    C::AmendPersonalData {
        changes: vec![(path.to_string(), value.to_string())],
        reason: "the applicant moved".to_string(),
        requested_by: "the applicant, by phone".to_string(),
    }
}

/// "Check eligibility and recipients again": the screening and the sharing rule read nationality and
/// residence, so amending either once eligibility was decided flags the case for the programme officer.
#[tokio::test]
async fn amended_after_eligibility_nationality_or_residence_flags_the_case_to_be_checked_again() {
    for (path, field) in [
        (
            "personal.country_of_residence",
            PersonalField::CountryOfResidence,
        ),
        ("personal.nationality", PersonalField::Nationality),
    ] {
        let events = given(eligible())
            .when_async(by(helpdesk(), amend_one(path, "Ghana")))
            .await
            .inspect_result()
            .expect("the amendment is recorded");
        assert!(
            matches!(events.as_slice(), [Ev::PersonalDataAmended { .. }, Ev::EligibilityRecheckDue { fields }] if fields == &vec![field]),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn an_amendment_before_eligibility_or_of_other_details_flags_nothing() {
    let before = given(submitted())
        .when_async(by(
            helpdesk(),
            amend_one("personal.country_of_residence", "Ghana"),
        ))
        .await
        .inspect_result()
        .expect("recorded");
    assert!(
        matches!(before.as_slice(), [Ev::PersonalDataAmended { .. }]),
        "{before:?}"
    );
    let phone = given(eligible())
        .when_async(by(
            helpdesk(),
            amend_one("personal.phone", "+000 0000 0042"),
        ))
        .await
        .inspect_result()
        .expect("recorded");
    assert!(
        matches!(phone.as_slice(), [Ev::PersonalDataAmended { .. }]),
        "{phone:?}"
    );
}

fn flagged() -> Vec<Ev> {
    with(
        eligible(),
        [Ev::EligibilityRecheckDue {
            fields: vec![PersonalField::CountryOfResidence],
        }],
    )
}

#[tokio::test]
async fn a_programme_officer_records_the_check_once_with_what_was_found() {
    given(flagged())
        .when_async(by(
            officer(),
            C::RecordRecheck {
                note: " still eligible; no recipient holds the old residence ".to_string(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::EligibilityRechecked {
            note: "still eligible; no recipient holds the old residence"
                .to_string()
                .into(),
        }]);
    given(eligible())
        .when_async(by(
            officer(),
            C::RecordRecheck {
                note: "checked".to_string(),
            },
        ))
        .await
        .then_expect_error(E::NoRecheckDue);
    given(flagged())
        .when_async(by(
            officer(),
            C::RecordRecheck {
                note: "  ".to_string(),
            },
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![domain::application::rules::FieldProblem::new(
                "note",
                "say what was checked and found, in at most 2000 characters",
            )],
        });
    given(flagged())
        .when_async(by(
            helpdesk(),
            C::RecordRecheck {
                note: "checked".to_string(),
            },
        ))
        .await
        .then_expect_error(E::Forbidden);
}

/// "Which privacy notice an applicant accepted by submitting": the version shown is kept with the
/// submission.
#[tokio::test]
async fn submitting_records_the_privacy_notice_the_applicant_accepted() {
    let notice = domain::application::events::NoticeVersion {
        updated_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        digest: "ab".repeat(32),
    };
    let events = given(complete_draft())
        .when_async(by(
            applicant(),
            C::SubmitApplication {
                notice: Some(notice.clone()),
            },
        ))
        .await
        .inspect_result()
        .expect("submitted");
    assert!(
        matches!(events.as_slice(), [Ev::ApplicationSubmitted { .. }, Ev::PrivacyNoticeAccepted { notice: accepted }] if accepted == &notice),
        "{events:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Accuracy kept: the subject's view that their data is inaccurate

fn keep_statement(request_id: &str, statement: &str) -> C {
    C::RecordStatementOfDispute {
        request_id: request_id.to_string(),
        statement: statement.to_string(),
    }
}

/// "Where the data subject has expressed a view that the data is inaccurate, the data records that view":
/// an information officer keeps the statement with the application, once per request, even while
/// processing is restricted.
#[tokio::test]
async fn where_the_subject_disputes_accuracy_the_record_keeps_their_view() {
    for history in [submitted(), restricted_after_submission()] {
        given(history)
            .when_async(by(
                someone_with(Role::InformationOfficer),
                keep_statement("request-1", "  my date of birth is wrong "),
            ))
            .await
            .then_expect_events(vec![Ev::StatementOfDisputeRecorded {
                request_id: "request-1".to_string(),
                statement: "my date of birth is wrong".to_string().into(),
            }]);
    }
    let kept = with(
        submitted(),
        [Ev::StatementOfDisputeRecorded {
            request_id: "request-1".to_string(),
            statement: "my date of birth is wrong".to_string().into(),
        }],
    );
    given(kept.clone())
        .when_async(by(
            someone_with(Role::InformationOfficer),
            keep_statement("request-1", "my date of birth is wrong"),
        ))
        .await
        .then_expect_events(vec![]);
    given(kept)
        .when_async(by(
            someone_with(Role::InformationOfficer),
            keep_statement("request-2", "my address is wrong too"),
        ))
        .await
        .then_expect_events(vec![Ev::StatementOfDisputeRecorded {
            request_id: "request-2".to_string(),
            statement: "my address is wrong too".to_string().into(),
        }]);
}

#[tokio::test]
async fn the_subjects_view_is_kept_only_by_an_information_officer_and_only_when_given() {
    given(submitted())
        .when_async(by(
            someone_with(Role::InformationOfficer),
            keep_statement("request-1", "   "),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![FieldProblem::new(
                "statement",
                "give the subject's statement, in at most 10000 characters",
            )],
        });
    for actor in [officer(), helpdesk(), applicant()] {
        given(submitted())
            .when_async(by(actor, keep_statement("request-1", "wrong")))
            .await
            .then_expect_error(E::Forbidden);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Accuracy kept: the award's terms and the completion outcome corrected

fn correct_terms(institution: Option<&str>, course: Option<&str>, reason: &str) -> C {
    C::CorrectAwardTerms {
        institution: institution.map(str::to_string),
        course: course.map(str::to_string),
        level: None,
        start_date: None,
        reason: reason.to_string(),
    }
}

fn disclosed_award() -> Ev {
    Ev::DataDisclosed {
        disclosure_id: "disclosure-1".to_string(),
        recipient_id: "recipient-1".to_string(),
        recipient_name: "Test Mission".to_string(),
        recipient_kind: domain::recipient::RecipientKind::BritishMission,
        fields: vec!["award.institution".to_string(), "award.level".to_string()],
        purpose: "visa support".to_string().into(),
        values: BTreeMap::from([
            (
                "award.institution".to_string(),
                "Example University".to_string(),
            ),
            ("award.level".to_string(), "masters".to_string()),
        ])
        .into(),
    }
}

/// "Personal data shall be accurate and, where necessary, kept up to date": a programme officer corrects
/// the award's terms with a reason, and every recipient who was sent an old value is to be told.
#[tokio::test]
async fn inaccurate_award_terms_are_corrected_and_recipients_sent_the_old_value_are_to_be_told() {
    let corrected = AwardTerms {
        institution: "Another Example University".to_string(),
        ..award_terms("masters", date(2026, 9, 28))
    };
    given(with(awarded(), [disclosed_award()]))
        .when_async(by(
            officer(),
            correct_terms(
                Some(" Another Example University "),
                Some("MSc Test Policy"),
                "the university was recorded wrongly",
            ),
        ))
        .await
        .then_expect_events(vec![
            Ev::AwardTermsCorrected {
                terms: corrected.clone().into(),
                reason: "the university was recorded wrongly".to_string().into(),
            },
            Ev::RectificationNoticeDue {
                recipient_id: "recipient-1".to_string(),
                recipient_name: "Test Mission".to_string(),
                fields: vec!["award.institution".to_string()],
            },
        ]);
    // A course nobody was sent owes no notice; an alumnus's award is corrected too.
    given(with(alumni(), [disclosed_award()]))
        .when_async(by(
            officer(),
            correct_terms(None, Some("MSc Test Economics"), "wrong course"),
        ))
        .await
        .then_expect_events(vec![Ev::AwardTermsCorrected {
            terms: AwardTerms {
                course: "MSc Test Economics".to_string(),
                ..award_terms("masters", date(2026, 9, 28))
            }
            .into(),
            reason: "wrong course".to_string().into(),
        }]);
}

#[tokio::test]
async fn an_award_correction_needs_an_award_a_reason_a_change_and_a_programme_officer() {
    given(decided(Outcome::Selected))
        .when_async(by(officer(), correct_terms(Some("X"), None, "wrong")))
        .await
        .then_expect_error(E::NotAwarded {
            status: Status::Selected,
        });
    given(awarded())
        .when_async(by(officer(), correct_terms(Some("X"), None, "  ")))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![FieldProblem::new(
                "reason",
                "say why it is corrected, in at most 2000 characters",
            )],
        });
    given(awarded())
        .when_async(by(
            officer(),
            correct_terms(Some("Example University"), None, "wrong"),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![FieldProblem::new(
                "terms",
                "nothing to correct: give at least one value that differs from the award's",
            )],
        });
    given(awarded())
        .when_async(by(helpdesk(), correct_terms(Some("X"), None, "wrong")))
        .await
        .then_expect_error(E::Forbidden);
}

/// The outcome recorded at completion is corrected with a reason, only once the award is completed.
#[tokio::test]
async fn an_inaccurate_completion_outcome_is_corrected_once_the_award_is_completed() {
    let correct = |outcome: &str, reason: &str| C::CorrectCompletionOutcome {
        outcome: outcome.to_string(),
        reason: reason.to_string(),
    };
    given(alumni())
        .when_async(by(
            officer(),
            correct(" Distinction ", "recorded as a merit"),
        ))
        .await
        .then_expect_events(vec![Ev::CompletionOutcomeCorrected {
            outcome: "Distinction".to_string().into(),
            reason: "recorded as a merit".to_string().into(),
        }]);
    given(awarded())
        .when_async(by(officer(), correct("Distinction", "wrong")))
        .await
        .then_expect_error(E::NotCompleted {
            status: Status::Awarded,
        });
    given(alumni())
        .when_async(by(officer(), correct("Distinction", "")))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![FieldProblem::new(
                "reason",
                "say why it is corrected, in at most 2000 characters",
            )],
        });
    given(alumni())
        .when_async(by(member(), correct("Distinction", "wrong")))
        .await
        .then_expect_error(E::Forbidden);
}
