//! Finding the whole subject of a subject access request: a request made with the email address written in
//! an application's form (not the account's own) finds that application and the account that made it; a
//! referee's request finds the applications naming them, with only their own part in each; requests made by
//! or naming the subject, and the letters sent, are listed; and each record says how it was found.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, complete_form};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(a_sar_by_the_email_in_the_form_finds_the_account_and_says_how);
on_both_stores!(a_referees_sar_finds_their_references_and_withholds_the_applicant);
on_both_stores!(a_sar_lists_requests_naming_the_subject_and_those_they_made_each_saying_which);
on_both_stores!(a_sar_lists_the_letters_sent_to_the_subject);

/// Logs a request and produces its response; gives the request's id and the response.
async fn respond(app: &TestApp, information: &User, body: Value) -> (String, Value) {
    let (status, request) = app
        .post("/api/information-requests", information, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_str().unwrap().to_string();
    let path = format!("/api/information-requests/{id}/response");
    app.expect_ok(app.post(&path, information, json!({})).await);
    let response = app.expect_ok(app.get(&path, information).await);
    (id, response)
}

/// A subject access request by this email address, answered.
async fn sar(app: &TestApp, information: &User, email: &str) -> (String, Value) {
    respond(
        app,
        information,
        json!({"kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
               "requester": {"name": "Test Requester", "email": email},
               "subject_email": email, "description": "Test: what you hold"}),
    )
    .await
}

/// Every record under `records` says how it was found.
fn every_record_says_how_it_was_found(response: &Value) {
    for (kind, records) in response["records"].as_object().unwrap() {
        let records = match records {
            Value::Array(items) => items.clone(),
            Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        for record in records {
            assert!(
                record["found_by"]
                    .as_str()
                    .is_some_and(|how| !how.is_empty()),
                "{kind}: {record}"
            );
        }
    }
}

async fn a_referees_sar_finds_their_references_and_withholds_the_applicant(app: TestApp) {
    let referee_email = format!("referee-{}@example.test", uuid::Uuid::new_v4().simple());
    let owner = app.applicant().await;
    let id = app.draft(&owner).await;
    let mut form = complete_form();
    form["referees"][0] =
        json!({"name": "Test Referee Marker", "email": referee_email.to_uppercase()});
    app.expect_ok(
        app.patch(&format!("/api/applications/{id}"), &owner, form.clone())
            .await,
    );
    let information = app.staff(Role::InformationOfficer).await;

    let (_, response) = sar(&app, &information, &referee_email).await;
    let references = response["records"]["references"].as_array().unwrap();
    assert_eq!(references.len(), 1, "{response}");
    let reference = &references[0];
    assert_eq!(
        reference["your_name_as_given"],
        json!("Test Referee Marker")
    );
    assert_eq!(
        reference["your_email_as_given"],
        json!(referee_email.to_uppercase())
    );
    assert_eq!(
        reference["found_by"],
        json!("named as a referee in an application")
    );
    assert!(
        reference["reference"]
            .as_str()
            .is_some_and(|fact| fact.contains("named as a referee") && fact.contains("2026-27")),
        "{reference}"
    );
    assert!(
        reference["withheld"]
            .as_str()
            .is_some_and(|why| why.contains("applicant"))
    );
    // Nothing of the applicant reaches the referee: not their name, email, essays or the application's status.
    let text = response.to_string();
    for applicant in [
        "Test Applicant Marker",
        "applicant.marker@example.test",
        &owner.email,
        "study group",
        "\"status\"",
    ] {
        assert!(!text.contains(applicant), "{applicant} in {response}");
    }
    assert!(response["records"]["account"].is_null(), "{response}");
    assert_eq!(response["records"]["applications"], json!([]));
    assert!(
        response["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.contains("referee"))),
        "{response}"
    );
    assert!(
        response["source"]
            .as_str()
            .is_some_and(|source| source.contains("the applicant who named you")),
        "{response}"
    );
    every_record_says_how_it_was_found(&response);

    // Once the applicant names someone else, the application no longer names them.
    form["referees"][0] =
        json!({"name": "Test Referee Other", "email": "referee-other@example.test"});
    app.expect_ok(
        app.patch(&format!("/api/applications/{id}"), &owner, form)
            .await,
    );
    let (_, response) = sar(&app, &information, &referee_email).await;
    assert_eq!(response["records"]["references"], json!([]), "{response}");

    // An application destroyed (here erased at its owner's request) names no one any more.
    let second = app.applicant().await;
    let erased = app.draft(&second).await;
    let mut form = complete_form();
    form["referees"][0] = json!({"name": "Test Referee Marker", "email": referee_email});
    app.expect_ok(
        app.patch(&format!("/api/applications/{erased}"), &second, form)
            .await,
    );
    let (_, response) = sar(&app, &information, &referee_email).await;
    assert_eq!(
        response["records"]["references"].as_array().map(Vec::len),
        Some(1),
        "{response}"
    );
    let (status, request) = app
        .post(
            "/api/information-requests",
            &information,
            json!({"kind": "erasure", "received_on": chrono::Utc::now().date_naive().to_string(),
                   "requester": {"name": "Test Requester", "email": second.email},
                   "subject_email": second.email, "description": "Test: erase my data"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    app.expect_ok(
        app.post(
            &format!(
                "/api/information-requests/{}/erasure",
                request["id"].as_str().unwrap()
            ),
            &information,
            json!({"approve": true, "reason": "Test"}),
        )
        .await,
    );
    let (_, response) = sar(&app, &information, &referee_email).await;
    assert_eq!(response["records"]["references"], json!([]), "{response}");
}

async fn a_sar_lists_requests_naming_the_subject_and_those_they_made_each_saying_which(
    app: TestApp,
) {
    let subject = app.applicant().await;
    app.complete_draft(&subject).await;
    let information = app.staff(Role::InformationOfficer).await;
    // Someone else asks to correct the subject's data; then the subject asks for their data.
    let (other, _) = {
        let (status, request) = app
            .post(
                "/api/information-requests",
                &information,
                json!({"kind": "rectification", "received_on": chrono::Utc::now().date_naive().to_string(),
                       "requester": {"name": "Test Representative", "email": "representative@example.test"},
                       "subject_email": subject.email, "description": "Test: correct the address"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        (request["id"].as_str().unwrap().to_string(), request)
    };
    let (own, response) = sar(&app, &information, &subject.email).await;
    let requests = response["records"]["requests"].as_array().unwrap();
    let of = |id: &str| {
        requests
            .iter()
            .find(|r| r["id"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {response}"))
    };
    let theirs = of(&other);
    assert_eq!(
        theirs["your_part"],
        json!("it names you as the person it is about")
    );
    assert_eq!(
        theirs["found_by"],
        json!("a request naming you as the person it is about")
    );
    assert_eq!(
        theirs["made_by"],
        json!(services::responses::REDACTED),
        "the requester is a third party"
    );
    assert!(
        !response.to_string().contains("Test Representative"),
        "{response}"
    );
    assert!(
        !response.to_string().contains("representative@example.test"),
        "{response}"
    );
    let mine = of(&own);
    assert_eq!(mine["made_by"], json!("you"));
    assert_eq!(mine["found_by"], json!("a request you made about yourself"));
    every_record_says_how_it_was_found(&response);
}

async fn a_sar_lists_the_letters_sent_to_the_subject(app: TestApp) {
    let subject = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    app.decided_for(&subject, &officer, "unsuccessful").await;
    let information = app.staff(Role::InformationOfficer).await;
    sar(&app, &information, &subject.email).await;
    let (_, response) = sar(&app, &information, &subject.email).await;
    let letters = response["records"]["letters"].as_array().unwrap();
    assert!(
        letters.iter().any(|l| l["letter"]
            == json!("the letter telling you that your application was not successful")
            && l["found_by"] == json!("a letter issued on your application")
            && l["issued_at"].is_string()),
        "{response}"
    );
    assert!(
        letters.iter().any(
            |l| l["letter"] == json!("the response to the subject access request")
                && l["sent"] == json!("to you")
                && l["issued_on"].is_string()
        ),
        "the first response is listed: {response}"
    );
    every_record_says_how_it_was_found(&response);
}

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
