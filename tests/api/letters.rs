//! Outcome letters: a decision (selected, reserve, unsuccessful) and an award are each told to the applicant
//! by a letter, kept with the application and shown to the applicant and the case staff, and emailed where
//! the service has a mail server — with what became of the email recorded, and nothing lost when the mail
//! server is down. Letters are refused to other applicants and to committee members, and their personal data
//! is destroyed with the application's.

use chrono::{Months, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::smtp::{SmtpSink, url_of_a_server_that_is_down};
use crate::helpers::{MAIL_FROM, TestApp, User, award_terms};
use crate::on_both_stores;
use domain::Role;
use domain::application::{ApplicationCommand, LetterKind};

on_both_stores!(
    each_outcome_is_told_by_a_letter_that_says_what_it_means,
    a_reserve_who_is_later_selected_has_both_letters_in_order,
    the_applicant_reads_their_letters_on_their_page_and_the_case_staff_on_the_case_page,
    letters_are_refused_to_other_applicants_committee_members_and_visitors,
    a_letter_that_does_not_fit_the_outcome_is_refused,
    a_letter_is_emailed_to_the_address_on_the_application_and_the_email_recorded,
    with_the_mail_server_down_the_failure_is_recorded_and_the_letter_kept,
    a_destroyed_application_leaves_no_readable_letter,
    an_outcome_letter_gives_one_short_reference_and_no_internal_id,
);

async fn an_outcome_letter_gives_one_short_reference_and_no_internal_id(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.awarded_for(&owner, &officer).await;
    let reference = services::letters::application_reference(app.db(), &id)
        .await
        .unwrap();
    assert!(reference.starts_with("ETP-"), "{reference}");
    assert_eq!(reference.len(), "ETP-26-000001".len(), "{reference}");
    let letters = letters_of(&app, &id, &owner).await;
    assert_eq!(
        letters.len(),
        2,
        "the selected and award letters: {letters:?}"
    );
    for letter in letters {
        let body = words(&letter);
        assert!(!body.contains(&id), "no internal id: {body}");
        assert_eq!(body.matches(&reference).count(), 1, "one reference: {body}");
        assert!(
            body.contains(&format!("Our reference: {reference}")),
            "{body}"
        );
        assert!(!body.contains("masters"), "the level in words: {body}");
        assert!(!body.contains("programme_officer"), "{body}");
    }
}

const CASE_NAME: &str = "Test Applicant Marker";
const CASE_EMAIL: &str = "applicant.marker@example.test";

fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

/// The application's letters, as its owner reads them.
async fn letters_of(app: &TestApp, id: &str, reader: &User) -> Vec<Value> {
    let (status, body) = app.get(&at(id, "/letters"), reader).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .clone()
}

/// The one letter the application has.
async fn only_letter(app: &TestApp, id: &str, reader: &User) -> Value {
    let letters = letters_of(app, id, reader).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    letters[0].clone()
}

/// The types of the application's events, oldest first.
async fn history(app: &TestApp, id: &str, officer: &User) -> Vec<String> {
    let body = app.expect_ok(app.get(&at(id, "/history"), officer).await);
    body.as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["type"].as_str().unwrap().to_string())
        .collect()
}

