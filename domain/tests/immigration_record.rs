//! Given/when/then tests of the `ImmigrationRecord` aggregate: a programme officer records one immigration
//! document for an awarded scholar; every refusal is covered.

mod common;

use chrono::NaiveDate;
use cqrs_es::test::AggregateTestExecutor;

use common::*;
use domain::application::Status;
use domain::application::rules::FieldProblem;
use domain::immigration::{
    ImmigrationCommand, ImmigrationDocument, ImmigrationError as E, ImmigrationEvent as Ev,
    ImmigrationRecord,
};
use domain::{Actor, Authored, Role};

const APPLICATION: &str = "application-1";
fn given(events: Vec<Ev>) -> AggregateTestExecutor<ImmigrationRecord> {
    given_of(events)
}

fn given_nothing() -> AggregateTestExecutor<ImmigrationRecord> {
    nothing_given_of()
}

fn record(status: Status, kind: &str, reference: &str, issued_on: NaiveDate) -> ImmigrationCommand {
    ImmigrationCommand::RecordImmigrationDocument {
        application_id: APPLICATION.to_string(),
        applicant_id: APPLICANT.to_string(),
        application_status: status,
        kind: kind.to_string(),
        reference: reference.to_string(),
        issued_on,
    }
}

/// The commands of these tests are issued on the 5th of October 2026, after the award.
fn by(actor: Actor, command: ImmigrationCommand) -> Authored<ImmigrationCommand> {
    on(date(2026, 10, 5), actor, command)
}

/// A valid command: a visa for an awarded scholar, issued before today.
fn a_visa() -> ImmigrationCommand {
    record(Status::Awarded, "visa", "TEST-VISA-0001", date(2026, 9, 1))
}

fn recorded(kind: &str, reference: &str, issued_on: NaiveDate) -> Ev {
    Ev::ImmigrationRecordRecorded {
        application_id: APPLICATION.to_string(),
        applicant_id: APPLICANT.to_string(),
        kind: kind.to_string(),
        document: ImmigrationDocument {
            reference: reference.to_string(),
            issued_on,
        }
        .into(),
    }
}

fn kind_problem() -> FieldProblem {
    FieldProblem::new(
        "kind",
        "a short name of lower-case letters, digits and underscores, such as visa",
    )
}

fn reference_problem() -> FieldProblem {
    FieldProblem::new("reference", "must be given, at most 500 characters")
}

fn issued_on_problem() -> FieldProblem {
    FieldProblem::new("issued_on", "must not be in the future")
}

#[tokio::test]
async fn a_programme_officer_records_a_document_for_an_awarded_scholar() {
    given_nothing()
        .when_async(by(officer(), a_visa()))
        .await
        .then_expect_events(vec![recorded("visa", "TEST-VISA-0001", date(2026, 9, 1))]);
}

#[tokio::test]
async fn the_kind_and_reference_are_recorded_in_canonical_form() {
    given_nothing()
        .when_async(by(
            officer(),
            record(
                Status::Awarded,
                "  Residence_Permit2 ",
                "  TEST-RP-42  ",
                date(2026, 9, 1),
            ),
        ))
        .await
        .then_expect_events(vec![recorded(
            "residence_permit2",
            "TEST-RP-42",
            date(2026, 9, 1),
        )]);
}

#[tokio::test]
async fn a_document_issued_today_is_accepted() {
    given_nothing()
        .when_async(by(
            officer(),
            record(Status::Awarded, "cas", "TEST-CAS-1", date(2026, 10, 5)),
        ))
        .await
        .then_expect_events(vec![recorded("cas", "TEST-CAS-1", date(2026, 10, 5))]);
}

#[tokio::test]
async fn the_longest_kind_and_reference_are_accepted() {
    let kind = "k".repeat(40);
    let reference = "R".repeat(500);
    given_nothing()
        .when_async(by(
            officer(),
            record(Status::Awarded, &kind, &reference, date(2026, 9, 1)),
        ))
        .await
        .then_expect_events(vec![recorded(&kind, &reference, date(2026, 9, 1))]);
}

#[tokio::test]
async fn a_record_is_refused_for_an_application_that_is_not_awarded() {
    for status in [
        Status::NotStarted,
        Status::Draft,
        Status::Submitted,
        Status::Eligible,
        Status::Ineligible,
        Status::UnderReview,
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Alumni,
        Status::Withdrawn,
    ] {
        given_nothing()
            .when_async(by(
                officer(),
                record(status, "visa", "TEST-VISA-0001", date(2026, 9, 1)),
            ))
            .await
            .then_expect_error(E::NotAwarded { status });
    }
}

