//! Retention (SPEC.md "Retention"): each record is destroyed on the day the schedule names and not a day
//! earlier; awards are kept; a hold keeps a record until it is lifted; "destroyed" means that no byte of the
//! personal data, nor the key that sealed it, is left in any file of the store; a backup restored from
//! before a sweep is destroyed again from the ledger. Records made today fall due 24 months on, so each test
//! sweeps as of the day before that, then as of that day.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Days, Months, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{
    Backend, PASSWORD, RestoredStore, TestApp, User, award_terms, complete_form,
    new_postgres_database, scores,
};
use crate::on_both_stores;
use domain::Role;
use projections::{Db, on_pool};
use services::retention::{Ledger, SweepLine, SweepReport};

on_both_stores!(
    a_draft_is_destroyed_twenty_four_months_after_its_last_change_and_not_a_day_earlier,
    unsuccessful_ineligible_and_withdrawn_applications_are_destroyed_two_years_after_the_decision,
    awards_and_alumni_are_never_destroyed,
    an_immigration_record_is_destroyed_two_years_after_it_was_recorded_while_the_award_stays,
    applications_still_being_decided_are_kept_until_their_cycle_is_concluded,
    a_hold_keeps_a_due_application_until_an_information_officer_lifts_it,
    an_applicant_account_with_no_kept_application_is_destroyed_two_years_after_its_last_sign_in,
    a_dry_run_destroys_nothing_and_a_second_sweep_destroys_nothing_more,
    a_rebuild_of_the_views_after_a_sweep_keeps_what_was_destroyed_destroyed,
    no_marker_nor_key_of_a_destroyed_stream_is_left_in_any_file_of_the_store,
    a_backup_restored_from_before_a_sweep_is_destroyed_again_from_the_ledger,
    the_sweep_command_prints_each_record_and_a_summary_and_a_second_run_destroys_nothing,
    a_dry_run_names_the_accounts_the_sweep_would_destroy_with_their_last_application,
    an_open_request_about_a_person_holds_their_records_until_it_is_answered,
    a_stored_subject_access_response_keeps_nothing_of_a_record_destroyed_since,
    a_request_is_destroyed_two_years_after_it_closed_and_not_a_day_before,
);

// ---------------------------------------------------------------------------------------------------------
// Days, sweeps and the ledger

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The day a record made today falls due: 24 months on.
fn due() -> NaiveDate {
    today()
        .checked_add_months(Months::new(24))
        .expect("a day two years on")
}

fn day_before(day: NaiveDate) -> NaiveDate {
    day.pred_opt().expect("a day before")
}

/// Sweeps with a ledger of its own, in a folder apart from the store as in production.
struct Sweeper {
    _dir: TempDir,
    ledger: Ledger,
}

impl Sweeper {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a folder for the ledger");
        let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
        Sweeper { _dir: dir, ledger }
    }

    async fn sweep(&self, app: &TestApp, as_of: NaiveDate) -> SweepReport {
        services::retention::sweep(&app.state, &self.ledger, as_of, false, &|_, _| {})
            .await
            .unwrap_or_else(|error| panic!("the sweep as of {as_of} runs: {error:#}"))
    }

    async fn dry_run(&self, app: &TestApp, as_of: NaiveDate) -> SweepReport {
        services::retention::sweep(&app.state, &self.ledger, as_of, true, &|_, _| {})
            .await
            .unwrap_or_else(|error| panic!("the dry run as of {as_of} runs: {error:#}"))
    }
}

/// The ids of the lines of one type of stream.
fn ids(lines: &[SweepLine], aggregate_type: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line.aggregate_type == aggregate_type)
        .map(|line| line.aggregate_id.clone())
        .collect()
}

/// The line of one stream, if the report has it.
fn line_of<'a>(lines: &'a [SweepLine], aggregate_type: &str, id: &str) -> Option<&'a SweepLine> {
    lines
        .iter()
        .find(|line| line.aggregate_type == aggregate_type && line.aggregate_id == id)
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

// ---------------------------------------------------------------------------------------------------------
// What the API answers

fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

