//! The privacy notice accepted by submitting: the check-answers page asks the applicant to accept it (the
//! declaration, naming the notice's version), the submission records that version, and a subject access
//! response says which notice the person accepted and when.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_stores;
use domain::Role;

on_both_stores!(a_submission_records_the_notice_accepted_and_a_sar_says_which);

async fn a_submission_records_the_notice_accepted_and_a_sar_says_which(app: TestApp) {
    let notice = services::notice::current();
    let owner = app.applicant().await;
    let id = app.complete_draft(&owner).await;
    let mut browser = crate::pages::sign_in(&app, &owner.email).await;
    let check = browser.get(&format!("/applications/{id}/check")).await;
    assert_eq!(check.status, StatusCode::OK);
    let text = check.text();
    assert!(text.contains("id=\"declaration\""), "{text}");
    assert!(text.contains("you have read and accept the"), "{text}");
    assert!(
        text.contains("<a href=\"/privacy\">privacy notice</a>"),
        "{text}"
    );
    assert!(
        text.contains(&services::notice::updated_on_in_words()),
        "{text}"
    );
    assert!(
        text.contains("Accept and submit your application"),
        "{text}"
    );
    let privacy = browser.get("/privacy").await;
    assert!(privacy.text().contains(&format!(
        "Last updated {}",
        services::notice::updated_on_in_words()
    )));

    app.expect_ok(
        app.post(&format!("/api/applications/{id}/submit"), &owner, json!({}))
            .await,
    );
    let information = app.staff(Role::InformationOfficer).await;
    let (status, request) = app
        .post(
            "/api/information-requests",
            &information,
            json!({"kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
                   "requester": {"name": "Test Requester", "email": owner.email},
                   "subject_email": owner.email, "description": "Test: what you hold"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let path = format!(
        "/api/information-requests/{}/response",
        request["id"].as_str().unwrap()
    );
    app.expect_ok(app.post(&path, &information, json!({})).await);
    let response = app.expect_ok(app.get(&path, &information).await);
    let accepted = &response["records"]["applications"][0]["privacy_notice_accepted"];
    assert_eq!(accepted["digest"], json!(notice.digest), "{response}");
    assert_eq!(
        accepted["notice_last_updated"],
        json!(notice.updated_on.to_string())
    );
    assert!(accepted["accepted_at"].is_string(), "{accepted}");
}
