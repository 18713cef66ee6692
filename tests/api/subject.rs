//! Finding the whole subject of a subject access request: a request made with the email address written in
//! an application's form (not the account's own) finds that application and the account that made it, and
//! each record says how it was found.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, complete_form};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(a_sar_by_the_email_in_the_form_finds_the_account_and_says_how);

async fn a_sar_by_the_email_in_the_form_finds_the_account_and_says_how(app: TestApp) {
    let owner = app.applicant().await;
    let id = app.draft(&owner).await;
    let mut form = complete_form();
    form["personal"]["email"] = json!("form-address@example.test");
    app.expect_ok(
        app.patch(&format!("/api/applications/{id}"), &owner, form)
            .await,
    );
    let information = app.staff(Role::InformationOfficer).await;
    let (status, request) = app
        .post(
            "/api/information-requests",
            &information,
            json!({"kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
                   "requester": {"name": "Test Requester", "email": "form-address@example.test"},
                   "subject_email": "form-address@example.test", "description": "Test: what you hold"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let path = format!(
        "/api/information-requests/{}/response",
        request["id"].as_str().unwrap()
    );
    app.expect_ok(app.post(&path, &information, json!({})).await);
    let response: Value = app.expect_ok(app.get(&path, &information).await);
    let account = &response["records"]["account"];
    assert_eq!(account["email"], json!(owner.email), "{response}");
    assert!(
        account["found_by"]
            .as_str()
            .is_some_and(|how| how.contains("form")),
        "{account}"
    );
    let application = &response["records"]["applications"][0];
    assert_eq!(application["id"], json!(id));
    assert!(
        application["found_by"]
            .as_str()
            .is_some_and(|how| how.contains("form")),
        "{application}"
    );
}
