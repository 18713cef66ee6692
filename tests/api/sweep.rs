//! A sweep nothing can stop, and holds that end (docs/retention.md). Through the real binary on both stores:
//! a backup restored from before streams that were destroyed later (one of them made after the backup)
//! restores, and the next sweep destroys what is due; a record that cannot be destroyed is named with its
//! cause, the rest destroyed, and it is tried again by the next sweep; a ledger of another store is refused,
//! and lines written before stores had ids are still read. And the holds: every hold is listed with its
//! reason and age, an open request past its statutory date that holds records is flagged, and a request
//! that was decided holds nothing any more, even before its response is issued.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, spawn_app};
use crate::on_both_stores;
use domain::Role;
use projections::on_pool;
use services::retention::Ledger;

on_both_stores!(
    a_restore_from_before_streams_destroyed_later_succeeds_and_the_next_sweep_destroys_what_is_due,
    a_restore_destroys_again_what_the_backup_holds_at_an_earlier_status,
    a_backup_from_before_stores_had_ids_is_restored_as_the_store_its_ledger_names,
    a_record_that_cannot_be_destroyed_is_named_the_rest_destroyed_and_the_next_sweep_tries_it_again,
    what_a_sweep_failed_on_is_counted_in_the_metrics,
    a_ledger_of_another_store_is_refused_and_lines_from_before_store_ids_are_read,
    every_hold_is_listed_with_its_reason_and_age_and_a_request_past_its_statutory_date_is_flagged,
    a_request_decided_without_its_response_holds_nothing_more,
);

// ---------------------------------------------------------------------------------------------------------
// Days, the binary and the store

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The day a record made today falls due: 24 months on.
fn due() -> NaiveDate {
    today()
        .checked_add_months(Months::new(24))
        .expect("a day two years on")
}

/// `etp ARGS` on the test's store, with its secrets, run in `dir` with its ledger there.
fn etp_on(app: &TestApp, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_etp"));
    command
        .args(args)
        .current_dir(dir)
        .env("ETP_DATABASE_URL", &app.database_url)
        .env("ETP_MASTER_KEY", &app.master_key)
        .env("ETP_JWT_SECRET", &app.jwt_secret)
        .env("ETP_RETENTION_LEDGER", dir.join("destroyed-streams.ledger"))
        .env_remove("ETP_BIND")
        .env_remove("ETP_LOG_FORMAT")
        .env_remove("ETP_METRICS_TOKEN")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

fn run(mut command: Command) -> Output {
    command.output().expect("run etp")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} exits 0\nstdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Asserts a non-zero exit with a message, not a panic; answers standard error.
#[track_caller]
fn failed(output: &Output, what: &str) -> String {
    assert!(
        !output.status.success() && output.status.code().is_some(),
        "{what} exits non-zero\nstdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    let message = stderr(output);
    assert!(!message.contains("panicked"), "{what}: {message}");
    message
}

/// Runs a command that must stop on its own (a server that refuses to start): killed, and the test failed,
/// if it is still running after a while.
fn ends_by_itself(mut command: Command, what: &str) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start etp");
    let started = Instant::now();
    while child.try_wait().expect("the child's state").is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} kept running: it must refuse to start");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("etp ends")
}

/// The store's id, as the database keeps it.
async fn store_id(app: &TestApp) -> String {
    services::store::identity::id(app.db())
        .await
        .expect("the store has an id")
}

/// Moves a stream's day in the schedule.
async fn set_due_on(app: &TestApp, id: &str, due_on: NaiveDate) {
    const SQL: &str = "UPDATE retention_schedule SET due_on = $1 WHERE aggregate_id = $2";
    let moved = on_pool!(app.db(), p => sqlx::query(SQL).bind(due_on).bind(id).execute(p).await.unwrap().rows_affected());
    assert_eq!(moved, 1, "{id} is on the schedule");
}

