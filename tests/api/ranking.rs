//! `GET /api/cycles/{cycle}/ranking` of CONTRACT.md's "Cycles and selection": committee members scoring
//! overlapping subsets of a cycle through the API, the raw and normalised means against numbers worked out by
//! hand, the order, the disagreement flag, the per-country rank, the totals that must not count (a conflicted
//! member's, a withdrawn or destroyed application's, another cycle's), and the refusals.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, complete_form, scores};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    the_ranking_normalises_each_members_totals_as_worked_out_by_hand,
    the_ranking_by_country_groups_the_applicants_by_nationality,
    the_ranking_is_refused_to_all_but_programme_officers_and_to_a_malformed_cycle,
);

/// An application in `cycle` by a new applicant of `nationality` (living in Kenya whatever their nationality,
/// so the country is seen to be the nationality), submitted, found eligible and assigned to the members.
pub(crate) async fn application_assigned_to(
    app: &TestApp,
    officer: &User,
    cycle: &str,
    nationality: &str,
    members: &[&User],
) -> (User, String) {
    let applicant = app.applicant().await;
    let created = app.expect_ok(
        app.post("/api/applications", &applicant, json!({ "cycle": cycle }))
            .await,
    );
    let id = created["id"].as_str().unwrap().to_string();
    let mut form = complete_form();
    form["personal"]["nationality"] = json!(nationality);
    form["personal"]["country_of_residence"] = json!("Kenya");
    // An address of this applicant's own, so an erasure for them finds this application only.
    form["personal"]["email"] = json!(applicant.email);
    app.expect_ok(
        app.patch(&format!("/api/applications/{id}"), &applicant, form)
            .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/eligibility"),
            officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await,
    );
    for member in members {
        app.expect_ok(
            app.post(
                &format!("/api/applications/{id}/assignments"),
                officer,
                json!({"committee_member_id": member.id}),
            )
            .await,
        );
    }
    (applicant, id)
}

/// The member marks every criterion `mark`: a total of four times that.
pub(crate) async fn score(app: &TestApp, member: &User, id: &str, mark: i64) {
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/scores"),
            member,
            scores(mark),
        )
        .await,
    );
}

/// The cycle of the hand-computed example in `domain::ranking`, through the API, with what must not count.
struct Cycle {
    officer: User,
    /// P, Q, R, S of the example.
    p: String,
    q: String,
    r: String,
    s: String,
}

async fn the_hand_computed_cycle(app: &TestApp) -> Cycle {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let [a, b, c, d, e] = [
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
    ];
    let (_, p) = application_assigned_to(app, &officer, "2026-27", "Kenya", &[&a]).await;
    let (_, q) = application_assigned_to(app, &officer, "2026-27", "Ghana", &[&a, &b]).await;
    let (_, r) = application_assigned_to(app, &officer, "2026-27", "Kenya", &[&b, &c, &e]).await;
    let (_, s) = application_assigned_to(app, &officer, "2026-27", "Ghana", &[&c, &d]).await;
    score(app, &a, &p, 9).await; // 36
    score(app, &a, &q, 8).await; // 32
    score(app, &b, &q, 4).await; // 16
    score(app, &b, &r, 3).await; // 12
    score(app, &c, &r, 6).await; // 24
    score(app, &c, &s, 5).await; // 20
    score(app, &d, &s, 7).await; // 28

    // E scores R 40, then declares a conflict of interest: E's total must not count.
    score(app, &e, &r, 10).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{r}/conflicts"),
            &e,
            json!({"reason": "Test: a former colleague"}),
        )
        .await,
    );

    // Scored, then withdrawn: A's 0 and B's 40 must not count, nor the application appear.
    let (withdrawer, withdrawn) =
        application_assigned_to(app, &officer, "2026-27", "Kenya", &[&a, &b]).await;
    score(app, &a, &withdrawn, 0).await;
    score(app, &b, &withdrawn, 10).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{withdrawn}/withdraw"),
            &withdrawer,
            json!({}),
        )
        .await,
    );

    // Scored, then destroyed on an approved erasure request: A's 4 and C's 40 must not count.
    let (erased, destroyed) =
        application_assigned_to(app, &officer, "2026-27", "Kenya", &[&a, &c]).await;
    score(app, &a, &destroyed, 1).await;
    score(app, &c, &destroyed, 10).await;
    let request = app.expect_ok(
        app.post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "erasure", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": erased.email},
                "subject_email": erased.email, "description": "Test: erase my data",
            }),
        )
        .await,
    );
    let request = request["id"].as_str().unwrap();
    app.expect_ok(
        app.post(
            &format!("/api/information-requests/{request}/erasure"),
            &information,
            json!({"approve": true, "reason": "Test: no ground to keep"}),
        )
        .await,
    );
    let (status, _) = app
        .get(&format!("/api/applications/{destroyed}"), &officer)
        .await;
    assert_eq!(status, StatusCode::GONE, "the application was destroyed");

    // Assigned, not yet scored: not ranked.
    application_assigned_to(app, &officer, "2026-27", "Kenya", &[&d]).await;

    // Another cycle: A's 0 there must not move A's scale in 2026-27.
    let (_, other_cycle) = application_assigned_to(app, &officer, "2027-28", "Kenya", &[&a]).await;
    score(app, &a, &other_cycle, 0).await;

    Cycle {
        officer,
        p,
        q,
        r,
        s,
    }
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

