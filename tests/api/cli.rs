//! The `etp` command line, run as the real binary: the commands of CONTRACT.md's "Running" section, the
//! secrets it makes or insists on, and the staff accounts it creates (and refuses to create).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::postgres_admin_url;

pub(crate) const STAFF_PASSWORD: &str = "a long staff test password";
const STAFF_ROLES: [&str; 5] = [
    "helpdesk",
    "programme_officer",
    "committee_member",
    "information_officer",
    "admin",
];

/// The binary with a clean environment: only the store (and whatever `env` adds) is set, and it runs in
/// `dir`, so a default `data/` folder could never land in the source tree. On PostgreSQL, which has no
/// default ledger of destroyed streams, the ledger is `dir/destroyed-streams.ledger` (a test of the refusal
/// without one removes it).
pub(crate) fn etp(dir: &Path, database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_etp"));
    command
        .args(args)
        .current_dir(dir)
        .env("ETP_DATABASE_URL", database_url)
        .env_remove("ETP_JWT_SECRET")
        .env_remove("ETP_MASTER_KEY")
        .env_remove("ETP_BACKUP_KEY")
        .env_remove("ETP_BIND")
        .env_remove("ETP_LOG_FORMAT")
        .env_remove("ETP_METRICS_TOKEN")
        .env_remove("ETP_RETENTION_LEDGER")
        // Many tests register many applicants from one address; tests/api/hardening.rs sets its own limit.
        .env("ETP_REGISTRATIONS_PER_ADDRESS", "1000000")
        .env("RUST_LOG", "warn");
    if database_url.starts_with("postgres") {
        command.env("ETP_RETENTION_LEDGER", dir.join("destroyed-streams.ledger"));
    }
    command
}

/// Runs a command to the end, with `stdin` as its standard input (nothing when `None`).
pub(crate) fn run(mut command: Command, stdin: Option<&str>) -> Output {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start etp");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("a stdin pipe");
        // A command refused before it reads its input (an unknown role, say) closes the pipe first.
        if let Err(error) = pipe.write_all(text.as_bytes()) {
            assert_eq!(
                error.kind(),
                std::io::ErrorKind::BrokenPipe,
                "write the password"
            );
        }
    }
    child.wait_with_output().expect("etp ends")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `echo PASSWORD | etp users add --email E --role R --password-stdin`.
pub(crate) fn users_add(
    dir: &Path,
    database_url: &str,
    email: &str,
    role: &str,
    password: &str,
) -> Output {
    let command = etp(
        dir,
        database_url,
        &[
            "users",
            "add",
            "--email",
            email,
            "--role",
            role,
            "--password-stdin",
        ],
    );
    run(command, Some(&format!("{password}\n")))
}

#[track_caller]
pub(crate) fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} exits 0, got {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

#[track_caller]
pub(crate) fn assert_refused(output: &Output, what: &str) -> String {
    assert!(
        !output.status.success(),
        "{what} must be refused with a non-zero exit\nstdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    assert!(
        output.status.code().is_some(),
        "{what} exits, it is not killed by a signal (a panic that aborts)"
    );
    let message = stderr(output);
    assert!(
        !message.contains("panicked"),
        "{what} is refused with a message, not a panic: {message}"
    );
    message
}

pub(crate) fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/etp.db", dir.display())
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// `etp serve` on a free port of the store; stopped (killed) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) async fn start(
        dir: &Path,
        database_url: &str,
        secrets: Option<(&str, &str)>,
    ) -> Server {
        Self::start_logging(dir, database_url, secrets, None).await
    }

    /// As `start`, with the server's log (stdout and stderr) written to `log.0` at the filter `log.1`.
    pub(crate) async fn start_logging(
        dir: &Path,
        database_url: &str,
        secrets: Option<(&str, &str)>,
        log: Option<(&Path, &str)>,
    ) -> Server {
        Self::start_with(dir, database_url, secrets, log, &[]).await
    }

    /// As `start_logging`, with more variables set in the server's environment.
    pub(crate) async fn start_with(
        dir: &Path,
        database_url: &str,
        secrets: Option<(&str, &str)>,
        log: Option<(&Path, &str)>,
        env: &[(&str, &str)],
    ) -> Server {
        let port = free_port();
        let mut command = etp(dir, database_url, &["serve"]);
        command.envs(env.iter().copied());
        command
            .env("ETP_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((path, filter)) = log {
            let file = std::fs::File::create(path).expect("create the log file");
            command
                .env("RUST_LOG", filter)
                .stdout(file.try_clone().expect("the log file"))
                .stderr(file);
        }
        if let Some((jwt, master)) = secrets {
            command
                .env("ETP_JWT_SECRET", jwt)
                .env("ETP_MASTER_KEY", master);
        }
        let mut server = Server {
            child: command.spawn().expect("start etp serve"),
            base: format!("http://127.0.0.1:{port}"),
        };
        // A server on a new PostgreSQL database migrates it first (8 s on an idle two-core machine, three
        // or four times that with the rest of the suite running beside it): it is given a minute.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
                && response.status() == StatusCode::OK
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("etp serve stopped at once: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("etp serve did not come up at {}", server.base);
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub(crate) async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"email": email, "password": password});
        self.send(reqwest::Method::POST, "/api/auth/login", None, Some(body))
            .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new, empty PostgreSQL database, dropped (with any connections to it) when the guard is dropped.
