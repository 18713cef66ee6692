//! The case list as caseworkers use it: searched by any part of a name or an email address, accents and
//! case ignored, or by the id; paged from the last row shown, so that every case is met once however the
//! list grows meanwhile; counted only up to a cap; and a page link that cannot be read answered with what
//! to do next, never a server error.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, User};
use crate::on_both_stores;
use domain::Role;
use projections::Db;

on_both_stores!(
    the_case_list_finds_a_name_by_any_part_ignoring_accents_and_case,
    the_case_list_finds_an_application_by_email_and_by_id,
    the_case_list_pages_every_row_once_while_rows_are_inserted,
    the_case_list_page_links_move_through_every_case_once,
    the_case_list_refuses_a_cursor_it_did_not_give,
    the_case_list_counts_up_to_its_cap_and_says_more,
    the_case_list_search_finds_a_change_made_after_it_was_built,
    a_destroyed_application_is_not_found_and_its_name_is_in_no_file,
);

/// A draft whose applicant gave this name and email address.
async fn named_draft(app: &TestApp, full_name: &str, email: &str) -> String {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    rename(app, &applicant, &id, full_name, email).await;
    id
}

async fn rename(app: &TestApp, applicant: &User, id: &str, full_name: &str, email: &str) {
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            applicant,
            json!({"personal": {"full_name": full_name, "email": email}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The ids a search of the case list answers.
async fn found(app: &TestApp, officer: &User, query: &str) -> Vec<String> {
    let (status, body) = app
        .get(
            &format!("/api/applications?q={}", urlencode(query)),
            officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    ids_of(&body)
}

fn ids_of(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn the_case_list_finds_a_name_by_any_part_ignoring_accents_and_case(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let wanted = named_draft(&app, "Zoë Ådler-Núñez", "search-one@example.test").await;
    let other_applicant = app.applicant().await;
    let other = app.draft(&other_applicant).await;
    rename(
        &app,
        &other_applicant,
        &other,
        "Test Applicant Other",
        "search-two@example.test",
    )
    .await;
    for query in [
        "zoe",
        "ZOË",
        "ADLER",
        "nunez",
        "Núñez",
        "dler-nu",
        "ler-n",
        "zoe nunez",
        "NUNEZ Zoe",
        "  zoë   ådler  ",
        "zo",
        "ＡＤＬＥＲ",
    ] {
        assert_eq!(
            found(&app, &officer, query).await,
            std::slice::from_ref(&wanted),
            "{query:?}"
        );
    }
    for query in ["zoey", "nunez other", "adler-nunez-x", "%", "_"] {
        assert!(
            found(&app, &officer, query).await.is_empty(),
            "{query:?} finds nothing"
        );
    }
    assert_eq!(
        found(&app, &officer, "applicant oth").await,
        std::slice::from_ref(&other)
    );
    // The search is combined with the filters.
    let (status, body) = app
        .get("/api/applications?q=zoe&status=submitted", &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 0, "{body}");
    let (status, body) = app
        .get(
            "/api/applications?q=zoe&status=draft&cycle=2026-27",
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids_of(&body), std::slice::from_ref(&wanted), "{body}");
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["total_exact"], true, "{body}");
    // The case desk's page finds it the same way.
    let mut browser = crate::pages::sign_in(&app, &officer.email).await;
    let page = browser.get("/cases?q=NUNEZ").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("/cases/{wanted}")),
        "found on the page"
    );
    assert!(!page.body.contains(&format!("/cases/{other}")), "only it");
    assert!(page.body.contains("1 case."), "the total on the page");
    // A changed name is found by its new name only.
    rename(
        &app,
        &other_applicant,
        &other,
        "Test Applicant Renamed",
        "search-two@example.test",
    )
    .await;
    assert!(found(&app, &officer, "applicant oth").await.is_empty());
    assert_eq!(found(&app, &officer, "RENAMED").await, [other]);
}

async fn the_case_list_finds_an_application_by_email_and_by_id(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let wanted = named_draft(&app, "Test Applicant Éva", "Search.Marker@Example.TEST").await;
    named_draft(&app, "Test Applicant Other", "other-marker@example.test").await;
    for query in [
        "search.marker@example.test",
        "SEARCH.MARKER@EXAMPLE.TEST",
        "search.mar",
        "h.marker@exa",
        wanted.as_str(),
    ] {
        assert_eq!(
            found(&app, &officer, query).await,
            std::slice::from_ref(&wanted),
            "{query:?}"
        );
        assert_eq!(
            found(&app, &helpdesk, query).await,
            std::slice::from_ref(&wanted),
            "{query:?}"
        );
    }
    // An id is matched whole: a fragment of one is not taken for a name.
    let fragment = &wanted[wanted.len() - 6..];
    assert!(
        !found(&app, &officer, fragment).await.contains(&wanted),
        "{fragment}"
    );
    // The email part of both, by the words they share.
    let both = found(&app, &officer, "marker@example.test").await;
    assert_eq!(both.len(), 2, "{both:?}");
}

/// Follows `next_cursor` from the first page to the last, calling `between` after each page.
async fn page_through(
    app: &TestApp,
    officer: &User,
    filter: &str,
    mut between: impl AsyncFnMut(usize),
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut path = format!("/api/applications?limit=3&{filter}");
    loop {
        let (status, body) = app.get(&path, officer).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        pages.push(ids_of(&body));
        between(pages.len()).await;
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/applications?limit=3&{filter}&cursor={cursor}");
            }
            None => return pages,
        }
        assert!(pages.len() < 20, "the paging ends");
    }
}

