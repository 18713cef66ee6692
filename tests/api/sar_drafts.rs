//! A response drafted, seen, redacted and issued; the letter of a subject access response holds every record
//! of its JSON, in HTML and in the PDF sent.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, award_terms, complete_form, scores};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    a_redacted_item_is_left_out_of_the_issued_json_html_and_pdf_and_listed_as_withheld,
    an_issued_response_cannot_change,
    drafting_and_redacting_refuse_what_they_cannot_do,
    the_html_and_pdf_letters_hold_every_record_of_the_json,
    an_foi_answer_may_be_drafted_and_then_issued,
);

/// What the subject wrote in their leadership essay: the item withheld in these tests.
const WITHHELD_ESSAY: &str = "Test essay naming a third person, Example Otherperson";

/// A subject with a full history (amendment, scores, award, disclosure, immigration record) and a subject
/// access request about them: the information officer, the request's id.
async fn subject_access_request(app: &TestApp) -> (User, String) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let admin = app.staff(Role::Admin).await;
    let information = app.staff(Role::InformationOfficer).await;
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let mut form = complete_form();
    form["essays"]["leadership"] = json!(WITHHELD_ESSAY);
    let path = |tail: &str| format!("/api/applications/{id}{tail}");
    app.expect_ok(app.patch(&path(""), &applicant, form).await);
    app.expect_ok(app.post(&path("/submit"), &applicant, json!({})).await);
    app.expect_ok(
        app.post(
            &path("/amendments"),
            &helpdesk,
            json!({"changes": {"personal.phone": "+000 1111 2222"}, "reason": "Test: new phone"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &path("/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "Test"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &path("/assignments"),
            &officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    app.expect_ok(app.post(&path("/scores"), &member, scores(8)).await);
    app.expect_ok(
        app.post(&path("/decision"), &officer, json!({"outcome": "selected"}))
            .await,
    );
    app.expect_ok(app.post(&path("/award"), &officer, award_terms()).await);
    let (_, recipient) = app.post("/api/recipients", &admin,
        json!({"name": "Test British High Commission Nairobi", "kind": "british_mission", "country": "Kenya"})).await;
    app.expect_ok(app.post(&path("/disclosures"), &officer,
        json!({"recipient_id": recipient["id"], "purpose": "Test visa letter", "fields": ["personal.full_name"]})).await);
    app.expect_ok(
        app.post(
            &path("/immigration-records"),
            &officer,
            json!({"kind": "visa", "reference": "TEST-VISA-WITHHELD", "issued_on": "2026-01-05"}),
        )
        .await,
    );
    let (status, logged) = app.post("/api/information-requests", &information, json!({
        "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
        "requester": {"name": "Test Subject", "email": applicant.email},
        "subject_email": applicant.email, "description": "Test: everything you hold about me",
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    (information, logged["id"].as_str().unwrap().to_string())
}

fn at(request: &str, tail: &str) -> String {
    format!("/api/information-requests/{request}/response{tail}")
}

/// The letter, as HTML text and as the text of its PDF.
async fn letter_texts(app: &TestApp, user: &User, request: &str, draft: bool) -> (String, String) {
    let query = if draft { "&draft=true" } else { "" };
    let get = |format: &str| {
        app.client
            .get(format!(
                "{}/api/information-requests/{request}/response?format={format}{query}",
                app.address
            ))
            .bearer_auth(&user.token)
            .send()
    };
    let html = get("html").await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    let pdf = get("pdf").await.unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    (
        normalised(&services::readable::html_text(&html)),
        normalised(&pdf_text(&bytes)),
    )
}

/// The text of a PDF, read back by poppler's `pdftotext`.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("letter.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext read the PDF");
    String::from_utf8(out.stdout).unwrap()
}

fn normalised(text: &str) -> String {
    text.replace('\u{a0}', " ")
        .replace('\u{ad}', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn a_redacted_item_is_left_out_of_the_issued_json_html_and_pdf_and_listed_as_withheld(
    app: TestApp,
) {
    let (information, request) = subject_access_request(&app).await;
    let (status, drafted) = app
        .post(&at(&request, ""), &information, json!({"draft": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drafted}");
    assert_eq!(drafted["status"], "open", "a draft answers nothing yet");
    assert!(drafted["drafted_on"].is_string(), "{drafted}");
    let (status, _) = app.get(&at(&request, ""), &information).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing is issued yet");

    // The draft shows everything, and the third parties redacted automatically, listed.
    let (status, draft) = app.get(&at(&request, "?draft=true"), &information).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(
        draft["records"]["applications"][0]["essays"]["leadership"],
        WITHHELD_ESSAY
    );
    let automatic = draft["withheld"].to_string();
    assert!(automatic.contains("referees"), "{automatic}");
    assert!(automatic.contains("committee members"), "{automatic}");

    let (status, preview) = app
        .post(
            &at(&request, "/withheld"),
            &information,
            json!({
                "item": "/records/applications/0/essays/leadership", "ground": "third_party",
                "reason": "Test: it names another person who has not agreed",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(
        !preview.to_string().contains(WITHHELD_ESSAY),
        "the preview leaves it out"
    );
    let (status, preview) = app
        .post(
            &at(&request, "/withheld"),
            &information,
            json!({
                "item": "/records/immigration_records/0", "ground": "crime_and_taxation",
                "reason": "Test: an investigation is under way",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let (status, preview) = app
        .post(
            &at(&request, "/note"),
            &information,
            json!({
                "note": "Test note: we searched every system.",
                "held_elsewhere": "Test: paper files at the Nairobi office",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["note"], "Test note: we searched every system.");
    let (draft_html, _) = letter_texts(&app, &information, &request, true).await;
    assert!(draft_html.contains("Draft, not issued."));
    assert!(!draft_html.contains(WITHHELD_ESSAY) && !draft_html.contains("TEST-VISA-WITHHELD"));

    let (status, issued) = app
        .post(&at(&request, "/issue"), &information, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["status"], "responded");
    assert_eq!(
        issued["responded_on"],
        json!(chrono::Utc::now().date_naive().to_string()),
        "issued and dated today"
    );

    let (status, sar) = app.get(&at(&request, ""), &information).await;
    assert_eq!(status, StatusCode::OK);
    let text = sar.to_string();
    assert!(
        !text.contains(WITHHELD_ESSAY),
        "the essay is withheld from the JSON"
    );
    assert!(
        !text.contains("TEST-VISA-WITHHELD"),
        "the record is withheld from the JSON"
    );
    assert!(
        sar["records"]["immigration_records"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        sar["records"]["applications"][0]["essays"]["networking"].is_string(),
        "the rest stays"
    );
    let withheld = sar["withheld"].as_array().unwrap();
    let essay = withheld
        .iter()
        .find(|w| w["reason"] == "Test: it names another person who has not agreed")
        .expect("the essay is listed as withheld");
    assert_eq!(essay["item"], "Application 1 › Essays › Leadership");
    assert_eq!(essay["ground"], "third_party");
    assert_eq!(
        essay["provision"],
        "Data Protection Act 2018, Schedule 2, Part 3, paragraph 16"
    );
    assert!(withheld.iter().any(|w| w["item"] == "Immigration record 1"
        && w["provision"] == "Data Protection Act 2018, Schedule 2, Part 1, paragraph 2"));
    assert_eq!(
        sar["held_elsewhere"],
        "Test: paper files at the Nairobi office"
    );

    let (html, pdf) = letter_texts(&app, &information, &request, false).await;
    for (letter, text) in [("HTML", &html), ("PDF", &pdf)] {
        assert!(
            !text.contains(WITHHELD_ESSAY),
            "the {letter} letter leaves out the essay"
        );
        assert!(
            !text.contains("TEST-VISA-WITHHELD"),
            "the {letter} letter leaves out the record"
        );
        for said in [
            "What we have withheld, and why",
            "Application 1 › Essays › Leadership",
            "Test: it names another person who has not agreed",
            "Data Protection Act 2018, Schedule 2, Part 3, paragraph 16",
            "Test: an investigation is under way",
            "Test note: we searched every system.",
            "Test: paper files at the Nairobi office",
        ] {
            assert!(text.contains(said), "the {letter} letter says {said:?}");
        }
        assert!(
            !text.contains("Draft, not issued."),
            "the {letter} letter is issued"
        );
    }
}

async fn an_issued_response_cannot_change(app: TestApp) {
    let (information, request) = subject_access_request(&app).await;
    app.expect_ok(
        app.post(&at(&request, ""), &information, json!({"draft": true}))
            .await,
    );
    app.expect_ok(
        app.post(&at(&request, "/issue"), &information, json!({}))
            .await,
    );
    let (_, before) = app.get(&at(&request, ""), &information).await;
    for (tail, body) in [
        (
            "/withheld",
            json!({"item": "/records/account", "ground": "third_party", "reason": "x"}),
        ),
        ("/note", json!({"note": "Test: changed"})),
        ("/issue", json!({})),
        ("", json!({"draft": true})),
        ("", json!({})),
    ] {
        let (status, refused) = app.post(&at(&request, tail), &information, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{tail}: {refused}");
        assert_eq!(refused["error"], "already_answered", "{tail}");
    }
    let (_, after) = app.get(&at(&request, ""), &information).await;
    assert_eq!(before, after, "the issued response is as it was");
    let (status, _) = app.get(&at(&request, "?draft=true"), &information).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no draft is left once issued"
    );
}

async fn drafting_and_redacting_refuse_what_they_cannot_do(app: TestApp) {
    let (information, request) = subject_access_request(&app).await;
    let withhold = |item: &str, ground: &str, reason: &str| json!({"item": item, "ground": ground, "reason": reason});
    let essay = "/records/applications/0/essays/leadership";
    for (tail, body) in [
        ("/withheld", withhold(essay, "third_party", "x")),
        ("/note", json!({"note": "x"})),
        ("/issue", json!({})),
    ] {
        let (status, refused) = app.post(&at(&request, tail), &information, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{tail}");
        assert_eq!(refused["error"], "no_draft", "{tail}");
    }
    let (status, refused) = app.get(&at(&request, "?draft=true"), &information).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");

    app.expect_ok(
        app.post(&at(&request, ""), &information, json!({"draft": true}))
            .await,
    );
    for (body, field) in [
        (withhold(essay, "s.40(2)", "x"), "ground"),
        (
            withhold("/records/applications/7", "third_party", "x"),
            "item",
        ),
        (withhold("/purposes/0", "third_party", "x"), "item"),
        (withhold(essay, "third_party", "  "), "reason"),
    ] {
        let (status, refused) = app
            .post(&at(&request, "/withheld"), &information, body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["error"], "invalid");
        assert!(refused.to_string().contains(field), "{field}: {refused}");
    }
    let (status, refused) = app
        .post(
            &at(&request, "/note"),
            &information,
            json!({"note": "x".repeat(2001)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    app.expect_ok(
        app.post(
            &at(&request, "/withheld"),
            &information,
            withhold("/records/applications/0/essays", "third_party", "Test"),
        )
        .await,
    );
    let (status, refused) = app
        .post(
            &at(&request, "/withheld"),
            &information,
            withhold(essay, "third_party", "x"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"], "already_withheld");
    let (status, refused) = app.get(&at(&request, "?format=xml"), &information).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let officer = app.staff(Role::ProgrammeOfficer).await;
    for (tail, body) in [
        ("/withheld", withhold(essay, "third_party", "x")),
        ("/note", json!({"note": "x"})),
        ("/issue", json!({})),
    ] {
        let (status, _) = app.post(&at(&request, tail), &officer, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{tail}");
    }
    let (status, _) = app.get(&at(&request, "?draft=true"), &officer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "/api/information-requests/01938a00-0000-7000-8000-00000000dead/response/issue",
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every leaf of a JSON value with the keys that lead to it; ids (`id`) are not leaves of the letter, which
/// names records by their place instead.
fn leaves<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if key != "id" {
                    leaves(value, format!("{path}/{key}"), out);
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, value) in items.iter().enumerate() {
                leaves(value, format!("{path}/{i}"), out);
            }
        }
        other => out.push((path, other)),
    }
}

async fn the_html_and_pdf_letters_hold_every_record_of_the_json(app: TestApp) {
    let (information, request) = subject_access_request(&app).await;
    app.expect_ok(app.post(&at(&request, ""), &information, json!({})).await);
    let (status, sar) = app.get(&at(&request, ""), &information).await;
    assert_eq!(status, StatusCode::OK);
    let (html, pdf) = letter_texts(&app, &information, &request, false).await;
    let reader = services::readable::Reader::new(&sar);
    let mut all = Vec::new();
    leaves(&sar, String::new(), &mut all);
    assert!(
        all.len() > 80,
        "a full history has many fields: {}",
        all.len()
    );
    for (path, leaf) in all {
        let shown = normalised(&reader.shown(leaf));
        assert!(
            html.contains(&shown),
            "the HTML letter holds {path}: {shown:?}"
        );
        assert!(
            pdf.contains(&shown),
            "the PDF letter holds {path}: {shown:?}"
        );
    }
    // Written as people write them, with no ids.
    let application = sar["records"]["applications"][0]["id"].as_str().unwrap();
    for (letter, text) in [("HTML", &html), ("PDF", &pdf)] {
        assert!(
            !text.contains(application),
            "the {letter} letter gives no id"
        );
        assert!(text.contains("How we found it"), "{letter}");
        assert!(
            text.contains("12 April 1998"),
            "{letter}: the date of birth as people write it"
        );
        assert!(text.contains("Application 1"), "{letter}");
        assert!(text.contains("Our reference: IR-"), "{letter}");
    }
}

async fn an_foi_answer_may_be_drafted_and_then_issued(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let (status, logged) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "foi", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Requester", "email": "foi.requester@example.test"},
                "description": "Test: how many scholarships",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    let request = logged["id"].as_str().unwrap();
    let (status, drafted) = app
        .post(
            &at(request, ""),
            &information,
            json!({"held": "held", "answer": "Test: we award about forty a year.", "draft": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drafted}");
    assert_eq!(drafted["status"], "open");
    let (status, draft) = app.get(&at(request, "?draft=true"), &information).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(draft["answer"], "Test: we award about forty a year.");
    let (status, refused) = app
        .post(
            &at(request, "/withheld"),
            &information,
            json!({"item": "/records/x", "ground": "third_party", "reason": "x"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an FOI answer releases no personal data to withhold: {refused}"
    );
    app.expect_ok(
        app.post(&at(request, "/issue"), &information, json!({}))
            .await,
    );
    let (status, issued) = app.get(&at(request, ""), &information).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(issued["held"], "held");
    assert_eq!(issued["answer"], "Test: we award about forty a year.");
}

on_both_stores!(the_officer_drafts_reads_redacts_and_issues_a_response_on_the_request_page);

async fn the_officer_drafts_reads_redacts_and_issues_a_response_on_the_request_page(app: TestApp) {
    let (information, request) = subject_access_request(&app).await;
    let mut officer = crate::pages::sign_in(&app, &information.email).await;
    let location = format!("/requests/{request}");
    let page = officer.get(&location).await;
    let drafted = officer
        .submit(
            &page
                .form(&format!("{location}/response"))
                .set("draft", "yes"),
        )
        .await;
    assert!(drafted.location().starts_with(&location));
    let page = officer.get(&location).await;
    let text = page.text();
    assert!(text.contains("Draft response"), "{text}");
    assert!(
        text.contains("The names and email addresses of your referees"),
        "automatic redaction is shown"
    );
    let letter = officer.get(&format!("{location}/draft-letter")).await;
    assert_eq!(letter.status, StatusCode::OK);
    assert!(letter.text().contains("Draft, not issued."));
    assert!(
        letter.text().contains(WITHHELD_ESSAY),
        "the draft shows everything before it is redacted"
    );

    // A reason is required: the page says so, linked to the field.
    let form = page
        .form(&format!("{location}/response/withheld"))
        .set("item", "/records/applications/0/essays/leadership")
        .set("ground", "third_party");
    let refused = officer.submit(&form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("href=\"#withhold_reason\""),
        "the error links to the reason"
    );
    let done = officer
        .submit(&form.set("reason", "Test: it names another person"))
        .await;
    assert!(done.location().starts_with(&location));
    let page = officer.get(&location).await;
    assert!(page.text().contains("Application 1 › Essays › Leadership"));
    let letter = officer.get(&format!("{location}/draft-letter")).await;
    assert!(
        !letter.text().contains(WITHHELD_ESSAY),
        "the draft letter leaves it out"
    );
    let form = page
        .form(&format!("{location}/response/note"))
        .set("note", "Test note on the page");
    assert!(
        officer
            .submit(&form)
            .await
            .location()
            .starts_with(&location)
    );

    let page = officer.get(&location).await;
    let issued = officer
        .submit(&page.form(&format!("{location}/response/issue")))
        .await;
    assert!(issued.location().starts_with(&location));
    let page = officer.get(&location).await;
    assert!(page.text().contains("Answered on"));
    let letter = officer.get(&format!("{location}/letter")).await;
    let text = letter.text();
    assert!(!text.contains(WITHHELD_ESSAY) && !text.contains("Draft, not issued."));
    assert!(
        text.contains("Test: it names another person") && text.contains("Test note on the page")
    );
    // Once issued, the draft's forms are gone and a late one is refused.
    let refused = officer.submit(&form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("already been answered"));
}
