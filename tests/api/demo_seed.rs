//! `etp demo seed` in bulk leaves the store the command path leaves: the same streams of the same events
//! (types, opened payloads, sequences, actors' roles), the same views and accounts, and applicants who sign
//! in with the seed's password and open their application.

use cqrs_es::persist::PersistedEventRepository;
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::{PASSWORD, TestApp, User, spawn_app};
use crate::on_both_stores;
use domain::Role;
use domain::application::Application;
use domain::immigration::ImmigrationRecord;
use domain::recipient::Recipient;
use domain::request::InformationRequest;
use projections::{Db, EventMetadata, on_pool};
use services::demo::{SeedReport, Way};

on_both_stores!(
    seeding_in_bulk_leaves_the_store_the_commands_leave,
    the_cli_takes_the_bulk_path_for_many_applications_unless_told_otherwise,
);

/// Enough applications for every stage (the plan gives each in the first eleven), a Help Desk amendment,
/// an opt-out, disclosures, immigration records, and information requests (numbers 17 and 20 ask).
const APPLICATIONS: usize = 40;

async fn seeding_in_bulk_leaves_the_store_the_commands_leave(app: TestApp) {
    let bulk = spawn_app(app.backend).await;
    let by_commands = seed(&app, Way::OneByOne).await;
    let in_bulk = seed(&bulk, Way::Bulk).await;

    assert_eq!(in_bulk.summary(), by_commands.summary(), "the report");
    assert_eq!(in_bulk.applications, APPLICATIONS);
    assert_eq!(in_bulk.by_stage.len(), 11, "every stage: {in_bulk:?}");
    assert!(in_bulk.requests > 0, "{in_bulk:?}");
    assert!(in_bulk.amendments > 0, "{in_bulk:?}");
    assert!(in_bulk.disclosures > 0, "{in_bulk:?}");

    let (commands_streams, bulk_streams) = (streams(&app).await, streams(&bulk).await);
    assert_eq!(
        bulk_streams.len(),
        commands_streams.len(),
        "as many streams"
    );
    for (made, expected) in bulk_streams.iter().zip(&commands_streams) {
        assert_eq!(made, expected, "a stream written in bulk");
    }

    // Sealed as the store seals: no applicant's name or address in clear in the table.
    const CLEAR: &str = "SELECT COUNT(*) FROM events WHERE CAST(payload AS TEXT) LIKE '%Demo Applicant%' \
                         OR CAST(payload AS TEXT) LIKE '%Demo Street%' \
                         OR CAST(payload AS TEXT) LIKE '%demo-applicant-%'";
    for store in [&app, &bulk] {
        let clear: i64 =
            on_pool!(store.db(), p => sqlx::query_scalar(CLEAR).fetch_one(p).await).unwrap();
        assert_eq!(
            clear, 0,
            "events with an applicant's personal data in clear"
        );
    }

    let (commands_views, bulk_views) = (views(&app).await, views(&bulk).await);
    for ((table, made), (_, expected)) in bulk_views.iter().zip(&commands_views) {
        assert!(
            !expected.is_empty() || table == "destroyed_streams",
            "{table} has rows"
        );
        assert_eq!(made, expected, "the rows of {table}");
    }
    assert_eq!(
        rows(bulk.db(), ACCOUNTS).await,
        rows(app.db(), ACCOUNTS).await,
        "the accounts"
    );
    assert_eq!(
        rows(bulk.db(), KEYS).await,
        rows(app.db(), KEYS).await,
        "the streams with a data key"
    );

    // What an officer and an applicant are shown, through the API.
    for (store, report) in [(&app, &by_commands), (&bulk, &in_bulk)] {
        for (role, email) in &report.staff {
            assert_eq!(
                store.login(email, PASSWORD).await.0,
                StatusCode::OK,
                "{role} signs in"
            );
        }
    }
    let officers = (
        sign_in(&app, &by_commands, Role::ProgrammeOfficer).await,
        sign_in(&bulk, &in_bulk, Role::ProgrammeOfficer).await,
    );
    let path = "/api/applications?cycle=2026-27&limit=100";
    let (list_by_commands, list_in_bulk) = (
        app.expect_ok(app.get(path, &officers.0).await),
        bulk.expect_ok(bulk.get(path, &officers.1).await),
    );
    assert_eq!(
        sorted_items(&list_in_bulk),
        sorted_items(&list_by_commands),
        "the case list"
    );
    for (store, report) in [(&app, &by_commands), (&bulk, &in_bulk)] {
        let (number, email) = report.applicant.clone().expect("an applicant");
        assert_eq!(number, 1);
        let applicant = store.sign_in(&email).await;
        let mine = store.expect_ok(store.get("/api/applications", &applicant).await);
        let items = mine["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{mine}");
        let id = items[0]["id"].as_str().expect("an id");
        let application = store.expect_ok(
            store
                .get(&format!("/api/applications/{id}"), &applicant)
                .await,
        );
        assert_eq!(application["status"], "draft", "number 1 is a draft");
        assert_eq!(
            application["personal"]["full_name"], "Demo Applicant 000001",
            "{application}"
        );
    }
}

