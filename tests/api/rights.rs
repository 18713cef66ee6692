//! The rights an information officer decides on a request: rectification through the amendment path with
//! the recipients listed to be told, restriction of every case of the subject, objection taking the subject
//! off the uses objected to; each decided once, with a reason, answered with a response and a letter.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    a_rectification_corrects_the_subjects_application_and_lists_the_recipients_to_tell,
    a_rectification_is_refused_where_the_amendment_path_refuses_and_nothing_is_recorded,
    a_refused_rectification_changes_nothing_and_says_why,
    a_refused_rectification_keeps_the_subjects_statement_on_the_case_and_in_every_later_sar,
    a_granted_restriction_freezes_every_case_of_the_subject,
    a_restriction_needs_a_subject_and_a_refusal_freezes_nothing,
    an_upheld_objection_takes_the_subject_off_the_uses_objected_to,
    an_objection_not_upheld_changes_nothing_and_bad_uses_are_refused,
    an_foi_refusal_names_the_section_why_and_for_a_qualified_exemption_the_public_interest,
    a_rights_letter_gives_dates_as_people_write_them_one_reference_and_invites_a_statement_once,
    a_statement_from_a_subject_with_no_applications_is_refused_and_the_request_stays_open,
);

async fn a_rights_letter_gives_dates_as_people_write_them_one_reference_and_invites_a_statement_once(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let applicant = app.applicant().await;
    app.submitted(&applicant).await;
    let request = logged(&app, &information, "rectification", Some(&applicant.email)).await;
    app.expect_ok(
        app.post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": "Test: the record matches the passport seen"}),
        )
        .await,
    );
    let html = letter(&app, &information, &request).await;
    let today = chrono::Utc::now().date_naive();
    assert!(
        html.contains(&today.format("%-d %B %Y").to_string()),
        "{html}"
    );
    assert!(!html.contains(&today.to_string()), "no ISO dates: {html}");
    assert_eq!(
        html.to_lowercase().matches("if you still consider").count(),
        1,
        "the invitation to send a statement is said once: {html}"
    );
    assert!(!html.contains(&request), "no internal id: {html}");
    let reference = services::letters::short_reference(&request);
    assert!(
        html.contains(&format!("Our reference: {reference}")),
        "{html}"
    );
    assert!(!html.contains("rectification request"), "{html}");
}

async fn a_statement_from_a_subject_with_no_applications_is_refused_and_the_request_stays_open(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let request = logged(
        &app,
        &information,
        "rectification",
        Some("no-applications@example.test"),
    )
    .await;
    let (status, refused) = app
        .post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": "Test: we hold no record about you", "statement": "Test: my data is wrong"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "invalid", "{refused}");
    assert_eq!(refused["problems"][0]["path"], "statement", "{refused}");
    let (_, shown) = app
        .get(
            &format!("/api/information-requests/{request}"),
            &information,
        )
        .await;
    assert_ne!(shown["status"], "responded", "nothing decided: {shown}");
    assert!(shown["rectification"].is_null(), "{shown}");
    // Without a statement the refusal is recorded and answered.
    app.expect_ok(
        app.post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": "Test: we hold no record about you"}),
        )
        .await,
    );
}