/// Names another rule in a stream's row of the schedule (a rule that no longer fits it, say).
async fn set_rule(app: &TestApp, id: &str, rule: &str) {
    const SQL: &str = "UPDATE retention_schedule SET rule = $1 WHERE aggregate_id = $2";
    let changed = on_pool!(app.db(), p => sqlx::query(SQL).bind(rule).bind(id).execute(p).await.unwrap().rows_affected());
    assert_eq!(changed, 1, "{id} is on the schedule");
}

/// Replaces a stream's wrapped data key with bytes no master key unwraps.
async fn spoil_key(app: &TestApp, aggregate_type: &str, id: &str) {
    const SQL: &str =
        "UPDATE stream_keys SET wrapped_key = $1 WHERE aggregate_type = $2 AND aggregate_id = $3";
    let spoiled = vec![7u8; 60];
    let changed = on_pool!(app.db(), p => sqlx::query(SQL).bind(spoiled).bind(aggregate_type).bind(id)
        .execute(p).await.unwrap().rows_affected());
    assert_eq!(changed, 1, "{aggregate_type} {id} has a key");
}

fn at(id: &str) -> String {
    format!("/api/applications/{id}")
}

/// A submitted application of the owner's, withdrawn: due under the schedule 24 months on.
async fn withdrawn(app: &TestApp, owner: &User) -> String {
    let id = app.submitted(owner).await;
    let (status, body) = app
        .post(&format!("{}/withdraw", at(&id)), owner, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "withdraw: {body}");
    id
}

#[track_caller]
fn gone((status, body): (StatusCode, Value), what: &str) {
    assert_eq!(status, StatusCode::GONE, "{what}: {body}");
    assert_eq!(body["error"], "destroyed", "{what}: {body}");
}

/// GET /api/retention, as an information officer.
async fn overview(app: &TestApp, information: &User) -> Value {
    let (status, body) = app.get("/api/retention", information).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn listed<'a>(
    overview: &'a Value,
    section: &str,
    aggregate_type: &str,
    id: &str,
) -> Vec<&'a Value> {
    overview[section]
        .as_array()
        .unwrap_or_else(|| panic!("the overview has a list {section}: {overview}"))
        .iter()
        .filter(|item| item["aggregate_type"] == aggregate_type && item["aggregate_id"] == id)
        .collect()
}

