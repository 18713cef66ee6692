//! Backups, through the real binary on SQLite and on PostgreSQL. A backup is encrypted: no personal value,
//! database header or SQL of the store is in it in clear; it restores under the key it was made under, and
//! a restore refuses a backup made under another key, or a plain copy, leaving the store as it was. The
//! restore drill: `etp backup` while the store holds a programme, a retention sweep after it, `etp restore`
//! of the backup, and nothing the sweep destroyed comes back: the ledger is re-applied as the restore ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::cli::{PostgresDatabase, Server, assert_refused, assert_success, etp, run, sqlite_url};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The day after which a seeded store has records due (25 months on).
fn later() -> String {
    (chrono::Utc::now().date_naive() + chrono::Months::new(25)).to_string()
}

/// The streams a sweep's output says it destroyed (or would), in order.
fn destroyed(output: &Output, verb: &str) -> Vec<String> {
    stdout(output)
        .lines()
        .filter_map(|line| line.strip_prefix(verb))
        // One line per stream names its rule in brackets; the summary line does not.
        .filter(|rest| rest.contains(" ("))
        .map(|rest| {
            rest.split(" (")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect()
}

fn drill(command: &dyn Fn(&[&str]) -> Command, backups: &Path) {
    assert_success(
        &run(command(&["demo", "seed", "--applications", "12"]), None),
        "etp demo seed",
    );
    let backup = backups.join("etp-backup");
    let backup = backup.to_str().unwrap();
    assert_success(
        &run(command(&["backup", "--to", backup]), None),
        "etp backup",
    );
    assert!(
        std::fs::read(backup)
            .unwrap()
            .starts_with(b"age-encryption.org/v1\n"),
        "a backup is an age file"
    );
    let again = run(command(&["backup", "--to", backup]), None);
    assert!(!again.status.success(), "a backup never overwrites a file");

    let as_of = later();
    let sweep = run(command(&["retention", "sweep", "--as-of", &as_of]), None);
    assert_success(&sweep, "etp retention sweep");
    let swept = destroyed(&sweep, "destroyed ");
    assert!(
        !swept.is_empty(),
        "the seeded store has records due: {}",
        stdout(&sweep)
    );

    let refused = run(command(&["restore", "--from", backup]), None);
    assert!(
        !refused.status.success(),
        "a store that holds data is not replaced without --force"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));

    let restored = run(command(&["restore", "--from", backup, "--force"]), None);
    assert_success(&restored, "etp restore");
    assert!(
        stdout(&restored).contains(&format!(
            "destroyed again from the ledger: {} streams",
            swept.len()
        )),
        "{}",
        stdout(&restored)
    );

    // Nothing the sweep destroyed is back: as of the same day, nothing more is due.
    let dry = run(
        command(&["retention", "sweep", "--as-of", &as_of, "--dry-run"]),
        None,
    );
    assert_success(&dry, "etp retention sweep --dry-run");
    assert!(
        destroyed(&dry, "would destroy ").is_empty(),
        "after the restore nothing destroyed is due again: {}",
        stdout(&dry)
    );
    // And the restored store's views agree with its log.
    assert_success(
        &run(command(&["projections", "rebuild"]), None),
        "etp projections rebuild",
    );
}

#[test]
fn a_restored_sqlite_store_destroys_again_what_was_destroyed_after_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    drill(&|args| etp(dir.path(), &url, args), backups.path());
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .any(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("etp.db.replaced-")
        });
    assert!(aside, "the replaced store was moved aside, not deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restored_postgres_store_destroys_again_what_was_destroyed_after_its_backup() {
    let database = PostgresDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let jwt = format!("cli-test-jwt-secret-{}", uuid::Uuid::new_v4().simple());
    let master = services::crypto::MasterKey::generate_hex();
    let ledger = dir.path().join("ledger");
    let url = database.url.clone();
    let with_secrets = |args: &[&str]| {
        let mut command = etp(dir.path(), &url, args);
        command
            .env("ETP_JWT_SECRET", &jwt)
            .env("ETP_MASTER_KEY", &master)
            .env("ETP_RETENTION_LEDGER", &ledger);
        command
    };
    tokio::task::block_in_place(|| drill(&with_secrets, backups.path()));
}

// ---------------------------------------------------------------------------------------------------------
// The backup is encrypted

const JWT: &str = "a jwt secret for the backup tests, 32 bytes or more";
const APPLICANT_PASSWORD: &str = "a long applicant test password";

/// A store the binary runs on, and everything it is run with but its keys.
struct Store {
    dir: tempfile::TempDir,
    url: String,
    postgres: Option<PostgresDatabase>,
}

impl Store {
    async fn new(postgres: bool) -> Store {
        let dir = tempfile::tempdir().unwrap();
        if postgres {
            let database = PostgresDatabase::create().await;
            Store {
                url: database.url.clone(),
                dir,
                postgres: Some(database),
            }
        } else {
            Store {
                url: sqlite_url(dir.path()),
                dir,
                postgres: None,
            }
        }
    }

