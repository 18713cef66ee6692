//! The case page as a caseworker reads it (issue 28): the summary in words before anything else, the
//! sub-navigation of its panels, the actions offered only where the case's status allows them, a
//! confirmation before anything that sends a letter, the history in words with who acted and why; and one
//! short reference per application, on the page, in the case search, and kept by a rebuild.

use reqwest::StatusCode;

use crate::helpers::{TestApp, scores};
use crate::on_both_stores;
use crate::pages::{excerpt, sign_in};
use domain::Role;

on_both_stores!(
    the_case_page_opens_on_a_summary_in_words_then_the_parts_of_the_case,
    the_history_says_in_words_what_was_done_by_whom_and_why,
    a_decision_is_confirmed_on_a_page_that_names_the_letter_before_it_is_recorded,
    a_decision_is_not_offered_or_confirmed_where_the_status_does_not_allow_it,
    on_an_awarded_case_no_form_of_an_earlier_stage_is_offered,
    a_search_for_a_reference_opens_its_case,
    references_are_counted_within_the_cycle_year_and_kept_by_a_rebuild,
    the_award_and_immigration_dates_are_typed_as_day_month_and_year,
);

/// A case under review whose one member has scored it.
async fn scored(app: &TestApp, officer: &crate::helpers::User) -> String {
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(officer, &member).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/scores"),
            &member,
            scores(7),
        )
        .await,
    );
    id
}

async fn reference_of(app: &TestApp, id: &str) -> String {
    services::letters::application_reference(app.db(), id)
        .await
        .unwrap()
}

async fn the_case_page_opens_on_a_summary_in_words_then_the_parts_of_the_case(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = scored(&app, &officer).await;
    let reference = reference_of(&app, &id).await;
    let mut po = sign_in(&app, &officer.email).await;

    let page = po.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    let summary = body.find("id=\"case-summary\"").expect("a summary");
    let tabs = body.find("id=\"case-tabs\"").expect("a sub-navigation");
    // The first form of the page's main part (the header's sign-out form comes before it).
    let main = body.find("id=\"main\"").expect("a main part");
    let first_form = body[main..]
        .find("<form method=\"post\"")
        .map_or(body.len(), |at| main + at);
    assert!(summary < tabs && tabs < first_form, "{}", excerpt(body));
    assert!(
        body.contains("id=\"status\">Under review by the committee<"),
        "{}",
        excerpt(body)
    );
    assert!(body.contains(&format!("id=\"summary-reference\">{reference}<")));
    assert!(!body.contains("under_review") && !body.contains(">under review<"));
    for tab in [
        "application",
        "committee",
        "award",
        "disclosures",
        "history",
    ] {
        assert!(
            page.text()
                .contains(&format!("href=\"/cases/{id}?tab={tab}\"")),
            "{tab}"
        );
    }
    assert!(body.contains("aria-current=\"page\">Application</a>"));
    // The decision is on the committee's panel, not above the application.
    assert!(!page.has_form(&format!("/cases/{id}/decision")));
    let committee = po.get(&format!("/cases/{id}?tab=committee")).await;
    assert!(committee.has_form(&format!("/cases/{id}/decision")));
    assert!(
        committee
            .body
            .contains("aria-current=\"page\">Committee</a>")
    );

    // The Help Desk sees no panel of what its role does not see.
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    let page = desk.get(&format!("/cases/{id}?tab=committee")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("?tab=committee\""));
    assert!(page.body.contains("aria-current=\"page\">Application</a>"));
}

async fn the_history_says_in_words_what_was_done_by_whom_and_why(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = scored(&app, &officer).await;
    let mut po = sign_in(&app, &officer.email).await;
    let page = po.get(&format!("/cases/{id}?tab=history")).await;
    let text = page.text();
    assert!(
        text.contains("Eligibility decided: Eligible: meets the rules"),
        "{}",
        excerpt(&page.body)
    );
    assert!(text.contains("(Programme officer)"), "{text}");
    assert!(text.contains("Scored by a committee member"), "{text}");
    for code in [
        "EligibilityDetermined",
        "ApplicationScored",
        "programme_officer",
    ] {
        assert!(!text.contains(code), "{code} shown as a code");
    }
}