pub(crate) struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub(crate) url: String,
}

impl PostgresDatabase {
    pub(crate) async fn create() -> PostgresDatabase {
        let admin_url = postgres_admin_url();
        let name = format!("etp_cli_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .unwrap_or_else(|error| {
                panic!("the PostgreSQL tests need a server at {admin_url} (set ETP_TEST_POSTGRES_URL): {error}")
            });
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&admin)
            .await
            .expect("create a test database");
        admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("ETP_TEST_POSTGRES_URL must name a database"),
        };
        PostgresDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime that must not be blocked: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&pool)
                            .await;
                }
            });
        })
        .join();
    }
}

#[test]
fn the_help_lists_the_server_and_the_administrative_commands() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(etp(dir.path(), &sqlite_url(dir.path()), &["--help"]), None);
    assert_success(&output, "etp --help");
    let help = stdout(&output);
    for command in ["serve", "migrate", "users", "projections"] {
        assert!(
            help.lines()
                .any(|line| line.trim_start().starts_with(command)),
            "etp --help lists {command}:\n{help}"
        );
    }

    let output = run(
        etp(dir.path(), &sqlite_url(dir.path()), &["users", "--help"]),
        None,
    );
    assert_success(&output, "etp users --help");
    let help = stdout(&output);
    assert!(
        help.lines()
            .any(|line| line.trim_start().starts_with("add")),
        "etp users --help lists add:\n{help}"
    );
    assert!(
        !dir.path().join("etp.db").exists(),
        "asking for help touches no store"
    );
}

#[test]
fn the_help_lists_every_command_the_contract_names() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(etp(dir.path(), &sqlite_url(dir.path()), &["--help"]), None);
    assert_success(&output, "etp --help");
    let help = stdout(&output);
    for command in [
        "serve",
        "migrate",
        "users",
        "retention",
        "projections",
        "demo",
    ] {
        assert!(
            help.lines()
                .any(|line| line.trim_start().starts_with(command)),
            "etp --help lists {command}:\n{help}"
        );
    }
}

#[tokio::test]
async fn a_staff_account_added_on_a_fresh_sqlite_store_can_sign_in_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let secrets = dir.path().join("etp-secrets.env");
    assert!(!secrets.exists());

    let output = users_add(
        dir.path(),
        &url,
        "officer.cli@example.test",
        "programme_officer",
        STAFF_PASSWORD,
    );
    assert_success(&output, "etp users add");
    let message = stderr(&output);
    assert!(
        message.contains("ETP_JWT_SECRET")
            && message.contains("ETP_MASTER_KEY")
            && message.contains("etp-secrets.env"),
        "stderr says the secrets were created and where: {message}"
    );
    assert!(secrets.exists(), "the secrets are beside the database");
    assert!(dir.path().join("etp.db").exists(), "the store was created");
    let text = std::fs::read_to_string(&secrets).unwrap();
    for name in ["ETP_JWT_SECRET=", "ETP_MASTER_KEY="] {
        let value = text
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("the secrets file has {name}"));
        assert!(value.len() >= 32, "{name} is a real secret");
        assert!(
            !message.contains(value) && !stdout(&output).contains(value),
            "the secrets themselves are never printed"
        );
    }
    let user_id = stdout(&output).trim().to_string();
    assert!(!user_id.is_empty(), "the new account's id is printed");

    let server = Server::start(dir.path(), &url, None).await;
    let (status, body) = server
        .login("officer.cli@example.test", STAFF_PASSWORD)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "programme_officer");
    assert_eq!(body["user_id"], user_id.as_str());
    assert!(body["token"].as_str().is_some_and(|t| !t.is_empty()));

    let (status, body) = server
        .login("officer.cli@example.test", &format!("{STAFF_PASSWORD}\n"))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the newline of `echo` is not part of the password: {body}"
    );
}

