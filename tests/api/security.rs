//! Who looked at my data: every read of an application's personal data by staff is recorded, the
//! information officer lists it, and a subject access response includes it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    every_staff_read_of_an_application_is_recorded_and_listed_for_the_information_officer,
    a_subject_access_response_says_when_staff_read_the_subjects_data,
);

async fn reads(app: &TestApp, information: &User, id: &str) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/api/applications/{id}/reads"), information)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn every_staff_read_of_an_application_is_recorded_and_listed_for_the_information_officer(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let information = app.staff(Role::InformationOfficer).await;
    let id = app.under_review(&officer, &member).await;
    let path = format!("/api/applications/{id}");
    let before = reads(&app, &information, &id).await;
    // Taking the case to review answered the officer with the application twice (eligibility, assignment).
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(
        before
            .iter()
            .all(|read| read["reader_id"] == officer.id.as_str())
    );

    for reader in [&officer, &member, &helpdesk] {
        let (status, body) = app.get(&path, reader).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let other_applicant = app.applicant().await;
    assert_eq!(
        app.get(&path, &other_applicant).await.0,
        StatusCode::NOT_FOUND,
        "a refused read shows nothing and records nothing"
    );

    let after = reads(&app, &information, &id).await;
    let new: Vec<&Value> = after.iter().skip(before.len()).collect();
    assert_eq!(new.len(), 3, "{after:?}");
    let who: Vec<(&str, &str)> = new
        .iter()
        .map(|read| {
            (
                read["reader_id"].as_str().unwrap(),
                read["reader_role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            (officer.id.as_str(), "programme_officer"),
            (member.id.as_str(), "committee_member"),
            (helpdesk.id.as_str(), "helpdesk"),
        ]
    );
    for read in &new {
        assert_eq!(read["through"], "api");
        assert_eq!(read["reader_name"], "Test Staff");
        assert!(read["at"].as_str().unwrap().contains('T'), "{read}");
    }
    // The list itself reads no personal data of the application; only the information officer has it.
    for refused in [&officer, &helpdesk, &member] {
        let (status, body) = app
            .get(&format!("/api/applications/{id}/reads"), refused)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(
        app.get("/api/applications/no-such-application/reads", &information)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn a_subject_access_response_says_when_staff_read_the_subjects_data(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let path = format!("/api/applications/{id}");
    assert_eq!(app.get(&path, &applicant).await.0, StatusCode::OK);
    assert_eq!(app.get(&path, &officer).await.0, StatusCode::OK);

    let (status, body) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": applicant.email},
                "subject_email": applicant.email, "description": "Test: my data",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let request = body["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let listed = response["records"]["reads_of_your_data"]
        .as_array()
        .unwrap();
    assert_eq!(
        listed.len(),
        1,
        "the officer's read, not the applicant's own: {listed:?}"
    );
    assert_eq!(listed[0]["reader_role"], "programme_officer");
    assert_eq!(listed[0]["application_id"], id.as_str());
    assert!(
        listed[0].get("reader_id").is_none(),
        "staff are not named to the subject"
    );
    assert!(
        response["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("read your application")),
        "{}",
        response["categories"]
    );
    let letter = app
        .client
        .get(format!(
            "{}/api/information-requests/{request}/response?format=html",
            app.address
        ))
        .bearer_auth(&information.token)
        .send()
        .await
        .unwrap();
    assert_eq!(letter.status(), StatusCode::OK);
    let letter = letter.text().await.unwrap();
    assert!(
        letter.contains("When EtP staff looked at your data")
            && letter.contains("(programme_officer) read application"),
        "the letter lists the reads"
    );
    // Producing the response read the subject's application: that read is recorded too.
    let recorded = reads(&app, &information, &id).await;
    assert_eq!(
        recorded.last().unwrap()["through"],
        "subject_access_response"
    );
    assert_eq!(
        recorded.last().unwrap()["reader_id"],
        information.id.as_str()
    );
}