    fn ledger(&self) -> PathBuf {
        self.dir.path().join("destroyed-streams.ledger")
    }

    /// `etp ARGS` on this store, with the master key and, when given, a backup key.
    fn etp(&self, master: &str, backup_key: Option<&str>, args: &[&str]) -> Output {
        let mut command = etp(self.dir.path(), &self.url, args);
        command
            .env("ETP_JWT_SECRET", JWT)
            .env("ETP_MASTER_KEY", master)
            .env("ETP_RETENTION_LEDGER", self.ledger());
        if let Some(key) = backup_key {
            command.env("ETP_BACKUP_KEY", key);
        }
        tokio::task::block_in_place(|| run(command, None))
    }

    async fn serve(&self, master: &str) -> Server {
        let ledger = self.ledger();
        Server::start_with(
            self.dir.path(),
            &self.url,
            Some((JWT, master)),
            None,
            &[("ETP_RETENTION_LEDGER", ledger.to_str().unwrap())],
        )
        .await
    }

    /// What a refused restore must leave as it was: on SQLite the database file's bytes and the folder's
    /// names (a store moved aside would show); on PostgreSQL the rows of the log and of the views.
    async fn fingerprint(&self) -> Vec<String> {
        match &self.postgres {
            None => {
                let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
                    .unwrap()
                    .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                let bytes = std::fs::read(self.dir.path().join("etp.db")).unwrap();
                names.push(format!("{:x}", sha2::Sha256::digest(&bytes)));
                names
            }
            Some(database) => {
                let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
                let mut rows = Vec::new();
                for query in [
                    "SELECT count(*) FROM events",
                    "SELECT count(*) FROM stream_keys",
                    "SELECT count(*) FROM application_views",
                ] {
                    let count: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
                    rows.push(format!("{query}: {count}"));
                }
                pool.close().await;
                rows
            }
        }
    }