/// Gives the applicant a second application, submitted (so on no schedule), so that their account is kept
/// when the application under test is destroyed: a destroyed account's token opens nothing, and these tests
/// look at the application through its owner's eyes.
async fn keep_account(app: &TestApp, owner: &User) {
    let (status, body) = app
        .post("/api/applications", owner, json!({"cycle": "2027-28"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            owner,
            crate::helpers::complete_form(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(&format!("/api/applications/{id}/submit"), owner, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Asserts a 410 `destroyed` with a sentence.
#[track_caller]
fn gone((status, body): (StatusCode, Value), what: &str) {
    assert_eq!(status, StatusCode::GONE, "{what}: {body}");
    assert_eq!(body["error"], "destroyed", "{what}: {body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| !message.trim().is_empty()),
        "{what}: a refusal says why: {body}"
    );
}

/// Asserts a success of exactly this status and answers its body.
#[track_caller]
fn answered((status, body): (StatusCode, Value), expected: StatusCode, what: &str) -> Value {
    assert_eq!(status, expected, "{what}: {body}");
    body
}

/// Asserts a refusal of this status and error code.
#[track_caller]
fn refused((status, body): (StatusCode, Value), expected: StatusCode, code: &str, what: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(body["error"], code, "{what}: {body}");
}

/// The application reads back whole: asserts 200 and the name it was given; answers the view.
async fn still_there(app: &TestApp, id: &str, user: &User, full_name: &str) -> Value {
    let view = answered(
        app.get(&at(id, ""), user).await,
        StatusCode::OK,
        &format!("{id} is still there for {}", user.email),
    );
    assert_eq!(view["personal"]["full_name"], full_name, "{view}");
    view
}

/// The ids of the staff case list of cycle 2026-27.
async fn case_list(app: &TestApp, staff: &User) -> Vec<String> {
    let body = answered(
        app.get("/api/applications?cycle=2026-27&limit=500", staff)
            .await,
        StatusCode::OK,
        "the case list",
    );
    item_ids(&body)
}

/// The ids of an applicant's own applications.
async fn own_list(app: &TestApp, owner: &User) -> Vec<String> {
    let body = answered(
        app.get("/api/applications", owner).await,
        StatusCode::OK,
        "the applicant's own list",
    );
    item_ids(&body)
}

fn item_ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of items: {body}"))
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect()
}

/// GET /api/retention, as an information officer.
async fn overview(app: &TestApp, information_officer: &User) -> Value {
    answered(
        app.get("/api/retention", information_officer).await,
        StatusCode::OK,
        "the retention overview",
    )
}

/// The entry of a stream in one section of the overview (`upcoming`, `overdue`, `held`, `destroyed`).
fn entry<'a>(
    overview: &'a Value,
    section: &str,
    aggregate_type: &str,
    id: &str,
) -> Option<&'a Value> {
    overview[section]
        .as_array()
        .unwrap_or_else(|| panic!("the overview has a list {section}: {overview}"))
        .iter()
        .find(|item| item["aggregate_type"] == aggregate_type && item["aggregate_id"] == id)
}

/// Asserts that the overview lists the stream as upcoming under the rule, due on the day.
#[track_caller]
fn assert_upcoming(
    overview: &Value,
    aggregate_type: &str,
    id: &str,
    rule: &str,
    due_on: NaiveDate,
) {
    let item = entry(overview, "upcoming", aggregate_type, id)
        .unwrap_or_else(|| panic!("{aggregate_type} {id} is on the schedule: {overview}"));
    assert_eq!(item["rule"], rule, "{item}");
    assert_eq!(item["due_on"], due_on.to_string(), "{item}");
}

/// Asserts that the overview lists the stream as destroyed under the rule, on the day.
#[track_caller]
fn assert_listed_destroyed(
    overview: &Value,
    aggregate_type: &str,
    id: &str,
    rule: &str,
    on: NaiveDate,
) {
    let item = entry(overview, "destroyed", aggregate_type, id)
        .unwrap_or_else(|| panic!("{aggregate_type} {id} is listed as destroyed: {overview}"));
    assert_eq!(item["rule"], rule, "{item}");
    assert_eq!(item["destroyed_on"], on.to_string(), "{item}");
    for section in ["upcoming", "overdue"] {
        assert!(
            entry(overview, section, aggregate_type, id).is_none(),
            "a destroyed {aggregate_type} is no longer {section}: {overview}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Applications at each end of the process

async fn withdrawn(app: &TestApp, owner: &User) -> String {
    let id = app.submitted(owner).await;
    answered(
        app.post(&at(&id, "/withdraw"), owner, json!({})).await,
        StatusCode::OK,
        "withdraw",
    );
    id
}

async fn ineligible(app: &TestApp, owner: &User, officer: &User) -> String {
    let id = app.submitted(owner).await;
    answered(
        app.post(
            &at(&id, "/eligibility"),
            officer,
            json!({"eligible": false, "reason": "outside the rules"}),
        )
        .await,
        StatusCode::OK,
        "find ineligible",
    );
    id
}

/// A programme officer's immigration record of an award, issued a month ago: its id.
async fn immigration_record(app: &TestApp, officer: &User, award: &str, reference: &str) -> String {
    let issued_on = (today() - Days::new(30)).to_string();
    let body = answered(
        app.post(
            &at(award, "/immigration-records"),
            officer,
            json!({"kind": "visa", "reference": reference, "issued_on": issued_on}),
        )
        .await,
        StatusCode::CREATED,
        "record an immigration document",
    );
    body["record_id"].as_str().expect("a record id").to_string()
}

async fn immigration_references(app: &TestApp, officer: &User, award: &str) -> Vec<String> {
    let body = answered(
        app.get(&at(award, "/immigration-records"), officer).await,
        StatusCode::OK,
        "the immigration records",
    );
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|record| {
            record["reference"]
                .as_str()
                .expect("a reference")
                .to_string()
        })
        .collect()
}

/// Every command a destroyed application might be sent, each answered 410.
async fn every_command_is_gone(app: &TestApp, id: &str, owner: &User) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let preferences = json!({"networking_opt_out": true, "alumni_email_opt_out": false,
        "alumni_book_opt_out": false, "images_opt_out": false});
    let attempts = [
        (
            "edit",
            app.patch(
                &at(id, ""),
                owner,
                json!({"personal": {"phone": "+000 0000 001"}}),
            )
            .await,
        ),
        (
            "submit",
            app.post(&at(id, "/submit"), owner, json!({})).await,
        ),
        (
            "withdraw",
            app.post(&at(id, "/withdraw"), owner, json!({})).await,
        ),
        (
            "preferences",
            app.put(&at(id, "/preferences"), &officer, preferences)
                .await,
        ),
        (
            "amend",
            app.post(
                &at(id, "/amendments"),
                &helpdesk,
                json!({"changes": {"personal.phone": "+000 0000 002"}, "reason": "asked by phone"}),
            )
            .await,
        ),
        (
            "eligibility",
            app.post(
                &at(id, "/eligibility"),
                &officer,
                json!({"eligible": true, "reason": "meets the rules"}),
            )
            .await,
        ),
        (
            "assign",
            app.post(
                &at(id, "/assignments"),
                &officer,
                json!({"committee_member_id": member.id}),
            )
            .await,
        ),
        (
            "decide",
            app.post(
                &at(id, "/decision"),
                &officer,
                json!({"outcome": "selected"}),
            )
            .await,
        ),
        (
            "award",
            app.post(&at(id, "/award"), &officer, award_terms()).await,
        ),
        (
            "list immigration records",
            app.get(&at(id, "/immigration-records"), &officer).await,
        ),
        ("history", app.get(&at(id, "/history"), &officer).await),
    ];
    for (what, answer) in attempts {
        gone(answer, &format!("{what} on destroyed application {id}"));
    }
}

// ---------------------------------------------------------------------------------------------------------
// The rules of the schedule

async fn a_draft_is_destroyed_twenty_four_months_after_its_last_change_and_not_a_day_earlier(
    app: TestApp,
) {
    let owner = app.applicant().await;
    keep_account(&app, &owner).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let id = app.complete_draft(&owner).await;
    assert_upcoming(
        &overview(&app, &information).await,
        "Application",
        &id,
        "unsubmitted_draft",
        due(),
    );
    let sweeper = Sweeper::new();

    let report = sweeper.sweep(&app, day_before(due())).await;
    assert!(
        !ids(&report.destroyed, "Application").contains(&id),
        "the day before it is due the draft is kept: {report:?}"
    );
    for user in [&owner, &officer] {
        still_there(&app, &id, user, "Test Applicant Marker").await;
    }
    assert!(case_list(&app, &officer).await.contains(&id));
    assert!(own_list(&app, &owner).await.contains(&id));

    let report = sweeper.sweep(&app, due()).await;
    let line = line_of(&report.destroyed, "Application", &id)
        .unwrap_or_else(|| panic!("the draft is destroyed on the day it is due: {report:?}"));
    assert_eq!(line.rule, "unsubmitted_draft");
    assert_eq!(line.due_on, due());
    for user in [&owner, &officer, &information] {
        gone(
            app.get(&at(&id, ""), user).await,
            &format!("GET of the destroyed draft by {}", user.email),
        );
    }
    every_command_is_gone(&app, &id, &owner).await;
    assert!(!case_list(&app, &officer).await.contains(&id));
    assert!(!own_list(&app, &owner).await.contains(&id));
    assert_listed_destroyed(
        &overview(&app, &information).await,
        "Application",
        &id,
        "unsubmitted_draft",
        due(),
    );
}

async fn unsuccessful_ineligible_and_withdrawn_applications_are_destroyed_two_years_after_the_decision(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let owners = [
        app.applicant().await,
        app.applicant().await,
        app.applicant().await,
    ];
    for owner in &owners {
        keep_account(&app, owner).await;
    }
    let cases = [
        (
            "unsuccessful",
            app.decided_for(&owners[0], &officer, "unsuccessful").await,
        ),
        ("ineligible", ineligible(&app, &owners[1], &officer).await),
        ("withdrawn", withdrawn(&app, &owners[2]).await),
    ];
    let schedule = overview(&app, &information).await;
    for (_, id) in &cases {
        assert_upcoming(
            &schedule,
            "Application",
            id,
            "unsuccessful_application",
            due(),
        );
    }
    let sweeper = Sweeper::new();

    let report = sweeper.sweep(&app, day_before(due())).await;
    assert!(
        ids(&report.destroyed, "Application").is_empty(),
        "nothing is destroyed a day early: {report:?}"
    );
    let listed = case_list(&app, &officer).await;
    for ((what, id), owner) in cases.iter().zip(&owners) {
        for user in [owner, &officer] {
            let view = still_there(&app, id, user, "Test Applicant Marker").await;
            assert_eq!(view["status"], *what, "{view}");
        }
        assert!(listed.contains(id), "the {what} application is listed");
        assert!(
            !projections::access_log::of_application(app.db(), id)
                .await
                .unwrap()
                .is_empty(),
            "the officer's reads of the {what} application are recorded"
        );
    }

    let report = sweeper.sweep(&app, due()).await;
    let schedule = overview(&app, &information).await;
    let listed = case_list(&app, &officer).await;
    for ((what, id), owner) in cases.iter().zip(&owners) {
        let line = line_of(&report.destroyed, "Application", id).unwrap_or_else(|| {
            panic!("the {what} application is destroyed on the day: {report:?}")
        });
        assert_eq!(line.rule, "unsuccessful_application");
        for user in [owner, &officer, &information, &helpdesk] {
            gone(
                app.get(&at(id, ""), user).await,
                &format!("GET of the destroyed {what} application by {}", user.email),
            );
        }
        every_command_is_gone(&app, id, owner).await;
        assert!(!listed.contains(id), "the case list no longer lists it");
        assert!(!own_list(&app, owner).await.contains(id));
        gone(
            app.get(&at(id, "/reads"), &information).await,
            "the reads of a destroyed application",
        );
        assert!(
            projections::access_log::of_application(app.db(), id)
                .await
                .unwrap()
                .is_empty(),
            "the record of who read the {what} application is destroyed with it"
        );
        assert_listed_destroyed(
            &schedule,
            "Application",
            id,
            "unsuccessful_application",
            due(),
        );
    }
}

async fn awards_and_alumni_are_never_destroyed(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let scholar = app.applicant().await;
    let alumnus = app.applicant().await;
    let awarded = app.awarded_for(&scholar, &officer).await;
    let completed = app.awarded_for(&alumnus, &officer).await;
    answered(
        app.post(
            &at(&completed, "/award/complete"),
            &officer,
            json!({"outcome": "MSc with merit", "completed_on": today().to_string()}),
        )
        .await,
        StatusCode::OK,
        "complete the award",
    );
    let schedule = overview(&app, &information).await;
    for id in [&awarded, &completed] {
        for section in ["upcoming", "overdue"] {
            assert!(
                entry(&schedule, section, "Application", id).is_none(),
                "an award is not on the schedule: {schedule}"
            );
        }
    }

    let ten_years_on = today().checked_add_months(Months::new(120)).unwrap();
    let report = Sweeper::new().sweep(&app, ten_years_on).await;
    let destroyed = ids(&report.destroyed, "Application");
    let accounts = ids(&report.destroyed, "Account");
    let form = complete_form();
    for ((id, owner), status) in [(&awarded, &scholar), (&completed, &alumnus)]
        .into_iter()
        .zip(["awarded", "alumni"])
    {
        assert!(!destroyed.contains(id), "an award is kept: {report:?}");
        assert!(
            !accounts.contains(&owner.id),
            "the account of a scholar is kept: {report:?}"
        );
        for user in [owner, &officer] {
            let view = still_there(&app, id, user, "Test Applicant Marker").await;
            assert_eq!(view["status"], status);
            assert_eq!(view["personal"], form["personal"], "{view}");
            assert_eq!(view["essays"], form["essays"], "{view}");
            assert_eq!(view["referees"], form["referees"], "{view}");
            assert_eq!(view["award"]["institution"], "Test Institute", "{view}");
        }
        app.sign_in(&owner.email).await;
    }
}

async fn an_immigration_record_is_destroyed_two_years_after_it_was_recorded_while_the_award_stays(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let scholar = app.applicant().await;
    let award = app.awarded_for(&scholar, &officer).await;
    let record = immigration_record(&app, &officer, &award, "TEST-VISA-0001").await;
    assert_upcoming(
        &overview(&app, &information).await,
        "ImmigrationRecord",
        &record,
        "immigration_record",
        due(),
    );
    let sweeper = Sweeper::new();

    let report = sweeper.sweep(&app, day_before(due())).await;
    assert!(
        ids(&report.destroyed, "ImmigrationRecord").is_empty(),
        "{report:?}"
    );
    assert_eq!(
        immigration_references(&app, &officer, &award).await,
        ["TEST-VISA-0001"]
    );

    let report = sweeper.sweep(&app, due()).await;
    assert_eq!(
        ids(&report.destroyed, "ImmigrationRecord"),
        [record.as_str()],
        "{report:?}"
    );
    assert!(
        !ids(&report.destroyed, "Application").contains(&award),
        "{report:?}"
    );
    assert!(
        immigration_references(&app, &officer, &award)
            .await
            .is_empty(),
        "the destroyed record is no longer listed"
    );
    for user in [&scholar, &officer] {
        let view = still_there(&app, &award, user, "Test Applicant Marker").await;
        assert_eq!(view["status"], "awarded");
        assert_eq!(view["award"]["course"], "MSc Data Science");
    }
    assert_listed_destroyed(
        &overview(&app, &information).await,
        "ImmigrationRecord",
        &record,
        "immigration_record",
        due(),
    );
    // The award goes on: a new document can be recorded for it.
    immigration_record(&app, &officer, &award, "TEST-VISA-0002").await;
    assert_eq!(
        immigration_references(&app, &officer, &award).await,
        ["TEST-VISA-0002"]
    );
}

async fn applications_still_being_decided_are_kept_until_their_cycle_is_concluded(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let information = app.staff(Role::InformationOfficer).await;
    let submitted_owner = app.applicant().await;
    let cases = [
        ("submitted", app.submitted(&submitted_owner).await),
        ("under_review", app.under_review(&officer, &member).await),
        ("selected", app.decided(&officer, "selected").await),
        ("reserve", app.decided(&officer, "reserve").await),
    ];
    let schedule = overview(&app, &information).await;
    for (what, id) in &cases {
        for section in ["upcoming", "overdue"] {
            assert!(
                entry(&schedule, section, "Application", id).is_none(),
                "a {what} application is not on the schedule: {schedule}"
            );
        }
    }
    // A dry run far ahead foresees the conclusion and what follows it: each of them concluded, then
    // destroyed, none failing.
    let sweeper = Sweeper::new();
    let far = today().checked_add_months(Months::new(120)).unwrap();
    let dry = sweeper.dry_run(&app, far).await;
    assert!(dry.failed.is_empty(), "{dry:?}");
    assert_eq!(dry.concluded.len(), 1, "{dry:?}");
    assert_eq!(dry.concluded[0].concluded, cases.len(), "{dry:?}");
    for (what, id) in &cases {
        assert!(
            ids(&dry.destroyed, "Application").contains(id),
            "a {what} application would be destroyed: {dry:?}"
        );
    }
    // Up to the day before the cycle's automatic conclusion (31 December of its second year) nothing of
    // them is due, however far ahead the sweep looks.
    let conclusion = NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
    let report = sweeper.sweep(&app, day_before(conclusion)).await;
    assert!(report.destroyed.is_empty(), "{report:?}");
    assert!(report.concluded.is_empty(), "{report:?}");
    for (what, id) in &cases {
        let view = still_there(&app, id, &officer, "Test Applicant Marker").await;
        assert_eq!(view["status"], *what, "{view}");
    }
    // From that day the cycle is concluded and each of them is unsuccessful, due two years on.
    let report = sweeper.sweep(&app, conclusion).await;
    assert_eq!(report.concluded.len(), 1, "{report:?}");
    assert_eq!(report.concluded[0].concluded, cases.len(), "{report:?}");
    assert!(report.destroyed.is_empty(), "{report:?}");
    let schedule = overview(&app, &information).await;
    let two_years_on = NaiveDate::from_ymd_opt(2029, 12, 31).unwrap();
    for (what, id) in &cases {
        let view = still_there(&app, id, &officer, "Test Applicant Marker").await;
        assert_eq!(view["status"], "unsuccessful", "{view}");
        assert_eq!(
            view["concluded_with_cycle"],
            json!({"on": "2027-12-31", "previous_status": what}),
            "{view}"
        );
        let entry = entry(&schedule, "upcoming", "Application", id).unwrap_or_else(|| {
            panic!("a concluded {what} application is on the schedule: {schedule}")
        });
        assert_eq!(entry["due_on"], two_years_on.to_string());
    }
    // Ten years on, none of them is left.
    let ten_years_on = today().checked_add_months(Months::new(120)).unwrap();
    let report = sweeper.sweep(&app, ten_years_on).await;
    assert!(report.destroyed.len() >= cases.len(), "{report:?}");
    for (_, id) in &cases {
        gone(app.get(&at(id, ""), &officer).await, "after the sweep");
    }
}

async fn a_hold_keeps_a_due_application_until_an_information_officer_lifts_it(app: TestApp) {
    let owner = app.applicant().await;
    keep_account(&app, &owner).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let admin = app.staff(Role::Admin).await;
    let information = app.staff(Role::InformationOfficer).await;
    let id = withdrawn(&app, &owner).await;
    let hold = json!({"reason": "Held while a complaint is open"});

    for user in [&owner, &officer, &helpdesk, &member, &admin] {
        refused(
            app.post(&at(&id, "/hold"), user, hold.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("a hold placed by {}", user.email),
        );
    }
    refused(
        app.get("/api/retention", &officer).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "the retention overview for a programme officer",
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    refused(
        app.post(&at(&unknown, "/hold"), &information, hold.clone())
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "a hold on an unknown application",
    );
    let (status, body) = app
        .post(&at(&id, "/hold"), &information, json!({"reason": "  "}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a hold needs a reason: {body}"
    );

    let body = answered(
        app.post(&at(&id, "/hold"), &information, hold.clone())
            .await,
        StatusCode::CREATED,
        "place a hold",
    );
    assert_eq!(body["held"], true, "{body}");
    let held = overview(&app, &information).await;
    let item = entry(&held, "held", "Application", &id)
        .unwrap_or_else(|| panic!("the overview lists the hold: {held}"));
    assert_eq!(item["reason"], "Held while a complaint is open");
    assert_eq!(item["placed_by"], information.id.as_str());

    let sweeper = Sweeper::new();
    let report = sweeper.sweep(&app, due()).await;
    let line = line_of(&report.held, "Application", &id)
        .unwrap_or_else(|| panic!("the sweep reports the application held: {report:?}"));
    assert_eq!(
        line.held_because.as_deref(),
        Some("Held while a complaint is open")
    );
    assert!(
        !ids(&report.destroyed, "Application").contains(&id),
        "a held application is not destroyed: {report:?}"
    );
    assert!(
        !ids(&report.destroyed, "Account").contains(&owner.id),
        "nor its owner's account: {report:?}"
    );
    still_there(&app, &id, &owner, "Test Applicant Marker").await;

    for user in [&owner, &officer, &admin] {
        refused(
            app.request(Method::DELETE, &at(&id, "/hold"), Some(&user.token), None)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("a hold lifted by {}", user.email),
        );
    }
    refused(
        app.request(
            Method::DELETE,
            &at(&unknown, "/hold"),
            Some(&information.token),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "lifting a hold that is not there",
    );
    let body = answered(
        app.request(
            Method::DELETE,
            &at(&id, "/hold"),
            Some(&information.token),
            None,
        )
        .await,
        StatusCode::OK,
        "lift the hold",
    );
    assert_eq!(body["held"], false, "{body}");
    refused(
        app.request(
            Method::DELETE,
            &at(&id, "/hold"),
            Some(&information.token),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "lifting the hold twice",
    );

    let report = sweeper.sweep(&app, due()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&id),
        "once the hold is lifted the next sweep destroys it: {report:?}"
    );
    assert!(report.held.is_empty(), "{report:?}");
    gone(
        app.get(&at(&id, ""), &owner).await,
        "GET after the hold is lifted",
    );
    gone(
        app.post(&at(&id, "/hold"), &information, hold).await,
        "a hold on a destroyed application",
    );
}

async fn an_applicant_account_with_no_kept_application_is_destroyed_two_years_after_its_last_sign_in(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let information = app.staff(Role::InformationOfficer).await;
    let never_applied = app.applicant().await;
    let withdrew = app.applicant().await;
    let scholar = app.applicant().await;
    let waiting = app.applicant().await;
    let withdrawn_id = withdrawn(&app, &withdrew).await;
    app.awarded_for(&scholar, &officer).await;
    app.under_review_for(&waiting, &officer, &member).await;
    let sweeper = Sweeper::new();

    // Nobody signs in between the sweeps: a sign-in would start the clock again.
    let report = sweeper.sweep(&app, day_before(due())).await;
    assert!(
        ids(&report.destroyed, "Account").is_empty(),
        "no account is destroyed a day early: {report:?}"
    );

    let report = sweeper.sweep(&app, due()).await;
    assert!(ids(&report.destroyed, "Application").contains(&withdrawn_id));
    assert_eq!(
        sorted(ids(&report.destroyed, "Account")),
        sorted(vec![never_applied.id.clone(), withdrew.id.clone()]),
        "exactly the applicants left with no kept application: {report:?}"
    );
    for gone_user in [&never_applied, &withdrew] {
        refused(
            app.login(&gone_user.email, PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "signing in to a destroyed account",
        );
    }
    for kept in [&scholar, &waiting, &helpdesk] {
        app.sign_in(&kept.email).await;
    }
    let schedule = overview(&app, &information).await;
    for gone_user in [&never_applied, &withdrew] {
        let item = entry(&schedule, "destroyed", "Account", &gone_user.id)
            .unwrap_or_else(|| panic!("the destroyed account is listed: {schedule}"));
        assert_eq!(item["rule"], "applicant_account");
        assert_eq!(item["destroyed_on"], due().to_string());
    }
    assert!(entry(&schedule, "destroyed", "Account", &scholar.id).is_none());

    // A destroyed account's address is free again (on PostgreSQL the sweep's batch deletes it from the
    // addresses it keeps unique); a kept account's address is still taken.
    let (status, body) = app
        .register(&never_applied.email, "Test Applicant Again")
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "registering anew with a destroyed account's address: {body}"
    );
    app.sign_in(&never_applied.email).await;
    refused(
        app.register(&scholar.email, "Test Applicant Twice").await,
        StatusCode::CONFLICT,
        "email_taken",
        "registering with a kept account's address",
    );
}

// ---------------------------------------------------------------------------------------------------------
// How the sweep runs

async fn a_dry_run_destroys_nothing_and_a_second_sweep_destroys_nothing_more(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let withdrew = app.applicant().await;
    let drafter = app.applicant().await;
    let withdrawn_id = withdrawn(&app, &withdrew).await;
    let draft = app.complete_draft(&drafter).await;
    let sweeper = Sweeper::new();

    let report = sweeper.dry_run(&app, day_before(due())).await;
    assert!(report.destroyed.is_empty(), "{report:?}");
    assert_eq!(
        report.next_due,
        Some(due()),
        "the next record falls due then"
    );
    assert!(
        report.summary().ends_with(&format!("next due {}", due())),
        "{}",
        report.summary()
    );

    let report = sweeper.dry_run(&app, due()).await;
    assert!(report.dry_run);
    assert_eq!(
        sorted(ids(&report.destroyed, "Application")),
        sorted(vec![withdrawn_id.clone(), draft.clone()]),
        "a dry run says what it would destroy: {report:?}"
    );
    // (Whether it also names the accounts those destructions leave with nothing kept is the test
    // `a_dry_run_names_the_accounts_the_sweep_would_destroy_with_their_last_application`.)
    assert!(
        report
            .summary()
            .starts_with("dry run: would have destroyed "),
        "{}",
        report.summary()
    );
    still_there(&app, &withdrawn_id, &withdrew, "Test Applicant Marker").await;
    still_there(&app, &draft, &officer, "Test Applicant Marker").await;
    app.sign_in(&withdrew.email).await;
    assert!(
        sweeper.ledger.lines().unwrap().is_empty(),
        "a dry run writes nothing to the ledger"
    );

    // The sign-in above started that account's clock again, as of today: it is destroyed on the same day.
    let report = sweeper.sweep(&app, due()).await;
    assert_eq!(report.destroyed.len(), 4, "{report:?}");
    assert_eq!(report.next_due, None, "nothing else is on the schedule");
    assert_eq!(
        report.summary(),
        "destroyed 4, held 0, re-destroyed from the ledger 0, next due none"
    );
    let ledger = sweeper.ledger.lines().unwrap();
    assert_eq!(ledger.len(), 4, "{ledger:?}");
    for id in [&withdrawn_id, &draft] {
        gone(app.get(&at(id, ""), &officer).await, "GET after the sweep");
    }

    for as_of in [due(), due() + Days::new(400)] {
        let again = sweeper.sweep(&app, as_of).await;
        assert!(
            again.destroyed.is_empty(),
            "a second sweep destroys nothing: {again:?}"
        );
        assert!(again.reapplied.is_empty(), "{again:?}");
        assert!(again.held.is_empty(), "{again:?}");
        assert_eq!(
            again.summary(),
            "destroyed 0, held 0, re-destroyed from the ledger 0, next due none"
        );
    }
    assert_eq!(
        sweeper.ledger.lines().unwrap(),
        ledger,
        "the ledger has no line more"
    );
}

async fn a_dry_run_names_the_accounts_the_sweep_would_destroy_with_their_last_application(
    app: TestApp,
) {
    let withdrew = app.applicant().await;
    let never_applied = app.applicant().await;
    let withdrawn_id = withdrawn(&app, &withdrew).await;
    let sweeper = Sweeper::new();

    let dry = sweeper.dry_run(&app, due()).await;
    let real = sweeper.sweep(&app, due()).await;
    assert_eq!(
        sorted(ids(&real.destroyed, "Account")),
        sorted(vec![withdrew.id.clone(), never_applied.id.clone()]),
        "{real:?}"
    );
    assert!(ids(&real.destroyed, "Application").contains(&withdrawn_id));
    assert_eq!(
        dry.destroyed, real.destroyed,
        "the dry run says what the sweep then destroys"
    );
}

async fn a_rebuild_of_the_views_after_a_sweep_keeps_what_was_destroyed_destroyed(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let withdrew = app.applicant().await;
    keep_account(&app, &withdrew).await;
    let scholar = app.applicant().await;
    let withdrawn_id = withdrawn(&app, &withdrew).await;
    let award = app.awarded_for(&scholar, &officer).await;
    let record = immigration_record(&app, &officer, &award, "TEST-VISA-0003").await;
    let sweeper = Sweeper::new();
    let report = sweeper.sweep(&app, due()).await;
    assert!(ids(&report.destroyed, "Application").contains(&withdrawn_id));
    assert!(ids(&report.destroyed, "ImmigrationRecord").contains(&record));

    let before = (
        case_list(&app, &officer).await,
        overview(&app, &information).await,
        app.get(&at(&award, ""), &officer).await,
        app.get(&at(&award, "/immigration-records"), &officer).await,
    );
    assert_eq!(before.2.0, StatusCode::OK);
    app.state.repo.rebuild_projections().await.unwrap();
    let after = (
        case_list(&app, &officer).await,
        overview(&app, &information).await,
        app.get(&at(&award, ""), &officer).await,
        app.get(&at(&award, "/immigration-records"), &officer).await,
    );
    assert_eq!(before, after, "a rebuild gives the same lists and views");
    assert!(!after.0.contains(&withdrawn_id));
    for user in [&withdrew, &officer] {
        gone(
            app.get(&at(&withdrawn_id, ""), user).await,
            "GET after a rebuild",
        );
    }
    gone(
        app.get(&at(&withdrawn_id, "/history"), &officer).await,
        "history after a rebuild",
    );
    let again = sweeper.sweep(&app, due()).await;
    assert!(
        again.destroyed.is_empty() && again.reapplied.is_empty(),
        "the rebuild put nothing back on the schedule: {again:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Destroyed means gone from the files

/// Marker text for every personal field of a form; `tag` names whose it is (`GONE-A`, `KEPT`).
fn marked_form(tag: &str, date_of_birth: &str) -> Value {
    let lower = tag.to_lowercase();
    let mark = |what: &str| format!("RETMARK-{tag}-{what}");
    json!({
        "personal": {
            "full_name": mark("FULL-NAME"),
            "date_of_birth": date_of_birth,
            "email": format!("retmark-{lower}-email@example.test"),
            "phone": "+000 0000 0000",
            "address": mark("ADDRESS"),
            "nationality": "Kenya",
            "country_of_residence": "Kenya"
        },
        "education": [{"institution": mark("EDUCATION-INSTITUTION"), "qualification": mark("QUALIFICATION"),
                       "subject": mark("SUBJECT"), "year": 2020}],
        "employment": [{"employer": mark("EMPLOYER"), "role": mark("JOB-ROLE"), "from": "2020-09"}],
        "courses": [{"institution": mark("COURSE-INSTITUTION"), "course": mark("COURSE"), "level": "masters"}],
        "essays": {
            "leadership": format!("{} is my leadership essay.", mark("ESSAY-LEADERSHIP")),
            "networking": format!("{} is my networking essay.", mark("ESSAY-NETWORKING")),
            "study_plan": format!("{} is my study plan.", mark("ESSAY-STUDY-PLAN")),
            "career_plan": format!("{} is my career plan.", mark("ESSAY-CAREER-PLAN"))
        },
        "referees": [
            {"name": mark("REFEREE-ONE"), "email": format!("retmark-{lower}-referee-one@example.test")},
            {"name": mark("REFEREE-TWO"), "email": format!("retmark-{lower}-referee-two@example.test")}
        ]
    })
}

/// The date of birth of every applicant whose data is destroyed in the marker test: no other fixture uses it.
const GONE_DATE_OF_BIRTH: &str = "1987-11-29";

/// A new applicant registered under a marked name and address, signed in, with a marked form saved.
async fn marked_applicant(app: &TestApp, tag: &str, date_of_birth: &str) -> (User, String) {
    let email = format!("retmark-{}-account@example.test", tag.to_lowercase());
    let (status, body) = app
        .register(&email, &format!("RETMARK-{tag}-ACCOUNT-NAME"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let owner = app.sign_in(&email).await;
    let id = app.draft(&owner).await;
    answered(
        app.patch(&at(&id, ""), &owner, marked_form(tag, date_of_birth))
            .await,
        StatusCode::OK,
        "save the marked form",
    );
    (owner, id)
}

/// A marked applicant (as [`marked_applicant`]) who submitted and then withdrew: due two years on.
async fn withdrawn_marked_applicant(app: &TestApp, tag: &str) -> (User, String) {
    let (owner, id) = marked_applicant(app, tag, GONE_DATE_OF_BIRTH).await;
    for path in ["/submit", "/withdraw"] {
        answered(
            app.post(&at(&id, path), &owner, json!({})).await,
            StatusCode::OK,
            path,
        );
    }
    (owner, id)
}

fn marked_preferences(reason: &str) -> Value {
    json!({"networking_opt_out": true, "alumni_email_opt_out": true, "alumni_book_opt_out": false,
           "images_opt_out": false, "reason": reason})
}

/// A help-desk amendment with marked values, reason and requester.
async fn marked_amendment(app: &TestApp, helpdesk: &User, id: &str, tag: &str) {
    let lower = tag.to_lowercase();
    answered(
        app.post(
            &at(id, "/amendments"),
            helpdesk,
            json!({
                "changes": {
                    "personal.full_name": format!("RETMARK-{tag}-AMENDED-NAME"),
                    "personal.email": format!("retmark-{lower}-amended@example.test"),
                    "personal.address": format!("RETMARK-{tag}-AMENDED-ADDRESS")
                },
                "reason": format!("RETMARK-{tag}-AMENDMENT-REASON"),
                "requested_by": format!("RETMARK-{tag}-REQUESTED-BY")
            }),
        )
        .await,
        StatusCode::OK,
        "amend",
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The wrapped data key of a stream, as the store holds it.
async fn wrapped_key(db: &Db, aggregate_type: &str, id: &str) -> Option<Vec<u8>> {
    const SQL: &str =
        "SELECT wrapped_key FROM stream_keys WHERE aggregate_type = $1 AND aggregate_id = $2";
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(aggregate_type).bind(id).fetch_optional(p).await.unwrap())
}

/// The SQLite database's file.
fn sqlite_file(app: &TestApp) -> PathBuf {
    let path = app
        .database_url
        .strip_prefix("sqlite://")
        .expect("an SQLite URL");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// Every file of the folder that holds the SQLite store (the database, its WAL and shared memory), by name.
fn sqlite_files(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let folder = sqlite_file(app)
        .parent()
        .expect("the store's folder")
        .to_path_buf();
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .collect();
    assert!(
        files.iter().any(|(name, _)| name.ends_with("etp.db")),
        "the database file is among {:?}",
        files.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    files
}

/// A plain-text `pg_dump` of the test's database.
fn pg_dump(database_url: &str) -> Vec<u8> {
    let output = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", "--dbname", database_url])
        .output()
        .expect("run pg_dump (the PostgreSQL client tools must be installed)");
    assert!(
        output.status.success(),
        "pg_dump exits 0: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The relation files of the PostgreSQL test database, after a checkpoint has written every page, where the
/// server's data directory can be read from here (the test server runs on this machine).
async fn pg_relation_files(db: &Db) -> Option<Vec<(String, Vec<u8>)>> {
    let Db::Postgres(pool) = db else {
        unreachable!("a PostgreSQL store")
    };
    sqlx::query("CHECKPOINT").execute(pool).await.unwrap();
    let data: String = sqlx::query_scalar("SHOW data_directory")
        .fetch_one(pool)
        .await
        .unwrap();
    let oid: i64 = sqlx::query_scalar(
        "SELECT oid::bigint FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let folder = Path::new(&data).join("base").join(oid.to_string());
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) => {
            eprintln!(
                "note: the relation files in {} cannot be read from here ({error}); only the dump is searched",
                folder.display()
            );
            return None;
        }
    };
    let mut files = Vec::new();
    for path in entries.map(|entry| entry.unwrap().path()) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        // Named by the relation whose file it is, so that a failure says which table kept what.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let filenode: String = name.chars().take_while(char::is_ascii_digit).collect();
        let relation: Option<String> = match filenode.parse::<i64>() {
            Ok(filenode) => {
                sqlx::query_scalar("SELECT pg_filenode_relation(0, $1::bigint::oid)::text")
                    .bind(filenode)
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
            Err(_) => None,
        };
        let relation = relation.unwrap_or_else(|| "no relation".to_string());
        files.push((format!("{} ({relation})", path.display()), bytes));
    }
    Some(files)
}

/// Asserts that none of the needles is in any of the files.
#[track_caller]
fn assert_absent(files: &[(String, Vec<u8>)], needles: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        for (what, needle) in needles {
            assert!(
                !contains(bytes, needle),
                "{what} of a destroyed stream is still in {name}"
            );
        }
    }
}

/// Asserts that each needle is in one of the files: the search can find what it looks for.
#[track_caller]
fn assert_present(files: &[(String, Vec<u8>)], needles: &[(String, Vec<u8>)]) {
    for (what, needle) in needles {
        assert!(
            files.iter().any(|(_, bytes)| contains(bytes, needle)),
            "{what} of a kept stream is found in the files, so the search is not blind"
        );
    }
}

async fn no_marker_nor_key_of_a_destroyed_stream_is_left_in_any_file_of_the_store(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let scorer = app.staff(Role::CommitteeMember).await;
    let conflicted = app.staff(Role::CommitteeMember).await;

    // A draft, with preferences and the reason for them.
    let (drafter, draft) = marked_applicant(&app, "GONE-A", GONE_DATE_OF_BIRTH).await;
    answered(
        app.put(
            &at(&draft, "/preferences"),
            &drafter,
            marked_preferences("RETMARK-GONE-A-PREFERENCE-REASON"),
        )
        .await,
        StatusCode::OK,
        "preferences of the draft",
    );
    // Withdrawn after submission, an amendment and an officer's change of preferences.
    let (withdrew, withdrawn_id) = marked_applicant(&app, "GONE-B", GONE_DATE_OF_BIRTH).await;
    answered(
        app.post(&at(&withdrawn_id, "/submit"), &withdrew, json!({}))
            .await,
        StatusCode::OK,
        "submit",
    );
    marked_amendment(&app, &helpdesk, &withdrawn_id, "GONE-B").await;
    answered(
        app.put(
            &at(&withdrawn_id, "/preferences"),
            &officer,
            marked_preferences("RETMARK-GONE-B-PREFERENCE-REASON"),
        )
        .await,
        StatusCode::OK,
        "preferences changed by an officer",
    );
    answered(
        app.post(&at(&withdrawn_id, "/withdraw"), &withdrew, json!({}))
            .await,
        StatusCode::OK,
        "withdraw",
    );
    // Found ineligible, for a marked reason.
    let (refused_owner, ineligible_id) = marked_applicant(&app, "GONE-C", GONE_DATE_OF_BIRTH).await;
    answered(
        app.post(&at(&ineligible_id, "/submit"), &refused_owner, json!({}))
            .await,
        StatusCode::OK,
        "submit",
    );
    answered(
        app.post(
            &at(&ineligible_id, "/eligibility"),
            &officer,
            json!({"eligible": false, "reason": "RETMARK-GONE-C-ELIGIBILITY-REASON"}),
        )
        .await,
        StatusCode::OK,
        "find ineligible",
    );
    // Unsuccessful, after an amendment, a conflict and a committee member's comment.
    let (unlucky, unsuccessful_id) = marked_applicant(&app, "GONE-D", GONE_DATE_OF_BIRTH).await;
    answered(
        app.post(&at(&unsuccessful_id, "/submit"), &unlucky, json!({}))
            .await,
        StatusCode::OK,
        "submit",
    );
    marked_amendment(&app, &helpdesk, &unsuccessful_id, "GONE-D").await;
    answered(
        app.post(
            &at(&unsuccessful_id, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "RETMARK-GONE-D-ELIGIBILITY-REASON"}),
        )
        .await,
        StatusCode::OK,
        "find eligible",
    );
    for member in [&scorer, &conflicted] {
        answered(
            app.post(
                &at(&unsuccessful_id, "/assignments"),
                &officer,
                json!({"committee_member_id": member.id}),
            )
            .await,
            StatusCode::OK,
            "assign",
        );
    }
    answered(
        app.post(
            &at(&unsuccessful_id, "/conflicts"),
            &conflicted,
            json!({"reason": "RETMARK-GONE-D-CONFLICT-REASON"}),
        )
        .await,
        StatusCode::OK,
        "declare a conflict",
    );
    let mut marks = scores(4);
    marks["comment"] = json!("RETMARK-GONE-D-SCORE-COMMENT");
    answered(
        app.post(&at(&unsuccessful_id, "/scores"), &scorer, marks)
            .await,
        StatusCode::OK,
        "score",
    );
    answered(
        app.post(
            &at(&unsuccessful_id, "/decision"),
            &officer,
            json!({"outcome": "unsuccessful"}),
        )
        .await,
        StatusCode::OK,
        "decide",
    );
    // An award, kept, whose immigration records are destroyed.
    let (scholar, award) = marked_applicant(&app, "KEPT", "1994-02-17").await;
    answered(
        app.post(&at(&award, "/submit"), &scholar, json!({})).await,
        StatusCode::OK,
        "submit",
    );
    answered(
        app.post(
            &at(&award, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "RETMARK-KEPT-ELIGIBILITY-REASON"}),
        )
        .await,
        StatusCode::OK,
        "find eligible",
    );
    answered(
        app.post(
            &at(&award, "/assignments"),
            &officer,
            json!({"committee_member_id": scorer.id}),
        )
        .await,
        StatusCode::OK,
        "assign",
    );
    let mut marks = scores(9);
    marks["comment"] = json!("RETMARK-KEPT-SCORE-COMMENT");
    answered(
        app.post(&at(&award, "/scores"), &scorer, marks).await,
        StatusCode::OK,
        "score",
    );
    for (path, body) in [
        ("/decision", json!({"outcome": "selected"})),
        ("/award", award_terms()),
    ] {
        answered(
            app.post(&at(&award, path), &officer, body).await,
            StatusCode::OK,
            path,
        );
    }
    let records = [
        immigration_record(
            &app,
            &officer,
            &award,
            "RETMARK-GONE-IMMIGRATION-REFERENCE-1",
        )
        .await,
        immigration_record(
            &app,
            &officer,
            &award,
            "RETMARK-GONE-IMMIGRATION-REFERENCE-2",
        )
        .await,
    ];

    let destroyed_streams: Vec<(&str, &String)> =
        [&draft, &withdrawn_id, &ineligible_id, &unsuccessful_id]
            .into_iter()
            .map(|id| ("Application", id))
            .chain(records.iter().map(|id| ("ImmigrationRecord", id)))
            .collect();
    let mut gone_keys = Vec::new();
    for (aggregate_type, id) in &destroyed_streams {
        let key = wrapped_key(app.db(), aggregate_type, id)
            .await
            .unwrap_or_else(|| panic!("{aggregate_type} {id} has a data key before the sweep"));
        gone_keys.push((format!("the wrapped key of {aggregate_type} {id}"), key));
    }
    let kept_key = wrapped_key(app.db(), "Application", &award)
        .await
        .expect("the award has a data key");

    let report = Sweeper::new().sweep(&app, due()).await;
    for (aggregate_type, id) in &destroyed_streams {
        assert!(
            ids(&report.destroyed, aggregate_type).contains(id),
            "{aggregate_type} {id} is destroyed: {report:?}"
        );
        assert_eq!(wrapped_key(app.db(), aggregate_type, id).await, None);
    }
    assert_eq!(
        sorted(ids(&report.destroyed, "Account")),
        sorted(vec![
            drafter.id.clone(),
            withdrew.id.clone(),
            refused_owner.id.clone(),
            unlucky.id.clone()
        ]),
        "the accounts left with no kept application are destroyed: {report:?}"
    );

    // The award, and its markers, are still there to read.
    let view = answered(
        app.get(&at(&award, ""), &officer).await,
        StatusCode::OK,
        "the kept award",
    );
    assert_eq!(view["personal"]["full_name"], "RETMARK-KEPT-FULL-NAME");
    assert_eq!(view["referees"][0]["name"], "RETMARK-KEPT-REFEREE-ONE");
    assert_eq!(
        view["essays"]["career_plan"],
        "RETMARK-KEPT-ESSAY-CAREER-PLAN is my career plan."
    );
    assert!(
        view.to_string().contains("RETMARK-KEPT-SCORE-COMMENT"),
        "the committee's comment on the award is kept: {view}"
    );

    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("a marker".to_string(), b"RETMARK-GONE".to_vec()),
        (
            "a marked email address".to_string(),
            b"retmark-gone".to_vec(),
        ),
        (
            "the date of birth".to_string(),
            GONE_DATE_OF_BIRTH.as_bytes().to_vec(),
        ),
    ];
    let kept: Vec<(String, Vec<u8>)> = vec![("a marker".to_string(), b"RETMARK-KEPT".to_vec())];
    match app.backend {
        Backend::Sqlite => {
            needles.extend(gone_keys);
            let files = sqlite_files(&app);
            assert_absent(&files, &needles);
            assert_present(&files, &kept);
            assert_present(&files, &[("the wrapped key".to_string(), kept_key)]);
        }
        Backend::Postgres => {
            let dump = vec![("pg_dump".to_string(), pg_dump(&app.database_url))];
            let hex_keys: Vec<(String, Vec<u8>)> = gone_keys
                .iter()
                .map(|(what, key)| (format!("{what} (hex)"), hex(key).into_bytes()))
                .collect();
            assert_absent(&dump, &needles);
            assert_absent(&dump, &hex_keys);
            assert_present(&dump, &kept);
            assert_present(
                &dump,
                &[(
                    "the wrapped key (hex)".to_string(),
                    hex(&kept_key).into_bytes(),
                )],
            );
            // The relation files themselves are searched by
            // `on_postgresql_no_row_of_a_destroyed_stream_is_left_in_the_relation_files_though_a_session_was_reading`.
        }
    }
}

/// On PostgreSQL the files of the tables are searched too, after a checkpoint, while another session of the
/// store (a second `etp serve`, a report, autovacuum) was in a transaction during the sweep, as it often is
/// in production: the rows the sweep deleted must not survive in the files once that session ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_no_row_of_a_destroyed_stream_is_left_in_the_relation_files_though_a_session_was_reading()
 {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (_, id) = withdrawn_marked_applicant(&app, "GONE-E").await;
    let award = app.awarded(&officer).await;
    let record = immigration_record(
        &app,
        &officer,
        &award,
        "RETMARK-GONE-E-IMMIGRATION-REFERENCE",
    )
    .await;
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("a marker".to_string(), b"RETMARK-GONE".to_vec()),
        (
            "a marked email address".to_string(),
            b"retmark-gone".to_vec(),
        ),
    ];
    for (aggregate_type, stream) in [("Application", &id), ("ImmigrationRecord", &record)] {
        let key = wrapped_key(app.db(), aggregate_type, stream)
            .await
            .expect("a data key before the sweep");
        needles.push((format!("the wrapped key of {aggregate_type} {stream}"), key));
    }
    let kept_key = wrapped_key(app.db(), "Application", &award)
        .await
        .expect("the award's data key");

    // Another session reads in a transaction: its snapshot is taken by the first statement, and it locks no
    // table, so the sweep is not held up.
    let mut reader = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut reader)
        .await
        .unwrap();
    sqlx::query("SELECT 1").execute(&mut reader).await.unwrap();
    let report = Sweeper::new().sweep(&app, due()).await;
    sqlx::query("COMMIT").execute(&mut reader).await.unwrap();
    assert!(
        ids(&report.destroyed, "Application").contains(&id),
        "{report:?}"
    );
    assert!(
        ids(&report.destroyed, "ImmigrationRecord").contains(&record),
        "{report:?}"
    );

    let files = pg_relation_files(app.db())
        .await
        .expect("the relation files of the test server, which runs on this machine");
    assert_present(&files, &[("the wrapped key".to_string(), kept_key)]);
    assert_absent(&files, &needles);
}

/// The partitions of the data keys on PostgreSQL, each with the file it is stored in now.
async fn key_partition_files(db: &Db) -> BTreeMap<String, i64> {
    let Db::Postgres(pool) = db else {
        panic!("the data keys are in partitions on PostgreSQL only");
    };
    sqlx::query_as::<_, (String, i64)>(
        "SELECT c.relname::text, c.relfilenode::bigint FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'stream_keys'::regclass",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// Every data key on PostgreSQL, with the partition that holds it.
async fn keys_by_partition(db: &Db) -> BTreeMap<(String, String), String> {
    let Db::Postgres(pool) = db else {
        panic!("the data keys are in partitions on PostgreSQL only");
    };
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT aggregate_type, aggregate_id, tableoid::regclass::text FROM stream_keys",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(kind, id, partition)| ((kind, id), partition))
    .collect()
}

/// The scrub's cost follows what was destroyed: after a sweep, only the partitions of the data keys that held
/// a destroyed stream's key are written anew (a new file each); every other partition keeps its file, so
/// nobody reading or writing a key there waited on the sweep. Nothing is left noted for the next scrub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_scrub_writes_anew_only_the_key_partitions_that_held_a_destroyed_key() {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (_, gone) = withdrawn_marked_applicant(&app, "GONE-F").await;
    let award = app.awarded(&officer).await;
    let files_before = key_partition_files(app.db()).await;
    let views_file_before = relation_file(app.db(), "application_views").await;
    assert_eq!(
        files_before.len(),
        256,
        "the data keys are in 256 partitions"
    );
    let keys_before = keys_by_partition(app.db()).await;
    assert!(
        keys_before.contains_key(&("Application".to_string(), gone.clone())),
        "the withdrawn application has a data key before the sweep"
    );

    let report = Sweeper::new().sweep(&app, due()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&gone),
        "{report:?}"
    );

    let keys_after = keys_by_partition(app.db()).await;
    assert!(
        keys_after.contains_key(&("Application".to_string(), award.clone())),
        "the award keeps its data key"
    );
    let held_an_erased_key: BTreeSet<&String> = keys_before
        .iter()
        .filter(|(stream, _)| !keys_after.contains_key(*stream))
        .map(|(_, partition)| partition)
        .collect();
    assert!(
        held_an_erased_key.contains(&keys_before[&("Application".to_string(), gone.clone())]),
        "the destroyed application's key was erased"
    );
    let files_after = key_partition_files(app.db()).await;
    let written_anew: BTreeSet<&String> = files_before
        .iter()
        .filter(|(partition, file)| files_after.get(*partition) != Some(*file))
        .map(|(partition, _)| partition)
        .collect();
    assert_eq!(
        written_anew, held_an_erased_key,
        "exactly the partitions that held an erased key are written anew"
    );
    let Db::Postgres(pool) = app.db() else {
        unreachable!()
    };
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scrub_pending")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(pending, 0, "nothing is left for the next scrub");
    // The applications' views are sealed under their keys: erasing a key destroys its view wherever the
    // bytes lie, so the scrub leaves their table's files as they were (the raw-file tests hold it to that).
    assert_eq!(
        relation_file(app.db(), "application_views").await,
        views_file_before,
        "the applications' views are not written anew"
    );
}

/// The file PostgreSQL keeps a table in (which a rewrite changes).
async fn relation_file(db: &Db, table: &str) -> i64 {
    let Db::Postgres(pool) = db else {
        panic!("PostgreSQL only")
    };
    sqlx::query_scalar("SELECT relfilenode::bigint FROM pg_class WHERE relname = $1")
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The record of reads of personal data is in partitions too (migration 0027): a destroyed application's
/// reads go with it, and the scrub writes anew only the partition that held them (the one its key's partition
/// falls in, 256 into 32). The reads of an application that is kept stay, and so does their partition's file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_scrub_writes_anew_only_the_partitions_of_reads_that_held_a_destroyed_applications_reads()
 {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (_, gone) = withdrawn_marked_applicant(&app, "GONE-R").await;
    let award = app.awarded(&officer).await;
    for id in [&gone, &award] {
        answered(
            app.get(&at(id, ""), &officer).await,
            StatusCode::OK,
            "a read",
        );
    }
    let reads = reads_by_partition(app.db()).await;
    let (Some(gone_partition), Some(award_partition)) = (reads.get(&gone), reads.get(&award))
    else {
        panic!("the officer's reads of both applications are recorded: {reads:?}")
    };
    let number = |partition: &str, prefix: &str| -> u32 {
        partition.strip_prefix(prefix).unwrap().parse().unwrap()
    };
    let key_partition =
        keys_by_partition(app.db()).await[&("Application".to_string(), gone.clone())].clone();
    assert_eq!(
        number(gone_partition, "personal_data_reads_"),
        number(&key_partition, "stream_keys_") % 32,
        "an application's reads are in the partition its key's partition falls in"
    );
    let files_before = partition_files(app.db(), "personal_data_reads").await;
    assert_eq!(files_before.len(), 32, "the reads are in 32 partitions");

    let report = Sweeper::new().sweep(&app, due()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&gone),
        "{report:?}"
    );

    let after = reads_by_partition(app.db()).await;
    assert!(
        !after.contains_key(&gone),
        "the destroyed application's reads went with it"
    );
    assert!(after.contains_key(&award), "the award's reads are kept");
    let files_after = partition_files(app.db(), "personal_data_reads").await;
    let written_anew: BTreeSet<&String> = files_before
        .iter()
        .filter(|(partition, file)| files_after.get(*partition) != Some(*file))
        .map(|(partition, _)| partition)
        .collect();
    assert_eq!(
        written_anew,
        BTreeSet::from([gone_partition]),
        "only the partition that held the destroyed application's reads is written anew"
    );
    if gone_partition != award_partition {
        assert_eq!(files_before[award_partition], files_after[award_partition]);
    }
}

/// The committee's assignments and scores are in partitions too (migration 0028): an unsuccessful application's
/// rows go with it at the sweep, and the scrub writes anew only the partition of each table that held them,
/// the one its key's partition falls in. An award's rows stay, and so does their partition's file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_scrub_writes_anew_only_the_partitions_of_assignments_and_scores_that_held_a_destroyed_applications()
 {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let gone = app.decided(&officer, "unsuccessful").await;
    let award = app.awarded(&officer).await;
    forget_scrub_notes(app.db()).await;
    let key_partition =
        keys_by_partition(app.db()).await[&("Application".to_string(), gone.clone())].clone();
    let key_number: u32 = key_partition
        .strip_prefix("stream_keys_")
        .unwrap()
        .parse()
        .unwrap();
    let mut before = BTreeMap::new();
    for table in ["case_assignments", "committee_scores"] {
        let rows = partitions_of_rows(app.db(), table).await;
        let (Some(gone_partition), Some(award_partition)) = (rows.get(&gone), rows.get(&award))
        else {
            panic!("both applications have rows in {table}: {rows:?}")
        };
        assert_eq!(
            gone_partition,
            &format!("{table}_{:03}", key_number % 32),
            "an application's rows in {table} are in the partition its key's partition falls in"
        );
        let files = partition_files(app.db(), table).await;
        assert_eq!(files.len(), 32, "{table} is in 32 partitions");
        before.insert(
            table,
            (gone_partition.clone(), award_partition.clone(), files),
        );
    }

    let report = Sweeper::new().sweep(&app, due()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&gone),
        "{report:?}"
    );

    for (table, (gone_partition, award_partition, files_before)) in before {
        let rows = partitions_of_rows(app.db(), table).await;
        assert!(
            !rows.contains_key(&gone),
            "the destroyed application's rows in {table} went with it"
        );
        assert!(
            rows.contains_key(&award),
            "the award's rows in {table} stay"
        );
        let files_after = partition_files(app.db(), table).await;
        let written_anew: BTreeSet<&String> = files_before
            .iter()
            .filter(|(partition, file)| files_after.get(*partition) != Some(*file))
            .map(|(partition, _)| partition)
            .collect();
        assert_eq!(
            written_anew,
            BTreeSet::from([&gone_partition]),
            "only the partition of {table} that held the destroyed application's rows is written anew"
        );
        if gone_partition != award_partition {
            assert_eq!(
                files_before[&award_partition],
                files_after[&award_partition]
            );
        }
    }
}

/// A rebuild empties the assignments and the scores before it replays the log: it notes each of their
/// partitions for the scrub once, rather than once for every row it deletes (millions, at a million
/// applications).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_rebuild_notes_each_partition_of_the_assignments_and_scores_once() {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    for _ in 0..3 {
        app.decided(&officer, "unsuccessful").await;
    }
    let Db::Postgres(pool) = app.db() else {
        unreachable!()
    };
    forget_scrub_notes(app.db()).await;
    app.state.repo.rebuild_projections().await.unwrap();
    for table in ["case_assignments", "committee_scores"] {
        let notes: Vec<(String, i64)> = sqlx::query_as(
            "SELECT relation, COUNT(*) FROM scrub_pending WHERE relation LIKE $1 \
             GROUP BY relation ORDER BY relation",
        )
        .bind(format!("{table}\\_%"))
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(
            notes.len(),
            32,
            "every partition of {table} is noted: {notes:?}"
        );
        assert!(
            notes.iter().all(|(_, count)| *count == 1),
            "each partition of {table} is noted once: {notes:?}"
        );
        assert_eq!(
            partitions_of_rows(app.db(), table).await.len(),
            3,
            "the rebuild wrote {table}'s rows again"
        );
    }
}

/// Every other view kept for each application, account or request is in partitions too (migrations 0029 and
/// 0030): the referees' and supervisors' addresses, the lists of award holders, the immigration records, the
/// accounts with their addresses, and the information requests. Whatever deleted their rows (a destruction by
/// the sweep, an award holder's opt-out the day before), the scrub writes anew exactly the partitions that held
/// a deleted row, and no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_scrub_writes_anew_only_the_partitions_that_held_a_deleted_row_of_any_view()
 {
    const TABLES: [(&str, &str); 11] = [
        ("case_list", "id"),
        ("referee_index", "application_id"),
        ("supervisor_index", "application_id"),
        ("scholar_directory", "application_id"),
        ("alumni_networking", "application_id"),
        ("alumni_open_book", "application_id"),
        ("media_consents", "application_id"),
        ("immigration_records", "record_id"),
        ("accounts", "id"),
        ("account_emails", "account_id"),
        ("information_requests", "id"),
    ];
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (owner, gone) = withdrawn_marked_applicant(&app, "GONE-V").await;
    let award = app.awarded(&officer).await;
    let record = immigration_record(&app, &officer, &award, "TEST-VISA-0029").await;
    let information = app.staff(Role::InformationOfficer).await;
    let request = answered(
        app.post(
            "/api/information-requests",
            &information,
            json!({"kind": "foi", "received_on": today().to_string(),
                   "requester": {"name": "Test FOI Requester", "email": "foi-requester@example.test"},
                   "description": "Test: how many awards?"}),
        )
        .await,
        StatusCode::CREATED,
        "log a request",
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    answered(
        app.post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({}),
        )
        .await,
        StatusCode::CREATED,
        "answer it",
    );
    forget_scrub_notes(app.db()).await;
    let mut before = Vec::new();
    for (table, owner_column) in TABLES {
        let files = partition_files(app.db(), table).await;
        assert_eq!(files.len(), 32, "{table} is in 32 partitions");
        before.push((
            table,
            owner_column,
            rows_in_partitions(app.db(), table, owner_column).await,
            files,
        ));
    }
    // The award holder opts out of the scholars' directory: its row is deleted outside any sweep.
    answered(
        app.put(
            &at(&award, "/preferences"),
            &officer,
            marked_preferences("TEST-OPT-OUT-REASON"),
        )
        .await,
        StatusCode::OK,
        "the holder's opt-out",
    );

    let report = Sweeper::new().sweep(&app, due()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&gone),
        "{report:?}"
    );
    assert!(
        ids(&report.destroyed, "ImmigrationRecord").contains(&record),
        "{report:?}"
    );

    let mut deleted_somewhere = BTreeSet::new();
    for (table, owner_column, rows_before, files_before) in before {
        let rows_after = rows_in_partitions(app.db(), table, owner_column).await;
        let held_a_deleted_row: BTreeSet<&String> = rows_before
            .difference(&rows_after)
            .map(|(_, partition)| partition)
            .collect();
        if !held_a_deleted_row.is_empty() {
            deleted_somewhere.insert(table);
        }
        let files_after = partition_files(app.db(), table).await;
        let written_anew: BTreeSet<&String> = files_before
            .iter()
            .filter(|(partition, file)| files_after.get(*partition) != Some(*file))
            .map(|(partition, _)| partition)
            .collect();
        assert_eq!(
            written_anew, held_a_deleted_row,
            "exactly the partitions of {table} that held a deleted row are written anew"
        );
    }
    assert!(
        ids(&report.destroyed, "Account").contains(&owner.id),
        "{report:?}"
    );
    assert!(
        ids(&report.destroyed, "InformationRequest").contains(&request),
        "{report:?}"
    );
    for table in [
        "case_list",
        "referee_index",
        "scholar_directory",
        "immigration_records",
        "accounts",
        "account_emails",
        "information_requests",
    ] {
        assert!(
            deleted_somewhere.contains(table),
            "a row of {table} was deleted: {deleted_somewhere:?}"
        );
    }
}

/// The rows of a partitioned table, each as its owner's id (an application's or a record's) and its partition.
async fn rows_in_partitions(
    db: &Db,
    table: &str,
    owner_column: &str,
) -> BTreeSet<(String, String)> {
    let Db::Postgres(pool) = db else {
        panic!("PostgreSQL only")
    };
    sqlx::query_as::<_, (String, String)>(&format!(
        "SELECT {owner_column}, tableoid::regclass::text FROM {table}"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// A transaction that deletes many rows of one partition notes that partition for the scrub once, not once a
/// row (migration 0031): a sweep's batch deletes thousands of rows, and the scrub reads the notes once for
/// each partition it writes anew. A transaction rolled back leaves no note, and the next one notes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_transaction_notes_each_partition_it_deleted_from_once() {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    for _ in 0..4 {
        app.decided(&officer, "unsuccessful").await;
    }
    let Db::Postgres(pool) = app.db() else {
        unreachable!()
    };
    let notes = async || -> Vec<(String, i64)> {
        sqlx::query_as(
            "SELECT relation, COUNT(*) FROM scrub_pending GROUP BY relation ORDER BY relation",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    };
    forget_scrub_notes(app.db()).await;
    let mut rolled_back = pool.begin().await.unwrap();
    sqlx::query("DELETE FROM referee_index")
        .execute(&mut *rolled_back)
        .await
        .unwrap();
    rolled_back.rollback().await.unwrap();
    assert_eq!(notes().await, [], "a rolled-back deletion leaves no note");

    // An application's two referees are in one partition: deleting them is two rows there.
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT tableoid::regclass::text FROM referee_index")
            .fetch_all(pool)
            .await
            .unwrap();
    let partitions: BTreeSet<String> = rows.iter().cloned().collect();
    assert!(
        rows.len() > partitions.len(),
        "some partition holds more than one row: {rows:?}"
    );
    let mut tx = pool.begin().await.unwrap();
    for statement in [
        // Row by row, and then whatever is left at once: every deletion in one transaction.
        "DELETE FROM referee_index WHERE application_id = (SELECT MIN(application_id) FROM referee_index)",
        "DELETE FROM referee_index WHERE application_id = (SELECT MAX(application_id) FROM referee_index)",
        "DELETE FROM referee_index",
    ] {
        sqlx::query(statement).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let noted = notes().await;
    assert_eq!(
        noted
            .iter()
            .map(|(relation, _)| relation.clone())
            .collect::<BTreeSet<_>>(),
        partitions,
        "each partition that held a deleted row is noted"
    );
    assert!(
        noted.iter().all(|(_, count)| *count == 1),
        "each once: {noted:?}"
    );
}

/// Empties `scrub_pending`, so that a test sees only the notes of what it does next.
async fn forget_scrub_notes(db: &Db) {
    let Db::Postgres(pool) = db else {
        panic!("PostgreSQL only")
    };
    sqlx::query("DELETE FROM scrub_pending")
        .execute(pool)
        .await
        .unwrap();
}

/// The partition holding each application's rows in a partitioned table.
async fn partitions_of_rows(db: &Db, table: &str) -> BTreeMap<String, String> {
    rows_in_partitions(db, table, "application_id")
        .await
        .into_iter()
        .collect()
}

/// Each partition of a partitioned table, with the file PostgreSQL keeps it in.
async fn partition_files(db: &Db, parent: &str) -> BTreeMap<String, i64> {
    let Db::Postgres(pool) = db else {
        panic!("PostgreSQL only")
    };
    sqlx::query_as::<_, (String, i64)>(
        "SELECT c.relname::text, c.relfilenode::bigint FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass",
    )
    .bind(parent)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// The partition holding each application's recorded reads.
async fn reads_by_partition(db: &Db) -> BTreeMap<String, String> {
    partitions_of_rows(db, "personal_data_reads").await
}

/// The sweep forms its batches in the order of the partitions that hold the streams' keys, so that each
/// batch's statements on the keys reach few partitions: the partition it works out for a stream is the one
/// PostgreSQL put the stream's key in, for every key in the store, and a stream with no key yet is given a
/// partition too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_partition_worked_out_for_a_stream_is_the_one_that_holds_its_key() {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    app.awarded(&officer).await;
    marked_applicant(&app, "PART-A", GONE_DATE_OF_BIRTH).await;
    marked_applicant(&app, "PART-B", GONE_DATE_OF_BIRTH).await;
    let keys = keys_by_partition(app.db()).await;
    assert!(keys.len() >= 3, "the store holds several keys: {keys:?}");
    let ids: Vec<&str> = keys.keys().map(|(_, id)| id.as_str()).collect();
    let worked_out = services::store::partitions::key_partitions(app.db(), &ids)
        .await
        .unwrap()
        .expect("on PostgreSQL the keys are in partitions");
    assert_eq!(worked_out.len(), ids.len());
    for ((stream, partition), number) in keys.iter().zip(&worked_out) {
        assert_eq!(
            partition,
            &format!("stream_keys_{number:03}"),
            "the key of {stream:?}"
        );
    }
    let ordered = services::store::partitions::order_by_key_partition(
        app.db(),
        ids.iter().rev().map(|id| id.to_string()).collect(),
        |id| id.as_str(),
    )
    .await
    .unwrap();
    let in_order: Vec<&String> = ordered
        .iter()
        .map(|id| keys.iter().find(|((_, of), _)| of == id).unwrap().1)
        .collect();
    assert!(
        in_order.windows(2).all(|pair| pair[0] <= pair[1]),
        "the streams come in the order of their partitions: {in_order:?}"
    );
    let unknown = services::store::partitions::key_partitions(app.db(), &["no-such-stream"])
        .await
        .unwrap()
        .unwrap();
    assert!((0..256).contains(&unknown[0]));
}

// ---------------------------------------------------------------------------------------------------------
// Backups

/// A backup of the store: a copy of the SQLite file once its WAL is in it, or a plain `pg_dump`.
async fn back_up(app: &TestApp, into: &Path) -> PathBuf {
    match app.db() {
        Db::Sqlite(pool) => {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(
                busy, 0,
                "the WAL is copied into the database before the backup"
            );
            let copy = into.join("etp.db");
            std::fs::copy(sqlite_file(app), &copy).unwrap();
            copy
        }
        Db::Postgres(_) => {
            let dump = into.join("etp.sql");
            std::fs::write(&dump, pg_dump(&app.database_url)).unwrap();
            dump
        }
    }
}

/// The service started on a new store restored from the backup, with the same secrets.
async fn restore(app: &TestApp, backup: &Path) -> TestApp {
    let store = match app.backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            std::fs::copy(backup, dir.path().join("etp.db")).unwrap();
            RestoredStore::Sqlite(dir)
        }
        Backend::Postgres => {
            let (database, url) = new_postgres_database().await;
            let output = Command::new("psql")
                .args([
                    "--quiet",
                    "--no-psqlrc",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--dbname",
                    &url,
                    "--file",
                ])
                .arg(backup)
                .output()
                .expect("run psql (the PostgreSQL client tools must be installed)");
            assert!(
                output.status.success(),
                "psql restores the dump: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            RestoredStore::Postgres { database }
        }
    };
    app.on_restored_store(store).await
}

async fn a_backup_restored_from_before_a_sweep_is_destroyed_again_from_the_ledger(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let withdrew = app.applicant().await;
    let unlucky = app.applicant().await;
    let scholar = app.applicant().await;
    let withdrawn_id = withdrawn(&app, &withdrew).await;
    let unsuccessful_id = app.decided_for(&unlucky, &officer, "unsuccessful").await;
    let award = app.awarded_for(&scholar, &officer).await;
    let record = immigration_record(&app, &officer, &award, "TEST-VISA-0004").await;
    let backups = tempfile::tempdir().unwrap();
    let backup = back_up(&app, backups.path()).await;

    let sweeper = Sweeper::new();
    let report = sweeper.sweep(&app, due()).await;
    let streams = [
        ("Application", withdrawn_id.clone()),
        ("Application", unsuccessful_id.clone()),
        ("ImmigrationRecord", record.clone()),
        ("Account", withdrew.id.clone()),
        ("Account", unlucky.id.clone()),
    ];
    for (aggregate_type, id) in &streams {
        assert!(
            ids(&report.destroyed, aggregate_type).contains(id),
            "{aggregate_type} {id} is destroyed: {report:?}"
        );
    }

    let restored = restore(&app, &backup).await;
    // The backup brought the data back…
    still_there(&restored, &withdrawn_id, &officer, "Test Applicant Marker").await;
    assert_eq!(
        immigration_references(&restored, &officer, &award).await,
        ["TEST-VISA-0004"]
    );
    let mut restored_keys = Vec::new();
    for (aggregate_type, id) in streams.iter().filter(|(t, _)| *t != "Account") {
        let key = wrapped_key(restored.db(), aggregate_type, id)
            .await
            .unwrap_or_else(|| panic!("the backup holds the key of {aggregate_type} {id}"));
        restored_keys.push((format!("the wrapped key of {aggregate_type} {id}"), key));
    }

    // …and the next sweep destroys it again from the ledger, though the schedule says nothing is due today.
    let report = sweeper.sweep(&restored, today()).await;
    assert!(
        report.destroyed.is_empty(),
        "nothing is due today: {report:?}"
    );
    let reapplied: Vec<(String, String)> = report
        .reapplied
        .iter()
        .map(|line| (line.aggregate_type.clone(), line.aggregate_id.clone()))
        .collect();
    let mut expected: Vec<(String, String)> = streams
        .iter()
        .map(|(t, id)| (t.to_string(), id.clone()))
        .collect();
    expected.sort();
    let mut reapplied_sorted = reapplied.clone();
    reapplied_sorted.sort();
    assert_eq!(reapplied_sorted, expected, "{report:?}");
    assert!(
        report
            .reapplied
            .iter()
            .all(|line| line.destroyed_on == due())
    );
    assert!(
        report.summary().contains("re-destroyed from the ledger 5"),
        "{}",
        report.summary()
    );

    for id in [&withdrawn_id, &unsuccessful_id] {
        gone(
            restored.get(&at(id, ""), &officer).await,
            "GET on the restored store after the sweep",
        );
    }
    assert!(
        immigration_references(&restored, &officer, &award)
            .await
            .is_empty()
    );
    still_there(&restored, &award, &scholar, "Test Applicant Marker").await;
    for person in [&withdrew, &unlucky] {
        refused(
            restored.login(&person.email, PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "signing in to an account destroyed again",
        );
    }
    restored.sign_in(&scholar.email).await;
    for (aggregate_type, id) in streams.iter().filter(|(t, _)| *t != "Account") {
        assert_eq!(wrapped_key(restored.db(), aggregate_type, id).await, None);
    }
    if restored.backend == Backend::Sqlite {
        assert_absent(&sqlite_files(&restored), &restored_keys);
    }

    let again = sweeper.sweep(&restored, today()).await;
    assert!(
        again.reapplied.is_empty() && again.destroyed.is_empty(),
        "the ledger is applied once: {again:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// The command

/// `etp retention sweep ARGS` on the test's store, with its secrets and a ledger in `dir`.
fn etp_sweep(app: &TestApp, dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_etp"))
        .args(["retention", "sweep"])
        .args(args)
        .current_dir(dir)
        .env("ETP_DATABASE_URL", &app.database_url)
        .env("ETP_MASTER_KEY", &app.master_key)
        .env("ETP_JWT_SECRET", &app.jwt_secret)
        .env("ETP_RETENTION_LEDGER", dir.join("destroyed-streams.ledger"))
        .env_remove("ETP_BIND")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run etp retention sweep");
    assert!(
        output.status.success(),
        "etp retention sweep {args:?} exits 0\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

async fn the_sweep_command_prints_each_record_and_a_summary_and_a_second_run_destroys_nothing(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let withdrew = app.applicant().await;
    let drafter = app.applicant().await;
    let withdrawn_id = withdrawn(&app, &withdrew).await;
    let draft = app.complete_draft(&drafter).await;
    let award = app.awarded(&officer).await;
    let dir = tempfile::tempdir().unwrap();
    let due = due();

    // The sweep first concludes the cycle nobody concluded, once 31 December of its second year has come.
    let output = etp_sweep(&app, dir.path(), &["--as-of", &day_before(due).to_string()]);
    assert_eq!(
        stdout_lines(&output),
        [
            "cycle 2026-27 concluded automatically on 2027-12-31: made 0 applications unsuccessful"
                .to_string(),
            format!("destroyed 0, held 0, re-destroyed from the ledger 0, next due {due}")
        ]
    );

    let output = etp_sweep(
        &app,
        dir.path(),
        &["--as-of", &due.to_string(), "--dry-run"],
    );
    let lines = stdout_lines(&output);
    assert!(
        lines.contains(&format!(
            "would destroy Application {withdrawn_id} (unsuccessful_application, due {due})"
        )),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!(
            "would destroy Application {draft} (unsubmitted_draft, due {due})"
        )),
        "{lines:?}"
    );
    let summary = lines.last().expect("a summary line");
    assert!(
        summary.starts_with("dry run: would have destroyed ")
            && summary.ends_with(", held 0, re-destroyed from the ledger 0, next due none"),
        "{lines:?}"
    );
    still_there(&app, &withdrawn_id, &withdrew, "Test Applicant Marker").await;

    let output = etp_sweep(&app, dir.path(), &["--as-of", &due.to_string()]);
    let mut lines = stdout_lines(&output);
    let summary = lines.pop().expect("a summary line");
    assert_eq!(
        summary,
        "destroyed 4, held 0, re-destroyed from the ledger 0, next due none"
    );
    let mut expected = vec![
        format!("destroyed Application {withdrawn_id} (unsuccessful_application, due {due})"),
        format!("destroyed Application {draft} (unsubmitted_draft, due {due})"),
        format!(
            "destroyed Account {} (applicant_account, due {due})",
            withdrew.id
        ),
        format!(
            "destroyed Account {} (applicant_account, due {due})",
            drafter.id
        ),
    ];
    expected.sort();
    lines.sort();
    assert_eq!(lines, expected, "one line per destroyed record");
    for id in [&withdrawn_id, &draft] {
        gone(
            app.get(&at(id, ""), &officer).await,
            "GET after etp retention sweep",
        );
    }
    still_there(&app, &award, &officer, "Test Applicant Marker").await;
    let ledger = std::fs::read_to_string(dir.path().join("destroyed-streams.ledger")).unwrap();
    assert_eq!(ledger.lines().count(), 4, "{ledger}");

    let output = etp_sweep(&app, dir.path(), &["--as-of", &due.to_string()]);
    assert_eq!(
        stdout_lines(&output),
        ["destroyed 0, held 0, re-destroyed from the ledger 0, next due none"],
        "a second run destroys nothing more"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("destroyed-streams.ledger")).unwrap(),
        ledger
    );
}

async fn an_open_request_about_a_person_holds_their_records_until_it_is_answered(app: TestApp) {
    let owner = app.applicant().await;
    let information = app.staff(Role::InformationOfficer).await;
    let id = withdrawn(&app, &owner).await;
    let (status, request) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "sar", "received_on": today().to_string(),
                "requester": {"name": "Test Requester", "email": owner.email},
                "subject_email": owner.email, "description": "Test: everything held about me",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let sweeper = Sweeper::new();
    let report = sweeper.sweep(&app, due()).await;
    let held = line_of(&report.held, "Application", &id)
        .unwrap_or_else(|| panic!("the application is held while the request is open: {report:?}"));
    assert!(
        held.held_because
            .as_deref()
            .is_some_and(|why| why.contains("open sar request")),
        "{held:?}"
    );
    assert!(
        ids(&report.destroyed, "Application").is_empty(),
        "{report:?}"
    );
    assert!(
        ids(&report.destroyed, "Account").is_empty(),
        "the subject's account is held too: {report:?}"
    );

    let request_id = request["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/information-requests/{request_id}/response"),
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let report = sweeper.sweep(&app, due()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&id),
        "answered, the request holds nothing: {report:?}"
    );
}

/// A subject access response keeps a copy of each record of the subject as it stood; each copy is sealed
/// under the key of the record it was copied from. The subject's application is destroyed by the sweep while
/// the request is kept: the stored response then shows the application as destroyed, and neither the
/// response (JSON and letter) nor any file of the store holds a value of it.
async fn a_stored_subject_access_response_keeps_nothing_of_a_record_destroyed_since(app: TestApp) {
    const DATE_OF_BIRTH: &str = "1983-04-21";
    let information = app.staff(Role::InformationOfficer).await;
    let email = "sar-subject@example.test";
    let (status, body) = app.register(email, "Test Subject Holder").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let owner = app.sign_in(email).await;
    let id = app.draft(&owner).await;
    answered(
        app.patch(&at(&id, ""), &owner, marked_form("SARCOPY", DATE_OF_BIRTH))
            .await,
        StatusCode::OK,
        "save the marked form",
    );
    let id = {
        answered(
            app.post(&at(&id, "/submit"), &owner, json!({})).await,
            StatusCode::OK,
            "submit",
        );
        answered(
            app.post(&at(&id, "/withdraw"), &owner, json!({})).await,
            StatusCode::OK,
            "withdraw",
        );
        id
    };
    let request = answered(
        app.post(
            "/api/information-requests",
            &information,
            json!({"kind": "sar", "received_on": today().to_string(),
                   "requester": {"name": "Test Kept Requester", "email": "sar-requester@example.test"},
                   "subject_email": email, "description": "Test: everything you hold about me"}),
        )
        .await,
        StatusCode::CREATED,
        "log the request",
    );
    let request = request["id"].as_str().unwrap().to_string();
    let response_at = format!("/api/information-requests/{request}/response");
    answered(
        app.post(&response_at, &information, json!({})).await,
        StatusCode::CREATED,
        "produce the response",
    );
    let before = answered(
        app.get(&response_at, &information).await,
        StatusCode::OK,
        "the response",
    );
    assert_eq!(
        before["records"]["applications"][0]["personal"]["full_name"], "RETMARK-SARCOPY-FULL-NAME",
        "the response holds a copy of the application: {before}"
    );
    assert!(
        before["subject"]["names"]
            .as_array()
            .unwrap()
            .contains(&json!("RETMARK-SARCOPY-FULL-NAME"))
    );

    // The application falls due before the request (which closed today): it is destroyed, the request kept.
    on_pool!(app.db(), p => sqlx::query("UPDATE retention_schedule SET due_on = $1 WHERE aggregate_id = $2")
        .bind(today()).bind(&id).execute(p).await.unwrap().rows_affected());
    let report = Sweeper::new().sweep(&app, today()).await;
    assert!(
        ids(&report.destroyed, "Application").contains(&id),
        "{report:?}"
    );
    gone(app.get(&at(&id, ""), &information).await, "the application");

    let after = answered(
        app.get(&response_at, &information).await,
        StatusCode::OK,
        "the response once the application is destroyed",
    );
    let shown = &after["records"]["applications"][0];
    assert_eq!(shown["destroyed"], true, "{after}");
    assert_eq!(shown["record"], format!("application {id}"), "{after}");
    assert!(!after.to_string().contains("RETMARK-SARCOPY"), "{after}");
    assert!(!after.to_string().contains(DATE_OF_BIRTH), "{after}");
    // What is the request's own, and the account kept, are still there.
    assert_eq!(after["subject"]["email"], email);
    assert_eq!(
        after["subject"]["names"],
        json!(["Test Subject Holder"]),
        "{after}"
    );
    assert_eq!(
        after["records"]["account"]["full_name"],
        "Test Subject Holder"
    );
    let letter = app
        .client
        .get(format!("{}{response_at}?format=html", app.address))
        .bearer_auth(&information.token)
        .send()
        .await
        .unwrap();
    assert_eq!(letter.status(), StatusCode::OK);
    let html = letter.text().await.unwrap();
    assert!(!html.contains("RETMARK-SARCOPY"), "{html}");
    assert!(!html.contains(DATE_OF_BIRTH), "{html}");
    assert!(
        html.contains("destroyed under the retention schedule after this response was issued"),
        "{html}"
    );

    let needles: Vec<(String, Vec<u8>)> = vec![
        (
            "a marker of the application".to_string(),
            b"RETMARK-SARCOPY".to_vec(),
        ),
        (
            "its date of birth".to_string(),
            DATE_OF_BIRTH.as_bytes().to_vec(),
        ),
    ];
    let kept: Vec<(String, Vec<u8>)> = vec![(
        "the request's requester".to_string(),
        b"Test Kept Requester".to_vec(),
    )];
    let files = match app.backend {
        Backend::Sqlite => sqlite_files(&app),
        Backend::Postgres => vec![("pg_dump".to_string(), pg_dump(&app.database_url))],
    };
    assert_absent(&files, &needles);
    assert_present(&files, &kept);
}

/// A request is kept while it is open, and destroyed two years after it closed (its response issued), not a
/// day before: its requester, words and response with it. Afterwards it answers 410 `destroyed` and leaves
/// the desk. A request still open is not destroyed however far ahead the sweep looks.
async fn a_request_is_destroyed_two_years_after_it_closed_and_not_a_day_before(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let log = |description: &str| {
        json!({"kind": "foi", "received_on": today().to_string(),
               "requester": {"name": "Test FOI Requester", "email": "foi-requester@example.test"},
               "description": description})
    };
    let closed = answered(
        app.post(
            "/api/information-requests",
            &information,
            log("Test: how many awards?"),
        )
        .await,
        StatusCode::CREATED,
        "log a request",
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let open = answered(
        app.post(
            "/api/information-requests",
            &information,
            log("Test: still open"),
        )
        .await,
        StatusCode::CREATED,
        "log another",
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    answered(
        app.post(
            &format!("/api/information-requests/{closed}/response"),
            &information,
            json!({}),
        )
        .await,
        StatusCode::CREATED,
        "answer it",
    );
    let schedule = overview(&app, &information).await;
    let entry = entry(&schedule, "upcoming", "InformationRequest", &closed)
        .unwrap_or_else(|| panic!("the answered request is on the schedule: {schedule}"));
    assert_eq!(entry["due_on"], due().to_string());
    assert_eq!(entry["rule"], "information_request");
    assert!(
        entry_anywhere(&schedule, "InformationRequest", &open).is_none(),
        "{schedule}"
    );

    let sweeper = Sweeper::new();
    let report = sweeper.sweep(&app, day_before(due())).await;
    assert!(
        ids(&report.destroyed, "InformationRequest").is_empty(),
        "{report:?}"
    );
    answered(
        app.get(&format!("/api/information-requests/{closed}"), &information)
            .await,
        StatusCode::OK,
        "the day before two years",
    );
    let report = sweeper.sweep(&app, due()).await;
    assert_eq!(
        ids(&report.destroyed, "InformationRequest"),
        std::slice::from_ref(&closed),
        "{report:?}"
    );
    for path in ["", "/response"] {
        gone(
            app.get(
                &format!("/api/information-requests/{closed}{path}"),
                &information,
            )
            .await,
            "the destroyed request",
        );
    }
    let desk = answered(
        app.get("/api/information-requests", &information).await,
        StatusCode::OK,
        "the desk",
    );
    assert!(!desk.to_string().contains(&closed), "{desk}");
    assert_listed_destroyed(
        &overview(&app, &information).await,
        "InformationRequest",
        &closed,
        "information_request",
        due(),
    );
    // The open request is kept, ten years on.
    let ten_years_on = today().checked_add_months(Months::new(120)).unwrap();
    sweeper.sweep(&app, ten_years_on).await;
    answered(
        app.get(&format!("/api/information-requests/{open}"), &information)
            .await,
        StatusCode::OK,
        "the open request",
    );
}

fn entry_anywhere<'a>(overview: &'a Value, aggregate_type: &str, id: &str) -> Option<&'a Value> {
    ["upcoming", "overdue"]
        .into_iter()
        .find_map(|section| entry(overview, section, aggregate_type, id))
}
