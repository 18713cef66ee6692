//! The Auth section of the contract, and the refusals every other route shares.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_stores;
use domain::Role;
use services::auth::{AUDIENCE, Claims, ISSUER, TokenKeys};

on_both_stores!(
    registering_gives_an_applicant_account_that_can_sign_in,
    an_email_can_register_only_once_whatever_its_case,
    two_registrations_of_one_email_at_once_make_one_account,
    a_short_password_or_a_bad_email_is_refused_as_invalid,
    a_wrong_password_or_unknown_email_is_refused_alike,
    a_request_without_a_valid_token_is_unauthenticated,
    a_role_that_may_not_act_is_forbidden,
    another_applicants_application_is_not_found,
    a_signed_out_token_opens_nothing_and_the_others_still_work,
    a_password_change_ends_every_token_and_needs_the_current_password,
    repeated_failures_shut_an_email_for_a_doubling_while_known_or_not,
    many_failures_from_one_network_shut_it_for_every_email,
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

/// The lookup before an account is made cannot see another registration of the same address made at the same
/// moment: the store itself keeps the addresses unique (on PostgreSQL, in partitions of their own beside the
/// accounts, migration 0030), and the second is refused as taken.
async fn two_registrations_of_one_email_at_once_make_one_account(app: TestApp) {
    let account = |name: &str| services::accounts::NewAccount {
        email: "at-once@example.test".to_string(),
        full_name: name.to_string(),
        role: Role::Applicant,
        password: PASSWORD.to_string(),
    };
    let (one, two) = (account("Test One"), account("Test Two"));
    let (first, second) = tokio::join!(
        services::accounts::create_hashed(&app.state.db, &one, "not-a-hash"),
        services::accounts::create_hashed(&app.state.db, &two, "not-a-hash"),
    );
    let made: Vec<_> = [&first, &second]
        .into_iter()
        .filter(|r| r.is_ok())
        .collect();
    assert_eq!(made.len(), 1, "one account is made: {first:?} {second:?}");
    let refused = if first.is_ok() { second } else { first };
    assert!(
        matches!(refused, Err(services::accounts::AccountError::EmailTaken)),
        "the other is refused as taken: {refused:?}"
    );
    // And one made later, after the first was seen, is refused the same way.
    assert!(matches!(
        services::accounts::create_hashed(&app.state.db, &account("Test Three"), "not-a-hash")
            .await,
        Err(services::accounts::AccountError::EmailTaken)
    ));
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
        jti: "an-expired-token".into(),
        ver: 0,
    });
    let forged = TokenKeys::new(b"another secret of at least thirty-two bytes").issue(
        &applicant.id,
        Role::Admin,
        0,
    );
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

async fn a_signed_out_token_opens_nothing_and_the_others_still_work(app: TestApp) {
    let first = app.applicant().await;
    let second = app.sign_in(&first.email).await;
    let id = app.draft(&first).await;
    let path = format!("/api/applications/{id}");

    let (status, _) = app
        .request(Method::POST, "/api/auth/logout", Some(&first.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&path, &first).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a signed-out token: {body}"
    );
    assert_eq!(body["error"], "unauthenticated");
    let (status, body) = app
        .request(Method::POST, "/api/auth/logout", Some(&first.token), None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "signing out twice: {body}"
    );
    let (status, _) = app
        .request(Method::POST, "/api/auth/logout", None, None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "signing out with no token"
    );

    assert_eq!(
        app.get(&path, &second).await.0,
        StatusCode::OK,
        "another sign-in of the same person is not signed out"
    );
}

async fn a_password_change_ends_every_token_and_needs_the_current_password(app: TestApp) {
    let first = app.applicant().await;
    let second = app.sign_in(&first.email).await;
    let id = app.draft(&first).await;
    let path = format!("/api/applications/{id}");
    let new_password = "another long password";

    let (status, body) = app
        .post(
            "/api/auth/password",
            &first,
            json!({"current_password": "not the password at all", "new_password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid");
    let (status, body) = app
        .post(
            "/api/auth/password",
            &first,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .request(
            Method::POST,
            "/api/auth/password",
            None,
            Some(json!({"current_password": PASSWORD, "new_password": new_password})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get(&path, &second).await.0,
        StatusCode::OK,
        "refused changes end nothing"
    );

    let (status, body) = app
        .post(
            "/api/auth/password",
            &first,
            json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for user in [&first, &second] {
        let (status, body) = app.get(&path, user).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_eq!(
        app.login(&first.email, PASSWORD).await.0,
        StatusCode::UNAUTHORIZED,
        "the old password no longer signs in"
    );
    let (status, body) = app.login(&first.email, new_password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        app.request(Method::GET, &path, Some(token), None).await.0,
        StatusCode::OK,
        "a token issued after the change works"
    );
}

/// Sends `failures` wrong passwords for the email; answers the last answer.
async fn fail_to_sign_in(app: &TestApp, email: &str, failures: usize) -> (StatusCode, Value) {
    let mut last = (StatusCode::OK, Value::Null);
    for _ in 0..failures {
        last = app.login(email, "not the password at all").await;
    }
    last
}

async fn login_raw(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/auth/login", app.address))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn repeated_failures_shut_an_email_for_a_doubling_while_known_or_not(app: TestApp) {
    let known = app.applicant().await;
    let unknown = "nobody-registered-this@example.test";
    let free = services::throttle::ACCOUNT_FREE_FAILURES as usize;

    for email in [known.email.as_str(), unknown] {
        // The free failures, and the one after them, are answered as any wrong password is.
        let (status, body) = fail_to_sign_in(&app, email, free + 1).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"], "invalid_credentials");
        // Now shut, for a second: even the right password is not checked.
        let response = login_raw(&app, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(retry_after, 1, "the first block lasts a second");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "too_many_attempts");
        assert_eq!(body["retry_after"], 1);
        assert!(!body["message"].as_str().unwrap().contains(email), "{body}");
    }
    // A registered email and an unknown one are shut alike: the answers do not tell which is registered.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = fail_to_sign_in(&app, unknown, 1).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let shut_unknown = login_raw(&app, unknown, PASSWORD).await;
    assert_eq!(shut_unknown.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        shut_unknown.headers()["retry-after"],
        "2",
        "the next block is twice as long"
    );

    // Once the block has passed, the right password signs in, and the failures are forgotten.
    let (status, body) = app.login(&known.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = fail_to_sign_in(&app, &known.email, free).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.login(&known.email, PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after a success the account starts again with its free failures: {body}"
    );
}

async fn many_failures_from_one_network_shut_it_for_every_email(app: TestApp) {
    let person = app.applicant().await;
    let free = services::throttle::ADDRESS_FREE_FAILURES as usize;
    // Each email fails once only, so no email is shut: only the address is.
    for n in 0..=free {
        let (status, body) = app
            .login(
                &format!("guess-{n}@example.test"),
                "not the password at all",
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {n}: {body}");
    }
    let response = login_raw(&app, &person.email, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the network is shut for every email"
    );
    assert!(response.headers().contains_key("retry-after"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = app.login(&person.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the block passes: {body}");
    assert_eq!(
        app.get("/api/applications/no-such-application", &person)
            .await
            .0,
        StatusCode::NOT_FOUND,
        "signed in tokens keep working throughout"
    );
}