    /// A plain copy of the store, as backups were before they were encrypted: `VACUUM INTO` or `pg_dump`.
    async fn plain_copy(&self, to: &Path) {
        match &self.postgres {
            None => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::query("VACUUM INTO $1")
                    .bind(to.to_str().unwrap())
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            Some(database) => {
                let output = Command::new("pg_dump")
                    .args(["--no-owner", "--no-privileges", "--file"])
                    .arg(to)
                    .arg(&database.url)
                    .output()
                    .expect("run pg_dump (the PostgreSQL client tools must be installed)");
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
    }
}

/// An applicant's draft whose personal fields carry `marker`: its id and the applicant's email.
async fn marked_application(server: &Server, marker: &str) -> (String, String) {
    let email = format!("{marker}@example.test");
    let (status, body) = server
        .send(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": email, "password": APPLICANT_PASSWORD, "full_name": marker})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = sign_in(server, &email).await;
    let (status, body) = server
        .send(
            Method::POST,
            "/api/applications",
            Some(&token),
            Some(json!({"cycle": "2026-27"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let form = json!({"personal": {
        "full_name": marker,
        "date_of_birth": "1971-03-17",
        "email": format!("{marker}@example.test"),
        "phone": "+000 0000 0000",
        "address": format!("1 {marker} Street"),
        "nationality": "Kenya",
        "country_of_residence": "Kenya"
    }});
    let (status, body) = server
        .send(
            Method::PATCH,
            &format!("/api/applications/{id}"),
            Some(&token),
            Some(form),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (id, email)
}

async fn sign_in(server: &Server, email: &str) -> String {
    let (status, body) = server.login(email, APPLICANT_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// The applicant reads the application back through the API, its personal data whole.
async fn reads_back(store: &Store, master: &str, id: &str, email: &str, marker: &str) {
    let server = store.serve(master).await;
    let token = sign_in(&server, email).await;
    let (status, body): (StatusCode, Value) = server
        .send(
            Method::GET,
            &format!("/api/applications/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["personal"]["full_name"], marker, "{body}");
    assert_eq!(
        body["personal"]["address"],
        format!("1 {marker} Street"),
        "{body}"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The file is an age file and holds nothing of the store in clear.
#[track_caller]
fn assert_encrypted(file: &Path, marker: &str) {
    let bytes = std::fs::read(file).unwrap();
    assert!(
        bytes.starts_with(b"age-encryption.org/v1\n"),
        "a backup is an age file"
    );
    for (what, needle) in [
        ("the marker", marker.as_bytes()),
        ("the SQLite header", b"SQLite format 3".as_slice()),
        ("SQL", b"CREATE TABLE".as_slice()),
        ("SQL", b"INSERT INTO".as_slice()),
        ("a pg_dump", b"PostgreSQL database dump".as_slice()),
        ("a table's name", b"application_views".as_slice()),
    ] {
        assert!(
            !contains(&bytes, needle),
            "{what} is in the backup {} in clear",
            file.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup is its owner's only");
    }
}

async fn a_backup_is_encrypted_and_restores_only_under_its_own_key(postgres: bool) {
    let store = Store::new(postgres).await;
    let master = services::crypto::MasterKey::generate_hex();
    let backup_key = services::crypto::MasterKey::generate_hex();
    let marker = format!(
        "mkqbackup{}7x",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let (id, email) = {
        let server = store.serve(&master).await;
        marked_application(&server, &marker).await
    };

    let backups = tempfile::tempdir().unwrap();
    let under_master = backups.path().join("under-master");
    let under_backup_key = backups.path().join("under-backup-key");
    let plain = backups.path().join("plain");
    let path = |file: &Path| file.to_str().unwrap().to_string();
    assert_success(
        &store.etp(&master, None, &["backup", "--to", &path(&under_master)]),
        "etp backup",
    );
    assert_success(
        &store.etp(
            &master,
            Some(&backup_key),
            &["backup", "--to", &path(&under_backup_key)],
        ),
        "etp backup with ETP_BACKUP_KEY",
    );
    assert_encrypted(&under_master, &marker);
    assert_encrypted(&under_backup_key, &marker);
    let mut left: Vec<String> = std::fs::read_dir(backups.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["under-backup-key", "under-master"],
        "no plain copy is left beside the backups"
    );

    // What a plain copy would have given away: the views hold the personal data in clear.
    store.plain_copy(&plain).await;
    assert!(
        contains(&std::fs::read(&plain).unwrap(), marker.as_bytes()),
        "a plain copy of the store holds the marker in clear"
    );

    // Refused, over a store that holds data and with --force, before anything of it changes.
    let before = store.fingerprint().await;
    let other_master = services::crypto::MasterKey::generate_hex();
    let other_backup_key = services::crypto::MasterKey::generate_hex();
    let refusals = [
        (&under_master, other_master.as_str(), None, "ETP_MASTER_KEY"),
        (
            &under_master,
            master.as_str(),
            Some(backup_key.as_str()),
            "ETP_BACKUP_KEY",
        ),
        (&under_backup_key, master.as_str(), None, "ETP_MASTER_KEY"),
        (
            &under_backup_key,
            master.as_str(),
            Some(other_backup_key.as_str()),
            "ETP_BACKUP_KEY",
        ),
    ];
    for (file, master, backup_key, expected) in refusals {
        let output = store.etp(
            master,
            backup_key,
            &["restore", "--from", &path(file), "--force"],
        );
        let message = assert_refused(&output, "a restore under another key");
        assert!(
            message.contains("made under another key") && message.contains(expected),
            "the refusal says the backup was made under another key and that {expected} is expected: {message}"
        );
        assert!(!message.contains(&marker), "{message}");
    }
    // A backup cut short fails part way through its decryption: on PostgreSQL the dropping of what the
    // database holds has already been sent to psql, and is rolled back.
    let cut = backups.path().join("cut-short");
    let whole = std::fs::read(&under_master).unwrap();
    std::fs::write(&cut, &whole[..whole.len() - 20]).unwrap();
    let output = store.etp(
        &master,
        None,
        &["restore", "--from", &path(&cut), "--force"],
    );
    let message = assert_refused(&output, "a restore of a backup cut short");
    assert!(
        message.contains("did not decrypt to its end"),
        "the refusal says the backup is damaged: {message}"
    );
    let output = store.etp(
        &master,
        None,
        &["restore", "--from", &path(&plain), "--force"],
    );
    let message = assert_refused(&output, "a restore of a plain copy");
    assert!(
        message.contains("not an encrypted backup"),
        "the refusal says the file is not an encrypted backup: {message}"
    );
    assert_eq!(
        store.fingerprint().await,
        before,
        "a refused restore leaves the store as it was"
    );
    reads_back(&store, &master, &id, &email, &marker).await;

    // Under its own key, a backup restores: into a new store…
    let elsewhere = Store::new(postgres).await;
    let restored = elsewhere.etp(&master, None, &["restore", "--from", &path(&under_master)]);
    assert_success(&restored, "etp restore into a new store");
    reads_back(&elsewhere, &master, &id, &email, &marker).await;
    // …and over the store, with --force, the backup made under ETP_BACKUP_KEY.
    let restored = store.etp(
        &master,
        Some(&backup_key),
        &["restore", "--from", &path(&under_backup_key), "--force"],
    );
    assert_success(&restored, "etp restore --force with ETP_BACKUP_KEY");
    reads_back(&store, &master, &id, &email, &marker).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_backup_is_encrypted_and_restores_only_under_its_own_key() {
    a_backup_is_encrypted_and_restores_only_under_its_own_key(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_backup_is_encrypted_and_restores_only_under_its_own_key() {
    a_backup_is_encrypted_and_restores_only_under_its_own_key(true).await;
}
