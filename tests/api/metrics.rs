//! `GET /metrics` (docs/operations.md, "What to watch"): requests by route template and status, their
//! latency, commands and conflicts by aggregate, information requests due and overdue, retention sweeps and
//! what they destroyed, and the token that guards it when one is set. The text never names anyone.

use std::collections::BTreeMap;

use chrono::{Days, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;
use projections::on_pool;
use services::retention::Ledger;

on_both_stores!(
    requests_are_counted_by_route_template_and_status_and_timed,
    commands_are_counted_by_aggregate_and_outcome_and_lost_races_as_conflicts,
    information_requests_due_and_overdue_are_counted_by_kind,
    retention_sweeps_and_what_they_destroyed_are_counted,
);

/// One scrape: its text, after checking it is Prometheus's text format.
async fn scrape(app: &TestApp) -> Metrics {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Metrics(response.text().await.expect("a body"))
}

/// The text of a scrape, and its samples.
struct Metrics(String);

impl Metrics {
    /// Every sample of the series `name` whose labels include `labels`, each with all its labels.
    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> Vec<(BTreeMap<String, String>, f64)> {
        self.0
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let (series_name, label_text) = match series.split_once('{') {
                    Some((series_name, rest)) => (series_name, rest.strip_suffix('}')?),
                    None => (series, ""),
                };
                (series_name == name).then_some(())?;
                let found: BTreeMap<String, String> = label_text
                    .split("\",")
                    .filter(|pair| !pair.is_empty())
                    .filter_map(|pair| {
                        let (key, value) = pair.split_once("=\"")?;
                        Some((key.to_string(), value.trim_end_matches('"').to_string()))
                    })
                    .collect();
                let matches = labels
                    .iter()
                    .all(|(key, value)| found.get(*key).map(String::as_str) == Some(*value));
                matches.then(|| (found, value.parse().expect("a number")))
            })
            .collect()
    }

    /// The value of the one series `name` with exactly these labels (0 where it is absent, as Prometheus
    /// reads a counter that has not started).
    #[track_caller]
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let exact: Vec<f64> = self
            .samples(name, labels)
            .into_iter()
            .filter(|(found, _)| found.len() == labels.len())
            .map(|(_, value)| value)
            .collect();
        assert!(exact.len() <= 1, "{name} {labels:?} is one series");
        exact.first().copied().unwrap_or(0.0)
    }

    #[track_caller]
    fn requests(&self, method: &str, route: &str, status: &str) -> f64 {
        self.value(
            "etp_http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    }

    #[track_caller]
    fn commands(&self, aggregate: &str, outcome: &str) -> f64 {
        self.value(
            "etp_commands_total",
            &[("aggregate", aggregate), ("outcome", outcome)],
        )
    }

    /// No email address, name or other value the test sent is in the text.
    #[track_caller]
    fn names_nobody(&self, values: &[&str]) {
        let text = self.0.to_lowercase();
        assert!(!text.contains('@'), "an email address in the metrics");
        for value in values {
            assert!(
                !text.contains(&value.to_lowercase()),
                "{value:?} is in the metrics"
            );
        }
    }
}

async fn requests_are_counted_by_route_template_and_status_and_timed(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for _ in 0..2 {
        let (status, _) = app
            .get(&format!("/api/applications/{id}"), &applicant)
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, _) = app
        .get(&format!("/api/applications/{unknown}"), &applicant)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A refusal: an empty draft cannot be submitted.
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // An address that is no route, and a query that holds a name searched for.
    let (status, _) = app.get("/api/mkqnoroute7x", &applicant).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (status, _) = app
        .get("/api/applications?q=mkqsearchedname7x", &officer)
        .await;
    assert_eq!(status, StatusCode::OK);

    let metrics = scrape(&app).await;
    assert_eq!(
        metrics.requests("GET", "/api/applications/{id}", "200"),
        2.0
    );
    assert_eq!(
        metrics.requests("GET", "/api/applications/{id}", "404"),
        1.0
    );
    assert_eq!(
        metrics.requests("POST", "/api/applications/{id}/submit", "422"),
        1.0
    );
    assert_eq!(metrics.requests("POST", "/api/applications", "201"), 1.0);
    assert_eq!(metrics.requests("POST", "/api/auth/register", "201"), 1.0);
    assert_eq!(metrics.requests("POST", "/api/auth/login", "200"), 2.0);
    assert_eq!(metrics.requests("GET", "unmatched", "404"), 1.0);
    assert_eq!(metrics.requests("GET", "/api/applications", "200"), 1.0);
    assert!(
        metrics
            .samples("etp_http_requests_total", &[])
            .iter()
            .all(|(labels, _)| labels["route"] == "unmatched" || labels["route"].starts_with('/')),
        "every route label is a template"
    );

    let route = [("method", "GET"), ("route", "/api/applications/{id}")];
    let buckets = metrics.samples("etp_http_request_duration_seconds_bucket", &route);
    let bounds: Vec<&str> = buckets
        .iter()
        .map(|(labels, _)| labels["le"].as_str())
        .collect();
    for bound in ["0.005", "0.1", "1.0", "30.0", "+Inf"] {
        assert!(
            bounds.contains(&bound),
            "a bucket up to {bound}: {bounds:?}"
        );
    }
    let counts: Vec<f64> = buckets.iter().map(|(_, count)| *count).collect();
    assert!(
        counts.windows(2).all(|pair| pair[0] <= pair[1]),
        "buckets are cumulative, in order: {counts:?}"
    );
    let mut route_with_le = route.to_vec();
    route_with_le.push(("le", "+Inf"));
    assert_eq!(
        metrics.value("etp_http_request_duration_seconds_bucket", &route_with_le),
        3.0
    );
    assert_eq!(
        metrics.value("etp_http_request_duration_seconds_count", &route),
        3.0
    );
    assert!(metrics.value("etp_http_request_duration_seconds_sum", &route) > 0.0);

    // The application's commands: created (accepted), submitted too soon (refused).
    assert_eq!(metrics.commands("Application", "accepted"), 1.0);
    assert_eq!(metrics.commands("Application", "refused"), 1.0);
    metrics.names_nobody(&[
        &id,
        &unknown,
        &applicant.id,
        "mkq",
        "Test Applicant",
        "Test Staff",
    ]);
}

async fn commands_are_counted_by_aggregate_and_outcome_and_lost_races_as_conflicts(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    let mut saved = 0;
    let mut gave_up = 0;
    // Drafts saved at once on one application race for the stream's next sequence: the losers are tried
    // again on the new state, and some lose three times. A few rounds make a lost race all but certain.
    for round in 0..10 {
        let edits = (0..12).map(|n| {
            let body = json!({"essays": {"leadership": format!("Round {round}, edit {n}.")}});
            let app = &app;
            let applicant = &applicant;
            let path = format!("/api/applications/{id}");
            async move { app.patch(&path, applicant, body).await }
        });
        for (status, body) in futures::future::join_all(edits).await {
            match status {
                StatusCode::OK => saved += 1,
                StatusCode::CONFLICT => {
                    assert_eq!(body["error"], "conflict", "{body}");
                    gave_up += 1;
                }
                other => panic!("a draft edit answered {other}: {body}"),
            }
        }
        let metrics = scrape(&app).await;
        if metrics.value(
            "etp_command_conflicts_total",
            &[("aggregate", "Application")],
        ) > 0.0
        {
            break;
        }
    }
    let metrics = scrape(&app).await;
    let conflicts = metrics.value(
        "etp_command_conflicts_total",
        &[("aggregate", "Application")],
    );
    assert!(
        conflicts >= 1.0,
        "concurrent edits of one draft lost a race at least once"
    );
    assert_eq!(
        metrics.commands("Application", "accepted"),
        1.0 + saved as f64
    );
    assert_eq!(metrics.commands("Application", "conflict"), gave_up as f64);
    // A command given up on lost every one of its three tries.
    assert!(conflicts >= 3.0 * gave_up as f64);
    assert_eq!(
        metrics.requests("PATCH", "/api/applications/{id}", "200"),
        saved as f64
    );

    // Other aggregates are counted under their own type: a recipient registered, one refused.
    let admin = app.staff(Role::Admin).await;
    let (status, body) = app
        .post(
            "/api/recipients",
            &admin,
            json!({"name": "Test Mission", "kind": "british_mission", "country": "Kenya"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let metrics = scrape(&app).await;
    assert_eq!(metrics.commands("Recipient", "accepted"), 1.0);
    assert_eq!(
        metrics.commands("Application", "accepted"),
        1.0 + saved as f64
    );
    metrics.names_nobody(&[&id, "Test Mission", "Round 0"]);
}

/// Logs an information request received on the day, as an information officer does.
async fn log_request(app: &TestApp, officer: &User, kind: &str, received_on: &str) -> String {
    let (status, body) = app
        .post(
            "/api/information-requests",
            officer,
            json!({
                "kind": kind,
                "received_on": received_on,
                "requester": {"name": "Test Requester Marker", "email": "requester.marker@example.test"},
                "subject_email": "subject.marker@example.test",
                "description": "Everything you hold about me.",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("an id").to_string()
}

async fn information_requests_due_and_overdue_are_counted_by_kind(app: TestApp) {
    let officer = app.staff(Role::InformationOfficer).await;
    let today = Utc::now().date_naive();
    log_request(&app, &officer, "sar", &today.to_string()).await;
    log_request(&app, &officer, "foi", &today.to_string()).await;
    // Received long ago and never answered: past both its dates.
    log_request(&app, &officer, "foi", "2025-01-06").await;
    // Answered: counted neither way, however old.
    let answered = log_request(&app, &officer, "sar", "2025-02-03").await;
    let (status, body) = app
        .post(
            &format!("/api/information-requests/{answered}/response"),
            &officer,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let metrics = scrape(&app).await;
    let count = |name: &str, kind: &str| metrics.value(name, &[("kind", kind)]);
    assert_eq!(count("etp_information_requests_due", "sar"), 1.0);
    assert_eq!(count("etp_information_requests_due", "foi"), 1.0);
    assert_eq!(count("etp_information_requests_overdue", "foi"), 1.0);
    assert_eq!(count("etp_information_requests_overdue", "sar"), 0.0);
    assert_eq!(
        count("etp_information_requests_statutory_overdue", "foi"),
        1.0
    );
    assert_eq!(
        count("etp_information_requests_statutory_overdue", "sar"),
        0.0
    );
    // Every kind has its series, at zero where there is none.
    for kind in domain::request::RequestKind::ALL {
        for name in [
            "etp_information_requests_due",
            "etp_information_requests_overdue",
        ] {
            assert_eq!(
                metrics.samples(name, &[("kind", kind.as_str())]).len(),
                1,
                "{name} for {}",
                kind.as_str()
            );
        }
    }
    // The desk agrees: overdue first.
    let (status, list) = app.get("/api/information-requests", &officer).await;
    assert_eq!(status, StatusCode::OK);
    let overdue = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|request| request["overdue"] == json!(true))
        .count();
    assert_eq!(overdue, 1);
    metrics.names_nobody(&[
        "Test Requester",
        "requester.marker",
        "subject.marker",
        &answered,
    ]);
}

/// Makes the application's record fall due yesterday, as if its time had run out.
async fn due_yesterday(app: &TestApp, id: &str) {
    let yesterday = Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(1))
        .expect("yesterday");
    const SQL: &str = "UPDATE retention_schedule SET due_on = $1 WHERE aggregate_id = $2";
    let changed = on_pool!(app.db(), p => sqlx::query(SQL)
        .bind(yesterday)
        .bind(id)
        .execute(p)
        .await
        .expect("move the record's due day")
        .rows_affected());
    assert_eq!(changed, 1, "the draft is on the schedule");
}

async fn retention_sweeps_and_what_they_destroyed_are_counted(app: TestApp) {
    let today = Utc::now().date_naive();
    let dir = tempfile::tempdir().expect("a folder for the ledger");
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let first = app.applicant().await;
    let second = app.applicant().await;
    let swept_here = app.complete_draft(&first).await;
    let swept_by_the_command = app.complete_draft(&second).await;

    let metrics = scrape(&app).await;
    assert_eq!(metrics.value("etp_retention_due_records", &[]), 0.0);
    due_yesterday(&app, &swept_here).await;
    let metrics = scrape(&app).await;
    assert_eq!(metrics.value("etp_retention_due_records", &[]), 1.0);

    // A dry run destroys nothing and is no sweep.
    services::retention::sweep(&app.state, &ledger, today, true, &|_, _| {})
        .await
        .expect("the dry run runs");
    let metrics = scrape(&app).await;
    assert_eq!(
        metrics.value("etp_retention_sweeps_total", &[("outcome", "completed")]),
        0.0
    );
    assert_eq!(
        metrics.value("etp_retention_last_sweep_timestamp_seconds", &[]),
        0.0
    );

    let report = services::retention::sweep(&app.state, &ledger, today, false, &|_, _| {})
        .await
        .expect("the sweep runs");
    assert_eq!(report.destroyed.len(), 1, "{report:?}");
    let metrics = scrape(&app).await;
    assert_eq!(
        metrics.value("etp_retention_sweeps_total", &[("outcome", "completed")]),
        1.0
    );
    assert_eq!(
        metrics.value("etp_retention_sweeps_total", &[("outcome", "failed")]),
        0.0
    );
    assert_eq!(
        metrics.value(
            "etp_retention_swept_records_total",
            &[("kind", "unsubmitted_draft"), ("source", "schedule")]
        ),
        1.0
    );
    assert_eq!(
        metrics.value(
            "etp_retention_destroyed_records",
            &[("kind", "unsubmitted_draft")]
        ),
        1.0
    );
    assert_eq!(metrics.value("etp_retention_due_records", &[]), 0.0);
    let swept_at = metrics.value("etp_retention_last_sweep_timestamp_seconds", &[]);
    assert!(
        (swept_at - Utc::now().timestamp() as f64).abs() < 600.0,
        "{swept_at}"
    );
    // The destruction is a command of the application's: two drafts made and filled in, one destroyed.
    assert_eq!(metrics.commands("Application", "accepted"), 5.0);

    // `etp retention sweep`, another process: the store's figures count what it destroyed, this process's
    // sweeps do not.
    due_yesterday(&app, &swept_by_the_command).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_etp"))
        .args(["retention", "sweep"])
        .current_dir(dir.path())
        .env("ETP_DATABASE_URL", &app.database_url)
        .env("ETP_MASTER_KEY", &app.master_key)
        .env("ETP_JWT_SECRET", &app.jwt_secret)
        .env("ETP_RETENTION_LEDGER", dir.path().join("command.ledger"))
        .env_remove("ETP_BIND")
        .env_remove("ETP_METRICS_TOKEN")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run etp retention sweep");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metrics = scrape(&app).await;
    assert_eq!(
        metrics.value(
            "etp_retention_destroyed_records",
            &[("kind", "unsubmitted_draft")]
        ),
        2.0
    );
    assert_eq!(
        metrics.value("etp_retention_sweeps_total", &[("outcome", "completed")]),
        1.0
    );
    assert_eq!(
        metrics.value(
            "etp_retention_swept_records_total",
            &[("kind", "unsubmitted_draft"), ("source", "schedule")]
        ),
        1.0
    );
    assert!(metrics.value("etp_event_log_position", &[]) >= 6.0);
    assert_eq!(metrics.value("etp_projection_lag_events", &[]), 0.0);
    assert_eq!(metrics.value("etp_store_up", &[]), 1.0);
    metrics.names_nobody(&[&swept_here, &swept_by_the_command, "Test Applicant"]);
}

/// With `ETP_METRICS_TOKEN` set, `/metrics` answers 401 without that token (or with another) and 200 with
/// it; the rest of the service is as before. The real binary, so the setting is read as in production.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_token_guards_the_metrics_when_it_is_set() {
    use crate::cli::{Server, sqlite_url};
    const JWT: &str = "a jwt secret for the metrics test of 32 bytes";
    const MASTER: &str = "4d65747269637320746573742d6d6173746572206b6579206f66203332206279";
    const TOKEN: &str = "a metrics token for the test";
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let server = Server::start_with(
        dir.path(),
        &url,
        Some((JWT, MASTER)),
        None,
        &[("ETP_METRICS_TOKEN", TOKEN)],
    )
    .await;
    let client = reqwest::Client::new();
    let metrics = format!("{}/metrics", server.base);
    for token in [None, Some("another token of some length"), Some("")] {
        let mut request = client.get(&metrics);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthenticated", "{body}");
        assert!(body["message"].is_string());
    }
    let response = client
        .get(&metrics)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("etp_http_requests_total{") && text.contains("status=\"401\""),
        "the refusals are counted: {text}"
    );
    // OpenMetrics for a scraper that asks for it, closed by its EOF.
    let response = client
        .get(&metrics)
        .bearer_auth(TOKEN)
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(response.text().await.unwrap().ends_with("# EOF\n"));
    let (status, _) = server.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
}
