//! The award's pages (issue 25): the programme officer's award page of a case, and the applicant's reply to
//! an offer on their application's page.

use chrono::{Days, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, award_terms};
use crate::on_both_stores;
use crate::pages::sign_in;
use domain::Role;

on_both_stores!(
    the_officer_offers_records_a_supervisor_and_a_report_on_the_award_page,
    a_refused_award_form_shows_the_message_at_the_field_and_keeps_what_was_typed,
    the_applicant_accepts_or_declines_the_offer_on_their_page,
    the_completion_takes_its_outcome_from_the_result_released,
    the_result_is_released_on_a_day_typed_as_day_month_and_year,
);

async fn the_officer_offers_records_a_supervisor_and_a_report_on_the_award_page(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.decided_for(&applicant, &officer, "selected").await;
    let mut desk = sign_in(&app, &officer.email).await;

    let case = desk.get(&format!("/cases/{id}?tab=award")).await;
    assert!(
        case.text()
            .contains(&format!("href=\"/cases/{id}/administration\"")),
        "the case links to the award page"
    );
    let page = desk.get(&format!("/cases/{id}/administration")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("No offer made in the system"));
    let reference = services::letters::application_reference(app.db(), &id)
        .await
        .unwrap();
    assert!(page.text().contains(&format!("reference {reference}")));
    let reply_by = Utc::now().date_naive() + Days::new(14);
    let form = page
        .form(&format!("/cases/{id}/administration/offer"))
        .set_date("reply_by", &reply_by.to_string());
    let done = desk.submit(&form).await;
    assert_eq!(
        done.location(),
        format!("/cases/{id}/administration?done=offer")
    );
    let page = desk.get(done.location()).await;
    let text = page.text();
    assert!(text.contains("The offer has been made"), "{text}");
    assert!(
        text.contains(&format!(
            "Waiting for the applicant's reply; reply by {}",
            reply_by.format("%-d %B %Y")
        )),
        "{text}"
    );
    assert!(
        !page.text().contains("Make the offer and send the letter"),
        "offered once"
    );

    // Accepted by the applicant and awarded: the award's own forms.
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/offer/accept"),
            &applicant,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/award"),
            &officer,
            award_terms(),
        )
        .await,
    );

    let page = desk.get(&format!("/cases/{id}/administration")).await;
    assert!(page.text().contains("Accepted on"), "{}", page.text());
    let form = page
        .form(&format!("/cases/{id}/administration/supervisor"))
        .set("name", "Test Supervisor")
        .set("email", "supervisor@example.test")
        .set("institution", "Test Institute")
        .set("department", "Test Department");
    let done = desk.submit(&form).await;
    let page = desk.get(done.location()).await;
    assert!(page.text().contains("The supervisor has been recorded."));
    assert!(page.text().contains("supervisor@example.test"));

    let form = page
        .form(&format!("/cases/{id}/administration/report"))
        .set("period", "Test term one")
        .set("source", "scholar")
        .set("rating", "satisfactory")
        .set("text", "A steady test term.");
    let done = desk.submit(&form).await;
    let page = desk.get(done.location()).await;
    let text = page.text();
    assert!(
        text.contains("The progress report has been recorded."),
        "{text}"
    );
    assert!(text.contains("A steady test term."), "{text}");
    assert!(text.contains("Satisfactory"), "{text}");
    assert!(text.contains("Received"), "{text}");

    // Other roles do not see the award page.
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut other = sign_in(&app, &helpdesk.email).await;
    let refused = other.get(&format!("/cases/{id}/administration")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn a_refused_award_form_shows_the_message_at_the_field_and_keeps_what_was_typed(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.awarded(&officer).await;
    let mut desk = sign_in(&app, &officer.email).await;
    let page = desk.get(&format!("/cases/{id}/administration")).await;
    let form = page
        .form(&format!("/cases/{id}/administration/supervisor"))
        .set("name", "Test Supervisor Kept")
        .set("email", "not an email")
        .set("institution", "Test Institute")
        .set("department", "");
    let refused = desk.submit(&form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(text.contains("There is a problem"), "{text}");
    assert!(text.contains("href=\"#supervisor_email\""), "{text}");
    assert!(
        text.contains("id=\"supervisor_email-error\""),
        "the message beside the field: {text}"
    );
    assert!(
        text.contains("id=\"supervisor_department-error\""),
        "{text}"
    );
    assert!(
        text.contains("value=\"Test Supervisor Kept\""),
        "what was typed is kept: {text}"
    );
    // A report with no rating chosen.
    let form = refused
        .form(&format!("/cases/{id}/administration/report"))
        .set("period", "Test term")
        .set("source", "supervisor")
        .set("text", "Kept text.");
    let refused = desk.submit(&form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(text.contains("Select the rating"), "{text}");
    assert!(text.contains("Kept text."), "{text}");
    assert!(text.contains("value=\"supervisor\" checked"), "{text}");
}

async fn the_applicant_accepts_or_declines_the_offer_on_their_page(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.decided_for(&applicant, &officer, "selected").await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/offer"),
            &officer,
            json!({}),
        )
        .await,
    );
    let mut browser = sign_in(&app, &applicant.email).await;
    let page = browser.get(&format!("/applications/{id}")).await;
    assert!(
        page.text()
            .contains("Please accept or decline the offer by"),
        "{}",
        page.text()
    );

    // Declining without the tick is explained, and changes nothing.
    let refused = browser
        .submit(
            &page
                .form(&format!("/applications/{id}/offer"))
                .set("answer", "decline"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("Tick the box to confirm that you want to decline the offer")
    );
    let shown = app.expect_ok(
        app.get(
            &format!("/api/applications/{id}/administration"),
            &applicant,
        )
        .await,
    );
    assert_eq!(shown["offer"]["state"], "open");

    let done = browser
        .submit(&page.form(&format!("/applications/{id}/offer")))
        .await;
    assert_eq!(done.location(), format!("/applications/{id}"));
    let page = browser.get(done.location()).await;
    assert!(
        page.text().contains("You accepted the offer on"),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("Decline the offer"));
}

async fn the_completion_takes_its_outcome_from_the_result_released(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let today = Utc::now().date_naive();
    // Through the API: no outcome and no result is refused; with the result, the outcome is the result's.
    let id = app.awarded(&officer).await;
    let complete = format!("/api/applications/{id}/award/complete");
    let (status, body) = app
        .post(
            &complete,
            &officer,
            json!({"completed_on": today.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "outcome", "{body}");
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/result"),
            &officer,
            json!({"qualification": "MSc Test Studies", "result": "Merit",
                   "released_on": today.to_string(), "released_by": "Test Registry"}),
        )
        .await,
    );
    let body = app.expect_ok(
        app.post(
            &complete,
            &officer,
            json!({"completed_on": today.to_string()}),
        )
        .await,
    );
    assert_eq!(body["status"], "alumni", "{body}");
    let shown = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
    assert_eq!(
        shown["award"]["outcome"], "MSc Test Studies: Merit",
        "{shown}"
    );

    // On the pages: the released result fills in the completion's outcome, on the award page and the case.
    let id = app.awarded(&officer).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/result"),
            &officer,
            json!({"qualification": "MSc Test Studies", "result": "Distinction",
                   "released_on": today.to_string(), "released_by": "Test Registry"}),
        )
        .await,
    );
    let mut desk = sign_in(&app, &officer.email).await;
    let case = desk.get(&format!("/cases/{id}?tab=award")).await;
    assert_eq!(
        case.form(&format!("/cases/{id}/complete")).value("outcome"),
        Some("MSc Test Studies: Distinction")
    );
    let page = desk.get(&format!("/cases/{id}/administration")).await;
    let form = page.form(&format!("/cases/{id}/administration/complete"));
    assert_eq!(form.value("outcome"), Some("MSc Test Studies: Distinction"));
    // A completion date to come is refused at its field, what was typed kept.
    let tomorrow = today + Days::new(1);
    let refused = desk
        .submit(&form.clone().set_date("completed_on", &tomorrow.to_string()))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(
        text.contains("id=\"complete_completed_on-error\""),
        "the message beside the field: {text}"
    );
    assert!(text.contains("MSc Test Studies: Distinction"), "{text}");
    let done = desk
        .submit(&form.set_date("completed_on", &today.to_string()))
        .await;
    assert_eq!(
        done.location(),
        format!("/cases/{id}/administration?done=complete")
    );
    let page = desk.get(done.location()).await;
    let text = page.text();
    assert!(text.contains("The award has been completed."), "{text}");
    assert!(
        text.contains(&format!(
            "Completed on {}: MSc Test Studies: Distinction",
            today.format("%-d %B %Y")
        )),
        "{text}"
    );
}