/// Logs an information request about the person, received on the day: its id.
async fn request_about(
    app: &TestApp,
    information: &User,
    kind: &str,
    subject: &User,
    received_on: NaiveDate,
) -> String {
    let (status, body) = app
        .post(
            "/api/information-requests",
            information,
            json!({
                "kind": kind, "received_on": received_on.to_string(),
                "requester": {"name": "Test Requester", "email": subject.email},
                "subject_email": subject.email, "description": "Test: a request about me",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("the request's id").to_string()
}

#[track_caller]
fn names_nobody(text: &str, people: &[&User]) {
    assert!(!text.contains("Test Applicant Marker"), "{text}");
    for person in people {
        assert!(!text.contains(&person.email), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Restores

async fn a_restore_from_before_streams_destroyed_later_succeeds_and_the_next_sweep_destroys_what_is_due(
    app: TestApp,
) {
    let dir = tempfile::tempdir().unwrap();
    let later = due().checked_add_days(Days::new(30)).unwrap();
    let due = due().to_string();
    let kept_owner = app.applicant().await;
    let early_owner = app.applicant().await;
    let kept = withdrawn(&app, &kept_owner).await;
    let early = withdrawn(&app, &early_owner).await;
    let backup = dir.path().join("before.backup");
    let backup = backup.to_str().unwrap();
    succeeded(
        &run(etp_on(&app, dir.path(), &["backup", "--to", backup])),
        "etp backup",
    );

    // After the backup: a person registers and applies; both their stream and their account are destroyed
    // before the restore, so the backup never held them.
    let late_owner = app.applicant().await;
    let late = withdrawn(&app, &late_owner).await;
    // The one stream of the backup still due after the restore: the live store keeps it a month longer.
    set_due_on(&app, &kept, later).await;
    let swept = succeeded(
        &run(etp_on(
            &app,
            dir.path(),
            &["retention", "sweep", "--as-of", &due],
        )),
        "the sweep before the restore",
    );
    for (kind, id) in [
        ("Application", &early),
        ("Application", &late),
        ("Account", &early_owner.id),
        ("Account", &late_owner.id),
    ] {
        assert!(
            swept.contains(&format!("destroyed {kind} {id} ")),
            "{kind} {id} is destroyed: {swept}"
        );
    }
    assert!(!swept.contains(&kept), "{swept}");

    let restored = run(etp_on(
        &app,
        dir.path(),
        &["restore", "--from", backup, "--force"],
    ));
    let said = succeeded(
        &restored,
        "etp restore of a backup from before streams destroyed later",
    );
    assert!(
        said.contains("destroyed again from the ledger: 2 streams"),
        "the early application and its owner's account: {said}"
    );
    assert!(
        said.contains("in the ledger but not in the backup (made after it was taken, then destroyed): 2 streams"),
        "the late application and its owner's account: {said}"
    );
    names_nobody(
        &format!("{said}{}", stderr(&restored)),
        &[&kept_owner, &early_owner, &late_owner],
    );

    let next = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due],
    ));
    let lines = succeeded(&next, "the first sweep after the restore");
    assert!(
        lines.contains(&format!(
            "destroyed Application {kept} (unsuccessful_application, due {due})"
        )),
        "what the backup held and is due is destroyed: {lines}"
    );
    assert!(
        lines.contains(&format!("destroyed Account {} ", kept_owner.id)),
        "{lines}"
    );
    assert!(
        lines.lines().last().is_some_and(|summary| summary
            == "destroyed 2, held 0, re-destroyed from the ledger 0, next due none"),
        "the ledger's lines are not looked at again: {lines}"
    );
    let again = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due],
    ));
    assert_eq!(
        succeeded(&again, "a second sweep after the restore").trim(),
        "destroyed 0, held 0, re-destroyed from the ledger 0, next due none"
    );
    let dry = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due, "--dry-run"],
    ));
    succeeded(&dry, "a dry run after the restore");
}

/// A backup taken while an application was under review; the cycle is concluded and the application
/// destroyed two years on; the backup restored holds it under review, which no rule of the schedule would
/// destroy. The ledger is the record of what was destroyed: it is destroyed again all the same.
async fn a_restore_destroys_again_what_the_backup_holds_at_an_earlier_status(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    let backup = dir.path().join("under-review.backup");
    let backup = backup.to_str().unwrap();
    succeeded(
        &run(etp_on(&app, dir.path(), &["backup", "--to", backup])),
        "etp backup",
    );
    let (status, body) = app
        .post(
            "/api/cycles/2026-27/conclude",
            &officer,
            json!({"on": today().to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let swept = succeeded(
        &run(etp_on(
            &app,
            dir.path(),
            &["retention", "sweep", "--as-of", &due().to_string()],
        )),
        "the sweep two years after the conclusion",
    );
    assert!(
        swept.contains(&format!(
            "destroyed Application {id} (unsuccessful_application, due {})",
            due()
        )),
        "{swept}"
    );
    let restored = run(etp_on(
        &app,
        dir.path(),
        &["restore", "--from", backup, "--force"],
    ));
    let said = succeeded(&restored, "etp restore of a backup holding it under review");
    assert!(
        said.contains("destroyed again from the ledger: 2 streams"),
        "the application and its owner's account: {said}"
    );
    let next = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due().to_string()],
    ));
    let lines = succeeded(&next, "the first sweep after the restore");
    assert!(!lines.contains(&id), "nothing of it is left to do: {lines}");
}