#[tokio::test]
async fn the_refusal_says_records_are_kept_only_for_awarded_scholars() {
    given_nothing()
        .when_async(by(officer(), record(Status::UnderReview, "visa", "TEST-VISA-0001", date(2026, 9, 1))))
        .await
        .then_expect_error_message(
            "immigration records are kept only for awarded scholars; this application is under review",
        );
}

#[tokio::test]
async fn a_kind_that_is_not_a_short_lower_case_name_is_refused() {
    let too_long = "k".repeat(41);
    for kind in [
        "",
        "   ",
        "residence permit",
        "visa!",
        "visa-type",
        "vísa",
        too_long.as_str(),
    ] {
        given_nothing()
            .when_async(by(
                officer(),
                record(Status::Awarded, kind, "TEST-VISA-0001", date(2026, 9, 1)),
            ))
            .await
            .then_expect_error(E::Invalid {
                problems: vec![kind_problem()],
            });
    }
}

#[tokio::test]
async fn a_missing_or_overlong_reference_is_refused() {
    let too_long = "R".repeat(501);
    for reference in ["", "   ", too_long.as_str()] {
        given_nothing()
            .when_async(by(
                officer(),
                record(Status::Awarded, "visa", reference, date(2026, 9, 1)),
            ))
            .await
            .then_expect_error(E::Invalid {
                problems: vec![reference_problem()],
            });
    }
}

#[tokio::test]
async fn a_document_issued_in_the_future_is_refused() {
    for issued_on in [date(2026, 10, 6), date(2030, 1, 1)] {
        given_nothing()
            .when_async(by(
                officer(),
                record(Status::Awarded, "visa", "TEST-VISA-0001", issued_on),
            ))
            .await
            .then_expect_error(E::Invalid {
                problems: vec![issued_on_problem()],
            });
    }
}

#[tokio::test]
async fn every_invalid_value_is_reported_at_once() {
    given_nothing()
        .when_async(by(
            officer(),
            record(Status::Awarded, "Study Visa", " ", date(2026, 10, 6)),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![kind_problem(), reference_problem(), issued_on_problem()],
        });
}

#[tokio::test]
async fn the_award_is_checked_before_the_values() {
    given_nothing()
        .when_async(by(
            officer(),
            record(Status::Selected, "Study Visa", " ", date(2026, 10, 6)),
        ))
        .await
        .then_expect_error(E::NotAwarded {
            status: Status::Selected,
        });
}

#[tokio::test]
async fn a_record_cannot_be_made_twice() {
    given(vec![recorded("visa", "TEST-VISA-0001", date(2026, 9, 1))])
        .when_async(by(officer(), a_visa()))
        .await
        .then_expect_error(E::AlreadyRecorded);
    given(vec![recorded("visa", "TEST-VISA-0001", date(2026, 9, 1))])
        .when_async(by(
            officer(),
            record(Status::Alumni, "", "", date(2030, 1, 1)),
        ))
        .await
        .then_expect_error(E::AlreadyRecorded);
}

#[tokio::test]
async fn only_a_programme_officer_may_record_immigration_documents() {
    for role in Role::ALL
        .into_iter()
        .filter(|role| *role != Role::ProgrammeOfficer)
    {
        given_nothing()
            .when_async(by(someone_with(role), a_visa()))
            .await
            .then_expect_error(E::Forbidden);
        given(vec![recorded("visa", "TEST-VISA-0001", date(2026, 9, 1))])
            .when_async(by(someone_with(role), a_visa()))
            .await
            .then_expect_error(E::Forbidden);
    }
}

#[test]
fn the_document_is_personal_data_and_the_kind_and_ids_are_not() {
    let event = recorded("visa", "TEST-VISA-0001", date(2026, 9, 1));
    let json = serde_json::to_value(&event).expect("serializable");
    assert_eq!(
        json,
        serde_json::json!({
            "ImmigrationRecordRecorded": {
                "application_id": APPLICATION,
                "applicant_id": APPLICANT,
                "kind": "visa",
                "document": {"$personal": {"reference": "TEST-VISA-0001", "issued_on": "2026-09-01"}},
            }
        })
    );
    let back: Ev = serde_json::from_value(json).expect("deserializable");
    assert_eq!(back, event);
}
