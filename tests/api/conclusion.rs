//! A cycle concluded: every application of it that is neither decided, withdrawn, a draft nor an award ends
//! unsuccessful as of the day of the conclusion, and its two years of retention run from that day, so that
//! nothing of a cycle is kept for ever because nobody decided it (CONTRACT.md, "Cycles and selection").

use chrono::{Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, award_terms};
use crate::on_both_stores;
use domain::Role;
use services::retention::{Ledger, SweepReport};

on_both_stores!(
    a_concluded_cycle_ends_every_application_still_live_and_its_two_years_start,
    a_second_conclusion_changes_nothing,
    nothing_of_a_concluded_cycle_is_submitted_decided_or_awarded_any_more,
    a_conclusion_is_refused_to_other_roles_and_on_days_that_make_no_sense,
    a_batch_of_conclusions_that_meets_another_writer_keeps_nothing_and_each_is_concluded_once,
);

const CYCLE: &str = "2026-27";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

async fn conclude(app: &TestApp, officer: &User, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/cycles/{CYCLE}/conclude"), officer, body)
        .await
}

async fn status_of(app: &TestApp, officer: &User, id: &str) -> (StatusCode, Value) {
    app.get(&at(id, ""), officer).await
}

async fn sweep(app: &TestApp, ledger: &Ledger, as_of: NaiveDate) -> SweepReport {
    services::retention::sweep(&app.state, ledger, as_of, false, &|_, _| {})
        .await
        .unwrap_or_else(|error| panic!("the sweep as of {as_of} runs: {error:#}"))
}

