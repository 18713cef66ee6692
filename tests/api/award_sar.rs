//! The award's administration in subject access responses (issue 25): a supervisor is a data subject, found
//! by a request made with their email address, given their own details and the reports they gave with the
//! scholar withheld; the index follows a change of supervisor and the application's destruction; and a
//! scholar's response holds their offer, supervisor, report schedule, reports and result, in words in the
//! letter.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::application::ApplicationCommand;
use domain::retention::RecordKind;
use domain::{Actor, Role};

on_both_stores!(
    a_sar_of_a_supervisors_email_finds_them_and_withholds_the_scholar,
    a_scholars_sar_gives_the_administration_of_their_award_in_words,
);

fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

/// A subject access request by this email address, answered: the request's id and the response.
async fn sar(app: &TestApp, information: &User, email: &str) -> (String, Value) {
    let (status, request) = app
        .post(
            "/api/information-requests",
            information,
            json!({"kind": "sar", "received_on": Utc::now().date_naive().to_string(),
                   "requester": {"name": "Test Requester", "email": email},
                   "subject_email": email, "description": "Test: what you hold"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_str().unwrap().to_string();
    let path = format!("/api/information-requests/{id}/response");
    app.expect_ok(app.post(&path, information, json!({})).await);
    let response = app.expect_ok(app.get(&path, information).await);
    (id, response)
}

/// The response's letter, as the text of its HTML, its white space made single spaces.
async fn letter_text(app: &TestApp, user: &User, request: &str) -> String {
    let html = app
        .client
        .get(format!(
            "{}/api/information-requests/{request}/response?format=html",
            app.address
        ))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let text = services::readable::html_text(&html.text().await.unwrap());
    text.replace('\u{a0}', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn supervisor(name: &str, email: &str) -> Value {
    json!({"name": name, "email": email, "institution": "Test Institute of Studies",
           "department": "Test Department of Examples"})
}

async fn a_sar_of_a_supervisors_email_finds_them_and_withholds_the_scholar(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let scholar = app.applicant().await;
    let id = app.awarded_for(&scholar, &officer).await;
    let email = format!("supervisor-{}@example.test", uuid::Uuid::new_v4().simple());
    let unrelated = format!("nobody-{}@example.test", uuid::Uuid::new_v4().simple());
    app.expect_ok(
        app.put(
            &at(&id, "/supervisor"),
            &officer,
            supervisor("Test Supervisor One", &email.to_uppercase()),
        )
        .await,
    );
    // Their department is corrected: the history holds both.
    let mut moved = supervisor("Test Supervisor One", &email);
    moved["department"] = json!("Test Department of Corrections");
    app.expect_ok(app.put(&at(&id, "/supervisor"), &officer, moved).await);
    for (source, text) in [
        ("supervisor", "Test report from the supervisor."),
        ("scholar", "Test report from the scholar."),
    ] {
        let (status, body) = app
            .post(
                &at(&id, "/progress-reports"),
                &officer,
                json!({"period": "Test term", "source": source, "rating": "good", "text": text}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let (request, response) = sar(&app, &information, &email).await;
    let found = response["records"]["supervision"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{response}");
    let record = &found[0];
    assert_eq!(
        record["found_by"],
        "recorded as the academic supervisor on a scholar's award"
    );
    assert_eq!(record["supervisor_now"], json!(true));
    let details = record["your_details_as_recorded"].as_array().unwrap();
    assert_eq!(details.len(), 2, "each recording: {record}");
    assert_eq!(details[0]["email"], json!(email.to_uppercase()));
    assert_eq!(details[0]["department"], "Test Department of Examples");
    assert_eq!(details[1]["department"], "Test Department of Corrections");
    assert_eq!(details[1]["institution"], "Test Institute of Studies");
    let reports = record["progress_reports_from_you"].as_array().unwrap();
    assert_eq!(
        reports.len(),
        1,
        "only the supervisor's own report: {record}"
    );
    assert_eq!(
        reports[0]["report_text"],
        "Test report from the supervisor."
    );
    assert_eq!(reports[0]["rating"], "Good");
    assert_eq!(record["scholar"], services::responses::REDACTED);
    assert!(
        record["withheld"]
            .as_str()
            .is_some_and(|why| why.contains("scholar's identity")),
        "{record}"
    );
    assert!(
        response["withheld"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["ground"] == "third_party"
                && item["item"]
                    .as_str()
                    .is_some_and(|what| what.contains("scholar you supervise"))),
        "{response}"
    );
    assert!(
        response["subject"]["names"]
            .to_string()
            .contains("Test Supervisor One"),
        "{response}"
    );
    assert!(
        response["categories"]
            .to_string()
            .contains("academic supervisor"),
        "{response}"
    );
    // Nothing of the scholar reaches the supervisor: not their name, email or the scholar's own report.
    let text = response.to_string();
    for theirs in [
        "Test Applicant Marker",
        "applicant.marker@example.test",
        &scholar.email,
        "Test report from the scholar.",
    ] {
        assert!(!text.contains(theirs), "{theirs} in {response}");
    }
    assert!(response["records"]["account"].is_null(), "{response}");
    assert_eq!(response["records"]["applications"], json!([]));
    let letter = letter_text(&app, &information, &request).await;
    for said in [
        "Your part as an academic supervisor",
        "Your details as recorded",
        "Department",
        "Test Department of Corrections",
        "Progress reports you gave",
        "What the report says",
        "Test report from the supervisor.",
    ] {
        assert!(letter.contains(said), "the letter says {said:?}: {letter}");
    }
    assert!(!letter.contains("Test Applicant Marker"), "{letter}");

    // Someone unrelated is found in no award.
    let (_, response) = sar(&app, &information, &unrelated).await;
    assert_eq!(response["records"]["supervision"], json!([]), "{response}");

    // A new supervisor: both are found, the earlier one as supervisor before, not now.
    let second = format!("supervisor-{}@example.test", uuid::Uuid::new_v4().simple());
    app.expect_ok(
        app.put(
            &at(&id, "/supervisor"),
            &officer,
            supervisor("Test Supervisor Two", &second),
        )
        .await,
    );
    let (_, response) = sar(&app, &information, &second).await;
    let found = response["records"]["supervision"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{response}");
    assert_eq!(found[0]["supervisor_now"], json!(true));
    assert_eq!(
        found[0]["progress_reports_from_you"],
        json!([]),
        "the first supervisor's report is not the second's"
    );
    let (_, response) = sar(&app, &information, &email).await;
    let found = response["records"]["supervision"].as_array().unwrap();
    assert_eq!(found.len(), 1, "still held: {response}");
    assert_eq!(found[0]["supervisor_now"], json!(false));
    assert!(
        found[0]["supervision"]
            .as_str()
            .is_some_and(|s| s.contains("were recorded")),
        "{response}"
    );

    // Once the award's personal data is destroyed, neither is found.
    app.state
        .execute_application(
            &id,
            &Actor::new("test-information", Role::InformationOfficer),
            ApplicationCommand::ReapplyDestruction {
                rule: RecordKind::Award,
                destroyed_on: Utc::now().date_naive(),
            },
        )
        .await
        .expect("the award is destroyed");
    for who in [&email, &second] {
        let (_, response) = sar(&app, &information, who).await;
        assert_eq!(response["records"]["supervision"], json!([]), "{response}");
    }
    // A rebuild indexes the supervisors again from the log: still nobody for a destroyed award.
    app.state.repo.rebuild_projections().await.unwrap();
    let (_, response) = sar(&app, &information, &second).await;
    assert_eq!(response["records"]["supervision"], json!([]), "{response}");
}

async fn a_scholars_sar_gives_the_administration_of_their_award_in_words(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let scholar = app.applicant().await;
    let id = app.decided_for(&scholar, &officer, "selected").await;
    let reply_by = Utc::now().date_naive() + chrono::Days::new(14);
    let (status, body) = app
        .post(
            &at(&id, "/offer"),
            &officer,
            json!({"reply_by": reply_by.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.expect_ok(
        app.post(&at(&id, "/offer/accept"), &scholar, json!({}))
            .await,
    );
    app.expect_ok(
        app.post(&at(&id, "/award"), &officer, crate::helpers::award_terms())
            .await,
    );
    let email = format!("supervisor-{}@example.test", uuid::Uuid::new_v4().simple());
    app.expect_ok(
        app.put(
            &at(&id, "/supervisor"),
            &officer,
            supervisor("Test Supervisor Three", &email),
        )
        .await,
    );
    let (status, body) = app
        .post(
            &at(&id, "/progress-reports"),
            &officer,
            json!({"period": "Test autumn term", "source": "supervisor", "rating": "excellent", "text": "Test progress beyond expectations."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let released_on = Utc::now().date_naive();
    app.expect_ok(
        app.post(
            &at(&id, "/result"),
            &officer,
            json!({"qualification": "MSc Test Studies", "result": "Distinction",
                   "released_on": released_on.to_string(), "released_by": "Test Registry"}),
        )
        .await,
    );

    let (request, response) = sar(&app, &information, &scholar.email).await;
    let applications = response["records"]["applications"].as_array().unwrap();
    assert_eq!(applications.len(), 1, "{response}");
    let administration = &applications[0]["award_administration"];
    assert_eq!(
        administration["offer"]["reply_by"],
        json!(reply_by.to_string())
    );
    assert_eq!(administration["offer"]["your_reply"], "accepted");
    assert_eq!(
        administration["supervisor"]["name"],
        "Test Supervisor Three"
    );
    assert_eq!(
        administration["supervisor_history"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let schedule = administration["report_schedule"].as_array().unwrap();
    assert_eq!(
        schedule.len(),
        3,
        "termly for a one-year course: {administration}"
    );
    assert_eq!(schedule[0]["report"], "received");
    assert_eq!(schedule[1]["report"], "not received yet");
    let report = &administration["progress_reports"][0];
    assert_eq!(report["report_from"], "the academic supervisor");
    assert_eq!(report["rating"], "Excellent");
    assert_eq!(report["report_text"], "Test progress beyond expectations.");
    assert_eq!(administration["result"]["result"], "Distinction");
    assert_eq!(
        administration["result"]["released_on"],
        json!(released_on.to_string())
    );
    // The scholar's own response finds no supervision of theirs.
    assert_eq!(response["records"]["supervision"], json!([]));

    let letter = letter_text(&app, &information, &request).await;
    for said in [
        "The administration of your award",
        "The offer of a scholarship",
        "Reply by",
        "Your reply",
        "Academic supervisor",
        "Test Supervisor Three",
        "When progress reports fall due",
        "not received yet",
        "Progress reports",
        "Report from",
        "the academic supervisor",
        "What the report says",
        "Test progress beyond expectations.",
        "Qualification",
        "MSc Test Studies",
        "Released by",
        "Test Registry",
    ] {
        assert!(letter.contains(said), "the letter says {said:?}: {letter}");
    }
    assert!(
        letter.contains(&reply_by.format("%-d %B %Y").to_string()),
        "the reply-by date as people write it: {letter}"
    );
}