async fn a_decision_is_confirmed_on_a_page_that_names_the_letter_before_it_is_recorded(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = scored(&app, &officer).await;
    let reference = reference_of(&app, &id).await;
    let mut po = sign_in(&app, &officer.email).await;
    let page = po.get(&format!("/cases/{id}?tab=committee")).await;
    let form = page
        .form(&format!("/cases/{id}/decision"))
        .set("outcome", "selected");

    let confirm = po.submit(&form).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", excerpt(&confirm.body));
    let text = confirm.text();
    assert!(text.contains("Record this decision?"), "{text}");
    assert!(text.contains(&reference), "{text}");
    assert!(
        text.contains("you have been selected"),
        "the letter named: {text}"
    );
    let (_, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(body["status"], "under_review", "nothing recorded yet");

    let answer = po
        .submit(&confirm.form(&format!("/cases/{id}/decision")))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=decision"));
    let page = po.get(answer.location()).await;
    assert!(
        page.body
            .contains("id=\"status\">Selected: award to be made<")
    );
    assert!(page.text().contains("Decision recorded, and the letter"));
    assert!(page.body.contains("aria-current=\"page\">Committee</a>"));
}

async fn a_decision_is_not_offered_or_confirmed_where_the_status_does_not_allow_it(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let mut po = sign_in(&app, &officer.email).await;
    let page = po.get(&format!("/cases/{id}?tab=committee")).await;
    assert!(!page.has_form(&format!("/cases/{id}/decision")));
    // A decision posted all the same is refused at once, on the case page, with no confirmation asked.
    let page = po.get(&format!("/cases/{id}")).await;
    let form = page
        .form(&format!("/cases/{id}/preferences"))
        .posted_to(&format!("/cases/{id}/decision"))
        .set("outcome", "selected");
    let answer = po.submit(&form).await;
    assert_eq!(
        answer.status,
        StatusCode::CONFLICT,
        "{}",
        excerpt(&answer.body)
    );
    assert!(!answer.text().contains("Record this decision?"));
    assert!(answer.body.contains("class=\"error-summary\""));

    // Only a programme officer decides: the Help Desk is refused before the form is read.
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    let page = desk.get(&format!("/cases/{id}")).await;
    let form = page
        .form(&format!("/cases/{id}/amendments"))
        .posted_to(&format!("/cases/{id}/decision"))
        .set("outcome", "selected");
    let answer = desk.submit(&form).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(!answer.text().contains("Record this decision?"));
    // The refusal's page offers the way on, not signing in to someone signed in.
    assert!(answer.text().contains("Go to the start page"));
    assert!(
        !answer.body.contains("href=\"/login\""),
        "{}",
        excerpt(&answer.body)
    );
}

async fn on_an_awarded_case_no_form_of_an_earlier_stage_is_offered(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.awarded(&officer).await;
    let mut po = sign_in(&app, &officer.email).await;
    for tab in [
        "application",
        "committee",
        "award",
        "disclosures",
        "history",
    ] {
        let page = po.get(&format!("/cases/{id}?tab={tab}")).await;
        assert_eq!(page.status, StatusCode::OK, "{tab}");
        for action in [
            "eligibility",
            "assignments",
            "decision",
            "award",
            "screening-override",
        ] {
            assert!(
                !page.has_form(&format!("/cases/{id}/{action}")),
                "{action} offered on the {tab} panel of an awarded case"
            );
        }
    }
    let award = po.get(&format!("/cases/{id}?tab=award")).await;
    assert!(award.body.contains("id=\"status\">Awarded<"));
    assert!(award.text().contains("MSc Data Science, Test Institute"));

    // Completing the award cannot be undone: it is confirmed first, and only then recorded.
    let today = chrono::Utc::now().date_naive().to_string();
    let form = award
        .form(&format!("/cases/{id}/complete"))
        .set("outcome", "MSc with merit")
        .set_date("completed_on", &today);
    let confirm = po.submit(&form).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", excerpt(&confirm.body));
    assert!(confirm.text().contains("Complete this award?"));
    assert!(confirm.text().contains("This cannot be undone"));
    let (_, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(body["status"], "awarded", "nothing recorded yet");
    let answer = po
        .submit(&confirm.form(&format!("/cases/{id}/complete")))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=complete"));
    let (_, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(body["status"], "alumni");
}

async fn a_search_for_a_reference_opens_its_case(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let reference = reference_of(&app, &id).await;
    let mut po = sign_in(&app, &officer.email).await;

    let list = po.get("/cases").await;
    assert!(list.body.contains(&format!(">{reference}<")), "on the list");
    let typed = reference.to_lowercase().replace('-', " ");
    let answer = po
        .get(&format!("/cases?q={}", typed.replace(' ', "+")))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}"));
    // A reference no case has finds nothing, and says so as any search does.
    let answer = po.get("/cases?q=ETP-99-999999").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.body.contains(&format!("/cases/{id}\"")));
}

async fn references_are_counted_within_the_cycle_year_and_kept_by_a_rebuild(app: TestApp) {
    let first = app.applicant().await;
    let second = app.applicant().await;
    let a = app.draft(&first).await;
    let b = app.draft(&second).await;
    let (ra, rb) = (reference_of(&app, &a).await, reference_of(&app, &b).await);
    let (_, body) = app.get(&format!("/api/applications/{a}"), &first).await;
    let year = &body["cycle"].as_str().unwrap()[2..4];
    assert_eq!(ra, format!("ETP-{year}-000001"));
    assert_eq!(rb, format!("ETP-{year}-000002"));
    assert_eq!(
        projections::references::find(app.db(), &ra).await.unwrap(),
        Some(a.clone())
    );

    app.state.repo.rebuild_projections().await.unwrap();
    assert_eq!(reference_of(&app, &a).await, ra);
    assert_eq!(reference_of(&app, &b).await, rb);

    // A store that lost its references is numbered again as it was first numbered.
    match app.db() {
        projections::Db::Sqlite(pool) => {
            sqlx::query("DELETE FROM application_references")
                .execute(pool)
                .await
                .unwrap();
        }
        projections::Db::Postgres(pool) => {
            sqlx::query("DELETE FROM application_references")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    app.state.repo.rebuild_projections().await.unwrap();
    assert_eq!(reference_of(&app, &a).await, ra);
    assert_eq!(reference_of(&app, &b).await, rb);
}

/// The value a field of the page holds, found by its id.
fn value_of(page: &crate::pages::Answer, id: &str) -> Option<String> {
    let text = page.text();
    let (_, rest) = text.split_once(&format!("id=\"{id}\""))?;
    let tag = &rest[..rest.find('>')?];
    let (_, value) = tag.split_once("value=\"")?;
    Some(value[..value.find('"')?].to_string())
}

async fn the_award_and_immigration_dates_are_typed_as_day_month_and_year(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.decided(&officer, "selected").await;
    let mut po = sign_in(&app, &officer.email).await;
    let page = po.get(&format!("/cases/{id}?tab=award")).await;
    assert!(
        page.text().contains("For example, 20 9 2027"),
        "the hint gives an example: {}",
        excerpt(&page.body)
    );
    let award = page
        .form(&format!("/cases/{id}/award"))
        .set("institution", "Test Institute")
        .set("course", "MSc Testing")
        .set("level", "masters")
        .set("start_date-day", "20")
        .set("start_date-month", "9");
    // A part left out is refused at the field, in the GOV.UK's words, with what was typed kept.
    let refused = po.submit(&award).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_links(), vec!["#award_start_date".to_string()]);
    let text = refused.text();
    assert!(
        text.contains("id=\"award_start_date-error\"")
            && text.contains("Start date must include a year"),
        "{}",
        excerpt(&text)
    );
    assert_eq!(
        value_of(&refused, "award_start_date").as_deref(),
        Some("20")
    );
    assert_eq!(
        value_of(&refused, "award_start_date-month").as_deref(),
        Some("9")
    );
    assert_eq!(
        value_of(&refused, "award_start_date-year").as_deref(),
        Some("")
    );
    // Whole, the date is confirmed and recorded as the contract writes it.
    let confirm = po.submit(&award.set("start_date-year", "2027")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", excerpt(&confirm.body));
    assert!(confirm.text().contains("starting 20 September 2027"));
    let answer = po
        .submit(&confirm.form(&format!("/cases/{id}/award")))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=award"));
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(view["award"]["start_date"], "2027-09-20", "{view}");

    // The immigration document's date, likewise.
    let page = po.get(&format!("/cases/{id}?tab=award")).await;
    let today = chrono::Utc::now().date_naive();
    let record = page
        .form(&format!("/cases/{id}/immigration-records"))
        .set("kind", "visa")
        .set("reference", "TEST-VISA-0002")
        .set("issued_on-day", "1")
        .set("issued_on-month", "13")
        .set("issued_on-year", "2026");
    let refused = po.submit(&record).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("Date issued must be a real date"),
        "{}",
        excerpt(&refused.body)
    );
    assert_eq!(
        value_of(&refused, "immigration_records_issued_on-month").as_deref(),
        Some("13")
    );
    let answer = po
        .submit(&record.set_date("issued_on", &today.to_string()))
        .await;
    assert_eq!(
        answer.location(),
        format!("/cases/{id}?done=immigration-records")
    );
    let (_, records) = app
        .get(
            &format!("/api/applications/{id}/immigration-records"),
            &officer,
        )
        .await;
    assert_eq!(records[0]["issued_on"], today.to_string(), "{records}");
}
