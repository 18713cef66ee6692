//! The retention sweep: every stream that has fallen due under the schedule is destroyed, unless a hold
//! stands, and the destruction is written to a ledger outside the database so that it can be done again
//! after a backup is restored.
//!
//! Destroying a stream is a command like any other (`DestroyPersonalData`): its `PersonalDataDestroyed`
//! event is appended, the stream's data key erased and its views deleted, all in one transaction
//! (`store.rs`, `projections::destroy_application`). The sweep reads only the rows due (the schedule's
//! index on `due_on`), so its cost follows what expires, not the size of the store. Afterwards the freed
//! pages are scrubbed: SQLite overwrites deleted content (`secure_delete`) and its WAL is checkpointed and
//! truncated; PostgreSQL writes anew the tables that held keys or personal data (copied aside, truncated,
//! copied back).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use domain::application::ApplicationCommand;
use domain::immigration::ImmigrationCommand;
use domain::request::RequestCommand;
use domain::retention::RecordKind;
use domain::{Actor, Role};
use projections::Db;
use projections::retention::{self, DueRecord};

use crate::accounts;
use crate::app::AppState;

/// The actor the sweep records on the events it appends.
pub fn sweep_actor() -> Actor {
    Actor::new("retention-sweep", Role::InformationOfficer)
}

/// One line of the ledger of destroyed streams: no personal data, only what was destroyed and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: String,
    pub destroyed_on: NaiveDate,
}

/// The ledger of destroyed streams, an append-only file kept apart from the database and its backups.
#[derive(Clone, Debug)]
pub struct Ledger {
    path: PathBuf,
}

impl Ledger {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&self, line: &LedgerLine) -> anyhow::Result<()> {
        if let Some(folder) = self.path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open the ledger {}", self.path.display()))?;
        let mut text = serde_json::to_string(line)?;
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_data().context("cannot write the ledger to disk")
    }

    pub fn lines(&self) -> anyhow::Result<Vec<LedgerLine>> {
        match std::fs::read_to_string(&self.path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(error)
                .with_context(|| format!("cannot read the ledger {}", self.path.display())),
            Ok(text) => text
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| {
                    serde_json::from_str(line).context("a line of the ledger cannot be read")
                })
                .collect(),
        }
    }
}

/// What happened to one record in a sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SweepLine {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: String,
    pub due_on: NaiveDate,
    /// Why it was kept, for a held record.
    pub held_because: Option<String>,
}

/// What a sweep did (or, on a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub as_of: Option<NaiveDate>,
    pub dry_run: bool,
    pub destroyed: Vec<SweepLine>,
    pub held: Vec<SweepLine>,
    /// Cycles concluded first (automatically, on 31 December of their second year), or concluded before and
    /// left with an application still live.
    pub concluded: Vec<crate::conclusion::SweptConclusion>,
    /// Streams destroyed again from the ledger (after a restore).
    pub reapplied: Vec<LedgerLine>,
    pub next_due: Option<NaiveDate>,
}

impl SweepReport {
    pub fn summary(&self) -> String {
        format!(
            "{}destroyed {}, held {}, re-destroyed from the ledger {}, next due {}",
            if self.dry_run {
                "dry run: would have "
            } else {
                ""
            },
            self.destroyed.len(),
            self.held.len(),
            self.reapplied.len(),
            self.next_due
                .map(|d| d.to_string())
                .unwrap_or_else(|| "none".to_string()),
        )
    }
}

/// Destroys one stream's personal data under its rule. A stream already destroyed counts as done.
async fn destroy(state: &AppState, record: &DueRecord, as_of: NaiveDate) -> anyhow::Result<bool> {
    let actor = sweep_actor();
    let result = match record.aggregate_type.as_str() {
        "Application" => {
            let command = ApplicationCommand::DestroyPersonalData {
                rule: record.rule,
                destroyed_on: as_of,
            };
            state
                .execute_application(&record.aggregate_id, &actor, command)
                .await
        }
        "ImmigrationRecord" => {
            let command = ImmigrationCommand::DestroyPersonalData {
                destroyed_on: as_of,
            };
            state
                .execute_immigration(&record.aggregate_id, &actor, command)
                .await
        }
        "InformationRequest" => {
            let command = RequestCommand::DestroyPersonalData {
                destroyed_on: as_of,
            };
            state
                .execute_request(&record.aggregate_id, &actor, command)
                .await
        }
        other => anyhow::bail!("the retention schedule names a stream of unknown type {other}"),
    };
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.code == "destroyed" => Ok(false),
        Err(error) => Err(anyhow::anyhow!(
            "{} {} could not be destroyed: {} ({})",
            record.aggregate_type,
            record.aggregate_id,
            error.message,
            error.code
        )),
    }
}

