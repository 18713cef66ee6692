//! What each role sees of an application, checked against the one table that says it
//! (`domain::access::view_of`): every role gets exactly its sections, through the API and the pages, and
//! nothing more; an administrator reads none. Under blind review a committee member meets no one by name
//! on any route, and cannot use the list's filters to learn whether a named person applied. Every list or
//! search that shows personal data records one read per application it shows.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, complete_form, scores};
use crate::on_both_stores;
use domain::Role;
use domain::access::{Section, View, view_of};
use domain::application::form::PersonalField;

on_both_stores!(
    each_role_gets_exactly_its_sections_of_an_application,
    each_role_sees_exactly_its_sections_on_the_pages,
    an_administrator_reads_no_application,
    under_blind_review_no_committee_answer_names_anyone,
    a_member_cannot_tell_by_any_route_whether_a_named_person_applied,
    a_search_records_a_read_of_each_application_it_shows,
    a_member_loses_the_application_once_its_cycle_is_concluded,
    a_member_reads_a_decided_application_without_acting_on_it,
    the_marks_are_no_filter_for_those_who_do_not_see_them,
);

const CYCLE: &str = "2026-27";

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn make_blind(app: &TestApp) {
    let admin = app.staff(Role::Admin).await;
    let terms = json!({"opens_on": day(-300), "closes_on": day(100), "blind_review": true});
    let (status, body) = app
        .put(&format!("/api/cycles/{CYCLE}"), &admin, terms)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The keys of the application body the table gives this view.
fn body_keys(view: &View) -> Vec<String> {
    let mut keys: Vec<String> = view
        .sections
        .iter()
        .filter(|section| section.in_body())
        .map(|section| section.name().to_string())
        .collect();
    keys.sort();
    keys
}

fn personal_keys(view: &View) -> Vec<String> {
    let mut keys: Vec<String> = view
        .personal
        .iter()
        .map(|field| field.name().to_string())
        .collect();
    keys.sort();
    keys
}

/// A case under review, scored by nobody yet, with its applicant, officer and assigned member.
struct Case {
    id: String,
    owner: User,
    officer: User,
    member: User,
}

async fn case(app: &TestApp) -> Case {
    let owner = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review_for(&owner, &officer, &member).await;
    Case {
        id,
        owner,
        officer,
        member,
    }
}

/// Checks an application body against the view: exactly its keys, and of the personal section exactly its
/// fields.
#[track_caller]
fn assert_exactly(body: &Value, view: &View, who: &str) {
    let got = keys(body);
    let want = body_keys(view);
    for section in Section::ALL.iter().filter(|s| s.in_body()) {
        let name = section.name().to_string();
        assert_eq!(
            got.contains(&name),
            want.contains(&name),
            "{who}: section {name} (the table says {}): {body}",
            view.shows(*section)
        );
    }
    assert_eq!(got, want, "{who}: {body}");
    if view.shows(Section::Personal) {
        assert_eq!(keys(&body["personal"]), personal_keys(view), "{who}");
    }
}

async fn each_role_gets_exactly_its_sections_of_an_application(app: TestApp) {
    let case = case(&app).await;
    let path = format!("/api/applications/{}", case.id);
    let mut readers = vec![
        ("owner", Role::Applicant, case.owner.clone()),
        (
            "programme officer",
            Role::ProgrammeOfficer,
            case.officer.clone(),
        ),
        (
            "information officer",
            Role::InformationOfficer,
            app.staff(Role::InformationOfficer).await,
        ),
        ("Help Desk", Role::Helpdesk, app.staff(Role::Helpdesk).await),
        (
            "committee member",
            Role::CommitteeMember,
            case.member.clone(),
        ),
    ];
    for (who, role, user) in &readers {
        let (status, body) = app.get(&path, user).await;
        assert_eq!(status, StatusCode::OK, "{who}: {body}");
        assert_exactly(&body, &view_of(*role, false), who);
        // Time travel shows what the role sees, no more.
        if matches!(
            role,
            Role::ProgrammeOfficer | Role::InformationOfficer | Role::Helpdesk
        ) {
            let (status, mut body) = app
                .get(&format!("{path}?as_of=2099-01-01T00:00:00Z"), user)
                .await;
            assert_eq!(status, StatusCode::OK, "{who}: {body}");
            body.as_object_mut().unwrap().remove("as_of");
            assert_exactly(&body, &view_of(*role, false), &format!("{who}, as of"));
        }
    }
    make_blind(&app).await;
    readers.retain(|(_, role, _)| *role == Role::CommitteeMember);
    for (who, role, user) in &readers {
        let (status, body) = app.get(&path, user).await;
        assert_eq!(status, StatusCode::OK, "{who}: {body}");
        assert_exactly(&body, &view_of(*role, true), &format!("{who}, blind"));
    }
}

/// Each part of the form that tells one section (or personal field) apart on a page.
fn markers() -> Vec<(Option<Section>, Option<PersonalField>, String)> {
    let form = complete_form();
    let text = |value: &Value| value.as_str().unwrap().to_string();
    let mut markers = vec![
        (
            Some(Section::Essays),
            None,
            text(&form["essays"]["leadership"]),
        ),
        (
            Some(Section::Education),
            None,
            text(&form["education"][0]["institution"]),
        ),
        (
            Some(Section::Employment),
            None,
            text(&form["employment"][0]["employer"]),
        ),
        (
            Some(Section::Referees),
            None,
            text(&form["referees"][0]["name"]),
        ),
    ];
    for field in [
        PersonalField::FullName,
        PersonalField::Email,
        PersonalField::Phone,
        PersonalField::Address,
    ] {
        markers.push((None, Some(field), text(&form["personal"][field.name()])));
    }
    markers
}

#[track_caller]
fn assert_page_shows_exactly(html: &str, view: &View, who: &str) {
    for (section, field, marker) in markers() {
        let shown = match (section, field) {
            (Some(section), _) => view.shows(section),
            (None, Some(field)) => view.shows_field(field),
            (None, None) => unreachable!(),
        };
        assert_eq!(
            html.contains(&marker),
            shown,
            "{who}: {section:?} {field:?} ({marker:?}) shown: {}",
            !shown
        );
    }
}

async fn each_role_sees_exactly_its_sections_on_the_pages(app: TestApp) {
    let case = case(&app).await;
    for role in [
        Role::ProgrammeOfficer,
        Role::InformationOfficer,
        Role::Helpdesk,
    ] {
        let user = app.staff(role).await;
        let mut browser = crate::pages::sign_in(&app, &user.email).await;
        // Every panel of the case page, one after another.
        let mut page = browser.get(&format!("/cases/{}", case.id)).await;
        assert_eq!(page.status, StatusCode::OK, "{role:?}");
        for tab in ["committee", "award", "disclosures", "history"] {
            let panel = browser.get(&format!("/cases/{}?tab={tab}", case.id)).await;
            assert_eq!(panel.status, StatusCode::OK, "{role:?} {tab}");
            page.body.push_str(&panel.body);
        }
        assert_page_shows_exactly(&page.body, &view_of(role, false), &format!("{role:?}"));
        // The case record (eligibility, marks, decision) is the officers' only.
        assert_eq!(
            page.body.contains("Case record"),
            view_of(role, false).shows(Section::Eligibility),
            "{role:?}"
        );
    }
    let mut browser = crate::pages::sign_in(&app, &case.member.email).await;
    let path = format!("/committee/{}", case.id);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_page_shows_exactly(
        &page.body,
        &view_of(Role::CommitteeMember, false),
        "committee member",
    );
    make_blind(&app).await;
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_page_shows_exactly(
        &page.body,
        &view_of(Role::CommitteeMember, true),
        "committee member, blind",
    );
    // Under blind review the member names the application by its short reference.
    let reference = services::letters::application_reference(app.db(), &case.id)
        .await
        .unwrap();
    let named = format!("Application {reference}");
    assert!(page.text().contains(&named), "{}", page.body);
    let list = browser.get("/committee").await;
    assert!(list.text().contains(&named), "{}", list.body);
}

async fn an_administrator_reads_no_application(app: TestApp) {
    let case = case(&app).await;
    let admin = app.staff(Role::Admin).await;
    for path in [
        "/api/applications".to_string(),
        format!("/api/applications/{}", case.id),
        format!(
            "/api/applications/{}?as_of={}",
            case.id,
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        ),
        format!("/api/applications/{}/letters", case.id),
    ] {
        let (status, body) = app.get(&path, &admin).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "forbidden", "{path}");
        assert!(!body.to_string().contains("Test Applicant Marker"));
    }
    let mut browser = crate::pages::sign_in(&app, &admin.email).await;
    for path in ["/cases".to_string(), format!("/cases/{}", case.id)] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!page.body.contains("Test Applicant Marker"), "{path}");
    }
}

