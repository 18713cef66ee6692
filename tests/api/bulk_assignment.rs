//! Committee assignment in bulk (`POST /api/cycles/{cycle}/assignments`): every application of the cycle
//! awaiting review gets the members it still needs, the load balanced, never a member who declared a conflict
//! on it, by region when the officer says so; each assignment an event; a dry run makes none; the refusals.
//! On both stores.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use crate::ranking::application_assigned_to;
use domain::Role;

on_both_stores!(
    every_application_gets_its_members_the_load_balanced_and_never_a_conflicted_member,
    by_region_a_member_reviews_only_the_applicants_of_their_region,
    a_bulk_assignment_is_refused_to_all_but_programme_officers_and_when_it_makes_no_sense,
);

const CYCLE: &str = "2026-27";

async fn eligible(app: &TestApp, officer: &User, nationality: &str) -> String {
    application_assigned_to(app, officer, CYCLE, nationality, &[])
        .await
        .1
}

async fn committee_of(app: &TestApp, officer: &User, id: &str) -> Vec<(String, bool)> {
    let (status, body) = app.get(&format!("/api/applications/{id}"), officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["committee"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["member_id"].as_str().unwrap().to_string(),
                !m["conflict"].is_null(),
            )
        })
        .collect()
}

fn path() -> String {
    format!("/api/cycles/{CYCLE}/assignments")
}

async fn every_application_gets_its_members_the_load_balanced_and_never_a_conflicted_member(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let members = [
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
    ];
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(eligible(&app, &officer, "Kenya").await);
    }
    // One more, under review already: the first member was on it and declared a conflict.
    let conflicted = application_assigned_to(&app, &officer, CYCLE, "Kenya", &[&members[0]])
        .await
        .1;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{conflicted}/conflicts"),
            &members[0],
            json!({"reason": "Test: a former colleague"}),
        )
        .await,
    );
    ids.push(conflicted.clone());
    let names: Vec<String> = members.iter().map(|m| m.id.clone()).collect();

    // A dry run answers and records nothing.
    let (status, body) = app
        .post(
            &path(),
            &officer,
            json!({"members_per_application": 2, "members": names, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["recorded"], json!(0));
    assert_eq!(body["assignments"].as_array().unwrap().len(), 12);
    assert!(committee_of(&app, &officer, &ids[0]).await.is_empty());

    let (status, body) = app
        .post(
            &path(),
            &officer,
            json!({"members_per_application": 2, "members": names}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["recorded"], json!(12), "{body}");
    assert_eq!(body["short"], json!([]));
    let loads: BTreeMap<String, u64> = serde_json::from_value(body["loads"].clone()).unwrap();
    assert_eq!(
        loads.values().copied().collect::<Vec<_>>(),
        vec![4, 4, 4],
        "{body}"
    );

    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for id in &ids {
        let committee = committee_of(&app, &officer, id).await;
        let serving: Vec<&String> = committee
            .iter()
            .filter(|(_, conflict)| !conflict)
            .map(|(member, _)| member)
            .collect();
        assert_eq!(serving.len(), 2, "{id}: {committee:?}");
        for member in serving {
            *seen.entry(member.clone()).or_default() += 1;
        }
        let (status, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], json!("under_review"), "{body}");
    }
    assert_eq!(seen.values().copied().collect::<Vec<_>>(), vec![4, 4, 4]);
    // The conflicted member was not given the application again; the two others were.
    let committee = committee_of(&app, &officer, &conflicted).await;
    assert!(
        committee.contains(&(members[0].id.clone(), true)),
        "{committee:?}"
    );
    assert_eq!(
        committee
            .iter()
            .filter(|(m, _)| m == &members[0].id)
            .count(),
        1,
        "{committee:?}"
    );
    // The conflicted member still cannot see it.
    let (status, _) = app
        .get(&format!("/api/applications/{conflicted}"), &members[0])
        .await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    // Run again: everything has its members, so nothing more is assigned.
    let (_, again) = app
        .post(
            &path(),
            &officer,
            json!({"members_per_application": 2, "members": names}),
        )
        .await;
    assert_eq!(again["assignments"], json!([]), "{again}");
}

async fn by_region_a_member_reviews_only_the_applicants_of_their_region(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let africa = app.staff(Role::CommitteeMember).await;
    let asia = app.staff(Role::CommitteeMember).await;
    let anyone = app.staff(Role::CommitteeMember).await;
    let kenyan = eligible(&app, &officer, "Kenya").await;
    let nepali = eligible(&app, &officer, "Nepal").await;
    let peruvian = eligible(&app, &officer, "Peru").await;
    let body = json!({
        "members_per_application": 1,
        "members": [africa.id, asia.id, anyone.id],
        "regions": { africa.id.clone(): ["Kenya", "Ghana"], asia.id.clone(): ["nepal"] },
    });
    let (status, answer) = app.post(&path(), &officer, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        committee_of(&app, &officer, &kenyan).await,
        [(africa.id.clone(), false)]
    );
    assert_eq!(
        committee_of(&app, &officer, &nepali).await,
        [(asia.id.clone(), false)]
    );
    assert_eq!(
        committee_of(&app, &officer, &peruvian).await,
        [(anyone.id.clone(), false)]
    );
}

async fn a_bulk_assignment_is_refused_to_all_but_programme_officers_and_when_it_makes_no_sense(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = eligible(&app, &officer, "Kenya").await;
    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let someone = app.staff(role).await;
        let (status, body) = app.post(&path(), &someone, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {body}");
    }
    let applicant = app.applicant().await;
    assert_eq!(
        app.post(&path(), &applicant, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let not_a_member = officer.id.clone();
    for (bad, field) in [
        (
            json!({"members_per_application": 0}),
            "members_per_application",
        ),
        (
            json!({"members_per_application": 6}),
            "members_per_application",
        ),
        (json!({"members": [not_a_member]}), "members.0"),
        (
            json!({"members": [member.id.clone()], "regions": {member.id.clone(): ["Atlantis"]}}),
            "regions.",
        ),
        (
            json!({"regions": {"someone-else": ["Kenya"]}}),
            "regions.someone-else",
        ),
    ] {
        let (status, body): (StatusCode, Value) = app.post(&path(), &officer, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let (status, _) = app
        .post("/api/cycles/2026/assignments", &officer, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // No refusal assigned anyone.
    assert!(committee_of(&app, &officer, &id).await.is_empty());
}
