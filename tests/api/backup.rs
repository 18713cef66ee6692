//! The restore drill: `etp backup` while the store holds a programme, a retention sweep after it, `etp
//! restore` of the backup, and nothing the sweep destroyed comes back: the ledger is re-applied as the
//! restore ends. On SQLite and on PostgreSQL, through the real binary.

use std::path::Path;
use std::process::{Command, Output};

use crate::cli::{PostgresDatabase, assert_success, etp, run, sqlite_url};

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
    assert!(Path::new(backup).metadata().unwrap().len() > 0);
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