#[tokio::test]
async fn on_postgres_the_commands_work_with_the_secrets_set_and_refuse_to_start_without_them() {
    let database = PostgresDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let jwt = format!("cli-test-jwt-secret-{}", uuid::Uuid::new_v4().simple());
    let master = services::crypto::MasterKey::generate_hex();
    let with_secrets = |args: &[&str]| {
        let mut command = etp(dir.path(), &database.url, args);
        command
            .env("ETP_JWT_SECRET", &jwt)
            .env("ETP_MASTER_KEY", &master);
        command
    };

    let output = run(with_secrets(&["migrate"]), None);
    assert_success(&output, "etp migrate on PostgreSQL");
    let output = run(with_secrets(&["migrate"]), None);
    assert_success(&output, "etp migrate on PostgreSQL, again");

    let output = run(
        with_secrets(&[
            "users",
            "add",
            "--email",
            "officer.pg@example.test",
            "--role",
            "programme_officer",
            "--password-stdin",
        ]),
        Some(&format!("{STAFF_PASSWORD}\n")),
    );
    assert_success(&output, "etp users add on PostgreSQL");
    assert!(
        !dir.path().join("etp-secrets.env").exists(),
        "no secrets file is made when the secrets are set"
    );

    let server = Server::start(dir.path(), &database.url, Some((&jwt, &master))).await;
    let (status, body) = server
        .login("officer.pg@example.test", STAFF_PASSWORD)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "programme_officer");
    drop(server);

    let refusals = [
        ("serve", None, None),
        ("migrate", None, None),
        ("serve", Some(jwt.as_str()), None),
        ("serve", None, Some(master.as_str())),
    ];
    for (command, jwt, master) in refusals {
        let mut command_line = etp(dir.path(), &database.url, &[command]);
        command_line.env("ETP_BIND", format!("127.0.0.1:{}", free_port()));
        if let Some(jwt) = jwt {
            command_line.env("ETP_JWT_SECRET", jwt);
        }
        if let Some(master) = master {
            command_line.env("ETP_MASTER_KEY", master);
        }
        let what = format!(
            "etp {command} on PostgreSQL with ETP_JWT_SECRET {} and ETP_MASTER_KEY {}",
            if jwt.is_some() { "set" } else { "unset" },
            if master.is_some() { "set" } else { "unset" },
        );
        let message = assert_refused(&run(command_line, None), &what);
        assert!(
            message.contains("ETP_MASTER_KEY") || message.contains("ETP_JWT_SECRET"),
            "{what}: the message names the missing secret: {message}"
        );
    }
    assert!(
        !dir.path().join("etp-secrets.env").exists(),
        "no secrets file is made for PostgreSQL"
    );
}

#[tokio::test]
async fn a_short_jwt_secret_or_a_bad_master_key_is_refused_at_start() {
    let database = PostgresDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let good_master = services::crypto::MasterKey::generate_hex();
    let good_jwt = "a jwt secret of at least thirty-two bytes".to_string();
    for (jwt, master, named) in [
        (
            "thirty-one bytes is too short..",
            good_master.as_str(),
            "ETP_JWT_SECRET",
        ),
        (good_jwt.as_str(), "not hex at all", "ETP_MASTER_KEY"),
        (good_jwt.as_str(), "abcd", "ETP_MASTER_KEY"),
    ] {
        let mut command = etp(dir.path(), &database.url, &["migrate"]);
        command
            .env("ETP_JWT_SECRET", jwt)
            .env("ETP_MASTER_KEY", master);
        let message = assert_refused(&run(command, None), &format!("a bad {named}"));
        assert!(
            message.contains(named),
            "the message names {named}: {message}"
        );
    }
}

#[test]
fn an_unknown_role_is_refused_with_the_roles_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let output = users_add(
        dir.path(),
        &url,
        "someone@example.test",
        "superuser",
        STAFF_PASSWORD,
    );
    let message = assert_refused(&output, "an unknown role");
    for role in STAFF_ROLES {
        assert!(
            message.contains(role),
            "the message names {role}: {message}"
        );
    }
}

#[test]
fn the_applicant_role_is_refused_because_applicants_register_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let output = users_add(
        dir.path(),
        &url,
        "applicant.cli@example.test",
        "applicant",
        STAFF_PASSWORD,
    );
    let message = assert_refused(&output, "the applicant role");
    assert!(
        message.contains("programme_officer"),
        "the message names the staff roles: {message}"
    );
    let output = users_add(
        dir.path(),
        &url,
        "applicant.cli@example.test",
        "helpdesk",
        STAFF_PASSWORD,
    );
    assert_success(
        &output,
        "the same email with a staff role, as nothing was made",
    );
}

#[test]
fn a_password_under_twelve_characters_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let output = users_add(
        dir.path(),
        &url,
        "short@example.test",
        "admin",
        "elevenchars",
    );
    let message = assert_refused(&output, "an eleven-character password");
    assert!(
        message.contains("password"),
        "the message says why: {message}"
    );

    let output = users_add(dir.path(), &url, "short@example.test", "admin", "");
    assert_refused(&output, "an empty password");

    let output = users_add(
        dir.path(),
        &url,
        "short@example.test",
        "admin",
        "twelve chars",
    );
    assert_success(&output, "a twelve-character password, the email still free");
}

#[test]
fn a_bad_email_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    for email in [
        "not-an-email",
        "two@@example.test",
        "",
        "spaces in@example.test",
    ] {
        let output = users_add(dir.path(), &url, email, "helpdesk", STAFF_PASSWORD);
        let message = assert_refused(&output, &format!("the email {email:?}"));
        assert!(message.contains("email"), "the message says why: {message}");
    }
}

