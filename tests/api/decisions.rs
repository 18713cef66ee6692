//! Batch decisions from the ranking and the reserve list (`POST /api/cycles/{cycle}/decisions`,
//! `GET /api/cycles/{cycle}/reserve`): down the ranking, best first, among the applications under review,
//! each decision an event on its application; a dry run records nothing; the reserve list keeps its order
//! across batches; and the refusals. On both stores.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use crate::ranking::{application_assigned_to, score};
use domain::Role;

on_both_stores!(
    a_batch_decides_down_the_ranking_and_the_reserve_list_keeps_its_order,
    a_batch_is_refused_to_all_but_programme_officers_and_to_quotas_too_large,
);

const CYCLE: &str = "2026-27";

/// Applications of the cycle, each scored by one member with every criterion at the mark given: the first is
/// the best.
async fn scored_cycle(app: &TestApp, officer: &User, marks: &[i64]) -> Vec<String> {
    let member = app.staff(Role::CommitteeMember).await;
    let mut ids = Vec::new();
    for mark in marks {
        let (_, id) = application_assigned_to(app, officer, CYCLE, "Kenya", &[&member]).await;
        score(app, &member, &id, *mark).await;
        ids.push(id);
    }
    ids
}

async fn status_of(app: &TestApp, officer: &User, id: &str) -> String {
    let (status, body) = app.get(&format!("/api/applications/{id}"), officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["status"].as_str().unwrap().to_string()
}

fn decided(body: &Value) -> Vec<(String, String, Value)> {
    body["decisions"]
        .as_array()
        .unwrap_or_else(|| panic!("decisions listed: {body}"))
        .iter()
        .map(|d| {
            (
                d["application_id"].as_str().unwrap().to_string(),
                d["outcome"].as_str().unwrap().to_string(),
                d["reserve_position"].clone(),
            )
        })
        .collect()
}

async fn a_batch_decides_down_the_ranking_and_the_reserve_list_keeps_its_order(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let ids = scored_cycle(&app, &officer, &[9, 8, 7, 6, 5]).await;
    let path = format!("/api/cycles/{CYCLE}/decisions");
    let batch = json!({"selected": 1, "reserve": 2, "unsuccessful_rest": true});

    // A dry run answers the batch and records nothing.
    let mut dry = batch.clone();
    dry["dry_run"] = json!(true);
    let (status, body) = app.post(&path, &officer, dry).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["recorded"], json!(0));
    let expected = vec![
        (ids[0].clone(), "selected".to_string(), Value::Null),
        (ids[1].clone(), "reserve".to_string(), json!(1)),
        (ids[2].clone(), "reserve".to_string(), json!(2)),
        (ids[3].clone(), "unsuccessful".to_string(), Value::Null),
        (ids[4].clone(), "unsuccessful".to_string(), Value::Null),
    ];
    assert_eq!(decided(&body), expected);
    for id in &ids {
        assert_eq!(status_of(&app, &officer, id).await, "under_review");
    }

    // Recorded: each application decided, each decision an event in its history.
    let (status, body) = app.post(&path, &officer, batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["recorded"], json!(5), "{body}");
    assert_eq!(decided(&body), expected);
    let statuses = [
        "selected",
        "reserve",
        "reserve",
        "unsuccessful",
        "unsuccessful",
    ];
    for (id, want) in ids.iter().zip(statuses) {
        assert_eq!(status_of(&app, &officer, id).await, want);
        let (_, history) = app
            .get(&format!("/api/applications/{id}/history"), &officer)
            .await;
        let decisions = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["type"] == "DecisionRecorded" && entry["actor"] == officer.id)
            .count();
        assert_eq!(decisions, 1, "{history}");
    }

    // The same batch again finds nothing awaiting a decision.
    let (_, again) = app
        .post(
            &path,
            &officer,
            json!({"selected": 1, "reserve": 2, "unsuccessful_rest": true}),
        )
        .await;
    assert_eq!(again["decisions"], json!([]), "{again}");

    // Later: another application scored and a reserve decided on its own; a new batch's reserve goes on the
    // list after the first batch's places, and the one decided on its own comes after every numbered place.
    let member = app.staff(Role::CommitteeMember).await;
    let (_, later) = application_assigned_to(&app, &officer, CYCLE, "Ghana", &[&member]).await;
    score(&app, &member, &later, 10).await;
    let (_, by_hand) = application_assigned_to(&app, &officer, CYCLE, "Ghana", &[&member]).await;
    score(&app, &member, &by_hand, 9).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{by_hand}/decision"),
            &officer,
            json!({"outcome": "reserve"}),
        )
        .await,
    );
    let (status, body) = app
        .post(&path, &officer, json!({"selected": 0, "reserve": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        decided(&body),
        vec![(later.clone(), "reserve".to_string(), json!(3))]
    );

    let (status, list) = app
        .get(&format!("/api/cycles/{CYCLE}/reserve"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let order: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["application_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            ids[1].as_str(),
            ids[2].as_str(),
            later.as_str(),
            by_hand.as_str()
        ]
    );
    assert_eq!(list[0]["place"], json!(1));
    assert_eq!(list[3]["reserve_position"], Value::Null);
    assert_eq!(list[3]["place"], json!(4));
}

async fn a_batch_is_refused_to_all_but_programme_officers_and_to_quotas_too_large(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let ids = scored_cycle(&app, &officer, &[9]).await;
    let path = format!("/api/cycles/{CYCLE}/decisions");
    let batch = json!({"selected": 1});
    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let someone = app.staff(role).await;
        let (status, body) = app.post(&path, &someone, batch.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {body}");
        let (status, _) = app
            .get(&format!("/api/cycles/{CYCLE}/reserve"), &someone)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
    }
    let applicant = app.applicant().await;
    let (status, _) = app.post(&path, &applicant, batch.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for (bad, field) in [
        (json!({"selected": 20_000, "reserve": 1}), "selected"),
        (json!({"selected": -1}), "selected"),
        (json!({"selected": 1, "tiebreak": "coin"}), "tiebreak"),
    ] {
        let (status, body) = app.post(&path, &officer, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let (status, body) = app
        .post("/api/cycles/2026-28/decisions", &officer, batch.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Nothing was decided by any refusal.
    assert_eq!(status_of(&app, &officer, &ids[0]).await, "under_review");
}
