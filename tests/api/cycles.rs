//! Cycles: an administrator sets when a cycle takes applications, whether its committee reviews blind and
//! which nationalities may apply; a closed cycle refuses new applications and submissions, an ineligible
//! nationality is refused at submission with the rule named, and a blind committee sees no one.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, complete_form};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    an_administrator_sets_a_cycles_terms_and_staff_read_them,
    the_terms_are_refused_when_they_make_no_sense,
    a_closed_cycle_refuses_new_applications_and_submissions_saying_when_it_is_open,
    only_the_cycles_eligible_nationalities_may_submit,
    in_a_blind_cycle_the_committee_sees_neither_the_applicant_nor_the_referees,
);

const CYCLE: &str = "2026-27";

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn set_terms(app: &TestApp, admin: &User, cycle: &str, terms: Value) -> (StatusCode, Value) {
    app.put(&format!("/api/cycles/{cycle}"), admin, terms).await
}

fn open_now() -> Value {
    json!({"opens_on": day(-30), "closes_on": day(30), "blind_review": false})
}

async fn an_administrator_sets_a_cycles_terms_and_staff_read_them(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;

    // Never set: open all year, no blind review, every nationality.
    let (status, body) = app.get(&format!("/api/cycles/{CYCLE}"), &officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["configured"], json!(false));
    assert_eq!(body["blind_review"], json!(false));

    let terms = json!({
        "opens_on": day(-10), "closes_on": day(20), "blind_review": true,
        "eligible_nationalities": ["kenya", "Ghana"],
    });
    let (status, body) = set_terms(&app, &admin, CYCLE, terms.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["configured"], json!(true));
    assert_eq!(body["opens_on"], json!(day(-10)));
    assert_eq!(body["closes_on"], json!(day(20)));
    assert_eq!(body["blind_review"], json!(true));
    assert_eq!(body["eligible_nationalities"], json!(["Ghana", "Kenya"]));

    // The same terms again record nothing more; new terms are a new event.
    let history = |app: &TestApp| {
        let db = app.db().clone();
        async move { services_events(&db).await }
    };
    let before = history(&app).await;
    let (status, _) = set_terms(&app, &admin, CYCLE, terms).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        history(&app).await,
        before,
        "nothing recorded for the same terms"
    );
    let (status, body) = set_terms(&app, &admin, CYCLE, open_now()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["blind_review"], json!(false));
    assert_eq!(body["eligible_nationalities"], Value::Null);
    assert_eq!(history(&app).await, before + 1);

    // The terms are a view of the log: a rebuild gives them back as they were.
    let (_, set) = app.get(&format!("/api/cycles/{CYCLE}"), &officer).await;
    app.state.repo.rebuild_projections().await.unwrap();
    let (_, rebuilt) = app.get(&format!("/api/cycles/{CYCLE}"), &officer).await;
    assert_eq!(rebuilt, set);

    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let staff = app.staff(role).await;
        let (status, body) = app.get(&format!("/api/cycles/{CYCLE}"), &staff).await;
        assert_eq!(status, StatusCode::OK, "{role:?}");
        assert_eq!(body["opens_on"], json!(day(-30)));
    }

    // Only an administrator sets them; applicants do not read them here; a visitor is not signed in.
    for role in [
        Role::Helpdesk,
        Role::ProgrammeOfficer,
        Role::CommitteeMember,
        Role::InformationOfficer,
    ] {
        let staff = app.staff(role).await;
        let (status, body) = set_terms(&app, &staff, CYCLE, open_now()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {body}");
        assert_eq!(body["error"], json!("forbidden"));
    }
    let applicant = app.applicant().await;
    assert_eq!(
        set_terms(&app, &applicant, CYCLE, open_now()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/cycles/{CYCLE}"), &applicant).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = app
        .request(
            Method::PUT,
            &format!("/api/cycles/{CYCLE}"),
            None,
            Some(open_now()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// How many events the log holds, every stream.
async fn services_events(db: &projections::Db) -> i64 {
    match db {
        projections::Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(pool)
            .await
            .unwrap(),
        projections::Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

async fn the_terms_are_refused_when_they_make_no_sense(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let cases = [
        (
            CYCLE,
            json!({"opens_on": day(10), "closes_on": day(-10)}),
            "closes_on",
        ),
        (
            CYCLE,
            json!({"opens_on": "2031-01-01", "closes_on": "2031-02-01"}),
            "opens_on",
        ),
        (
            CYCLE,
            json!({"opens_on": "1 August", "closes_on": day(10)}),
            "opens_on",
        ),
        (
            CYCLE,
            json!({"opens_on": day(-1), "closes_on": day(10), "eligible_nationalities": []}),
            "eligible_nationalities",
        ),
        (
            CYCLE,
            json!({"opens_on": day(-1), "closes_on": day(10), "eligible_nationalities": ["Kenyan"]}),
            "eligible_nationalities.0",
        ),
        ("2026-28", open_now(), "cycle"),
    ];
    for (cycle, terms, path) in cases {
        let (status, body) = set_terms(&app, &admin, cycle, terms.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{terms}: {body}");
        assert_eq!(body["error"], json!("invalid"));
        assert!(
            body["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|problem| problem["path"] == json!(path)),
            "{terms}: {body}"
        );
    }
    let (status, body) = set_terms(&app, &admin, CYCLE, json!({"opens_on": day(0)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app.get(&format!("/api/cycles/{CYCLE}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get(&format!("/api/cycles/{CYCLE}"), &admin).await;
    assert_eq!(body["configured"], json!(false), "nothing was set");
}

async fn a_closed_cycle_refuses_new_applications_and_submissions_saying_when_it_is_open(
    app: TestApp,
) {
    let admin = app.staff(Role::Admin).await;

    // A draft started while the cycle was open, complete.
    let early = app.applicant().await;
    assert_eq!(
        set_terms(&app, &admin, CYCLE, open_now()).await.0,
        StatusCode::OK
    );
    let draft = app.complete_draft(&early).await;

    // The cycle closed yesterday.
    let closed = json!({"opens_on": day(-60), "closes_on": day(-1)});
    assert_eq!(
        set_terms(&app, &admin, CYCLE, closed).await.0,
        StatusCode::OK
    );

    let late = app.applicant().await;
    let (status, body) = app
        .post("/api/applications", &late, json!({"cycle": CYCLE}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], json!("cycle_closed"));
    assert_eq!(body["opens_on"], json!(day(-60)));
    assert_eq!(body["closes_on"], json!(day(-1)));
    assert!(body["message"].as_str().unwrap().contains(CYCLE));

    let (status, body) = app
        .post(
            &format!("/api/applications/{draft}/submit"),
            &early,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], json!("cycle_closed"));
    let (_, view) = app.get(&format!("/api/applications/{draft}"), &early).await;
    assert_eq!(view["status"], json!("draft"), "still a draft");

    // Not yet open either: the same refusal, with the dates to come back.
    let later = json!({"opens_on": day(5), "closes_on": day(40)});
    assert_eq!(
        set_terms(&app, &admin, CYCLE, later).await.0,
        StatusCode::OK
    );
    let (status, body) = app
        .post("/api/applications", &late, json!({"cycle": CYCLE}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["opens_on"], json!(day(5)));

    // Another cycle, with no terms, is open; and this one again once its dates include today.
    let (status, body) = app
        .post("/api/applications", &late, json!({"cycle": "2027-28"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let today = json!({"opens_on": day(0), "closes_on": day(0)});
    assert_eq!(
        set_terms(&app, &admin, CYCLE, today).await.0,
        StatusCode::OK
    );
    let (status, body) = app
        .post(
            &format!("/api/applications/{draft}/submit"),
            &early,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn only_the_cycles_eligible_nationalities_may_submit(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let terms = json!({
        "opens_on": day(-1), "closes_on": day(1), "eligible_nationalities": ["Ghana", "Nepal"],
    });
    assert_eq!(
        set_terms(&app, &admin, CYCLE, terms).await.0,
        StatusCode::OK
    );

    // The complete form's applicant is of Kenya.
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], json!("not_eligible"));
    let reasons = body["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{body}");
    assert!(
        reasons[0].as_str().unwrap().contains("nationality"),
        "{body}"
    );
    assert!(
        !body.to_string().contains("Kenya"),
        "the reason names no one's country"
    );

    let mut ghana = complete_form();
    ghana["personal"]["nationality"] = json!("Ghana");
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            json!({"personal": ghana["personal"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn in_a_blind_cycle_the_committee_sees_neither_the_applicant_nor_the_referees(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;

    // Not blind: the member sees the applicant.
    let (status, body) = app.get(&format!("/api/applications/{id}"), &member).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["personal"]["full_name"],
        json!("Test Applicant Marker")
    );
    assert!(body["referees"].is_array());

    let blind = json!({"opens_on": day(-300), "closes_on": day(100), "blind_review": true});
    assert_eq!(
        set_terms(&app, &admin, CYCLE, blind).await.0,
        StatusCode::OK
    );

    let (status, body) = app.get(&format!("/api/applications/{id}"), &member).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("personal").is_none(), "{body}");
    assert!(body.get("referees").is_none(), "{body}");
    assert!(body.get("preferences").is_none(), "{body}");
    assert_eq!(
        body["essays"]["leadership"],
        json!("I led a study group of twelve.")
    );
    assert!(body["courses"].is_array());
    let text = body.to_string();
    for marker in [
        "Test Applicant Marker",
        "applicant.marker@example.test",
        "1998-04-12",
        "Test Referee One",
        "referee1@example.test",
        "1 Test Street",
    ] {
        assert!(
            !text.contains(marker),
            "{marker} shown to a blind committee"
        );
    }
    // The case list a member gets through the API holds no names either.
    let (status, list) = app.get("/api/applications", &member).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !list.to_string().contains("Test Applicant Marker"),
        "{list}"
    );

    // Staff still see the whole case.
    let (_, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(
        body["personal"]["full_name"],
        json!("Test Applicant Marker")
    );

    // The committee's pages too: the list of assignments and the scoring page name no one.
    let mut browser = crate::pages::sign_in(&app, &member.email).await;
    for page in ["/committee".to_string(), format!("/committee/{id}")] {
        let answer = browser.get(&page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        let html = answer.body;
        assert!(html.contains("Essays") || page == "/committee", "{page}");
        for marker in [
            "Test Applicant Marker",
            "Test Referee One",
            "applicant.marker@example.test",
        ] {
            assert!(!html.contains(marker), "{marker} on {page}");
        }
    }
}
