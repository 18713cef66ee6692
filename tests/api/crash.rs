//! Crash safety: the server killed under load, PostgreSQL restarted under load, and a graceful stop.
//!
//! Every test runs the real `etp serve`. An applicant's draft edit is a command: once the server has
//! acknowledged it (answered 2xx) it must survive whatever happens next, exactly once. A command cut off by a
//! crash may or may not have been kept, but never twice and never in part, and the views always say what a
//! replay of the event log says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use projections::Db;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::cli::{PostgresDatabase, Server, assert_success, etp, free_port, run, sqlite_url};
use crate::helpers::PASSWORD;

/// Concurrent applicants editing their drafts.
const CLIENTS: usize = 8;
const CYCLE: &str = "2026-27";
/// Longer than the server's own request timeout (30 s), so a request that hangs is seen as the server's.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);
/// How long a test waits for something that should take a moment, before it fails saying what it waited for.
const PATIENCE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------------------
// The store, the applicants and the ledger of what the server acknowledged.
// ---------------------------------------------------------------------------------------------------------

/// A store and the secrets every `etp` process on it is started with.
struct Store {
    dir: tempfile::TempDir,
    url: String,
    jwt: String,
    master: String,
    /// The database on the shared PostgreSQL server, dropped after the processes on it.
    _database: Option<PostgresDatabase>,
}

impl Store {
    fn sqlite() -> Store {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = sqlite_url(dir.path());
        Store::at(dir, url, None)
    }

    async fn postgres() -> Store {
        let database = PostgresDatabase::create().await;
        let url = database.url.clone();
        Store::at(
            tempfile::tempdir().expect("a temporary folder"),
            url,
            Some(database),
        )
    }

    fn at(dir: tempfile::TempDir, url: String, database: Option<PostgresDatabase>) -> Store {
        Store {
            dir,
            url,
            jwt: format!("crash-test-jwt-secret-{}", uuid::Uuid::new_v4().simple()),
            master: services::crypto::MasterKey::generate_hex(),
            _database: database,
        }
    }

    fn secrets(&self) -> Option<(&str, &str)> {
        Some((self.jwt.as_str(), self.master.as_str()))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = etp(self.dir.path(), &self.url, args);
        command
            .env("ETP_JWT_SECRET", &self.jwt)
            .env("ETP_MASTER_KEY", &self.master);
        command
    }

    async fn serve(&self) -> Server {
        Server::start(self.dir.path(), &self.url, self.secrets()).await
    }

    /// As `serve`, the server's warnings and errors written to the file `name` in the store's folder, and
    /// shown if the test fails.
    async fn serve_logging(&self, name: &str) -> (Server, ShownOnFailure) {
        let log = self.dir.path().join(name);
        let server = Server::start_logging(
            self.dir.path(),
            &self.url,
            self.secrets(),
            Some((&log, "warn")),
        )
        .await;
        (server, ShownOnFailure(log))
    }

    /// `etp projections rebuild`, with no server running.
    fn rebuild_views(&self) {
        let output = run(self.command(&["projections", "rebuild"]), None);
        assert_success(&output, "etp projections rebuild");
    }

    /// The store opened from the test, to read the event log and the views as they are on disk.
    async fn open(&self) -> Db {
        services::store::connect(&self.url)
            .await
            .expect("the test opens the store")
    }
}

/// A log file printed (its last lines) when the test fails while this is alive.
struct ShownOnFailure(PathBuf);

impl Drop for ShownOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.0).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(60)..];
            eprintln!(
                "--- the last lines of {} ---\n{}",
                self.0.display(),
                tail.join("\n")
            );
        }
    }
}

#[derive(Clone, Debug)]
struct Applicant {
    email: String,
    token: String,
    id: String,
    /// The preferences the draft started with.
    preferences: Value,
}

