//! What the stores keep: personal data sealed at rest, nothing lost under concurrent commands, views equal to
//! a replay of the log, and everything still there after a restart.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{Backend, PASSWORD, TestApp, User, complete_form, scores};
use crate::on_both_stores;
use domain::Role;
use projections::{Db, on_pool};

on_both_stores!(
    neither_the_events_nor_the_applications_views_hold_personal_data_in_clear,
    the_views_are_rebuilt_when_a_migration_asks_and_only_then,
    parallel_edits_of_one_application_lose_nothing,
    a_rebuild_from_the_log_gives_the_same_views,
    two_servers_on_one_store_keep_the_views_equal_to_a_replay,
    a_server_decides_on_what_another_server_wrote_since_it_last_saw_the_application,
    a_rebuild_of_a_seeded_programme_leaves_every_view_as_the_commands_left_it,
    many_applicants_saving_at_once_lose_nothing,
    a_token_signed_out_on_one_server_is_refused_by_another_within_a_second,
);

/// Every row of the events table as text, as someone reading the database file would see it.
async fn raw_events(db: &Db) -> Vec<String> {
    const SQL: &str = "SELECT aggregate_id, event_type, CAST(payload AS TEXT) AS payload, \
                       CAST(metadata AS TEXT) AS metadata FROM events";
    on_pool!(db, p => sqlx::query(SQL).fetch_all(p).await.unwrap().iter().map(|row| {
        format!(
            "{} {} {} {}",
            row.get::<String, _>("aggregate_id"),
            row.get::<String, _>("event_type"),
            row.get::<String, _>("payload"),
            row.get::<String, _>("metadata"),
        )
    }).collect())
}

async fn neither_the_events_nor_the_applications_views_hold_personal_data_in_clear(app: TestApp) {
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.complete_draft(&applicant).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await,
    );
    let amendment = json!({
        "changes": {"personal.full_name": "Amended Marker Name", "personal.email": "amended.marker@example.test"},
        "reason": "Marker reason given by phone"
    });
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/amendments"),
            &helpdesk,
            amendment,
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "Marker eligibility note"}),
        )
        .await,
    );
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/assignments"),
            &officer,
            json!({"committee_member_id": member.id}),
        )
        .await,
    );
    let mut marks = scores(8);
    marks["comment"] = json!("Marker committee opinion");
    app.expect_ok(
        app.post(&format!("/api/applications/{id}/scores"), &member, marks)
            .await,
    );

    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(
        view["personal"]["full_name"], "Amended Marker Name",
        "the service reads the data back"
    );

    let rows = raw_events(app.db()).await;
    assert!(rows.len() >= 7, "all the events are there: {}", rows.len());
    let markers = [
        "Test Applicant Marker",
        "applicant.marker@example.test",
        "Amended Marker Name",
        "amended.marker@example.test",
        "Marker reason",
        "Marker eligibility",
        "Marker committee opinion",
        "Test Referee One",
        "referee1@example.test",
        "1 Test Street",
        "1998-04-12",
        "I led a study group",
    ];
    for row in &rows {
        for marker in markers {
            assert!(
                !row.contains(marker),
                "{marker:?} is in clear in the events table: {row}"
            );
        }
    }
    assert!(
        rows.iter().any(|row| row.contains("$sealed")),
        "personal data is sealed, not dropped"
    );

    // The application's view is sealed whole under the application's key (decision 0013): its row holds no
    // marker, nor any of the view's field names, yet the service read it back above.
    const DOCS: &str = "SELECT doc FROM application_views";
    let docs: Vec<Vec<u8>> =
        on_pool!(app.db(), p => sqlx::query_scalar(DOCS).fetch_all(p).await.unwrap());
    assert!(!docs.is_empty(), "the application has a view");
    for doc in &docs {
        for marker in markers
            .iter()
            .chain(&["full_name", "status", "applicant_id"])
        {
            assert!(
                !doc.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{marker:?} is in clear in the applications' views"
            );
        }
    }
}