/// Destroys again every stream of the ledger that the database still holds a key for (a restored backup
/// taken before it was destroyed).
async fn reapply_ledger(state: &AppState, ledger: &Ledger) -> anyhow::Result<Vec<LedgerLine>> {
    let mut reapplied = Vec::new();
    for line in ledger.lines()? {
        if retention::is_destroyed(&state.db, &line.aggregate_type, &line.aggregate_id).await? {
            continue;
        }
        let rule = RecordKind::parse(&line.rule).context("the ledger names an unknown rule")?;
        let done = match line.aggregate_type.as_str() {
            "Account" => {
                accounts::destroy(&state.db, &line.aggregate_id, line.destroyed_on).await?;
                state.standings.forget_account(&line.aggregate_id);
                true
            }
            _ => {
                let record = DueRecord {
                    aggregate_type: line.aggregate_type.clone(),
                    aggregate_id: line.aggregate_id.clone(),
                    rule,
                    due_on: line.destroyed_on,
                };
                destroy(state, &record, line.destroyed_on).await?
            }
        };
        if done {
            reapplied.push(line);
        }
    }
    Ok(reapplied)
}

/// Everything about the subject of a request still open (a subject access or other rights request) is held
/// until it is answered: the subject's account, applications and immigration records, found through the
/// same indexes the response uses. The cost follows the open requests, not the store.
async fn request_holds(state: &AppState) -> anyhow::Result<BTreeMap<(String, String), String>> {
    let mut held = BTreeMap::new();
    let db = &state.db;
    for request in projections::information_requests::open_with_subject(db).await? {
        let Some(email) = request.subject_email.as_deref() else {
            continue;
        };
        let reason = format!(
            "open {} request {} about this person",
            request.kind.as_str(),
            request.id
        );
        let mut applications: Vec<String> = projections::case_list::with_email(db, email).await?;
        if let Some(account) = accounts::find_by_email(db, email).await? {
            for view in projections::application_view::list_for_applicant(db, &account.id).await? {
                applications.push(view.id);
            }
            held.insert(("Account".to_string(), account.id), reason.clone());
        }
        for id in applications {
            for record in projections::immigration_records::for_application(db, &id).await? {
                held.insert(
                    ("ImmigrationRecord".to_string(), record.record_id),
                    reason.clone(),
                );
            }
            held.insert(("Application".to_string(), id), reason.clone());
        }
    }
    Ok(held)
}

/// Sweeps the store as of a day. Idempotent: a second sweep on the same day destroys nothing more.
/// `progress` is told how many records are due and each one done.
pub async fn sweep(
    state: &AppState,
    ledger: &Ledger,
    as_of: NaiveDate,
    dry_run: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    sweep_at_most(state, ledger, as_of, dry_run, None, progress).await
}

/// A sweep that takes at most `limit` of the due streams (the oldest first), so a large backlog can be
/// worked through in parts; the next sweep goes on where this one stopped. A sweep that is not a dry run
/// is counted in the process's metrics, with what it destroyed.
pub async fn sweep_at_most(
    state: &AppState,
    ledger: &Ledger,
    as_of: NaiveDate,
    dry_run: bool,
    limit: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    let outcome = sweep_due(state, ledger, as_of, dry_run, limit, progress).await;
    if !dry_run {
        state.metrics.sweep_ended(outcome.as_ref().ok());
    }
    outcome
}