/// `etp demo seed` picks the bulk path from 1,000 applications, and `--one-by-one` and `--bulk` choose; the
/// printed report is the same either way.
async fn the_cli_takes_the_bulk_path_for_many_applications_unless_told_otherwise(app: TestApp) {
    assert!(Way::Choose.in_bulk(&app.state, services::demo::BULK_FROM));
    assert!(!Way::Choose.in_bulk(&app.state, services::demo::BULK_FROM - 1));
    assert!(!Way::OneByOne.in_bulk(&app.state, 100_000));
    assert!(Way::Bulk.in_bulk(&app.state, 1));
    for (flag, expected) in [("--bulk", true), ("--one-by-one", false)] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_etp"))
            .args(["demo", "seed", "--applications", "12", flag])
            .env("ETP_DATABASE_URL", &app.database_url)
            .env("ETP_MASTER_KEY", &app.master_key)
            .env("ETP_JWT_SECRET", &app.jwt_secret)
            .env_remove("ETP_SMTP_URL")
            .output()
            .expect("run etp");
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{flag}: {printed} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            printed.contains("seeded 12 made-up applications in cycle 2026-27"),
            "{flag}: {printed}"
        );
        assert!(printed.contains("1 alumni, 1 awarded"), "{flag}: {printed}");
        let _ = expected;
    }
    let both = std::process::Command::new(env!("CARGO_BIN_EXE_etp"))
        .args([
            "demo",
            "seed",
            "--applications",
            "1",
            "--bulk",
            "--one-by-one",
        ])
        .env("ETP_DATABASE_URL", &app.database_url)
        .env("ETP_MASTER_KEY", &app.master_key)
        .env("ETP_JWT_SECRET", &app.jwt_secret)
        .output()
        .expect("run etp");
    assert!(
        !both.status.success(),
        "--bulk and --one-by-one together are refused"
    );
    // The second seeding went on from the first's numbers: 24 applications, numbered 1 to 24.
    let count: i64 =
        on_pool!(app.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM case_list").fetch_one(p).await)
            .unwrap();
    assert_eq!(count, 24);
}

async fn seed(app: &TestApp, way: Way) -> SeedReport {
    services::demo::seed_as(
        &app.state,
        APPLICATIONS,
        "2026-27",
        Some(PASSWORD),
        way,
        &|_, _| {},
    )
    .await
    .expect("seeded")
}

async fn sign_in(app: &TestApp, report: &SeedReport, role: Role) -> User {
    let (_, email) = report
        .staff
        .iter()
        .find(|(of, _)| *of == role)
        .expect("a demo account of the role");
    app.sign_in(email).await
}

fn sorted_items(list: &serde_json::Value) -> Vec<String> {
    let mut items: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| normalised(&item.to_string()))
        .collect();
    items.sort();
    items
}

/// Every stream of the store, opened as the repository reads it, written out with ids, times, references
/// and the random part of account addresses normalised; sorted.
async fn streams(app: &TestApp) -> Vec<String> {
    const SQL: &str = "SELECT DISTINCT aggregate_type, aggregate_id FROM events";
    let ids: Vec<(String, String)> =
        on_pool!(app.db(), p => sqlx::query_as(SQL).fetch_all(p).await).unwrap();
    let repo = &app.state.repo;
    let mut streams = Vec::new();
    for (kind, id) in ids {
        let events = match kind.as_str() {
            "Application" => repo.get_events::<Application>(&id).await,
            "ImmigrationRecord" => repo.get_events::<ImmigrationRecord>(&id).await,
            "InformationRequest" => repo.get_events::<InformationRequest>(&id).await,
            "Recipient" => repo.get_events::<Recipient>(&id).await,
            other => panic!("the seed wrote a stream of {other}"),
        }
        .unwrap();
        let mut stream = kind.clone();
        for event in events {
            let metadata = EventMetadata::from_json(&event.metadata).expect("metadata");
            let payload = if event.event_type == "ResponseIssued"
                && event.payload.to_string().contains("\"foi\"")
            {
                // An FOI response counts the applications in the store when it is answered.
                "(statistics)".to_string()
            } else {
                normalised(&event.payload.to_string())
            };
            stream.push_str(&format!(
                "\n{} {} {} {}",
                event.sequence, event.event_type, metadata.actor_role, payload
            ));
        }
        streams.push(stream);
    }
    streams.sort();
    streams
}

