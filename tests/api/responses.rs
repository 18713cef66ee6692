//! The responses the system produces: a subject access response over a full history, redacted where it
//! must be and escaped in its letter; and an FOI response with small numbers suppressed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, award_terms, complete_form, scores};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    a_subject_access_response_holds_everything_about_the_subject_and_redacts_third_parties,
    an_foi_response_gives_statistics_with_small_numbers_suppressed_and_no_personal_data,
);

async fn a_subject_access_response_holds_everything_about_the_subject_and_redacts_third_parties(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let admin = app.staff(Role::Admin).await;
    let information = app.staff(Role::InformationOfficer).await;

    // A subject with a full history: amendment, scores, award, disclosure, immigration record.
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let mut form = complete_form();
    form["personal"]["full_name"] = json!("Test <b>Subject</b> Marker");
    form["essays"]["leadership"] = json!("I led <script>alert(1)</script> a team.");
    app.expect_ok(
        app.patch(&format!("/api/applications/{id}"), &applicant, form)
            .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/amendments"),
            &helpdesk,
            json!({"changes": {"personal.phone": "+000 1111 2222"}, "reason": "Test: new phone"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "Test"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/assignments"),
            &officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    let mut marks = scores(9);
    marks["comment"] = json!("Test opinion: outstanding");
    app.expect_ok(
        app.post(&format!("/api/applications/{id}/scores"), &member, marks)
            .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/award"),
            &officer,
            award_terms(),
        )
        .await,
    );
    let (_, recipient) = app.post("/api/recipients", &admin,
        json!({"name": "Test British High Commission Nairobi", "kind": "british_mission", "country": "Kenya"})).await;
    app.expect_ok(app.post(&format!("/api/applications/{id}/disclosures"), &officer,
        json!({"recipient_id": recipient["id"], "purpose": "Test visa letter", "fields": ["personal.full_name"]})).await);
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/immigration-records"),
            &officer,
            json!({"kind": "visa", "reference": "TEST-VISA-1", "issued_on": "2026-01-05"}),
        )
        .await,
    );

    let (status, logged) = app.post("/api/information-requests", &information, json!({
        "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
        "requester": {"name": "Test Subject", "email": applicant.email},
        "subject_email": applicant.email, "description": "Test: everything you hold about me",
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    let request = logged["id"].as_str().unwrap();
    let (status, produced) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{produced}");
    assert_eq!(produced["status"], "responded", "{produced}");
    let (status, sar) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for key in [
        "subject",
        "purposes",
        "categories",
        "recipients",
        "retention",
        "source",
        "rights",
        "automated_decision_making",
        "records",
    ] {
        assert!(!sar[key].is_null(), "{key} in the response");
    }
    let application = &sar["records"]["applications"][0];
    assert_eq!(application["id"], json!(id));
    let personal = &application["personal"];
    for (field, value) in [
        ("full_name", "Test <b>Subject</b> Marker"),
        ("date_of_birth", "1998-04-12"),
        ("email", "applicant.marker@example.test"),
        ("phone", "+000 1111 2222"),
        ("address", "1 Test Street, Testtown"),
        ("nationality", "Kenya"),
        ("country_of_residence", "Kenya"),
    ] {
        assert_eq!(personal[field], value, "personal.{field}");
    }
    assert_eq!(
        application["amendments"][0]["changes"][0]["old"], "+000 0000 0000",
        "the old value is given too"
    );
    assert_eq!(
        application["committee_opinions"][0]["scores"]["comment"],
        "Test opinion: outstanding"
    );
    assert_eq!(
        application["committee_opinions"][0]["committee_member"],
        "Committee member 1"
    );
    let text = sar.to_string();
    assert!(
        !text.contains(&member.id),
        "committee members' identities are withheld"
    );
    assert!(
        !text.contains("Test Referee One") && !text.contains("referee1@example.test"),
        "referees are withheld"
    );
    assert_eq!(
        sar["recipients"][0]["recipient"],
        "Test British High Commission Nairobi"
    );
    assert_eq!(
        sar["records"]["immigration_records"][0]["reference"],
        "TEST-VISA-1"
    );
    assert_eq!(sar["records"]["account"]["email"], json!(applicant.email));
    assert_eq!(
        sar["automated_decision_making"]
            .as_str()
            .map(|s| s.starts_with("none")),
        Some(true)
    );
    assert!(
        sar["retention"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "Indefinitely"),
        "the award is kept for ever"
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
    assert!(
        letter.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = letter.text().await.unwrap();
    assert!(
        html.contains("Test &lt;b&gt;Subject&lt;/b&gt; Marker"),
        "markup in the subject's data is escaped"
    );
    assert!(!html.contains("<script>alert(1)</script>") && !html.contains("<b>Subject</b>"));
    assert!(html.contains("Test British High Commission Nairobi"));
    assert!(html.contains("Committee member 1"));

    let (status, again) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"], "already_answered");
    let (status, _) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn an_foi_response_gives_statistics_with_small_numbers_suppressed_and_no_personal_data(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    for _ in 0..5 {
        let applicant = app.applicant().await;
        app.submitted(&applicant).await;
    }
    app.awarded(&officer).await;
    let (_, logged) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "foi", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Journalist", "email": "journalist@example.test"},
                "description": "Test: how many applications and awards by country",
            }),
        )
        .await;
    let request = logged["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, foi) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    let rows = foi["statistics"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{foi}");
    assert_eq!(rows[0]["country"], "Kenya");
    assert_eq!(rows[0]["applications"], 6);
    assert_eq!(
        rows[0]["awards"], "fewer than 5",
        "one award could identify its scholar"
    );
    assert_eq!(
        foi["exemptions"][0]["section"],
        "s.40(2) Freedom of Information Act 2000"
    );
    let text = foi.to_string();
    assert!(
        !text.contains("Test Applicant") && !text.contains("@example.test"),
        "no personal data: {text}"
    );
    let (status, html) = app
        .request(
            Method::GET,
            &format!("/api/information-requests/{request}/response?format=html"),
            Some(&information.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html, Value::Null, "the letter is HTML, not JSON");
}