/// What identifies the applicant or their referees in the complete form.
fn identifying() -> Vec<String> {
    let form = complete_form();
    let mut values: Vec<String> = PersonalField::ALL
        .iter()
        .map(|field| form["personal"][field.name()].as_str().unwrap().to_string())
        .collect();
    for referee in form["referees"].as_array().unwrap() {
        values.push(referee["name"].as_str().unwrap().to_string());
        values.push(referee["email"].as_str().unwrap().to_string());
    }
    values
}

async fn under_blind_review_no_committee_answer_names_anyone(app: TestApp) {
    let case = case(&app).await;
    make_blind(&app).await;
    let member = &case.member;
    let (status, list) = app.get("/api/applications", member).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    for key in ["full_name", "email", "nationality", "country_of_residence"] {
        assert!(items[0].get(key).is_none(), "{key}: {list}");
    }
    let (status, one) = app
        .get(&format!("/api/applications/{}", case.id), member)
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let mut browser = crate::pages::sign_in(&app, &member.email).await;
    let list_page = browser.get("/committee").await;
    let one_page = browser.get(&format!("/committee/{}", case.id)).await;
    assert_eq!(list_page.status, StatusCode::OK);
    assert_eq!(one_page.status, StatusCode::OK);
    let answers = [
        ("the API list", list.to_string()),
        ("the API application", one.to_string()),
        ("the list page", list_page.body),
        ("the application page", one_page.body),
    ];
    for (what, text) in &answers {
        // The applicant's account id is the same in every cycle: it would name them by another route.
        assert!(
            !text.contains(&case.owner.id),
            "the applicant's id in {what}"
        );
        for value in identifying() {
            // The nationality and residence are a country's name, which an essay might also name: they
            // are checked as fields above, and here only where they are not also a country of the form.
            if value == "Kenya" {
                continue;
            }
            assert!(!text.contains(&value), "{value:?} in {what}");
        }
    }
}

