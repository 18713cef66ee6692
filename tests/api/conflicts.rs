//! A declared conflict of interest blocks: the member who declared it gets 403 or 404 for that application
//! on every route of the API and every page, and sees nothing of it anywhere; the officer sees it on the
//! case, and the member's marks stop counting.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_stores;
use domain::Role;

on_both_stores!(a_member_with_a_declared_conflict_gets_403_or_404_everywhere_for_that_application);

async fn a_member_with_a_declared_conflict_gets_403_or_404_everywhere_for_that_application(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.under_review_for(&applicant, &officer, &member).await;
    let mut browser = crate::pages::sign_in(&app, &member.email).await;
    // Before: the member sees it, on the API and on the committee's page.
    assert_eq!(
        app.get(&format!("/api/applications/{id}"), &member).await.0,
        StatusCode::OK
    );
    assert_eq!(
        browser.get(&format!("/committee/{id}")).await.status,
        StatusCode::OK
    );
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/scores"),
            &member,
            crate::helpers::scores(9),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/conflicts"),
            &member,
            json!({"reason": "Test: a former colleague"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Every API route on this application, with the body the authorization matrix sends.
    let mut calls = 0;
    for (method, path, body) in crate::matrix::route_calls() {
        if !path.contains("{id}") {
            continue;
        }
        let path = path
            .replace("{id}", &id)
            .replace("{recipient}", "0196f0c1-0000-7000-8000-000000000001")
            .replace("{request}", "0196f0c1-0000-7000-8000-000000000002");
        let body = body.map(|body| {
            let text = body
                .to_string()
                .replace("{member_id}", &member.id)
                .replace("{recipient}", "0196f0c1-0000-7000-8000-000000000001")
                .replace("{unique}", "conflict-test")
                .replace("{unique_day}", "2031-01-02");
            serde_json::from_str::<Value>(&text).unwrap()
        });
        let (status, answer) = app
            .request(method.clone(), &path, Some(&member.token), body)
            .await;
        calls += 1;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{method} {path}: {status} {answer}"
        );
        assert!(
            !answer.to_string().contains("Test Applicant Marker"),
            "{method} {path} shows the applicant"
        );
    }
    assert!(calls >= 25, "{calls} routes on the application");
    let (_, list) = app.get("/api/applications", &member).await;
    assert!(!list.to_string().contains(&id), "{list}");
    let (status, _) = app
        .request(
            Method::GET,
            &format!("/api/applications/{id}?as_of=2099-01-01T00:00:00Z"),
            Some(&member.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every page: the committee's, the case desk's, the applicant's.
    for page in [
        format!("/committee/{id}"),
        format!("/cases/{id}"),
        format!("/applications/{id}"),
    ] {
        let answer = browser.get(&page).await;
        assert!(
            answer.status == StatusCode::FORBIDDEN || answer.status == StatusCode::NOT_FOUND,
            "{page}: {}",
            answer.status
        );
        assert!(!answer.body.contains("Test Applicant Marker"), "{page}");
    }
    let assignments = browser.get("/committee").await;
    assert_eq!(assignments.status, StatusCode::OK);
    assert!(!assignments.body.contains(&id), "not on the member's list");

    // The officer sees the conflict on the case, and the member's marks no longer count.
    let (_, case) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(case["mean_score"], Value::Null, "{case}");
    let declared = case["committee"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member_id"] == json!(member.id))
        .unwrap();
    assert!(declared["conflict"].is_object(), "{declared}");
    let mut desk = crate::pages::sign_in(&app, &officer.email).await;
    let page = desk.get(&format!("/cases/{id}?tab=committee")).await;
    assert!(page.body.contains("Declared a conflict of interest"));
    assert!(
        page.body.contains("id=\"reassign\""),
        "the officer is asked to reassign"
    );
}