/// `count` applicants, each signed up, signed in and with a draft in the cycle, made at once.
async fn applicants(server: &Server, tag: &str, count: usize) -> Vec<Applicant> {
    let signups = (0..count).map(|n| async move {
        let email = format!("crash.{tag}.{n}@example.test");
        let register =
            json!({"email": email, "password": PASSWORD, "full_name": format!("Test Crash Applicant {n}")});
        let (status, body) = server
            .send(Method::POST, "/api/auth/register", None, Some(register))
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {email}: {body}");
        let (status, login) = server.login(&email, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "sign in {email}: {login}");
        let token = login["token"].as_str().expect("a token").to_string();
        let (status, created) = server
            .send(
                Method::POST,
                "/api/applications",
                Some(&token),
                Some(json!({"cycle": CYCLE})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "start a draft: {created}");
        let id = created["id"].as_str().expect("an id").to_string();
        let (status, draft) = server
            .send(
                Method::GET,
                &format!("/api/applications/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "the new draft: {draft}");
        Applicant {
            email,
            token,
            id,
            preferences: draft["preferences"].clone(),
        }
    });
    futures::future::join_all(signups).await
}

/// A change an applicant asked for.
#[derive(Clone, Debug, PartialEq)]
enum Change {
    /// A draft edit (`DraftSaved`): the leadership essay set to this text, different every time.
    Essay(String),
    /// The networking opt-out set to this value (`PreferencesChanged`), always the opposite of the last.
    OptOut(bool),
}

/// What one applicant was told about their changes.
#[derive(Debug, Default)]
struct Ledger {
    /// Every change answered 2xx, in order.
    acknowledged: Vec<Change>,
    /// The change sent when the answer could not be had (the server killed, the database gone while it
    /// committed): kept or not, nobody was told. At most one per applicant, after every acknowledged one.
    in_flight: Option<Change>,
    /// Reads between the writes, each of which showed the last acknowledged edit.
    reads: usize,
}

impl Ledger {
    fn last_essay(&self) -> Option<&str> {
        self.acknowledged
            .iter()
            .rev()
            .find_map(|change| match change {
                Change::Essay(text) => Some(text.as_str()),
                Change::OptOut(_) => None,
            })
    }

    fn last_opt_out(&self, initially: bool) -> bool {
        self.acknowledged
            .iter()
            .rev()
            .find_map(|change| match change {
                Change::OptOut(value) => Some(*value),
                Change::Essay(_) => None,
            })
            .unwrap_or(initially)
    }

    fn count(&self, essays: bool) -> usize {
        self.acknowledged
            .iter()
            .filter(|change| matches!(change, Change::Essay(_)) == essays)
            .count()
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .build()
        .expect("an HTTP client")
}

fn essay_edit(client: usize, step: usize) -> (Change, Value) {
    let text = format!("Test essay of applicant {client}, edit {step}");
    let body = json!({"essays": {"leadership": text}});
    (Change::Essay(text), body)
}

fn opt_out_change(applicant: &Applicant, value: bool) -> (Change, Value) {
    let mut body = applicant.preferences.clone();
    body["networking_opt_out"] = json!(value);
    (Change::OptOut(value), body)
}

fn initial_opt_out(applicant: &Applicant) -> bool {
    applicant.preferences["networking_opt_out"]
        .as_bool()
        .expect("the draft shows its networking opt-out")
}

/// The request that makes a change to the applicant's draft.
fn change_request(
    client: &reqwest::Client,
    base: &str,
    applicant: &Applicant,
    change: &Change,
    body: Value,
) -> reqwest::RequestBuilder {
    let path = format!("{base}/api/applications/{}", applicant.id);
    match change {
        Change::Essay(_) => client.patch(path),
        Change::OptOut(_) => client.put(format!("{path}/preferences")),
    }
    .bearer_auth(&applicant.token)
    .json(&body)
}

// ---------------------------------------------------------------------------------------------------------
// What must hold of the store after a crash.
// ---------------------------------------------------------------------------------------------------------

fn store_kind(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SQLite",
        Db::Postgres(_) => "PostgreSQL",
    }
}

/// Every stream's events, `(aggregate type, aggregate id)` to `(sequence, event type)` in sequence order.
async fn event_log(db: &Db) -> BTreeMap<(String, String), Vec<(i64, String)>> {
    const SQL: &str = "SELECT aggregate_type, aggregate_id, sequence, event_type FROM events \
                       ORDER BY aggregate_type, aggregate_id, sequence";
    let rows: Vec<(String, String, i64, String)> = projections::on_pool!(db, p => sqlx::query_as(SQL)
        .fetch_all(p)
        .await
        .expect("read the event log"));
    let mut streams: BTreeMap<(String, String), Vec<(i64, String)>> = BTreeMap::new();
    for (aggregate_type, aggregate_id, sequence, event_type) in rows {
        streams
            .entry((aggregate_type, aggregate_id))
            .or_default()
            .push((sequence, event_type));
    }
    streams
}

/// Every stream of the log is numbered 1, 2, 3, … with no gap and no number twice.
fn assert_every_stream_is_numbered_from_one_without_gaps(
    log: &BTreeMap<(String, String), Vec<(i64, String)>>,
) {
    assert!(!log.is_empty(), "the log has streams");
    for ((aggregate_type, aggregate_id), events) in log {
        let sequences: Vec<i64> = events.iter().map(|(sequence, _)| *sequence).collect();
        let expected: Vec<i64> = (1..=events.len() as i64).collect();
        assert_eq!(
            sequences, expected,
            "the events of {aggregate_type}/{aggregate_id} are numbered from 1 with no gap"
        );
    }
}

/// The application as its owner now sees it.
async fn shown(server: &Server, applicant: &Applicant) -> Value {
    let (status, body) = server
        .send(
            Method::GET,
            &format!("/api/applications/{}", applicant.id),
            Some(&applicant.token),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{} sees the draft: {body}",
        applicant.email
    );
    body
}

/// After a crash: each applicant's draft shows their last acknowledged change, or the one change that was in
/// flight after it; the log holds each kept change exactly once (one `DraftSaved` per edit, one
/// `PreferencesChanged` per opt-out) and nothing else. Gives what each owner was shown.
async fn assert_every_acknowledged_change_is_kept_once(
    server: &Server,
    db: &Db,
    applicants: &[Applicant],
    ledgers: &[Ledger],
) -> Vec<Value> {
    let log = event_log(db).await;
    assert_every_stream_is_numbered_from_one_without_gaps(&log);
    let mut seen = Vec::new();
    let mut kept = 0;
    for (n, (applicant, ledger)) in applicants.iter().zip(ledgers).enumerate() {
        let body = shown(server, applicant).await;
        let essay = body["essays"]["leadership"].as_str();
        let opt_out = body["preferences"]["networking_opt_out"].as_bool();
        let initially = initial_opt_out(applicant);
        // Whether the change cut off by the crash was kept is read from what the draft shows.
        let kept_in_flight = match &ledger.in_flight {
            Some(Change::Essay(text)) => essay == Some(text.as_str()),
            Some(Change::OptOut(value)) => opt_out == Some(*value),
            None => false,
        };
        let (expected_essay, expected_opt_out) = match (&ledger.in_flight, kept_in_flight) {
            (Some(Change::Essay(text)), true) => {
                (Some(text.as_str()), ledger.last_opt_out(initially))
            }
            (Some(Change::OptOut(value)), true) => (ledger.last_essay(), *value),
            _ => (ledger.last_essay(), ledger.last_opt_out(initially)),
        };
        let context = format!(
            "applicant {n}: {} acknowledged changes, the last {:?}; in flight {:?}; shown essay {essay:?}, \
             opt-out {opt_out:?}",
            ledger.acknowledged.len(),
            ledger.acknowledged.last(),
            ledger.in_flight,
        );
        assert_eq!(
            essay, expected_essay,
            "the draft shows the last acknowledged edit: {context}"
        );
        assert_eq!(
            opt_out,
            Some(expected_opt_out),
            "the draft shows the last acknowledged opt-out: {context}"
        );

        let in_flight_kept = |essays: bool| {
            usize::from(
                kept_in_flight && matches!(ledger.in_flight, Some(Change::Essay(_))) == essays,
            )
        };
        let events = log
            .get(&("Application".to_string(), applicant.id.clone()))
            .unwrap_or_else(|| panic!("the log has the stream of application {}", applicant.id));
        let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, event_type) in events {
            *counted.entry(event_type.as_str()).or_default() += 1;
        }
        let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
        expected.insert("ApplicationStarted", 1);
        for (event_type, essays) in [("DraftSaved", true), ("PreferencesChanged", false)] {
            let kept = ledger.count(essays) + in_flight_kept(essays);
            if kept > 0 {
                expected.insert(event_type, kept);
            }
        }
        assert_eq!(
            counted, expected,
            "each kept change is in the log once, and nothing else is: {context}"
        );
        kept += usize::from(kept_in_flight);
        seen.push(body);
    }
    eprintln!(
        "{}: {kept} of the {} changes in flight at the crash were kept",
        store_kind(db),
        ledgers.iter().filter(|l| l.in_flight.is_some()).count()
    );
    seen
}

/// The views as they are on disk: each application view `(id, version, document)`, and each row of the
/// case list, every column as text.
#[derive(Debug, PartialEq)]
struct Views {
    applications: Vec<(String, String, Value)>,
    cases: Vec<Vec<Option<String>>>,
}

/// The views as they are on disk; the applications' views opened with the store's master key.
async fn views(store: &Store, db: &Db) -> Views {
    const CASES: &str = "SELECT id, cycle, status, full_name, email, nationality, country_of_residence, \
                         CAST(submitted_at AS TEXT), CAST(updated_at AS TEXT), CAST(mean_score AS TEXT), \
                         CAST(scores AS TEXT) FROM case_list ORDER BY id";
    let keys = services::store::EventRepository::new(
        db.clone(),
        std::sync::Arc::new(
            services::crypto::MasterKey::from_hex(&store.master).expect("the store's master key"),
        ),
    );
    let applications: Vec<(String, String, String)> =
        crate::helpers::opened_application_views(db, &keys)
            .await
            .into_iter()
            .map(|row| {
                let mut parts = row.splitn(3, ' ');
                let id = parts.next().unwrap_or_default().to_string();
                let version = parts.next().unwrap_or_default().to_string();
                (id, version, parts.next().unwrap_or_default().to_string())
            })
            .collect();
    let cases: Vec<Vec<Option<String>>> = projections::on_pool!(db, p => sqlx::query(CASES)
        .fetch_all(p)
        .await
        .expect("read the case list")
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|column| row.try_get::<Option<String>, _>(column).expect("a column as text"))
                .collect()
        })
        .collect());
    Views {
        applications: applications
            .into_iter()
            .map(|(id, version, doc)| {
                let doc = serde_json::from_str(&doc).expect("a view is JSON");
                (id, version, doc)
            })
            .collect(),
        cases,
    }
}