/// A migration that changes how a view is kept asks for the views to be rebuilt (`views_to_rebuild`, as
/// migration 0026 did when it sealed the applications' views): the server rebuilds them as it starts, once.
async fn the_views_are_rebuilt_when_a_migration_asks_and_only_then(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let path = format!("/api/applications/{id}");
    let (_, before) = app.get(&path, &applicant).await;
    assert_eq!(
        app.state.repo.rebuild_projections_if_asked().await.unwrap(),
        None,
        "nothing asked"
    );
    // As migration 0026 leaves a store: the views emptied, and a rebuild asked for.
    on_pool!(app.db(), p => {
        sqlx::query("DELETE FROM application_views").execute(p).await.unwrap();
        sqlx::query("INSERT INTO views_to_rebuild (asked_by) VALUES ('a test')").execute(p).await.unwrap();
    });
    let report = app
        .state
        .repo
        .rebuild_projections_if_asked()
        .await
        .unwrap()
        .expect("a rebuild was asked for");
    assert!(report.events >= 2, "{report:?}");
    let (status, after) = app.get(&path, &applicant).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(before, after, "the view is back as the log left it");
    assert_eq!(
        app.state.repo.rebuild_projections_if_asked().await.unwrap(),
        None,
        "the ask was answered"
    );
}

async fn parallel_edits_of_one_application_lose_nothing(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let path = format!("/api/applications/{id}");
    let edits = (0..24).map(|i| {
        let app = &app;
        let applicant = &applicant;
        let path = &path;
        async move {
            let body = json!({"essays": {"leadership": format!("edit number {i}")}, "personal": {"phone": format!("+44 20 7946 {i:04}")}});
            app.patch(path, applicant, body).await
        }
    });
    let results = join_all(edits).await;
    let mut succeeded = 0;
    for (status, body) in &results {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::CONFLICT,
            "a parallel edit ended in {status}: {body}"
        );
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["error"], "conflict");
        } else {
            succeeded += 1;
        }
    }

    let sequences: Vec<i64> = on_pool!(app.db(), p => sqlx::query_scalar(
        "SELECT sequence FROM events WHERE aggregate_id = $1 ORDER BY sequence")
        .bind(&id).fetch_all(p).await.unwrap());
    let expected: Vec<i64> = (1..=sequences.len() as i64).collect();
    assert_eq!(sequences, expected, "sequence numbers are contiguous");
    assert_eq!(
        sequences.len(),
        succeeded + 1,
        "one event per acknowledged edit, after the start"
    );

    let (_, before) = app.get(&path, &applicant).await;
    assert_eq!(before["version"], json!(sequences.len()));
    app.state.repo.rebuild_projections().await.unwrap();
    let (_, after) = app.get(&path, &applicant).await;
    assert_eq!(before, after, "the view equals a replay of the log");
}

async fn a_rebuild_from_the_log_gives_the_same_views(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let awarded = app.awarded(&officer).await;
    let applicant = app.applicant().await;
    let draft = app.complete_draft(&applicant).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{awarded}/immigration-records"),
            &officer,
            json!({"kind": "visa", "reference": "TEST-REF-1", "issued_on": "2026-01-05"}),
        )
        .await,
    );

    let before = snapshot(&app, &officer, &awarded, &draft).await;
    assert_eq!(before.0["status"], "awarded");
    assert_eq!(before.2["total"], 2);
    assert_eq!(before.3.as_array().map(Vec::len), Some(1));
    let report = app.state.repo.rebuild_projections().await.unwrap();
    assert!(report.events >= 9, "replayed {report:?}");
    let after = snapshot(&app, &officer, &awarded, &draft).await;
    assert_eq!(before, after);
}

/// The tables the projections write (everything but the log, its keys, and what is not an event stream).
const VIEW_TABLES: [&str; 17] = [
    "application_views",
    "case_list",
    "case_assignments",
    "committee_scores",
    "immigration_records",
    "recipients",
    "scholar_directory",
    "alumni_networking",
    "alumni_open_book",
    "media_consents",
    "referee_index",
    "supervisor_index",
    "retention_schedule",
    "destroyed_streams",
    "information_requests",
    "added_holidays",
    "application_references",
];

/// Every row of every view table, as JSON text, sorted.
async fn view_rows(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let db = app.db();
    let mut tables = Vec::new();
    for table in VIEW_TABLES {
        if table == "application_views" {
            let rows = crate::helpers::opened_application_views(db, &app.state.repo).await;
            tables.push((table.to_string(), rows));
            continue;
        }
        let mut rows: Vec<String> = match db {
            Db::Postgres(pool) => {
                sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                    .fetch_all(pool)
                    .await
                    .unwrap()
            }
            Db::Sqlite(pool) => {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                let list = columns.join(", ");
                sqlx::query_scalar(&format!("SELECT json_array({list}) FROM {table}"))
                    .fetch_all(pool)
                    .await
                    .unwrap()
            }
        };
        rows.sort();
        tables.push((table.to_string(), rows));
    }
    tables
}

