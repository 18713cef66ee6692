//! The Applications section of CONTRACT.md: every route of the lifecycle, each success and each refusal,
//! and the shape of the application body.

use std::process::Command;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, award_terms, complete_form, scores};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    creating_an_application_gives_a_draft_with_an_id,
    a_second_application_in_the_same_cycle_is_a_duplicate_but_another_cycle_is_fine,
    applications_started_at_the_same_moment_in_one_cycle_give_exactly_one,
    a_malformed_cycle_is_refused_as_invalid,
    only_an_applicant_may_start_an_application,
    a_new_draft_has_every_section_of_the_application_body_empty,
    the_owner_sees_the_whole_application_in_the_contract_shape,
    staff_see_the_whole_application_with_its_preferences,
    a_committee_member_sees_only_an_assigned_application_and_never_its_preferences,
    an_unknown_application_is_not_found,
    a_destroyed_application_answers_gone,
    a_patch_merges_into_the_saved_sections,
    values_that_break_the_rules_of_the_form_are_invalid_and_change_nothing,
    an_edit_after_submission_is_refused_with_a_pointer_to_the_help_desk,
    submitting_an_empty_draft_lists_every_missing_path,
    submitting_a_partly_filled_draft_lists_only_what_is_missing,
    a_complete_draft_is_submitted,
    only_a_draft_can_be_submitted,
    a_draft_or_a_submitted_application_can_be_withdrawn,
    an_application_cannot_be_withdrawn_after_a_decision,
    the_owner_sets_preferences_while_the_application_is_a_draft,
    after_submission_only_a_programme_officer_changes_preferences,
    preferences_need_all_four_flags_as_booleans,
    the_help_desk_amends_personal_data_after_submission,
    an_amendment_of_anything_but_personal_data_is_not_amendable,
    an_amendment_with_a_bad_value_is_invalid,
    a_draft_cannot_be_amended,
    only_the_help_desk_may_amend,
    an_officer_determines_eligibility_of_a_submitted_application_once,
    an_officer_assigns_only_committee_members,
    an_assigned_member_who_declares_a_conflict_can_no_longer_score_nor_see_the_application,
    a_member_not_assigned_cannot_declare_a_conflict,
    an_assigned_member_scores_each_criterion_from_zero_to_ten,
    an_officer_records_each_outcome,
    a_decision_needs_an_application_under_review_and_a_known_outcome,
    a_selected_application_is_awarded_then_completed,
    only_a_selected_application_can_be_awarded,
    only_an_awarded_application_can_be_completed,
    an_officer_records_and_lists_the_immigration_documents_of_an_award,
    immigration_records_need_an_award_and_a_programme_officer,
    the_history_lists_every_event_in_order_with_its_actor,
    committee_members_and_applicants_may_not_read_the_history,
    a_body_of_the_wrong_shape_is_invalid_on_every_route_and_changes_nothing,
    only_the_owner_edits_submits_and_withdraws,
);

/// `/api/applications/{id}` followed by `tail`.
fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
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

