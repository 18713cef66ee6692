//! The Auth section of the contract, and the refusals every other route shares.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_stores;
use domain::Role;
use services::auth::{AUDIENCE, Claims, ISSUER, TokenKeys};

on_both_stores!(
    registering_gives_an_applicant_account_that_can_sign_in,
    an_email_can_register_only_once_whatever_its_case,
    a_short_password_or_a_bad_email_is_refused_as_invalid,
    a_wrong_password_or_unknown_email_is_refused_alike,
    a_request_without_a_valid_token_is_unauthenticated,
    a_role_that_may_not_act_is_forbidden,
    another_applicants_application_is_not_found,
);

async fn registering_gives_an_applicant_account_that_can_sign_in(app: TestApp) {
    let (status, body) = app.register("new.person@example.test", "Test Person").await;
    assert_eq!(status, StatusCode::CREATED);
    let user_id = body["user_id"].as_str().expect("a user id");

    let (status, body) = app.login("new.person@example.test", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["role"], "applicant");
    assert_eq!(body["user_id"], user_id);
    assert!(
        body["token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
}

async fn an_email_can_register_only_once_whatever_its_case(app: TestApp) {
    assert_eq!(
        app.register("twice@example.test", "Test Person").await.0,
        StatusCode::CREATED
    );
    let (status, body) = app.register("TWICE@example.test", "Test Person").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "email_taken");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

async fn a_short_password_or_a_bad_email_is_refused_as_invalid(app: TestApp) {
    let short =
        json!({"email": "short@example.test", "password": "elevenchars", "full_name": "Test"});
    let (status, body) = app
        .request(Method::POST, "/api/auth/register", None, Some(short))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
    assert_eq!(body["problems"][0]["path"], "password");

    let twelve =
        json!({"email": "twelve@example.test", "password": "twelve chars", "full_name": "Test"});
    let (status, _) = app
        .request(Method::POST, "/api/auth/register", None, Some(twelve))
        .await;
    assert_eq!(status, StatusCode::CREATED, "twelve characters are enough");

    for email in [
        "not-an-email",
        "two@@example.test",
        "no-domain@",
        "spaces in@example.test",
    ] {
        let body = json!({"email": email, "password": PASSWORD, "full_name": "Test"});
        let (status, body) = app
            .request(Method::POST, "/api/auth/register", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
        assert_eq!(body["error"], "invalid");
        assert_eq!(body["problems"][0]["path"], "email");
    }
    let missing = json!({"email": "missing@example.test"});
    let (status, body) = app
        .request(Method::POST, "/api/auth/register", None, Some(missing))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
}

async fn a_wrong_password_or_unknown_email_is_refused_alike(app: TestApp) {
    app.register("known@example.test", "Test Person").await;
    let (status, wrong) = app
        .login("known@example.test", "not the password at all")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong["error"], "invalid_credentials");
    let (status, unknown) = app.login("unknown@example.test", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown, wrong,
        "the answer must not tell which part was wrong"
    );
}

async fn a_request_without_a_valid_token_is_unauthenticated(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let path = format!("/api/applications/{id}");

    let now = chrono::Utc::now().timestamp();
    let expired = TokenKeys::new(app.jwt_secret.as_bytes()).sign(&Claims {
        sub: applicant.id.clone(),
        role: Role::Applicant,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        iat: now - 7200,
        exp: now - 3600,
    });
    let forged = TokenKeys::new(b"another secret of at least thirty-two bytes")
        .issue(&applicant.id, Role::Admin);
    let tampered = {
        let mut parts: Vec<String> = applicant.token.split('.').map(str::to_string).collect();
        parts[1] = parts[1].chars().rev().collect();
        parts.join(".")
    };
    for token in [
        None,
        Some("not-a-token"),
        Some(expired.as_str()),
        Some(forged.as_str()),
        Some(tampered.as_str()),
    ] {
        let (status, body) = app.request(Method::GET, &path, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "token {token:?}");
        assert_eq!(body["error"], "unauthenticated");
    }
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header("Authorization", format!("Basic {}", applicant.token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "only the Bearer scheme is accepted"
    );
    assert_eq!(
        app.get(&path, &applicant).await.0,
        StatusCode::OK,
        "the real token works"
    );
}

async fn a_role_that_may_not_act_is_forbidden(app: TestApp) {
    let helpdesk = app.staff(Role::Helpdesk).await;
    let (status, body) = app
        .post("/api/applications", &helpdesk, json!({"cycle": "2026-27"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "forbidden");

    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/eligibility"),
            &applicant,
            json!({"eligible": true, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "forbidden");
    let (status, _) = app
        .get(&format!("/api/applications/{id}/history"), &applicant)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn another_applicants_application_is_not_found(app: TestApp) {
    let owner = app.applicant().await;
    let other = app.applicant().await;
    let id = app.draft(&owner).await;
    let (status, body) = app.get(&format!("/api/applications/{id}"), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    let (status, _) = app
        .patch(
            &format!("/api/applications/{id}"),
            &other,
            json!({"essays": {"leadership": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(&format!("/api/applications/{id}/submit"), &other, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get("/api/applications/no-such-application", &owner)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
