//! Time travel: an application as it stood at a given moment (`GET /api/applications/{id}?as_of=`),
//! replayed from the log, for the staff who see whole cases.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, complete_form};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    staff_see_an_application_as_it_stood_at_each_moment_of_its_history,
    time_travel_is_refused_to_others_and_for_a_time_that_is_not_one,
    the_case_page_shows_the_case_as_it_stood_and_offers_no_action_on_the_past,
);

/// A moment between two commands: after the one before, before the one after.
async fn moment() -> DateTime<Utc> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    // To the microsecond, as the address carries it.
    let now = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    now
}

fn as_of(id: &str, at: DateTime<Utc>) -> String {
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    format!("/api/applications/{id}?as_of={}", at.replace('+', "%2B"))
}

async fn staff_see_an_application_as_it_stood_at_each_moment_of_its_history(app: TestApp) {
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;

    let before_it_began = moment().await;
    let id = app.draft(&applicant).await;
    let empty_draft = moment().await;
    let (status, _) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            complete_form(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let complete = moment().await;
    let (status, _) = app
        .post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let submitted = moment().await;
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/amendments"),
            &helpdesk,
            json!({"changes": {"personal.full_name": "Test Amended Name"}, "reason": "Test: a typo"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let amended = moment().await;

    let (status, body) = app.get(&as_of(&id, before_it_began), &officer).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not been started")
    );

    let (status, body) = app.get(&as_of(&id, empty_draft), &officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], json!("draft"));
    assert_eq!(body["personal"]["full_name"], Value::Null);
    assert_eq!(body["as_of"], json!(empty_draft));

    let (_, body) = app.get(&as_of(&id, complete), &officer).await;
    assert_eq!(body["status"], json!("draft"));
    assert_eq!(
        body["personal"]["full_name"],
        json!("Test Applicant Marker")
    );
    assert_eq!(body["submitted_at"], Value::Null);

    let (_, body) = app.get(&as_of(&id, submitted), &officer).await;
    assert_eq!(body["status"], json!("submitted"));
    assert_eq!(
        body["personal"]["full_name"],
        json!("Test Applicant Marker")
    );
    assert!(body["submitted_at"].is_string());

    let (_, body) = app.get(&as_of(&id, amended), &officer).await;
    assert_eq!(body["personal"]["full_name"], json!("Test Amended Name"));

    // Now, replayed in memory, is what the view of today holds, field for field.
    let (_, mut replayed) = app.get(&as_of(&id, Utc::now()), &officer).await;
    replayed.as_object_mut().unwrap().remove("as_of");
    let (_, today) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(replayed, today);

    // Each staff role that reads cases may look back, seeing what its role sees; each read is recorded. An
    // administrator reads no application, then or now.
    for role in [Role::Helpdesk, Role::InformationOfficer] {
        let staff = app.staff(role).await;
        let (status, body) = app.get(&as_of(&id, submitted), &staff).await;
        assert_eq!(status, StatusCode::OK, "{role:?}: {body}");
    }
    let admin = app.staff(Role::Admin).await;
    let (status, body) = app.get(&as_of(&id, submitted), &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let information = app.staff(Role::InformationOfficer).await;
    let (_, reads) = app
        .get(&format!("/api/applications/{id}/reads"), &information)
        .await;
    assert!(
        reads
            .as_array()
            .unwrap()
            .iter()
            .any(|read| read["reader_id"] == json!(officer.id)),
        "{reads}"
    );
}

async fn time_travel_is_refused_to_others_and_for_a_time_that_is_not_one(app: TestApp) {
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review_for(&applicant, &officer, &member).await;
    let path = as_of(&id, Utc::now());

    for bad in ["yesterday", "2026-05-01", "2026-13-01T00:00:00Z", ""] {
        let (status, body) = app
            .get(&format!("/api/applications/{id}?as_of={bad}"), &officer)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["problems"][0]["path"], json!("as_of"));
    }
    // The owner and the assigned member see the application today, but not its past.
    for user in [&applicant, &member] {
        let (status, body) = app.get(&path, user).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = app.get(&format!("/api/applications/{id}"), user).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = app.request(Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .get(
            &as_of("0196f0c1-0000-7000-8000-000000000000", Utc::now()),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_case_page_shows_the_case_as_it_stood_and_offers_no_action_on_the_past(app: TestApp) {
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.complete_draft(&applicant).await;
    let drafted = moment().await;
    let (status, _) = app
        .post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let mut browser = crate::pages::sign_in(&app, &officer.email).await;
    let today = browser.get(&format!("/cases/{id}")).await;
    assert_eq!(today.status, StatusCode::OK);
    assert!(
        today
            .body
            .contains(&format!("action=\"/cases/{id}/eligibility\""))
    );
    let history = browser.get(&format!("/cases/{id}?tab=history")).await;
    assert!(history.body.contains("id=\"time-travel\""));

    let at = drafted.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let past = browser.get(&format!("/cases/{id}?as_of={at}")).await;
    assert_eq!(past.status, StatusCode::OK, "{}", past.body);
    assert!(past.body.contains("as it stood on"), "{}", past.body);
    assert!(
        past.body.contains("id=\"status\">Draft: not submitted<"),
        "the status then"
    );
    assert!(
        !past
            .body
            .contains(&format!("action=\"/cases/{id}/eligibility\""))
    );
    let past_history = browser
        .get(&format!("/cases/{id}?tab=history&as_of={at}"))
        .await;
    assert!(past_history.body.contains("Application started"));
    assert!(
        !past_history.body.contains("Application submitted"),
        "the history stops then"
    );

    // A browser's date-and-time field, a minute from now: the case as it stands.
    let soon = (Utc::now() + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M");
    let now = browser.get(&format!("/cases/{id}?as_of={soon}")).await;
    assert_eq!(now.status, StatusCode::OK);
    assert!(
        now.body
            .contains("id=\"status\">Awaiting eligibility check<"),
        "{}",
        now.body
    );

    let bad = browser.get(&format!("/cases/{id}?as_of=someday")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter a date and time"));
}