async fn a_backup_from_before_stores_had_ids_is_restored_as_the_store_its_ledger_names(
    app: TestApp,
) {
    let dir = tempfile::tempdir().unwrap();
    let due = due().to_string();
    let owner = app.applicant().await;
    let id = withdrawn(&app, &owner).await;
    // The store as an older version left it: no id, and migration 0013 not applied.
    for sql in [
        "DROP TABLE store_identity",
        "DROP TABLE retention_failures",
        "DELETE FROM _sqlx_migrations WHERE version = 13",
    ] {
        on_pool!(app.db(), p => sqlx::query(sql).execute(p).await.unwrap().rows_affected());
    }
    let backup = dir.path().join("old.backup");
    let backup = backup.to_str().unwrap();
    succeeded(
        &run(etp_on(&app, dir.path(), &["backup", "--to", backup])),
        "etp backup",
    );
    // This version migrates the store, which gets its id; its sweep writes the ledger under that id.
    succeeded(&run(etp_on(&app, dir.path(), &["migrate"])), "etp migrate");
    let swept = succeeded(
        &run(etp_on(
            &app,
            dir.path(),
            &["retention", "sweep", "--as-of", &due],
        )),
        "the sweep after the upgrade",
    );
    assert!(
        swept.contains(&format!("destroyed Application {id} ")),
        "{swept}"
    );
    let upgraded = store_id(&app).await;

    let restored = run(etp_on(
        &app,
        dir.path(),
        &["restore", "--from", backup, "--force"],
    ));
    let said = succeeded(&restored, "etp restore of a backup from before store ids");
    assert!(
        said.contains("destroyed again from the ledger: 2 streams"),
        "the application and its owner's account: {said}"
    );
    let db = services::store::connect(&app.database_url).await.unwrap();
    assert_eq!(
        services::store::identity::id(&db).await.unwrap(),
        upgraded,
        "the restored store took the id its ledger names"
    );
    succeeded(
        &run(etp_on(
            &app,
            dir.path(),
            &["retention", "sweep", "--as-of", &due],
        )),
        "the sweep after the restore",
    );
}

// ---------------------------------------------------------------------------------------------------------
// Failures