async fn the_case_list_pages_every_row_once_while_rows_are_inserted(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut before = BTreeSet::new();
    for _ in 0..8 {
        let applicant = app.applicant().await;
        before.insert(app.draft(&applicant).await);
    }
    // Between each page a new application is started: it goes to the front of the list, before the cursor.
    let mut inserted = BTreeSet::new();
    let pages = page_through(&app, &officer, "status=draft", async |_| {
        let applicant = app.applicant().await;
        inserted.insert(app.draft(&applicant).await);
    })
    .await;
    let seen: Vec<String> = pages.iter().flatten().cloned().collect();
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no case twice: {pages:?}");
    assert!(
        before.is_subset(&unique),
        "every case there from the start is met: {pages:?}"
    );
    assert!(
        unique.difference(&before).all(|id| inserted.contains(id)),
        "nothing else"
    );
    assert_eq!(pages[0].len(), 3, "{pages:?}");
    // The page before a page is the one that came before it, and the first has none before it.
    let (_, first) = app
        .get("/api/applications?limit=3&status=draft", &officer)
        .await;
    assert!(first["previous_cursor"].is_null(), "{first}");
    let next = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get(
            &format!("/api/applications?limit=3&status=draft&cursor={next}"),
            &officer,
        )
        .await;
    let third_cursor = second["next_cursor"].as_str().unwrap();
    let (_, third) = app
        .get(
            &format!("/api/applications?limit=3&status=draft&cursor={third_cursor}"),
            &officer,
        )
        .await;
    let back = third["previous_cursor"].as_str().unwrap();
    let (status, again) = app
        .get(
            &format!("/api/applications?limit=3&status=draft&cursor={back}"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(ids_of(&again), ids_of(&second), "back one page");
    let back = again["previous_cursor"].as_str().unwrap();
    let (_, start) = app
        .get(
            &format!("/api/applications?limit=3&status=draft&cursor={back}"),
            &officer,
        )
        .await;
    assert_eq!(ids_of(&start), ids_of(&first), "back at the start");
    assert!(start["previous_cursor"].is_null(), "{start}");
    // A change moves a case to the front: paging from the start meets it there, once.
    let all = page_through(&app, &officer, "status=draft", async |_| {}).await;
    let all: Vec<String> = all.into_iter().flatten().collect();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "{all:?}");
    assert_eq!(unique.len(), before.len() + inserted.len());
}

/// The address a link of the page points to, as the browser would follow it.
fn link(body: &str, rel: &str) -> Option<String> {
    let marker = "<a class=\"pagination-link\" href=\"";
    body.split(marker).skip(1).find_map(|rest| {
        let (href, after) = rest.split_once('"')?;
        after
            .starts_with(&format!(" rel=\"{rel}\""))
            .then(|| href.replace("&amp;", "&").replace("&#x3D;", "="))
    })
}

fn case_links(body: &str) -> Vec<String> {
    body.split("<td><a href=\"/cases/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_string()))
        .collect()
}

async fn the_case_list_page_links_move_through_every_case_once(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    bulk_rows(app.db(), 53).await;
    let ids: BTreeSet<String> = (1..=53).map(|n| format!("bulk-{n:06}")).collect();
    let mut browser = crate::pages::sign_in(&app, &officer.email).await;
    let first = browser.get("/cases?status=withdrawn").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("53 cases."), "the total");
    assert!(
        link(&first.body, "prev").is_none(),
        "no page before the first"
    );
    assert!(first.body.contains("aria-label=\"Pages of cases\""));
    let on_first = case_links(&first.body);
    assert_eq!(on_first.len(), 50);
    let next = link(&first.body, "next").expect("a link to the next page");
    assert!(
        next.contains("status=withdrawn"),
        "the filter is kept: {next}"
    );
    let second = browser.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    let on_second = case_links(&second.body);
    assert_eq!(on_second.len(), 3);
    assert!(
        link(&second.body, "next").is_none(),
        "no page after the last"
    );
    let seen: BTreeSet<String> = on_first.iter().chain(&on_second).cloned().collect();
    assert_eq!(seen, ids, "every case once");
    let previous = link(&second.body, "prev").expect("a link to the page before");
    let back = browser.get(&previous).await;
    assert_eq!(case_links(&back.body), on_first, "back to the first page");
}

async fn the_case_list_refuses_a_cursor_it_did_not_give(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for cursor in [
        "garbage",
        "%00",
        "bjE3.MDAw",
        "eDE3MDAwMDAwMDAuMDAwMDAwMDAwLmlk",
        "bjE3MDAwMDAwMDAuMDAwLmlk",
        "bjk5OTk5OTk5OTk5OTk5OTk5OTkuMDAwMDAwMDAwLmlk",
    ] {
        let (status, body) = app
            .get(&format!("/api/applications?cursor={cursor}"), &officer)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{cursor}: {body}");
        assert_eq!(body["error"], "invalid", "{body}");
        assert!(
            body.to_string().contains("first page"),
            "the answer says what to do: {body}"
        );
    }
    // A cursor and an offset together are refused: the list is paged one way or the other.
    let (_, first) = app.get("/api/applications?limit=1", &officer).await;
    assert_eq!(ids_of(&first), std::slice::from_ref(&id));
    let (status, _) = app
        .get("/api/applications?limit=1&offset=0&cursor=", &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "an empty cursor is no cursor");
    let (_, second) = app
        .get("/api/applications?limit=1&offset=1", &officer)
        .await;
    assert!(
        ids_of(&second).is_empty(),
        "the offset still pages: {second}"
    );
    // A cursor as the list writes it (after a row of 2023, id "id").
    let cursor = "bjE3MDAwMDAwMDAuMDAwMDAwMDAwLmlk";
    let (status, body) = app
        .get(
            &format!("/api/applications?offset=1&cursor={cursor}"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid", "{body}");
    // The page answers the first page of the list and says why, with a link to it.
    let mut browser = crate::pages::sign_in(&app, &officer.email).await;
    let page = browser.get("/cases?status=draft&cursor=garbage").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("There is a problem"), "an error summary");
    assert!(
        page.body
            .contains("The link to that page of cases could not be read"),
        "says what went wrong"
    );
    assert!(
        page.body.contains(&format!("/cases/{id}")),
        "the first page is shown"
    );
    assert!(
        page.body
            .contains("href=\"/cases?cycle&#x3D;&amp;status&#x3D;draft"),
        "a link to the first page"
    );
}

/// Writes `n` bare rows straight into the case list, as a large store would hold them.
async fn bulk_rows(db: &Db, n: i64) {
    const POSTGRES: &str = "INSERT INTO case_list (id, cycle, status, updated_at, scores) \
        SELECT 'bulk-' || lpad(g::text, 6, '0'), '2025-26', 'withdrawn', \
        TIMESTAMPTZ '2025-01-01 00:00:00+00' + g * INTERVAL '1 second', 0 \
        FROM generate_series(1, $1) AS g";
    const SQLITE: &str = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $1) \
        INSERT INTO case_list (id, cycle, status, updated_at, scores) \
        SELECT 'bulk-' || printf('%06d', n), '2025-26', 'withdrawn', \
        strftime('%Y-%m-%dT%H:%M:%S+00:00', 1735689600 + n, 'unixepoch'), 0 FROM g";
    match db {
        Db::Postgres(p) => {
            sqlx::query(POSTGRES).bind(n).execute(p).await.unwrap();
        }
        Db::Sqlite(p) => {
            sqlx::query(SQLITE).bind(n).execute(p).await.unwrap();
        }
    }
}

async fn the_case_list_counts_up_to_its_cap_and_says_more(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    bulk_rows(app.db(), projections::case_list::COUNT_CAP + 5).await;
    let (status, body) = app.get("/api/applications?limit=2", &officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], projections::case_list::COUNT_CAP, "{body}");
    assert_eq!(body["total_exact"], false, "{body}");
    let (status, body) = app
        .get("/api/applications?limit=2&q=bulk-000017", &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids_of(&body), ["bulk-000017"], "the id is matched: {body}");
    assert_eq!(body["total_exact"], true, "{body}");
    // A deep page from the cursor: the rows after the 9,000th, in order.
    let (_, deep) = app
        .get("/api/applications?limit=2&offset=9000", &officer)
        .await;
    let cursor = deep["next_cursor"].as_str().unwrap();
    let (status, after) = app
        .get(
            &format!("/api/applications?limit=2&cursor={cursor}"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(ids_of(&after), ["bulk-001003", "bulk-001002"], "{after}");
    let mut browser = crate::pages::sign_in(&app, &officer.email).await;
    let page = browser.get("/cases").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("More than 10,000 cases"),
        "the page says more"
    );
}

/// The search is held in memory and follows the log (projections/src/case_search.rs): a change made after
/// the first search is found at the next, the old name no longer is, and a rebuild of the views from the log
/// changes nothing it finds.
async fn the_case_list_search_finds_a_change_made_after_it_was_built(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    rename(
        &app,
        &applicant,
        &id,
        "Test Applicant Before",
        "before@example.test",
    )
    .await;
    assert_eq!(
        found(&app, &officer, "before").await,
        std::slice::from_ref(&id)
    );
    rename(
        &app,
        &applicant,
        &id,
        "Test Applicant Ørsted",
        "older-row@example.test",
    )
    .await;
    assert_eq!(
        found(&app, &officer, "orsted").await,
        std::slice::from_ref(&id)
    );
    assert_eq!(
        found(&app, &officer, "older-row").await,
        std::slice::from_ref(&id)
    );
    assert!(found(&app, &officer, "before").await.is_empty());
    let second = named_draft(&app, "Test Applicant Orstedsen", "second@example.test").await;
    assert_eq!(
        found(&app, &officer, "orsted").await,
        [second.clone(), id.clone()]
    );
    app.state.repo.rebuild_projections().await.unwrap();
    assert_eq!(found(&app, &officer, "ØRSTED").await, [second, id]);
}

/// The search reads the log in the order transactions commit: a change whose transaction began before
/// another's and commits after it is not skipped (on PostgreSQL a position in the log alone would pass it:
/// ../shared/FACTS.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_search_misses_no_change_committed_out_of_order() {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let early = named_draft(&app, "Test Applicant Early", "early@example.test").await;
    let applicant = app.applicant().await;
    let late = app.draft(&applicant).await;
    rename(
        &app,
        &applicant,
        &late,
        "Test Applicant Late",
        "late@example.test",
    )
    .await;
    assert_eq!(found(&app, &officer, "test applicant").await.len(), 2);
    let Db::Postgres(pool) = app.db() else {
        unreachable!()
    };
    // A slow writer: its transaction takes its id first, and commits last.
    let mut slow = pool.begin().await.unwrap();
    sqlx::query("UPDATE case_list SET full_name = 'Test Applicant Slowpoke' WHERE id = $1")
        .bind(&early)
        .execute(&mut *slow)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, \
         metadata) VALUES ('Application', $1, 1000000, 'TestOnly', '1', '{}', '{}')",
    )
    .bind(&early)
    .execute(&mut *slow)
    .await
    .unwrap();
    // Meanwhile a quick one commits, and the list is searched.
    rename(
        &app,
        &applicant,
        &late,
        "Test Applicant Quickstep",
        "late@example.test",
    )
    .await;
    found(&app, &officer, "quickstep").await;
    slow.commit().await.unwrap();
    assert_eq!(found(&app, &officer, "slowpoke").await, [early]);
    assert_eq!(found(&app, &officer, "quickstep").await, [late]);
}

