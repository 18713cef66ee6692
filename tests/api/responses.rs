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
    an_foi_answer_says_the_information_is_not_held,
    an_foi_answer_may_neither_confirm_nor_deny,
    an_foi_answer_releases_a_part_and_refuses_parts_under_two_exemptions,
    an_foi_answer_counts_applications_by_country_over_three_cycles_with_small_counts_suppressed,
    a_bad_foi_answer_is_refused_naming_the_field,
    an_foi_request_answered_with_no_body_gives_the_statistics_as_before,
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

async fn foi_request(app: &TestApp, information: &crate::helpers::User) -> String {
    let (status, logged) = app
        .post(
            "/api/information-requests",
            information,
            json!({
                "kind": "foi", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Journalist", "email": "journalist@example.test"},
                "description": "Test: a question about the programme",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    logged["id"].as_str().unwrap().to_string()
}

/// Answers the request with the body: the JSON response kept and the letter.
async fn answered(
    app: &TestApp,
    information: &crate::helpers::User,
    request: &str,
    body: Value,
) -> (Value, String) {
    let (status, produced) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            information,
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{produced}");
    assert_eq!(produced["status"], "responded", "{produced}");
    let (status, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            information,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
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
    (response, letter.text().await.unwrap())
}

const REVIEW: &str = "ask us, within 40 working days, to review it";
const COMPLAINT: &str = "complain to the Information Commissioner&#x27;s Office under s.50";

async fn an_foi_answer_says_the_information_is_not_held(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let request = foi_request(&app, &information).await;
    let (response, letter) = answered(
        &app,
        &information,
        &request,
        json!({"held": "not_held", "answer": "Test: we do not record how applicants heard of the programme."}),
    )
    .await;
    assert_eq!(response["held"], "not_held", "{response}");
    assert_eq!(
        response["answer"],
        "Test: we do not record how applicants heard of the programme."
    );
    assert!(response.get("statistics").is_none(), "{response}");
    assert!(
        letter.contains("We do not hold the information you asked for."),
        "{letter}"
    );
    assert!(letter.contains("Test: we do not record how applicants heard of the programme."));
    assert!(
        letter.contains(REVIEW) && letter.contains(COMPLAINT),
        "{letter}"
    );
}

async fn an_foi_answer_may_neither_confirm_nor_deny(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let request = foi_request(&app, &information).await;
    let (response, letter) = answered(
        &app,
        &information,
        &request,
        json!({"held": "neither_confirm_nor_deny", "answer": "",
               "refusals": [{"part": "Whether a named person applied", "section": "s.40(2)",
                             "reason": "Test: to confirm or deny would itself say whether that person applied"}]}),
    )
    .await;
    assert_eq!(response["held"], "neither_confirm_nor_deny", "{response}");
    assert_eq!(
        response["refusals"][0]["section"],
        "s.40(2) Freedom of Information Act 2000"
    );
    assert!(
        letter.contains(
            "We can neither confirm nor deny whether we hold the information you asked for."
        ),
        "{letter}"
    );
    assert!(letter.contains("Whether a named person applied"));
    assert!(
        letter.contains(REVIEW) && letter.contains(COMPLAINT),
        "{letter}"
    );
}

async fn an_foi_answer_releases_a_part_and_refuses_parts_under_two_exemptions(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let request = foi_request(&app, &information).await;
    let (response, letter) = answered(
        &app,
        &information,
        &request,
        json!({
            "held": "held",
            "answer": "Test: the programme's budget for 2026-27 is published in our annual report.",
            "refusals": [
                {"part": "The fees agreed with each university", "section": "43(2)",
                 "reason": "Test: the universities' negotiating positions would be prejudiced",
                 "public_interest": "Test: the public interest in fair negotiations outweighs it"},
                {"part": "The names of the committee's members' referees", "section": "personal_data",
                 "reason": "Test: they are third parties' personal data"},
            ],
        }),
    )
    .await;
    assert_eq!(response["held"], "held");
    let refusals = response["refusals"].as_array().unwrap();
    assert_eq!(refusals.len(), 2, "{response}");
    assert_eq!(
        refusals[0]["section"],
        "s.43(2) Freedom of Information Act 2000"
    );
    assert_eq!(
        refusals[0]["public_interest"],
        "Test: the public interest in fair negotiations outweighs it"
    );
    assert_eq!(
        refusals[1]["section"],
        "s.40(2) Freedom of Information Act 2000"
    );
    assert_eq!(
        refusals[1]["reason"],
        "Test: they are third parties' personal data"
    );
    assert!(letter.contains("We hold the information you asked for."));
    assert!(
        letter.contains("Test: the programme&#x27;s budget for 2026-27"),
        "{letter}"
    );
    for expected in [
        "The fees agreed with each university",
        "s.43(2) Freedom of Information Act 2000",
        "Test: the universities&#x27; negotiating positions would be prejudiced",
        "information whose disclosure would prejudice anyone&#x27;s commercial interests is exempt",
        "Test: the public interest in fair negotiations outweighs it",
        "s.40(2) Freedom of Information Act 2000",
        "Test: they are third parties&#x27; personal data",
        REVIEW,
        COMPLAINT,
    ] {
        assert!(letter.contains(expected), "{expected} in {letter}");
    }
}

async fn an_foi_answer_counts_applications_by_country_over_three_cycles_with_small_counts_suppressed(
    app: TestApp,
) {
    use std::collections::BTreeMap;
    let information = app.staff(Role::InformationOfficer).await;
    // (cycle, country of residence, submitted) for each application seeded.
    let mut seeded: Vec<(&str, &str, bool)> = Vec::new();
    for _ in 0..5 {
        seeded.push(("2025-26", "Kenya", true));
    }
    seeded.push(("2025-26", "Ghana", true));
    seeded.push(("2026-27", "Kenya", true));
    seeded.push(("2026-27", "Kenya", true));
    seeded.push(("2026-27", "Kenya", false)); // a draft is not counted
    for _ in 0..6 {
        seeded.push(("2027-28", "Ghana", true));
    }
    seeded.push(("2028-29", "Ghana", true)); // outside the cycles asked for
    // An applicant applies once a cycle: a new applicant for each application of a cycle beyond the first.
    let mut applicants = Vec::new();
    let mut in_cycle: BTreeMap<&str, usize> = BTreeMap::new();
    for (cycle, country, submitted) in &seeded {
        let n = in_cycle.entry(cycle).or_default();
        if applicants.len() <= *n {
            applicants.push(app.applicant().await);
        }
        let applicant = &applicants[*n];
        *n += 1;
        let created = app.expect_ok(
            app.post("/api/applications", applicant, json!({"cycle": cycle}))
                .await,
        );
        let id = created["id"].as_str().unwrap().to_string();
        let mut form = complete_form();
        form["personal"]["country_of_residence"] = json!(country);
        app.expect_ok(
            app.patch(&format!("/api/applications/{id}"), applicant, form)
                .await,
        );
        if *submitted {
            app.expect_ok(
                app.post(
                    &format!("/api/applications/{id}/submit"),
                    applicant,
                    json!({}),
                )
                .await,
            );
        }
    }
    let cycles = ["2025-26", "2026-27", "2027-28"];
    // The counts, computed here from what was seeded.
    let mut expected: BTreeMap<(String, String), i64> = BTreeMap::new();
    for cycle in cycles {
        for country in ["Ghana", "Kenya"] {
            expected.insert((cycle.to_string(), country.to_string()), 0);
        }
    }
    for (cycle, country, submitted) in &seeded {
        if *submitted && cycles.contains(cycle) {
            *expected
                .get_mut(&(cycle.to_string(), country.to_string()))
                .unwrap() += 1;
        }
    }
    let shown = |count: i64| match count {
        0 => json!(0),
        1..=4 => json!("fewer than 5"),
        n => json!(n),
    };

    let request = foi_request(&app, &information).await;
    let (response, letter) = answered(
        &app,
        &information,
        &request,
        json!({"held": "held", "answer": "Test: the numbers of applications are below.",
               "statistics": {"group_by": ["cycle", "country"], "cycles": cycles}}),
    )
    .await;
    let rows = response["statistics"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len(), "{response}");
    for ((cycle, country), count) in &expected {
        let row = rows
            .iter()
            .find(|r| r["cycle"] == json!(cycle) && r["country"] == json!(country))
            .unwrap_or_else(|| panic!("a row for {cycle} {country}: {response}"));
        assert_eq!(row["count"], shown(*count), "{cycle} {country}");
    }
    assert!(
        rows.iter().any(|r| r["count"] == "fewer than 5"),
        "a suppressed cell"
    );
    assert!(rows.iter().any(|r| r["count"] == 0), "a zero cell");
    assert!(
        response["suppression"]
            .as_str()
            .unwrap()
            .contains("fewer than 5"),
        "the rule is stated: {response}"
    );
    let text = response.to_string();
    assert!(
        !text.contains("Test Applicant") && !text.contains("@example.test"),
        "no personal data: {text}"
    );
    for applicant in &applicants {
        assert!(!text.contains(&applicant.id));
    }
    assert!(
        letter.contains("fewer than 5") && letter.contains("2027-28"),
        "{letter}"
    );
    assert!(
        letter.contains("<th scope=\"col\">country</th>"),
        "{letter}"
    );

    // By country alone over the three cycles.
    let request = foi_request(&app, &information).await;
    let (response, _) = answered(
        &app,
        &information,
        &request,
        json!({"held": "held", "answer": "Test: by country.",
               "statistics": {"group_by": ["country"], "cycles": cycles}}),
    )
    .await;
    let rows = response["statistics"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{response}");
    for country in ["Ghana", "Kenya"] {
        let count: i64 = expected
            .iter()
            .filter(|((_, c), _)| c == country)
            .map(|(_, n)| n)
            .sum();
        let row = rows.iter().find(|r| r["country"] == country).unwrap();
        assert_eq!(row["count"], shown(count), "{country}: {response}");
        assert!(row.get("cycle").is_none());
    }

    // Filtered to one country and grouped by cycle and level.
    let request = foi_request(&app, &information).await;
    let (response, _) = answered(
        &app,
        &information,
        &request,
        json!({"held": "held", "answer": "Test: Ghana by level.",
               "statistics": {"group_by": ["cycle", "level"], "country": "ghana", "status": "submitted"}}),
    )
    .await;
    let rows = response["statistics"].as_array().unwrap();
    let count_of = |cycle: &str| {
        rows.iter()
            .find(|r| r["cycle"] == cycle && r["level"] == "masters")
            .map(|r| r["count"].clone())
    };
    assert_eq!(count_of("2027-28"), Some(json!(6)), "{response}");
    assert_eq!(count_of("2025-26"), Some(json!("fewer than 5")));
    assert_eq!(count_of("2028-29"), Some(json!("fewer than 5")));
}

async fn a_bad_foi_answer_is_refused_naming_the_field(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let request = foi_request(&app, &information).await;
    let part = |section: &str| json!([{"part": "Test: a part", "section": section, "reason": "Test: why"}]);
    for (body, field) in [
        (json!({"answer": "Test: an answer"}), "held"),
        (json!({"held": "perhaps", "answer": "Test"}), "held"),
        (json!({"held": "held"}), "answer"),
        (json!({"held": "held", "answer": "  "}), "answer"),
        (
            json!({"held": "held", "answer": "Test", "refusals": part("s.99")}),
            "refusals[0].section",
        ),
        (
            json!({"held": "held", "answer": "Test", "refusals": part("")}),
            "refusals[0].section",
        ),
        (
            json!({"held": "held", "answer": "Test", "refusals": [{"part": "Test", "section": "s.41", "reason": ""}]}),
            "refusals[0].reason",
        ),
        (
            json!({"held": "held", "answer": "Test", "refusals": [{"part": "", "section": "s.41", "reason": "Test"}]}),
            "refusals[0].part",
        ),
        (
            json!({"held": "not_held", "answer": "Test", "refusals": part("s.41")}),
            "refusals",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": []}}),
            "statistics.group_by",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": ["full_name"]}}),
            "statistics.group_by",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": ["cycle", "cycle"]}}),
            "statistics.group_by",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": ["cycle"], "cycles": ["next year"]}}),
            "statistics.cycles",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": ["cycle"], "cycles": []}}),
            "statistics.cycles",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": ["cycle"], "status": "draft"}}),
            "statistics.status",
        ),
        (
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": ["cycle"], "country": "Atlantis"}}),
            "statistics.country",
        ),
        (
            json!({"held": "not_held", "statistics": {"group_by": ["cycle"]}}),
            "statistics",
        ),
    ] {
        let (status, error) = app
            .post(
                &format!("/api/information-requests/{request}/response"),
                &information,
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"], "invalid", "{body}: {error}");
        assert_eq!(error["problems"][0]["path"], field, "{body}: {error}");
    }
    // A body of the wrong shape is refused too, never a 500.
    let (status, error) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({"held": "held", "answer": "Test", "statistics": {"group_by": "country"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    // Nothing was answered: the request is still open.
    let (_, shown) = app
        .get(
            &format!("/api/information-requests/{request}"),
            &information,
        )
        .await;
    assert_ne!(shown["status"], "responded", "{shown}");
    // A subject access request is not answered with an FOI body.
    let (_, logged) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": "subject@example.test"},
                "subject_email": "subject@example.test", "description": "Test: my data",
            }),
        )
        .await;
    let (status, error) = app
        .post(
            &format!(
                "/api/information-requests/{}/response",
                logged["id"].as_str().unwrap()
            ),
            &information,
            json!({"held": "held", "answer": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["problems"][0]["path"], "held");
}

async fn an_foi_request_answered_with_no_body_gives_the_statistics_as_before(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let applicant = app.applicant().await;
    app.submitted(&applicant).await;
    let request = foi_request(&app, &information).await;
    let (status, produced) = app
        .request(
            Method::POST,
            &format!("/api/information-requests/{request}/response"),
            Some(&information.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{produced}");
    let (_, foi) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(
        foi["statistics"][0]["applications"], "fewer than 5",
        "{foi}"
    );
    assert!(foi.get("held").is_none(), "{foi}");
}