/// A made-up programme (every stage, scores and conflicts, awards and alumni, opt-outs, amendments,
/// disclosures, immigration records, requests), some of it destroyed by a sweep: the rebuild, which folds
/// each application's stream in memory and writes many rows at a time, leaves every view table row for row
/// as the commands left it, and a second rebuild changes nothing.
async fn a_rebuild_of_a_seeded_programme_leaves_every_view_as_the_commands_left_it(app: TestApp) {
    services::demo::seed(&app.state, 60, "2026-27", &|_, _| {})
        .await
        .expect("seed");
    let dir = tempfile::tempdir().unwrap();
    let ledger = services::retention::Ledger::new(dir.path().join("ledger"));
    let as_of = chrono::Utc::now().date_naive() + chrono::Months::new(25);
    let swept =
        services::retention::sweep_at_most(&app.state, &ledger, as_of, false, Some(10), &|_, _| {})
            .await
            .expect("sweep");
    assert!(
        !swept.destroyed.is_empty(),
        "the sweep destroyed some applications"
    );

    let before = view_rows(&app).await;
    let count = |table: &str| {
        before
            .iter()
            .find(|(name, _)| name == table)
            .map_or(0, |(_, rows)| rows.len())
    };
    for table in [
        "application_views",
        "case_assignments",
        "committee_scores",
        "scholar_directory",
        "alumni_open_book",
        "retention_schedule",
        "destroyed_streams",
        "immigration_records",
        "information_requests",
        "referee_index",
    ] {
        assert!(count(table) > 0, "the seeded programme has rows in {table}");
    }
    let report = app.state.repo.rebuild_projections().await.unwrap();
    assert!(report.events > 400, "replayed {report:?}");
    let after = view_rows(&app).await;
    for ((table, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{table} after a rebuild");
    }
    app.state.repo.rebuild_projections().await.unwrap();
    assert_eq!(
        view_rows(&app).await,
        after,
        "a second rebuild changes nothing"
    );
}

/// What officers see of two applications, the case list and the immigration records.
async fn snapshot(
    app: &TestApp,
    officer: &User,
    awarded: &str,
    draft: &str,
) -> (Value, Value, Value, Value) {
    let (_, a) = app
        .get(&format!("/api/applications/{awarded}"), officer)
        .await;
    let (_, d) = app
        .get(&format!("/api/applications/{draft}"), officer)
        .await;
    let (_, list) = app.get("/api/applications?cycle=2026-27", officer).await;
    let (_, records) = app
        .get(
            &format!("/api/applications/{awarded}/immigration-records"),
            officer,
        )
        .await;
    (a, d, list, records)
}

/// Starts the real binary on a store, waits until it answers.
fn start_server(database_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_etp"))
        .arg("serve")
        .env("ETP_BIND", format!("127.0.0.1:{port}"))
        .env("ETP_DATABASE_URL", database_url)
        .env_remove("ETP_JWT_SECRET")
        .env_remove("ETP_MASTER_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start etp serve")
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("etp serve did not come up at {base}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn everything_is_still_there_after_the_server_is_stopped_and_started_on_the_same_sqlite_file()
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/etp.db", dir.path().display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    let mut server = start_server(&url, port);
    wait_until_up(&client, &base).await;
    let register =
        json!({"email": "restart@example.test", "password": PASSWORD, "full_name": "Test Restart"});
    let response = client
        .post(format!("{base}/api/auth/register"))
        .json(&register)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let login = json!({"email": "restart@example.test", "password": PASSWORD});
    let token: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let created: Value = client
        .post(format!("{base}/api/applications"))
        .bearer_auth(&token)
        .json(&json!({"cycle": "2026-27"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let saved = client
        .patch(format!("{base}/api/applications/{id}"))
        .bearer_auth(&token)
        .json(&complete_form())
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    // Stopped hard, as by a crash: what was acknowledged must survive.
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        dir.path().join("etp-secrets.env").exists(),
        "the secrets were made beside the database"
    );

    let mut server = start_server(&url, port);
    wait_until_up(&client, &base).await;
    let again: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = again["token"]
        .as_str()
        .expect("the account survived the restart")
        .to_string();
    let view: Value = client
        .get(format!("{base}/api/applications/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(view["personal"]["full_name"], "Test Applicant Marker");
    assert_eq!(
        view["essays"]["leadership"],
        "I led a study group of twelve."
    );
    assert_eq!(view["referees"][1]["name"], "Test Referee Two");
    assert_eq!(view["status"], "draft");
}

#[tokio::test]
async fn the_sqlite_store_is_durable_by_default() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let Db::Sqlite(pool) = app.db() else {
        unreachable!()
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(synchronous, 2, "synchronous=FULL");
}

/// A second server process on the same store, as a deployment with several `etp serve` would have.
async fn second_server(app: &TestApp) -> String {
    let db = services::store::connect(&app.database_url).await.unwrap();
    let master = services::crypto::MasterKey::from_hex(&app.master_key).unwrap();
    let state = services::bus::AppState::new(db, master, app.jwt_secret.as_bytes());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, services::http::router(state))
            .await
            .unwrap();
    });
    address
}

/// An application as its owner sees it, and the number of its events in the log.
async fn view_and_events(app: &TestApp, owner: &User, id: &str) -> (Value, i64) {
    let (_, view) = app.get(&format!("/api/applications/{id}"), owner).await;
    let events: i64 = on_pool!(app.db(), p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE aggregate_id = $1").bind(id).fetch_one(p).await.unwrap());
    (view, events)
}

async fn two_servers_on_one_store_keep_the_views_equal_to_a_replay(app: TestApp) {
    let second = second_server(&app).await;
    let applicants = [app.applicant().await, app.applicant().await];
    let mut ids = Vec::new();
    for applicant in &applicants {
        ids.push(app.draft(applicant).await);
    }
    let edits = (0..32).map(|i| {
        let app = &app;
        let base = if i % 2 == 0 { app.address.clone() } else { second.clone() };
        let who = i % 2;
        let applicant = &applicants[who];
        let id = ids[who].clone();
        async move {
            let body = json!({"essays": {"study_plan": format!("plan {i}")}, "employment": [{"employer": format!("Test Employer {i}")}]});
            let response = app
                .client
                .patch(format!("{base}/api/applications/{id}"))
                .bearer_auth(&applicant.token)
                .json(&body)
                .send()
                .await
                .unwrap();
            response.status()
        }
    });
    for status in join_all(edits).await {
        assert!(
            status == StatusCode::OK || status == StatusCode::CONFLICT,
            "{status}"
        );
    }
    let mut before = Vec::new();
    for (applicant, id) in applicants.iter().zip(&ids) {
        let (view, events) = view_and_events(&app, applicant, id).await;
        assert_eq!(
            view["version"],
            json!(events),
            "the view has folded every committed event"
        );
        before.push(view);
    }
    app.state.repo.rebuild_projections().await.unwrap();
    for ((applicant, id), before) in applicants.iter().zip(&ids).zip(before) {
        let (_, after) = app.get(&format!("/api/applications/{id}"), applicant).await;
        assert_eq!(before, after, "the view equals a replay of the log");
    }
}

/// A server keeps the applications it last wrote in memory and decides its next command on them. When another
/// server wrote to the application in between, no command is decided on the kept state: one that state would
/// accept fails on the log's sequence and is decided again, one it would refuse is decided again on the
/// stream as stored.
async fn a_server_decides_on_what_another_server_wrote_since_it_last_saw_the_application(
    app: TestApp,
) {
    let second = second_server(&app).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let submit_on_the_other_server = |id: String, applicant: User| {
        let (client, second) = (app.client.clone(), second.clone());
        async move {
            let answer = client
                .post(format!("{second}/api/applications/{id}/submit"))
                .bearer_auth(&applicant.token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
        }
    };

    // This server writes the whole draft, so it keeps it; the other server submits it. The draft kept here
    // would take an edit; the application as stored refuses it.
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    submit_on_the_other_server(id.clone(), applicant.clone()).await;
    let (status, body) = app
        .patch(
            &format!("/api/applications/{id}"),
            &applicant,
            json!({"essays": {"study_plan": "a plan written after submitting"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "application_submitted", "{body}");
    let (_, view) = app
        .get(&format!("/api/applications/{id}"), &applicant)
        .await;
    assert_ne!(
        view["form"]["essays"]["study_plan"],
        json!("a plan written after submitting")
    );

    // Again; the draft kept here would refuse an eligibility decision; the application as stored takes it.
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    submit_on_the_other_server(id.clone(), applicant.clone()).await;
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/eligibility"),
            &officer,
            json!({"eligible": true, "reason": "meets the rules"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(view["status"], "eligible", "{view}");
}

/// Many applicants saving their drafts at the same moment, as before a deadline: on PostgreSQL the saves
/// that queue while others commit are written together (`store/together.rs`); every save acknowledged is in
/// its application's view and in the log, and the views equal a replay.
async fn many_applicants_saving_at_once_lose_nothing(app: TestApp) {
    const APPLICANTS: usize = 24;
    let applicants = join_all((0..APPLICANTS).map(|_| app.applicant())).await;
    let mut ids = Vec::new();
    for applicant in &applicants {
        ids.push(app.draft(applicant).await);
    }
    let mut rounds = 0;
    loop {
        rounds += 1;
        let saves = applicants.iter().zip(&ids).map(|(applicant, id)| {
            let body = json!({"essays": {"study_plan": format!("plan of round {rounds}")}});
            let path = format!("/api/applications/{id}");
            let app = &app;
            async move { app.patch(&path, applicant, body).await }
        });
        for (status, body) in join_all(saves).await {
            assert_eq!(
                status,
                StatusCode::OK,
                "each applicant saves only their own: {body}"
            );
            assert_eq!(
                body["essays"]["study_plan"],
                format!("plan of round {rounds}")
            );
        }
        // On PostgreSQL, go on until some saves shared a commit (the first round nearly always does).
        let (groups, _) = app.state.repo.written_together();
        if app.backend == Backend::Sqlite || groups > 0 {
            break;
        }
        assert!(
            rounds < 20,
            "in {rounds} rounds of {APPLICANTS} saves at once, no two shared a commit"
        );
    }
    if app.backend == Backend::Postgres {
        let (groups, appends) = app.state.repo.written_together();
        assert!(
            appends >= 2 * groups,
            "each group holds two saves or more: {appends} in {groups}"
        );
    }
    let mut before = Vec::new();
    for (applicant, id) in applicants.iter().zip(&ids) {
        let (view, events) = view_and_events(&app, applicant, id).await;
        assert_eq!(
            events,
            1 + rounds as i64,
            "the start and one save a round, each kept once"
        );
        assert_eq!(view["version"], json!(events));
        assert_eq!(
            view["essays"]["study_plan"],
            format!("plan of round {rounds}")
        );
        before.push(view);
    }
    let cases: Vec<String> = on_pool!(app.db(), p => sqlx::query_scalar(
        "SELECT id FROM case_list ORDER BY id").fetch_all(p).await.unwrap());
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(
        cases, expected,
        "each draft has its one row in the case list"
    );
    app.state.repo.rebuild_projections().await.unwrap();
    for ((applicant, id), before) in applicants.iter().zip(&ids).zip(before) {
        let (_, after) = app.get(&format!("/api/applications/{id}"), applicant).await;
        assert_eq!(before, after, "the view equals a replay of the log");
    }
}

/// A server holds a token's standing for a second after reading it (docs/decisions/0003): signing out on
/// one server refuses the token there at once, and on another server once that second has passed.
async fn a_token_signed_out_on_one_server_is_refused_by_another_within_a_second(app: TestApp) {
    let second = second_server(&app).await;
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let show = |base: &str| {
        app.client
            .get(format!("{base}/api/applications/{id}"))
            .bearer_auth(&applicant.token)
            .send()
    };
    // The second server reads the token's standing, and holds it.
    assert_eq!(show(&second).await.unwrap().status(), StatusCode::OK);
    let (status, _) = app
        .request(
            Method::POST,
            "/api/auth/logout",
            Some(&applicant.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        show(&app.address).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the server that signed the token out refuses it at once"
    );
    let signed_out = std::time::Instant::now();
    loop {
        let status = show(&second).await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            signed_out.elapsed() < services::accounts::STANDING_HELD_FOR + Duration::from_secs(2),
            "the other server still lets the signed-out token in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The service's PostgreSQL connections plan without the JIT: its statements are short, and at a million
/// applications the planner's cost of some of them would set it compiling for longer than they run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_services_connections_do_not_compile_statements_with_the_jit() {
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let Db::Postgres(pool) = app.db() else {
        unreachable!("a PostgreSQL app")
    };
    let mut settings = Vec::new();
    // More than one connection of the pool, each asked in turn.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.acquire().await.unwrap();
        let jit: String = sqlx::query_scalar("SHOW jit")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        settings.push(jit);
        held.push(conn);
    }
    assert_eq!(settings, ["off", "off", "off"]);
}
