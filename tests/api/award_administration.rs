//! Administering an award (issue 25; CONTRACT.md, Applications and Sharing): the offer and its reply or
//! lapse, the award waiting for acceptance, progress reports on a schedule and their sharing, the result, the
//! Open Book only from the completion day.

use chrono::{Days, Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, award_terms};
use crate::on_both_stores;
use domain::Role;
use services::retention::{Ledger, SweepReport};

on_both_stores!(
    an_offer_lapses_the_day_after_its_reply_by_date_and_not_on_it,
    a_declined_offer_is_destroyed_two_years_later_by_the_sweep,
    the_award_waits_for_an_offer_made_in_the_system_to_be_accepted,
    offers_are_refused_where_they_cannot_apply,
    reports_due_and_overdue_are_listed_until_recorded,
    a_progress_report_goes_only_to_the_permitted_missions,
    the_open_book_shows_an_alumnus_only_from_the_completion_day,
    the_scholar_sees_the_offer_and_report_dates_but_not_the_reports,
    the_offer_its_acceptance_and_its_lapse_are_each_told_by_letter,
);

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

async fn sweep(app: &TestApp, as_of: NaiveDate) -> SweepReport {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    services::retention::sweep(&app.state, &ledger, as_of, false, &|_, _| {})
        .await
        .unwrap_or_else(|error| panic!("the sweep as of {as_of} runs: {error:#}"))
}

async fn status_of(app: &TestApp, officer: &User, id: &str) -> String {
    let body = app.expect_ok(app.get(&at(id, ""), officer).await);
    body["status"].as_str().unwrap_or_default().to_string()
}