async fn sweep_due(
    state: &AppState,
    ledger: &Ledger,
    as_of: NaiveDate,
    dry_run: bool,
    limit: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport {
        as_of: Some(as_of),
        dry_run,
        ..SweepReport::default()
    };
    if !dry_run {
        report.reapplied = reapply_ledger(state, ledger).await?;
    }
    report.concluded =
        crate::conclusion::conclude_due_cycles(state, &sweep_actor(), as_of, dry_run)
            .await
            .map_err(|error| anyhow::anyhow!("cycles could not be concluded: {}", error.message))?;
    let mut holds: BTreeMap<(String, String), String> = retention::holds(&state.db)
        .await?
        .into_iter()
        .map(|hold| ((hold.aggregate_type, hold.aggregate_id), hold.reason))
        .collect();
    holds.extend(request_holds(state).await?);
    let due = match limit {
        Some(limit) => {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            retention::due_by_at_most(&state.db, as_of, limit).await?
        }
        None => retention::due_by(&state.db, as_of).await?,
    };
    // A dry run concludes nothing, so it counts what its conclusions would put on the schedule, due by then.
    let mut due = due;
    if dry_run {
        for conclusion in &report.concluded {
            for (id, due_on) in &conclusion.would_fall_due {
                if *due_on <= as_of && !due.iter().any(|d| &d.aggregate_id == id) {
                    due.push(DueRecord {
                        aggregate_type: "Application".to_string(),
                        aggregate_id: id.clone(),
                        rule: RecordKind::UnsuccessfulApplication,
                        due_on: *due_on,
                    });
                }
            }
        }
    }
    let total = due.len();
    for (done, record) in due.iter().enumerate() {
        let line = SweepLine {
            aggregate_type: record.aggregate_type.clone(),
            aggregate_id: record.aggregate_id.clone(),
            rule: record.rule.as_str().to_string(),
            due_on: record.due_on,
            held_because: holds
                .get(&(record.aggregate_type.clone(), record.aggregate_id.clone()))
                .cloned(),
        };
        if line.held_because.is_some() {
            report.held.push(line);
        } else if dry_run {
            report.destroyed.push(line);
        } else if destroy(state, record, as_of).await? {
            ledger.append(&LedgerLine {
                aggregate_type: line.aggregate_type.clone(),
                aggregate_id: line.aggregate_id.clone(),
                rule: line.rule.clone(),
                destroyed_on: as_of,
            })?;
            report.destroyed.push(line);
        }
        progress(done + 1, total);
    }
    // Applicant accounts: two years after the last sign-in, once no application of theirs is kept. A dry
    // run counts as gone the applications it would have destroyed.
    let rule = RecordKind::ApplicantAccount;
    if let Some(last_active_on) = as_of.checked_sub_months(Months::new(24)) {
        let inactive = if dry_run {
            let destroyed: std::collections::BTreeSet<&str> = report
                .destroyed
                .iter()
                .filter(|line| line.aggregate_type == "Application")
                .map(|line| line.aggregate_id.as_str())
                .collect();
            let mut ids = Vec::new();
            for id in
                accounts::applicants_inactive_since_with_applications(&state.db, last_active_on)
                    .await?
            {
                let kept = projections::application_view::list_for_applicant(&state.db, &id)
                    .await?
                    .into_iter()
                    .any(|view| !destroyed.contains(view.id.as_str()));
                if !kept {
                    ids.push(id);
                }
            }
            ids
        } else {
            accounts::applicants_inactive_since(&state.db, last_active_on).await?
        };
        for id in inactive {
            let line = SweepLine {
                aggregate_type: "Account".to_string(),
                aggregate_id: id.clone(),
                rule: rule.as_str().to_string(),
                due_on: as_of,
                held_because: holds.get(&("Account".to_string(), id.clone())).cloned(),
            };
            if line.held_because.is_some() {
                report.held.push(line);
                continue;
            }
            if !dry_run {
                accounts::destroy(&state.db, &id, as_of).await?;
                state.standings.forget_account(&id);
                ledger.append(&LedgerLine {
                    aggregate_type: "Account".to_string(),
                    aggregate_id: id,
                    rule: rule.as_str().to_string(),
                    destroyed_on: as_of,
                })?;
            }
            report.destroyed.push(line);
        }
    }
    let changed = !report.destroyed.is_empty() || !report.reapplied.is_empty();
    if changed && !dry_run {
        scrub(&state.db).await?;
    }
    report.next_due = retention::upcoming(&state.db, as_of, 1)
        .await?
        .first()
        .map(|d| d.due_on);
    Ok(report)
}

/// The tables whose rows hold data keys or personal data.
const TABLES_WITH_PERSONAL_DATA: [&str; 13] = [
    "stream_keys",
    "application_views",
    "case_list",
    "case_assignments",
    "committee_scores",
    "immigration_records",
    "scholar_directory",
    "alumni_networking",
    "alumni_open_book",
    "media_consents",
    "accounts",
    "sessions",
    "retention_holds",
];

