//! A forgotten password reset by a link (emailed, or given by the Help Desk), and the applicant's pages with
//! no dead ends: the confirmation after submitting, the contact page, the accessibility statement, the
//! menu marking the section a page is in. Driven over HTTP as a browser without JavaScript drives it.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::smtp::{Mail, SmtpSink};
use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_stores;
use crate::pages::{
    Browser, complete_through_pages, register, sign_in, start_application, submit_application,
};
use domain::Role;

on_both_stores!(
    a_forgotten_password_is_reset_once_by_the_emailed_link_and_every_session_of_the_account_ends,
    asking_for_a_link_answers_the_same_for_an_unknown_email_and_emails_nothing,
    asking_for_links_too_often_is_refused_for_a_while_whatever_the_email,
    a_link_that_has_expired_or_was_never_issued_says_so_and_offers_a_new_one,
    the_help_desk_gives_an_applicant_a_link_to_read_out_when_no_mail_server_is_set_up,
    the_help_desk_with_a_mail_server_emails_the_link_to_the_accounts_address,
    submitting_shows_the_confirmation_with_the_reference_what_happens_next_and_the_help_desk,
    the_contact_page_and_the_accessibility_statement_are_public_and_linked_from_every_page,
    the_menu_marks_the_link_of_the_section_the_page_is_in,
    personal_details_start_with_the_name_and_email_given_at_registration_and_take_an_address_of_lines,
    the_date_of_birth_is_three_fields_and_a_missing_part_is_named_at_the_field,
    job_dates_that_are_no_month_and_year_are_refused_by_the_api_and_the_page_alike,
    a_job_date_is_a_month_and_a_year_shown_again_as_typed_when_refused_and_in_words_on_the_check_page,
    a_phone_number_that_is_no_number_is_refused_by_the_api_and_the_page_alike,
);

const NEW_PASSWORD: &str = "a brand new long password";

/// The link a reset email carries, its quoted-printable soft line breaks undone.
fn link_in(mail: &Mail) -> String {
    let body = mail
        .data
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\r\n\r\n")
        .replace("=\r\n", "")
        .replace("=3D", "=");
    let start = body.find("http").expect("a link in the email");
    body[start..].split_whitespace().next().unwrap().to_string()
}

/// Asks for a link on the reset page, from a browser that is not signed in.
async fn ask_for_link(app: &TestApp, email: &str) -> crate::pages::Answer {
    let mut browser = Browser::new(app);
    let login = browser.get("/login").await;
    assert!(
        login.body.contains("href=\"/password-reset\""),
        "the sign-in page offers a reset"
    );
    let page = browser.get("/password-reset").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page.form("/password-reset").set("email", email);
    browser.submit(&form).await
}

async fn a_forgotten_password_is_reset_once_by_the_emailed_link_and_every_session_of_the_account_ends(
    app: TestApp,
) {
    let sink = SmtpSink::start().await;
    let app = app.with_mail_server(&sink.url()).await;
    let applicant = app.applicant().await;
    let mut signed_in = sign_in(&app, &applicant.email).await;
    assert_eq!(signed_in.get("/applications").await.status, StatusCode::OK);

    let answer = ask_for_link(&app, &applicant.email).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .text()
            .contains("If an account uses that address, we have sent a link to it")
    );
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].to, vec![applicant.email.clone()]);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("EtP Scholarships: reset your password")
    );
    let link = link_in(&mails[0]);
    let path = link
        .strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("the link leads to the service: {link}"))
        .to_string();
    assert!(path.starts_with("/password-reset/"), "{path}");

    // The link's page asks for the new password, by the rule of registration.
    let mut browser = Browser::new(&app);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    let form = page.form(&path);
    let short = browser
        .submit(&form.clone().set("new_password", "short"))
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.error_links(), vec!["#new_password".to_string()]);
    assert!(
        short
            .body
            .contains("aria-describedby=\"new_password-hint new_password-error\"")
    );
    let done = browser
        .submit(&form.clone().set("new_password", NEW_PASSWORD))
        .await;
    assert_eq!(done.location(), "/login?password_reset=1");
    let login = browser.get("/login?password_reset=1").await;
    assert!(
        login
            .text()
            .contains("Your password has been changed: sign in with the new one.")
    );

    // The new password signs in, the old one no longer does, and the browser signed in before is out.
    assert_eq!(
        app.login(&applicant.email, NEW_PASSWORD).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.login(&applicant.email, PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    let after = signed_in.get("/applications").await;
    assert!(after.location().starts_with("/login"), "signed out");
    let (status, _) = app.get("/api/applications", &applicant).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old token is void");

    // The link works once.
    let again = browser.get(&path).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text().contains("This link has expired"));
    let reuse = browser
        .submit(&form.set("new_password", "yet another long password"))
        .await;
    assert_eq!(reuse.status, StatusCode::GONE);
    assert_eq!(
        app.login(&applicant.email, NEW_PASSWORD).await.0,
        StatusCode::OK,
        "the password is unchanged"
    );
}