async fn a_member_cannot_tell_by_any_route_whether_a_named_person_applied(app: TestApp) {
    let case = case(&app).await;
    let member = &case.member;
    let form = complete_form();
    let name = form["personal"]["full_name"].as_str().unwrap();
    let email = form["personal"]["email"].as_str().unwrap();
    for blind in [false, true] {
        if blind {
            make_blind(&app).await;
        }
        // Whoever is named, the answer is the same refusal.
        let mut answers = Vec::new();
        for query in [
            format!("q={name}"),
            "q=Nobody Who Applied".to_string(),
            format!("q={email}"),
            format!("q={}", case.id),
            "country=Kenya".to_string(),
            "country=Atlantis".to_string(),
        ] {
            let (status, body) = app.get(&format!("/api/applications?{query}"), member).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
            assert_eq!(body["error"], "invalid", "{query}");
            answers.push(body["message"].clone());
        }
        assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
        // The committee page takes no search at all: the same list whatever is asked.
        let mut browser = crate::pages::sign_in(&app, &member.email).await;
        let plain = browser.get("/committee").await.body;
        let asked = browser
            .get("/committee?q=Nobody%20Who%20Applied&country=Atlantis")
            .await
            .body;
        assert_eq!(
            plain.contains(&case.id),
            asked.contains(&case.id),
            "blind: {blind}"
        );
    }
    // Staff still search.
    let (status, body) = app
        .get(
            "/api/applications?q=Test%20Applicant%20Marker",
            &case.officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1, "{body}");
}