#[test]
fn the_same_email_cannot_be_added_twice_whatever_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let first = users_add(
        dir.path(),
        &url,
        "twice@example.test",
        "helpdesk",
        STAFF_PASSWORD,
    );
    assert_success(&first, "the first account");
    let second = users_add(
        dir.path(),
        &url,
        "twice@example.test",
        "admin",
        STAFF_PASSWORD,
    );
    let message = assert_refused(&second, "the same email again");
    assert!(
        message.contains("already exists"),
        "the message says why: {message}"
    );
    let third = users_add(
        dir.path(),
        &url,
        "TWICE@Example.test",
        "admin",
        STAFF_PASSWORD,
    );
    assert_refused(&third, "the same email in capitals");
}

#[test]
fn users_add_without_password_stdin_is_refused_and_never_reads_a_password_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let command = etp(
        dir.path(),
        &url,
        &[
            "users",
            "add",
            "--email",
            "nostdin@example.test",
            "--role",
            "helpdesk",
        ],
    );
    let message = assert_refused(
        &run(command, Some(STAFF_PASSWORD)),
        "users add without --password-stdin",
    );
    assert!(
        message.contains("--password-stdin"),
        "the message names the missing flag: {message}"
    );
    let command = etp(
        dir.path(),
        &url,
        &[
            "users",
            "add",
            "--email",
            "nostdin@example.test",
            "--role",
            "helpdesk",
            "--password",
            STAFF_PASSWORD,
        ],
    );
    assert_refused(&run(command, None), "a password on the command line");
    let output = users_add(
        dir.path(),
        &url,
        "nostdin@example.test",
        "helpdesk",
        STAFF_PASSWORD,
    );
    assert_success(&output, "the email is still free");
}

#[test]
fn migrate_can_run_twice_on_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let first = run(etp(dir.path(), &url, &["migrate"]), None);
    assert_success(&first, "the first etp migrate");
    assert!(dir.path().join("etp.db").exists(), "the store was created");
    let second = run(etp(dir.path(), &url, &["migrate"]), None);
    assert_success(&second, "the second etp migrate");
    let output = users_add(
        dir.path(),
        &url,
        "after.migrate@example.test",
        "admin",
        STAFF_PASSWORD,
    );
    assert_success(&output, "a store migrated twice still works");
}