async fn asking_for_a_link_answers_the_same_for_an_unknown_email_and_emails_nothing(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = app.with_mail_server(&sink.url()).await;
    let applicant = app.applicant().await;
    let known = ask_for_link(&app, &applicant.email).await;
    let unknown = ask_for_link(&app, "nobody-at-all@example.test").await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(known.body, unknown.body, "the same page either way");
    let mails = sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.mails().len(), 1, "only the known address is emailed");
    assert_eq!(mails[0].to, vec![applicant.email.clone()]);

    // An address that is not one is told so at the field.
    let mut browser = Browser::new(&app);
    let page = browser.get("/password-reset").await;
    let answer = browser
        .submit(&page.form("/password-reset").set("email", "not an address"))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error_links(), vec!["#email".to_string()]);
    assert!(
        answer
            .text()
            .contains("Enter an email address in the correct format")
    );
}

async fn asking_for_links_too_often_is_refused_for_a_while_whatever_the_email(app: TestApp) {
    for email in ["someone-unknown@example.test", "someone-else@example.test"] {
        // The free requests, and one more that starts the back-off.
        for _ in 0..=services::password_reset::REQUESTS_PER_EMAIL {
            assert_eq!(ask_for_link(&app, email).await.status, StatusCode::OK);
        }
        let answer = ask_for_link(&app, email).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(!answer.header("retry-after").is_empty());
        assert!(answer.text().contains("Too many links were asked for"));
        assert_eq!(answer.error_links(), vec!["#email".to_string()]);
    }
}

async fn a_link_that_has_expired_or_was_never_issued_says_so_and_offers_a_new_one(app: TestApp) {
    let applicant = app.applicant().await;
    let token = services::password_reset::issue(app.db(), &applicant.id)
        .await
        .unwrap();
    let path = services::password_reset::path_of(&token);
    let mut browser = Browser::new(&app);
    assert_eq!(browser.get(&path).await.status, StatusCode::OK);
    let form = browser.get(&path).await.form(&path);
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    projections::on_pool!(app.db(), p => sqlx::query("UPDATE password_resets SET expires_at = $1")
        .bind(past)
        .execute(p)
        .await
        .unwrap()
        .rows_affected());
    for page in [
        browser.get(&path).await,
        browser
            .submit(&form.set("new_password", NEW_PASSWORD))
            .await,
        browser
            .get(&format!("/password-reset/{}", "0".repeat(64)))
            .await,
        browser.get("/password-reset/not-a-token").await,
    ] {
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.text().contains("This link has expired"));
        assert!(
            page.body
                .contains("<a href=\"/password-reset\" id=\"ask-again\">")
        );
    }
    assert_eq!(
        app.login(&applicant.email, PASSWORD).await.0,
        StatusCode::OK,
        "the password is unchanged"
    );
}