/// A selected application of a new applicant, with an offer made to reply by `reply_by`.
async fn offered(app: &TestApp, officer: &User, reply_by: NaiveDate) -> (User, String) {
    let applicant = app.applicant().await;
    let id = app.decided_for(&applicant, officer, "selected").await;
    let (status, body) = app
        .post(
            &at(&id, "/offer"),
            officer,
            json!({"reply_by": reply_by.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["reply_by"], json!(reply_by.to_string()));
    (applicant, id)
}

async fn an_offer_lapses_the_day_after_its_reply_by_date_and_not_on_it(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let reply_by = today() + Days::new(1);
    let (_, id) = offered(&app, &officer, reply_by).await;

    let on_the_day = sweep(&app, reply_by).await;
    assert!(on_the_day.lapsed_offers.is_empty(), "{on_the_day:?}");
    assert_eq!(status_of(&app, &officer, &id).await, "selected");

    let day_after = sweep(&app, reply_by + Days::new(1)).await;
    let lapsed: Vec<&str> = day_after
        .lapsed_offers
        .iter()
        .map(|offer| offer.application_id.as_str())
        .collect();
    assert_eq!(lapsed, [id.as_str()]);
    assert!(day_after.lapsed_offers[0].failed.is_none());
    assert_eq!(status_of(&app, &officer, &id).await, "unsuccessful");
    let administration = app.expect_ok(app.get(&at(&id, "/administration"), &officer).await);
    assert_eq!(administration["offer"]["state"], "lapsed");
    assert_eq!(
        administration["offer"]["answered_on"],
        json!((reply_by + Days::new(1)).to_string())
    );
    // Lapsed once: a later sweep finds nothing more to lapse.
    let later = sweep(&app, reply_by + Days::new(5)).await;
    assert!(later.lapsed_offers.is_empty(), "{later:?}");
}

async fn a_declined_offer_is_destroyed_two_years_later_by_the_sweep(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (applicant, id) = offered(&app, &officer, today() + Days::new(10)).await;
    let (status, body) = app
        .post(&at(&id, "/offer/decline"), &applicant, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "unsuccessful");
    assert_eq!(body["offer"], "declined");
    // Answered once: neither answer is taken again.
    for answer in ["/offer/accept", "/offer/decline"] {
        let (status, body) = app.post(&at(&id, answer), &applicant, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"], "no_open_offer");
    }

    let two_years = today().checked_add_months(Months::new(24)).unwrap();
    let before = sweep(&app, two_years - Days::new(1)).await;
    assert!(
        !before.destroyed.iter().any(|line| line.aggregate_id == id),
        "kept until its two years are up: {before:?}"
    );
    let swept = sweep(&app, two_years).await;
    assert!(
        swept
            .destroyed
            .iter()
            .any(|line| line.aggregate_id == id && line.rule == "unsuccessful_application"),
        "destroyed under the rule for unsuccessful applications: {swept:?}"
    );
    let (status, body) = app.get(&at(&id, ""), &officer).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
}

async fn the_award_waits_for_an_offer_made_in_the_system_to_be_accepted(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (applicant, id) = offered(&app, &officer, today() + Days::new(10)).await;
    let (status, body) = app.post(&at(&id, "/award"), &officer, award_terms()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "offer_not_accepted");

    let (status, body) = app
        .post(&at(&id, "/offer/accept"), &applicant, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "selected");
    assert_eq!(body["offer"], "accepted");
    app.expect_ok(app.post(&at(&id, "/award"), &officer, award_terms()).await);
    assert_eq!(status_of(&app, &officer, &id).await, "awarded");

    // Without an offer in the system, the award follows selection directly.
    app.awarded(&officer).await;
}

async fn offers_are_refused_where_they_cannot_apply(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (applicant, id) = offered(&app, &officer, today() + Days::new(10)).await;
    // A second offer.
    let (status, body) = app.post(&at(&id, "/offer"), &officer, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "offer_already_made");
    // Not selected.
    let reserve = app.decided(&officer, "reserve").await;
    let (status, body) = app.post(&at(&reserve, "/offer"), &officer, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "not_selected");
    // A reply-by date that has come, or is not a date.
    let selected = app.decided(&officer, "selected").await;
    for (reply_by, why) in [
        (today().to_string(), "today"),
        ("next week".to_string(), "not a date"),
    ] {
        let (status, body) = app
            .post(
                &at(&selected, "/offer"),
                &officer,
                json!({"reply_by": reply_by}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
        assert_eq!(body["problems"][0]["path"], "reply_by", "{why}: {body}");
    }
    // With no date chosen: the tenth UK working day after today, at least two weeks ahead.
    let (status, body) = app
        .post(&at(&selected, "/offer"), &officer, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reply_by: NaiveDate = body["reply_by"].as_str().unwrap().parse().unwrap();
    assert!(
        reply_by >= today() + Days::new(12) && reply_by <= today() + Days::new(20),
        "{reply_by}"
    );
    // Only the officer offers; only the owner answers.
    let (status, _) = app
        .post(&at(&reserve, "/offer"), &applicant, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(&at(&id, "/offer/accept"), &officer, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let stranger = app.applicant().await;
    let (status, body) = app
        .post(&at(&id, "/offer/accept"), &stranger, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // No offer made.
    let owner_of_selected = app.applicant().await;
    let plain = app
        .decided_for(&owner_of_selected, &officer, "selected")
        .await;
    let (status, body) = app
        .post(&at(&plain, "/offer/accept"), &owner_of_selected, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "no_open_offer");
}

async fn reports_due_and_overdue_are_listed_until_recorded(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.awarded(&officer).await;
    let yesterday = today() - Days::new(1);
    let soon = today() + Days::new(7);
    let later = today() + Days::new(200);
    let (status, body) = app
        .put(
            &at(&id, "/report-schedule"),
            &officer,
            json!({"due": [later.to_string(), yesterday.to_string(), soon.to_string()]}),
        )
        .await;
    // The award starts in 2027: a report cannot fall due before it.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "due");

    // An award that has started.
    let started = app.decided(&officer, "selected").await;
    let mut terms = award_terms();
    terms["start_date"] = json!((today() - Days::new(120)).to_string());
    app.expect_ok(app.post(&at(&started, "/award"), &officer, terms).await);
    let schedule = json!({"due": [later.to_string(), yesterday.to_string(), soon.to_string()]});
    let body = app.expect_ok(
        app.put(&at(&started, "/report-schedule"), &officer, schedule)
            .await,
    );
    assert_eq!(body["reports_overdue"], json!([yesterday.to_string()]));
    assert_eq!(
        body["reports_due"],
        json!([soon.to_string(), later.to_string()])
    );

    let desk = app.expect_ok(app.get("/api/progress-reports/due", &officer).await);
    let listed = |key: &str| -> Vec<(String, String)> {
        desk[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["application_id"] == json!(started))
            .map(|row| {
                (
                    row["application_id"].as_str().unwrap().to_string(),
                    row["due_on"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        listed("overdue"),
        [(started.clone(), yesterday.to_string())]
    );
    assert_eq!(
        listed("due"),
        [(started.clone(), soon.to_string())],
        "not the one beyond 30 days"
    );

    // A report answers the overdue date, which leaves the desk.
    let (status, body) = app
        .post(
            &at(&started, "/progress-reports"),
            &officer,
            json!({"period": "Test term one", "source": "supervisor", "rating": "good", "text": "Steady test progress."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["due_on"], json!(yesterday.to_string()));
    let desk = app.expect_ok(app.get("/api/progress-reports/due", &officer).await);
    assert!(
        !desk["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["application_id"] == json!(started)),
        "{desk}"
    );
    let reports = app.expect_ok(app.get(&at(&started, "/progress-reports"), &officer).await);
    assert_eq!(reports.as_array().unwrap().len(), 1);
    assert_eq!(reports[0]["rating"], "good");
    assert_eq!(reports[0]["source"], "supervisor");
    assert_eq!(reports[0]["text"], "Steady test progress.");

    // Refusals: a bad rating or source, no text, not awarded, another role.
    let (status, body) = app
        .post(
            &at(&started, "/progress-reports"),
            &officer,
            json!({"period": "Test term two", "source": "tutor", "rating": "great", "text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let paths: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["source", "rating"]);
    let (status, body) = app
        .post(
            &at(&started, "/progress-reports"),
            &officer,
            json!({"period": "Test term two", "source": "scholar", "rating": "concern", "text": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let reserve = app.decided(&officer, "reserve").await;
    let (status, body) = app
        .post(
            &at(&reserve, "/progress-reports"),
            &officer,
            json!({"period": "Test term", "source": "scholar", "rating": "good", "text": "Fine."}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "not_awarded");
    let helpdesk = app.staff(Role::Helpdesk).await;
    for path in [
        at(&started, "/progress-reports"),
        "/api/progress-reports/due".to_string(),
    ] {
        let (status, _) = app.get(&path, &helpdesk).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, body) = app
        .get("/api/progress-reports/due?within_days=400", &officer)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn register(app: &TestApp, name: &str, kind: &str, country: &str) -> String {
    let admin = app.staff(Role::Admin).await;
    let (represents, located_in) = match kind {
        "study_country_embassy" => (Some("United Kingdom"), None),
        "home_country_mission" => (None, Some("United Kingdom")),
        _ => (None, None),
    };
    let (status, body) = app
        .post(
            "/api/recipients",
            &admin,
            json!({"name": name, "kind": kind, "country": country, "represents": represents, "located_in": located_in}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn a_progress_report_goes_only_to_the_permitted_missions(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let sponsor = register(
        &app,
        "Test Joint Sponsor",
        "joint_sponsor",
        "United Kingdom",
    )
    .await;
    let id = app.decided(&officer, "selected").await;
    let mut terms = award_terms();
    terms["joint_sponsor_id"] = json!(sponsor);
    app.expect_ok(app.post(&at(&id, "/award"), &officer, terms).await);
    app.expect_ok(
        app.post(
            &at(&id, "/progress-reports"),
            &officer,
            json!({"period": "Test term one", "source": "scholar", "rating": "excellent", "text": "Top of the test cohort."}),
        )
        .await,
    );
    // The test applicant lives in Kenya, is Kenyan, and studies in the United Kingdom.
    let british = register(
        &app,
        "Test British High Commission",
        "british_mission",
        "Kenya",
    )
    .await;
    let embassy = register(
        &app,
        "Test Embassy of the Study Country",
        "study_country_embassy",
        "Kenya",
    )
    .await;
    let elsewhere = register(
        &app,
        "Test British Embassy Elsewhere",
        "british_mission",
        "Uganda",
    )
    .await;
    let home = register(
        &app,
        "Test Kenya High Commission",
        "home_country_mission",
        "Kenya",
    )
    .await;
    let disclose = |recipient: String| {
        let app = &app;
        let officer = &officer;
        let id = &id;
        async move {
            app.post(
                &at(id, "/disclosures"),
                officer,
                json!({"recipient_id": recipient, "purpose": "Test progress update", "fields": ["progress_reports"]}),
            )
            .await
        }
    };
    for recipient in [british, embassy] {
        let (status, body) = disclose(recipient).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for (recipient, why) in [
        (sponsor, "progress reports may be sent only to"),
        (home, "progress reports may be sent only to"),
        (
            elsewhere,
            "may receive data only of people living in Uganda",
        ),
    ] {
        let (status, body) = disclose(recipient).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"], "sharing_not_permitted");
        assert!(
            body["reason"].as_str().unwrap_or_default().contains(why),
            "{body}"
        );
    }
    let disclosures = app.expect_ok(app.get(&at(&id, "/disclosures"), &officer).await);
    assert_eq!(disclosures.as_array().unwrap().len(), 2, "{disclosures}");
}

async fn open_book(app: &TestApp) -> Value {
    let response = app
        .client
        .get(format!("{}/api/alumni/open-book", app.address))
        .send()
        .await
        .expect("the open book answers");
    response.json().await.expect("JSON")
}

async fn the_open_book_shows_an_alumnus_only_from_the_completion_day(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.awarded(&officer).await;
    let tomorrow = today() + Days::new(1);
    let (status, body) = app
        .post(
            &at(&id, "/award/complete"),
            &officer,
            json!({"outcome": "Merit", "completed_on": tomorrow.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "completed_on");
    assert_eq!(open_book(&app).await, json!([]));
    assert_eq!(status_of(&app, &officer, &id).await, "awarded");

    // The result released, then the completion today takes its outcome from it.
    let (status, body) = app
        .post(
            &at(&id, "/result"),
            &officer,
            json!({"qualification": "MSc Data Science", "result": "Distinction", "released_on": today().to_string(), "released_by": "Test registry"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let body = app.expect_ok(
        app.post(
            &at(&id, "/award/complete"),
            &officer,
            json!({"completed_on": today().to_string()}),
        )
        .await,
    );
    assert_eq!(body["status"], "alumni");
    let book = open_book(&app).await;
    assert_eq!(book.as_array().unwrap().len(), 1, "{book}");
    assert_eq!(
        book[0]["outcome"], "MSc Data Science: Distinction",
        "{book}"
    );
}

async fn the_scholar_sees_the_offer_and_report_dates_but_not_the_reports(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (applicant, id) = offered(&app, &officer, today() + Days::new(10)).await;
    let shown = app.expect_ok(app.get(&at(&id, "/administration"), &applicant).await);
    assert_eq!(shown["offer"]["state"], "open");
    app.expect_ok(
        app.post(&at(&id, "/offer/accept"), &applicant, json!({}))
            .await,
    );
    app.expect_ok(app.post(&at(&id, "/award"), &officer, award_terms()).await);
    app.expect_ok(
        app.put(
            &at(&id, "/supervisor"),
            &officer,
            json!({"name": "Test Supervisor", "email": "supervisor@example.test", "institution": "Test Institute", "department": "Test Department"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &at(&id, "/progress-reports"),
            &officer,
            json!({"period": "Test term one", "source": "supervisor", "rating": "concern", "text": "A private test remark."}),
        )
        .await,
    );
    let shown = app.expect_ok(app.get(&at(&id, "/administration"), &applicant).await);
    assert_eq!(shown["offer"]["state"], "accepted");
    assert_eq!(
        shown["schedule"].as_array().unwrap().len(),
        3,
        "termly for a one-year course: {shown}"
    );
    let text = shown.to_string();
    assert!(!text.contains("A private test remark"), "{text}");
    assert!(!text.contains("Test Supervisor"), "{text}");
    let officer_sees = app.expect_ok(app.get(&at(&id, "/administration"), &officer).await);
    assert_eq!(officer_sees["supervisor"]["name"], "Test Supervisor");
    assert_eq!(
        officer_sees["supervisor_history"].as_array().unwrap().len(),
        1
    );
    assert_eq!(officer_sees["reports"][0]["text"], "A private test remark.");
    // Someone else's, or another role.
    let stranger = app.applicant().await;
    let (status, _) = app.get(&at(&id, "/administration"), &stranger).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let member = app.staff(Role::CommitteeMember).await;
    let (status, _) = app.get(&at(&id, "/administration"), &member).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A supervisor with a bad email.
    let (status, body) = app
        .put(
            &at(&id, "/supervisor"),
            &officer,
            json!({"name": "Test Supervisor", "email": "not an email", "institution": "Test Institute", "department": "Test Department"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// The kinds and bodies of the application's letters, oldest first, as its owner reads them.
async fn letters(app: &TestApp, id: &str, owner: &User) -> Vec<(String, String)> {
    let body = app.expect_ok(app.get(&at(id, "/letters"), owner).await);
    body.as_array()
        .unwrap()
        .iter()
        .map(|letter| {
            (
                letter["kind"].as_str().unwrap_or_default().to_string(),
                letter["body"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn the_offer_its_acceptance_and_its_lapse_are_each_told_by_letter(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let reply_by = today() + Days::new(1);
    let written = reply_by.format("%-d %B %Y").to_string();

    let (applicant, accepted) = offered(&app, &officer, today() + Days::new(10)).await;
    app.expect_ok(
        app.post(&at(&accepted, "/offer/accept"), &applicant, json!({}))
            .await,
    );
    let kinds: Vec<String> = letters(&app, &accepted, &applicant)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["selected", "offer", "offer_accepted"]);

    let (owner, lapsing) = offered(&app, &officer, reply_by).await;
    let sent = letters(&app, &lapsing, &owner).await;
    let (_, offer) = sent
        .iter()
        .find(|(kind, _)| kind == "offer")
        .expect("the offer letter");
    assert!(
        offer.contains(&format!(
            "Please accept or decline this offer by <strong>{written}</strong>"
        )),
        "{offer}"
    );
    sweep(&app, reply_by + Days::new(1)).await;
    let sent = letters(&app, &lapsing, &owner).await;
    let (_, lapse) = sent
        .iter()
        .find(|(kind, _)| kind == "offer_lapsed")
        .expect("the lapse letter");
    let two_years = (reply_by + Days::new(1))
        .checked_add_months(Months::new(24))
        .unwrap();
    assert!(
        lapse.contains(&format!("to be accepted by {written}")),
        "{lapse}"
    );
    assert!(
        lapse.contains(&format!(
            "will be destroyed on {}",
            two_years.format("%-d %B %Y")
        )),
        "{lapse}"
    );
    // Declining is the applicant's own act: no letter tells them of it.
    let (decliner, declined) = offered(&app, &officer, reply_by).await;
    app.expect_ok(
        app.post(&at(&declined, "/offer/decline"), &decliner, json!({}))
            .await,
    );
    let kinds: Vec<String> = letters(&app, &declined, &decliner)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["selected", "offer"]);
}