/// The paths named by the `problems` of an `invalid` refusal.
fn problem_paths(body: &Value) -> Vec<String> {
    body["problems"]
        .as_array()
        .map(|problems| {
            problems
                .iter()
                .filter_map(|p| p["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn sorted_strings(value: &Value) -> Vec<String> {
    let mut strings: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("an array of strings: {value}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect();
    strings.sort();
    strings
}

fn object_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    keys.sort();
    keys
}

#[track_caller]
fn assert_utc_time(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("{text} is not RFC 3339: {error}"));
    assert_eq!(time.offset().local_minus_utc(), 0, "{text} is not UTC");
    time
}

const PERSONAL_FIELDS: [&str; 7] = [
    "full_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "nationality",
    "country_of_residence",
];
const ESSAYS: [&str; 4] = ["leadership", "networking", "study_plan", "career_plan"];
const PREFERENCES: [&str; 4] = [
    "networking_opt_out",
    "alumni_email_opt_out",
    "alumni_book_opt_out",
    "images_opt_out",
];

/// Every key of the application body the contract names.
const BODY_KEYS: [&str; 13] = [
    "id",
    "cycle",
    "status",
    "applicant_id",
    "personal",
    "education",
    "employment",
    "courses",
    "essays",
    "referees",
    "preferences",
    "submitted_at",
    "decision",
];

/// The application body has every key of the contract, each section in its shape.
#[track_caller]
fn assert_body_shape(body: &Value, with_preferences: bool) {
    for key in BODY_KEYS {
        if key == "preferences" && !with_preferences {
            assert!(
                body.get("preferences").is_none(),
                "no preferences here: {body}"
            );
            continue;
        }
        assert!(body.get(key).is_some(), "the body has no {key}: {body}");
    }
    assert!(body["id"].is_string());
    assert!(body["cycle"].is_string());
    assert!(body["status"].is_string());
    assert!(body["applicant_id"].is_string());
    assert_eq!(object_keys(&body["personal"]), sorted(&PERSONAL_FIELDS));
    assert_eq!(object_keys(&body["essays"]), sorted(&ESSAYS));
    for list in ["education", "employment", "courses", "referees"] {
        assert!(body[list].is_array(), "{list} is a list: {body}");
    }
    if with_preferences {
        assert_eq!(object_keys(&body["preferences"]), sorted(&PREFERENCES));
        for flag in PREFERENCES {
            assert!(body["preferences"][flag].is_boolean(), "{flag}: {body}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// POST /api/applications

async fn creating_an_application_gives_a_draft_with_an_id(app: TestApp) {
    let applicant = app.applicant().await;
    let body = answered(
        app.post("/api/applications", &applicant, json!({"cycle": "2026-27"}))
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(body["status"], "draft");
    let id = body["id"].as_str().expect("the id is a string");
    assert!(!id.is_empty());

    let view = answered(app.get(&at(id, ""), &applicant).await, StatusCode::OK);
    assert_eq!(view["id"], id);
    assert_eq!(view["cycle"], "2026-27");
    assert_eq!(view["status"], "draft");
    assert_eq!(view["applicant_id"], applicant.id.as_str());
}

async fn a_second_application_in_the_same_cycle_is_a_duplicate_but_another_cycle_is_fine(
    app: TestApp,
) {
    let applicant = app.applicant().await;
    let first = app.draft(&applicant).await;
    refused(
        app.post("/api/applications", &applicant, json!({"cycle": "2026-27"}))
            .await,
        StatusCode::CONFLICT,
        "duplicate_application",
    );
    // Still one even once the first is withdrawn: one application per applicant per cycle.
    answered(
        app.post(&at(&first, "/withdraw"), &applicant, json!({}))
            .await,
        StatusCode::OK,
    );
    refused(
        app.post("/api/applications", &applicant, json!({"cycle": "2026-27"}))
            .await,
        StatusCode::CONFLICT,
        "duplicate_application",
    );

    let next = answered(
        app.post("/api/applications", &applicant, json!({"cycle": "2027-28"}))
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(next["status"], "draft");
    assert_ne!(next["id"], first.as_str());

    let other = app.applicant().await;
    answered(
        app.post("/api/applications", &other, json!({"cycle": "2026-27"}))
            .await,
        StatusCode::CREATED,
    );
}

async fn applications_started_at_the_same_moment_in_one_cycle_give_exactly_one(app: TestApp) {
    let applicant = app.applicant().await;
    let attempts =
        (0..8).map(|_| app.post("/api/applications", &applicant, json!({"cycle": "2026-27"})));
    let results = join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in results
        .iter()
        .filter(|(status, _)| *status != StatusCode::CREATED)
    {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"], "duplicate_application", "{body}");
    }
    let (_, mine) = app.get("/api/applications", &applicant).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
}

async fn a_malformed_cycle_is_refused_as_invalid(app: TestApp) {
    let applicant = app.applicant().await;
    for cycle in ["2026", "2026-28", "26-27", "2026-2027", "twenty-six", ""] {
        let body = refused(
            app.post("/api/applications", &applicant, json!({"cycle": cycle}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        assert_eq!(problem_paths(&body), ["cycle"], "{cycle:?}: {body}");
    }
    for body in [json!({}), json!({"cycle": 2026})] {
        refused(
            app.post("/api/applications", &applicant, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    let (_, mine) = app.get("/api/applications", &applicant).await;
    assert_eq!(mine["items"], json!([]), "nothing was started");
}

async fn only_an_applicant_may_start_an_application(app: TestApp) {
    for role in [
        Role::ProgrammeOfficer,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let staff = app.staff(role).await;
        refused(
            app.post("/api/applications", &staff, json!({"cycle": "2026-27"}))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// GET /api/applications/{id}

async fn a_new_draft_has_every_section_of_the_application_body_empty(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let body = answered(app.get(&at(&id, ""), &applicant).await, StatusCode::OK);
    assert_body_shape(&body, true);
    for field in PERSONAL_FIELDS {
        assert_eq!(body["personal"][field], Value::Null, "{field}");
    }
    for essay in ESSAYS {
        assert_eq!(body["essays"][essay], Value::Null, "{essay}");
    }
    for list in ["education", "employment", "courses", "referees"] {
        assert_eq!(body[list], json!([]), "{list}");
    }
    for flag in PREFERENCES {
        assert_eq!(body["preferences"][flag], false, "no opt-out until asked");
    }
    assert_eq!(body["submitted_at"], Value::Null);
    assert_eq!(body["decision"], Value::Null);
}

async fn the_owner_sees_the_whole_application_in_the_contract_shape(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let body = answered(app.get(&at(&id, ""), &applicant).await, StatusCode::OK);
    assert_body_shape(&body, true);
    let form = complete_form();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["cycle"], "2026-27");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["applicant_id"], applicant.id.as_str());
    assert_eq!(body["personal"], form["personal"]);
    assert_eq!(body["education"], form["education"]);
    assert_eq!(body["employment"], form["employment"]);
    // Each course carries its country of study, the United Kingdom where none was given.
    let mut courses = form["courses"].clone();
    for course in courses.as_array_mut().expect("courses") {
        course["country"] = json!("United Kingdom");
    }
    assert_eq!(body["courses"], courses);
    assert_eq!(body["essays"], form["essays"]);
    assert_eq!(body["referees"], form["referees"]);
    assert_eq!(
        body["preferences"],
        json!({"networking_opt_out": false, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false})
    );
    assert_eq!(body["submitted_at"], Value::Null);
    assert_eq!(body["decision"], Value::Null);
}

async fn staff_see_the_whole_application_with_its_preferences(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let (_, owners) = app.get(&at(&id, ""), &applicant).await;
    for role in [Role::ProgrammeOfficer, Role::InformationOfficer] {
        let staff = app.staff(role).await;
        let body = answered(app.get(&at(&id, ""), &staff).await, StatusCode::OK);
        assert_body_shape(&body, true);
        for key in BODY_KEYS {
            assert_eq!(body[key], owners[key], "{role:?} sees the same {key}");
        }
    }
    // The Help Desk sees the personal section and where the case stands, nothing else of it.
    let helpdesk = app.staff(Role::Helpdesk).await;
    let body = answered(app.get(&at(&id, ""), &helpdesk).await, StatusCode::OK);
    assert_eq!(body["personal"], owners["personal"]);
    for key in ["essays", "education", "courses", "referees", "preferences"] {
        assert!(
            body.get(key).is_none(),
            "the Help Desk gets no {key}: {body}"
        );
    }
    // An administrator reads no application.
    let admin = app.staff(Role::Admin).await;
    refused(
        app.get(&at(&id, ""), &admin).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn a_committee_member_sees_only_an_assigned_application_and_never_its_preferences(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let bystander = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    app.expect_ok(
        app.put(
            &at(&id, "/preferences"),
            &officer,
            json!({"networking_opt_out": true, "alumni_email_opt_out": true, "alumni_book_opt_out": true, "images_opt_out": true}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &at(&id, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    refused(
        app.get(&at(&id, ""), &member).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    app.expect_ok(
        app.post(
            &at(&id, "/assignments"),
            &officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    let body = answered(app.get(&at(&id, ""), &member).await, StatusCode::OK);
    assert!(
        !body.to_string().contains("opt_out"),
        "no trace of the preferences: {body}"
    );
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["status"], "under_review");
    // Never the contact details or the date of birth.
    let personal = &complete_form()["personal"];
    assert_eq!(
        body["personal"],
        json!({
            "full_name": personal["full_name"],
            "nationality": personal["nationality"],
            "country_of_residence": personal["country_of_residence"],
        })
    );
    assert_eq!(body["essays"], complete_form()["essays"]);

    refused(
        app.get(&at(&id, ""), &bystander).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

async fn an_unknown_application_is_not_found(app: TestApp) {
    let applicant = app.applicant().await;
    app.draft(&applicant).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for user in [&applicant, &officer] {
        refused(
            app.get(&at(&unknown, ""), user).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    refused(
        app.patch(
            &at(&unknown, ""),
            &applicant,
            json!({"essays": {"leadership": "x"}}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    refused(
        app.post(
            &at(&unknown, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for tail in ["/history", "/immigration-records"] {
        refused(
            app.get(&at(&unknown, tail), &officer).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
}

async fn a_destroyed_application_answers_gone(app: TestApp) {
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.complete_draft(&applicant).await;
    answered(
        app.post(&at(&id, "/withdraw"), &applicant, json!({})).await,
        StatusCode::OK,
    );
    // A withdrawn application is kept two years from the withdrawal.
    let as_of = (chrono::Utc::now().date_naive() + chrono::Days::new(3 * 366)).to_string();
    // The ledger goes to a folder of its own: never the working folder (the source tree, under cargo test).
    let ledger = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_etp"))
        .args(["retention", "sweep", "--as-of", &as_of])
        .current_dir(ledger.path())
        .env(
            "ETP_RETENTION_LEDGER",
            ledger.path().join("destroyed-streams.ledger"),
        )
        .env_remove("ETP_BIND")
        .env("ETP_DATABASE_URL", &app.database_url)
        .env("ETP_MASTER_KEY", &app.master_key)
        .env("ETP_JWT_SECRET", &app.jwt_secret)
        .output()
        .expect("run etp retention sweep");
    assert!(
        output.status.success(),
        "etp retention sweep on {:?} exits 0: {}",
        app.backend,
        String::from_utf8_lossy(&output.stderr)
    );
    refused(
        app.get(&at(&id, ""), &officer).await,
        StatusCode::GONE,
        "destroyed",
    );
    // The applicant's account, left with no application, was destroyed in the same sweep: its token opens
    // nothing any more, once the second for which the server holds a token's standing has passed (the
    // sweep ran in another process; docs/decisions/0003-token-standing-held.md).
    tokio::time::sleep(services::accounts::STANDING_HELD_FOR).await;
    refused(
        app.get(&at(&id, ""), &applicant).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

// ---------------------------------------------------------------------------------------------------------
// PATCH /api/applications/{id}

async fn a_patch_merges_into_the_saved_sections(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let form = complete_form();

    let body = answered(
        app.patch(
            &at(&id, ""),
            &applicant,
            json!({"personal": {"phone": "+000 1111 2222"}}),
        )
        .await,
        StatusCode::OK,
    );
    assert_body_shape(&body, true);
    let mut personal = form["personal"].clone();
    personal["phone"] = json!("+000 1111 2222");
    assert_eq!(
        body["personal"], personal,
        "the other personal fields are kept"
    );
    assert_eq!(
        body["essays"], form["essays"],
        "the other sections are kept"
    );
    assert_eq!(body["referees"], form["referees"]);

    let body = answered(
        app.patch(
            &at(&id, ""),
            &applicant,
            json!({"essays": {"career_plan": "I will teach statistics."}, "personal": {"email": applicant.email}}),
        )
        .await,
        StatusCode::OK,
    );
    personal["email"] = json!(applicant.email);
    assert_eq!(body["personal"], personal);
    assert_eq!(body["essays"]["career_plan"], "I will teach statistics.");
    assert_eq!(body["essays"]["leadership"], form["essays"]["leadership"]);
    assert_eq!(body["essays"]["networking"], form["essays"]["networking"]);
    assert_eq!(body["essays"]["study_plan"], form["essays"]["study_plan"]);

    // A list is replaced whole; three courses are allowed, each in its country of study.
    let courses = json!([
        {"institution": "Test Institute", "course": "MSc Data Science", "level": "masters", "country": "United Kingdom"},
        {"institution": "Test College", "course": "MSc Statistics", "level": "masters", "country": "France"},
        {"institution": "Test School", "course": "MPhil Economics", "level": "masters", "country": "United Kingdom"}
    ]);
    let body = answered(
        app.patch(&at(&id, ""), &applicant, json!({"courses": courses}))
            .await,
        StatusCode::OK,
    );
    assert_eq!(body["courses"], courses);
    assert_eq!(body["education"], form["education"]);

    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(
        view["personal"], personal,
        "what the PATCH answered was saved"
    );
    assert_eq!(view["courses"], courses);
    assert_eq!(view["essays"]["career_plan"], "I will teach statistics.");
}

async fn values_that_break_the_rules_of_the_form_are_invalid_and_change_nothing(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let (_, before) = app.get(&at(&id, ""), &applicant).await;

    let words = |n: usize| vec!["word"; n].join(" ");
    let course = json!({"institution": "Test Institute", "course": "MSc Test", "level": "masters"});
    let cases = [
        (
            json!({"personal": {"email": "not-an-email"}}),
            Some("personal.email"),
        ),
        (
            json!({"personal": {"email": "two@@example.test"}}),
            Some("personal.email"),
        ),
        (
            json!({"personal": {"favourite_colour": "blue"}}),
            Some("personal.favourite_colour"),
        ),
        (json!({"hobbies": ["chess"]}), None),
        (
            json!({"essays": {"leadership": words(501)}}),
            Some("essays.leadership"),
        ),
        (
            json!({"essays": {"motivation": "I want to."}}),
            Some("essays.motivation"),
        ),
        (
            json!({"courses": [course, course, course, course]}),
            Some("courses"),
        ),
        (
            json!({"personal": {"nationality": "Kenyan"}}),
            Some("personal.nationality"),
        ),
        (
            json!({"personal": {"country_of_residence": "Kenyan"}}),
            Some("personal.country_of_residence"),
        ),
        (
            json!({"personal": {"date_of_birth": "12/04/1998"}}),
            Some("personal.date_of_birth"),
        ),
        (
            json!({"referees": [{"name": "Test Referee", "email": "nowhere"}]}),
            Some("referees[0].email"),
        ),
    ];
    for (patch, path) in cases {
        let body = refused(
            app.patch(&at(&id, ""), &applicant, patch.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        if let Some(path) = path {
            assert!(
                problem_paths(&body).iter().any(|p| p == path),
                "{patch} names {path}: {body}"
            );
        }
    }
    let (_, after) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(after, before, "a refused PATCH changes nothing");

    // At the limits, the same sections are accepted.
    let body = answered(
        app.patch(
            &at(&id, ""),
            &applicant,
            json!({"essays": {"leadership": words(500)}, "personal": {"nationality": "United Kingdom"}}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["essays"]["leadership"], words(500));
    assert_eq!(body["personal"]["nationality"], "United Kingdom");
}

async fn an_edit_after_submission_is_refused_with_a_pointer_to_the_help_desk(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let (_, before) = app.get(&at(&id, ""), &applicant).await;
    for patch in [
        json!({"personal": {"phone": "+000 9999"}}),
        json!({"essays": {"leadership": "A better essay."}}),
    ] {
        let body = refused(
            app.patch(&at(&id, ""), &applicant, patch).await,
            StatusCode::CONFLICT,
            "application_submitted",
        );
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("Help Desk")),
            "the message says to contact the Help Desk: {body}"
        );
    }
    let (_, after) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(after, before);
}

async fn only_the_owner_edits_submits_and_withdraws(app: TestApp) {
    let owner = app.applicant().await;
    let other = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let id = app.complete_draft(&owner).await;
    let (_, before) = app.get(&at(&id, ""), &owner).await;
    for staff in [&officer, &helpdesk] {
        refused(
            app.patch(
                &at(&id, ""),
                staff,
                json!({"personal": {"phone": "+000 7777"}}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        for tail in ["/submit", "/withdraw"] {
            refused(
                app.post(&at(&id, tail), staff, json!({})).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
    }
    refused(
        app.patch(
            &at(&id, ""),
            &other,
            json!({"personal": {"phone": "+000 7777"}}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for tail in ["/submit", "/withdraw"] {
        refused(
            app.post(&at(&id, tail), &other, json!({})).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    refused(
        app.put(
            &at(&id, "/preferences"),
            &other,
            preferences(true, true, true, true),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, after) = app.get(&at(&id, ""), &owner).await;
    assert_eq!(after, before, "no one but the owner changed it");
}

// ---------------------------------------------------------------------------------------------------------
// POST /api/applications/{id}/submit

async fn submitting_an_empty_draft_lists_every_missing_path(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let body = refused(
        app.post(&at(&id, "/submit"), &applicant, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "incomplete",
    );
    assert_eq!(
        body["missing"],
        json!([
            "personal.full_name",
            "personal.date_of_birth",
            "personal.email",
            "personal.phone",
            "personal.address",
            "personal.nationality",
            "personal.country_of_residence",
            "education",
            "courses",
            "essays.leadership",
            "essays.networking",
            "essays.study_plan",
            "essays.career_plan",
            "referees[0]",
            "referees[1]"
        ])
    );
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["status"], "draft");
    assert_eq!(view["submitted_at"], Value::Null);
}

async fn submitting_a_partly_filled_draft_lists_only_what_is_missing(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let mut form = complete_form();
    form["essays"]["career_plan"] = Value::Null;
    form["personal"]["phone"] = json!("");
    form["referees"] = json!([{"name": "Test Referee One", "email": "referee1@example.test"}]);
    app.expect_ok(app.patch(&at(&id, ""), &applicant, form).await);
    let body = refused(
        app.post(&at(&id, "/submit"), &applicant, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "incomplete",
    );
    assert_eq!(
        body["missing"],
        json!(["personal.phone", "essays.career_plan", "referees[1]"])
    );
}

async fn a_complete_draft_is_submitted(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let body = answered(
        app.post(&at(&id, "/submit"), &applicant, json!({})).await,
        StatusCode::OK,
    );
    assert_eq!(body["status"], "submitted");
    let view = answered(app.get(&at(&id, ""), &applicant).await, StatusCode::OK);
    assert_eq!(view["status"], "submitted");
    let submitted_at = assert_utc_time(&view["submitted_at"]);
    assert!(submitted_at <= chrono::Utc::now(), "{view}");
    assert_eq!(view["decision"], Value::Null);
    assert_eq!(view["personal"], complete_form()["personal"]);
}

async fn only_a_draft_can_be_submitted(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let (_, before) = app.get(&at(&id, ""), &applicant).await;
    refused(
        app.post(&at(&id, "/submit"), &applicant, json!({})).await,
        StatusCode::CONFLICT,
        "application_submitted",
    );
    let (_, after) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(after["submitted_at"], before["submitted_at"]);

    let other = app.applicant().await;
    let withdrawn = app.complete_draft(&other).await;
    app.expect_ok(
        app.post(&at(&withdrawn, "/withdraw"), &other, json!({}))
            .await,
    );
    refused(
        app.post(&at(&withdrawn, "/submit"), &other, json!({}))
            .await,
        StatusCode::CONFLICT,
        "invalid_state",
    );
}

// ---------------------------------------------------------------------------------------------------------
// POST /api/applications/{id}/withdraw

async fn a_draft_or_a_submitted_application_can_be_withdrawn(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let first = app.applicant().await;
    let second = app.applicant().await;
    let third = app.applicant().await;
    let draft = app.draft(&first).await;
    let submitted = app.submitted(&second).await;
    let under_review = app.under_review_for(&third, &officer, &member).await;
    for (id, applicant) in [
        (&draft, &first),
        (&submitted, &second),
        (&under_review, &third),
    ] {
        let body = answered(
            app.post(&at(id, "/withdraw"), applicant, json!({})).await,
            StatusCode::OK,
        );
        assert_eq!(body["status"], "withdrawn");
        let (_, view) = app.get(&at(id, ""), applicant).await;
        assert_eq!(view["status"], "withdrawn");
    }
    // Withdrawn is final.
    refused(
        app.post(&at(&draft, "/withdraw"), &first, json!({})).await,
        StatusCode::CONFLICT,
        "invalid_state",
    );
}

async fn an_application_cannot_be_withdrawn_after_a_decision(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    for outcome in ["selected", "reserve", "unsuccessful"] {
        let applicant = app.applicant().await;
        let id = app.decided_for(&applicant, &officer, outcome).await;
        refused(
            app.post(&at(&id, "/withdraw"), &applicant, json!({})).await,
            StatusCode::CONFLICT,
            "decision_made",
        );
        let (_, view) = app.get(&at(&id, ""), &applicant).await;
        assert_eq!(view["status"], outcome);
    }
    let applicant = app.applicant().await;
    let id = app.awarded_for(&applicant, &officer).await;
    refused(
        app.post(&at(&id, "/withdraw"), &applicant, json!({})).await,
        StatusCode::CONFLICT,
        "decision_made",
    );
}

// ---------------------------------------------------------------------------------------------------------
// PUT /api/applications/{id}/preferences

fn preferences(networking: bool, email: bool, book: bool, images: bool) -> Value {
    json!({
        "networking_opt_out": networking,
        "alumni_email_opt_out": email,
        "alumni_book_opt_out": book,
        "images_opt_out": images,
    })
}

async fn the_owner_sets_preferences_while_the_application_is_a_draft(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let wanted = preferences(true, false, true, false);
    let body = answered(
        app.put(&at(&id, "/preferences"), &applicant, wanted.clone())
            .await,
        StatusCode::OK,
    );
    assert_eq!(body["preferences"], wanted);
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["preferences"], wanted);

    let wanted = preferences(false, true, false, true);
    answered(
        app.put(&at(&id, "/preferences"), &applicant, wanted.clone())
            .await,
        StatusCode::OK,
    );
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["preferences"], wanted, "all four are set each time");
}

async fn after_submission_only_a_programme_officer_changes_preferences(app: TestApp) {
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.submitted(&applicant).await;
    let wanted = preferences(true, true, false, false);

    refused(
        app.put(&at(&id, "/preferences"), &applicant, wanted.clone())
            .await,
        StatusCode::CONFLICT,
        "application_submitted",
    );
    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
    ] {
        let staff = app.staff(role).await;
        refused(
            app.put(&at(&id, "/preferences"), &staff, wanted.clone())
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["preferences"], preferences(false, false, false, false));

    let body = answered(
        app.put(&at(&id, "/preferences"), &officer, wanted.clone())
            .await,
        StatusCode::OK,
    );
    assert_eq!(body["preferences"], wanted);
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["preferences"], wanted, "the owner sees the change");

    // And at any point of the award.
    let awarded = app.awarded(&officer).await;
    let body = answered(
        app.put(
            &at(&awarded, "/preferences"),
            &officer,
            preferences(false, false, true, true),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["preferences"], preferences(false, false, true, true));
}

async fn preferences_need_all_four_flags_as_booleans(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for body in [
        json!({"networking_opt_out": true}),
        json!({"networking_opt_out": "yes", "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false}),
        json!({"networking_opt_out": true, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false, "sms_opt_out": true}),
    ] {
        refused(
            app.put(&at(&id, "/preferences"), &applicant, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
    }
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["preferences"], preferences(false, false, false, false));
}

// ---------------------------------------------------------------------------------------------------------
// POST /api/applications/{id}/amendments

async fn the_help_desk_amends_personal_data_after_submission(app: TestApp) {
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let id = app.submitted(&applicant).await;
    let body = answered(
        app.post(
            &at(&id, "/amendments"),
            &helpdesk,
            json!({
                "changes": {"personal.email": "new.address@example.test", "personal.phone": "+000 5555"},
                "reason": "The applicant changed address by phone"
            }),
        )
        .await,
        StatusCode::OK,
    );
    // The Help Desk's answer is what the Help Desk sees: the personal section and the amendments.
    assert_eq!(object_keys(&body["personal"]), sorted(&PERSONAL_FIELDS));
    assert!(body["amendments"].is_array(), "{body}");
    assert!(body.get("essays").is_none(), "{body}");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["personal"]["email"], "new.address@example.test");
    assert_eq!(body["personal"]["phone"], "+000 5555");
    assert_eq!(
        body["personal"]["full_name"],
        complete_form()["personal"]["full_name"]
    );
    let recipients = body["notify_recipients"]
        .as_array()
        .unwrap_or_else(|| panic!("notify_recipients is a list: {body}"));
    assert!(
        recipients.is_empty(),
        "nothing was disclosed, so no one is to be told: {body}"
    );

    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["personal"]["email"], "new.address@example.test");
    assert_eq!(view["personal"]["phone"], "+000 5555");
    assert_eq!(view["essays"], complete_form()["essays"]);
    assert_eq!(view["status"], "submitted");
}

async fn an_amendment_of_anything_but_personal_data_is_not_amendable(app: TestApp) {
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let id = app.submitted(&applicant).await;
    let body = refused(
        app.post(
            &at(&id, "/amendments"),
            &helpdesk,
            json!({
                "changes": {
                    "personal.email": "new.address@example.test",
                    "essays.leadership": "A rewritten essay.",
                    "courses": "MSc Something Else"
                },
                "reason": "The applicant asked"
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_amendable",
    );
    assert_eq!(
        sorted_strings(&body["fields"]),
        ["courses", "essays.leadership"]
    );
    for path in [
        "referees[0].name",
        "education",
        "preferences.images_opt_out",
    ] {
        let body = refused(
            app.post(
                &at(&id, "/amendments"),
                &helpdesk,
                json!({"changes": {path: "x"}, "reason": "The applicant asked"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_amendable",
        );
        assert_eq!(body["fields"], json!([path]));
    }
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(
        view["personal"],
        complete_form()["personal"],
        "nothing of a refused amendment is applied"
    );
    assert_eq!(view["essays"], complete_form()["essays"]);
}

async fn an_amendment_with_a_bad_value_is_invalid(app: TestApp) {
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let id = app.submitted(&applicant).await;
    for (changes, path) in [
        (json!({"personal.email": "not-an-email"}), "personal.email"),
        (
            json!({"personal.nationality": "Kenyan"}),
            "personal.nationality",
        ),
    ] {
        let body = refused(
            app.post(
                &at(&id, "/amendments"),
                &helpdesk,
                json!({"changes": changes, "reason": "The applicant asked"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        assert_eq!(problem_paths(&body), [path], "{body}");
    }
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["personal"], complete_form()["personal"]);
}

async fn a_draft_cannot_be_amended(app: TestApp) {
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let id = app.complete_draft(&applicant).await;
    refused(
        app.post(
            &at(&id, "/amendments"),
            &helpdesk,
            json!({"changes": {"personal.email": "new.address@example.test"}, "reason": "The applicant asked"}),
        )
        .await,
        StatusCode::CONFLICT,
        "not_submitted",
    );
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["personal"]["email"], "applicant.marker@example.test");
}

async fn only_the_help_desk_may_amend(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let amendment =
        json!({"changes": {"personal.email": "new.address@example.test"}, "reason": "asked"});
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    for user in [&applicant, &officer, &information] {
        refused(
            app.post(&at(&id, "/amendments"), user, amendment.clone())
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["personal"]["email"], "applicant.marker@example.test");
}

// ---------------------------------------------------------------------------------------------------------
// Eligibility, assignments, conflicts, scores

async fn an_officer_determines_eligibility_of_a_submitted_application_once(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let body = answered(
        app.post(
            &at(&id, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["status"], "eligible");
    refused(
        app.post(
            &at(&id, "/eligibility"),
            &officer,
            json!({"eligible": false, "reason": "second thoughts"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    );

    let other = app.applicant().await;
    let refused_one = app.submitted(&other).await;
    let body = answered(
        app.post(
            &at(&refused_one, "/eligibility"),
            &officer,
            json!({"eligible": false, "reason": "outside the rules"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["status"], "ineligible");

    let third = app.applicant().await;
    let draft = app.complete_draft(&third).await;
    refused(
        app.post(
            &at(&draft, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "too early"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    );
    let (_, view) = app.get(&at(&draft, ""), &third).await;
    assert_eq!(view["status"], "draft");

    let helpdesk = app.staff(Role::Helpdesk).await;
    refused(
        app.post(
            &at(&draft, "/eligibility"),
            &helpdesk,
            json!({"eligible": true, "reason": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn an_officer_assigns_only_committee_members(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let other_officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    app.expect_ok(
        app.post(
            &at(&id, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    for not_a_member in [
        other_officer.id.clone(),
        officer.id.clone(),
        helpdesk.id.clone(),
        applicant.id.clone(),
        uuid::Uuid::new_v4().to_string(),
        String::new(),
    ] {
        refused(
            app.post(
                &at(&id, "/assignments"),
                &officer,
                json!({"committee_member_id": not_a_member}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_committee_member",
        );
    }
    let (_, view) = app.get(&at(&id, ""), &officer).await;
    assert_eq!(view["status"], "eligible", "no refused assignment counts");

    let body = answered(
        app.post(
            &at(&id, "/assignments"),
            &officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["status"], "under_review");
    answered(app.get(&at(&id, ""), &member).await, StatusCode::OK);

    refused(
        app.post(
            &at(&id, "/assignments"),
            &helpdesk,
            json!({"committee_member_id": member.id}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn an_assigned_member_who_declares_a_conflict_can_no_longer_score_nor_see_the_application(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.under_review_for(&applicant, &officer, &member).await;
    answered(
        app.post(&at(&id, "/scores"), &member, scores(6)).await,
        StatusCode::OK,
    );
    answered(
        app.post(
            &at(&id, "/conflicts"),
            &member,
            json!({"reason": "I know the applicant's family"}),
        )
        .await,
        StatusCode::OK,
    );
    refused(
        app.post(&at(&id, "/scores"), &member, scores(7)).await,
        StatusCode::FORBIDDEN,
        "conflict_of_interest",
    );
    refused(
        app.get(&at(&id, ""), &member).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, list) = app.get("/api/applications", &member).await;
    assert!(
        !list.to_string().contains(&id),
        "the application is not listed for the member either: {list}"
    );
    let (_, view) = app.get(&at(&id, ""), &officer).await;
    assert_eq!(
        view["mean_score"],
        Value::Null,
        "the earlier marks no longer count: {view}"
    );
}

async fn a_member_not_assigned_cannot_declare_a_conflict(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let stranger = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    refused(
        app.post(
            &at(&id, "/conflicts"),
            &stranger,
            json!({"reason": "I know the applicant"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_assigned",
    );
    refused(
        app.post(&at(&id, "/conflicts"), &officer, json!({"reason": "x"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // The assigned member is untouched by the stranger's attempt.
    answered(
        app.post(&at(&id, "/scores"), &member, scores(5)).await,
        StatusCode::OK,
    );
}

async fn an_assigned_member_scores_each_criterion_from_zero_to_ten(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let stranger = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;

    for mark in [0, 10] {
        answered(
            app.post(&at(&id, "/scores"), &member, scores(mark)).await,
            StatusCode::OK,
        );
    }
    for criterion in ["leadership", "networking", "study_plan", "career_plan"] {
        for mark in [11, -1] {
            let mut marks = scores(5);
            marks[criterion] = json!(mark);
            let body = refused(
                app.post(&at(&id, "/scores"), &member, marks).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
            );
            assert_eq!(problem_paths(&body), [criterion], "{body}");
        }
    }
    refused(
        app.post(&at(&id, "/scores"), &stranger, scores(5)).await,
        StatusCode::FORBIDDEN,
        "not_assigned",
    );
    refused(
        app.post(&at(&id, "/scores"), &officer, scores(5)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, view) = app.get(&at(&id, ""), &officer).await;
    assert_eq!(
        view["mean_score"],
        json!(40.0),
        "the last valid marks (all ten) stand: {view}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Decision, award, completion

async fn an_officer_records_each_outcome(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    for outcome in ["selected", "reserve", "unsuccessful"] {
        let member = app.staff(Role::CommitteeMember).await;
        let applicant = app.applicant().await;
        let id = app.under_review_for(&applicant, &officer, &member).await;
        let body = answered(
            app.post(&at(&id, "/decision"), &officer, json!({"outcome": outcome}))
                .await,
            StatusCode::OK,
        );
        assert_eq!(body["status"], outcome);
        assert_eq!(body["decision"], outcome);
        let (_, view) = app.get(&at(&id, ""), &applicant).await;
        assert_eq!(
            view["status"], outcome,
            "the applicant follows the progress"
        );
        assert_eq!(view["decision"], outcome);
    }
}

async fn a_decision_needs_an_application_under_review_and_a_known_outcome(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;

    let applicant = app.applicant().await;
    let submitted = app.submitted(&applicant).await;
    refused(
        app.post(
            &at(&submitted, "/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    );
    let draft_owner = app.applicant().await;
    let draft = app.complete_draft(&draft_owner).await;
    refused(
        app.post(
            &at(&draft, "/decision"),
            &officer,
            json!({"outcome": "unsuccessful"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    );

    let id = app.under_review(&officer, &member).await;
    for outcome in ["accepted", "SELECTED", ""] {
        let body = refused(
            app.post(&at(&id, "/decision"), &officer, json!({"outcome": outcome}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        assert_eq!(problem_paths(&body), ["outcome"], "{body}");
    }
    let (_, view) = app.get(&at(&id, ""), &officer).await;
    assert_eq!(view["status"], "under_review");
    assert_eq!(view["decision"], Value::Null);

    app.expect_ok(
        app.post(
            &at(&id, "/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    for outcome in ["selected", "unsuccessful"] {
        refused(
            app.post(&at(&id, "/decision"), &officer, json!({"outcome": outcome}))
                .await,
            StatusCode::CONFLICT,
            "invalid_state",
        );
    }
    refused(
        app.post(
            &at(&id, "/decision"),
            &member,
            json!({"outcome": "reserve"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn a_selected_application_is_awarded_then_completed(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.decided_for(&applicant, &officer, "selected").await;
    let body = answered(
        app.post(&at(&id, "/award"), &officer, award_terms()).await,
        StatusCode::OK,
    );
    assert_eq!(body["status"], "awarded");
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["status"], "awarded");

    let body = answered(
        app.post(
            &at(&id, "/award/complete"),
            &officer,
            json!({"outcome": "MSc with distinction", "completed_on": "2026-09-30"}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["status"], "alumni");
    let (_, view) = app.get(&at(&id, ""), &applicant).await;
    assert_eq!(view["status"], "alumni");
}

async fn only_a_selected_application_can_be_awarded(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    for outcome in ["reserve", "unsuccessful"] {
        let applicant = app.applicant().await;
        let id = app.decided_for(&applicant, &officer, outcome).await;
        refused(
            app.post(&at(&id, "/award"), &officer, award_terms()).await,
            StatusCode::CONFLICT,
            "not_selected",
        );
        let (_, view) = app.get(&at(&id, ""), &applicant).await;
        assert_eq!(view["status"], outcome);
    }
    let applicant = app.applicant().await;
    let submitted = app.submitted(&applicant).await;
    refused(
        app.post(&at(&submitted, "/award"), &officer, award_terms())
            .await,
        StatusCode::CONFLICT,
        "not_selected",
    );
    let awarded = app.awarded(&officer).await;
    refused(
        app.post(&at(&awarded, "/award"), &officer, award_terms())
            .await,
        StatusCode::CONFLICT,
        "not_selected",
    );
    let selected = app.decided(&officer, "selected").await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    refused(
        app.post(&at(&selected, "/award"), &helpdesk, award_terms())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn only_an_awarded_application_can_be_completed(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let completion = json!({"outcome": "MSc with merit", "completed_on": "2026-09-30"});
    let selected = app.decided(&officer, "selected").await;
    refused(
        app.post(
            &at(&selected, "/award/complete"),
            &officer,
            completion.clone(),
        )
        .await,
        StatusCode::CONFLICT,
        "not_awarded",
    );
    let (_, view) = app.get(&at(&selected, ""), &officer).await;
    assert_eq!(view["status"], "selected");

    let awarded = app.awarded(&officer).await;
    app.expect_ok(
        app.post(
            &at(&awarded, "/award/complete"),
            &officer,
            completion.clone(),
        )
        .await,
    );
    refused(
        app.post(&at(&awarded, "/award/complete"), &officer, completion)
            .await,
        StatusCode::CONFLICT,
        "not_awarded",
    );
}

// ---------------------------------------------------------------------------------------------------------
// Immigration records

async fn an_officer_records_and_lists_the_immigration_documents_of_an_award(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.under_review_for(&applicant, &officer, &member).await;
    app.expect_ok(app.post(&at(&id, "/scores"), &member, scores(8)).await);
    app.expect_ok(
        app.post(
            &at(&id, "/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    app.expect_ok(app.post(&at(&id, "/award"), &officer, award_terms()).await);

    let (empty_status, empty) = app.get(&at(&id, "/immigration-records"), &officer).await;
    assert_eq!(empty_status, StatusCode::OK);
    assert_eq!(empty, json!([]));

    let documents = [
        ("visa", "TEST-VISA-REF-1", "2026-01-05"),
        ("cas", "TEST-CAS-REF-2", "2026-02-10"),
    ];
    let mut ids = Vec::new();
    for (kind, reference, issued_on) in documents {
        let body = answered(
            app.post(
                &at(&id, "/immigration-records"),
                &officer,
                json!({"kind": kind, "reference": reference, "issued_on": issued_on}),
            )
            .await,
            StatusCode::CREATED,
        );
        let record_id = body["record_id"]
            .as_str()
            .unwrap_or_else(|| panic!("a record id: {body}"));
        assert!(!record_id.is_empty());
        ids.push(record_id.to_string());
    }
    assert_ne!(ids[0], ids[1]);

    let list = answered(
        app.get(&at(&id, "/immigration-records"), &officer).await,
        StatusCode::OK,
    );
    let list = list.as_array().unwrap_or_else(|| panic!("a list: {list}"));
    assert_eq!(list.len(), 2, "{list:?}");
    for (record, ((kind, reference, issued_on), record_id)) in
        list.iter().zip(documents.iter().zip(&ids))
    {
        assert_eq!(record["record_id"], record_id.as_str());
        assert_eq!(record["kind"], *kind);
        assert_eq!(record["reference"], *reference);
        assert_eq!(record["issued_on"], *issued_on);
    }

    // Committee members never see immigration data.
    let (status, seen) = app.get(&at(&id, ""), &member).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !seen.to_string().contains("TEST-VISA-REF"),
        "no immigration data for the committee: {seen}"
    );
    refused(
        app.get(&at(&id, "/immigration-records"), &member).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn immigration_records_need_an_award_and_a_programme_officer(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let record = json!({"kind": "visa", "reference": "TEST-VISA-REF-9", "issued_on": "2026-01-05"});

    let selected = app.decided(&officer, "selected").await;
    refused(
        app.post(
            &at(&selected, "/immigration-records"),
            &officer,
            record.clone(),
        )
        .await,
        StatusCode::CONFLICT,
        "not_awarded",
    );
    let applicant = app.applicant().await;
    let submitted = app.submitted(&applicant).await;
    refused(
        app.post(
            &at(&submitted, "/immigration-records"),
            &officer,
            record.clone(),
        )
        .await,
        StatusCode::CONFLICT,
        "not_awarded",
    );
    let (_, list) = app
        .get(&at(&selected, "/immigration-records"), &officer)
        .await;
    assert_eq!(list, json!([]), "a refused record is not kept");

    let owner = app.applicant().await;
    let awarded = app.awarded_for(&owner, &officer).await;
    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let staff = app.staff(role).await;
        refused(
            app.post(
                &at(&awarded, "/immigration-records"),
                &staff,
                record.clone(),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    refused(
        app.post(
            &at(&awarded, "/immigration-records"),
            &owner,
            record.clone(),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    refused(
        app.get(&at(&awarded, "/immigration-records"), &owner).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, list) = app
        .get(&at(&awarded, "/immigration-records"), &officer)
        .await;
    assert_eq!(list, json!([]));
}

// ---------------------------------------------------------------------------------------------------------
// History

async fn the_history_lists_every_event_in_order_with_its_actor(app: TestApp) {
    let applicant = app.applicant().await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;

    let id = app.submitted(&applicant).await;
    app.expect_ok(
        app.post(
            &at(&id, "/amendments"),
            &helpdesk,
            json!({"changes": {"personal.phone": "+000 4444"}, "reason": "The applicant asked"}),
        )
        .await,
    );
    app.expect_ok(
        app.put(
            &at(&id, "/preferences"),
            &officer,
            preferences(true, false, false, false),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &at(&id, "/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &at(&id, "/assignments"),
            &officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    app.expect_ok(app.post(&at(&id, "/scores"), &member, scores(9)).await);
    app.expect_ok(
        app.post(
            &at(&id, "/decision"),
            &officer,
            json!({"outcome": "selected"}),
        )
        .await,
    );
    app.expect_ok(app.post(&at(&id, "/award"), &officer, award_terms()).await);

    // The decision and the award are each told to the applicant by a letter, issued by the same officer.
    let expected: [(&str, &User); 13] = [
        ("ApplicationStarted", &applicant),
        ("DraftSaved", &applicant),
        ("ApplicationSubmitted", &applicant),
        ("PrivacyNoticeAccepted", &applicant),
        ("PersonalDataAmended", &helpdesk),
        ("PreferencesChanged", &officer),
        ("EligibilityDetermined", &officer),
        ("CommitteeMemberAssigned", &officer),
        ("ApplicationScored", &member),
        ("DecisionRecorded", &officer),
        ("LetterIssued", &officer),
        ("AwardMade", &officer),
        ("LetterIssued", &officer),
    ];
    // The Help Desk reads the amendments' history only.
    let history = answered(
        app.get(&at(&id, "/history"), &helpdesk).await,
        StatusCode::OK,
    );
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{history}");
    assert_eq!(entries[0]["type"], "PersonalDataAmended", "{history}");
    assert_eq!(entries[0]["sequence"], 5, "{history}");
    for reader in [&officer] {
        let history = answered(app.get(&at(&id, "/history"), reader).await, StatusCode::OK);
        let entries = history
            .as_array()
            .unwrap_or_else(|| panic!("a list: {history}"));
        assert_eq!(entries.len(), expected.len(), "{history}");
        let mut previous_at: Option<chrono::DateTime<chrono::FixedOffset>> = None;
        for (i, (entry, (kind, actor))) in entries.iter().zip(expected).enumerate() {
            assert_eq!(entry["sequence"], json!(i + 1), "{entry}");
            assert_eq!(entry["type"], kind, "{entry}");
            assert_eq!(entry["actor"], actor.id.as_str(), "{kind} by: {entry}");
            let at = assert_utc_time(&entry["at"]);
            if let Some(previous) = previous_at {
                assert!(at >= previous, "in order of time: {history}");
            }
            previous_at = Some(at);
        }
    }
    let information = app.staff(Role::InformationOfficer).await;
    answered(
        app.get(&at(&id, "/history"), &information).await,
        StatusCode::OK,
    );
    // An administrator reads no application, nor its history.
    let admin = app.staff(Role::Admin).await;
    refused(
        app.get(&at(&id, "/history"), &admin).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn committee_members_and_applicants_may_not_read_the_history(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.under_review_for(&applicant, &officer, &member).await;
    for user in [&member, &applicant] {
        refused(
            app.get(&at(&id, "/history"), user).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Bodies of the wrong shape

async fn a_body_of_the_wrong_shape_is_invalid_on_every_route_and_changes_nothing(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let applicant = app.applicant().await;
    let id = app.under_review_for(&applicant, &officer, &member).await;
    let owner = app.applicant().await;
    let awarded = app.awarded_for(&owner, &officer).await;
    let draft_owner = app.applicant().await;
    let draft = app.draft(&draft_owner).await;
    let (_, under_review_before) = app.get(&at(&id, ""), &officer).await;
    let (_, awarded_before) = app.get(&at(&awarded, ""), &officer).await;

    let cases: Vec<(String, &User, Value, Option<&str>)> = vec![
        (
            at(&draft, ""),
            &draft_owner,
            json!({"courses": "MSc Test"}),
            None,
        ),
        (
            at(&draft, ""),
            &draft_owner,
            json!({"personal": {"full_name": 42}}),
            Some("personal.full_name"),
        ),
        (
            at(&id, "/amendments"),
            &helpdesk,
            json!({"changes": ["personal.email"], "reason": "asked"}),
            None,
        ),
        (
            at(&id, "/amendments"),
            &helpdesk,
            json!({"changes": {"personal.email": 5}, "reason": "asked"}),
            Some("personal.email"),
        ),
        (
            at(&id, "/amendments"),
            &helpdesk,
            json!({"changes": {}, "reason": "asked"}),
            Some("changes"),
        ),
        (
            at(&id, "/amendments"),
            &helpdesk,
            json!({"changes": {"personal.phone": "+000 0000 001"}, "reason": " "}),
            Some("reason"),
        ),
        (
            at(&id, "/eligibility"),
            &officer,
            json!({"eligible": "yes", "reason": "x"}),
            None,
        ),
        (at(&id, "/assignments"), &officer, json!({}), None),
        (at(&id, "/conflicts"), &member, json!({"reason": 5}), None),
        (
            at(&id, "/scores"),
            &member,
            json!({"leadership": 5.5, "networking": 5, "study_plan": 5, "career_plan": 5, "comment": "x"}),
            None,
        ),
        (
            at(&id, "/scores"),
            &member,
            json!({"leadership": "ten", "networking": 5, "study_plan": 5, "career_plan": 5, "comment": "x"}),
            None,
        ),
        (
            at(&id, "/scores"),
            &member,
            json!({"leadership": 5, "networking": 5, "study_plan": 5, "comment": "x"}),
            None,
        ),
        (at(&id, "/decision"), &officer, json!({}), None),
        (
            at(&awarded, "/award"),
            &officer,
            json!({"institution": "Test Institute"}),
            None,
        ),
        (
            at(&awarded, "/award/complete"),
            &officer,
            json!({"outcome": "MSc", "completed_on": "30/09/2028"}),
            Some("completed_on"),
        ),
        (
            at(&awarded, "/award/complete"),
            &officer,
            json!({"outcome": " ", "completed_on": "2026-09-30"}),
            Some("outcome"),
        ),
        (
            at(&awarded, "/immigration-records"),
            &officer,
            json!({"kind": "visa", "reference": "TEST-REF", "issued_on": "2026-13-01"}),
            Some("issued_on"),
        ),
        (
            at(&awarded, "/immigration-records"),
            &officer,
            json!({"kind": "visa", "reference": "TEST-REF", "issued_on": "2999-01-01"}),
            Some("issued_on"),
        ),
        (
            at(&awarded, "/immigration-records"),
            &officer,
            json!({"kind": "visa type", "reference": "TEST-REF", "issued_on": "2026-01-05"}),
            Some("kind"),
        ),
        (
            at(&awarded, "/immigration-records"),
            &officer,
            json!({"kind": "visa", "reference": "", "issued_on": "2026-01-05"}),
            Some("reference"),
        ),
    ];
    for (path, user, body, problem) in cases {
        let method = if path.ends_with(draft.as_str()) {
            reqwest::Method::PATCH
        } else {
            reqwest::Method::POST
        };
        let answer = app
            .request(method, &path, Some(&user.token), Some(body.clone()))
            .await;
        let refusal = refused(answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        if let Some(problem) = problem {
            assert_eq!(
                problem_paths(&refusal),
                [problem],
                "{path} {body}: {refusal}"
            );
        }
    }
    let (_, under_review_after) = app.get(&at(&id, ""), &officer).await;
    let (_, awarded_after) = app.get(&at(&awarded, ""), &officer).await;
    assert_eq!(under_review_after, under_review_before);
    assert_eq!(awarded_after, awarded_before);
    let (_, records) = app
        .get(&at(&awarded, "/immigration-records"), &officer)
        .await;
    assert_eq!(records, json!([]));
    let (_, draft_view) = app.get(&at(&draft, ""), &draft_owner).await;
    assert_eq!(draft_view["courses"], json!([]));
    assert_eq!(draft_view["personal"]["full_name"], Value::Null);
}