async fn reads_of(app: &TestApp, reader: &User, id: &str) -> usize {
    let (status, body) = app
        .get(&format!("/api/applications/{id}/reads"), reader)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().len()
}

async fn a_search_records_a_read_of_each_application_it_shows(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let applicant = app.applicant().await;
        ids.push(app.submitted(&applicant).await);
    }
    let mut before = Vec::new();
    for id in &ids {
        before.push(reads_of(&app, &information, id).await);
    }
    // A search that shows all three: one read of each, by the officer, through the case list.
    let (status, body) = app
        .get("/api/applications?status=submitted", &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 3, "{body}");
    for (id, before) in ids.iter().zip(&before) {
        assert_eq!(reads_of(&app, &information, id).await, before + 1, "{id}");
    }
    // A search that shows one: that one read again, the others not.
    let (status, body) = app
        .get(&format!("/api/applications?q={}", ids[0]), &helpdesk)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(reads_of(&app, &information, &ids[0]).await, before[0] + 2);
    assert_eq!(reads_of(&app, &information, &ids[1]).await, before[1] + 1);
    let (_, reads) = app
        .get(&format!("/api/applications/{}/reads", ids[0]), &information)
        .await;
    let last = reads.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reader_id"], json!(helpdesk.id), "{reads}");
    assert_eq!(last["through"], "case_list", "{reads}");
    // The case desk's page records each case it lists.
    let mut browser = crate::pages::sign_in(&app, &officer.email).await;
    let page = browser.get("/cases?status=submitted").await;
    assert_eq!(page.status, StatusCode::OK);
    for (id, before) in ids.iter().zip(&before) {
        let extra = if id == &ids[0] { 3 } else { 2 };
        assert_eq!(
            reads_of(&app, &information, id).await,
            before + extra,
            "{id}"
        );
    }
}

