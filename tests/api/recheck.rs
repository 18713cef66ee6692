//! Amendments that change who may receive data: nationality or residence amended after eligibility was
//! decided flags the case ("check eligibility and recipients again") on the case, the case list and their
//! pages, until a programme officer records the check.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_stores;
use domain::Role;

on_both_stores!(an_amended_residence_flags_the_case_until_an_officer_records_the_check);

async fn an_amended_residence_flags_the_case_until_an_officer_records_the_check(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let owner = app.applicant().await;
    let id = app.submitted(&owner).await;
    let at = |tail: &str| format!("/api/applications/{id}{tail}");
    let amend = |field: &str, value: &str| json!({"changes": {field: value}, "reason": "Test: the applicant asked"});

    // Before eligibility is decided, an amended residence flags nothing.
    app.expect_ok(
        app.post(
            &at("/amendments"),
            &helpdesk,
            amend("personal.country_of_residence", "Ghana"),
        )
        .await,
    );
    let view = app.expect_ok(app.get(&at(""), &officer).await);
    assert_eq!(view["recheck"], json!(null), "{view}");
    app.expect_ok(
        app.post(
            &at("/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "Test: meets the rules"}),
        )
        .await,
    );
    // Another detail flags nothing either.
    app.expect_ok(
        app.post(
            &at("/amendments"),
            &helpdesk,
            amend("personal.phone", "+000 0000 0042"),
        )
        .await,
    );
    assert_eq!(
        app.expect_ok(app.get(&at(""), &officer).await)["recheck"],
        json!(null)
    );

    app.expect_ok(
        app.post(
            &at("/amendments"),
            &helpdesk,
            amend("personal.country_of_residence", "Kenya"),
        )
        .await,
    );
    let view = app.expect_ok(app.get(&at(""), &officer).await);
    assert_eq!(
        view["recheck"]["fields"],
        json!(["country_of_residence"]),
        "{view}"
    );
    let list = app.expect_ok(app.get("/api/applications?cycle=2026-27", &officer).await);
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == json!(id))
        .cloned()
        .unwrap();
    assert_eq!(item["recheck_due"], true, "{item}");
    // The Help Desk, which does not decide eligibility, is not shown the flag.
    let theirs = app.expect_ok(app.get(&at(""), &helpdesk).await);
    assert!(theirs.get("recheck").is_none(), "{theirs}");

    let mut po = crate::pages::sign_in(&app, &officer.email).await;
    let desk = po.get("/cases?cycle=2026-27").await;
    assert!(
        desk.text()
            .contains("Check eligibility and recipients again")
    );
    let case = po.get(&format!("/cases/{id}")).await;
    assert!(
        case.text().contains("country of residence was amended"),
        "{}",
        case.text()
    );

    // Only a programme officer records the check, with what was found; then the flag is gone.
    let (status, body) = app
        .post(&at("/recheck"), &helpdesk, json!({"note": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .post(&at("/recheck"), &officer, json!({"note": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid");
    let form = case.form(&format!("/cases/{id}/recheck"));
    let done = po
        .submit(&form.set(
            "note",
            "Test: still eligible; no recipient holds the old residence",
        ))
        .await;
    assert!(
        done.status.is_success() || done.status.is_redirection(),
        "{}",
        done.status
    );
    let view = app.expect_ok(app.get(&at(""), &officer).await);
    assert_eq!(view["recheck"], json!(null), "{view}");
    let list = app.expect_ok(app.get("/api/applications?cycle=2026-27", &officer).await);
    assert_eq!(list["items"][0]["recheck_due"], false, "{list}");
    let (status, body) = app
        .post(&at("/recheck"), &officer, json!({"note": "Test: again"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "no_recheck_due");
}