async fn the_help_desk_gives_an_applicant_a_link_to_read_out_when_no_mail_server_is_set_up(
    app: TestApp,
) {
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    let page = desk.get("/helpdesk/password-reset").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("No mail server is set up"));

    // Only an applicant's account: a staff address and an empty field are told so at the field.
    for (email, message) in [
        (
            officer.email.as_str(),
            "No applicant's account uses this email address",
        ),
        ("", "Enter the email address of the applicant's account"),
    ] {
        let answer = desk
            .submit(&page.form("/helpdesk/password-reset").set("email", email))
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.error_links(), vec!["#email".to_string()]);
        assert!(answer.text().contains(message), "{email:?}");
        assert!(!answer.body.contains("id=\"reset-link\""));
    }

    let answer = desk
        .submit(
            &page
                .form("/helpdesk/password-reset")
                .set("email", &applicant.email.to_uppercase()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("cache-control"), "no-store");
    let text = answer.text();
    assert!(text.contains("This link is shown only once"));
    let start = text.find("id=\"reset-link\">").expect("the link") + "id=\"reset-link\">".len();
    let link = &text[start..start + text[start..].find('<').unwrap()];
    let path = link
        .strip_prefix(&app.address)
        .expect("a link to the service");

    let mut browser = Browser::new(&app);
    let form = browser.get(path).await.form(path);
    let done = browser
        .submit(&form.set("new_password", NEW_PASSWORD))
        .await;
    assert_eq!(done.location(), "/login?password_reset=1");
    assert_eq!(
        app.login(&applicant.email, NEW_PASSWORD).await.0,
        StatusCode::OK
    );

    // Not the applicant's page, nor any other staff's.
    let mut other = sign_in(&app, &officer.email).await;
    assert_eq!(
        other.get("/helpdesk/password-reset").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_help_desk_with_a_mail_server_emails_the_link_to_the_accounts_address(app: TestApp) {
    let sink = SmtpSink::start().await;
    let app = app.with_mail_server(&sink.url()).await;
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    let page = desk.get("/helpdesk/password-reset").await;
    let answer = desk
        .submit(
            &page
                .form("/helpdesk/password-reset")
                .set("email", &applicant.email),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.text().contains("We have emailed a link to"));
    assert!(!answer.body.contains("id=\"reset-link\""), "not shown");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].to, vec![applicant.email.clone()]);
    assert!(link_in(&mails[0]).starts_with(&format!("{}/password-reset/", app.address)));
}

async fn submitting_shows_the_confirmation_with_the_reference_what_happens_next_and_the_help_desk(
    app: TestApp,
) {
    let (mut browser, _) = register(&app).await;
    let id = start_application(&mut browser).await;
    // Before submitting there is nothing to confirm: the application's own page.
    let early = browser.get(&format!("/applications/{id}/submitted")).await;
    assert_eq!(early.location(), format!("/applications/{id}"));
    complete_through_pages(&mut browser, &id, false).await;
    let answer = submit_application(&mut browser, &id).await;
    assert_eq!(answer.location(), format!("/applications/{id}/submitted"));
    let page = browser.get(&format!("/applications/{id}/submitted")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("Application submitted"));
    let reference = services::letters::short_reference(&id);
    assert!(
        text.contains(&format!("<strong id=\"reference\">{reference}</strong>")),
        "the reference: {reference}"
    );
    assert!(text.contains("What happens next"));
    let helpdesk = services::config::HelpDesk::default();
    for detail in [&helpdesk.email, &helpdesk.phone, &helpdesk.hours] {
        assert!(text.contains(detail.as_str()), "{detail}");
    }
    assert!(page.body.contains(&format!("href=\"/applications/{id}\"")));
}

async fn the_contact_page_and_the_accessibility_statement_are_public_and_linked_from_every_page(
    app: TestApp,
) {
    let mut visitor = Browser::new(&app);
    let helpdesk = services::config::HelpDesk::default();
    let contact = visitor.get("/contact").await;
    assert_eq!(contact.status, StatusCode::OK);
    for detail in [&helpdesk.email, &helpdesk.phone, &helpdesk.hours] {
        assert!(contact.text().contains(detail.as_str()), "{detail}");
    }
    let statement = visitor.get("/accessibility").await;
    assert_eq!(statement.status, StatusCode::OK);
    let text = statement.text();
    for heading in [
        "Accessibility statement for EtP Scholarships",
        "How accessible this service is",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Compliance status",
        "Non-accessible content",
        "How we tested this service",
    ] {
        assert!(text.contains(heading), "{heading}");
    }
    assert!(text.contains(&helpdesk.email));
    let applicant = app.applicant().await;
    let mut signed_in = sign_in(&app, &applicant.email).await;
    for page in [
        visitor.get("/").await,
        visitor.get("/login").await,
        signed_in.get("/applications").await,
    ] {
        assert!(page.body.contains("<a href=\"/contact\">"));
        assert!(page.body.contains("<a href=\"/accessibility\">"));
    }
}