async fn a_record_that_cannot_be_destroyed_is_named_the_rest_destroyed_and_the_next_sweep_tries_it_again(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let dir = tempfile::tempdir().unwrap();
    let due = due().to_string();
    let (fine_owner, misfit_owner, locked_owner) = (
        app.applicant().await,
        app.applicant().await,
        app.applicant().await,
    );
    let fine = withdrawn(&app, &fine_owner).await;
    let misfit = withdrawn(&app, &misfit_owner).await;
    let locked = withdrawn(&app, &locked_owner).await;
    // The schedule names a rule that no longer fits what the application is, and another application's
    // data key cannot be unwrapped.
    set_rule(&app, &misfit, "unsubmitted_draft").await;
    spoil_key(&app, "Application", &locked).await;
    let people = [&fine_owner, &misfit_owner, &locked_owner];
    // Foreseen by a dry run from the views; refused by the application itself in a real sweep.
    let misfit_foreseen =
        "its rule, unsubmitted_draft, no longer fits it: the application is withdrawn now";
    let misfit_cause = "the unsubmitted_draft rule does not apply to an application that is withdrawn (rule_does_not_apply)";
    let locked_cause = "its data key cannot be unwrapped with this ETP_MASTER_KEY";

    // A dry run says what a real one would fail on, and writes nothing.
    let dry = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due, "--dry-run"],
    ));
    let message = failed(&dry, "a dry run that foresees failures");
    let lines = stdout(&dry);
    assert!(
        lines.contains(&format!(
            "would destroy Application {fine} (unsuccessful_application, due {due})"
        )),
        "{lines}"
    );
    assert!(
        lines.contains(&format!(
            "would fail on Application {misfit} (unsubmitted_draft, from the schedule): {misfit_foreseen}"
        )),
        "{lines}"
    );
    assert!(
        lines.contains(&format!(
            "would fail on Application {locked} (unsuccessful_application, from the schedule): {locked_cause}"
        )),
        "{lines}"
    );
    assert!(
        message.contains(&misfit) && message.contains(&locked),
        "{message}"
    );
    assert!(
        overview(&app, &information).await["failures"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "a dry run records nothing"
    );

    // The sweep destroys the rest, and exits non-zero naming each failure with its cause.
    let swept = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due],
    ));
    let message = failed(&swept, "a sweep that failed on two records");
    let lines = stdout(&swept);
    assert!(
        lines.contains(&format!(
            "destroyed Application {fine} (unsuccessful_application, due {due})"
        )),
        "{lines}"
    );
    assert!(
        lines.contains(&format!("destroyed Account {} ", fine_owner.id)),
        "{lines}"
    );
    assert!(
        message.contains("the sweep could not destroy 2 records")
            && message.contains(&format!("Application {misfit} (schedule): {misfit_cause}"))
            && message.contains(&format!("Application {locked} (schedule): {locked_cause}"))
            && message.contains("the next sweep tries these again"),
        "{message}"
    );
    assert!(
        lines.trim_end().ends_with(", failed 2"),
        "the summary counts them: {lines}"
    );
    names_nobody(&format!("{lines}{message}"), &people);
    gone(
        app.get(&at(&fine), &information).await,
        "the record that could be destroyed",
    );

    let seen = overview(&app, &information).await;
    for (id, cause) in [(&misfit, misfit_cause), (&locked, locked_cause)] {
        let failure = listed(&seen, "failures", "Application", id);
        assert_eq!(failure.len(), 1, "{seen}");
        assert_eq!(failure[0]["cause"], cause, "{seen}");
        assert_eq!(failure[0]["source"], "schedule");
        assert_eq!(failure[0]["attempts"], 1);
        assert_eq!(
            listed(&seen, "upcoming", "Application", id).len(),
            1,
            "it stays on the schedule: {seen}"
        );
    }
    let mut browser = crate::pages::sign_in(&app, &information.email).await;
    let page = browser.get("/retention").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Not destroyed: the sweep failed"));
    for text in [
        misfit.as_str(),
        locked.as_str(),
        "rule does not apply",
        "cannot be unwrapped",
    ] {
        assert!(page.body.contains(text), "the page shows {text}");
    }
    names_nobody(&page.body, &people);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("etp_retention_failing_records 2"),
        "the store's figure counts them, whichever process swept: {metrics}"
    );

    // The next sweep tries them again.
    let again = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due],
    ));
    failed(&again, "the next sweep");
    assert!(stdout(&again).contains(&format!("failed on Application {misfit}")));
    let seen = overview(&app, &information).await;
    assert_eq!(
        listed(&seen, "failures", "Application", &misfit)[0]["attempts"],
        2
    );

    // Once the cause is put right, the next sweep destroys it and forgets the failure.
    set_rule(&app, &misfit, "unsuccessful_application").await;
    let then = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due],
    ));
    let message = failed(&then, "a sweep still failing on one record");
    assert!(
        stdout(&then).contains(&format!(
            "destroyed Application {misfit} (unsuccessful_application, due {due})"
        )),
        "{}",
        stdout(&then)
    );
    assert!(
        message.contains("the sweep could not destroy 1 record:") && !message.contains(&misfit),
        "{message}"
    );
    gone(
        app.get(&at(&misfit), &information).await,
        "the record put right",
    );
    let seen = overview(&app, &information).await;
    assert!(
        listed(&seen, "failures", "Application", &misfit).is_empty(),
        "{seen}"
    );
    assert_eq!(
        listed(&seen, "failures", "Application", &locked)[0]["attempts"],
        3
    );
}