/// One application of the cycle in each status of the lifecycle, by name.
async fn one_in_every_status(app: &TestApp, officer: &User) -> Vec<(&'static str, String)> {
    let member = app.staff(Role::CommitteeMember).await;
    let draft_owner = app.applicant().await;
    let submitted_owner = app.applicant().await;
    let eligible_owner = app.applicant().await;
    let ineligible_owner = app.applicant().await;
    let withdrawn_owner = app.applicant().await;
    let draft = app.complete_draft(&draft_owner).await;
    let submitted = app.submitted(&submitted_owner).await;
    let eligible = app.submitted(&eligible_owner).await;
    app.expect_ok(
        app.post(
            &at(&eligible, "/eligibility"),
            officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    let ineligible = app.submitted(&ineligible_owner).await;
    app.expect_ok(
        app.post(
            &at(&ineligible, "/eligibility"),
            officer,
            json!({"eligible": false, "reason": "outside the rules"}),
        )
        .await,
    );
    let withdrawn = app.submitted(&withdrawn_owner).await;
    app.expect_ok(
        app.post(&at(&withdrawn, "/withdraw"), &withdrawn_owner, json!({}))
            .await,
    );
    let under_review = app.under_review(officer, &member).await;
    let selected = app.decided(officer, "selected").await;
    let reserve = app.decided(officer, "reserve").await;
    let unsuccessful = app.decided(officer, "unsuccessful").await;
    let awarded = app.awarded(officer).await;
    let alumni = app.awarded(officer).await;
    app.expect_ok(
        app.post(
            &at(&alumni, "/award/complete"),
            officer,
            json!({"outcome": "MSc with merit", "completed_on": today().to_string()}),
        )
        .await,
    );
    vec![
        ("draft", draft),
        ("submitted", submitted),
        ("eligible", eligible),
        ("ineligible", ineligible),
        ("withdrawn", withdrawn),
        ("under_review", under_review),
        ("selected", selected),
        ("reserve", reserve),
        ("unsuccessful", unsuccessful),
        ("awarded", awarded),
        ("alumni", alumni),
    ]
}

/// Whether a conclusion ends an application at this status.
fn ended_by_conclusion(status: &str) -> bool {
    matches!(
        status,
        "submitted" | "eligible" | "under_review" | "selected" | "reserve"
    )
}

async fn a_concluded_cycle_ends_every_application_still_live_and_its_two_years_start(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let cases = one_in_every_status(&app, &officer).await;
    for (status, id) in &cases {
        let (_, view) = status_of(&app, &officer, id).await;
        assert_eq!(view["status"], *status, "{view}");
    }

    let (status, body) = conclude(&app, &officer, json!({"on": today().to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cycle"], CYCLE);
    assert_eq!(body["concluded_on"], today().to_string());
    assert_eq!(body["automatic"], false);
    assert_eq!(body["concluded"], 5, "{body}");
    assert_eq!(body["not_concluded"], json!([]));

    for (before, id) in &cases {
        let (status, view) = status_of(&app, &officer, id).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        if ended_by_conclusion(before) {
            assert_eq!(view["status"], "unsuccessful", "{before}: {view}");
            // The applicant is told, by the letter of an unsuccessful application, why and until when.
            let (_, letters) = app.get(&at(id, "/letters"), &officer).await;
            let last = letters
                .as_array()
                .and_then(|l| l.last())
                .cloned()
                .unwrap_or_else(|| panic!("{before}: a letter: {letters}"));
            assert_eq!(last["kind"], "unsuccessful", "{letters}");
            let body = last["body"].as_str().unwrap_or_default();
            assert!(body.contains("cycle closed on"), "{body}");
            let two_years = today().checked_add_months(Months::new(24)).unwrap();
            assert!(
                body.contains(&two_years.format("%-d %B %Y").to_string()),
                "the letter says when it is destroyed: {body}"
            );
            assert_eq!(
                view["concluded_with_cycle"],
                json!({"on": today().to_string(), "previous_status": before}),
                "{view}"
            );
        } else {
            assert_eq!(view["status"], *before, "{view}");
            assert_eq!(view["concluded_with_cycle"], Value::Null, "{view}");
        }
    }
    // The history says why, in the case's own log.
    let (_, history) = app.get(&at(&cases[6].1, "/history"), &officer).await;
    let types: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        types[types.len() - 2..],
        ["ConcludedWithCycle", "LetterIssued"],
        "{history}"
    );
    // The cycle says it is concluded.
    let (_, cycle) = app.get(&format!("/api/cycles/{CYCLE}"), &officer).await;
    assert_eq!(cycle["concluded_on"], today().to_string(), "{cycle}");
    assert_eq!(cycle["concluded_automatically"], false, "{cycle}");
    // And so does the retention overview of the information officer.
    let information = app.staff(Role::InformationOfficer).await;
    let (_, overview) = app.get("/api/retention", &information).await;
    assert_eq!(
        overview["cycles"],
        json!([{"cycle": CYCLE, "concluded_on": today().to_string(), "concluded_automatically": false,
                "automatic_conclusion_on": "2027-12-31"}]),
        "{overview}"
    );

    // The day before two years, a sweep changes nothing of them; from the day two years on, everything but
    // the awards is destroyed.
    let ledger_dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(ledger_dir.path().join("destroyed-streams.ledger"));
    let two_years_on = today().checked_add_months(Months::new(24)).unwrap();
    let report = sweep(&app, &ledger, two_years_on.pred_opt().unwrap()).await;
    assert!(
        report
            .destroyed
            .iter()
            .all(|line| line.aggregate_type != "Application"),
        "{report:?}"
    );
    for (before, id) in &cases {
        let (status, view) = status_of(&app, &officer, id).await;
        assert_eq!(status, StatusCode::OK, "{before} the day before: {view}");
    }
    let report = sweep(&app, &ledger, two_years_on).await;
    for (before, id) in &cases {
        let (status, view) = status_of(&app, &officer, id).await;
        if matches!(*before, "awarded" | "alumni") {
            assert_eq!(status, StatusCode::OK, "{before} is kept: {view}");
            assert_eq!(view["status"], *before, "{view}");
        } else {
            assert_eq!(status, StatusCode::GONE, "{before} is destroyed: {view}");
            assert_eq!(view["error"], "destroyed");
            assert!(
                report.destroyed.iter().any(|line| &line.aggregate_id == id),
                "{before} {id} is in the report: {report:?}"
            );
        }
    }
}

async fn a_second_conclusion_changes_nothing(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    let yesterday = today().pred_opt().unwrap();
    let (status, first) = conclude(&app, &officer, json!({"on": yesterday.to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["concluded"], 1);
    let (_, view) = status_of(&app, &officer, &id).await;
    let version = view["version"].clone();

    // Again, even on another day: the first conclusion's day stands and nothing more is recorded.
    let (status, again) = conclude(&app, &officer, json!({"on": today().to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["concluded"], 0, "{again}");
    assert_eq!(again["concluded_on"], yesterday.to_string(), "{again}");
    let (_, view) = status_of(&app, &officer, &id).await;
    assert_eq!(view["version"], version, "{view}");
    assert_eq!(view["concluded_with_cycle"]["on"], yesterday.to_string());
    // Without a day, today is meant; it changes nothing either.
    let (status, again) = conclude(&app, &officer, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["concluded"], 0, "{again}");
}

async fn nothing_of_a_concluded_cycle_is_submitted_decided_or_awarded_any_more(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let draft = app.complete_draft(&owner).await;
    let selected = app.decided(&officer, "selected").await;
    let (status, body) = conclude(&app, &officer, json!({"on": today().to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let refused = |(status, body): (StatusCode, Value), what: &str| {
        assert_eq!(status, StatusCode::CONFLICT, "{what}: {body}");
        assert_eq!(body["error"], "cycle_concluded", "{what}: {body}");
        assert_eq!(body["concluded_on"], today().to_string(), "{what}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(CYCLE)),
            "{what}: {body}"
        );
    };
    refused(
        app.post(&at(&selected, "/award"), &officer, award_terms())
            .await,
        "an award after the conclusion",
    );
    refused(
        app.post(&at(&draft, "/submit"), &owner, json!({})).await,
        "a submission after the conclusion",
    );
    let newcomer = app.applicant().await;
    refused(
        app.post("/api/applications", &newcomer, json!({"cycle": CYCLE}))
            .await,
        "a new application in the concluded cycle",
    );
    // The draft is still the applicant's to change (and falls due 24 months after its last change).
    let (status, body) = app
        .patch(
            &at(&draft, ""),
            &owner,
            json!({"essays": {"leadership": "A changed essay."}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Another cycle is not concerned.
    let (status, body) = app
        .post("/api/applications", &newcomer, json!({"cycle": "2027-28"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn a_conclusion_is_refused_to_other_roles_and_on_days_that_make_no_sense(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    let body = json!({"on": today().to_string()});
    for role in [
        Role::Admin,
        Role::InformationOfficer,
        Role::Helpdesk,
        Role::CommitteeMember,
    ] {
        let user = app.staff(role).await;
        let (status, answer) = conclude(&app, &user, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {answer}");
        assert_eq!(answer["error"], "forbidden");
    }
    let applicant = app.applicant().await;
    let (status, answer) = conclude(&app, &applicant, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, answer) = app
        .request(
            reqwest::Method::POST,
            &format!("/api/cycles/{CYCLE}/conclude"),
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");

    let tomorrow = today().succ_opt().unwrap().to_string();
    for (on, what) in [
        (tomorrow.as_str(), "a day to come"),
        ("2019-06-01", "before the cycle began"),
        ("31/12/2027", "not a date"),
    ] {
        let (status, answer) = conclude(&app, &officer, json!({"on": on})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {answer}");
        assert_eq!(answer["error"], "invalid", "{what}: {answer}");
        assert!(
            answer["problems"]
                .as_array()
                .is_some_and(|f| f.iter().any(|p| p["path"] == "on")),
            "{what}: the refusal names the field: {answer}"
        );
    }
    let (status, answer) = app
        .post("/api/cycles/2026-2027/conclude", &officer, body.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // Nothing was concluded by any of them.
    let (_, view) = status_of(&app, &officer, &id).await;
    assert_eq!(view["status"], "under_review", "{view}");
    let (_, cycle) = app.get(&format!("/api/cycles/{CYCLE}"), &officer).await;
    assert_eq!(cycle["concluded_on"], Value::Null, "{cycle}");
}

/// The history's event types of an application, in order.
async fn history_types(app: &TestApp, officer: &User, id: &str) -> Vec<String> {
    let (_, history) = app.get(&at(id, "/history"), officer).await;
    history
        .as_array()
        .unwrap_or_else(|| panic!("a history: {history}"))
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect()
}

/// A batch of conclusions is appended in one transaction: when another command wrote to one of its
/// applications after the batch read it, nothing of the batch is kept (no event, view, case-list or schedule
/// row of the others), and the next conclusion ends each live application once, with one letter.
async fn a_batch_of_conclusions_that_meets_another_writer_keeps_nothing_and_each_is_concluded_once(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let applicant = app.applicant().await;
        ids.push(app.submitted(&applicant).await);
    }
    let actor = domain::Actor::new(officer.id.clone(), Role::ProgrammeOfficer);
    let cycle = domain::cycle::CycleName::parse(CYCLE).unwrap();
    app.state
        .execute_cycle(
            &actor,
            domain::cycle::CycleCommand::Conclude {
                cycle,
                on: today(),
                automatic: false,
            },
        )
        .await
        .expect("the cycle's conclusion is recorded");

    let conclude_each = ids
        .iter()
        .map(|id| {
            (
                id.clone(),
                domain::application::ApplicationCommand::ConcludeWithCycle,
            )
        })
        .collect();
    let (_, decided) = app.state.decide_applications(&actor, conclude_each).await;
    let decided: Vec<_> = decided
        .into_iter()
        .map(|one| one.expect("each conclusion is decided"))
        .collect();
    assert!(decided.iter().all(|one| !one.events().is_empty()));
    // Another writer concludes the second application after the batch read it.
    app.state
        .execute_application(
            &ids[1],
            &actor,
            domain::application::ApplicationCommand::ConcludeWithCycle,
        )
        .await
        .expect("the second application is concluded on its own");
    let appended = app.state.append_applications(decided, 3).await;
    assert!(
        appended.is_err(),
        "the batch meets the other writer's event"
    );
    for id in [&ids[0], &ids[2]] {
        let (_, view) = status_of(&app, &officer, id).await;
        assert_eq!(
            view["status"], "submitted",
            "nothing of the batch was kept: {view}"
        );
        assert!(
            !history_types(&app, &officer, id)
                .await
                .iter()
                .any(|t| t == "ConcludedWithCycle"),
            "no event of the batch was kept"
        );
    }
    let (_, list) = app
        .get(
            &format!("/api/applications?cycle={CYCLE}&status=submitted"),
            &officer,
        )
        .await;
    assert_eq!(list["total"], 2, "the case list kept its rows: {list}");

    // The next conclusion ends the two still live, each once and with one letter.
    let (status, body) = conclude(&app, &officer, json!({"on": today().to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["concluded"], 2, "{body}");
    for id in [&ids[0], &ids[2]] {
        let (_, view) = status_of(&app, &officer, id).await;
        assert_eq!(view["status"], "unsuccessful", "{view}");
        let types = history_types(&app, &officer, id).await;
        assert_eq!(
            types.iter().filter(|t| *t == "ConcludedWithCycle").count(),
            1,
            "{types:?}"
        );
        assert_eq!(
            types[types.len() - 2..],
            ["ConcludedWithCycle", "LetterIssued"],
            "{types:?}"
        );
    }
    let (_, list) = app
        .get(
            &format!("/api/applications?cycle={CYCLE}&status=unsuccessful"),
            &officer,
        )
        .await;
    assert_eq!(list["total"], 3, "the case list's rows follow: {list}");
    let due = projections::retention::due_by(
        app.db(),
        today().checked_add_months(Months::new(24)).unwrap(),
    )
    .await
    .unwrap();
    for id in &ids {
        assert!(
            due.iter().any(|d| &d.aggregate_id == id),
            "{id} falls due two years after the conclusion"
        );
    }
}