/// Logs a request of `kind` about the person with `email` (or about no one), received today.
async fn logged(app: &TestApp, information: &User, kind: &str, email: Option<&str>) -> String {
    let (status, body) = app
        .post(
            "/api/information-requests",
            information,
            json!({
                "kind": kind, "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": "requester@example.test"},
                "subject_email": email, "description": "Test: a rights request",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn at(request: &str, action: &str) -> String {
    format!("/api/information-requests/{request}/{action}")
}

async fn response(app: &TestApp, information: &User, request: &str) -> Value {
    let (status, body) = app
        .get(&at(request, "response?format=json"), information)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn letter(app: &TestApp, information: &User, request: &str) -> String {
    let reply = app
        .client
        .get(format!(
            "{}{}",
            app.address,
            at(request, "response?format=html")
        ))
        .bearer_auth(&information.token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    reply.text().await.unwrap()
}

async fn recipient(app: &TestApp, name: &str) -> String {
    let admin = app.staff(Role::Admin).await;
    let (status, body) = app
        .post(
            "/api/recipients",
            &admin,
            json!({"name": name, "kind": "british_mission", "country": "Kenya"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn a_rectification_corrects_the_subjects_application_and_lists_the_recipients_to_tell(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let mission = recipient(&app, "Test Mission <b>Nairobi</b>").await;
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/disclosures"),
            &officer,
            json!({"recipient_id": mission, "purpose": "Test visa letter", "fields": ["personal.phone", "personal.full_name"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let request = logged(&app, &information, "rectification", Some(&applicant.email)).await;
    let body = json!({
        "rectify": true, "application_id": id,
        "changes": {"personal.phone": "+000 1111 2222", "personal.address": "1 Test Street, Testtown"},
        "reason": "Test: the phone number was mistyped",
    });
    for user in [&officer, &applicant] {
        let (status, _) = app
            .post(&at(&request, "rectification"), user, body.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    let (status, decided) = app
        .post(&at(&request, "rectification"), &information, body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "responded");
    assert_eq!(decided["rectification"]["granted"], true);
    assert_eq!(
        decided["rectification"]["fields"],
        json!(["personal.phone"]),
        "the address already held the value given"
    );
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(view["personal"]["phone"], "+000 1111 2222");
    let (_, history) = app
        .get(&format!("/api/applications/{id}/history"), &officer)
        .await;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "PersonalDataAmended"),
        "the correction went through the amendment path: {history}"
    );

    let answer = response(&app, &information, &request).await;
    assert_eq!(answer["rectification"], "made");
    assert_eq!(
        answer["recipients_told"],
        json!([{"recipient_id": mission, "recipient_name": "Test Mission <b>Nairobi</b>", "fields": ["personal.phone"], "fields_in_words": ["phone number"]}]),
        "only the recipient of the changed value is told, of that field: {answer}"
    );
    let html = letter(&app, &information, &request).await;
    assert!(
        html.contains("Test Mission &lt;b&gt;Nairobi&lt;/b&gt;"),
        "{html}"
    );
    assert!(html.contains("Corrected: phone number."), "{html}");
    assert!(
        html.contains("your application for the 2026-27 cycle"),
        "{html}"
    );
    assert!(!html.contains("personal.phone"), "fields in words: {html}");
    assert!(!html.contains(&id), "no internal id: {html}");
    assert!(!html.contains("<b>Nairobi"));

    let (status, again) = app
        .post(&at(&request, "rectification"), &information, body)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"], "already_answered");
}

async fn a_rectification_is_refused_where_the_amendment_path_refuses_and_nothing_is_recorded(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let someone_else = app.applicant().await;
    let theirs = app.submitted(&someone_else).await;
    let request = logged(&app, &information, "rectification", Some(&applicant.email)).await;
    let rectify = |application: &str, changes: Value| json!({"rectify": true, "application_id": application, "changes": changes, "reason": "Test"});
    let refusals = [
        (
            rectify(&theirs, json!({"personal.phone": "+000 3333 4444"})),
            "invalid",
            "another person's application",
        ),
        (
            rectify(&id, json!({"essays.leadership": "New words"})),
            "not_amendable",
            "a field outside the personal details",
        ),
        (rectify(&id, json!({})), "invalid", "no change named"),
        (
            rectify(&id, json!({"personal.date_of_birth": "not a date"})),
            "invalid",
            "a value the form refuses",
        ),
        (
            json!({"rectify": true, "changes": {"personal.phone": "+000 3333 4444"}, "reason": "Test"}),
            "invalid",
            "no application named",
        ),
        (
            rectify(&id, json!({"personal.phone": 12})),
            "invalid",
            "a value that is not text",
        ),
    ];
    for (body, code, what) in refusals {
        let (status, refused) = app
            .post(&at(&request, "rectification"), &information, body)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {refused}"
        );
        assert_eq!(refused["error"], code, "{what}: {refused}");
    }
    let (_, shown) = app
        .get(
            &format!("/api/information-requests/{request}"),
            &information,
        )
        .await;
    assert_eq!(shown["status"], "open", "nothing was recorded: {shown}");
    assert!(shown["rectification"].is_null());
    let (_, view) = app
        .get(&format!("/api/applications/{theirs}"), &information)
        .await;
    assert_ne!(view["personal"]["phone"], "+000 3333 4444");

    let draft_owner = app.applicant().await;
    let draft = app.draft(&draft_owner).await;
    let on_draft = logged(
        &app,
        &information,
        "rectification",
        Some(&draft_owner.email),
    )
    .await;
    let (status, refused) = app
        .post(
            &at(&on_draft, "rectification"),
            &information,
            rectify(&draft, json!({"personal.phone": "+000 3333 4444"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(
        refused["error"], "not_submitted",
        "a draft is corrected by its owner"
    );

    let sar = logged(&app, &information, "sar", Some(&applicant.email)).await;
    let (status, refused) = app
        .post(
            &at(&sar, "rectification"),
            &information,
            rectify(&id, json!({"personal.phone": "+000 3333 4444"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("a rectification"),
        "{refused}"
    );
    let (status, _) = app
        .post(
            "/api/information-requests/no-such-request/rectification",
            &information,
            rectify(&id, json!({"personal.phone": "+000 3333 4444"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_refused_rectification_changes_nothing_and_says_why(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let (_, before) = app
        .get(&format!("/api/applications/{id}"), &information)
        .await;
    let request = logged(&app, &information, "rectification", Some(&applicant.email)).await;
    let (status, refused) = app
        .post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": "", "application_id": id, "changes": {"personal.phone": "+000 5"}}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refusal gives its reason: {refused}"
    );
    let (status, decided) = app
        .post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": "Test: the record matches the passport seen", "application_id": id, "changes": {"personal.phone": "+000 5"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["rectification"]["granted"], false);
    let (_, after) = app
        .get(&format!("/api/applications/{id}"), &information)
        .await;
    assert_eq!(before["personal"], after["personal"]);
    let answer = response(&app, &information, &request).await;
    assert_eq!(answer["rectification"], "refused");
    assert_eq!(
        answer["reason"],
        "Test: the record matches the passport seen"
    );
    let html = letter(&app, &information, &request).await;
    assert!(html.contains("the record matches the passport seen"));
    assert!(
        html.contains("statement"),
        "the letter says the subject's view can be kept"
    );
}

async fn eligibility(app: &TestApp, officer: &User, id: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/applications/{id}/eligibility"),
        officer,
        json!({"eligible": true, "reason": "Test"}),
    )
    .await
}

async fn a_granted_restriction_freezes_every_case_of_the_subject(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let bystander = app.applicant().await;
    let other = app.submitted(&bystander).await;
    let request = logged(&app, &information, "restriction", Some(&applicant.email)).await;
    let (status, decided) = app
        .post(
            &at(&request, "restriction"),
            &information,
            json!({"restrict": true, "reason": "Test: accuracy contested"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["restriction"]["granted"], true);
    assert_eq!(decided["status"], "responded");
    let (status, refused) = eligibility(&app, &officer, &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"], "restricted");
    assert_eq!(
        eligibility(&app, &officer, &other).await.0,
        StatusCode::OK,
        "another person's case moves on"
    );
    let answer = response(&app, &information, &request).await;
    assert_eq!(answer["restriction"], "applied");
    assert_eq!(
        answer["restricted"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert!(
        letter(&app, &information, &request)
            .await
            .contains("We have restricted it")
    );

    // Lifted as any restriction is, and the case moves again.
    let (status, _) = app
        .post(
            &format!("/api/applications/{id}/restriction/lift"),
            &information,
            json!({"reason": "Test: accuracy confirmed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(eligibility(&app, &officer, &id).await.0, StatusCode::OK);
}

async fn a_restriction_needs_a_subject_and_a_refusal_freezes_nothing(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let nobody = logged(&app, &information, "restriction", None).await;
    let (status, refused) = app
        .post(
            &at(&nobody, "restriction"),
            &information,
            json!({"restrict": true, "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, shown) = app
        .get(&format!("/api/information-requests/{nobody}"), &information)
        .await;
    assert!(shown["restriction"].is_null(), "nothing recorded: {shown}");

    let request = logged(&app, &information, "restriction", Some(&applicant.email)).await;
    let (status, _) = app
        .post(
            &at(&request, "restriction"),
            &information,
            json!({"restrict": false}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let (status, decided) = app
        .post(
            &at(&request, "restriction"),
            &information,
            json!({"restrict": false, "reason": "Test: the data was verified as accurate"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(
        response(&app, &information, &request).await["restriction"],
        "refused"
    );
    assert_eq!(eligibility(&app, &officer, &id).await.0, StatusCode::OK);
    let objection = logged(&app, &information, "objection", Some(&applicant.email)).await;
    let (status, _) = app
        .post(
            &at(&objection, "restriction"),
            &information,
            json!({"restrict": true, "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn listed(app: &TestApp, officer: &User, list: &str, id: &str) -> bool {
    let (status, body) = app.get(list, officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .any(|row| row["application_id"] == id)
}

async fn an_upheld_objection_takes_the_subject_off_the_uses_objected_to(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = app.applicant().await;
    let id = app.awarded_for(&scholar, &officer).await;
    let directory = "/api/scholars/directory";
    assert!(listed(&app, &officer, directory, &id).await);
    let request = logged(&app, &information, "objection", Some(&scholar.email)).await;
    let (status, decided) = app
        .post(
            &at(&request, "objection"),
            &information,
            json!({"uphold": true, "uses": ["networking", "images", "networking"], "reason": "Test: no compelling grounds"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["objection"]["granted"], true);
    assert_eq!(
        decided["objection"]["uses"],
        json!(["networking", "images"])
    );
    assert!(
        !listed(&app, &officer, directory, &id).await,
        "off the directory at once"
    );
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(
        view["preferences"],
        json!({"networking_opt_out": true, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": true}),
        "only the uses objected to stop"
    );
    let answer = response(&app, &information, &request).await;
    assert_eq!(answer["objection"], "upheld");
    assert_eq!(answer["applications"].as_array().map(Vec::len), Some(1));
    let html = letter(&app, &information, &request).await;
    assert!(
        html.contains("sharing your details with other EtP scholars"),
        "{html}"
    );
    assert!(html.contains("We have stopped"));
}

async fn an_objection_not_upheld_changes_nothing_and_bad_uses_are_refused(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = app.applicant().await;
    let id = app.awarded_for(&scholar, &officer).await;
    let request = logged(&app, &information, "objection", Some(&scholar.email)).await;
    for (body, what) in [
        (
            json!({"uphold": true, "uses": ["marketing"], "reason": "Test"}),
            "a use that is not one of the opt-outs",
        ),
        (
            json!({"uphold": true, "uses": [], "reason": "Test"}),
            "no use named",
        ),
        (
            json!({"uphold": false, "uses": ["images"], "reason": " "}),
            "no reason",
        ),
        (
            json!({"uphold": "yes", "uses": ["images"], "reason": "Test"}),
            "a decision that is not true or false",
        ),
    ] {
        let (status, refused) = app
            .post(&at(&request, "objection"), &information, body)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {refused}"
        );
    }
    let (status, decided) = app
        .post(
            &at(&request, "objection"),
            &information,
            json!({"uphold": false, "uses": ["networking"], "reason": "Test: the directory is how scholars are supported"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert!(listed(&app, &officer, "/api/scholars/directory", &id).await);
    let answer = response(&app, &information, &request).await;
    assert_eq!(answer["objection"], "not_upheld");
    assert!(
        letter(&app, &information, &request)
            .await
            .contains("the directory is how scholars are supported")
    );
    let (status, again) = app
        .post(
            &at(&request, "objection"),
            &information,
            json!({"uphold": true, "uses": ["networking"], "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
}

async fn an_foi_refusal_names_the_section_why_and_for_a_qualified_exemption_the_public_interest(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let foi = logged(&app, &information, "foi", None).await;
    let refusals = [
        (
            json!({"ground": "commercial_interests", "reason": "Test: the sponsor's contract terms"}),
            "a qualified exemption without the public interest reasons",
        ),
        (
            json!({"ground": "section_99", "reason": "Test"}),
            "a ground the Act does not have",
        ),
        (json!({"ground": "vexatious", "reason": "  "}), "no reason"),
    ];
    for (body, what) in refusals {
        let (status, refused) = app.post(&at(&foi, "refusal"), &information, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {refused}"
        );
    }
    let (status, _) = app
        .post(
            &at(&foi, "refusal"),
            &officer,
            json!({"ground": "vexatious", "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sar = logged(&app, &information, "sar", Some("subject@example.test")).await;
    let (status, _) = app
        .post(
            &at(&sar, "refusal"),
            &information,
            json!({"ground": "vexatious", "reason": "Test"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only an FOI request is refused so"
    );

    let (status, refused) = app
        .post(
            &at(&foi, "refusal"),
            &information,
            json!({
                "ground": "commercial_interests",
                "reason": "Test: the figures are the sponsor's <b>prices</b>",
                "public_interest": "Test: openness about spending is served by the published totals",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused["status"], "responded");
    assert_eq!(refused["refusal"]["ground"], "commercial_interests");
    let notice = response(&app, &information, &foi).await;
    assert_eq!(
        notice["refusal"]["section"],
        "s.43(2) Freedom of Information Act 2000"
    );
    assert!(
        notice["internal_review"]
            .as_str()
            .is_some_and(|t| t.contains("review"))
    );
    assert!(
        notice["complaint"]
            .as_str()
            .is_some_and(|t| t.contains("Information Commissioner"))
    );
    let html = letter(&app, &information, &foi).await;
    assert!(html.contains("refusal notice"), "{html}");
    assert!(html.contains("s.43(2) Freedom of Information Act 2000"));
    assert!(
        html.contains("sponsor&#x27;s &lt;b&gt;prices&lt;/b&gt;")
            || html.contains("sponsor's &lt;b&gt;prices&lt;/b&gt;"),
        "{html}"
    );
    assert!(html.contains("openness about spending"));
    let (status, _) = app
        .post(
            &at(&foi, "refusal"),
            &information,
            json!({"ground": "vexatious", "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // For cost: no public interest test, and advice on narrowing the request.
    let costly = logged(&app, &information, "foi", None).await;
    let (status, _) = app
        .post(
            &at(&costly, "refusal"),
            &information,
            json!({"ground": "cost_limit", "reason": "Test: every file since 2015", "public_interest": "ignored"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let notice = response(&app, &information, &costly).await;
    assert!(notice["refusal"]["public_interest"].is_null(), "{notice}");
    assert!(
        notice["refusal"]["advice"]
            .as_str()
            .is_some_and(|a| a.contains("narrow"))
    );
    assert!(
        letter(&app, &information, &costly)
            .await
            .contains("s.12 Freedom of Information Act 2000")
    );
}

/// "Where the data subject has expressed a view that the data is inaccurate, the data records that view": a
/// rectification refused with the subject's statement keeps it with each of their applications, shown to
/// staff on the case (API and page), never to the committee, and in the next subject access response.
async fn a_refused_rectification_keeps_the_subjects_statement_on_the_case_and_in_every_later_sar(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let statement = "Test: my date of birth on record is wrong";
    let request = logged(&app, &information, "rectification", Some(&applicant.email)).await;

    // Without a reason nothing is kept.
    let (status, body) = app
        .post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": " ", "statement": statement}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, case) = app
        .get(&format!("/api/applications/{id}"), &information)
        .await;
    assert_eq!(case["statements_of_dispute"], json!([]), "{case}");

    let (status, decided) = app
        .post(
            &at(&request, "rectification"),
            &information,
            json!({"rectify": false, "reason": "Test: the record matches the document seen", "statement": format!("  {statement} ")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    let answer = response(&app, &information, &request).await;
    assert_eq!(answer["rectification"], "refused");
    assert_eq!(answer["statement_kept"], true, "{answer}");
    let html = letter(&app, &information, &request).await;
    assert!(
        html.contains("your statement is kept with your record"),
        "{html}"
    );

    for staff in [&information, &officer] {
        let (status, case) = app.get(&format!("/api/applications/{id}"), staff).await;
        assert_eq!(status, StatusCode::OK);
        let kept = &case["statements_of_dispute"];
        assert_eq!(kept.as_array().map(Vec::len), Some(1), "{case}");
        assert_eq!(kept[0]["statement"], statement);
        assert_eq!(kept[0]["request_id"], json!(request));
    }
    let (_, theirs) = app
        .get(&format!("/api/applications/{id}"), &applicant)
        .await;
    assert!(theirs.get("statements_of_dispute").is_none(), "{theirs}");
    let (_, desk) = app.get(&format!("/api/applications/{id}"), &helpdesk).await;
    assert!(desk.get("statements_of_dispute").is_none(), "{desk}");

    let mut po = crate::pages::sign_in(&app, &officer.email).await;
    let page = po.get(&format!("/cases/{id}")).await;
    assert!(
        page.text().contains("disputes the accuracy of their data")
            && page.text().contains("my date of birth on record is wrong"),
        "{}",
        page.text()
    );

    let sar = logged(&app, &information, "sar", Some(&applicant.email)).await;
    let (status, produced) = app
        .post(&at(&sar, "response"), &information, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{produced}");
    let access = response(&app, &information, &sar).await;
    let record = access["records"]["applications"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["id"] == json!(id)))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        record["statements_of_dispute"][0]["statement"], statement,
        "{access}"
    );

    // A refusal without a statement still works as before, and keeps nothing more.
    let other = logged(&app, &information, "rectification", Some(&applicant.email)).await;
    let (status, body) = app
        .post(
            &at(&other, "rectification"),
            &information,
            json!({"rectify": false, "reason": "Test: no change needed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        response(&app, &information, &other).await["statement_kept"],
        false
    );
    let (_, case) = app
        .get(&format!("/api/applications/{id}"), &information)
        .await;
    assert_eq!(
        case["statements_of_dispute"].as_array().map(Vec::len),
        Some(1)
    );
}