async fn what_a_sweep_failed_on_is_counted_in_the_metrics(app: TestApp) {
    let owner = app.applicant().await;
    let misfit = withdrawn(&app, &owner).await;
    set_rule(&app, &misfit, "unsubmitted_draft").await;
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let report = services::retention::sweep(&app.state, &ledger, due(), false, &|_, _| {})
        .await
        .expect("a sweep that fails on one record still runs to the end");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].aggregate_id, misfit);
    assert_eq!(report.failed[0].source, "schedule");
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "etp_retention_failures_total{kind=\"unsubmitted_draft\",source=\"schedule\"} 1",
        "etp_retention_last_sweep_failures 1",
        "etp_retention_failing_records 1",
        "etp_retention_sweeps_total{outcome=\"completed\"} 1",
    ] {
        assert!(metrics.contains(expected), "{expected} in {metrics}");
    }
    assert!(!metrics.contains(&misfit), "no id is a label");
    names_nobody(&metrics, &[&owner]);
}

// ---------------------------------------------------------------------------------------------------------
// The ledger belongs to one store

async fn a_ledger_of_another_store_is_refused_and_lines_from_before_store_ids_are_read(
    app: TestApp,
) {
    let other = spawn_app(app.backend).await;
    let dir = tempfile::tempdir().unwrap();
    let due = due().to_string();
    let someone = other.applicant().await;
    withdrawn(&other, &someone).await;
    succeeded(
        &run(etp_on(
            &other,
            dir.path(),
            &["retention", "sweep", "--as-of", &due],
        )),
        "the other store's sweep",
    );
    let (ours, theirs) = (store_id(&app).await, store_id(&other).await);
    assert_ne!(ours, theirs, "every store has an id of its own");
    let ledger = std::fs::read_to_string(dir.path().join("destroyed-streams.ledger")).unwrap();
    assert!(
        ledger
            .lines()
            .all(|line| line.contains(&format!("\"store\":\"{theirs}\""))),
        "every line names its store: {ledger}"
    );

    let owner = app.applicant().await;
    let id = withdrawn(&app, &owner).await;
    let refused = run(etp_on(
        &app,
        dir.path(),
        &["retention", "sweep", "--as-of", &due],
    ));
    let message = failed(&refused, "a sweep with another store's ledger");
    for named in [ours.as_str(), theirs.as_str(), "ETP_RETENTION_LEDGER"] {
        assert!(
            message.contains(named),
            "the refusal names {named}: {message}"
        );
    }
    assert!(stdout(&refused).is_empty(), "nothing was swept");
    let mut serve = etp_on(&app, dir.path(), &["serve"]);
    serve.env("ETP_BIND", format!("127.0.0.1:{}", crate::cli::free_port()));
    let message = failed(
        &ends_by_itself(serve, "etp serve with another store's ledger"),
        "etp serve with another store's ledger",
    );
    assert!(
        message.contains(&ours) && message.contains(&theirs),
        "{message}"
    );
    let (status, _) = app.get(&at(&id), &owner).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "nothing of this store was destroyed"
    );

    // Lines written before stores had ids name no store, and are read as this store's own: a stream it holds
    // is destroyed again, one it never held is recorded as already gone.
    let old = tempfile::tempdir().unwrap();
    let never_held = uuid::Uuid::now_v7().to_string();
    std::fs::write(
        old.path().join("destroyed-streams.ledger"),
        format!(
            "{{\"aggregate_type\":\"Application\",\"aggregate_id\":\"{id}\",\"rule\":\"unsuccessful_application\",\"destroyed_on\":\"{due}\"}}\n\
             {{\"aggregate_type\":\"Application\",\"aggregate_id\":\"{never_held}\",\"rule\":\"unsuccessful_application\",\"destroyed_on\":\"{due}\"}}\n"
        ),
    )
    .unwrap();
    let swept = run(etp_on(&app, old.path(), &["retention", "sweep"]));
    let lines = succeeded(
        &swept,
        "a sweep with a ledger written before stores had ids",
    );
    assert!(
        lines.contains(&format!(
            "re-destroyed Application {id} (unsuccessful_application), from the ledger"
        )),
        "{lines}"
    );
    assert!(
        lines.contains(&format!(
            "recorded Application {never_held} (unsuccessful_application), from the ledger: not in this store"
        )),
        "{lines}"
    );
    assert!(
        lines.contains("in the ledger but never in this store 1"),
        "{lines}"
    );
    gone(
        app.get(&at(&id), &owner).await,
        "an application the old ledger names",
    );
    let again = run(etp_on(&app, old.path(), &["retention", "sweep"]));
    assert!(
        succeeded(&again, "the next sweep")
            .starts_with("destroyed 0, held 0, re-destroyed from the ledger 0,"),
        "{}",
        stdout(&again)
    );
}

