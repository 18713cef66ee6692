//! `etp-tools bench`, run as the real binary on stores seeded by the real `etp demo seed`.
//!
//! The `etp` binary belongs to another package of the workspace, so cargo does not build it for these tests:
//! the first test to need it takes the one built beside `etp-tools` with the workspace's tests, or asks cargo
//! for it when there is none of that build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `etp` binary of this workspace and profile, built if it is not yet.
fn etp_binary() -> &'static Path {
    static ETP: OnceLock<PathBuf> = OnceLock::new();
    ETP.get_or_init(|| {
        let tools = Path::new(env!("CARGO_BIN_EXE_etp-tools"));
        let profile_dir = tools.parent().expect("the profile's folder");
        let etp = profile_dir.join(format!("etp{}", std::env::consts::EXE_SUFFIX));
        // Built with the workspace's tests (whose feature set differs from `cargo build -p services`, so asking
        // cargo again would build it a second time): an `etp` linked in the same build as `etp-tools` is used.
        let modified = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|meta| meta.modified())
                .ok()
        };
        if let (Some(etp_at), Some(tools_at)) = (modified(&etp), modified(tools))
            && etp_at + std::time::Duration::from_secs(3600) >= tools_at
        {
            return etp;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args(["build", "--quiet", "-p", "services", "--bin", "etp"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let built = build.output().expect("run cargo build");
        assert!(
            built.status.success(),
            "cargo build of etp: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        assert!(
            etp.is_file(),
            "etp is beside etp-tools at {}",
            etp.display()
        );
        etp
    })
}

/// A binary with a clean environment: only the store is set, and it runs in `dir`.
fn command(binary: &Path, dir: &Path, database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
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
        .env("ETP_REGISTRATIONS_PER_ADDRESS", "1000000")
        .env("RUST_LOG", "warn");
    command
}

fn etp(dir: &Path, database_url: &str, args: &[&str]) -> Command {
    command(etp_binary(), dir, database_url, args)
}

/// `etp-tools`, measuring the server of this workspace's `etp`.
fn tools(dir: &Path, database_url: &str, args: &[&str]) -> Command {
    let mut tools = command(
        Path::new(env!("CARGO_BIN_EXE_etp-tools")),
        dir,
        database_url,
        args,
    );
    tools.env("ETP_BINARY", etp_binary());
    tools
}

fn run(mut command: Command, _stdin: Option<&str>) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the command runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} exits 0, got {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

#[track_caller]
fn assert_refused(output: &Output, what: &str) -> String {
    assert!(
        !output.status.success(),
        "{what} must be refused with a non-zero exit\nstdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    let message = stderr(output);
    assert!(
        output.status.code().is_some() && !message.contains("panicked"),
        "{what} is refused with a message, not a panic: {message}"
    );
    message
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/etp.db", dir.display())
}

#[test]
fn the_production_binary_has_no_bench_command_and_the_tools_binary_has() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    let refused = run(etp(dir.path(), &url, &["bench", "sar"]), None);
    assert_refused(&refused, "etp bench sar");
    let help = run(tools(dir.path(), &url, &["bench", "--help"]), None);
    assert_success(&help, "etp-tools bench --help");
    for command in ["http", "sar", "rebuild", "retention"] {
        assert!(
            stdout(&help)
                .lines()
                .any(|line| line.trim_start().starts_with(command)),
            "etp-tools bench lists {command}: {}",
            stdout(&help)
        );
    }
}

#[test]
fn bench_http_without_an_etp_to_start_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    let missing = dir.path().join("no-such-etp");
    let mut command = tools(dir.path(), &url, &["bench", "http", "--seconds", "1"]);
    command.env("ETP_BINARY", &missing);
    let message = assert_refused(&run(command, None), "etp-tools bench http with no etp");
    assert!(message.contains("no-such-etp"), "{message}");
}

#[test]
fn bench_sar_answers_for_applicants_of_a_seeded_store_and_reports_the_times() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    assert_success(
        &run(
            etp(dir.path(), &url, &["demo", "seed", "--applications", "8"]),
            None,
        ),
        "etp demo seed",
    );
    let output = run(
        tools(dir.path(), &url, &["bench", "sar", "--subjects", "5"]),
        None,
    );
    assert_success(&output, "etp-tools bench sar");
    let text = stdout(&output);
    assert!(
        text.starts_with("subject access for 5 subjects in a store of 8 applications: median "),
        "{text}"
    );
    let empty = tempfile::tempdir().expect("a temporary folder");
    let refused = run(
        tools(empty.path(), &sqlite_url(empty.path()), &["bench", "sar"]),
        None,
    );
    assert_refused(&refused, "etp-tools bench sar on an empty store");
}