async fn a_destroyed_application_is_not_found_and_its_name_is_in_no_file(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let mut form = crate::helpers::complete_form();
    form["personal"]["full_name"] = json!("Test Applicant Qwzxtrigram");
    form["personal"]["email"] = json!("qwzx.destroyed@example.test");
    let (status, body) = app
        .patch(&format!("/api/applications/{id}"), &applicant, form)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for tail in ["/submit", "/withdraw"] {
        let (status, body) = app
            .post(
                &format!("/api/applications/{id}{tail}"),
                &applicant,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{tail}: {body}");
    }
    assert_eq!(
        found(&app, &officer, "qwzxtrigram").await,
        std::slice::from_ref(&id)
    );
    if matches!(app.db(), Db::Sqlite(_)) {
        assert!(
            sqlite_files_hold(&app, NAME),
            "the name is in the store before"
        );
    }
    let folder = tempfile::tempdir().unwrap();
    let ledger = services::retention::Ledger::new(folder.path().join("destroyed-streams.ledger"));
    let two_years_on = chrono::Utc::now()
        .date_naive()
        .checked_add_months(chrono::Months::new(24))
        .unwrap();
    services::retention::sweep(&app.state, &ledger, two_years_on, false, &|_, _| {})
        .await
        .unwrap();
    assert!(found(&app, &officer, "qwzxtrigram").await.is_empty());
    assert!(found(&app, &officer, "qwzx.destroyed").await.is_empty());
    if matches!(app.db(), Db::Sqlite(_)) {
        assert!(
            !sqlite_files_hold(&app, NAME),
            "the name is in no file of the store"
        );
        assert!(
            !sqlite_files_hold(&app, b"qwzxtrigram"),
            "nor its copy as the search compares it"
        );
    }
}

const NAME: &[u8] = b"Applicant Qwzxtrigram";

/// Whether any file of the folder that holds the SQLite store (the database, its WAL) holds these bytes.
fn sqlite_files_hold(app: &TestApp, needle: &[u8]) -> bool {
    let file = app.database_url.strip_prefix("sqlite://").unwrap();
    let file = std::path::Path::new(file.split('?').next().unwrap());
    std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .any(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
            bytes.windows(needle.len()).any(|window| window == needle)
        })
}
