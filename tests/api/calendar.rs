//! The calendar of the Information requests section: bank holidays by year, the public deadline
//! calculator, and days proclaimed at short notice moving the deadlines.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    anyone_can_read_the_bank_holidays_of_a_year_in_every_part_of_the_uk,
    the_deadline_calculator_answers_anyone_for_foi_and_sar,
    a_day_proclaimed_at_short_notice_moves_the_deadlines,
    only_information_officers_and_administrators_add_days,
);

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    app.request(Method::GET, path, None, None).await
}

async fn anyone_can_read_the_bank_holidays_of_a_year_in_every_part_of_the_uk(app: TestApp) {
    let (status, days) = get(&app, "/api/calendar/holidays?year=2026").await;
    assert_eq!(status, StatusCode::OK);
    let days = days.as_array().expect("a list");
    let has = |date: &str, region: &str| {
        days.iter()
            .any(|d| d["date"] == date && d["region"] == region)
    };
    assert!(has("2026-06-15", "scotland"), "the proclaimed Scottish day");
    assert!(has("2026-03-17", "northern-ireland"));
    assert!(has("2026-08-31", "england-and-wales"));
    assert!(has("2026-08-03", "scotland"));
    assert!(!has("2026-08-03", "england-and-wales"));
    assert!(
        days.iter()
            .all(|d| d["name"].as_str().is_some_and(|n| !n.is_empty()))
    );
    for bad in ["2014", "twenty", "2101"] {
        let (status, body) = get(&app, &format!("/api/calendar/holidays?year={bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["error"], "invalid");
    }
}

async fn the_deadline_calculator_answers_anyone_for_foi_and_sar(app: TestApp) {
    let (status, foi) = get(
        &app,
        "/api/calendar/due-dates?kind=foi&received_on=2025-04-14",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        foi["due_on"], "2025-05-15",
        "Good Friday, Easter Monday and the early May holiday skipped"
    );
    assert_eq!(foi["statutory_due_on"], "2025-05-15");
    let (_, sar) = get(
        &app,
        "/api/calendar/due-dates?kind=sar&received_on=2025-01-31",
    )
    .await;
    assert_eq!(sar["due_on"], "2025-02-28");
    assert_eq!(
        sar["statutory_due_on"], "2025-02-28",
        "no 31 February: the last day of the month"
    );
    let (_, old) = get(
        &app,
        "/api/calendar/due-dates?kind=foi&received_on=2015-01-02",
    )
    .await;
    assert_eq!(old["due_on"], "2015-01-30");
    for query in [
        "kind=fee&received_on=2025-01-01",
        "kind=foi&received_on=2025-02-30",
        "kind=foi",
        "kind=sar&received_on=2014-12-31",
    ] {
        let (status, body) = get(&app, &format!("/api/calendar/due-dates?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(body["error"], "invalid");
    }
}

async fn a_day_proclaimed_at_short_notice_moves_the_deadlines(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let (_, before) = get(
        &app,
        "/api/calendar/due-dates?kind=foi&received_on=2027-06-01",
    )
    .await;
    assert_eq!(before["due_on"], "2027-06-29");
    let (status, body) = app
        .post("/api/calendar/holidays", &officer, json!({"date": "2027-06-16", "region": "northern-ireland", "name": "Test proclaimed day"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, after) = get(
        &app,
        "/api/calendar/due-dates?kind=foi&received_on=2027-06-01",
    )
    .await;
    assert_eq!(
        after["due_on"], "2027-06-30",
        "a bank holiday in any part of the UK is no working day"
    );
    let (_, days) = get(&app, "/api/calendar/holidays?year=2027").await;
    assert!(
        days.as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == "2027-06-16" && d["name"] == "Test proclaimed day")
    );
    let (status, again) = app
        .post("/api/calendar/holidays", &officer, json!({"date": "2027-06-16", "region": "northern-ireland", "name": "Test proclaimed day"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["added"], false);
}

async fn only_information_officers_and_administrators_add_days(app: TestApp) {
    let day = json!({"date": "2028-06-16", "region": "scotland", "name": "Test proclaimed day"});
    let (status, body) = app
        .request(
            Method::POST,
            "/api/calendar/holidays",
            None,
            Some(day.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    for role in [
        Role::ProgrammeOfficer,
        Role::Helpdesk,
        Role::CommitteeMember,
    ] {
        let user = app.staff(role).await;
        let (status, body) = app.post("/api/calendar/holidays", &user, day.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(body["error"], "forbidden");
    }
    let applicant = app.applicant().await;
    assert_eq!(
        app.post("/api/calendar/holidays", &applicant, day.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let admin = app.staff(Role::Admin).await;
    assert_eq!(
        app.post("/api/calendar/holidays", &admin, day).await.0,
        StatusCode::CREATED
    );
    for bad in [
        json!({"date": "2028-13-01", "region": "scotland", "name": "x"}),
        json!({"date": "2028-06-17", "region": "wales", "name": "x"}),
        json!({"date": "2028-06-17", "region": "scotland", "name": " "}),
    ] {
        let (status, body) = app
            .post("/api/calendar/holidays", &admin, bad.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["error"], "invalid");
    }
}
