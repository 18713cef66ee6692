//! Information requests: logging them with their two dates, the clock stopped and resumed with the effect
//! the law gives each reason, extensions, a proclaimed day moving an open request, and the desk's order.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    an_information_officer_logs_a_request_and_sees_both_dates,
    a_request_with_bad_details_or_from_another_role_is_refused,
    each_reason_for_stopping_the_clock_moves_the_dates_as_the_law_says,
    the_clock_cannot_be_stopped_twice_resumed_when_running_or_for_a_reason_the_kind_does_not_allow,
    extensions_move_the_dates_once,
    a_newly_proclaimed_holiday_moves_an_open_requests_dates,
    the_desk_lists_overdue_requests_first_then_by_due_date,
    a_restricted_case_does_not_move_until_the_restriction_is_lifted,
    an_approved_erasure_destroys_what_has_no_ground_to_be_kept_and_says_so,
    a_refused_erasure_is_answered_with_the_reason_and_destroys_nothing,
);

fn request(kind: &str, received_on: &str) -> Value {
    json!({
        "kind": kind,
        "received_on": received_on,
        "requester": {"name": "Test Requester", "email": "requester@example.test"},
        "subject_email": "subject@example.test",
        "description": "Test: all data held about me",
    })
}

async fn log(app: &TestApp, officer: &User, kind: &str, received_on: &str) -> Value {
    let (status, body) = app
        .post(
            "/api/information-requests",
            officer,
            request(kind, received_on),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn clock(app: &TestApp, officer: &User, id: &Value, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/information-requests/{}/clock", id.as_str().unwrap()),
        officer,
        body,
    )
    .await
}

async fn an_information_officer_logs_a_request_and_sees_both_dates(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let foi = log(&app, &officer, "foi", "2025-04-14").await;
    assert_eq!(foi["due_on"], "2025-05-15");
    assert_eq!(foi["statutory_due_on"], "2025-05-15");
    let sar = log(&app, &officer, "sar", "2025-01-31").await;
    assert_eq!(sar["statutory_due_on"], "2025-02-28");
    assert_eq!(sar["due_on"], "2025-02-28");
    let (status, shown) = app
        .get(
            &format!("/api/information-requests/{}", sar["id"].as_str().unwrap()),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for key in [
        "id",
        "kind",
        "status",
        "received_on",
        "due_on",
        "statutory_due_on",
        "clock_stopped",
    ] {
        assert!(shown.get(key).is_some(), "{key} in {shown}");
    }
    assert_eq!(shown["kind"], "sar");
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["clock_stopped"], false);
    let (status, _) = app
        .get("/api/information-requests/no-such-request", &officer)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_request_with_bad_details_or_from_another_role_is_refused(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    for (body, path) in [
        (request("foi", &tomorrow), "received_on"),
        (request("gossip", "2025-01-06"), "kind"),
        (request("foi", "2025-02-30"), "received_on"),
    ] {
        let (status, answer) = app.post("/api/information-requests", &officer, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"], "invalid");
        assert_eq!(answer["problems"][0]["path"], path);
    }
    let mut bad_email = request("sar", "2025-01-06");
    bad_email["requester"]["email"] = json!("not an email");
    let (status, _) = app
        .post("/api/information-requests", &officer, bad_email)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for role in [Role::ProgrammeOfficer, Role::Helpdesk, Role::Admin] {
        let user = app.staff(role).await;
        let (status, _) = app
            .post(
                "/api/information-requests",
                &user,
                request("foi", "2025-01-06"),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(
            app.get("/api/information-requests", &user).await.0,
            StatusCode::FORBIDDEN
        );
    }
}

async fn each_reason_for_stopping_the_clock_moves_the_dates_as_the_law_says(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    // FOI, fee: the days stopped, both included, do not count.
    let fee = log(&app, &officer, "foi", "2025-06-02").await;
    assert_eq!(fee["due_on"], "2025-06-30");
    let (status, stopped) = clock(
        &app,
        &officer,
        &fee["id"],
        json!({"action": "stop", "on": "2025-06-09", "reason": "fee", "note": "fees notice sent"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(stopped["clock_stopped"], true);
    let (_, resumed) = clock(
        &app,
        &officer,
        &fee["id"],
        json!({"action": "resume", "on": "2025-06-13", "note": "fee paid"}),
    )
    .await;
    assert_eq!(resumed["due_on"], "2025-07-07");
    assert_eq!(resumed["clock_stopped"], false);
    assert_eq!(resumed["clock"].as_array().map(Vec::len), Some(2));

    // FOI, clarification: the day it arrives is the new day of receipt.
    let clarified = log(&app, &officer, "foi", "2025-06-02").await;
    clock(
        &app,
        &officer,
        &clarified["id"],
        json!({"action": "stop", "on": "2025-06-03", "reason": "clarification", "note": "asked"}),
    )
    .await;
    let (_, after) = clock(
        &app,
        &officer,
        &clarified["id"],
        json!({"action": "resume", "on": "2025-06-10", "note": "answered"}),
    )
    .await;
    assert_eq!(after["due_on"], "2025-07-08");

    // SAR, identity: the day it resumes is the new day of receipt, for both dates.
    let identity = log(&app, &officer, "sar", "2025-06-02").await;
    clock(
        &app,
        &officer,
        &identity["id"],
        json!({"action": "stop", "on": "2025-06-02", "reason": "identity", "note": "ID asked"}),
    )
    .await;
    let (_, after) = clock(
        &app,
        &officer,
        &identity["id"],
        json!({"action": "resume", "on": "2025-06-16", "note": "ID seen"}),
    )
    .await;
    assert_eq!(after["statutory_due_on"], "2025-07-16");
    assert_eq!(
        after["due_on"], "2025-07-15",
        "20 working days; 14 July is the Boyne holiday held in Northern Ireland"
    );

    // SAR, clarification: the days stopped do not count; the statutory date moves by as many calendar days.
    let sar = log(&app, &officer, "sar", "2025-06-02").await;
    clock(
        &app,
        &officer,
        &sar["id"],
        json!({"action": "stop", "on": "2025-06-09", "reason": "clarification", "note": "asked"}),
    )
    .await;
    let (_, after) = clock(
        &app,
        &officer,
        &sar["id"],
        json!({"action": "resume", "on": "2025-06-13", "note": "answered"}),
    )
    .await;
    assert_eq!(after["statutory_due_on"], "2025-07-07");
    assert_eq!(after["due_on"], "2025-07-07");
}

async fn the_clock_cannot_be_stopped_twice_resumed_when_running_or_for_a_reason_the_kind_does_not_allow(
    app: TestApp,
) {
    let officer = app.staff(Role::InformationOfficer).await;
    let foi = log(&app, &officer, "foi", "2025-06-02").await;
    let (status, body) = clock(
        &app,
        &officer,
        &foi["id"],
        json!({"action": "resume", "on": "2025-06-03", "note": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "clock_not_stopped");
    let (status, body) = clock(
        &app,
        &officer,
        &foi["id"],
        json!({"action": "stop", "on": "2025-06-03", "reason": "identity", "note": ""}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an FOI request is not stopped for identity: {body}"
    );
    let (status, _) = clock(
        &app,
        &officer,
        &foi["id"],
        json!({"action": "stop", "on": "2025-05-30", "reason": "fee", "note": ""}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not before the receipt"
    );
    assert_eq!(
        clock(
            &app,
            &officer,
            &foi["id"],
            json!({"action": "stop", "on": "2025-06-03", "reason": "fee", "note": ""})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, body) = clock(
        &app,
        &officer,
        &foi["id"],
        json!({"action": "stop", "on": "2025-06-04", "reason": "fee", "note": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "clock_stopped");
    let (status, _) = clock(
        &app,
        &officer,
        &foi["id"],
        json!({"action": "pause", "on": "2025-06-04"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let sar = log(&app, &officer, "sar", "2025-06-02").await;
    let (status, _) = clock(
        &app,
        &officer,
        &sar["id"],
        json!({"action": "stop", "on": "2025-06-03", "reason": "fee", "note": ""}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no fee stops a subject access request"
    );
}

async fn extensions_move_the_dates_once(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let foi = log(&app, &officer, "foi", "2025-06-02").await;
    let path = format!(
        "/api/information-requests/{}/extension",
        foi["id"].as_str().unwrap()
    );
    let (status, extended) = app.post(&path, &officer, json!({"extension": "public_interest_test", "reason": "Test: weighing the public interest"})).await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    assert_eq!(
        extended["due_on"], "2025-07-29",
        "20 more working days after 30 June, 14 July not one"
    );
    let (status, body) = app
        .post(
            &path,
            &officer,
            json!({"extension": "public_interest_test", "reason": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "already_extended");
    let sar = log(&app, &officer, "sar", "2025-06-02").await;
    let path = format!(
        "/api/information-requests/{}/extension",
        sar["id"].as_str().unwrap()
    );
    let (status, _) = app
        .post(
            &path,
            &officer,
            json!({"extension": "public_interest_test", "reason": "x"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the public interest test is FOI's"
    );
    let (status, extended) = app
        .post(
            &path,
            &officer,
            json!({"extension": "complex", "months": 2, "reason": "Test: many records"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(extended["statutory_due_on"], "2025-09-02");
}

async fn a_newly_proclaimed_holiday_moves_an_open_requests_dates(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let today = chrono::Utc::now().date_naive();
    let received = today.to_string();
    let logged = log(&app, &officer, "foi", &received).await;
    let due: chrono::NaiveDate = logged["due_on"].as_str().unwrap().parse().unwrap();
    // Proclaim a holiday on a working day before the due date: the due date moves one working day later.
    let mut day = today + chrono::Duration::days(1);
    while matches!(
        chrono::Datelike::weekday(&day),
        chrono::Weekday::Sat | chrono::Weekday::Sun
    ) {
        day += chrono::Duration::days(1);
    }
    let (status, _) = app
        .post(
            "/api/calendar/holidays",
            &officer,
            json!({"date": day.to_string(), "region": "scotland", "name": "Test proclaimed day"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, moved) = app
        .get(
            &format!(
                "/api/information-requests/{}",
                logged["id"].as_str().unwrap()
            ),
            &officer,
        )
        .await;
    let moved: chrono::NaiveDate = moved["due_on"].as_str().unwrap().parse().unwrap();
    assert!(moved > due, "{moved} is after {due}");
}

async fn the_desk_lists_overdue_requests_first_then_by_due_date(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let today = chrono::Utc::now().date_naive();
    let recent = log(&app, &officer, "foi", &today.to_string()).await;
    let older = log(
        &app,
        &officer,
        "sar",
        &(today - chrono::Duration::days(3)).to_string(),
    )
    .await;
    let overdue = log(&app, &officer, "foi", "2025-01-06").await;
    let (status, list) = app.get("/api/information-requests", &officer).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&Value> = list.as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, vec![&overdue["id"], &older["id"], &recent["id"]]);
    assert_eq!(list[0]["overdue"], true);
}

async fn a_restricted_case_does_not_move_until_the_restriction_is_lifted(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let restrict = json!({"reason": "Test: the applicant contests the accuracy of their data"});
    for user in [&officer, &helpdesk, &applicant] {
        let (status, _) = app
            .post(
                &format!("/api/applications/{id}/restriction"),
                user,
                restrict.clone(),
            )
            .await;
        assert_ne!(
            status,
            StatusCode::OK,
            "only an information officer restricts processing"
        );
    }
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/restriction"),
            &information,
            restrict,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert!(
        view["restriction"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("contests")),
        "{view}"
    );

    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "restricted");
    // An opt-out only narrows what is done with the data: it is still recorded; taking it back is not.
    let preferences = json!({"networking_opt_out": true, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false});
    assert_eq!(
        app.put(
            &format!("/api/applications/{id}/preferences"),
            &officer,
            preferences
        )
        .await
        .0,
        StatusCode::OK
    );
    let taken_back = json!({"networking_opt_out": false, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false});
    assert_eq!(
        app.put(
            &format!("/api/applications/{id}/preferences"),
            &officer,
            taken_back
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let amendment = json!({"changes": {"personal.phone": "+000 5555 5555"}, "reason": "Test: corrected while restricted"});
    assert_eq!(
        app.post(
            &format!("/api/applications/{id}/amendments"),
            &helpdesk,
            amendment
        )
        .await
        .0,
        StatusCode::OK,
        "the data can still be corrected"
    );

    let lift = json!({"reason": "Test: accuracy confirmed"});
    let (status, _) = app
        .post(
            &format!("/api/applications/{id}/restriction/lift"),
            &information,
            lift.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/restriction/lift"),
            &information,
            lift,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "not_restricted");
    let (status, _) = app
        .post(
            &format!("/api/applications/{id}/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the case moves again");
}

async fn erasure_request(app: &TestApp, officer: &User, email: &str) -> String {
    let (status, body) = app
        .post(
            "/api/information-requests",
            officer,
            json!({
                "kind": "erasure", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": email},
                "subject_email": email, "description": "Test: erase my data",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn an_approved_erasure_destroys_what_has_no_ground_to_be_kept_and_says_so(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let request = erasure_request(&app, &information, &applicant.email).await;
    let path = format!("/api/information-requests/{request}/erasure");
    let (status, decided) = app
        .post(
            &path,
            &information,
            json!({"approve": true, "reason": "Test: no ground to keep"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "responded");
    assert_eq!(decided["erasure"]["approved"], true);
    let (status, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    let (status, _) = app.login(&applicant.email, crate::helpers::PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the account went with the last application"
    );
    let (_, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(response["erasure"], "approved");
    assert_eq!(
        response["erased"].as_array().map(Vec::len),
        Some(2),
        "{response}"
    );
    let (status, body) = app
        .post(
            &path,
            &information,
            json!({"approve": true, "reason": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // An award is kept: there is a ground to keep it.
    let awarded = app.applicant().await;
    let award = app.awarded_for(&awarded, &officer).await;
    let request = erasure_request(&app, &information, &awarded.email).await;
    let (status, _) = app
        .post(
            &format!("/api/information-requests/{request}/erasure"),
            &information,
            json!({"approve": true, "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/api/applications/{award}"), &officer)
            .await
            .0,
        StatusCode::OK
    );
    let (_, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert!(
        response["kept"][0]["ground"]
            .as_str()
            .is_some_and(|g| g.contains("award")),
        "{response}"
    );
    // Nothing was erased: the answer is a refusal, with its grounds, never "approved".
    assert_eq!(response["erasure"], "refused", "{response}");
    assert_eq!(response["erased"], json!([]), "{response}");
    let letter = erasure_letter(&app, &information, &request).await;
    assert!(
        letter.contains("We have not erased your personal data"),
        "{letter}"
    );
    assert!(letter.contains("held indefinitely"), "{letter}");
    assert!(!letter.contains("We have erased"), "{letter}");

    // An award and a draft of a later cycle: the draft is erased, the award kept, and the answer says so.
    let scholar = app.applicant().await;
    let kept = app.awarded_for(&scholar, &officer).await;
    let (status, draft) = app
        .post("/api/applications", &scholar, json!({"cycle": "2027-28"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft = draft["id"].as_str().unwrap().to_string();
    let request = erasure_request(&app, &information, &scholar.email).await;
    let (status, _) = app
        .post(
            &format!("/api/information-requests/{request}/erasure"),
            &information,
            json!({"approve": true, "reason": "Test"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(response["erasure"], "refused_in_part", "{response}");
    assert_eq!(
        response["erased"].as_array().map(Vec::len),
        Some(1),
        "{response}"
    );
    assert_eq!(
        response["erased"][0]["application_id"],
        json!(draft),
        "{response}"
    );
    assert_eq!(
        response["erased"][0]["record"], "your application for the 2027-28 cycle",
        "the record in words: {response}"
    );
    assert!(response["kept"].to_string().contains(&kept), "{response}");
    let (status, _) = app
        .get(&format!("/api/applications/{draft}"), &officer)
        .await;
    assert_eq!(status, StatusCode::GONE);
    let letter = erasure_letter(&app, &information, &request).await;
    assert!(
        letter.contains("We have erased part of the personal data"),
        "{letter}"
    );
    assert!(letter.contains("We have not erased, and why"), "{letter}");
    assert!(
        letter.contains("your application for the 2026-27 cycle"),
        "{letter}"
    );
    for id in [&draft, &kept, &request] {
        assert!(!letter.contains(id.as_str()), "no internal id: {letter}");
    }
}

/// The letter of a request's response.
async fn erasure_letter(app: &TestApp, information: &User, request: &str) -> String {
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
    letter.text().await.unwrap()
}

async fn a_refused_erasure_is_answered_with_the_reason_and_destroys_nothing(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let request = erasure_request(&app, &information, &applicant.email).await;
    let (status, decided) = app
        .post(
            &format!("/api/information-requests/{request}/erasure"),
            &information,
            json!({"approve": false, "reason": "Test: the application is being assessed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["erasure"]["approved"], false);
    assert_eq!(
        app.get(&format!("/api/applications/{id}"), &officer)
            .await
            .0,
        StatusCode::OK
    );
    let (_, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(response["erasure"], "refused");
    assert_eq!(
        response["reason"],
        "Test: the application is being assessed"
    );
    let foi = log(&app, &information, "foi", "2025-06-02").await;
    let (status, _) = app
        .post(
            &format!(
                "/api/information-requests/{}/erasure",
                foi["id"].as_str().unwrap()
            ),
            &information,
            json!({"approve": true, "reason": "x"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only an erasure request is decided so"
    );
    let (status, _) = app
        .post(
            &format!("/api/information-requests/{request}/erasure"),
            &officer,
            json!({"approve": true, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