async fn the_result_is_released_on_a_day_typed_as_day_month_and_year(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.awarded(&officer).await;
    let mut desk = sign_in(&app, &officer.email).await;
    let page = desk.get(&format!("/cases/{id}/administration")).await;
    let form = page
        .form(&format!("/cases/{id}/administration/result"))
        .set("qualification", "MSc Test Studies")
        .set("result", "Merit")
        .set("released_by", "Test Registry")
        .set("released_on-day", "3")
        .set("released_on-month", "7");
    // A part left out is refused at the field, in the GOV.UK's words, with what was typed kept.
    let refused = desk.submit(&form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.error_links(),
        vec!["#result_released_on".to_string()]
    );
    let text = refused.text();
    assert!(
        text.contains("id=\"result_released_on-error\"")
            && text.contains("Date released must include a year"),
        "{text}"
    );
    assert!(
        text.contains("id=\"result_released_on\" name=\"released_on-day\" type=\"text\" inputmode=\"numeric\" value=\"3\""),
        "the day typed is kept: {text}"
    );
    assert!(
        text.contains("name=\"released_on-month\" type=\"text\" inputmode=\"numeric\" value=\"7\""),
        "the month typed is kept: {text}"
    );
    assert!(text.contains("MSc Test Studies"), "{text}");
    // Whole, the day is recorded as the contract writes it.
    // Last year's: a result is never released on a day to come.
    let year = (Utc::now().date_naive() - Days::new(366))
        .format("%Y")
        .to_string();
    let done = desk.submit(&form.set("released_on-year", &year)).await;
    assert_eq!(
        done.location(),
        format!("/cases/{id}/administration?done=result")
    );
    let page = desk.get(done.location()).await;
    assert!(
        page.text()
            .contains(&format!("3 July {year} by Test Registry")),
        "{}",
        page.text()
    );
}