#[test]
fn bench_retention_sweeps_with_a_reader_beside_it_and_reports_the_scrub_and_the_readers_waits() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    assert_success(
        &run(
            etp(dir.path(), &url, &["demo", "seed", "--applications", "12"]),
            None,
        ),
        "etp demo seed",
    );
    let output = run(
        tools(dir.path(), &url, &["bench", "retention", "--due", "100"]),
        None,
    );
    assert_success(&output, "etp-tools bench retention");
    let text = stdout(&output);
    let destroyed: usize = text
        .strip_prefix("retention sweep as of ")
        .and_then(|rest| rest.split(": ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("the line starts with what was destroyed: {text}"));
    assert!(
        destroyed > 0,
        "a seeded store has streams due 25 months on: {text}"
    );
    assert!(
        text.contains("the sweep's scrub wrote anew 0 partitions and 0 tables"),
        "SQLite overwrites as it deletes, so its scrub writes nothing anew: {text}"
    );
    let requests: usize = text
        .split("a reader beside the sweep: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("the reader's requests are counted: {text}"));
    assert!(requests > 0, "the reader read while the sweep ran: {text}");
    assert!(
        text.contains(" ms, p99 ") && text.contains(" ms, the slowest "),
        "{text}"
    );
}

#[test]
fn bench_rebuild_rebuilds_the_views_each_round_and_reports_beside_the_raw_limit() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    assert_success(
        &run(
            etp(dir.path(), &url, &["demo", "seed", "--applications", "6"]),
            None,
        ),
        "etp demo seed",
    );
    let output = run(
        tools(dir.path(), &url, &["bench", "rebuild", "--rounds", "2"]),
        None,
    );
    assert_success(&output, "etp-tools bench rebuild");
    let text = stdout(&output);
    let rounds: Vec<&str> = text.lines().filter(|l| l.starts_with("round ")).collect();
    assert_eq!(rounds.len(), 2, "one line a round: {text}");
    for line in rounds {
        assert!(
            line.contains(" events of ")
                && line.contains("rows/s just before and ")
                && line.contains("; ratio "),
            "{line}"
        );
    }
    assert!(
        text.contains("rebuild / raw limit: ") && text.contains("(the median of 2 rounds)"),
        "{text}"
    );
    // The scratch tables of the raw measurements are gone, and the views are whole.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the store's folder")
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("bench-batched-")
        })
        .collect();
    assert!(leftovers.is_empty(), "no scratch files are left");
    let rebuilt = run(etp(dir.path(), &url, &["projections", "rebuild"]), None);
    assert_success(&rebuilt, "a rebuild after the bench");
    let refused = run(
        tools(dir.path(), &url, &["bench", "rebuild", "--rounds", "0"]),
        None,
    );
    assert_refused(&refused, "etp-tools bench rebuild with no rounds");
}

#[test]
fn bench_http_drives_a_server_of_the_store_and_reports_beside_the_raw_limit() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = sqlite_url(dir.path());
    assert_success(
        &run(
            etp(dir.path(), &url, &["demo", "seed", "--applications", "12"]),
            None,
        ),
        "etp demo seed",
    );
    let output = run(
        tools(
            dir.path(),
            &url,
            &[
                "bench",
                "http",
                "--clients",
                "2",
                "--seconds",
                "1",
                "--drafts",
                "2",
            ],
        ),
        None,
    );
    assert_success(&output, "etp-tools bench http");
    let text = stdout(&output);
    assert!(
        text.starts_with("store: SQLite (12 applications before the run)"),
        "{text}"
    );
    for line in [
        "draft edits (PATCH)",
        "one application (GET)",
        "case list, 50 a page (GET)",
        "section saved, next page (POST+GET)",
        "raw limit: ",
        "just before the draft edits and ",
        "draft edits / raw limit: ",
        "server memory: ",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(
        text.lines()
            .filter(|l| l.contains("(PATCH)") || l.contains("GET)"))
            .all(|l| l.ends_with(", 0 errors")),
        "no request failed: {text}"
    );
    let refused = run(
        tools(dir.path(), &url, &["bench", "http", "--clients", "0"]),
        None,
    );
    assert_refused(&refused, "etp-tools bench http with no clients");
}