#[tokio::test]
async fn projections_rebuild_replays_every_event_and_the_views_come_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    assert_success(
        &users_add(
            dir.path(),
            &url,
            "officer.rebuild@example.test",
            "programme_officer",
            STAFF_PASSWORD,
        ),
        "etp users add",
    );

    let server = Server::start(dir.path(), &url, None).await;
    let register = json!({"email": "rebuild.applicant@example.test", "password": STAFF_PASSWORD, "full_name": "Test Rebuild Applicant"});
    let (status, body) = server
        .send(
            reqwest::Method::POST,
            "/api/auth/register",
            None,
            Some(register),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, applicant) = server
        .login("rebuild.applicant@example.test", STAFF_PASSWORD)
        .await;
    let applicant = applicant["token"].as_str().expect("a token").to_string();
    let (_, officer) = server
        .login("officer.rebuild@example.test", STAFF_PASSWORD)
        .await;
    let officer = officer["token"].as_str().expect("a token").to_string();
    let (status, created) = server
        .send(
            reqwest::Method::POST,
            "/api/applications",
            Some(&applicant),
            Some(json!({"cycle": "2026-27"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("an id").to_string();
    let path = format!("/api/applications/{id}");
    let (status, body) = server
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&applicant),
            Some(crate::helpers::complete_form()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .send(
            reqwest::Method::POST,
            &format!("{path}/submit"),
            Some(&applicant),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, before) = server
        .send(reqwest::Method::GET, &path, Some(&officer), None)
        .await;
    let (_, history) = server
        .send(
            reqwest::Method::GET,
            &format!("{path}/history"),
            Some(&officer),
            None,
        )
        .await;
    let events = history.as_array().expect("a history").len();
    assert_eq!(
        events, 4,
        "started, saved, submitted with the privacy notice accepted: {history}"
    );
    drop(server);

    let output = run(etp(dir.path(), &url, &["projections", "rebuild"]), None);
    assert_success(&output, "etp projections rebuild");
    let printed = stdout(&output);
    assert!(
        printed.contains(&format!("{events} events")),
        "it prints how many events it replayed ({events}): {printed}"
    );
    let again = run(etp(dir.path(), &url, &["projections", "rebuild"]), None);
    assert_success(&again, "a second etp projections rebuild");
    assert_eq!(stdout(&again), printed, "a rebuild replays the same log");

    let server = Server::start(dir.path(), &url, None).await;
    let (_, officer) = server
        .login("officer.rebuild@example.test", STAFF_PASSWORD)
        .await;
    let officer = officer["token"].as_str().expect("a token").to_string();
    let (status, after) = server
        .send(reqwest::Method::GET, &path, Some(&officer), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(before, after, "the rebuilt view equals the one before");
    assert_eq!(after["status"], "submitted");
}

#[test]
fn projections_rebuild_on_an_empty_store_replays_nothing_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let output = run(etp(dir.path(), &url, &["projections", "rebuild"]), None);
    assert_success(&output, "etp projections rebuild on an empty store");
    assert!(
        stdout(&output).contains("0 events"),
        "it says it replayed nothing: {}",
        stdout(&output)
    );
}

#[tokio::test]
async fn demo_seed_makes_made_up_applications_at_every_stage_through_the_ordinary_commands() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    let output = run(
        etp(dir.path(), &url, &["demo", "seed", "--applications", "60"]),
        None,
    );
    assert_success(&output, "etp demo seed");
    let text = stdout(&output);
    assert!(text.contains("seeded 60 made-up applications"), "{text}");

    let db = services::store::connect(&url)
        .await
        .expect("the seeded store");
    let statuses: Vec<(String, i64)> = projections::on_pool!(&db, p => sqlx::query_as(
        "SELECT status, COUNT(*) FROM case_list GROUP BY status ORDER BY status")
        .fetch_all(p).await.expect("the case list"));
    let statuses: std::collections::BTreeMap<String, i64> = statuses.into_iter().collect();
    for status in [
        "alumni",
        "awarded",
        "draft",
        "eligible",
        "ineligible",
        "reserve",
        "selected",
        "submitted",
        "under_review",
        "unsuccessful",
        "withdrawn",
    ] {
        assert!(
            statuses.get(status).is_some_and(|n| *n > 0),
            "every stage of the lifecycle is there, {status} too: {statuses:?}"
        );
    }
    assert_eq!(statuses.values().sum::<i64>(), 60);
    let unsuccessful = statuses["unsuccessful"];
    assert!(
        statuses
            .iter()
            .all(|(status, n)| status == "unsuccessful" || *n < unsuccessful),
        "most applications are unsuccessful, as in a real year: {statuses:?}"
    );
    let countries: i64 = projections::on_pool!(&db, p => sqlx::query_scalar(
        "SELECT COUNT(DISTINCT country_of_residence) FROM case_list").fetch_one(p).await.expect("countries"));
    assert!(
        countries >= 10,
        "applicants from many countries: {countries}"
    );
    let names: Vec<String> = projections::on_pool!(&db, p => sqlx::query_scalar(
        "SELECT full_name FROM case_list ORDER BY full_name").fetch_all(p).await.expect("names"));
    assert!(
        names.iter().all(|name| name.starts_with("Demo Applicant ")),
        "{names:?}"
    );
    let records: i64 = projections::on_pool!(&db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM immigration_records").fetch_one(p).await.expect("records"));
    let scholars = statuses["awarded"] + statuses["alumni"];
    assert_eq!(records, scholars, "an immigration record for each scholar");
    assert!(
        text.contains(&format!("{scholars} disclosures")),
        "each scholar's details went to the mission where they live: {text}"
    );
    let rebuilt = run(etp(dir.path(), &url, &["projections", "rebuild"]), None);
    assert_success(&rebuilt, "a rebuild of the seeded store");
}

#[tokio::test]
async fn demo_seed_with_a_password_names_an_account_of_each_demo_role_that_signs_in_with_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    let password = "a demo passphrase for the tests";
    let output = run(
        etp(
            dir.path(),
            &url,
            &["demo", "seed", "--applications", "3", "--password-stdin"],
        ),
        Some(&format!("{password}\n")),
    );
    assert_success(&output, "etp demo seed --password-stdin");
    let text = stdout(&output);
    assert!(
        !text.contains(password) && !stderr(&output).contains(password),
        "the password is never printed: {text}"
    );
    let account = |role: &str| {
        text.lines()
            .find(|line| line.trim_start().starts_with(&format!("{role} ")))
            .and_then(|line| line.split_whitespace().nth(1))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("a {role} account is named: {text}"))
    };
    let server = Server::start(dir.path(), &url, None).await;
    for role in [
        "programme_officer",
        "helpdesk",
        "information_officer",
        "admin",
        "committee_member",
        "applicant",
    ] {
        let email = account(role);
        let (status, body) = server.login(&email, password).await;
        assert_eq!(status, StatusCode::OK, "{role} {email}: {body}");
        assert_eq!(body["role"], role, "{email}");
    }
    let (status, _) = server
        .login(&account("admin"), "not the demo password at all")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "only that password");

    let short = run(
        etp(
            dir.path(),
            &url,
            &["demo", "seed", "--applications", "1", "--password-stdin"],
        ),
        Some("short\n"),
    );
    let message = assert_refused(&short, "etp demo seed with a password too short");
    assert!(message.contains("password"), "{message}");
}

#[tokio::test]
async fn demo_seed_without_a_password_says_how_to_sign_in_and_shows_no_password() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    let output = run(
        etp(dir.path(), &url, &["demo", "seed", "--applications", "2"]),
        None,
    );
    assert_success(&output, "etp demo seed");
    let text = stdout(&output);
    assert!(text.contains("--password-stdin"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.trim_start().starts_with("admin ") && line.contains("@example.test")),
        "{text}"
    );
}

