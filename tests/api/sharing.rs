//! The Sharing and "Projections that publish" sections of CONTRACT.md: the four published lists and their
//! opt-outs, the register of recipients, the sharing rule with its refusals, the disclosure log, and the
//! corrections owed to recipients who were sent data that has since been amended.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{TestApp, User, award_terms, complete_form, scores};
use crate::on_both_stores;
use domain::Role;
use projections::Db;

on_both_stores!(
    // Projections that publish.
    each_published_list_holds_exactly_the_people_it_may,
    each_published_entry_has_exactly_the_fields_of_the_contract,
    a_change_of_preference_by_the_officer_takes_effect_in_each_list_in_the_same_request,
    a_rebuild_from_the_log_gives_the_same_published_lists,
    no_publishing_table_holds_a_column_it_does_not_need,
    the_open_book_is_public_and_the_other_lists_have_their_own_readers,
    // Accuracy kept: corrections of the award.
    a_corrected_award_is_published_at_once_and_recipients_sent_the_old_value_are_to_be_told,
    an_award_correction_is_refused_without_an_award_a_reason_a_change_or_the_role,
    // The register of recipients.
    an_administrator_registers_recipients_and_lists_them,
    a_recipient_of_unknown_kind_or_country_or_without_a_name_is_invalid,
    only_an_administrator_registers_recipients,
    // The sharing rule.
    a_mission_standing_in_the_country_of_residence_receives_data,
    a_mission_standing_in_another_country_is_refused_with_the_reason,
    the_mission_of_the_nationality_receives_data_and_another_nation_is_refused,
    only_the_joint_sponsor_of_the_award_receives_data,
    // The country of study.
    an_embassy_of_the_study_country_must_represent_where_the_person_studies_before_and_after_the_award,
    a_home_country_mission_must_stand_where_the_person_studies_before_and_after_the_award,
    the_british_mission_stands_in_the_country_of_residence_wherever_the_person_studies,
    a_recipient_registered_before_it_said_whom_it_represents_or_where_it_stands_receives_nothing,
    an_award_takes_a_country_of_study_and_a_joint_sponsor_of_the_register,
    a_course_choice_takes_a_country_of_study,
    an_unknown_recipient_is_not_found,
    a_field_that_cannot_be_disclosed_is_invalid,
    a_draft_or_withdrawn_application_cannot_be_disclosed,
    only_a_programme_officer_discloses,
    the_disclosure_log_lists_only_the_disclosures_made_with_their_details,
    only_programme_and_information_officers_read_the_disclosure_logs,
    // Corrections owed to recipients.
    an_amendment_of_disclosed_data_names_the_recipient_to_tell,
    each_recipient_is_told_only_of_the_fields_it_was_sent,
    an_officer_marks_a_rectification_notice_sent_once,
    only_a_programme_officer_marks_a_rectification_notice_sent,
);

// ---------------------------------------------------------------------------------------------------------
// Fixtures

/// Where every test person lives, and the nation they belong to: different, so that a rule that looks at the
/// wrong one is caught.
const RESIDENCE: &str = "Kenya";
const NATIONALITY: &str = "Ghana";
/// A country that is neither.
const ELSEWHERE: &str = "Uganda";

const DIRECTORY: &str = "/api/scholars/directory";
const NETWORKING: &str = "/api/alumni/networking-scheme";
const OPEN_BOOK: &str = "/api/alumni/open-book";
const MEDIA: &str = "/api/media/consents";

/// How far an application is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Draft,
    Submitted,
    Withdrawn,
    Unsuccessful,
    Reserve,
    Selected,
    Awarded,
    Alumni,
}

/// The four opt-outs of the form.
#[derive(Clone, Copy, Debug, Default)]
struct OptOuts {
    networking: bool,
    alumni_email: bool,
    alumni_book: bool,
    images: bool,
}

impl OptOuts {
    const NONE: OptOuts = OptOuts {
        networking: false,
        alumni_email: false,
        alumni_book: false,
        images: false,
    };

    fn body(self) -> Value {
        json!({
            "networking_opt_out": self.networking,
            "alumni_email_opt_out": self.alumni_email,
            "alumni_book_opt_out": self.alumni_book,
            "images_opt_out": self.images,
        })
    }
}

/// One test person and their application.
#[derive(Clone, Debug)]
struct Person {
    id: String,
    applicant: User,
    full_name: String,
    email: String,
}

/// `/api/applications/{id}` followed by `tail`.
fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