/// Waits (ten seconds at most) until the letter's email is no longer pending, and gives the letter.
async fn settled_letter(app: &TestApp, id: &str, reader: &User) -> Value {
    for _ in 0..200 {
        let letter = only_letter(app, id, reader).await;
        if letter["email"] != "pending" {
            return letter;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the letter's email is still pending");
}

/// The letter's body as a reader reads it: its words, each run of spaces and line breaks one space.
fn words(letter: &Value) -> String {
    text(letter, "body")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn text(letter: &Value, key: &str) -> String {
    letter[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {letter}"))
        .to_string()
}

async fn each_outcome_is_told_by_a_letter_that_says_what_it_means(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let today = Utc::now().date_naive();

    let selected_owner = app.applicant().await;
    let selected = app.decided_for(&selected_owner, &officer, "selected").await;
    let letter = only_letter(&app, &selected, &selected_owner).await;
    assert_eq!(letter["kind"], "selected");
    assert_eq!(
        letter["subject"],
        "EtP Scholarships 2026-27: you have been selected"
    );
    let body = words(&letter);
    for expected in [
        "Dear Test Applicant Marker,",
        "2026-27",
        "has selected your application",
    ] {
        assert!(body.contains(expected), "{expected:?} in {body}");
    }
    assert_eq!(letter["email"], "not_sent", "no mail server: {letter}");
    assert!(letter["issued_at"].as_str().is_some(), "{letter}");
    assert!(letter["id"].as_str().is_some_and(|id| !id.is_empty()));

    let reserve_owner = app.applicant().await;
    let reserve = app.decided_for(&reserve_owner, &officer, "reserve").await;
    let letter = only_letter(&app, &reserve, &reserve_owner).await;
    assert_eq!(letter["kind"], "reserve");
    assert!(text(&letter, "subject").contains("reserve list"));
    let body = words(&letter);
    assert!(body.contains("Dear Test Applicant Marker,"), "{body}");
    assert!(
        body.contains("Being on the reserve list means that you have not been selected yet, but you may still be"),
        "the reserve letter says what reserve means: {body}"
    );

    let unsuccessful_owner = app.applicant().await;
    let unsuccessful = app
        .decided_for(&unsuccessful_owner, &officer, "unsuccessful")
        .await;
    let letter = only_letter(&app, &unsuccessful, &unsuccessful_owner).await;
    assert_eq!(letter["kind"], "unsuccessful");
    let destroyed_on = today
        .checked_add_months(Months::new(24))
        .unwrap()
        .format("%-d %B %Y")
        .to_string();
    let body = words(&letter);
    for expected in [
        "has not been successful",
        "an unsuccessful application is held for two years and then destroyed",
        &format!("will be destroyed on {destroyed_on}, two years from this decision"),
    ] {
        assert!(body.contains(expected), "{expected:?} in {body}");
    }

    // The award: the selected letter first, then the award's, with its terms.
    app.expect_ok(
        app.post(&at(&selected, "/award"), &officer, award_terms())
            .await,
    );
    let letters = letters_of(&app, &selected, &selected_owner).await;
    let kinds: Vec<&Value> = letters.iter().map(|letter| &letter["kind"]).collect();
    assert_eq!(kinds, [&json!("selected"), &json!("award")]);
    let award = &letters[1];
    assert_eq!(
        award["subject"],
        "EtP Scholarships 2026-27: your scholarship award"
    );
    let body = words(award);
    for expected in [
        "Dear Test Applicant Marker,",
        "Test Institute",
        "MSc Data Science",
        "master’s degree",
        "20 September 2027",
    ] {
        assert!(body.contains(expected), "{expected:?} in {body}");
    }
    let events = history(&app, &selected, &officer).await;
    assert_eq!(
        events[events.len() - 4..],
        [
            "DecisionRecorded",
            "LetterIssued",
            "AwardMade",
            "LetterIssued"
        ]
    );
}

async fn a_reserve_who_is_later_selected_has_both_letters_in_order(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.decided_for(&owner, &officer, "reserve").await;
    app.expect_ok(
        app.post(
            &at(&id, "/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    let letters = letters_of(&app, &id, &owner).await;
    let kinds: Vec<&Value> = letters.iter().map(|letter| &letter["kind"]).collect();
    assert_eq!(kinds, [&json!("reserve"), &json!("selected")]);
    // A decision refused records no letter.
    let (status, body) = app
        .post(
            &at(&id, "/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(letters_of(&app, &id, &owner).await.len(), 2);
}

async fn the_applicant_reads_their_letters_on_their_page_and_the_case_staff_on_the_case_page(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let owner = app.applicant().await;
    let id = app.decided_for(&owner, &officer, "reserve").await;
    let letter = only_letter(&app, &id, &owner).await;
    let subject = text(&letter, "subject");

    let mut browser = crate::pages::sign_in(&app, &owner.email).await;
    let page = browser.get(&format!("/applications/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Letters"), "{}", page.body);
    assert!(page.body.contains(&subject), "{}", page.body);
    assert!(
        page.body.contains("Not sent by email"),
        "the page says the letter was not emailed: {}",
        page.body
    );
    let href = format!("/applications/{id}/letters/1");
    assert!(page.body.contains(&href), "{}", page.body);
    let opened = browser.get(&href).await;
    assert_eq!(opened.status, StatusCode::OK);
    // The letter as it was issued, with the site's header and a way back put in before it.
    let issued = text(&letter, "body");
    let (head, rest) = issued.split_once("<body>").unwrap();
    let shown = opened
        .body
        .replacen("<main id=\"main\" class=", "<main class=", 1);
    assert!(
        shown.starts_with(&format!("{head}<body>")),
        "{}",
        opened.body
    );
    assert!(shown.ends_with(rest), "the letter as it was issued");
    assert!(
        opened
            .body
            .contains("<header class=\"site-header\" role=\"banner\">")
    );
    assert!(opened.body.contains(&format!(
        "<a class=\"back-link\" href=\"/applications/{id}\" id=\"back\">Back to your application</a>"
    )));
    assert!(opened.body.contains("Dear Test Applicant Marker,"));
    let missing = browser.get(&format!("/applications/{id}/letters/2")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The Help Desk reads no letters (CONTRACT.md, "What each role gets").
    let mut desk = crate::pages::sign_in(&app, &helpdesk.email).await;
    let case = desk.get(&format!("/cases/{id}?tab=history")).await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(!case.body.contains(&subject), "{}", case.body);
    let refused = desk.get(&format!("/cases/{id}/letters/1")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("reserve list"));

    for staff in [&officer, &information] {
        let mut desk = crate::pages::sign_in(&app, &staff.email).await;
        let case = desk.get(&format!("/cases/{id}?tab=history")).await;
        assert_eq!(case.status, StatusCode::OK);
        assert!(
            case.body.contains("Letters to the applicant"),
            "{}",
            case.body
        );
        assert!(case.body.contains(&subject), "{}", case.body);
        assert!(case.body.contains("Letter issued"), "in the history");
        let opened = desk.get(&format!("/cases/{id}/letters/1")).await;
        assert_eq!(opened.status, StatusCode::OK);
        assert!(opened.body.contains("reserve list"), "{}", opened.body);
        assert!(opened.body.contains(&format!(
            "href=\"/cases/{id}\" id=\"back\">Back to the case</a>"
        )));
    }
}

async fn letters_are_refused_to_other_applicants_committee_members_and_visitors(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let owner = app.applicant().await;
    let other = app.applicant().await;
    let id = app.under_review_for(&owner, &officer, &member).await;
    app.expect_ok(
        app.post(
            &at(&id, "/decision"),
            &officer,
            json!({"outcome": "unsuccessful"}),
        )
        .await,
    );
    assert_eq!(letters_of(&app, &id, &owner).await.len(), 1);
    let information = app.staff(Role::InformationOfficer).await;
    assert_eq!(letters_of(&app, &id, &information).await.len(), 1);
    // The Help Desk and administrators read no letters (CONTRACT.md, "What each role gets").
    for staff in [Role::Helpdesk, Role::Admin] {
        let staff = app.staff(staff).await;
        let (status, body) = app.get(&at(&id, "/letters"), &staff).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{staff:?}: {body}");
        assert_eq!(body["error"], "forbidden");
    }

    let (status, body) = app.get(&at(&id, "/letters"), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.to_string().contains(CASE_NAME), "{body}");
    let (status, body) = app.get(&at(&id, "/letters"), &member).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the assigned member: {body}");
    assert_eq!(body["error"], "forbidden");
    let (status, _) = app
        .request(reqwest::Method::GET, &at(&id, "/letters"), None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .get(&at(&uuid::Uuid::now_v7().to_string(), "/letters"), &owner)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut stranger = crate::pages::sign_in(&app, &other.email).await;
    let page = stranger.get(&format!("/applications/{id}/letters/1")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains(CASE_NAME));
    let mut committee = crate::pages::sign_in(&app, &member.email).await;
    let page = committee.get(&format!("/cases/{id}/letters/1")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.body.contains(CASE_NAME));
    let page = committee
        .get(&format!("/applications/{id}/letters/1"))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

async fn a_letter_that_does_not_fit_the_outcome_is_refused(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.decided_for(&owner, &officer, "reserve").await;
    let actor = domain::Actor::new(officer.id.clone(), Role::ProgrammeOfficer);
    let award_letter = ApplicationCommand::IssueLetter {
        letter_id: uuid::Uuid::now_v7().to_string(),
        kind: LetterKind::Award,
        subject: "Your award".to_string(),
        body: "<p>Test: an award letter</p>".to_string(),
        by_email: false,
    };
    let refused = app
        .state
        .execute_application(&id, &actor, award_letter)
        .await
        .expect_err("an award letter for a reserve");
    let refused = services::http::error::ApiError::from(refused);
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code, "letter_does_not_fit");
    assert!(
        refused.message.contains("award letter"),
        "{}",
        refused.message
    );

    let unknown = ApplicationCommand::RecordLetterEmailed {
        letter_id: "no-such-letter".to_string(),
    };
    let refused = app
        .state
        .execute_application(&id, &actor, unknown)
        .await
        .expect_err("the email of a letter never issued");
    let refused = services::http::error::ApiError::from(refused);
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let applicant = domain::Actor::new(owner.id.clone(), Role::Applicant);
    let own_letter = ApplicationCommand::IssueLetter {
        letter_id: uuid::Uuid::now_v7().to_string(),
        kind: LetterKind::Reserve,
        subject: "Test: a letter of my own".to_string(),
        body: "<p>Test</p>".to_string(),
        by_email: false,
    };
    let refused = app
        .state
        .execute_application(&id, &applicant, own_letter)
        .await
        .expect_err("an applicant issuing a letter");
    let refused = services::http::error::ApiError::from(refused);
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(letters_of(&app, &id, &owner).await.len(), 1);
}

async fn a_letter_is_emailed_to_the_address_on_the_application_and_the_email_recorded(
    app: TestApp,
) {
    let sink = SmtpSink::start().await;
    let app = app.with_mail_server(&sink.url()).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.decided_for(&owner, &officer, "selected").await;

    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.to, [CASE_EMAIL], "the address on the form");
    assert_eq!(mail.from, "letters@example.test");
    let letter = settled_letter(&app, &id, &owner).await;
    assert_eq!(letter["email"], "sent", "{letter}");
    assert!(letter["emailed_at"].as_str().is_some(), "{letter}");
    assert_eq!(mail.header("Subject"), Some(text(&letter, "subject")));
    let from = mail.header("From").unwrap_or_default();
    assert!(
        from.contains("EtP Scholarships") && from.contains("letters@example.test"),
        "{from} is {MAIL_FROM}"
    );
    assert!(
        mail.header("To").is_some_and(|to| to.contains(CASE_EMAIL)),
        "{:?}",
        mail.header("To")
    );
    assert!(
        mail.header("Content-Type")
            .is_some_and(|kind| kind.starts_with("text/html")),
        "{:?}",
        mail.header("Content-Type")
    );
    let events = history(&app, &id, &officer).await;
    assert_eq!(
        events[events.len() - 3..],
        ["DecisionRecorded", "LetterIssued", "LetterEmailed"]
    );

    // The award is emailed too.
    app.expect_ok(app.post(&at(&id, "/award"), &officer, award_terms()).await);
    let mails = sink.wait_for(2).await;
    assert_eq!(
        mails[1].header("Subject").as_deref(),
        Some("EtP Scholarships 2026-27: your scholarship award")
    );

    let mut browser = crate::pages::sign_in(&app, &owner.email).await;
    let page = browser.get(&format!("/applications/{id}")).await;
    assert!(page.body.contains("Sent by email on"), "{}", page.body);
}

async fn with_the_mail_server_down_the_failure_is_recorded_and_the_letter_kept(app: TestApp) {
    let app = app
        .with_mail_server(&url_of_a_server_that_is_down().await)
        .await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.decided_for(&owner, &officer, "unsuccessful").await;

    let letter = settled_letter(&app, &id, &owner).await;
    assert_eq!(letter["email"], "failed", "{letter}");
    let reason = text(&letter, "email_failure");
    assert_eq!(reason, "the mail server could not be reached");
    assert!(!reason.contains(CASE_EMAIL) && !reason.contains(CASE_NAME));
    let events = history(&app, &id, &officer).await;
    assert_eq!(
        events[events.len() - 3..],
        ["DecisionRecorded", "LetterIssued", "LetterEmailFailed"]
    );
    // Nothing is lost: the letter is kept whole and shown.
    assert!(text(&letter, "body").contains("Dear Test Applicant Marker,"));
    let mut browser = crate::pages::sign_in(&app, &owner.email).await;
    let page = browser.get(&format!("/applications/{id}")).await;
    assert!(
        page.body
            .contains("Could not be sent by email: the mail server could not be reached"),
        "{}",
        page.body
    );
    let opened = browser.get(&format!("/applications/{id}/letters/1")).await;
    assert_eq!(opened.status, StatusCode::OK);
    let issued = text(&letter, "body");
    let (_, letter_itself) = issued.split_once("<main class=").unwrap();
    assert!(
        opened.body.ends_with(letter_itself),
        "the letter is kept whole"
    );
}

async fn a_destroyed_application_leaves_no_readable_letter(app: TestApp) {
    use cqrs_es::persist::PersistedEventRepository;
    use projections::on_pool;

    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.decided_for(&owner, &officer, "unsuccessful").await;
    let letter = only_letter(&app, &id, &owner).await;
    let subject = text(&letter, "subject");

    // Sealed at rest: neither the subject nor the body's words are in the log's rows.
    let rows: Vec<String> = on_pool!(app.db(), p => sqlx::query_scalar::<_, String>(
            "SELECT CAST(payload AS TEXT) FROM events WHERE aggregate_id = $1 AND event_type = 'LetterIssued'",
        )
        .bind(&id)
        .fetch_all(p)
        .await
        .unwrap());
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("\"kind\""), "{}", rows[0]);
    assert!(!rows[0].contains(&subject), "{}", rows[0]);
    assert!(
        !rows[0].contains("Dear Test Applicant Marker"),
        "{}",
        rows[0]
    );

    let dir = tempfile::tempdir().unwrap();
    let ledger = services::retention::Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let due = Utc::now()
        .date_naive()
        .checked_add_months(Months::new(24))
        .unwrap();
    let report = services::retention::sweep(&app.state, &ledger, due, false, &|_, _| {})
        .await
        .unwrap();
    assert!(
        report.destroyed.iter().any(|line| line.aggregate_id == id),
        "{report:?}"
    );

    let (status, body) = app.get(&at(&id, "/letters"), &officer).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["error"], "destroyed");
    let events = app
        .state
        .repo
        .get_events::<domain::application::Application>(&id)
        .await
        .unwrap();
    let issued = events
        .iter()
        .find(|event| event.event_type == "LetterIssued")
        .expect("the letter's event stays in the log");
    let payload = &issued.payload["LetterIssued"];
    assert_eq!(payload["kind"], "unsuccessful", "the fact stays: {payload}");
    assert_eq!(payload["subject"], json!({"$destroyed": true}));
    assert_eq!(payload["body"], json!({"$destroyed": true}));
}
