//! Restriction halts every use (UK GDPR Art 18): while the subject's processing is restricted they are on
//! none of the lists the programme publishes or shares — the scholar directory, the alumni networking scheme,
//! the Alumni Open Book and its CSV, the image consents — from the request that restricts it, and back on
//! them from the request that lifts it; every disclosure is refused; and their own opt-out is still
//! recorded, since it only narrows what is done with their data.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    a_restricted_subject_leaves_every_published_list_at_once_and_returns_when_it_is_lifted
);

fn at(id: &str, tail: &str) -> String {
    format!("/api/applications/{id}{tail}")
}

/// Which of the lists name the application (the Open Book by its entries, which carry no id).
async fn listed(app: &TestApp, officer: &User, id: &str) -> Vec<&'static str> {
    let mut on = Vec::new();
    for (name, path) in [
        ("directory", "/api/scholars/directory"),
        ("networking", "/api/alumni/networking-scheme"),
        ("media", "/api/media/consents"),
    ] {
        let (status, body) = app.get(path, officer).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        if body
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["application_id"] == id)
        {
            on.push(name);
        }
    }
    on
}

async fn open_book_entries(app: &TestApp) -> (usize, usize) {
    let book = app
        .client
        .get(format!("{}/api/alumni/open-book", app.address))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let csv = app
        .client
        .get(format!("{}/alumni/open-book.csv", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The CSV's first line names the day it was produced, its second the columns.
    (
        book.as_array().unwrap().len(),
        csv.lines().filter(|line| !line.trim().is_empty()).count() - 2,
    )
}

async fn a_restricted_subject_leaves_every_published_list_at_once_and_returns_when_it_is_lifted(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let scholar = app.awarded(&officer).await;
    let alumnus = app.awarded(&officer).await;
    app.expect_ok(
        app.post(
            &at(&alumnus, "/award/complete"),
            &officer,
            json!({"outcome": "MSc with merit", "completed_on": chrono::Utc::now().date_naive().to_string()}),
        )
        .await,
    );
    let (status, body) = app
        .post(
            "/api/recipients",
            &app.staff(Role::Admin).await,
            json!({"name": "Test British Mission", "kind": "british_mission", "country": "Kenya"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mission = body["id"].as_str().unwrap().to_string();
    assert_eq!(
        listed(&app, &officer, &scholar).await,
        ["directory", "media"]
    );
    assert_eq!(
        listed(&app, &officer, &alumnus).await,
        ["networking", "media"]
    );
    assert_eq!(open_book_entries(&app).await, (1, 1));

    for id in [&scholar, &alumnus] {
        app.expect_ok(
            app.post(
                &at(id, "/restriction"),
                &information,
                json!({"reason": "Test: the accuracy of the data is contested"}),
            )
            .await,
        );
    }
    for id in [&scholar, &alumnus] {
        assert!(
            listed(&app, &officer, id).await.is_empty(),
            "a restricted subject is on no list"
        );
    }
    assert_eq!(
        open_book_entries(&app).await,
        (0, 0),
        "nor in the Open Book"
    );

    // Every disclosure is refused while restricted.
    let (status, body) = app
        .post(
            &at(&scholar, "/disclosures"),
            &officer,
            json!({"recipient_id": mission, "purpose": "Test: visa support", "fields": ["personal.full_name"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "restricted", "{body}");

    // Their opt-out is still recorded (it narrows what is done); taking one back is not.
    let out = json!({"networking_opt_out": true, "alumni_email_opt_out": false,
                     "alumni_book_opt_out": false, "images_opt_out": false});
    let (status, body) = app
        .put(&at(&scholar, "/preferences"), &officer, out.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .put(
            &at(&scholar, "/preferences"),
            &officer,
            json!({"networking_opt_out": false, "alumni_email_opt_out": false,
                   "alumni_book_opt_out": false, "images_opt_out": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "restricted", "{body}");

    for id in [&scholar, &alumnus] {
        app.expect_ok(
            app.post(
                &at(id, "/restriction/lift"),
                &information,
                json!({"reason": "Test: the data was checked and is accurate"}),
            )
            .await,
        );
    }
    // Back on the lists, but where the opt-out recorded meanwhile keeps them off.
    assert_eq!(listed(&app, &officer, &scholar).await, ["media"]);
    assert_eq!(
        listed(&app, &officer, &alumnus).await,
        ["networking", "media"]
    );
    assert_eq!(open_book_entries(&app).await, (1, 1));
}