/// Leaves nothing readable of deleted rows in the store's files.
pub async fn scrub(db: &Db) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(pool) => {
            // Deleted content was overwritten as it was deleted (secure_delete); copy the WAL into the database
            // and empty it, so no earlier version of a page stays in it.
            for _ in 0..10 {
                let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(pool)
                    .await?;
                if busy == 0 {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            anyhow::bail!("the SQLite WAL could not be truncated: the database stayed busy")
        }
        Db::Postgres(pool) => {
            // Each table is written anew with only its live rows, and its old files are dropped. Not VACUUM
            // FULL: it copies the deleted rows that another session's open snapshot could still see.
            // TRUNCATE waits for every session reading the table and leaves no old row version behind.
            for table in TABLES_WITH_PERSONAL_DATA {
                let mut tx = pool.begin().await?;
                sqlx::query(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&format!(
                    "CREATE TEMP TABLE etp_kept ON COMMIT DROP AS SELECT * FROM {table}"
                ))
                .execute(&mut *tx)
                .await?;
                sqlx::query(&format!("TRUNCATE {table}"))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&format!("INSERT INTO {table} SELECT * FROM etp_kept"))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok(())
        }
    }
}

/// Where the ledger is kept: `ETP_RETENTION_LEDGER`, or beside the SQLite database, or in the working
/// folder.
pub fn ledger_path(database_url: &str, configured: Option<&str>) -> PathBuf {
    if let Some(path) = configured {
        return PathBuf::from(path);
    }
    let sqlite_file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|path| path.split('?').next().unwrap_or(path))
        .filter(|path| !path.is_empty() && !path.contains(":memory:"));
    match sqlite_file.and_then(|file| Path::new(file).parent()) {
        Some(folder) => folder.join("destroyed-streams.ledger"),
        None => PathBuf::from("destroyed-streams.ledger"),
    }
}

/// Carries out an approved erasure request: every application of the subject is destroyed as retention
/// destroys it, except where a ground to keep it applies (an award is held indefinitely under the policy;
/// immigration records are kept for their two years), and their account too once nothing of theirs is kept.
/// Answers what was erased and what was kept, and why.
pub async fn erase(
    state: &AppState,
    email: &str,
    today: NaiveDate,
) -> anyhow::Result<serde_json::Value> {
    let db = &state.db;
    let ledger = state.retention_ledger.as_deref().map(Ledger::new);
    let ids = crate::rights::subject_applications(db, email).await?;
    let account = accounts::find_by_email(db, email).await?;
    let legal_holds: BTreeMap<(String, String), String> = retention::holds(db)
        .await?
        .into_iter()
        .map(|hold| ((hold.aggregate_type, hold.aggregate_id), hold.reason))
        .collect();
    let mut erased = Vec::new();
    let mut kept = Vec::new();
    for id in ids {
        let Some(view) = projections::application_view::find(db, &id).await? else {
            continue;
        };
        if let Some(reason) = legal_holds.get(&("Application".to_string(), id.clone())) {
            kept.push(serde_json::json!({
                "record": format!("application {id} ({})", view.cycle),
                "ground": format!("a legal hold: {reason}"),
            }));
            continue;
        }
        if matches!(
            view.status,
            domain::application::Status::Awarded | domain::application::Status::Alumni
        ) {
            kept.push(serde_json::json!({
                "record": format!("application {id} ({})", view.cycle),
                "ground": "an award is held indefinitely under the privacy policy, to administer it and for the record of scholars",
            }));
            continue;
        }
        let record = DueRecord {
            aggregate_type: "Application".to_string(),
            aggregate_id: id.clone(),
            rule: RecordKind::ErasedOnRequest,
            due_on: today,
        };
        if destroy(state, &record, today).await? {
            if let Some(ledger) = &ledger {
                ledger.append(&LedgerLine {
                    aggregate_type: "Application".to_string(),
                    aggregate_id: id.clone(),
                    rule: RecordKind::ErasedOnRequest.as_str().to_string(),
                    destroyed_on: today,
                })?;
            }
            erased
                .push(serde_json::json!({"record": format!("application {id} ({})", view.cycle)}));
        }
    }
    if let Some(account) = account {
        let still_kept = !projections::application_view::list_for_applicant(db, &account.id)
            .await?
            .is_empty();
        if still_kept {
            kept.push(serde_json::json!({"record": "your account", "ground": "it gives you access to the award we keep"}));
        } else {
            accounts::destroy(db, &account.id, today).await?;
            state.standings.forget_account(&account.id);
            if let Some(ledger) = &ledger {
                ledger.append(&LedgerLine {
                    aggregate_type: "Account".to_string(),
                    aggregate_id: account.id.clone(),
                    rule: RecordKind::ErasedOnRequest.as_str().to_string(),
                    destroyed_on: today,
                })?;
            }
            erased.push(serde_json::json!({"record": "your account"}));
        }
    }
    scrub(db).await?;
    Ok(serde_json::json!({"erasure": "approved", "erased": erased, "kept": kept}))
}