/// Totals (each member marks all four criteria alike, so a total is four times the mark):
///
/// ```text
///            P    Q    R    S
///   A       36   32    .    .      A's mean 34, standard deviation sqrt((2² + 2²) / 2) = 2
///   B        .   16   12    .      B's mean 14, deviation 2
///   C        .    .   24   20      C's mean 22, deviation 2
///   D        .    .    .   28      one total only: read on the cycle's scale
///   E        .    .  (40)   .      conflicted: does not count
///
///   The cycle's seven totals: 36 + 32 + 16 + 12 + 24 + 20 + 28 = 168, mean 168 / 7 = 24; deviations 12, 8,
///   −8, −12, 0, −4, 4, squares 144 + 64 + 64 + 144 + 0 + 16 + 16 = 448, 448 / 7 = 64, deviation 8.
///   (Were the withdrawn application's 0 and 40, the destroyed one's 4 and 40, E's 40 or the other cycle's 0
///   counted, none of these numbers would come out round.)
///
///   z-scores: A: P +1, Q −1;  B: Q +1, R −1;  C: R +1, S −1;  D: S (28 − 24) / 8 = +0.5.
///
///        raw mean           mean z                 normalised              spread
///   P    36                 +1                     24 + 8 × 1     = 32     one member
///   Q    (32 + 16) / 2 = 24 (−1 + 1) / 2 = 0       24 + 8 × 0     = 24     16: disagreement
///   R    (12 + 24) / 2 = 18 (−1 + 1) / 2 = 0       24 + 8 × 0     = 24     12: disagreement
///   S    (20 + 28) / 2 = 24 (−1 + 0.5) / 2 = −0.25 24 − 8 × 0.25  = 22      8: agreement
///
///   Order: P; Q before R (a tie at 24, Q's raw mean is higher); S last, though its raw mean is R's and more.
/// ```
async fn the_ranking_normalises_each_members_totals_as_worked_out_by_hand(app: TestApp) {
    let cycle = the_hand_computed_cycle(&app).await;
    let (status, ranking) = app.get("/api/cycles/2026-27/ranking", &cycle.officer).await;
    assert_eq!(status, StatusCode::OK, "{ranking}");
    let ranking = ranking.as_array().unwrap().clone();
    let expected = [
        (&cycle.p, 36.0, 32.0, 1, 1, false, "Kenya"),
        (&cycle.q, 24.0, 24.0, 2, 2, true, "Ghana"),
        (&cycle.r, 18.0, 24.0, 3, 2, true, "Kenya"),
        (&cycle.s, 24.0, 22.0, 4, 2, false, "Ghana"),
    ];
    assert_eq!(
        ranking.len(),
        expected.len(),
        "only the four scored applications that count: {ranking:#?}"
    );
    for (entry, (id, raw, normalised, rank, members, disagreement, country)) in
        ranking.iter().zip(expected)
    {
        assert_eq!(entry["application_id"], json!(id), "{ranking:#?}");
        assert!(close(&entry["raw_mean"], raw), "raw mean: {entry}");
        assert!(
            close(&entry["normalised_mean"], normalised),
            "normalised mean: {entry}"
        );
        assert_eq!(entry["rank"], rank, "{entry}");
        assert_eq!(entry["members"], members, "{entry}");
        assert_eq!(entry["disagreement"], disagreement, "{entry}");
        assert_eq!(entry["country"], country, "the nationality: {entry}");
    }

    // The other cycle holds only its own application, on its own scale.
    let (status, other) = app.get("/api/cycles/2027-28/ranking", &cycle.officer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(other.as_array().map(Vec::len), Some(1), "{other}");
    assert!(close(&other[0]["normalised_mean"], 0.0), "{other}");

    // A cycle nobody applied to has an empty ranking.
    let (status, empty) = app.get("/api/cycles/2030-31/ranking", &cycle.officer).await;
    assert_eq!((status, empty), (StatusCode::OK, json!([])));

    // A rebuild of the views leaves the ranking as the commands left it.
    app.state.repo.rebuild_projections().await.unwrap();
    let (_, rebuilt) = app.get("/api/cycles/2026-27/ranking", &cycle.officer).await;
    assert_eq!(rebuilt, json!(ranking));
}

/// The same cycle by nationality: Ghana (Q, S) before Kenya (P, R), each best first, with the place within
/// the country beside the place in the cycle.
async fn the_ranking_by_country_groups_the_applicants_by_nationality(app: TestApp) {
    let cycle = the_hand_computed_cycle(&app).await;
    let (status, ranking) = app
        .get("/api/cycles/2026-27/ranking?by=country", &cycle.officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{ranking}");
    let got: Vec<(String, String, i64, i64)> = ranking
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["application_id"].as_str().unwrap().to_string(),
                entry["country"].as_str().unwrap().to_string(),
                entry["country_rank"].as_i64().unwrap(),
                entry["rank"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        (&cycle.q, "Ghana", 1, 2),
        (&cycle.s, "Ghana", 2, 4),
        (&cycle.p, "Kenya", 1, 1),
        (&cycle.r, "Kenya", 2, 3),
    ]
    .map(|(id, country, country_rank, rank)| (id.clone(), country.to_string(), country_rank, rank));
    assert_eq!(got, expected);

    let (status, body) = app
        .get("/api/cycles/2026-27/ranking?by=residence", &cycle.officer)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid");
}

async fn the_ranking_is_refused_to_all_but_programme_officers_and_to_a_malformed_cycle(
    app: TestApp,
) {
    let path = "/api/cycles/2026-27/ranking";
    for token in [None, Some("not-a-token")] {
        let (status, body) = app.request(Method::GET, path, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
        assert_eq!(body["error"], "unauthenticated");
    }
    let applicant = app.applicant().await;
    let (status, body) = app.get(path, &applicant).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "applicant: {body}");
    assert_eq!(body["error"], "forbidden");
    for role in [
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ] {
        let staff = app.staff(role).await;
        let (status, body) = app.get(path, &staff).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", role.as_str());
        assert_eq!(body["error"], "forbidden");
    }
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (status, body) = app.get(path, &officer).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    for bad in ["2026-28", "2026", "26-27", "2026-2027", "next%20year"] {
        let (status, body) = app
            .get(&format!("/api/cycles/{bad}/ranking"), &officer)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"], "invalid", "{bad}");
    }
    // A malformed cycle asked by another role is still refused for the role.
    let admin = app.staff(Role::Admin).await;
    let (status, _) = app.get("/api/cycles/2026/ranking", &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