async fn the_menu_marks_the_link_of_the_section_the_page_is_in(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut browser = sign_in(&app, &officer.email).await;
    let cases = browser.get("/cases").await;
    assert!(
        cases
            .body
            .contains("<a href=\"/cases\" aria-current=\"page\">Cases</a>")
    );
    assert!(cases.body.contains("<a href=\"/selection\">Selection</a>"));
    let selection = browser.get("/selection").await;
    assert!(
        selection
            .body
            .contains("<a href=\"/selection\" aria-current=\"page\">")
    );
    assert!(selection.body.contains("<a href=\"/cases\">Cases</a>"));
    let account = browser.get("/account").await;
    assert!(
        account
            .body
            .contains("<a href=\"/account\" aria-current=\"page\">")
    );
    assert_eq!(account.body.matches("aria-current").count(), 1);
}

async fn personal_details_start_with_the_name_and_email_given_at_registration_and_take_an_address_of_lines(
    app: TestApp,
) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let page = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await;
    let form = page.form(&format!("/applications/{id}"));
    assert_eq!(form.value("personal.full_name"), Some("Page Tester Alpha"));
    assert_eq!(form.value("personal.email"), Some(email.as_str()));
    assert!(
        page.body
            .contains("<textarea class=\"textarea\" id=\"personal_address\""),
        "the address takes several lines"
    );
    let address = "1 Test Street\nTesttown\nTT1 1TT";
    let saved = browser
        .submit(
            &form
                .set("personal.full_name", "Page Tester Renamed")
                .set("personal.address", address)
                .set("action", "continue"),
        )
        .await;
    saved.location();
    let again = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await
        .form(&format!("/applications/{id}"));
    assert_eq!(
        again.value("personal.full_name"),
        Some("Page Tester Renamed")
    );
    assert_eq!(
        again
            .value("personal.address")
            .map(|text| text.replace("\r\n", "\n")),
        Some(address.to_string())
    );
}

async fn the_date_of_birth_is_three_fields_and_a_missing_part_is_named_at_the_field(app: TestApp) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let page = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await;
    assert!(page.body.contains("class=\"date-input\""));
    let form = page
        .form(&format!("/applications/{id}"))
        .set("personal.date_of_birth-day", "12")
        .set("personal.date_of_birth-month", "")
        .set("personal.date_of_birth-year", "1998")
        .set("action", "continue");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.status, StatusCode::OK, "the section again");
    assert_eq!(
        answer.error_links(),
        vec!["#personal_date_of_birth".to_string()]
    );
    let text = answer.text();
    assert!(
        text.contains("Date of birth must include a month"),
        "{text}"
    );
    assert!(answer.body.contains("id=\"personal_date_of_birth-error\""));
    let again = answer.form(&format!("/applications/{id}"));
    assert_eq!(again.value("personal.date_of_birth-day"), Some("12"));
    assert_eq!(again.value("personal.date_of_birth-year"), Some("1998"));

    let not_real = browser
        .submit(&form.clone().set("personal.date_of_birth-month", "13"))
        .await;
    assert!(
        not_real
            .text()
            .contains("Date of birth must be a real date")
    );

    browser
        .submit(&form.set("personal.date_of_birth-month", "4"))
        .await
        .location();
    let user = app.sign_in(&email).await;
    let (_, body) = app.get(&format!("/api/applications/{id}"), &user).await;
    assert_eq!(
        body["personal"]["date_of_birth"], "1998-04-12",
        "the API's form"
    );
    let shown = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await
        .form(&format!("/applications/{id}"));
    assert_eq!(shown.value("personal.date_of_birth-month"), Some("4"));
}