/// With the server stopped, the views the crashed and restarted servers kept are exactly what
/// `etp projections rebuild` makes from the log, and a server started afterwards shows the same drafts.
async fn assert_the_views_are_a_replay_of_the_log(
    store: &Store,
    applicants: &[Applicant],
    seen: &[Value],
) {
    let db = store.open().await;
    let kept = views(store, &db).await;
    assert_eq!(
        kept.applications.len(),
        applicants.len(),
        "one view per draft"
    );
    assert_eq!(kept.cases.len(), applicants.len(), "one case per draft");
    store.rebuild_views();
    let replayed = views(store, &db).await;
    projections::on_pool!(&db, p => p.close().await);
    for (before, after) in kept.applications.iter().zip(&replayed.applications) {
        assert_eq!(
            before, after,
            "the application view is what a replay of the log makes of it"
        );
    }
    assert_eq!(
        kept, replayed,
        "the views are what a replay of the log makes of them"
    );
    let server = store.serve().await;
    for (applicant, before) in applicants.iter().zip(seen) {
        assert_eq!(
            &shown(&server, applicant).await,
            before,
            "after the rebuild the owner sees the same draft"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// 1. The server killed (SIGKILL) under load.
// ---------------------------------------------------------------------------------------------------------

/// One applicant's load until the server goes away: draft edits, every fifth command an opt-out change,
/// every seventh a read of the draft (which must show the last acknowledged edit).
async fn edit_until_the_server_goes(
    base: String,
    n: usize,
    applicant: Applicant,
    acknowledged: Arc<AtomicUsize>,
) -> Ledger {
    let client = http_client();
    let mut ledger = Ledger::default();
    let mut opt_out = initial_opt_out(&applicant);
    let until = Instant::now() + PATIENCE;
    for step in 0.. {
        assert!(
            Instant::now() < until,
            "applicant {n}: the server was never killed"
        );
        if step % 7 == 6 {
            let path = format!("{base}/api/applications/{}", applicant.id);
            let Ok(response) = client.get(path).bearer_auth(&applicant.token).send().await else {
                break;
            };
            let status = response.status();
            let Ok(body) = response.json::<Value>().await else {
                break;
            };
            assert_eq!(
                status,
                StatusCode::OK,
                "applicant {n} reads the draft: {body}"
            );
            assert_eq!(
                body["essays"]["leadership"].as_str(),
                ledger.last_essay(),
                "applicant {n}: a read shows the last acknowledged edit"
            );
            ledger.reads += 1;
            continue;
        }
        let (change, body) = if step % 5 == 4 {
            opt_out_change(&applicant, !opt_out)
        } else {
            essay_edit(n, step)
        };
        match change_request(&client, &base, &applicant, &change, body)
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => {
                if let Change::OptOut(value) = change {
                    opt_out = value;
                }
                ledger.acknowledged.push(change);
                acknowledged.fetch_add(1, Ordering::SeqCst);
                // The answer's status is the acknowledgement; the body may be cut off by the kill.
                let _ = response.bytes().await;
            }
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                panic!("applicant {n}: {change:?} refused under load: {status} {body}");
            }
            // Never connected: the command was not sent, so nothing is in flight.
            Err(error) if error.is_connect() => break,
            Err(_) => {
                ledger.in_flight = Some(change);
                break;
            }
        }
    }
    ledger
}

/// Eight applicants edit their drafts at once; the server is killed with SIGKILL in the middle of it and
/// started again on the same store. Every acknowledged change is there once, the change cut off is there
/// once or not at all, every stream is numbered without gaps, and the views are a replay of the log.
async fn an_acknowledged_change_survives_the_server_being_killed(store: Store) {
    let (mut server, _under_load_log) = store.serve_logging("under-load.log").await;
    let applicants = applicants(&server, "kill", CLIENTS).await;

    let acknowledged: Vec<Arc<AtomicUsize>> = (0..CLIENTS)
        .map(|_| Arc::new(AtomicUsize::new(0)))
        .collect();
    let clients: Vec<_> = applicants
        .iter()
        .enumerate()
        .map(|(n, applicant)| {
            tokio::spawn(edit_until_the_server_goes(
                server.base.clone(),
                n,
                applicant.clone(),
                acknowledged[n].clone(),
            ))
        })
        .collect();
    // A second and a half of load, and at least a few acknowledged changes from every applicant.
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500)
        || acknowledged
            .iter()
            .any(|count| count.load(Ordering::SeqCst) < 6)
    {
        assert!(
            started.elapsed() < PATIENCE,
            "the load never got going: {:?} acknowledged",
            acknowledged
                .iter()
                .map(|count| count.load(Ordering::SeqCst))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().expect("SIGKILL the server");
    let killed = server.child.wait().expect("the server ends");
    assert!(!killed.success(), "the server was killed: {killed}");
    let mut ledgers = Vec::new();
    for client in clients {
        ledgers.push(client.await.expect("an applicant's load ends"));
    }
    drop(server);
    let in_flight = ledgers.iter().filter(|l| l.in_flight.is_some()).count();
    let total: usize = ledgers.iter().map(|l| l.acknowledged.len()).sum();
    eprintln!(
        "{}: killed after {:.1} s: {total} changes acknowledged, {in_flight} in flight, {} reads",
        if store.url.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        started.elapsed().as_secs_f64(),
        ledgers.iter().map(|l| l.reads).sum::<usize>()
    );

    let (server, _restarted_log) = store.serve_logging("restarted.log").await;
    let db = store.open().await;
    let seen =
        assert_every_acknowledged_change_is_kept_once(&server, &db, &applicants, &ledgers).await;
    projections::on_pool!(&db, p => p.close().await);
    drop(server);
    assert_the_views_are_a_replay_of_the_log(&store, &applicants, &seen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_an_acknowledged_change_survives_the_server_being_killed_under_load() {
    an_acknowledged_change_survives_the_server_being_killed(Store::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_an_acknowledged_change_survives_the_server_being_killed_under_load() {
    an_acknowledged_change_survives_the_server_being_killed(Store::postgres().await).await;
}

// ---------------------------------------------------------------------------------------------------------
// 2. PostgreSQL stopped in immediate mode (a crash of the database) under load, and started again.
// ---------------------------------------------------------------------------------------------------------

/// A PostgreSQL cluster of the test's own, on a free port, stopped and started as the test likes. The
/// machine's shared server is never restarted: other tests use it at the same time.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    /// initdb refuses to run as root: as root, the cluster belongs to the `postgres` user and its tools run
    /// as that user.
    as_postgres_user: bool,
}

impl PrivatePostgres {
    fn bin() -> PathBuf {
        PathBuf::from(
            std::env::var("ETP_TEST_POSTGRES_BIN")
                .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".to_string()),
        )
    }

    fn create() -> PrivatePostgres {
        let bin = Self::bin();
        assert!(
            bin.join("initdb").exists() && bin.join("pg_ctl").exists(),
            "the PostgreSQL crash test needs initdb and pg_ctl in {} (set ETP_TEST_POSTGRES_BIN); it never skips",
            bin.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("etp-pg-")
            .tempdir()
            .expect("a folder for the cluster");
        let as_postgres_user = id(&["-u"]) == "0";
        if as_postgres_user {
            let uid = id(&["-u", "postgres"]).parse().expect("the postgres uid");
            let gid = id(&["-g", "postgres"]).parse().expect("the postgres gid");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("give the cluster's folder to the postgres user");
        }
        let cluster = PrivatePostgres {
            dir,
            port: free_port(),
            as_postgres_user,
        };
        let data = cluster.data();
        cluster.tool(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = Self::bin().join(tool);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }

    #[track_caller]
    fn tool(&self, tool: &str, args: &[&str]) -> Output {
        let output = self
            .command(tool, args)
            .output()
            .unwrap_or_else(|error| panic!("run {tool}: {error}"));
        assert!(
            output.status.success(),
            "{tool} {args:?} failed ({}); the PostgreSQL crash test cannot run without it\nstdout: {}\nstderr: {}\nlog: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
        output
    }

    /// `pg_ctl start`, waiting until it takes connections (after any crash recovery).
    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let (data, log) = (self.data(), self.log().display().to_string());
        self.tool(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        );
    }

    /// `pg_ctl -m immediate stop`: every server process quits at once, with no checkpoint, as in a crash;
    /// the next start recovers from the write-ahead log.
    fn stop_immediately(&self) {
        let data = self.data();
        self.tool(
            "pg_ctl",
            &["-D", &data, "-m", "immediate", "-w", "-t", "60", "stop"],
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `id ARGS`, trimmed.
fn id(args: &[&str]) -> String {
    let output = Command::new("id").args(args).output().expect("run id");
    assert!(output.status.success(), "id {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The phases of the outage, as the applicants' clients see them. The database is up.
const UP: u8 = 0;
/// `pg_ctl -m immediate stop` is running: a request may meet the database up or gone.
const STOPPING: u8 = 1;
/// The database is down: every request that needs it is refused.
const DOWN: u8 = 2;
/// The clients stop; the database is started again.
const OVER: u8 = 3;

fn phase_name(phase: u8) -> &'static str {
    match phase {
        UP => "the database was up",
        STOPPING => "the database was stopping",
        DOWN => "the database was down",
        _ => "the outage was over",
    }
}

/// What one applicant saw through the outage.
#[derive(Debug, Default)]
struct Outage {
    ledger: Ledger,
    /// Answers to requests sent while the database was down.
    refused: usize,
    /// The longest any of them took.
    slowest: Duration,
}

/// One applicant's requests from before the database goes until it is about to come back: edits while it is
/// up; edits, reads and sign-ins while it is down, each of which must be answered at once with 503 and
/// `Retry-After` in our error shape.
async fn edit_through_the_outage(
    base: String,
    n: usize,
    applicant: Applicant,
    phase: Arc<AtomicU8>,
    acknowledged: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
) -> Outage {
    let client = http_client();
    let mut outage = Outage::default();
    let until = Instant::now() + 2 * PATIENCE;
    for step in 0.. {
        let sent_in = phase.load(Ordering::SeqCst);
        if sent_in == OVER {
            break;
        }
        assert!(
            Instant::now() < until,
            "applicant {n}: the outage never ended"
        );
        // Once a change has gone unanswered, no other is sent until the database is surely down, so at most
        // one change per applicant is in doubt.
        let may_change = sent_in == UP || sent_in == DOWN || outage.ledger.in_flight.is_none();
        let path = format!("{base}/api/applications/{}", applicant.id);
        let (change, request) = match step % 4 {
            _ if !may_change || (sent_in == DOWN && step % 4 == 1) => {
                (None, client.get(&path).bearer_auth(&applicant.token))
            }
            2 if sent_in == DOWN => (
                None,
                client
                    .post(format!("{base}/api/auth/login"))
                    .json(&json!({"email": applicant.email, "password": PASSWORD})),
            ),
            _ => {
                let (change, body) = essay_edit(n, step);
                let request = change_request(&client, &base, &applicant, &change, body);
                (Some(change), request)
            }
        };
        let what = format!(
            "applicant {n}, request {step} ({change:?}), sent while {}",
            phase_name(sent_in)
        );
        let sent = Instant::now();
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{what}: the server must answer: {error}"));
        let took = sent.elapsed();
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .cloned();
        let text = response
            .text()
            .await
            .unwrap_or_else(|error| panic!("{what}: a whole answer: {error}"));
        if status.is_success() {
            assert_ne!(
                sent_in, DOWN,
                "{what}: answered {status} while the database was down: {text}"
            );
            if let Some(change) = change {
                outage.ledger.acknowledged.push(change);
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
            continue;
        }
        // A request sent while the database was up may meet it stopping; one answered while it was up
        // must not be refused.
        assert_ne!(
            phase.load(Ordering::SeqCst),
            UP,
            "{what}: refused while the database was up: {status} {text}"
        );
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: a request the database is gone for is refused with 503, took {took:?}: {text}"
        );
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{what}: the refusal is JSON: {text}"));
        assert_eq!(body["error"], "unavailable", "{what}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: the refusal says why: {body}"
        );
        assert!(
            retry_after.is_some(),
            "{what}: the refusal says when to try again (Retry-After)"
        );
        if sent_in == DOWN {
            outage.refused += 1;
            refused.fetch_add(1, Ordering::SeqCst);
            outage.slowest = outage.slowest.max(took);
        } else if let Some(change) = change {
            // Sent while the database was stopping: it may have committed before the answer was lost.
            outage.ledger.in_flight = Some(change);
        }
    }
    outage
}

/// Eight applicants edit their drafts on a PostgreSQL database that is stopped in immediate mode (a crash)
/// under them. While it is down every request is refused at once with 503 and `Retry-After`, never a 500 or
/// a hang; when it is started again the service recovers by itself, and every change acknowledged before the
/// outage is there, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crashing_under_load_is_answered_503_and_the_service_recovers_by_itself() {
    let cluster = PrivatePostgres::create();
    let store = Store::at(
        tempfile::tempdir().expect("a temporary folder"),
        cluster.url(),
        None,
    );
    let (server, _server_log) = store.serve_logging("serve.log").await;
    let _database_log = ShownOnFailure(cluster.log());
    let applicants = applicants(&server, "outage", CLIENTS).await;

    let phase = Arc::new(AtomicU8::new(UP));
    let counters = || -> Vec<Arc<AtomicUsize>> {
        (0..CLIENTS)
            .map(|_| Arc::new(AtomicUsize::new(0)))
            .collect()
    };
    let (acknowledged, refused) = (counters(), counters());
    let clients: Vec<_> = applicants
        .iter()
        .enumerate()
        .map(|(n, applicant)| {
            tokio::spawn(edit_through_the_outage(
                server.base.clone(),
                n,
                applicant.clone(),
                phase.clone(),
                acknowledged[n].clone(),
                refused[n].clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1)
        || acknowledged
            .iter()
            .any(|count| count.load(Ordering::SeqCst) < 5)
    {
        assert!(started.elapsed() < PATIENCE, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The database crashes under the load, and stays down until every applicant has been refused a few
    // requests sent while it was down.
    phase.store(STOPPING, Ordering::SeqCst);
    cluster.stop_immediately();
    phase.store(DOWN, Ordering::SeqCst);
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(1)
        || refused.iter().any(|count| count.load(Ordering::SeqCst) < 2)
    {
        assert!(
            down.elapsed() < PATIENCE,
            "requests during the outage are not answered: {:?} refused",
            refused
                .iter()
                .map(|count| count.load(Ordering::SeqCst))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    phase.store(OVER, Ordering::SeqCst);
    let mut outages = Vec::new();
    for client in clients {
        outages.push(client.await.expect("an applicant's requests end"));
    }
    let outage_lasted = down.elapsed();
    let refused: usize = outages.iter().map(|o| o.refused).sum();
    let slowest = outages.iter().map(|o| o.slowest).max().unwrap_or_default();
    eprintln!(
        "{} changes acknowledged before the crash, {} in doubt; {refused} requests refused in {:.1} s of \
         outage, the slowest answer in {slowest:?}",
        outages
            .iter()
            .map(|o| o.ledger.acknowledged.len())
            .sum::<usize>(),
        outages
            .iter()
            .filter(|o| o.ledger.in_flight.is_some())
            .count(),
        outage_lasted.as_secs_f64()
    );
    assert!(
        outages.iter().all(|o| o.refused > 0),
        "every applicant was answered while the database was down: {:?}",
        outages.iter().map(|o| o.refused).collect::<Vec<_>>()
    );
    // A request waits for a connection at most the pool's acquire timeout (a few seconds), then is refused:
    // it does not hang until the request timeout. The bound is generous; the point is the order of size.
    let bound = services::store::open::POSTGRES_ACQUIRE_TIMEOUT + Duration::from_secs(4);
    assert!(
        slowest < bound,
        "a request during the outage is refused within {bound:?}, not after {slowest:?}"
    );

    // The database comes back; the same server, never restarted, signs in and takes an edit by itself.
    cluster.start();
    let back = Instant::now();
    let first = &applicants[0];
    loop {
        let (status, body) = server.login(&first.email, PASSWORD).await;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "while the service recovers a sign-in is refused with 503 at worst: {body}"
        );
        assert!(
            back.elapsed() < PATIENCE,
            "the service did not recover by itself within {PATIENCE:?} of the database: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = back.elapsed();
    eprintln!("signed in {recovered:?} after the database was started again");
    let db = store.open().await;
    let ledgers: Vec<Ledger> = outages.into_iter().map(|o| o.ledger).collect();
    assert_every_acknowledged_change_is_kept_once(&server, &db, &applicants, &ledgers).await;
    for (n, applicant) in applicants.iter().enumerate() {
        let (change, body) = essay_edit(n, usize::MAX);
        let (status, answer) = server
            .send(
                Method::PATCH,
                &format!("/api/applications/{}", applicant.id),
                Some(&applicant.token),
                Some(body),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "applicant {n} edits after the outage: {answer}"
        );
        let Change::Essay(text) = change else {
            unreachable!("an essay edit")
        };
        assert_eq!(answer["essays"]["leadership"], text.as_str(), "{answer}");
    }
    let log = event_log(&db).await;
    assert_every_stream_is_numbered_from_one_without_gaps(&log);
    projections::on_pool!(&db, p => p.close().await);
    let mut seen = Vec::new();
    for applicant in &applicants {
        seen.push(shown(&server, applicant).await);
    }
    drop(server);
    // What the database recovered after the crash is consistent: the views are a replay of the log.
    assert_the_views_are_a_replay_of_the_log(&store, &applicants, &seen).await;
    drop(store);
    drop(cluster);
}

// ---------------------------------------------------------------------------------------------------------
// 3. A graceful stop (SIGTERM).
// ---------------------------------------------------------------------------------------------------------

/// How many requests the server's log says it has begun.
fn requests_begun(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("started processing request")
        .count()
}

/// Sign-ins (an argon2id hash each) and draft edits are under way when the server is told to stop with
/// SIGTERM: every one of them is answered in full and kept, the server exits 0, and then takes no more
/// connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_the_server_answers_the_requests_in_flight_exits_0_and_takes_no_more() {
    let store = Store::sqlite();
    let log = store.dir.path().join("serve.log");
    let mut server = Server::start_logging(
        store.dir.path(),
        &store.url,
        store.secrets(),
        Some((&log, "warn,tower_http=debug")),
    )
    .await;
    const DRAFTS: usize = 4;
    const SIGN_INS: usize = 12;
    let applicants = applicants(&server, "sigterm", DRAFTS).await;
    let answered = Arc::new(AtomicUsize::new(0));
    let begun = requests_begun(&log);

    let mut requests = tokio::task::JoinSet::new();
    for n in 0..SIGN_INS + DRAFTS {
        let (base, answered) = (server.base.clone(), answered.clone());
        let applicant = applicants[n % DRAFTS].clone();
        requests.spawn(async move {
            let client = http_client();
            let (what, request) = if n < SIGN_INS {
                let body = json!({"email": applicant.email, "password": PASSWORD});
                (
                    format!("sign-in {n} of {}", applicant.email),
                    client.post(format!("{base}/api/auth/login")).json(&body),
                )
            } else {
                let (_, body) = essay_edit(n, 0);
                (
                    format!("edit of draft {}", applicant.id),
                    client
                        .patch(format!("{base}/api/applications/{}", applicant.id))
                        .bearer_auth(&applicant.token)
                        .json(&body),
                )
            };
            let response = request
                .send()
                .await
                .unwrap_or_else(|error| panic!("{what}: no answer after the SIGTERM: {error}"));
            let status = response.status();
            let body: Value = response
                .json()
                .await
                .unwrap_or_else(|error| panic!("{what}: a whole JSON answer: {error}"));
            answered.fetch_add(1, Ordering::SeqCst);
            (n, what, status, body)
        });
    }
    // Every request has reached the server before it is told to stop.
    let sent = Instant::now();
    while requests_begun(&log) < begun + SIGN_INS + DRAFTS {
        assert!(
            sent.elapsed() < PATIENCE,
            "the server never began all the requests: {} of {}",
            requests_begun(&log) - begun,
            SIGN_INS + DRAFTS
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = server.child.id().to_string();
    let unanswered = SIGN_INS + DRAFTS - answered.load(Ordering::SeqCst);
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}: {status}");
    let signalled = Instant::now();

    let mut edited = Vec::new();
    while let Some(done) = requests.join_next().await {
        let (n, what, status, body) = done.expect("a request ends");
        assert_eq!(status, StatusCode::OK, "{what}: {body}");
        if n < SIGN_INS {
            assert!(
                body["token"].as_str().is_some_and(|t| !t.is_empty()),
                "{what}: the answer has its token: {body}"
            );
        } else {
            let Change::Essay(text) = essay_edit(n, 0).0 else {
                unreachable!("an essay edit")
            };
            assert_eq!(
                body["essays"]["leadership"],
                text.as_str(),
                "{what}: {body}"
            );
            edited.push(body["id"].as_str().expect("an id").to_string());
        }
    }
    let exited = loop {
        if let Some(status) = server.child.try_wait().expect("the server's status") {
            break status;
        }
        assert!(
            signalled.elapsed() < PATIENCE,
            "the server did not exit within {PATIENCE:?} of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "{unanswered} of {} requests unanswered at the SIGTERM; exited {:?} after it",
        SIGN_INS + DRAFTS,
        signalled.elapsed()
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        exited.code(),
        Some(0),
        "the server exits 0 after a SIGTERM: {exited}\nlog:\n{text}"
    );
    assert!(
        !text.contains("ERROR") && !text.contains("panicked"),
        "a graceful stop logs no error:\n{text}"
    );

    let address = server.base.trim_start_matches("http://").to_string();
    let refused = std::net::TcpStream::connect(&address);
    assert!(
        refused
            .as_ref()
            .is_err_and(|error| error.kind() == std::io::ErrorKind::ConnectionRefused),
        "after it exits no connection is taken at {address}: {refused:?}"
    );
    drop(server);

    // Each answered edit was kept.
    let db = store.open().await;
    let log = event_log(&db).await;
    assert_every_stream_is_numbered_from_one_without_gaps(&log);
    for id in edited {
        let saved = log
            .get(&("Application".to_string(), id.clone()))
            .map(|events| events.iter().filter(|(_, t)| t == "DraftSaved").count());
        assert_eq!(
            saved,
            Some(1),
            "the answered edit of {id} is in the log once"
        );
    }
    projections::on_pool!(&db, p => p.close().await);
}