#[tokio::test]
async fn calendar_add_proclaims_a_day_and_the_open_requests_dates_move() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    let email = "information.cli@example.test";
    assert_success(
        &users_add(
            dir.path(),
            &url,
            email,
            "information_officer",
            STAFF_PASSWORD,
        ),
        "etp users add",
    );
    let server = Server::start(dir.path(), &url, None).await;
    let (_, login) = server.login(email, STAFF_PASSWORD).await;
    let token = login["token"].as_str().expect("a token").to_string();
    let body = json!({
        "kind": "foi", "received_on": "2026-11-02",
        "requester": {"name": "Test Requester", "email": "requester@example.test"},
        "description": "Test: statistics",
    });
    let (status, logged) = server
        .send(
            reqwest::Method::POST,
            "/api/information-requests",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    assert_eq!(
        logged["due_on"], "2026-12-01",
        "St Andrew's Day, 30 November, is not a working day: {logged}"
    );
    let id = logged["id"].as_str().unwrap().to_string();

    let output = run(
        etp(
            dir.path(),
            &url,
            &[
                "calendar",
                "add",
                "--date",
                "2026-11-10",
                "--region",
                "scotland",
                "--name",
                "Test Proclaimed Day",
            ],
        ),
        None,
    );
    assert_success(&output, "etp calendar add");
    let text = stdout(&output);
    assert!(
        text.contains("added 2026-11-10 in scotland: Test Proclaimed Day"),
        "{text}"
    );
    assert!(
        text.contains(&format!("request {id} (foi): due 2026-12-02")),
        "the open request's new date is printed: {text}"
    );
    let (_, shown) = server
        .send(
            reqwest::Method::GET,
            &format!("/api/information-requests/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        shown["due_on"], "2026-12-02",
        "the server counts in the calendar as it now stands"
    );

    let again = run(
        etp(
            dir.path(),
            &url,
            &[
                "calendar",
                "add",
                "--date",
                "2026-11-10",
                "--region",
                "scotland",
                "--name",
                "Again",
            ],
        ),
        None,
    );
    assert_success(&again, "adding the same day twice");
    assert!(stdout(&again).contains("already a holiday"));
    let listed = run(
        etp(dir.path(), &url, &["calendar", "list", "--year", "2026"]),
        None,
    );
    assert_success(&listed, "etp calendar list");
    assert!(stdout(&listed).contains("2026-11-10\tscotland\tTest Proclaimed Day"));
    assert!(stdout(&listed).contains("2026-12-25\tengland-and-wales"));

    for (args, what) in [
        (
            vec!["--date", "2026-11-11", "--region", "wales", "--name", "x"],
            "a region that is not one of the three",
        ),
        (
            vec![
                "--date",
                "11/11/2026",
                "--region",
                "scotland",
                "--name",
                "x",
            ],
            "a date not written YYYY-MM-DD",
        ),
        (
            vec![
                "--date",
                "2026-11-11",
                "--region",
                "scotland",
                "--name",
                " ",
            ],
            "no name",
        ),
        (
            vec![
                "--date",
                "2014-11-11",
                "--region",
                "scotland",
                "--name",
                "x",
            ],
            "a year before the calendar",
        ),
    ] {
        let mut full = vec!["calendar", "add"];
        full.extend(args);
        let message = assert_refused(&run(etp(dir.path(), &url, &full), None), what);
        assert!(!message.is_empty(), "{what}: a message says why");
    }
    let (_, shown) = server
        .send(
            reqwest::Method::GET,
            &format!("/api/information-requests/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(shown["due_on"], "2026-12-02", "nothing refused was added");
}

/// Two `etp serve` processes on one PostgreSQL database, both taking edits to the same drafts at once: every
/// acknowledged edit is in the log exactly once, both servers answer with the same applications, a server
/// that did not see a change refuses what the change forbids, and the views are what a rebuild of the log
/// makes of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_database_under_load_give_the_results_of_one() {
    let database = PostgresDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let jwt = format!("cli-test-jwt-secret-{}", uuid::Uuid::new_v4().simple());
    let master = services::crypto::MasterKey::generate_hex();
    let with_secrets = |args: &[&str]| {
        let mut command = etp(dir.path(), &database.url, args);
        command
            .env("ETP_JWT_SECRET", &jwt)
            .env("ETP_MASTER_KEY", &master);
        command
    };
    assert_success(&run(with_secrets(&["migrate"]), None), "etp migrate");
    let officer_email = "officer.two.servers@example.test";
    let output = run(
        with_secrets(&[
            "users",
            "add",
            "--email",
            officer_email,
            "--role",
            "programme_officer",
            "--password-stdin",
        ]),
        Some(&format!("{STAFF_PASSWORD}\n")),
    );
    assert_success(&output, "etp users add");
    let secrets = Some((jwt.as_str(), master.as_str()));
    let servers = std::sync::Arc::new([
        Server::start(dir.path(), &database.url, secrets).await,
        Server::start(dir.path(), &database.url, secrets).await,
    ]);

    // Applicants sign up on either server; each starts a draft.
    const APPLICANTS: usize = 6;
    let mut drafts = Vec::new();
    for n in 0..APPLICANTS {
        let server = &servers[n % 2];
        let email = format!("two.servers.{n}@example.test");
        let register = json!({"email": email, "password": STAFF_PASSWORD, "full_name": format!("Test Two Servers {n}")});
        let (status, body) = server
            .send(
                reqwest::Method::POST,
                "/api/auth/register",
                None,
                Some(register),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, login) = server.login(&email, STAFF_PASSWORD).await;
        let token = login["token"].as_str().expect("a token").to_string();
        let (status, created) = server
            .send(
                reqwest::Method::POST,
                "/api/applications",
                Some(&token),
                Some(json!({"cycle": "2026-27"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        drafts.push((token, created["id"].as_str().expect("an id").to_string()));
    }
    let drafts = std::sync::Arc::new(drafts);

    // Four writers per draft, two on each server, edit at once. The store resolves each race between the
    // servers: the loser runs again on the new state, and after a few lost races is refused 409 `conflict`,
    // so every edit is either acknowledged (and kept) or refused (and not kept).
    const EDITS: usize = 15;
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..APPLICANTS * 4 {
        let (servers, drafts) = (servers.clone(), drafts.clone());
        writers.spawn(async move {
            let draft = writer % APPLICANTS;
            let (token, id) = &drafts[draft];
            let server = &servers[writer % 2];
            let mut kept = 0;
            for edit in 0..EDITS {
                let body =
                    json!({"personal": {"address": format!("{writer} Test Road, edit {edit}")}});
                let (status, answer) = server
                    .send(
                        reqwest::Method::PATCH,
                        &format!("/api/applications/{id}"),
                        Some(token),
                        Some(body),
                    )
                    .await;
                match status {
                    StatusCode::OK => kept += 1,
                    StatusCode::CONFLICT => assert_eq!(answer["error"], "conflict", "{answer}"),
                    other => panic!("edit {edit} of writer {writer}: {other} {answer}"),
                }
            }
            (draft, kept)
        });
    }
    let mut acknowledged = [0usize; APPLICANTS];
    while let Some(done) = writers.join_next().await {
        let (draft, kept) = done.expect("a writer finishes");
        acknowledged[draft] += kept;
    }
    assert!(
        acknowledged.iter().sum::<usize>() >= APPLICANTS * 4 * EDITS / 2,
        "most edits are acknowledged: {acknowledged:?}"
    );

    let (_, officer) = servers[0].login(officer_email, STAFF_PASSWORD).await;
    let officer = officer["token"].as_str().expect("a token").to_string();
    let mut seen = Vec::new();
    for ((_, id), acknowledged) in drafts.iter().zip(acknowledged) {
        let path = format!("/api/applications/{id}");
        let (status, on_first) = servers[0]
            .send(reqwest::Method::GET, &path, Some(&officer), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{on_first}");
        let (_, on_second) = servers[1]
            .send(reqwest::Method::GET, &path, Some(&officer), None)
            .await;
        assert_eq!(
            on_first, on_second,
            "both servers show the same application"
        );
        let (_, history) = servers[1]
            .send(
                reqwest::Method::GET,
                &format!("{path}/history"),
                Some(&officer),
                None,
            )
            .await;
        let events = history.as_array().expect("a history");
        assert_eq!(
            events.len(),
            1 + acknowledged,
            "the start and every acknowledged edit, once each: {history}"
        );
        let sequences: Vec<i64> = events
            .iter()
            .map(|event| event["sequence"].as_i64().expect("a sequence"))
            .collect();
        assert_eq!(
            sequences,
            (1..=(1 + acknowledged) as i64).collect::<Vec<_>>()
        );
        seen.push((path, on_first));
    }

    // A change made through one server is seen by the other at once, whatever it remembered: the draft is
    // withdrawn through the second server, and the first (which edited it last) refuses a further edit.
    let (token, id) = &drafts[0];
    let path = format!("/api/applications/{id}");
    let (status, body) = servers[0]
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(token),
            Some(json!({"personal": {"address": "1 Last Edit Road"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = servers[1]
        .send(
            reqwest::Method::POST,
            &format!("{path}/withdraw"),
            Some(token),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = servers[0]
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(token),
            Some(json!({"personal": {"address": "2 Too Late Road"}})),
        )
        .await;
    assert!(
        status.is_client_error(),
        "an edit after the withdrawal is refused by the other server: {status} {body}"
    );
    let (_, withdrawn) = servers[0]
        .send(reqwest::Method::GET, &path, Some(&officer), None)
        .await;
    assert_eq!(withdrawn["status"], "withdrawn", "{withdrawn}");
    seen[0].1 = withdrawn;

    // The views the two servers kept up are the views a rebuild makes from the log.
    let output = run(with_secrets(&["projections", "rebuild"]), None);
    assert_success(&output, "etp projections rebuild");
    for (path, before) in &seen {
        let (_, after) = servers[1]
            .send(reqwest::Method::GET, path, Some(&officer), None)
            .await;
        assert_eq!(
            &after, before,
            "the view of {path} is what the log makes of it"
        );
    }
    let (status, list) = servers[0]
        .send(
            reqwest::Method::GET,
            "/api/applications?cycle=2026-27",
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(APPLICANTS),
        "the case list has each application once: {list}"
    );
}

/// `etp … | head`: a reader that stops reading ends the command quietly, with no panic.
#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    assert_success(
        &run(etp(dir.path(), &url, &["migrate"]), None),
        "etp migrate",
    );
    let mut child = etp(dir.path(), &url, &["calendar", "list", "--year", "2027"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start etp calendar list");
    // The reading end is closed before the command writes its first line.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("etp ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
}

/// What the server wrote to its log so far.
fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits (up to 20 seconds) until the log holds `text`.
async fn wait_for_log(path: &Path, text: &str) {
    for _ in 0..400 {
        if log_of(path).contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the log never said {text:?}:\n{}", log_of(path));
}

/// The value of one counter of the server's metrics (0 where it has no sample yet).
async fn counter(server: &Server, sample: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", server.base))
        .await
        .expect("the metrics answer")
        .text()
        .await
        .expect("a body");
    text.lines()
        .find_map(|line| line.strip_prefix(sample))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The daily retention sweep runs on one server at a time: while another holds the PostgreSQL advisory lock,
/// a server starting up does not sweep; once it is free, a server sweeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_sweep_runs_on_one_server_at_a_time_through_the_advisory_lock() {
    let database = PostgresDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let jwt = format!("cli-test-jwt-secret-{}", uuid::Uuid::new_v4().simple());
    let master = services::crypto::MasterKey::generate_hex();
    let secrets = Some((jwt.as_str(), master.as_str()));
    let mut migrate = etp(dir.path(), &database.url, &["migrate"]);
    migrate
        .env("ETP_JWT_SECRET", &jwt)
        .env("ETP_MASTER_KEY", &master);
    assert_success(&run(migrate, None), "etp migrate");
    let completed = "etp_retention_sweeps_total{outcome=\"completed\"}";

    // Another instance is sweeping: it holds the lock.
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(services::cli::SWEEP_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    let log = dir.path().join("first.log");
    let first =
        Server::start_logging(dir.path(), &database.url, secrets, Some((&log, "info"))).await;
    wait_for_log(
        &log,
        "the daily retention sweep is running on another instance",
    )
    .await;
    assert_eq!(counter(&first, completed).await, 0.0, "{}", log_of(&log));

    // The lock is free again: the next server to start sweeps.
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(services::cli::SWEEP_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    drop(holder);
    let log = dir.path().join("second.log");
    let second =
        Server::start_logging(dir.path(), &database.url, secrets, Some((&log, "info"))).await;
    for _ in 0..400 {
        if counter(&second, completed).await >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(counter(&second, completed).await, 1.0, "{}", log_of(&log));
    assert!(!log_of(&log).contains("running on another instance"));
    assert_eq!(counter(&first, completed).await, 0.0);
    pool.close().await;
}

/// A store that fails in the middle of a command: the operator reads the cause, not the sentence a client
/// would be given.
#[tokio::test]
async fn a_store_failure_in_a_command_prints_its_real_cause() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    assert_success(
        &run(etp(dir.path(), &url, &["migrate"]), None),
        "etp migrate",
    );
    {
        let db = services::store::connect(&url)
            .await
            .expect("the store opens");
        let projections::Db::Sqlite(pool) = &db else {
            panic!("a SQLite store")
        };
        sqlx::query("DROP TABLE information_requests")
            .execute(pool)
            .await
            .expect("the view is dropped");
        pool.close().await;
    }
    let output = run(
        etp(
            dir.path(),
            &url,
            &[
                "calendar",
                "add",
                "--date",
                "2026-11-10",
                "--region",
                "scotland",
                "--name",
                "Test Proclaimed Day",
            ],
        ),
        None,
    );
    let message = assert_refused(&output, "a command whose store fails");
    assert!(
        message.contains("no such table: information_requests"),
        "the cause is printed: {message}"
    );
    assert!(
        !message.contains("something went wrong on our side"),
        "not the client's sentence: {message}"
    );
}

/// A database that cannot be reached at all: the command says which setting names it and why it failed.
#[test]
fn an_unreachable_database_is_named_with_its_cause() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Port 9 (discard) on the loopback: nothing listens there, so every connection is refused.
    let url = "postgres://postgres@127.0.0.1:9/etp_unreachable";
    let mut command = etp(dir.path(), url, &["migrate"]);
    command
        .env(
            "ETP_JWT_SECRET",
            "a jwt secret of at least thirty-two bytes",
        )
        .env(
            "ETP_MASTER_KEY",
            services::crypto::MasterKey::generate_hex(),
        );
    let message = assert_refused(&run(command, None), "a command on an unreachable database");
    assert!(
        message.contains("cannot connect to PostgreSQL at ETP_DATABASE_URL"),
        "{message}"
    );
    assert!(
        message.to_lowercase().contains("refused"),
        "the cause is printed: {message}"
    );
}