const VIEW_TABLES: [&str; 15] = [
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
    "retention_schedule",
    "destroyed_streams",
    "information_requests",
    "application_references",
];
const ACCOUNTS: &str = "SELECT email, full_name, role FROM accounts";
const KEYS: &str = "SELECT aggregate_type FROM stream_keys";

async fn views(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let db = app.db();
    let mut tables = Vec::new();
    for table in VIEW_TABLES {
        if table == "application_views" {
            let mut rows: Vec<String> =
                crate::helpers::opened_application_views(db, &app.state.repo)
                    .await
                    .iter()
                    .map(|row| normalised(row))
                    .collect();
            rows.sort();
            tables.push((table.to_string(), rows));
            continue;
        }
        let sql = match db {
            Db::Postgres(_) => format!("SELECT row_to_json(t)::text FROM {table} t"),
            Db::Sqlite(pool) => {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                format!("SELECT json_array({}) FROM {table}", columns.join(", "))
            }
        };
        tables.push((table.to_string(), rows(db, &sql).await));
    }
    tables
}

/// The rows a query gives, each as its columns' text joined, normalised, sorted.
async fn rows(db: &Db, sql: &str) -> Vec<String> {
    fn text<R: Row>(row: &R) -> String
    where
        usize: sqlx::ColumnIndex<R>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let columns: Vec<String> = (0..row.len())
            .map(|i| row.try_get::<String, _>(i).unwrap_or_default())
            .collect();
        normalised(&columns.join(" | "))
    }
    let mut rows: Vec<String> = on_pool!(db, p => sqlx::query(sql)
        .fetch_all(p)
        .await
        .unwrap()
        .iter()
        .map(text)
        .collect());
    rows.sort();
    rows
}

/// Text with what differs between two seedings of the same numbers made uniform: ids (UUIDs), times,
/// application references (`ETP-26-000017`, given in the order applications are started) and the random
/// part of a demo account's address.
fn normalised(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if let Some(len) = matches(&chars[at..], "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh") {
            out.push_str("<id>");
            at += len;
        } else if let Some(len) = matches(&chars[at..], "ETP-dd-dddddd") {
            out.push_str("<reference>");
            at += len;
        } else if let Some(len) = matches(&chars[at..], "-hhhhhhhhhhhh@example.test") {
            out.push_str("-<token>@example.test");
            at += len;
        } else if let Some(len) = time(&chars[at..]) {
            out.push_str("<time>");
            at += len;
        } else {
            out.push(chars[at]);
            at += 1;
        }
    }
    out
}

/// The length of `pattern` at the start of `text`: `h` a lower-case hex digit, `d` a digit, anything else
/// itself.
fn matches(text: &[char], pattern: &str) -> Option<usize> {
    let mut len = 0;
    for wanted in pattern.chars() {
        let got = *text.get(len)?;
        let fits = match wanted {
            'h' => got.is_ascii_digit() || ('a'..='f').contains(&got),
            'd' => got.is_ascii_digit(),
            other => got == other,
        };
        if !fits {
            return None;
        }
        len += 1;
    }
    Some(len)
}

/// A moment as the stores write one (`2026-12-06T23:38:48.582755Z`, `… 23:38:48.582755+00:00`).
fn time(text: &[char]) -> Option<usize> {
    let mut len = matches(text, "dddd-dd-dd")?;
    if !matches!(text.get(len), Some('T' | ' ')) {
        return None;
    }
    len += 1;
    len += matches(&text[len..], "dd:dd:dd")?;
    if text.get(len) == Some(&'.') {
        len += 1;
        while text.get(len).is_some_and(char::is_ascii_digit) {
            len += 1;
        }
    }
    if text.get(len) == Some(&'Z') {
        len += 1;
    } else if let Some(offset) = matches(&text[len..], "+dd:dd") {
        len += offset;
    }
    Some(len)
}