/// A person labelled `label` ("Test Scholar H0", scholar.h0@example.test), living in [`RESIDENCE`], a
/// national of [`NATIONALITY`], with these opt-outs chosen on the form, taken to `stage`; an award names
/// `joint_sponsor_id` when given.
async fn enrol(
    app: &TestApp,
    officer: &User,
    label: &str,
    stage: Stage,
    opt_outs: OptOuts,
    joint_sponsor_id: Option<&str>,
) -> Person {
    let applicant = app.applicant().await;
    let full_name = format!("Test Scholar {label}");
    let email = format!("scholar.{}@example.test", label.to_lowercase());
    let mut form = complete_form();
    form["personal"]["full_name"] = json!(full_name);
    form["personal"]["email"] = json!(email);
    form["personal"]["nationality"] = json!(NATIONALITY);
    form["personal"]["country_of_residence"] = json!(RESIDENCE);
    let id = app.draft(&applicant).await;
    app.expect_ok(app.patch(&at(&id, ""), &applicant, form).await);
    app.expect_ok(
        app.put(&at(&id, "/preferences"), &applicant, opt_outs.body())
            .await,
    );
    let person = Person {
        id: id.clone(),
        applicant: applicant.clone(),
        full_name,
        email,
    };
    if stage == Stage::Draft {
        return person;
    }
    app.expect_ok(app.post(&at(&id, "/submit"), &applicant, json!({})).await);
    match stage {
        Stage::Submitted => return person,
        Stage::Withdrawn => {
            app.expect_ok(app.post(&at(&id, "/withdraw"), &applicant, json!({})).await);
            return person;
        }
        _ => {}
    }
    let member = app.staff(Role::CommitteeMember).await;
    app.expect_ok(
        app.post(
            &at(&id, "/eligibility"),
            officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &at(&id, "/assignments"),
            officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    app.expect_ok(app.post(&at(&id, "/scores"), &member, scores(7)).await);
    let outcome = match stage {
        Stage::Unsuccessful => "unsuccessful",
        Stage::Reserve => "reserve",
        _ => "selected",
    };
    app.expect_ok(
        app.post(&at(&id, "/decision"), officer, json!({"outcome": outcome}))
            .await,
    );
    if matches!(
        stage,
        Stage::Unsuccessful | Stage::Reserve | Stage::Selected
    ) {
        return person;
    }
    let mut terms = award_terms();
    if let Some(sponsor) = joint_sponsor_id {
        terms["joint_sponsor_id"] = json!(sponsor);
    }
    app.expect_ok(app.post(&at(&id, "/award"), officer, terms).await);
    if stage == Stage::Alumni {
        app.expect_ok(
            app.post(
                &at(&id, "/award/complete"),
                officer,
                json!({"outcome": "MSc with distinction", "completed_on": "2026-09-30"}),
            )
            .await,
        );
    }
    person
}

/// Who is on which list, and who is on none.
struct Cohort {
    /// Award holders: no opt-out; out of the directory; out of images.
    holder: Person,
    holder_out_of_directory: Person,
    holder_out_of_images: Person,
    /// Alumni: no opt-out; out of the networking scheme; out of the Open Book; out of images.
    alumnus: Person,
    alumnus_out_of_networking: Person,
    alumnus_out_of_open_book: Person,
    alumnus_out_of_images: Person,
    /// Applications that are no award: none of them may ever appear.
    never_listed: Vec<Person>,
}

async fn cohort(app: &TestApp, officer: &User) -> Cohort {
    let only = |set: fn(&mut OptOuts)| {
        let mut opt_outs = OptOuts::NONE;
        set(&mut opt_outs);
        opt_outs
    };
    let holder = enrol(app, officer, "H0", Stage::Awarded, OptOuts::NONE, None).await;
    let holder_out_of_directory = enrol(
        app,
        officer,
        "H1",
        Stage::Awarded,
        only(|o| o.networking = true),
        None,
    )
    .await;
    let holder_out_of_images = enrol(
        app,
        officer,
        "H2",
        Stage::Awarded,
        only(|o| o.images = true),
        None,
    )
    .await;
    let alumnus = enrol(app, officer, "A0", Stage::Alumni, OptOuts::NONE, None).await;
    let alumnus_out_of_networking = enrol(
        app,
        officer,
        "A1",
        Stage::Alumni,
        only(|o| o.alumni_email = true),
        None,
    )
    .await;
    let alumnus_out_of_open_book = enrol(
        app,
        officer,
        "A2",
        Stage::Alumni,
        only(|o| o.alumni_book = true),
        None,
    )
    .await;
    let alumnus_out_of_images = enrol(
        app,
        officer,
        "A3",
        Stage::Alumni,
        only(|o| o.images = true),
        None,
    )
    .await;
    let mut never_listed = Vec::new();
    for (label, stage) in [
        ("N0", Stage::Draft),
        ("N1", Stage::Submitted),
        ("N2", Stage::Withdrawn),
        ("N3", Stage::Unsuccessful),
        ("N4", Stage::Reserve),
        ("N5", Stage::Selected),
    ] {
        never_listed.push(enrol(app, officer, label, stage, OptOuts::NONE, None).await);
    }
    Cohort {
        holder,
        holder_out_of_directory,
        holder_out_of_images,
        alumnus,
        alumnus_out_of_networking,
        alumnus_out_of_open_book,
        alumnus_out_of_images,
        never_listed,
    }
}

/// A published list as the user (or anyone, with no user) reads it: 200 and an array.
async fn list(app: &TestApp, path: &str, user: Option<&User>) -> Vec<Value> {
    let (status, body) = app
        .request(Method::GET, path, user.map(|u| u.token.as_str()), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body.as_array()
        .unwrap_or_else(|| panic!("{path} answers a list: {body}"))
        .clone()
}

/// The four lists: directory, networking scheme, Open Book (read with no token), media consents.
async fn all_lists(app: &TestApp, officer: &User) -> [Vec<Value>; 4] {
    [
        list(app, DIRECTORY, Some(officer)).await,
        list(app, NETWORKING, Some(officer)).await,
        list(app, OPEN_BOOK, None).await,
        list(app, MEDIA, Some(officer)).await,
    ]
}

/// The full names on a list (the Open Book has no application id).
fn names(entries: &[Value]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|entry| {
            entry["full_name"]
                .as_str()
                .unwrap_or_else(|| panic!("an entry with a full name: {entry}"))
                .to_string()
        })
        .collect()
}

fn names_of(people: &[&Person]) -> BTreeSet<String> {
    people.iter().map(|p| p.full_name.clone()).collect()
}

/// The print export of the Alumni Open Book, as produced now.
async fn open_book_export(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/alumni/open-book.csv", app.address))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("a CSV body")
}

/// Whether the person is on each of the four lists, in the order of [`all_lists`].
async fn presence(app: &TestApp, officer: &User, person: &Person) -> [bool; 4] {
    let lists = all_lists(app, officer).await;
    lists.map(|entries| names(&entries).contains(&person.full_name))
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Asserts a refusal: its status, its error code, and a message.
#[track_caller]
fn refused((status, body): (StatusCode, Value), expected: StatusCode, code: &str) -> Value {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "a refusal says why in a sentence: {body}"
    );
    body
}

/// Asserts a success of exactly this status and answers its body.
#[track_caller]
fn answered((status, body): (StatusCode, Value), expected: StatusCode) -> Value {
    assert_eq!(status, expected, "{body}");
    body
}

#[track_caller]
fn assert_utc_time(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("{text} is not RFC 3339: {error}"));
    assert_eq!(time.offset().local_minus_utc(), 0, "{text} is not UTC");
}

/// One staff account of each role but the programme officer, and an applicant.
async fn everyone_but_the_officer(app: &TestApp) -> Vec<(&'static str, User)> {
    vec![
        ("admin", app.staff(Role::Admin).await),
        ("helpdesk", app.staff(Role::Helpdesk).await),
        (
            "information_officer",
            app.staff(Role::InformationOfficer).await,
        ),
        ("committee_member", app.staff(Role::CommitteeMember).await),
        ("applicant", app.applicant().await),
    ]
}

/// Where every test person studies (or chose to study) unless a test says otherwise.
const STUDY: &str = "United Kingdom";

/// A recipient registered by a new administrator; answers its id. An embassy of the study country
/// represents, and a home country mission stands in, the United Kingdom, where the test people study.
async fn recipient(app: &TestApp, name: &str, kind: &str, country: &str) -> String {
    let (represents, located_in) = match kind {
        "study_country_embassy" => (Some(STUDY), None),
        "home_country_mission" => (None, Some(STUDY)),
        _ => (None, None),
    };
    recipient_of(app, name, kind, country, represents, located_in).await
}

/// A recipient registered with what it represents and where it stands, as given; answers its id.
async fn recipient_of(
    app: &TestApp,
    name: &str,
    kind: &str,
    country: &str,
    represents: Option<&str>,
    located_in: Option<&str>,
) -> String {
    let admin = app.staff(Role::Admin).await;
    let body = answered(
        app.post(
            "/api/recipients",
            &admin,
            json!({"name": name, "kind": kind, "country": country,
                   "represents": represents, "located_in": located_in}),
        )
        .await,
        StatusCode::CREATED,
    );
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a recipient id: {body}"))
        .to_string()
}

/// The officer asks to disclose `fields` of the application to the recipient.
async fn disclose(
    app: &TestApp,
    user: &User,
    id: &str,
    recipient_id: &str,
    fields: &[&str],
) -> (StatusCode, Value) {
    app.post(
        &at(id, "/disclosures"),
        user,
        json!({"recipient_id": recipient_id, "purpose": "Test visa support letter", "fields": fields}),
    )
    .await
}

/// A disclosure that the rule allows: 201 `{disclosure_id}`.
#[track_caller]
fn allowed(answer: (StatusCode, Value)) -> String {
    let body = answered(answer, StatusCode::CREATED);
    body["disclosure_id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("a disclosure id: {body}"))
        .to_string()
}

/// A disclosure that the rule refuses: 403 `sharing_not_permitted` with a reason; answers the reason.
#[track_caller]
fn not_permitted(answer: (StatusCode, Value)) -> String {
    let body = refused(answer, StatusCode::FORBIDDEN, "sharing_not_permitted");
    body["reason"]
        .as_str()
        .filter(|reason| !reason.trim().is_empty())
        .unwrap_or_else(|| panic!("a refusal names its reason: {body}"))
        .to_string()
}

async fn disclosures(app: &TestApp, officer: &User, id: &str) -> Vec<Value> {
    let body = answered(
        app.get(&at(id, "/disclosures"), officer).await,
        StatusCode::OK,
    );
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .clone()
}

async fn refusals(app: &TestApp, officer: &User, id: &str) -> Vec<Value> {
    let body = answered(
        app.get(&at(id, "/disclosure-refusals"), officer).await,
        StatusCode::OK,
    );
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .clone()
}

/// Asserts that the refusals list holds a refusal to this recipient with this reason.
#[track_caller]
fn assert_refusal_logged(log: &[Value], recipient_id: &str, reason: &str) {
    assert!(
        log.iter()
            .any(|r| r["recipient_id"] == recipient_id && r["reason"] == reason),
        "the refusal to {recipient_id} ({reason}) is in the log: {log:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Projections that publish

async fn each_published_list_holds_exactly_the_people_it_may(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let c = cohort(&app, &officer).await;
    let [directory, networking, open_book, media] = all_lists(&app, &officer).await;

    assert_eq!(
        names(&directory),
        names_of(&[&c.holder, &c.holder_out_of_images]),
        "the directory: current award holders, without those who opted out of networking"
    );
    assert_eq!(
        names(&networking),
        names_of(&[
            &c.alumnus,
            &c.alumnus_out_of_open_book,
            &c.alumnus_out_of_images
        ]),
        "the networking scheme: alumni, without those who keep their email from future scholars"
    );
    assert_eq!(
        names(&open_book),
        names_of(&[
            &c.alumnus,
            &c.alumnus_out_of_networking,
            &c.alumnus_out_of_images
        ]),
        "the Open Book: alumni, without those who opted out of it"
    );
    assert_eq!(
        names(&media),
        names_of(&[
            &c.holder,
            &c.holder_out_of_directory,
            &c.alumnus,
            &c.alumnus_out_of_networking,
            &c.alumnus_out_of_open_book,
        ]),
        "media consents: award holders and alumni, without those who opted out of images"
    );

    // The lists with ids name the right applications, once each.
    for (entries, expected) in [
        (&directory, vec![&c.holder, &c.holder_out_of_images]),
        (
            &networking,
            vec![
                &c.alumnus,
                &c.alumnus_out_of_open_book,
                &c.alumnus_out_of_images,
            ],
        ),
    ] {
        let mut ids: Vec<String> = entries
            .iter()
            .map(|e| e["application_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        let mut want: Vec<String> = expected.iter().map(|p| p.id.clone()).collect();
        want.sort();
        assert_eq!(ids, want);
    }

    // Drafts, submitted, withdrawn, unsuccessful, reserve and merely selected applications are on no list,
    // by id or by name.
    let everything = json!([directory, networking, open_book, media]).to_string();
    for person in &c.never_listed {
        assert!(
            !everything.contains(&person.id) && !everything.contains(&person.full_name),
            "{} ({}) is on no list: {everything}",
            person.full_name,
            person.id
        );
    }
}

async fn each_published_entry_has_exactly_the_fields_of_the_contract(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let holder = enrol(&app, &officer, "H0", Stage::Awarded, OptOuts::NONE, None).await;
    let alumnus = enrol(&app, &officer, "A0", Stage::Alumni, OptOuts::NONE, None).await;
    let (_, view) = app.get(&at(&alumnus.id, ""), &officer).await;
    let awarded_at = view["award"]["awarded_at"]
        .as_str()
        .unwrap_or_else(|| panic!("the award's time: {view}"));
    let award_year: i64 = awarded_at[..4].parse().unwrap();
    let terms = award_terms();

    let [directory, networking, open_book, media] = all_lists(&app, &officer).await;
    assert_eq!(
        directory,
        vec![json!({
            "application_id": holder.id,
            "full_name": holder.full_name,
            "institution": terms["institution"],
            "course": terms["course"],
            "country": NATIONALITY,
        })],
        "the directory: who, where and what they study, and where they come from"
    );
    assert_eq!(
        networking,
        vec![json!({
            "application_id": alumnus.id,
            "full_name": alumnus.full_name,
            "email": alumnus.email,
            "institution": terms["institution"],
            "course": terms["course"],
            "country": NATIONALITY,
        })],
        "the networking scheme gives the alumnus's email to future scholars"
    );
    assert_eq!(
        open_book,
        vec![json!({
            "full_name": alumnus.full_name,
            "subject": terms["course"],
            "institution": terms["institution"],
            "level": terms["level"],
            "outcome": "MSc with distinction",
            "year": award_year,
            "country": NATIONALITY,
        })],
        "the Open Book: name, subject, institution, level, outcome, year of award, country of origin"
    );
    assert_eq!(
        keys(&open_book[0]),
        set(&[
            "full_name",
            "subject",
            "institution",
            "level",
            "outcome",
            "year",
            "country"
        ]),
    );
    let published = open_book[0].to_string();
    for private in [
        alumnus.id.as_str(),
        alumnus.email.as_str(),
        alumnus.applicant.id.as_str(),
        "+000 0000 0000",
        "1 Test Street",
        "1998-04-12",
    ] {
        assert!(
            !published.contains(private),
            "the public Open Book holds no {private}: {published}"
        );
    }
    let mut consents = media.clone();
    consents.sort_by_key(|e| e["full_name"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        consents,
        vec![
            json!({"application_id": alumnus.id, "full_name": alumnus.full_name}),
            json!({"application_id": holder.id, "full_name": holder.full_name}),
        ],
        "media consents: who may appear in images, nothing more"
    );
}

/// Who, the lists they are on, an opt-out, the index of the list it keeps them off, and that list's name.
type Toggle<'a> = (&'a Person, [bool; 4], fn(&mut OptOuts), usize, &'static str);

async fn a_change_of_preference_by_the_officer_takes_effect_in_each_list_in_the_same_request(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let holder = enrol(&app, &officer, "H0", Stage::Awarded, OptOuts::NONE, None).await;
    let alumnus = enrol(&app, &officer, "A0", Stage::Alumni, OptOuts::NONE, None).await;
    let holder_lists = [true, false, false, true];
    let alumnus_lists = [false, true, true, true];
    assert_eq!(presence(&app, &officer, &holder).await, holder_lists);
    assert_eq!(presence(&app, &officer, &alumnus).await, alumnus_lists);

    // (who, the lists they are on, the opt-out, the list it keeps them off in the order of `all_lists`)
    let cases: [Toggle<'_>; 5] = [
        (
            &holder,
            holder_lists,
            |o| o.networking = true,
            0,
            "directory",
        ),
        (&holder, holder_lists, |o| o.images = true, 3, "media"),
        (
            &alumnus,
            alumnus_lists,
            |o| o.alumni_email = true,
            1,
            "networking scheme",
        ),
        (
            &alumnus,
            alumnus_lists,
            |o| o.alumni_book = true,
            2,
            "Open Book",
        ),
        (&alumnus, alumnus_lists, |o| o.images = true, 3, "media"),
    ];
    for (person, before, opt_out, list_index, list_name) in cases {
        let mut opt_outs = OptOuts::NONE;
        opt_out(&mut opt_outs);
        let body = answered(
            app.put(&at(&person.id, "/preferences"), &officer, opt_outs.body())
                .await,
            StatusCode::OK,
        );
        assert_eq!(body["preferences"], opt_outs.body(), "{body}");
        let mut expected = before;
        expected[list_index] = false;
        assert_eq!(
            presence(&app, &officer, person).await,
            expected,
            "{} opted out of the {list_name}: gone from it at once, and only from it",
            person.full_name
        );
        assert_eq!(
            open_book_export(&app).await.contains(&person.full_name),
            expected[2],
            "the print export of the Open Book follows the list"
        );

        answered(
            app.put(
                &at(&person.id, "/preferences"),
                &officer,
                OptOuts::NONE.body(),
            )
            .await,
            StatusCode::OK,
        );
        assert_eq!(
            presence(&app, &officer, person).await,
            before,
            "{} opted back in to the {list_name}: on it again at once",
            person.full_name
        );
    }
}

async fn a_rebuild_from_the_log_gives_the_same_published_lists(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let c = cohort(&app, &officer).await;
    // Changes of preference after the award must be replayed too.
    app.expect_ok(
        app.put(
            &at(&c.holder.id, "/preferences"),
            &officer,
            json!({"networking_opt_out": false, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": true}),
        )
        .await,
    );
    app.expect_ok(
        app.put(
            &at(&c.alumnus_out_of_open_book.id, "/preferences"),
            &officer,
            OptOuts::NONE.body(),
        )
        .await,
    );

    let before = all_lists(&app, &officer).await;
    assert!(
        before.iter().all(|entries| !entries.is_empty()),
        "every list has someone on it: {before:?}"
    );
    assert!(!names(&before[3]).contains(&c.holder.full_name));
    assert!(names(&before[2]).contains(&c.alumnus_out_of_open_book.full_name));

    app.state.repo.rebuild_projections().await.unwrap();
    let after = all_lists(&app, &officer).await;
    assert_eq!(
        before, after,
        "the published lists equal a replay of the log"
    );
}

/// The columns of a table, as the database describes it.
async fn columns(db: &Db, table: &str) -> BTreeSet<String> {
    match db {
        Db::Sqlite(pool) => sqlx::query(&format!("PRAGMA table_info({table})"))
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("name"))
            .collect(),
        Db::Postgres(pool) => sqlx::query_scalar::<_, String>(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect(),
    }
}

async fn no_publishing_table_holds_a_column_it_does_not_need(app: TestApp) {
    let expected = [
        (
            "scholar_directory",
            set(&[
                "application_id",
                "full_name",
                "institution",
                "course",
                "country",
            ]),
        ),
        (
            "alumni_networking",
            set(&[
                "application_id",
                "full_name",
                "email",
                "institution",
                "course",
                "country",
            ]),
        ),
        (
            "alumni_open_book",
            set(&[
                "application_id",
                "full_name",
                "subject",
                "institution",
                "level",
                "outcome",
                "year",
                "country",
            ]),
        ),
        ("media_consents", set(&["application_id", "full_name"])),
    ];
    for (table, want) in expected {
        assert_eq!(
            columns(app.db(), table).await,
            want,
            "{table} holds only what its list shows, keyed by the application"
        );
    }
}

async fn the_open_book_is_public_and_the_other_lists_have_their_own_readers(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let holder = enrol(&app, &officer, "H0", Stage::Awarded, OptOuts::NONE, None).await;
    let alumnus = enrol(&app, &officer, "A0", Stage::Alumni, OptOuts::NONE, None).await;
    let submitted = enrol(&app, &officer, "N1", Stage::Submitted, OptOuts::NONE, None).await;
    let unsuccessful = enrol(
        &app,
        &officer,
        "N3",
        Stage::Unsuccessful,
        OptOuts::NONE,
        None,
    )
    .await;
    let selected = enrol(&app, &officer, "N5", Stage::Selected, OptOuts::NONE, None).await;
    let no_application = app.applicant().await;

    // The Open Book: anyone, with or without a token.
    assert_eq!(names(&list(&app, OPEN_BOOK, None).await).len(), 1);
    for reader in [&officer, &submitted.applicant, &no_application] {
        assert_eq!(
            names(&list(&app, OPEN_BOOK, Some(reader)).await),
            names_of(&[&alumnus])
        );
    }

    // The directory and the networking scheme: programme officers and current award holders.
    for path in [DIRECTORY, NETWORKING] {
        list(&app, path, Some(&officer)).await;
        list(&app, path, Some(&holder.applicant)).await;
        // An alumnus is no longer a current scholar: the contract names applicants whose status is awarded.
        for applicant in [
            &submitted.applicant,
            &unsuccessful.applicant,
            &selected.applicant,
            &alumnus.applicant,
            &no_application,
        ] {
            refused(
                app.get(path, applicant).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
        for role in [
            Role::Admin,
            Role::Helpdesk,
            Role::InformationOfficer,
            Role::CommitteeMember,
        ] {
            let staff = app.staff(role).await;
            refused(
                app.get(path, &staff).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
        refused(
            app.request(Method::GET, path, None, None).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }

    // Media consents: programme officers only.
    list(&app, MEDIA, Some(&officer)).await;
    for user in [&holder.applicant, &alumnus.applicant, &no_application] {
        refused(
            app.get(MEDIA, user).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    for role in [
        Role::Admin,
        Role::Helpdesk,
        Role::InformationOfficer,
        Role::CommitteeMember,
    ] {
        let staff = app.staff(role).await;
        refused(
            app.get(MEDIA, &staff).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    refused(
        app.request(Method::GET, MEDIA, None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

// ---------------------------------------------------------------------------------------------------------
// POST and GET /api/recipients

async fn an_administrator_registers_recipients_and_lists_them(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let wanted = [
        (
            "Test British High Commission Nairobi",
            "british_mission",
            "Kenya",
            None,
            None,
        ),
        (
            "Test Embassy of Canada in Kenya",
            "study_country_embassy",
            "Kenya",
            Some("Canada"),
            None,
        ),
        (
            "Test High Commission of Ghana",
            "home_country_mission",
            "Ghana",
            None,
            Some("United Kingdom"),
        ),
        (
            "Test Sponsor Foundation",
            "joint_sponsor",
            "United Kingdom",
            None,
            None,
        ),
    ];
    let mut registered = Vec::new();
    for (name, kind, country, represents, located_in) in wanted {
        let body = answered(
            app.post(
                "/api/recipients",
                &admin,
                json!({"name": name, "kind": kind, "country": country,
                       "represents": represents, "located_in": located_in}),
            )
            .await,
            StatusCode::CREATED,
        );
        let id = body["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("an id: {body}"))
            .to_string();
        registered.push((id, name, kind, country, represents, located_in));
    }
    let ids: BTreeSet<&String> = registered.iter().map(|r| &r.0).collect();
    assert_eq!(ids.len(), 4, "each recipient has its own id");

    let body = answered(app.get("/api/recipients", &admin).await, StatusCode::OK);
    let listed = body.as_array().unwrap_or_else(|| panic!("a list: {body}"));
    assert_eq!(listed.len(), 4, "{body}");
    for (id, name, kind, country, represents, located_in) in &registered {
        let entry = listed
            .iter()
            .find(|entry| entry["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{name} is listed: {body}"));
        assert_eq!(entry["name"], *name);
        assert_eq!(entry["kind"], *kind);
        assert_eq!(entry["country"], *country);
        assert_eq!(entry["represents"], json!(represents), "{body}");
        assert_eq!(entry["located_in"], json!(located_in), "{body}");
    }
}

async fn a_recipient_of_unknown_kind_or_country_or_without_a_name_is_invalid(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    for (body, path) in [
        (
            json!({"name": "Test Consulate", "kind": "consulate", "country": "Kenya"}),
            "kind",
        ),
        (
            json!({"name": "Test Embassy of Kenya", "kind": "home_country_mission", "country": "Kenyan"}),
            "country",
        ),
        (
            json!({"name": "Test Embassy", "kind": "british_mission", "country": "Atlantis"}),
            "country",
        ),
        (
            json!({"name": "Test Embassy of France", "kind": "study_country_embassy", "country": "Kenya"}),
            "represents",
        ),
        (
            json!({"name": "Test Embassy of France", "kind": "study_country_embassy", "country": "Kenya", "represents": null}),
            "represents",
        ),
        (
            json!({"name": "Test Embassy of France", "kind": "study_country_embassy", "country": "Kenya", "represents": "Gaul"}),
            "represents",
        ),
        (
            json!({"name": "Test High Commission of Ghana", "kind": "home_country_mission", "country": "Ghana"}),
            "located_in",
        ),
        (
            json!({"name": "Test Embassy of Kenya", "kind": "study_country_embassy", "country": "Kenya", "represents": "Kenya"}),
            "represents",
        ),
        (
            json!({"name": "Test High Commission of Ghana", "kind": "home_country_mission", "country": "Ghana", "located_in": "Ghana"}),
            "located_in",
        ),
        (
            json!({"name": "Test High Commission of Ghana", "kind": "home_country_mission", "country": "Ghana", "located_in": "  "}),
            "located_in",
        ),
        (
            json!({"name": "", "kind": "british_mission", "country": "Kenya"}),
            "name",
        ),
        (
            json!({"name": "   ", "kind": "british_mission", "country": "Kenya"}),
            "name",
        ),
        (
            json!({"name": format!("Test Embassy {}", "x".repeat(200)), "kind": "british_mission", "country": "Kenya"}),
            "name",
        ),
    ] {
        let refusal = refused(
            app.post("/api/recipients", &admin, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        assert!(
            refusal["problems"]
                .as_array()
                .is_some_and(|problems| problems.iter().any(|p| p["path"] == path)),
            "{body} is refused for its {path}: {refusal}"
        );
    }
    let body = answered(app.get("/api/recipients", &admin).await, StatusCode::OK);
    assert_eq!(body, json!([]), "nothing was registered");
}

async fn only_an_administrator_registers_recipients(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut others = everyone_but_the_officer(&app).await;
    others.retain(|(role, _)| *role != "admin");
    others.push(("programme_officer", officer));
    let body = json!({"name": "Test Embassy of Kenya", "kind": "home_country_mission", "country": "Kenya", "located_in": "United Kingdom"});
    for (role, user) in &others {
        let (status, answer) = app.post("/api/recipients", user, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {answer}");
        assert_eq!(answer["error"], "forbidden", "{role}: {answer}");
    }
    refused(
        app.request(Method::POST, "/api/recipients", None, Some(body))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let admin = app.staff(Role::Admin).await;
    let listed = answered(app.get("/api/recipients", &admin).await, StatusCode::OK);
    assert_eq!(listed, json!([]), "nothing was registered");
}

// ---------------------------------------------------------------------------------------------------------
// POST /api/applications/{id}/disclosures: the sharing rule

async fn a_mission_standing_in_the_country_of_residence_receives_data(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let study = recipient(
        &app,
        "Test Embassy of Canada in Kenya",
        "study_country_embassy",
        RESIDENCE,
    )
    .await;
    let first = allowed(
        disclose(
            &app,
            &officer,
            &scholar.id,
            &british,
            &["personal.full_name"],
        )
        .await,
    );
    let second = allowed(disclose(&app, &officer, &scholar.id, &study, &["personal.email"]).await);
    assert_ne!(first, second, "each disclosure has its own id");

    // A submitted application, before any award, may go to them too.
    let submitted = enrol(&app, &officer, "S1", Stage::Submitted, OptOuts::NONE, None).await;
    allowed(
        disclose(
            &app,
            &officer,
            &submitted.id,
            &british,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(refusals(&app, &officer, &scholar.id).await.is_empty());
}

async fn a_mission_standing_in_another_country_is_refused_with_the_reason(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let mut refused_to = Vec::new();
    for (name, kind, country) in [
        (
            "Test British High Commission in Uganda",
            "british_mission",
            ELSEWHERE,
        ),
        // The country of nationality is not where the person lives.
        (
            "Test British High Commission in Ghana",
            "british_mission",
            NATIONALITY,
        ),
        (
            "Test Embassy of Canada in Uganda",
            "study_country_embassy",
            ELSEWHERE,
        ),
        (
            "Test Embassy of Canada in Ghana",
            "study_country_embassy",
            NATIONALITY,
        ),
    ] {
        let id = recipient(&app, name, kind, country).await;
        let reason =
            not_permitted(disclose(&app, &officer, &scholar.id, &id, &["personal.email"]).await);
        assert!(
            reason.contains(country) && !reason.contains(RESIDENCE),
            "the reason names where the {kind} stands, never where the person lives (it is kept in \
             clear after the person's data is destroyed): {reason}"
        );
        refused_to.push((id, reason));
    }
    assert!(
        disclosures(&app, &officer, &scholar.id).await.is_empty(),
        "nothing was disclosed"
    );
    let log = refusals(&app, &officer, &scholar.id).await;
    assert_eq!(log.len(), refused_to.len(), "{log:?}");
    for (id, reason) in &refused_to {
        assert_refusal_logged(&log, id, reason);
    }
}

async fn the_mission_of_the_nationality_receives_data_and_another_nation_is_refused(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let own = recipient(
        &app,
        "Test High Commission of Ghana",
        "home_country_mission",
        NATIONALITY,
    )
    .await;
    allowed(
        disclose(
            &app,
            &officer,
            &scholar.id,
            &own,
            &["personal.full_name", "award.institution"],
        )
        .await,
    );

    let mut refused_to = Vec::new();
    for (name, country) in [
        // The country of residence is not the nation the person belongs to.
        ("Test Embassy of Kenya", RESIDENCE),
        ("Test Embassy of Uganda", ELSEWHERE),
    ] {
        let id = recipient(&app, name, "home_country_mission", country).await;
        let reason = not_permitted(
            disclose(&app, &officer, &scholar.id, &id, &["personal.full_name"]).await,
        );
        assert!(
            reason.contains(country) && !reason.contains(NATIONALITY),
            "the reason names the nation the mission represents, never the person's: {reason}"
        );
        refused_to.push((id, reason));
    }
    let made = disclosures(&app, &officer, &scholar.id).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["recipient_id"], own.as_str());
    let log = refusals(&app, &officer, &scholar.id).await;
    assert_eq!(log.len(), 2, "{log:?}");
    for (id, reason) in &refused_to {
        assert_refusal_logged(&log, id, reason);
    }
}

async fn only_the_joint_sponsor_of_the_award_receives_data(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let sponsor = recipient(
        &app,
        "Test Sponsor Foundation",
        "joint_sponsor",
        "United Kingdom",
    )
    .await;
    let other_sponsor = recipient(
        &app,
        "Test Other Sponsor Trust",
        "joint_sponsor",
        "United Kingdom",
    )
    .await;
    let sponsored = enrol(
        &app,
        &officer,
        "S0",
        Stage::Awarded,
        OptOuts::NONE,
        Some(&sponsor),
    )
    .await;
    let (_, view) = app.get(&at(&sponsored.id, ""), &officer).await;
    assert_eq!(
        view["award"]["joint_sponsor_id"],
        sponsor.as_str(),
        "{view}"
    );
    allowed(
        disclose(
            &app,
            &officer,
            &sponsored.id,
            &sponsor,
            &["personal.full_name", "award.course"],
        )
        .await,
    );

    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &sponsored.id,
            &other_sponsor,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains("Test Other Sponsor Trust"), "{reason}");
    assert_refusal_logged(
        &refusals(&app, &officer, &sponsored.id).await,
        &other_sponsor,
        &reason,
    );

    // An award with no joint sponsor, and an application with no award yet, go to no sponsor.
    let unsponsored = enrol(&app, &officer, "S1", Stage::Awarded, OptOuts::NONE, None).await;
    let selected = enrol(&app, &officer, "S2", Stage::Selected, OptOuts::NONE, None).await;
    let submitted = enrol(&app, &officer, "S3", Stage::Submitted, OptOuts::NONE, None).await;
    for person in [&unsponsored, &selected, &submitted] {
        let reason = not_permitted(
            disclose(
                &app,
                &officer,
                &person.id,
                &sponsor,
                &["personal.full_name"],
            )
            .await,
        );
        assert_refusal_logged(
            &refusals(&app, &officer, &person.id).await,
            &sponsor,
            &reason,
        );
        assert!(disclosures(&app, &officer, &person.id).await.is_empty());
    }
}

async fn an_unknown_recipient_is_not_found(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    // An id of the right shape that names no recipient, an id of no shape, and the id of an application.
    let unknown = uuid::Uuid::now_v7().to_string();
    for recipient_id in [unknown.as_str(), "not-a-recipient", scholar.id.as_str()] {
        refused(
            disclose(
                &app,
                &officer,
                &scholar.id,
                recipient_id,
                &["personal.email"],
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert!(disclosures(&app, &officer, &scholar.id).await.is_empty());

    // And an application that does not exist, to a recipient that does.
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let nowhere = uuid::Uuid::now_v7().to_string();
    refused(
        disclose(&app, &officer, &nowhere, &british, &["personal.email"]).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

async fn a_field_that_cannot_be_disclosed_is_invalid(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    for (fields, bad) in [
        (
            vec!["personal.favourite_colour"],
            "personal.favourite_colour",
        ),
        (vec!["personal.email", "no.such.field"], "no.such.field"),
        (vec!["essays.leadership"], "essays.leadership"),
        (vec!["referees"], "referees"),
    ] {
        let refusal = refused(
            disclose(&app, &officer, &scholar.id, &british, &fields).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        assert!(
            refusal["problems"]
                .as_array()
                .is_some_and(|problems| problems.iter().any(|p| p["path"] == bad)),
            "{bad} is named: {refusal}"
        );
    }
    refused(
        disclose(&app, &officer, &scholar.id, &british, &[]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    let refusal = refused(
        app.post(
            &at(&scholar.id, "/disclosures"),
            &officer,
            json!({"recipient_id": british, "purpose": "  ", "fields": ["personal.email"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    assert!(
        refusal["problems"]
            .as_array()
            .is_some_and(|problems| problems.iter().any(|p| p["path"] == "purpose")),
        "a disclosure says why: {refusal}"
    );
    assert!(
        disclosures(&app, &officer, &scholar.id).await.is_empty(),
        "nothing was disclosed, not even the good field of a mixed request"
    );
}

async fn a_draft_or_withdrawn_application_cannot_be_disclosed(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    // The recipient is one the rule would allow for these people.
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let draft = enrol(&app, &officer, "D0", Stage::Draft, OptOuts::NONE, None).await;
    let withdrawn = enrol(&app, &officer, "D1", Stage::Withdrawn, OptOuts::NONE, None).await;
    for person in [&draft, &withdrawn] {
        let (status, body) =
            disclose(&app, &officer, &person.id, &british, &["personal.email"]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{}: {body}", person.full_name);
        assert!(
            body["error"].as_str().is_some_and(|code| !code.is_empty()),
            "{body}"
        );
        assert!(disclosures(&app, &officer, &person.id).await.is_empty());
    }
}

async fn only_a_programme_officer_discloses(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let mut others = everyone_but_the_officer(&app).await;
    others.push(("the applicant themself", scholar.applicant.clone()));
    for (role, user) in &others {
        let (status, body) = disclose(&app, user, &scholar.id, &british, &["personal.email"]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert_eq!(body["error"], "forbidden", "{role}: {body}");
    }
    assert!(disclosures(&app, &officer, &scholar.id).await.is_empty());
    assert!(refusals(&app, &officer, &scholar.id).await.is_empty());
    allowed(disclose(&app, &officer, &scholar.id, &british, &["personal.email"]).await);
}

async fn the_disclosure_log_lists_only_the_disclosures_made_with_their_details(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let home = recipient(
        &app,
        "Test High Commission of Ghana",
        "home_country_mission",
        NATIONALITY,
    )
    .await;
    let elsewhere = recipient(
        &app,
        "Test British High Commission in Uganda",
        "british_mission",
        ELSEWHERE,
    )
    .await;

    let first = allowed(
        app.post(
            &at(&scholar.id, "/disclosures"),
            &officer,
            json!({"recipient_id": british, "purpose": "Test visa support letter", "fields": ["personal.full_name", "personal.email"]}),
        )
        .await,
    );
    let reason = not_permitted(
        app.post(
            &at(&scholar.id, "/disclosures"),
            &officer,
            json!({"recipient_id": elsewhere, "purpose": "Test progress report", "fields": ["personal.full_name"]}),
        )
        .await,
    );
    let second = allowed(
        app.post(
            &at(&scholar.id, "/disclosures"),
            &officer,
            json!({"recipient_id": home, "purpose": "Test arrival notice", "fields": ["award.institution"]}),
        )
        .await,
    );

    for reader in [&officer, &app.staff(Role::InformationOfficer).await] {
        let log = disclosures(&app, reader, &scholar.id).await;
        assert_eq!(log.len(), 2, "only the disclosures made: {log:?}");
        for (entry, (id, recipient_id, name, kind, purpose, fields)) in log.iter().zip([
            (
                &first,
                &british,
                "Test British High Commission in Kenya",
                "british_mission",
                "Test visa support letter",
                json!(["personal.full_name", "personal.email"]),
            ),
            (
                &second,
                &home,
                "Test High Commission of Ghana",
                "home_country_mission",
                "Test arrival notice",
                json!(["award.institution"]),
            ),
        ]) {
            for key in [
                "disclosure_id",
                "recipient_id",
                "recipient_name",
                "kind",
                "purpose",
                "fields",
                "at",
            ] {
                assert!(entry.get(key).is_some(), "the entry has {key}: {entry}");
            }
            assert_eq!(entry["disclosure_id"], id.as_str());
            assert_eq!(entry["recipient_id"], recipient_id.as_str());
            assert_eq!(entry["recipient_name"], name);
            assert_eq!(entry["kind"], kind);
            assert_eq!(entry["purpose"], purpose);
            assert_eq!(entry["fields"], fields);
            assert_utc_time(&entry["at"]);
        }

        let refused_log = refusals(&app, reader, &scholar.id).await;
        assert_eq!(refused_log.len(), 1, "{refused_log:?}");
        assert_refusal_logged(&refused_log, &elsewhere, &reason);
        assert_eq!(refused_log[0]["purpose"], "Test progress report");
        assert_eq!(refused_log[0]["fields"], json!(["personal.full_name"]));
    }
}

async fn only_programme_and_information_officers_read_the_disclosure_logs(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = enrol(&app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let british = recipient(
        &app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    allowed(disclose(&app, &officer, &scholar.id, &british, &["personal.email"]).await);
    let mut others = everyone_but_the_officer(&app).await;
    others.retain(|(role, _)| *role != "information_officer");
    others.push(("the applicant themself", scholar.applicant.clone()));
    for tail in ["/disclosures", "/disclosure-refusals"] {
        for (role, user) in &others {
            let (status, body) = app.get(&at(&scholar.id, tail), user).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} reads {tail}: {body}");
            assert_eq!(body["error"], "forbidden", "{role}: {body}");
        }
        refused(
            app.request(Method::GET, &at(&scholar.id, tail), None, None)
                .await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Corrections owed to recipients

/// An awarded person, a Help Desk account, and a British mission that was sent their email and a home
/// mission that was sent their full name.
struct Disclosed {
    officer: User,
    helpdesk: User,
    scholar: Person,
    british: String,
    home: String,
}

async fn disclosed(app: &TestApp) -> Disclosed {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let scholar = enrol(app, &officer, "S0", Stage::Awarded, OptOuts::NONE, None).await;
    let british = recipient(
        app,
        "Test British High Commission in Kenya",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let home = recipient(
        app,
        "Test High Commission of Ghana",
        "home_country_mission",
        NATIONALITY,
    )
    .await;
    allowed(disclose(app, &officer, &scholar.id, &british, &["personal.email"]).await);
    allowed(disclose(app, &officer, &scholar.id, &home, &["personal.full_name"]).await);
    Disclosed {
        officer,
        helpdesk,
        scholar,
        british,
        home,
    }
}

async fn amend(app: &TestApp, helpdesk: &User, id: &str, changes: Value) -> Value {
    answered(
        app.post(
            &at(id, "/amendments"),
            helpdesk,
            json!({"changes": changes, "reason": "Test correction asked by phone"}),
        )
        .await,
        StatusCode::OK,
    )
}

/// The notices of the staff view of the application.
async fn notices(app: &TestApp, officer: &User, id: &str) -> Vec<Value> {
    let (status, view) = app.get(&at(id, ""), officer).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["rectification_notices"]
        .as_array()
        .unwrap_or_else(|| panic!("the staff view lists rectification notices: {view}"))
        .clone()
}

async fn an_amendment_of_disclosed_data_names_the_recipient_to_tell(app: TestApp) {
    let d = disclosed(&app).await;
    let body = amend(
        &app,
        &d.helpdesk,
        &d.scholar.id,
        json!({"personal.email": "corrected.s0@example.test"}),
    )
    .await;
    assert_eq!(body["personal"]["email"], "corrected.s0@example.test");
    assert_eq!(
        body["notify_recipients"],
        json!([{
            "recipient_id": d.british,
            "recipient_name": "Test British High Commission in Kenya",
            "fields": ["personal.email"],
        }]),
        "the British mission holds the old email; the home mission was never sent it"
    );

    let body = amend(
        &app,
        &d.helpdesk,
        &d.scholar.id,
        json!({"personal.phone": "+000 1111 2222"}),
    )
    .await;
    assert_eq!(body["personal"]["phone"], "+000 1111 2222");
    assert_eq!(
        body["notify_recipients"],
        json!([]),
        "nobody was sent the phone number"
    );

    let open = notices(&app, &d.officer, &d.scholar.id).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["recipient_id"], d.british.as_str());
    assert_eq!(
        open[0]["recipient_name"],
        "Test British High Commission in Kenya"
    );
    assert_eq!(open[0]["fields"], json!(["personal.email"]));
    assert_eq!(open[0]["sent_at"], Value::Null, "{open:?}");
}

async fn each_recipient_is_told_only_of_the_fields_it_was_sent(app: TestApp) {
    let d = disclosed(&app).await;
    let body = amend(
        &app,
        &d.helpdesk,
        &d.scholar.id,
        json!({
            "personal.email": "corrected.s0@example.test",
            "personal.full_name": "Test Scholar S0 Corrected",
            "personal.address": "2 Test Street, Testtown",
        }),
    )
    .await;
    let mut told = body["notify_recipients"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of recipients: {body}"))
        .clone();
    told.sort_by_key(|r| r["recipient_name"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        told,
        vec![
            json!({"recipient_id": d.british, "recipient_name": "Test British High Commission in Kenya", "fields": ["personal.email"]}),
            json!({"recipient_id": d.home, "recipient_name": "Test High Commission of Ghana", "fields": ["personal.full_name"]}),
        ]
    );
    assert_eq!(notices(&app, &d.officer, &d.scholar.id).await.len(), 2);
}

async fn an_officer_marks_a_rectification_notice_sent_once(app: TestApp) {
    let d = disclosed(&app).await;
    let path = at(
        &d.scholar.id,
        &format!("/rectification-notices/{}", d.british),
    );
    // Nothing is owed before a correction.
    refused(
        app.post(&path, &d.officer, json!({})).await,
        StatusCode::CONFLICT,
        "no_notice_due",
    );
    amend(
        &app,
        &d.helpdesk,
        &d.scholar.id,
        json!({"personal.email": "corrected.s0@example.test"}),
    )
    .await;

    answered(app.post(&path, &d.officer, json!({})).await, StatusCode::OK);
    let marked = notices(&app, &d.officer, &d.scholar.id).await;
    assert_eq!(marked.len(), 1, "{marked:?}");
    assert_eq!(marked[0]["recipient_id"], d.british.as_str());
    assert_utc_time(&marked[0]["sent_at"]);

    refused(
        app.post(&path, &d.officer, json!({})).await,
        StatusCode::CONFLICT,
        "no_notice_due",
    );
    // The home mission was never sent the email: nothing is owed to it either.
    refused(
        app.post(
            &at(&d.scholar.id, &format!("/rectification-notices/{}", d.home)),
            &d.officer,
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "no_notice_due",
    );

    // A later correction of the same field raises a new notice.
    let body = amend(
        &app,
        &d.helpdesk,
        &d.scholar.id,
        json!({"personal.email": "corrected.again.s0@example.test"}),
    )
    .await;
    assert_eq!(
        body["notify_recipients"],
        json!([{"recipient_id": d.british, "recipient_name": "Test British High Commission in Kenya", "fields": ["personal.email"]}])
    );
    let all = notices(&app, &d.officer, &d.scholar.id).await;
    assert_eq!(
        all.iter().filter(|n| n["sent_at"].is_null()).count(),
        1,
        "{all:?}"
    );
}

async fn only_a_programme_officer_marks_a_rectification_notice_sent(app: TestApp) {
    let d = disclosed(&app).await;
    amend(
        &app,
        &d.helpdesk,
        &d.scholar.id,
        json!({"personal.email": "corrected.s0@example.test"}),
    )
    .await;
    let path = at(
        &d.scholar.id,
        &format!("/rectification-notices/{}", d.british),
    );
    let mut others = everyone_but_the_officer(&app).await;
    others.retain(|(role, _)| *role != "applicant");
    others.push(("helpdesk who amended", d.helpdesk.clone()));
    others.push(("the applicant themself", d.scholar.applicant.clone()));
    for (role, user) in &others {
        let (status, body) = app.post(&path, user, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert_eq!(body["error"], "forbidden", "{role}: {body}");
    }
    let open = notices(&app, &d.officer, &d.scholar.id).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["sent_at"], Value::Null, "still owed: {open:?}");
    answered(app.post(&path, &d.officer, json!({})).await, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------------------
// The country of study: the award's, or before an award any course choice's.

/// A person (living in [`RESIDENCE`], a national of [`NATIONALITY`]) whose course choices are in these
/// countries, selected; answers the person. `award` then makes the award in that country.
async fn selected_studying(app: &TestApp, officer: &User, label: &str, choices: &[&str]) -> Person {
    let person = enrol(app, officer, label, Stage::Draft, OptOuts::NONE, None).await;
    let courses: Vec<Value> = choices
        .iter()
        .map(|country| {
            json!({"institution": "Test Institute", "course": "MSc Data Science",
                   "level": "masters", "country": country})
        })
        .collect();
    app.expect_ok(
        app.patch(
            &at(&person.id, ""),
            &person.applicant,
            json!({"courses": courses}),
        )
        .await,
    );
    let id = &person.id;
    app.expect_ok(
        app.post(&at(id, "/submit"), &person.applicant, json!({}))
            .await,
    );
    let member = app.staff(Role::CommitteeMember).await;
    app.expect_ok(
        app.post(
            &at(id, "/eligibility"),
            officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &at(id, "/assignments"),
            officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    app.expect_ok(app.post(&at(id, "/scores"), &member, scores(7)).await);
    app.expect_ok(
        app.post(
            &at(id, "/decision"),
            officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    person
}

/// The officer makes the award, in `country` of study where given.
async fn award_in(app: &TestApp, officer: &User, person: &Person, country: Option<&str>) {
    let mut terms = award_terms();
    if let Some(country) = country {
        terms["country"] = json!(country);
    }
    app.expect_ok(app.post(&at(&person.id, "/award"), officer, terms).await);
}

async fn an_embassy_of_the_study_country_must_represent_where_the_person_studies_before_and_after_the_award(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let france = recipient_of(
        &app,
        "Test Embassy of France in Kenya",
        "study_country_embassy",
        RESIDENCE,
        Some("France"),
        None,
    )
    .await;
    let britain = recipient_of(
        &app,
        "Test Embassy of the UK in Kenya",
        "study_country_embassy",
        RESIDENCE,
        Some("United Kingdom"),
        None,
    )
    .await;
    let germany = recipient_of(
        &app,
        "Test Embassy of Germany in Kenya",
        "study_country_embassy",
        RESIDENCE,
        Some("Germany"),
        None,
    )
    .await;
    let france_elsewhere = recipient_of(
        &app,
        "Test Embassy of France in Uganda",
        "study_country_embassy",
        ELSEWHERE,
        Some("France"),
        None,
    )
    .await;
    let person = selected_studying(&app, &officer, "E0", &["France", "United Kingdom"]).await;

    // Before the award: any country of the course choices.
    allowed(disclose(&app, &officer, &person.id, &france, &["personal.full_name"]).await);
    allowed(
        disclose(
            &app,
            &officer,
            &person.id,
            &britain,
            &["personal.full_name"],
        )
        .await,
    );
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &germany,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains("represents Germany"), "{reason}");
    assert!(
        !reason.contains(RESIDENCE) && !reason.contains(NATIONALITY),
        "{reason}"
    );
    assert_refusal_logged(
        &refusals(&app, &officer, &person.id).await,
        &germany,
        &reason,
    );
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &france_elsewhere,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains(ELSEWHERE), "{reason}");

    // After the award in France: France only.
    award_in(&app, &officer, &person, Some("France")).await;
    let (_, view) = app.get(&at(&person.id, ""), &officer).await;
    assert_eq!(view["award"]["country"], "France", "{view}");
    allowed(disclose(&app, &officer, &person.id, &france, &["award.course"]).await);
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &britain,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains("represents United Kingdom"), "{reason}");
    assert_refusal_logged(
        &refusals(&app, &officer, &person.id).await,
        &britain,
        &reason,
    );
}

async fn a_home_country_mission_must_stand_where_the_person_studies_before_and_after_the_award(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let in_paris = recipient_of(
        &app,
        "Test Embassy of Ghana in Paris",
        "home_country_mission",
        NATIONALITY,
        None,
        Some("France"),
    )
    .await;
    let in_london = recipient_of(
        &app,
        "Test High Commission of Ghana in London",
        "home_country_mission",
        NATIONALITY,
        None,
        Some("United Kingdom"),
    )
    .await;
    let in_berlin = recipient_of(
        &app,
        "Test Embassy of Ghana in Berlin",
        "home_country_mission",
        NATIONALITY,
        None,
        Some("Germany"),
    )
    .await;
    let other_nation = recipient_of(
        &app,
        "Test Embassy of Uganda in Paris",
        "home_country_mission",
        ELSEWHERE,
        None,
        Some("France"),
    )
    .await;
    let person = selected_studying(&app, &officer, "H0", &["France", "United Kingdom"]).await;

    allowed(
        disclose(
            &app,
            &officer,
            &person.id,
            &in_paris,
            &["personal.full_name"],
        )
        .await,
    );
    allowed(
        disclose(
            &app,
            &officer,
            &person.id,
            &in_london,
            &["personal.full_name"],
        )
        .await,
    );
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &in_berlin,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains("stands in Germany"), "{reason}");
    assert_refusal_logged(
        &refusals(&app, &officer, &person.id).await,
        &in_berlin,
        &reason,
    );
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &other_nation,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains(ELSEWHERE), "{reason}");

    // After an award with no country given: the United Kingdom.
    award_in(&app, &officer, &person, None).await;
    let (_, view) = app.get(&at(&person.id, ""), &officer).await;
    assert_eq!(view["award"]["country"], "United Kingdom", "{view}");
    allowed(disclose(&app, &officer, &person.id, &in_london, &["award.course"]).await);
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &in_paris,
            &["personal.full_name"],
        )
        .await,
    );
    assert!(reason.contains("stands in France"), "{reason}");
    assert_refusal_logged(
        &refusals(&app, &officer, &person.id).await,
        &in_paris,
        &reason,
    );
}

async fn the_british_mission_stands_in_the_country_of_residence_wherever_the_person_studies(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let nairobi = recipient(
        &app,
        "Test British High Commission Nairobi",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let kampala = recipient(
        &app,
        "Test British High Commission Kampala",
        "british_mission",
        ELSEWHERE,
    )
    .await;
    let person = selected_studying(&app, &officer, "B0", &["France"]).await;
    allowed(
        disclose(
            &app,
            &officer,
            &person.id,
            &nairobi,
            &["personal.full_name"],
        )
        .await,
    );
    not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &kampala,
            &["personal.full_name"],
        )
        .await,
    );
    award_in(&app, &officer, &person, Some("France")).await;
    allowed(disclose(&app, &officer, &person.id, &nairobi, &["award.course"]).await);
    let reason = not_permitted(
        disclose(
            &app,
            &officer,
            &person.id,
            &kampala,
            &["personal.full_name"],
        )
        .await,
    );
    assert_refusal_logged(
        &refusals(&app, &officer, &person.id).await,
        &kampala,
        &reason,
    );
}

async fn a_recipient_registered_before_it_said_whom_it_represents_or_where_it_stands_receives_nothing(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let embassy = recipient(
        &app,
        "Test Embassy of the Country of Study",
        "study_country_embassy",
        RESIDENCE,
    )
    .await;
    let mission = recipient(
        &app,
        "Test High Commission of Ghana",
        "home_country_mission",
        NATIONALITY,
    )
    .await;
    let person = enrol(&app, &officer, "L0", Stage::Awarded, OptOuts::NONE, None).await;
    allowed(
        disclose(
            &app,
            &officer,
            &person.id,
            &embassy,
            &["personal.full_name"],
        )
        .await,
    );
    allowed(
        disclose(
            &app,
            &officer,
            &person.id,
            &mission,
            &["personal.full_name"],
        )
        .await,
    );

    // The register as it stood before recipients said whom they represent and where they stand.
    let forget = "UPDATE recipients SET represents = NULL, located_in = NULL";
    match app.db() {
        Db::Sqlite(pool) => sqlx::query(forget).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(forget).execute(pool).await.map(|_| ()),
    }
    .expect("the register, as before");

    for (legacy, field) in [(&embassy, "represents"), (&mission, "located_in")] {
        let reason = not_permitted(
            disclose(&app, &officer, &person.id, legacy, &["personal.full_name"]).await,
        );
        assert!(reason.contains(&format!("without `{field}`")), "{reason}");
        assert!(reason.contains("receives nothing"), "{reason}");
        assert_refusal_logged(&refusals(&app, &officer, &person.id).await, legacy, &reason);
    }
    assert_eq!(disclosures(&app, &officer, &person.id).await.len(), 2);
}

async fn an_award_takes_a_country_of_study_and_a_joint_sponsor_of_the_register(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mission = recipient(
        &app,
        "Test British High Commission Nairobi",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let sponsor = recipient(
        &app,
        "Test Sponsor Foundation",
        "joint_sponsor",
        "United Kingdom",
    )
    .await;
    let person = selected_studying(&app, &officer, "A0", &["United Kingdom"]).await;
    let award = at(&person.id, "/award");
    for (change, path) in [
        (json!({"country": "Atlantis"}), "country"),
        (json!({"country": "French"}), "country"),
        (
            json!({"joint_sponsor_id": "no-such-recipient"}),
            "joint_sponsor_id",
        ),
        (
            json!({"joint_sponsor_id": "01890000-0000-7000-8000-000000000000"}),
            "joint_sponsor_id",
        ),
        (json!({"joint_sponsor_id": mission}), "joint_sponsor_id"),
    ] {
        let mut terms = award_terms();
        for (key, value) in change.as_object().expect("a change") {
            terms[key] = value.clone();
        }
        let refusal = refused(
            app.post(&award, &officer, terms.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        assert!(
            refusal["problems"]
                .as_array()
                .is_some_and(|problems| problems.iter().any(|p| p["path"] == path)),
            "{terms} is refused for its {path}: {refusal}"
        );
    }
    let (_, view) = app.get(&at(&person.id, ""), &officer).await;
    assert_eq!(view["status"], "selected", "nothing was awarded: {view}");

    let mut terms = award_terms();
    terms["country"] = json!("france");
    terms["joint_sponsor_id"] = json!(sponsor);
    app.expect_ok(app.post(&award, &officer, terms).await);
    let (_, view) = app.get(&at(&person.id, ""), &officer).await;
    assert_eq!(
        view["award"]["country"], "France",
        "the country by its English short name: {view}"
    );
    assert_eq!(
        view["award"]["joint_sponsor_id"],
        sponsor.as_str(),
        "{view}"
    );
    allowed(disclose(&app, &officer, &person.id, &sponsor, &["award.course"]).await);
}

async fn a_course_choice_takes_a_country_of_study(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let person = enrol(&app, &officer, "C0", Stage::Draft, OptOuts::NONE, None).await;
    let (_, view) = app.get(&at(&person.id, ""), &person.applicant).await;
    assert!(
        view["courses"]
            .as_array()
            .is_some_and(|courses| !courses.is_empty()
                && courses.iter().all(|c| c["country"] == "United Kingdom")),
        "a course without a country is in the United Kingdom: {view}"
    );
    let refusal = refused(
        app.patch(
            &at(&person.id, ""),
            &person.applicant,
            json!({"courses": [{"institution": "Test Institute", "course": "MSc Data Science", "level": "masters", "country": "Atlantis"}]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    assert!(
        refusal["problems"]
            .as_array()
            .is_some_and(|problems| problems.iter().any(|p| p["path"] == "courses[0].country")),
        "{refusal}"
    );
    let body = answered(
        app.patch(
            &at(&person.id, ""),
            &person.applicant,
            json!({"courses": [{"institution": "Test Institute", "course": "MSc Data Science", "level": "masters", "country": "  canada "}]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["courses"][0]["country"], "Canada", "{body}");
}

/// "Personal data shall be accurate and kept up to date": a programme officer corrects the award's terms and
/// the completion outcome with a reason; the Open Book shows the corrected values at once, and a recipient
/// who was sent the old institution is listed to be told (a rectification notice), one sent only the name
/// is not.
async fn a_corrected_award_is_published_at_once_and_recipients_sent_the_old_value_are_to_be_told(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let alumnus = enrol(&app, &officer, "C0", Stage::Alumni, OptOuts::NONE, None).await;
    let told = recipient(
        &app,
        "Test British High Commission C",
        "british_mission",
        RESIDENCE,
    )
    .await;
    let untouched = recipient(&app, "Test Embassy C", "study_country_embassy", RESIDENCE).await;
    allowed(
        disclose(
            &app,
            &officer,
            &alumnus.id,
            &told,
            &["personal.full_name", "award.institution"],
        )
        .await,
    );
    allowed(
        disclose(
            &app,
            &officer,
            &alumnus.id,
            &untouched,
            &["personal.full_name"],
        )
        .await,
    );

    let corrected = answered(
        app.post(
            &at(&alumnus.id, "/award/correction"),
            &officer,
            json!({"institution": "Test Corrected Institute", "course": "MSc Test Statistics", "reason": "Test: recorded wrongly"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(
        corrected["notify_recipients"],
        json!([{"recipient_id": told, "recipient_name": "Test British High Commission C", "fields": ["award.institution"]}]),
        "{corrected}"
    );
    assert_eq!(
        corrected["award"]["institution"], "Test Corrected Institute",
        "{corrected}"
    );
    let notices = &corrected["rectification_notices"];
    assert!(
        notices
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["recipient_id"] == json!(told))
                && n.iter().all(|n| n["recipient_id"] != json!(untouched))),
        "{corrected}"
    );
    let entry = |book: Vec<Value>| {
        book.into_iter()
            .find(|e| e["full_name"] == json!(alumnus.full_name))
            .unwrap_or_else(|| panic!("the alumnus is in the Open Book"))
    };
    let listed = entry(list(&app, OPEN_BOOK, None).await);
    assert_eq!(
        listed["institution"], "Test Corrected Institute",
        "{listed}"
    );
    assert_eq!(listed["subject"], "MSc Test Statistics", "{listed}");

    answered(
        app.post(
            &at(&alumnus.id, "/award/complete/correction"),
            &officer,
            json!({"outcome": "MSc Test Statistics with merit", "reason": "Test: the result was recorded wrongly"}),
        )
        .await,
        StatusCode::OK,
    );
    let listed = entry(list(&app, OPEN_BOOK, None).await);
    assert_eq!(
        listed["outcome"], "MSc Test Statistics with merit",
        "{listed}"
    );
}

async fn an_award_correction_is_refused_without_an_award_a_reason_a_change_or_the_role(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let selected = enrol(&app, &officer, "C1", Stage::Selected, OptOuts::NONE, None).await;
    let holder = enrol(&app, &officer, "C2", Stage::Awarded, OptOuts::NONE, None).await;
    let terms = json!({"institution": "Test Other Institute", "reason": "Test: wrong"});
    refused(
        app.post(
            &at(&selected.id, "/award/correction"),
            &officer,
            terms.clone(),
        )
        .await,
        StatusCode::CONFLICT,
        "not_awarded",
    );
    refused(
        app.post(
            &at(&holder.id, "/award/complete/correction"),
            &officer,
            json!({"outcome": "Test outcome", "reason": "Test: wrong"}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_completed",
    );
    for body in [
        json!({"institution": "Test Other Institute", "reason": " "}),
        json!({"institution": "Test Institute", "reason": "Test: nothing differs"}),
        json!({"reason": "Test: nothing given"}),
        json!({"start_date": "not a date", "reason": "Test: wrong"}),
    ] {
        refused(
            app.post(&at(&holder.id, "/award/correction"), &officer, body)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    for role in [
        Role::Helpdesk,
        Role::InformationOfficer,
        Role::CommitteeMember,
    ] {
        let someone = app.staff(role).await;
        let (status, body) = app
            .post(
                &at(&holder.id, "/award/correction"),
                &someone,
                terms.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {body}");
    }
    let (status, body) = app
        .post(
            &at(&holder.id, "/award/correction"),
            &holder.applicant,
            terms.clone(),
        )
        .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}: {body}"
    );
    let (_, after) = app.get(&at(&holder.id, ""), &officer).await;
    assert_eq!(after["award"]["institution"], "Test Institute", "{after}");
}