/// On PostgreSQL there is no default ledger: the commands that destroy streams refuse to start without
/// `ETP_RETENTION_LEDGER`, and say how to set it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_serve_sweep_and_restore_refuse_to_start_without_a_ledger() {
    let app = spawn_app(crate::helpers::Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::write(&backup, "-- an empty backup\n").unwrap();
    for args in [
        vec!["retention", "sweep"],
        vec!["restore", "--from", backup.to_str().unwrap(), "--force"],
        vec!["serve"],
    ] {
        let mut command = etp_on(&app, dir.path(), &args);
        command
            .env_remove("ETP_RETENTION_LEDGER")
            .env("ETP_BIND", format!("127.0.0.1:{}", crate::cli::free_port()));
        let what = format!("etp {} on PostgreSQL without a ledger", args.join(" "));
        let message = failed(&ends_by_itself(command, &what), &what);
        assert!(
            message.contains("ETP_RETENTION_LEDGER must be set when the store is PostgreSQL"),
            "{what}: {message}"
        );
    }
    assert!(
        !dir.path().join("destroyed-streams.ledger").exists(),
        "no ledger is made in the working folder"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Holds

async fn every_hold_is_listed_with_its_reason_and_age_and_a_request_past_its_statutory_date_is_flagged(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let held_owner = app.applicant().await;
    let held = withdrawn(&app, &held_owner).await;
    let (status, body) = app
        .post(
            &format!("{}/hold", at(&held)),
            &information,
            json!({"reason": "Test: held while a complaint is open"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let forgotten_subject = app.applicant().await;
    let forgotten_application = withdrawn(&app, &forgotten_subject).await;
    let long_ago = today() - Days::new(60);
    let forgotten = request_about(&app, &information, "sar", &forgotten_subject, long_ago).await;
    let recent_subject = app.applicant().await;
    let recent_application = withdrawn(&app, &recent_subject).await;
    let recent = request_about(&app, &information, "erasure", &recent_subject, today()).await;

    let seen = overview(&app, &information).await;
    let legal = listed(&seen, "held", "Application", &held);
    assert_eq!(legal.len(), 1, "{seen}");
    assert_eq!(legal[0]["kind"], "legal_hold");
    assert_eq!(legal[0]["reason"], "Test: held while a complaint is open");
    assert_eq!(legal[0]["placed_by"], information.id.as_str());
    assert_eq!(legal[0]["since"], today().to_string());
    assert_eq!(legal[0]["age_days"], 0);

    for (aggregate_type, id) in [
        ("Application", forgotten_application.as_str()),
        ("Account", forgotten_subject.id.as_str()),
    ] {
        let hold = listed(&seen, "held", aggregate_type, id);
        assert_eq!(
            hold.len(),
            1,
            "{aggregate_type} {id} is held by the request: {seen}"
        );
        assert_eq!(hold[0]["kind"], "information_request");
        assert!(
            hold[0]["reason"]
                .as_str()
                .is_some_and(|reason| reason.contains(&format!("open sar request {forgotten}"))),
            "{seen}"
        );
        assert_eq!(hold[0]["since"], long_ago.to_string());
        assert_eq!(hold[0]["age_days"], 60);
        assert_eq!(hold[0]["request"]["id"], forgotten.as_str());
        assert_eq!(hold[0]["request"]["past_statutory_date"], true, "{seen}");
    }
    let hold = listed(&seen, "held", "Application", &recent_application);
    assert_eq!(hold.len(), 1, "{seen}");
    assert_eq!(hold[0]["request"]["id"], recent.as_str());
    assert_eq!(hold[0]["request"]["past_statutory_date"], false);
    assert_eq!(hold[0]["age_days"], 0);

    let past = seen["requests_past_statutory_date"]
        .as_array()
        .expect("a list of requests past their statutory date");
    assert_eq!(past.len(), 1, "only the forgotten request: {seen}");
    assert_eq!(past[0]["id"], forgotten.as_str());
    assert_eq!(past[0]["kind"], "sar");
    assert_eq!(past[0]["received_on"], long_ago.to_string());
    assert!(
        past[0]["days_past"].as_i64().is_some_and(|days| days > 0),
        "{seen}"
    );
    assert_eq!(
        past[0]["records"], 2,
        "the application and the account: {seen}"
    );
    names_nobody(
        &seen.to_string(),
        &[&held_owner, &forgotten_subject, &recent_subject],
    );

    let mut browser = crate::pages::sign_in(&app, &information.email).await;
    let page = browser.get("/retention").await;
    assert_eq!(page.status, StatusCode::OK);
    let warning = page
        .body
        .split("Requests past their statutory date still holding records")
        .nth(1)
        .expect("the page flags the forgotten request")
        .split("</table>")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(warning.contains(&forgotten), "{warning}");
    assert!(!warning.contains(&recent), "{warning}");
    for text in [
        "Legal hold",
        "Test: held while a complaint is open",
        "Past its statutory date",
        "Days held",
        held.as_str(),
        recent.as_str(),
        forgotten_application.as_str(),
    ] {
        assert!(page.body.contains(text), "the page shows {text}");
    }
    names_nobody(
        &page.body,
        &[&held_owner, &forgotten_subject, &recent_subject],
    );

    // Nothing held by a hold is destroyed; the rest is.
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let report = services::retention::sweep(&app.state, &ledger, due(), false, &|_, _| {})
        .await
        .unwrap();
    let held_ids: Vec<&str> = report
        .held
        .iter()
        .map(|line| line.aggregate_id.as_str())
        .collect();
    for id in [&held, &forgotten_application, &recent_application] {
        assert!(held_ids.contains(&id.as_str()), "{report:?}");
    }
    assert!(
        report
            .destroyed
            .iter()
            .all(|line| line.aggregate_type != "Application"),
        "{report:?}"
    );
}

async fn a_request_decided_without_its_response_holds_nothing_more(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let owner = app.applicant().await;
    let id = withdrawn(&app, &owner).await;
    let request = request_about(&app, &information, "erasure", &owner, today()).await;
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let report = services::retention::sweep(&app.state, &ledger, due(), true, &|_, _| {})
        .await
        .unwrap();
    assert!(
        report.held.iter().any(|line| line.aggregate_id == id),
        "open, the request holds the application: {report:?}"
    );

    // The officer's decision is recorded and the service stops before the response is issued.
    app.state
        .execute_request(
            &request,
            &domain::Actor::new(information.id.clone(), Role::InformationOfficer),
            domain::request::RequestCommand::DecideErasure {
                approve: false,
                reason: "Test: kept while a claim is settled".to_string(),
            },
        )
        .await
        .expect("the decision is recorded");
    let seen = overview(&app, &information).await;
    assert!(
        listed(&seen, "held", "Application", &id).is_empty(),
        "a decided request holds nothing: {seen}"
    );
    let report = services::retention::sweep(&app.state, &ledger, due(), false, &|_, _| {})
        .await
        .unwrap();
    assert!(
        report
            .destroyed
            .iter()
            .any(|line| line.aggregate_type == "Application" && line.aggregate_id == id),
        "the application is destroyed when due: {report:?}"
    );
    gone(app.get(&at(&id), &information).await, "after the sweep");
}