async fn a_member_loses_the_application_once_its_cycle_is_concluded(app: TestApp) {
    let case = case(&app).await;
    let member = &case.member;
    let path = format!("/api/applications/{}", case.id);
    assert_eq!(app.get(&path, member).await.0, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/api/cycles/{CYCLE}/conclude"),
            &case.officer,
            json!({"on": day(0)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get(&path, member).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, list) = app.get("/api/applications", member).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 0, "{list}");
    let mut browser = crate::pages::sign_in(&app, &member.email).await;
    let page = browser.get(&format!("/committee/{}", case.id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Test Applicant Marker"));
    let list = browser.get("/committee").await;
    assert!(!list.body.contains(&case.id));
    // Staff still read the case.
    assert_eq!(app.get(&path, &case.officer).await.0, StatusCode::OK);
}

async fn a_member_reads_a_decided_application_without_acting_on_it(app: TestApp) {
    let case = case(&app).await;
    let member = &case.member;
    let id = &case.id;
    app.expect_ok(
        app.post(&format!("/api/applications/{id}/scores"), member, scores(7))
            .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/decision"),
            &case.officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    let (status, body) = app.get(&format!("/api/applications/{id}"), member).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_exactly(&body, &view_of(Role::CommitteeMember, false), "decided");
    let (status, body) = app
        .post(&format!("/api/applications/{id}/scores"), member, scores(9))
        .await;
    assert!(status.is_client_error(), "{status}: {body}");
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/conflicts"),
            member,
            json!({"reason": "Test: too late"}),
        )
        .await;
    assert!(status.is_client_error(), "{status}: {body}");
    let mut browser = crate::pages::sign_in(&app, &member.email).await;
    let page = browser.get(&format!("/committee/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"decided\""));
    assert!(!page.body.contains(&format!("/committee/{id}/scores")));
    assert!(!page.body.contains(&format!("/committee/{id}/conflicts")));
}

async fn the_marks_are_no_filter_for_those_who_do_not_see_them(app: TestApp) {
    let case = case(&app).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    for (role, user) in [
        (Role::Helpdesk, &helpdesk),
        (Role::CommitteeMember, &case.member),
    ] {
        assert!(!view_of(role, false).shows(Section::MeanScore));
        let (status, body) = app.get("/api/applications?min_score=0", user).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{role:?}: {body}");
        assert_eq!(body["error"], "invalid");
        // Nor does their list carry the marks.
        let (status, body) = app.get("/api/applications", user).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["items"][0].get("mean_score").is_none(), "{body}");
    }
    let (status, body) = app
        .get("/api/applications?min_score=0", &case.officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// One test per role (and, for the committee, per kind of cycle), generated from the role table: the role
/// gets exactly the sections `view_of` gives it of an application, through the API's application, the
/// case list's item and the page it reads cases on; a role that sees nothing is refused all three.
macro_rules! each_role_gets_its_view {
    ($($name:ident => $role:expr, $blind:expr;)*) => {
        $(
            async fn $name(app: TestApp) {
                role_gets_exactly_its_view(app, $role, $blind).await;
            }
        )*
        on_both_stores!($($name),*);
    };
}

each_role_gets_its_view! {
    the_owner_gets_their_whole_application => Role::Applicant, false;
    a_programme_officer_gets_every_section => Role::ProgrammeOfficer, false;
    an_information_officer_gets_every_section => Role::InformationOfficer, false;
    the_help_desk_gets_the_personal_section_and_amendments_only => Role::Helpdesk, false;
    a_committee_member_gets_the_form_without_contact_details => Role::CommitteeMember, false;
    a_blind_committee_member_gets_nothing_that_identifies => Role::CommitteeMember, true;
    an_administrator_gets_nothing => Role::Admin, false;
}

async fn role_gets_exactly_its_view(app: TestApp, role: Role, blind: bool) {
    let case = case(&app).await;
    if blind {
        make_blind(&app).await;
    }
    let view = view_of(role, blind);
    let reader = match role {
        Role::Applicant => case.owner.clone(),
        Role::CommitteeMember => case.member.clone(),
        role => app.staff(role).await,
    };
    let who = format!("{role:?}{}", if blind { ", blind" } else { "" });
    // The application.
    let (status, body) = app
        .get(&format!("/api/applications/{}", case.id), &reader)
        .await;
    if view.is_nothing() {
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
    } else {
        assert_eq!(status, StatusCode::OK, "{who}: {body}");
        assert_exactly(&body, &view, &who);
    }
    // The list: each item's personal columns exactly the fields the role sees.
    let (status, list) = app.get("/api/applications", &reader).await;
    if view.is_nothing() {
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {list}");
    } else {
        assert_eq!(status, StatusCode::OK, "{who}: {list}");
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == json!(case.id))
            .unwrap_or_else(|| panic!("{who}: the case is listed: {list}"))
            .clone();
        if role != Role::Applicant {
            for field in [
                PersonalField::FullName,
                PersonalField::Email,
                PersonalField::Nationality,
                PersonalField::CountryOfResidence,
            ] {
                assert_eq!(
                    item.get(field.name()).is_some(),
                    view.shows_field(field),
                    "{who}: {} in the list: {item}",
                    field.name()
                );
            }
            for (section, key) in [
                (Section::MeanScore, "mean_score"),
                (Section::UpdatedAt, "updated_at"),
            ] {
                assert_eq!(
                    item.get(key).is_some(),
                    view.shows(section),
                    "{who}: {key}: {item}"
                );
            }
        }
    }
    // The page the role reads cases on.
    let page = match role {
        Role::Applicant => format!("/applications/{}", case.id),
        Role::CommitteeMember => format!("/committee/{}", case.id),
        _ => format!("/cases/{}", case.id),
    };
    let mut browser = crate::pages::sign_in(&app, &reader.email).await;
    let answer = browser.get(&page).await;
    if view.is_nothing() {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{who} at {page}");
        assert!(!answer.body.contains("Test Applicant Marker"), "{who}");
    } else {
        assert_eq!(answer.status, StatusCode::OK, "{who} at {page}");
        assert_page_shows_exactly(&answer.body, &view, &who);
    }
}
