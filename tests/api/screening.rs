//! Eligibility screening at submission, rules as data per cycle: an administrator sets them with the cycle's
//! terms; submission names every rule the form does not meet, in words the applicant can act on; the
//! applicant meets them by editing the form; a programme officer may waive rules for one draft, with a
//! reason kept as an event. On both stores.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    an_administrator_sets_the_screening_rules_with_the_cycles_terms,
    submission_names_every_rule_not_met_and_the_applicant_can_meet_them,
    a_programme_officer_waives_rules_with_a_reason_and_the_applicant_submits,
    an_override_is_refused_when_it_is_not_the_officers_to_make_or_says_too_little,
);

const CYCLE: &str = "2026-27";

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn every_rule() -> Value {
    json!({
        "opens_on": day(-30), "closes_on": day(30),
        "eligible_nationalities": ["Kenya", "Ghana"],
        "undergraduate_degree": true,
        "minimum_work_years": 8,
        "return_home_commitment": true,
    })
}

async fn screened_cycle(app: &TestApp) {
    let admin = app.staff(Role::Admin).await;
    let (status, body) = app
        .put(&format!("/api/cycles/{CYCLE}"), &admin, every_rule())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn submit(app: &TestApp, applicant: &User, id: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/applications/{id}/submit"),
        applicant,
        json!({}),
    )
    .await
}

fn failed_rules(body: &Value) -> Vec<String> {
    body["failures"]
        .as_array()
        .unwrap_or_else(|| panic!("failures listed: {body}"))
        .iter()
        .map(|failure| failure["rule"].as_str().unwrap().to_string())
        .collect()
}

async fn an_administrator_sets_the_screening_rules_with_the_cycles_terms(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (status, body) = app
        .put(&format!("/api/cycles/{CYCLE}"), &admin, every_rule())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get(&format!("/api/cycles/{CYCLE}"), &officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["undergraduate_degree"], json!(true));
    assert_eq!(body["minimum_work_years"], json!(8));
    assert_eq!(body["return_home_commitment"], json!(true));
    assert_eq!(
        body["screening_rules"],
        json!([
            "eligible_nationality",
            "undergraduate_degree",
            "work_experience",
            "return_home_commitment"
        ])
    );

    // Rules left out are not in force.
    let (status, body) = app
        .put(
            &format!("/api/cycles/{CYCLE}"),
            &admin,
            json!({"opens_on": day(-30), "closes_on": day(30), "minimum_work_years": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["screening_rules"], json!(["work_experience"]));

    // More than forty years, a negative number or a fraction is refused with the field named.
    for years in [json!(41), json!(-1), json!(2.5)] {
        let (status, body) = app
            .put(
                &format!("/api/cycles/{CYCLE}"),
                &admin,
                json!({"opens_on": day(-30), "closes_on": day(30), "minimum_work_years": years}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{years}: {body}");
    }
    let (status, body) = app
        .put(
            &format!("/api/cycles/{CYCLE}"),
            &admin,
            json!({"opens_on": day(-30), "closes_on": day(30), "minimum_work_years": 41}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], json!("invalid"));
    assert!(body.to_string().contains("minimum_work_years"), "{body}");
}

async fn submission_names_every_rule_not_met_and_the_applicant_can_meet_them(app: TestApp) {
    screened_cycle(&app).await;
    let applicant = app.applicant().await;
    // The complete form: of Kenya, a BSc, one job since September 2020, no answer on returning home.
    let id = app.complete_draft(&applicant).await;
    let (status, body) = submit(&app, &applicant, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], json!("not_eligible"));
    assert_eq!(
        failed_rules(&body),
        ["work_experience", "return_home_commitment"]
    );
    let work = body["failures"][0]["message"].as_str().unwrap();
    assert!(work.contains("at least 8 years"), "{work}");
    assert!(work.contains("add up to 6 years"), "{work}");
    assert_eq!(body["reasons"].as_array().unwrap().len(), 2);

    // A diploma is not a degree.
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            json!({"education": [{"institution": "Test College", "qualification": "Diploma in Testing", "year": 2012}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = submit(&app, &applicant, &id).await;
    assert_eq!(
        failed_rules(&body),
        [
            "undergraduate_degree",
            "work_experience",
            "return_home_commitment"
        ]
    );

    // The applicant puts it right: a degree, an earlier job (overlapping the later one), the commitment.
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            json!({
                "education": [{"institution": "Test University", "qualification": "B.Sc. (Hons)", "year": 2012}],
                "employment": [
                    {"employer": "Test Employer", "role": "Analyst", "from": "2020-09"},
                    {"employer": "Earlier Employer", "role": "Assistant", "from": "2014-01", "to": "2020-12"},
                ],
                "return_home": true,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["return_home"], json!(true));
    let (status, body) = submit(&app, &applicant, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], json!("submitted"));
}

async fn a_programme_officer_waives_rules_with_a_reason_and_the_applicant_submits(app: TestApp) {
    screened_cycle(&app).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;

    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/screening-override"),
            &officer,
            json!({"rules": ["work_experience"], "reason": "Test: a career break for caring the rules did not foresee"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let overrides = body["screening_overrides"].as_array().unwrap();
    assert_eq!(overrides.len(), 1, "{body}");
    assert_eq!(overrides[0]["rules"], json!(["work_experience"]));
    assert_eq!(
        overrides[0]["reason"],
        json!("Test: a career break for caring the rules did not foresee")
    );
    assert_eq!(overrides[0]["overridden_by"], json!(officer.id));

    // Only the rule not waived is still reported; the applicant meets it and submits.
    let (_, body) = submit(&app, &applicant, &id).await;
    assert_eq!(failed_rules(&body), ["return_home_commitment"]);
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            json!({"return_home": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = submit(&app, &applicant, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The override is in the case's history, as who did what and when.
    let (status, history) = app
        .get(&format!("/api/applications/{id}/history"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["type"] == "ScreeningOverridden" && entry["actor"] == officer.id),
        "{history}"
    );
}

async fn an_override_is_refused_when_it_is_not_the_officers_to_make_or_says_too_little(
    app: TestApp,
) {
    screened_cycle(&app).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let path = format!("/api/applications/{id}/screening-override");
    let good = json!({"rules": ["work_experience"], "reason": "Test: a reason"});

    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let someone = app.staff(role).await;
        let (status, body) = app.post(&path, &someone, good.clone()).await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{role:?}: {status} {body}"
        );
    }
    let (status, body) = app.post(&path, &applicant, good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the applicant: {body}");

    for (bad, what) in [
        (
            json!({"rules": ["being_nice"], "reason": "Test: a reason"}),
            "rules.0",
        ),
        (json!({"rules": [], "reason": "Test: a reason"}), "rules"),
        (
            json!({"rules": ["work_experience"], "reason": "  "}),
            "reason",
        ),
    ] {
        let (status, body) = app.post(&path, &officer, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"], json!("invalid"), "{body}");
        assert!(body.to_string().contains(what), "{what}: {body}");
    }

    // Only a draft is screened: once submitted, the override has nothing to waive.
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            json!({"return_home": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.post(&path, &officer, good.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = submit(&app, &applicant, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.post(&path, &officer, good).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}