async fn job_dates_that_are_no_month_and_year_are_refused_by_the_api_and_the_page_alike(
    app: TestApp,
) {
    // The API.
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            serde_json::json!({"employment": [{"employer": "Test Employer", "from": "Sept 2020", "to": "2021-13"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let paths: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|problem| problem["path"].as_str())
        .collect();
    assert_eq!(paths, ["employment[0].from", "employment[0].to"], "{body}");
    let (status, _) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            serde_json::json!({"employment": [{"employer": "Test Employer", "from": "2020-09"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The page.
    let (mut browser, _) = register(&app).await;
    let id = start_application(&mut browser).await;
    let form = browser
        .get(&format!("/applications/{id}?section=employment"))
        .await
        .form(&format!("/applications/{id}"))
        .set("employment[0].employer", "Test Employer")
        .set("employment[0].from-month", "last")
        .set("employment[0].from-year", "year")
        .set("action", "continue");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.error_links(), vec!["#employment_0_from".to_string()]);
    assert!(
        answer
            .text()
            .contains("Job 1: from (month and year) must be a real month")
    );
}

async fn a_job_date_is_a_month_and_a_year_shown_again_as_typed_when_refused_and_in_words_on_the_check_page(
    app: TestApp,
) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let page = browser
        .get(&format!("/applications/{id}?section=employment"))
        .await;
    assert!(page.body.contains("name=\"employment[0].from-month\""));
    assert!(page.body.contains("name=\"employment[0].to-year\""));
    let form = page
        .form(&format!("/applications/{id}"))
        .set("employment[0].employer", "Test Employer")
        .set("employment[0].from-month", "13")
        .set("employment[0].from-year", "2019")
        .set("employment[0].to-month", "6")
        .set("employment[0].to-year", "")
        .set("action", "continue");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.status, StatusCode::OK, "the section again");
    assert_eq!(
        answer.error_links(),
        vec![
            "#employment_0_from".to_string(),
            "#employment_0_to".to_string()
        ]
    );
    let text = answer.text();
    assert!(
        text.contains("Job 1: from (month and year) must be a real month"),
        "{text}"
    );
    assert!(
        text.contains("Job 1: to (month and year, or blank if current) must include a year"),
        "{text}"
    );
    // Each message at its field, and what was typed in the fields again.
    assert!(answer.body.contains("id=\"employment_0_from-error\""));
    assert!(answer.body.contains("id=\"employment_0_to-error\""));
    let again = answer.form(&format!("/applications/{id}"));
    assert_eq!(again.value("employment[0].from-month"), Some("13"));
    assert_eq!(again.value("employment[0].from-year"), Some("2019"));
    assert_eq!(again.value("employment[0].to-month"), Some("6"));
    assert_eq!(again.value("employment[0].employer"), Some("Test Employer"));

    let saved = browser
        .submit(
            &form
                .set("employment[0].from-month", "10")
                .set("employment[0].to-year", "2021"),
        )
        .await;
    assert_eq!(
        saved.location(),
        format!("/applications/{id}?section=courses&saved=1")
    );
    let user = app.sign_in(&email).await;
    let (_, body) = app.get(&format!("/api/applications/{id}"), &user).await;
    assert_eq!(body["employment"][0]["from"], "2019-10", "the API's form");
    assert_eq!(body["employment"][0]["to"], "2021-06", "the API's form");
    let shown = browser
        .get(&format!("/applications/{id}?section=employment"))
        .await
        .form(&format!("/applications/{id}"));
    assert_eq!(shown.value("employment[0].from-month"), Some("10"));
    assert_eq!(shown.value("employment[0].to-year"), Some("2021"));

    let check = browser.get(&format!("/applications/{id}/check")).await;
    assert_eq!(check.status, StatusCode::OK);
    let text = check.text();
    assert!(text.contains("Job 1: from (month and year)"), "{text}");
    assert!(text.contains("October 2019"), "{text}");
    assert!(text.contains("June 2021"), "{text}");
    assert!(!text.contains("2019-10"), "{text}");
}

async fn a_phone_number_that_is_no_number_is_refused_by_the_api_and_the_page_alike(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for bad in ["call me", "+44 1234", "0800 CALL NOW"] {
        let (status, body) = app
            .patch(
                &format!("/api/applications/{id}"),
                &applicant,
                serde_json::json!({"personal": {"phone": bad}}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["problems"][0]["path"], "personal.phone", "{body}");
    }
    for good in ["+44 20 7946 0000", "(020) 7946-0000", "0712345"] {
        let (status, body) = app
            .patch(
                &format!("/api/applications/{id}"),
                &applicant,
                serde_json::json!({"personal": {"phone": good}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{good}: {body}");
    }

    let (mut browser, _) = register(&app).await;
    let id = start_application(&mut browser).await;
    let form = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await
        .form(&format!("/applications/{id}"))
        .set("personal.phone", "call me")
        .set("action", "continue");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.error_links(), vec!["#personal_phone".to_string()]);
    assert!(
        answer
            .text()
            .contains("must be a telephone number of at least 7 digits")
    );
    assert!(
        answer.body.contains("value=\"call me\""),
        "the typed value is kept"
    );
}
