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

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use domain::application::ApplicationCommand;
use domain::immigration::ImmigrationCommand;
use domain::request::RequestCommand;
use domain::retention::RecordKind;
use domain::{Actor, Role};
use projections::retention::{self, DueRecord};
use projections::{Db, on_pool};

use crate::accounts;
use crate::bus::{AppState, DecidedDestructions, Destruction};
use crate::error::AppError;

/// The actor the sweep records on the events it appends.
pub fn sweep_actor() -> Actor {
    Actor::new("retention-sweep", Role::InformationOfficer)
}

/// One line of the ledger of destroyed streams: no personal data, only which store, what was destroyed and
/// when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    /// The id of the store the stream was destroyed in (`store_identity`). Lines written before stores had
    /// ids have none, and are read as the store's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: String,
    pub destroyed_on: NaiveDate,
}

/// The ledger of destroyed streams, an append-only file kept apart from the database and its backups. It
/// belongs to one store: every line names the store's id, and a ledger naming another store is refused.
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
        self.append_all(std::slice::from_ref(line))
    }

    /// Appends the lines in one write, made durable by one sync (nothing to do for none).
    pub fn append_all(&self, lines: &[LedgerLine]) -> anyhow::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        if let Some(folder) = self.path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open the ledger {}", self.path.display()))?;
        let mut text = String::new();
        for line in lines {
            text.push_str(&serde_json::to_string(line)?);
            text.push('\n');
        }
        file.write_all(text.as_bytes())?;
        file.sync_data().context("cannot write the ledger to disk")
    }

    /// [`Self::append_all`] on a thread of its own, so that the sync does not hold up the async work beside it
    /// (the sweep decides its next batch while it writes the lines of the one before).
    pub async fn append_all_apart(&self, lines: Vec<LedgerLine>) -> anyhow::Result<()> {
        let ledger = self.clone();
        tokio::task::spawn_blocking(move || ledger.append_all(&lines))
            .await
            .context("the ledger's writer stopped")?
    }

    /// Every line, whichever store it names.
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

    /// The lines of the store `store`: the whole ledger is refused if a line names another store.
    pub fn lines_of(&self, store: &str) -> anyhow::Result<Vec<LedgerLine>> {
        let lines = self.lines()?;
        if let Some(other) = lines
            .iter()
            .filter_map(|line| line.store.as_deref())
            .find(|named| *named != store)
        {
            anyhow::bail!(
                "the ledger of destroyed streams {} belongs to store {other}, and this store is {store}: a \
                 ledger is applied only to the store that wrote it. Set ETP_RETENTION_LEDGER to this store's own \
                 ledger (a store restored from a backup keeps the id of the store it was taken from, so that \
                 store's ledger applies), or to a new file if this is a new store (docs/retention.md)",
                self.path.display()
            );
        }
        Ok(lines)
    }

    /// Refuses a ledger written for another store, before a server or a sweep relies on it.
    pub fn check_belongs_to(&self, store: &str) -> anyhow::Result<()> {
        self.lines_of(store).map(|_| ())
    }

    /// A line for a stream of the store `store` destroyed under `rule` on `on`.
    fn line(
        store: &str,
        aggregate_type: &str,
        aggregate_id: &str,
        rule: &str,
        on: NaiveDate,
    ) -> LedgerLine {
        LedgerLine {
            store: Some(store.to_string()),
            aggregate_type: aggregate_type.to_string(),
            aggregate_id: aggregate_id.to_string(),
            rule: rule.to_string(),
            destroyed_on: on,
        }
    }

    /// Writes the line for a stream of the store `store` destroyed under `rule` on `on`.
    fn write(
        &self,
        store: &str,
        aggregate_type: &str,
        aggregate_id: &str,
        rule: &str,
        on: NaiveDate,
    ) -> anyhow::Result<()> {
        self.append(&Self::line(store, aggregate_type, aggregate_id, rule, on))
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

/// A record a sweep could not destroy (on a dry run: would not), and why. It stays due, and the next sweep
/// tries it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SweepFailure {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub rule: String,
    /// Where the sweep met it: `schedule` (a record due), `ledger` (destroyed again after a restore) or
    /// `account` (an applicant account).
    pub source: &'static str,
    /// Why, in words that hold no personal data.
    pub cause: String,
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
    /// Offers not answered by their reply-by date, lapsed (the day after it) before anything is destroyed.
    pub lapsed_offers: Vec<crate::awards::LapsedOffer>,
    /// Reminders of progress reports fallen due, emailed once each where a mail server is set.
    pub report_reminders: Vec<crate::awards::ReportReminder>,
    /// Streams destroyed again from the ledger (after a restore).
    pub reapplied: Vec<LedgerLine>,
    /// Lines of the ledger naming streams this store does not hold (a backup restored from before they
    /// existed): the destruction is already satisfied, and they enter the list of destroyed streams.
    pub absent: Vec<LedgerLine>,
    /// Records the sweep could not destroy, each with its cause; the next sweep tries them again.
    pub failed: Vec<SweepFailure>,
    pub next_due: Option<NaiveDate>,
    /// What the scrub after the destruction wrote anew (none after a dry run, or when nothing changed).
    #[serde(skip)]
    pub scrubbed: Option<ScrubReport>,
}

impl SweepReport {
    /// What the figures count of this sweep (`GET /metrics`): each failure and each destruction by rule,
    /// from the schedule or, after a restore, from the ledger.
    pub fn figures(&self) -> crate::metrics::SweepFigures<'_> {
        crate::metrics::SweepFigures {
            failed: self
                .failed
                .iter()
                .map(|failure| (failure.rule.as_str(), failure.source))
                .collect(),
            destroyed: self
                .destroyed
                .iter()
                .map(|line| (line.rule.as_str(), "schedule"))
                .chain(
                    self.reapplied
                        .iter()
                        .map(|line| (line.rule.as_str(), "ledger")),
                )
                .collect(),
        }
    }

    pub fn summary(&self) -> String {
        let mut summary = format!(
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
        );
        let reminded = self
            .report_reminders
            .iter()
            .filter(|r| r.failed.is_none())
            .count();
        if reminded > 0 {
            summary.push_str(&format!(
                ", report reminders {} {reminded}",
                if self.dry_run { "to send" } else { "sent" }
            ));
        }
        if !self.absent.is_empty() {
            summary.push_str(&format!(
                ", in the ledger but never in this store {}",
                self.absent.len()
            ));
        }
        if !self.failed.is_empty() {
            summary.push_str(&format!(
                ", {} {}",
                if self.dry_run { "would fail" } else { "failed" },
                self.failed.len()
            ));
        }
        summary
    }

    /// The sentence that ends a sweep that failed on some records: each named by type and id with its cause.
    pub fn failure_message(&self) -> Option<String> {
        if self.failed.is_empty() {
            return None;
        }
        let each: Vec<String> = self
            .failed
            .iter()
            .map(|failure| {
                format!(
                    "{} {} ({}): {}",
                    failure.aggregate_type, failure.aggregate_id, failure.source, failure.cause
                )
            })
            .collect();
        Some(format!(
            "{} {} record{}: {}; {}",
            if self.dry_run {
                "the sweep would fail on"
            } else {
                "the sweep could not destroy"
            },
            self.failed.len(),
            if self.failed.len() == 1 { "" } else { "s" },
            each.join("; "),
            if self.dry_run {
                "the rest would be swept"
            } else {
                "the rest was swept, and the next sweep tries these again"
            }
        ))
    }
}

/// Destroys one stream's personal data under its rule: `true` when it is destroyed now, `false` when it
/// already was; the refusal or failure otherwise.
/// `again`: the ledger says the stream was destroyed, and a restored backup holds it as it stood before:
/// it is destroyed again whatever it was then, not checked against its rule.
async fn destroy(
    state: &AppState,
    record: &DueRecord,
    as_of: NaiveDate,
    again: bool,
) -> Result<bool, AppError> {
    let actor = sweep_actor();
    let id = &record.aggregate_id;
    let result = match destruction(record, as_of, again) {
        Ok(Destruction::Application(command)) => {
            state.execute_application(id, &actor, command).await
        }
        Ok(Destruction::Immigration(command)) => {
            state.execute_immigration(id, &actor, command).await
        }
        Ok(Destruction::Request(command)) => state.execute_request(id, &actor, command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.is_destroyed() => Ok(false),
        Err(error) => Err(error),
    }
}

/// The command that destroys the stream's personal data under its rule as of `as_of` (`again`: destroys it
/// again, as [`destroy`] says), or why the sweep cannot destroy a stream of its type.
fn destruction(record: &DueRecord, as_of: NaiveDate, again: bool) -> Result<Destruction, AppError> {
    match record.aggregate_type.as_str() {
        "Application" => Ok(Destruction::Application(if again {
            ApplicationCommand::ReapplyDestruction {
                rule: record.rule,
                destroyed_on: as_of,
            }
        } else {
            ApplicationCommand::DestroyPersonalData {
                rule: record.rule,
                destroyed_on: as_of,
            }
        })),
        "ImmigrationRecord" => Ok(Destruction::Immigration(
            ImmigrationCommand::DestroyPersonalData {
                destroyed_on: as_of,
            },
        )),
        "InformationRequest" => Ok(Destruction::Request(if again {
            RequestCommand::ReapplyDestruction {
                destroyed_on: as_of,
            }
        } else {
            RequestCommand::DestroyPersonalData {
                destroyed_on: as_of,
            }
        })),
        other => Err(AppError::internal(format!(
            "the sweep cannot destroy a stream of type {other}"
        ))),
    }
}

/// Destroys one due record on its own, by a command through the bus, and writes its ledger line once it is
/// destroyed: the report says it was destroyed, or why it could not be (nothing for a record already
/// destroyed).
async fn destroy_alone(
    state: &AppState,
    ledger: &Ledger,
    store: &str,
    as_of: NaiveDate,
    record: &DueRecord,
    line: SweepLine,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    match destroy(state, record, as_of, false).await {
        Ok(true) => {
            ledger.write(
                store,
                &line.aggregate_type,
                &line.aggregate_id,
                &line.rule,
                as_of,
            )?;
            report.destroyed.push(line);
        }
        Ok(false) => {}
        Err(error) => {
            let cause = cause_of(state, record, &error).await;
            report.failed.push(schedule_failure(record, cause));
        }
    }
    Ok(())
}

/// A due record of the schedule the sweep could not destroy, and why.
fn schedule_failure(record: &DueRecord, cause: String) -> SweepFailure {
    SweepFailure {
        aggregate_type: record.aggregate_type.clone(),
        aggregate_id: record.aggregate_id.clone(),
        rule: record.rule.as_str().to_string(),
        source: "schedule",
        cause,
    }
}

/// A batch of due records whose destructions are decided and not yet appended; and the records of the batch
/// that are not streams the sweep destroys in a batch, to be destroyed on their own.
struct DecidedBatch<'r> {
    alone: Vec<(&'r DueRecord, SweepLine)>,
    together: Vec<(&'r DueRecord, SweepLine)>,
    decided: Option<DecidedDestructions>,
    decided_in: std::time::Duration,
}

/// Decides a batch of due records together: each record's command decided on its aggregate as the bus
/// decides it ([`AppState::decide_destructions`]). Nothing is written: [`finish_batch`] appends them. The
/// sweep decides the next batch while the one before it is being appended.
async fn decide_batch<'r>(
    state: &AppState,
    as_of: NaiveDate,
    batch: Vec<(&'r DueRecord, SweepLine)>,
) -> DecidedBatch<'r> {
    let mut alone = Vec::new();
    let mut together = Vec::with_capacity(batch.len());
    let mut commands = Vec::with_capacity(batch.len());
    for (record, line) in batch {
        match destruction(record, as_of, false) {
            Ok(command) => {
                commands.push((record.aggregate_id.clone(), command));
                together.push((record, line));
            }
            // Not a stream the sweep destroys: answered on its own, as before.
            Err(_) => alone.push((record, line)),
        }
    }
    let started = std::time::Instant::now();
    let decided = if commands.is_empty() {
        None
    } else {
        Some(state.decide_destructions(&sweep_actor(), commands).await)
    };
    DecidedBatch {
        alone,
        together,
        decided,
        decided_in: started.elapsed(),
    }
}

/// Appends a decided batch: the events of all its records in one transaction, then their ledger lines
/// written with one sync. A record the domain refused (its rule no longer fits it, say) is reported with
/// its cause, as on its own, and the others go on. If the append fails (someone wrote to one of the streams
/// after the batch read it, or the store failed), nothing of the batch was kept, and each record is
/// destroyed again on its own, so that each gets its own answer.
async fn finish_batch(
    state: &AppState,
    ledger: &Ledger,
    store: &str,
    as_of: NaiveDate,
    batch: DecidedBatch<'_>,
    before_append: Option<&BeforeAppend<'_>>,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    let DecidedBatch {
        alone,
        together,
        decided,
        decided_in,
    } = batch;
    for (record, line) in alone {
        destroy_alone(state, ledger, store, as_of, record, line, report).await?;
    }
    let Some(decided) = decided else {
        return Ok(());
    };
    if let Some(before_append) = before_append {
        before_append(decided.streams()).await;
    }
    let appending = std::time::Instant::now();
    let appended = state.append_destructions(decided).await;
    tracing::debug!(
        records = together.len(),
        decided_ms = decided_in.as_millis() as u64,
        appended_ms = appending.elapsed().as_millis() as u64,
        "a batch of the retention sweep"
    );
    let answers = match appended {
        Ok(answers) => answers,
        Err(error) => {
            tracing::warn!(
                records = together.len(),
                error = error.code(),
                "a batch of the retention sweep could not be appended, and nothing of it was kept; its records are destroyed one at a time"
            );
            for (record, line) in together {
                destroy_alone(state, ledger, store, as_of, record, line, report).await?;
            }
            return Ok(());
        }
    };
    let mut written = Vec::new();
    let mut destroyed = Vec::new();
    for ((record, line), answer) in together.into_iter().zip(answers) {
        match answer {
            Ok(()) => {
                written.push(Ledger::line(
                    store,
                    &line.aggregate_type,
                    &line.aggregate_id,
                    &line.rule,
                    as_of,
                ));
                destroyed.push(line);
            }
            Err(error) if error.is_destroyed() => {}
            Err(error) => {
                let cause = cause_of(state, record, &error).await;
                report.failed.push(schedule_failure(record, cause));
            }
        }
    }
    ledger.append_all_apart(written).await?;
    report.destroyed.extend(destroyed);
    Ok(())
}

/// Why destroying the stream failed, in words with no personal data. A failure of the store says only
/// that it failed (its detail is in the log), so the stream is looked at for a cause that can be named.
async fn cause_of(state: &AppState, record: &DueRecord, error: &AppError) -> String {
    if error.is_failure() {
        match foreseen_failure(state, record, false).await {
            Ok(Some(cause)) => return cause,
            Ok(None) | Err(_) => {
                return format!(
                    "the store failed while destroying it ({}; the log says more)",
                    error.code()
                );
            }
        }
    }
    format!("{error} ({})", error.code())
}

/// Whether the store holds any event of the stream.
async fn holds_stream(db: &Db, aggregate_type: &str, aggregate_id: &str) -> anyhow::Result<bool> {
    const SQL: &str =
        "SELECT EXISTS (SELECT 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2)";
    let held: bool = on_pool!(db, p => sqlx::query_scalar(SQL)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_one(p)
        .await?);
    Ok(held)
}

/// Why destroying a record would fail, as far as it can be told without writing anything: the stream is
/// of a type the sweep cannot destroy, is not in the store, is no longer what its rule is for (an
/// application whose status moved on), or has a data key that cannot be unwrapped. `None`: nothing stands
/// in the way.
/// `any_status`: the rule is not checked against the stream as it now is: it is destroyed again from the
/// ledger whatever it is, or (a dry run) the cycle's conclusion the run foresees would have ended it first.
async fn foreseen_failure(
    state: &AppState,
    record: &DueRecord,
    any_status: bool,
) -> anyhow::Result<Option<String>> {
    let db = &state.db;
    let (aggregate_type, id) = (record.aggregate_type.as_str(), &record.aggregate_id);
    // The key first: an application's view is sealed under it, so it is read only once the key unwraps.
    const KEY: &str =
        "SELECT wrapped_key FROM stream_keys WHERE aggregate_type = $1 AND aggregate_id = $2";
    let wrapped: Option<Vec<u8>> = on_pool!(db, p => sqlx::query_scalar(KEY)
        .bind(aggregate_type)
        .bind(id)
        .fetch_optional(p)
        .await?);
    let stream = crate::store::stream_name(aggregate_type, id);
    if wrapped.is_some_and(|wrapped| {
        state
            .repo
            .master()
            .unwrap_data_key(&stream, &wrapped)
            .is_err()
    }) {
        return Ok(Some(
            "its data key cannot be unwrapped with this ETP_MASTER_KEY".to_string(),
        ));
    }
    match aggregate_type {
        "Application" => match projections::application_view::find(db, &state.repo, id).await? {
            None if retention::is_destroyed(db, aggregate_type, id).await? => return Ok(None),
            None => return Ok(Some("the store holds no such application".to_string())),
            Some(_) if any_status => {}
            Some(view) => {
                let fits = match record.rule {
                    RecordKind::Award => false,
                    RecordKind::ErasedOnRequest => !matches!(
                        view.status,
                        domain::application::Status::Awarded | domain::application::Status::Alumni
                    ),
                    rule => RecordKind::of_application(view.status) == Some(rule),
                };
                if !fits {
                    return Ok(Some(format!(
                        "its rule, {}, no longer fits it: the application is {} now",
                        record.rule.as_str(),
                        view.status.as_str()
                    )));
                }
            }
        },
        "ImmigrationRecord" => {
            if !holds_stream(db, aggregate_type, id).await? {
                return Ok(Some(
                    "the store holds no such immigration record".to_string(),
                ));
            }
        }
        "InformationRequest" => match projections::information_requests::find(db, id).await? {
            None if retention::is_destroyed(db, aggregate_type, id).await? => return Ok(None),
            None => return Ok(Some("the store holds no such request".to_string())),
            Some(_) if any_status => {}
            Some(view) if view.closed_on().is_none() => {
                return Ok(Some(
                    "the request is open again: it is kept until it is answered".to_string(),
                ));
            }
            Some(_) => {}
        },
        _ => {
            return Ok(Some(
                "the sweep cannot destroy a stream of this type".to_string(),
            ));
        }
    }
    Ok(None)
}

/// Destroys again every stream of the ledger that the database still holds (a restored backup taken before
/// it was destroyed); a line for a stream the store does not hold (a backup taken before it existed) is
/// already satisfied, and is entered in the list of destroyed streams so it is not looked at again. A
/// stream that cannot be destroyed is reported, and the rest go on. A dry run says what it would do.
async fn reapply_ledger(
    state: &AppState,
    ledger: &Ledger,
    store: &str,
    dry_run: bool,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    let db = &state.db;
    for line in ledger.lines_of(store)? {
        if retention::is_destroyed(db, &line.aggregate_type, &line.aggregate_id).await? {
            continue;
        }
        let failure = |cause: String| SweepFailure {
            aggregate_type: line.aggregate_type.clone(),
            aggregate_id: line.aggregate_id.clone(),
            rule: line.rule.clone(),
            source: "ledger",
            cause,
        };
        let Some(rule) = RecordKind::parse(&line.rule) else {
            report.failed.push(failure(
                "the ledger names a rule this version does not know".to_string(),
            ));
            continue;
        };
        let held = match line.aggregate_type.as_str() {
            "Account" => accounts::find(db, &line.aggregate_id).await?.is_some(),
            "Application" | "ImmigrationRecord" | "InformationRequest" => {
                holds_stream(db, &line.aggregate_type, &line.aggregate_id).await?
            }
            _ => {
                report.failed.push(failure(
                    "the ledger names a stream of a type the sweep cannot destroy".to_string(),
                ));
                continue;
            }
        };
        if !held {
            if !dry_run {
                retention::record_absent(
                    db,
                    &line.aggregate_type,
                    &line.aggregate_id,
                    &line.rule,
                    line.destroyed_on,
                )
                .await?;
            }
            report.absent.push(line);
            continue;
        }
        if line.aggregate_type == "Account" {
            if dry_run {
                report.reapplied.push(line);
                continue;
            }
            match accounts::destroy(db, &line.aggregate_id, line.destroyed_on).await {
                Ok(()) => {
                    state.standings.forget_account(&line.aggregate_id);
                    report.reapplied.push(line);
                }
                Err(error) => {
                    tracing::warn!(cause = %error, "an account named by the ledger could not be destroyed");
                    report.failed.push(failure(
                        "the store failed while deleting the account (the log says more)"
                            .to_string(),
                    ));
                }
            }
            continue;
        }
        let record = DueRecord {
            aggregate_type: line.aggregate_type.clone(),
            aggregate_id: line.aggregate_id.clone(),
            rule,
            due_on: line.destroyed_on,
        };
        if dry_run {
            match foreseen_failure(state, &record, true).await? {
                Some(cause) => report.failed.push(failure(cause)),
                None => report.reapplied.push(line),
            }
            continue;
        }
        match destroy(state, &record, line.destroyed_on, true).await {
            Ok(true) => report.reapplied.push(line),
            Ok(false) => {}
            Err(error) => {
                let cause = cause_of(state, &record, &error).await;
                report.failed.push(failure(cause));
            }
        }
    }
    Ok(())
}

/// Who a request that names whose data it is about holds, and why.
pub struct RequestHold {
    pub request: projections::information_requests::RequestView,
    pub reason: String,
    /// The streams it holds: the subject's account, applications and immigration records.
    pub streams: Vec<(String, String)>,
}

/// Everything about the subject of a request still open (a subject access or other rights request) is held
/// until it is answered or decided: the subject's account, applications and immigration records, found
/// through the same indexes the response uses. A request answered, or whose right was decided (granted or
/// refused, even before its response is issued), holds nothing. The cost follows the open requests, not
/// the store.
pub async fn request_holds(state: &AppState) -> anyhow::Result<Vec<RequestHold>> {
    let mut holds = Vec::new();
    let db = &state.db;
    for request in projections::information_requests::open_with_subject(db).await? {
        if request.responded_on.is_some() || request.decided() {
            continue;
        }
        let Some(email) = request.subject_email.as_deref() else {
            continue;
        };
        let reason = format!(
            "open {} request {} about this person",
            request.kind.as_str(),
            request.id
        );
        let mut streams = Vec::new();
        let mut applications: Vec<String> = projections::case_list::with_email(db, email).await?;
        if let Some(account) = accounts::find_by_email(db, email).await? {
            applications
                .extend(projections::application_view::ids_for_applicant(db, &account.id).await?);
            streams.push(("Account".to_string(), account.id));
        }
        applications.sort();
        applications.dedup();
        for id in applications {
            for record in projections::immigration_records::for_application(db, &id).await? {
                streams.push(("ImmigrationRecord".to_string(), record.record_id));
            }
            streams.push(("Application".to_string(), id));
        }
        holds.push(RequestHold {
            request,
            reason,
            streams,
        });
    }
    Ok(holds)
}

/// A hold that stands, as the retention page and `GET /api/retention` list it.
#[derive(Clone, Debug, Serialize)]
pub struct StandingHold {
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// `legal_hold` (placed by an information officer) or `information_request` (an open request about the
    /// person).
    pub kind: &'static str,
    pub reason: String,
    /// The day the hold was placed, or the request received.
    pub since: NaiveDate,
    /// Days since then.
    pub age_days: i64,
    /// A legal hold: who placed it, and when.
    pub placed_by: Option<String>,
    pub placed_at: Option<DateTime<Utc>>,
    /// A request's hold: the request.
    pub request: Option<HoldingRequest>,
}

/// An open request that holds records, with its statutory date.
#[derive(Clone, Debug, Serialize)]
pub struct HoldingRequest {
    pub id: String,
    pub kind: &'static str,
    pub received_on: NaiveDate,
    pub statutory_due_on: NaiveDate,
    /// Whether its statutory date has passed: a request forgotten open would keep data for ever.
    pub past_statutory_date: bool,
    /// How many records it holds.
    pub records: usize,
}

/// Every hold that stands as of `today`: the legal holds, then the holds of open requests, oldest first.
pub async fn standing_holds(
    state: &AppState,
    today: NaiveDate,
) -> anyhow::Result<Vec<StandingHold>> {
    let mut standing: Vec<StandingHold> = retention::holds(&state.db)
        .await?
        .into_iter()
        .map(|hold| {
            let since = hold.placed_at.date_naive();
            StandingHold {
                aggregate_type: hold.aggregate_type,
                aggregate_id: hold.aggregate_id,
                kind: "legal_hold",
                reason: hold.reason,
                since,
                age_days: (today - since).num_days(),
                placed_by: Some(hold.placed_by),
                placed_at: Some(hold.placed_at),
                request: None,
            }
        })
        .collect();
    let calendar = projections::calendar::working_days(&state.db).await?;
    for hold in request_holds(state).await? {
        let statutory_due_on = hold.request.deadlines(&calendar, today).statutory_due_on;
        let request = HoldingRequest {
            id: hold.request.id.clone(),
            kind: hold.request.kind.as_str(),
            received_on: hold.request.received_on,
            statutory_due_on,
            past_statutory_date: statutory_due_on < today,
            records: hold.streams.len(),
        };
        for (aggregate_type, aggregate_id) in hold.streams {
            standing.push(StandingHold {
                aggregate_type,
                aggregate_id,
                kind: "information_request",
                reason: hold.reason.clone(),
                since: request.received_on,
                age_days: (today - request.received_on).num_days(),
                placed_by: None,
                placed_at: None,
                request: Some(request.clone()),
            });
        }
    }
    Ok(standing)
}

/// The open requests past their statutory date among the holds, once each: `id`, `kind`, `received_on`,
/// `statutory_due_on`, `days_past` and how many `records` each holds.
pub fn requests_past_statutory_date(
    holds: &[StandingHold],
    today: NaiveDate,
) -> Vec<serde_json::Value> {
    let mut seen = BTreeSet::new();
    holds
        .iter()
        .filter_map(|hold| hold.request.as_ref())
        .filter(|request| request.past_statutory_date && seen.insert(request.id.clone()))
        .map(|request| {
            serde_json::json!({
                "id": request.id,
                "kind": request.kind,
                "received_on": request.received_on,
                "statutory_due_on": request.statutory_due_on,
                "days_past": (today - request.statutory_due_on).num_days(),
                "records": request.records,
            })
        })
        .collect()
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
/// is counted in the process's metrics, with what it destroyed and what it failed on.
///
/// A record that cannot be destroyed does not stop the sweep: it is reported in `failed` with its cause,
/// logged, kept in `retention_failures` (the retention page and the metrics show it), and tried again by
/// the next sweep. An error is returned only when the sweep as a whole cannot go on (the store out of
/// reach, the ledger unreadable, of another store or not writable).
pub async fn sweep_at_most(
    state: &AppState,
    ledger: &Ledger,
    as_of: NaiveDate,
    dry_run: bool,
    limit: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    let batching = Batching::default();
    sweep_in_batches(state, ledger, as_of, dry_run, limit, &batching, progress).await
}

/// How many due records a sweep destroys together: their commands decided one by one, their events appended
/// in one transaction, their ledger lines written with one sync.
pub const SWEEP_BATCH: usize = 500;

/// What runs between deciding a batch's destructions and appending them, given the streams the batch is to
/// append to (tests use it to write to one of them meanwhile).
pub type BeforeAppend<'a> = dyn Fn(
        Vec<(String, String)>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>
    + Sync
    + 'a;

/// How a sweep destroys due records in batches.
pub struct Batching<'a> {
    /// How many records a batch holds ([`SWEEP_BATCH`]; at least one).
    pub size: usize,
    pub before_append: Option<&'a BeforeAppend<'a>>,
}

impl Default for Batching<'_> {
    fn default() -> Self {
        Self {
            size: SWEEP_BATCH,
            before_append: None,
        }
    }
}

/// [`sweep_at_most`] with batches of `batching.size` records.
pub async fn sweep_in_batches(
    state: &AppState,
    ledger: &Ledger,
    as_of: NaiveDate,
    dry_run: bool,
    limit: Option<usize>,
    batching: &Batching<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    let outcome = sweep_due(state, ledger, as_of, dry_run, limit, batching, progress).await;
    if !dry_run {
        state
            .metrics
            .sweep_ended(outcome.as_ref().ok().map(SweepReport::figures).as_ref());
    }
    outcome
}

async fn sweep_due(
    state: &AppState,
    ledger: &Ledger,
    as_of: NaiveDate,
    dry_run: bool,
    limit: Option<usize>,
    batching: &Batching<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport {
        as_of: Some(as_of),
        dry_run,
        ..SweepReport::default()
    };
    let store = crate::store::identity::id(&state.db).await?;
    let phase = std::time::Instant::now();
    reapply_ledger(state, ledger, &store, dry_run, &mut report).await?;
    tracing::debug!(
        ms = phase.elapsed().as_millis() as u64,
        "the sweep reapplied the ledger"
    );
    let phase = std::time::Instant::now();
    report.concluded =
        crate::conclusion::conclude_due_cycles(state, &sweep_actor(), as_of, dry_run)
            .await
            .map_err(|error| anyhow::anyhow!("cycles could not be concluded: {error}"))?;
    report.lapsed_offers = crate::awards::lapse_offers(state, &sweep_actor(), as_of, dry_run)
        .await
        .map_err(|error| anyhow::anyhow!("offers could not be lapsed: {error}"))?;
    report.report_reminders = crate::awards::remind_reports(state, &sweep_actor(), as_of, dry_run)
        .await
        .map_err(|error| anyhow::anyhow!("reminders could not be sent: {error}"))?;
    tracing::debug!(
        ms = phase.elapsed().as_millis() as u64,
        "the sweep concluded cycles, lapsed offers, sent reminders"
    );
    let phase = std::time::Instant::now();
    let mut holds: BTreeMap<(String, String), String> = retention::holds(&state.db)
        .await?
        .into_iter()
        .map(|hold| ((hold.aggregate_type, hold.aggregate_id), hold.reason))
        .collect();
    for hold in request_holds(state).await? {
        for stream in hold.streams {
            holds.insert(stream, hold.reason.clone());
        }
    }
    let due = match limit {
        Some(limit) => {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            retention::due_by_at_most(&state.db, as_of, limit).await?
        }
        None => retention::due_by(&state.db, as_of).await?,
    };
    // A dry run concludes nothing, so it counts what its conclusions would put on the schedule, due by then.
    let mut due = due;
    // Those the conclusion would end: unsuccessful by then, so their rule fits them then.
    let mut ended_by_conclusion = std::collections::BTreeSet::new();
    if dry_run {
        for conclusion in &report.concluded {
            for (id, due_on) in &conclusion.would_fall_due {
                ended_by_conclusion.insert(id.clone());
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
    // Batches formed in the order of the partitions that hold the streams' keys (on PostgreSQL), so each
    // batch's statements on the keys reach one or two partitions rather than most of them. A dry run lists
    // them in the same order, so it says what the sweep would do as the sweep would do it.
    let due = crate::store::partitions::order_by_key_partition(&state.db, due, |record| {
        record.aggregate_id.as_str()
    })
    .await?;
    let total = due.len();
    tracing::debug!(
        ms = phase.elapsed().as_millis() as u64,
        due = total,
        "the sweep read the holds and what is due"
    );
    // Each batch is decided while the one before it is appended: the deciding is mostly this process's work
    // (the streams folded), the appending mostly the database's, so the two overlap on two cores. The
    // batches' streams are distinct, so neither sees the other's writes.
    let mut done = 0;
    let mut waiting: Option<(DecidedBatch<'_>, usize)> = None;
    for chunk in due.chunks(batching.size.max(1)) {
        let mut batch = Vec::new();
        for record in chunk {
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
                let ended = ended_by_conclusion.contains(&record.aggregate_id);
                match foreseen_failure(state, record, ended).await? {
                    Some(cause) => report.failed.push(schedule_failure(record, cause)),
                    None => report.destroyed.push(line),
                }
            } else {
                batch.push((record, line));
            }
        }
        let deciding = decide_batch(state, as_of, batch);
        let decided = match waiting.take() {
            Some((before, records)) => {
                let finishing = finish_batch(
                    state,
                    ledger,
                    &store,
                    as_of,
                    before,
                    batching.before_append,
                    &mut report,
                );
                let (decided, finished) = tokio::join!(deciding, finishing);
                finished?;
                for _ in 0..records {
                    done += 1;
                    progress(done, total);
                }
                decided
            }
            None => deciding.await,
        };
        waiting = Some((decided, chunk.len()));
    }
    if let Some((last, records)) = waiting {
        finish_batch(
            state,
            ledger,
            &store,
            as_of,
            last,
            batching.before_append,
            &mut report,
        )
        .await?;
        for _ in 0..records {
            done += 1;
            progress(done, total);
        }
    }
    // Applicant accounts: two years after the last sign-in, once no application of theirs is kept. A dry
    // run counts as gone the applications it would have destroyed.
    let phase = std::time::Instant::now();
    let rule = RecordKind::ApplicantAccount;
    if let Some(last_active_on) = as_of.checked_sub_months(Months::new(24)) {
        let inactive = if dry_run {
            let destroyed: BTreeSet<&str> = report
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
                let kept = projections::application_view::ids_for_applicant(&state.db, &id)
                    .await?
                    .into_iter()
                    .any(|kept| !destroyed.contains(kept.as_str()));
                if !kept {
                    ids.push(id);
                }
            }
            ids
        } else {
            accounts::applicants_inactive_since(&state.db, last_active_on).await?
        };
        let inactive =
            crate::store::partitions::order_by_key_partition(&state.db, inactive, |id| id.as_str())
                .await?;
        let mut batch: Vec<SweepLine> = Vec::new();
        let mut full: Vec<Vec<SweepLine>> = Vec::new();
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
            } else if dry_run {
                report.destroyed.push(line);
            } else {
                batch.push(line);
                if batch.len() >= batching.size.max(1) {
                    full.push(std::mem::take(&mut batch));
                    if full.len() >= account_batches_at_once(&state.db) {
                        let batches = std::mem::take(&mut full);
                        destroy_accounts(state, ledger, &store, as_of, batches, &mut report)
                            .await?;
                    }
                }
            }
        }
        full.push(batch);
        destroy_accounts(state, ledger, &store, as_of, full, &mut report).await?;
    }
    tracing::debug!(
        ms = phase.elapsed().as_millis() as u64,
        "the sweep destroyed the inactive applicants' accounts"
    );
    let changed = !report.destroyed.is_empty() || !report.reapplied.is_empty();
    if changed && !dry_run {
        let phase = std::time::Instant::now();
        let scrubbed = scrub(&state.db).await?;
        tracing::debug!(
            ms = phase.elapsed().as_millis() as u64,
            partitions = scrubbed.partitions,
            tables = scrubbed.tables,
            "the sweep scrubbed the store"
        );
        report.scrubbed = Some(scrubbed);
    }
    if !dry_run {
        keep_failures(&state.db, &report, limit.is_none()).await?;
        for failure in &report.failed {
            tracing::warn!(
                aggregate_type = %failure.aggregate_type,
                aggregate_id = %failure.aggregate_id,
                rule = %failure.rule,
                source = failure.source,
                cause = %failure.cause,
                "the retention sweep could not destroy a record; the next sweep tries it again"
            );
        }
    }
    report.next_due = retention::upcoming(&state.db, as_of, 1)
        .await?
        .first()
        .map(|d| d.due_on);
    Ok(report)
}

/// How many batches of accounts are deleted at once: on PostgreSQL two, each its own transaction on its own
/// connection, so that their round trips and commits overlap (the batches' accounts are distinct); on SQLite
/// one, as the store has one writer at a time.
fn account_batches_at_once(db: &Db) -> usize {
    match db {
        Db::Postgres(_) => 2,
        Db::Sqlite(_) => 1,
    }
}

/// Destroys batches of inactive applicants' accounts, each in one transaction, several at once; then writes
/// their ledger lines, one batch after another, each with one sync. A batch that cannot be destroyed together
/// has each account tried alone, and one that still fails is reported (the next sweep tries it again).
async fn destroy_accounts(
    state: &AppState,
    ledger: &Ledger,
    store: &str,
    as_of: NaiveDate,
    batches: Vec<Vec<SweepLine>>,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    let mut deleting = tokio::task::JoinSet::new();
    for (at, lines) in batches.into_iter().enumerate() {
        if lines.is_empty() {
            continue;
        }
        let state = state.clone();
        deleting.spawn(async move { (at, delete_accounts(&state, as_of, lines).await) });
    }
    let mut deleted = Vec::new();
    while let Some(one) = deleting.join_next().await {
        deleted.push(one.context("a batch of applicant accounts stopped")?);
    }
    // In the order of the batches, as one at a time wrote them.
    deleted.sort_by_key(|(at, _)| *at);
    let rule = RecordKind::ApplicantAccount.as_str();
    for (_, (destroyed, failed)) in deleted {
        let entries: Vec<LedgerLine> = destroyed
            .iter()
            .map(|line| Ledger::line(store, "Account", &line.aggregate_id, rule, as_of))
            .collect();
        for line in &destroyed {
            state.standings.forget_account(&line.aggregate_id);
        }
        ledger.append_all_apart(entries).await?;
        report.destroyed.extend(destroyed);
        report.failed.extend(failed);
    }
    Ok(())
}

/// Deletes a batch of accounts in one transaction, or, where that fails, each alone: the accounts
/// destroyed, and those that could not be.
async fn delete_accounts(
    state: &AppState,
    as_of: NaiveDate,
    lines: Vec<SweepLine>,
) -> (Vec<SweepLine>, Vec<SweepFailure>) {
    let rule = RecordKind::ApplicantAccount.as_str();
    let ids: Vec<&str> = lines
        .iter()
        .map(|line| line.aggregate_id.as_str())
        .collect();
    let mut failed = Vec::new();
    let destroyed: Vec<SweepLine> = match accounts::destroy_many(&state.db, &ids, as_of).await {
        Ok(()) => lines,
        Err(error) => {
            tracing::warn!(cause = %error, accounts = lines.len(), "a batch of applicant accounts could not be destroyed together; trying each alone");
            let mut alone = Vec::with_capacity(lines.len());
            for line in lines {
                if let Err(error) = accounts::destroy(&state.db, &line.aggregate_id, as_of).await {
                    tracing::warn!(cause = %error, "an applicant account could not be destroyed");
                    failed.push(SweepFailure {
                        aggregate_type: "Account".to_string(),
                        aggregate_id: line.aggregate_id,
                        rule: rule.to_string(),
                        source: "account",
                        cause: "the store failed while deleting the account (the log says more)"
                            .to_string(),
                    });
                } else {
                    alone.push(line);
                }
            }
            alone
        }
    };
    (destroyed, failed)
}

/// Keeps in `retention_failures` what this sweep failed on, and forgets what no longer fails: a record it
/// destroyed, or, after a `whole` sweep (no limit, so every due record was tried), any record it did not
/// fail on.
async fn keep_failures(db: &Db, report: &SweepReport, whole: bool) -> anyhow::Result<()> {
    let before = retention::failures(db).await?;
    if before.is_empty() && report.failed.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    for failure in &report.failed {
        retention::record_failure(
            db,
            &failure.aggregate_type,
            &failure.aggregate_id,
            &failure.rule,
            failure.source,
            &failure.cause,
            now,
        )
        .await?;
    }
    let done: BTreeSet<(&str, &str)> = report
        .destroyed
        .iter()
        .map(|line| (line.aggregate_type.as_str(), line.aggregate_id.as_str()))
        .chain(
            report
                .reapplied
                .iter()
                .chain(&report.absent)
                .map(|line| (line.aggregate_type.as_str(), line.aggregate_id.as_str())),
        )
        .collect();
    for old in before {
        let key = (old.aggregate_type.as_str(), old.aggregate_id.as_str());
        let failed_again = report.failed.iter().any(|failure| {
            (
                failure.aggregate_type.as_str(),
                failure.aggregate_id.as_str(),
            ) == key
        });
        if !failed_again && (whole || done.contains(&key)) {
            retention::clear_failure(db, &old.aggregate_type, &old.aggregate_id).await?;
        }
    }
    Ok(())
}

/// The tables whose rows hold personal data in clear, written anew whole by the scrub on PostgreSQL. The data
/// keys and every other view kept for each application or record are not among them: they are in partitions,
/// and only those that held a deleted row are written anew (`PARTITIONED_TABLES`; migrations 0025 and 0027 to
/// 0032, decision 0013). Nor are the
/// views sealed under their stream's key, which erasing the key destroys wherever their bytes
/// lie: `application_views` (migration 0026).
const TABLES_WITH_PERSONAL_DATA: [&str; 2] = ["sessions", "retention_holds"];

/// The tables in hash partitions of the stream's id whose every deletion notes its partition in
/// `scrub_pending` (a trigger, in the deleting transaction): the scrub writes anew only the partitions noted.
/// The data keys (256 partitions, migration 0025), the record of reads of personal data (32, migration 0027),
/// the committee's assignments and scores (32 each, migration 0028), and the referees' and supervisors'
/// addresses, the lists published or shared of award holders and their immigration records (32 each, migration
/// 0029), the accounts, their addresses and the information requests (32 each, migration 0030), and the
/// case list (32, migration 0032).
const PARTITIONED_TABLES: [&str; 15] = [
    "stream_keys",
    "personal_data_reads",
    "case_assignments",
    "committee_scores",
    "referee_index",
    "supervisor_index",
    "scholar_directory",
    "alumni_networking",
    "alumni_open_book",
    "media_consents",
    "immigration_records",
    "accounts",
    "account_emails",
    "information_requests",
    "case_list",
];

/// What a scrub wrote anew, and the longest any reader or writer could have waited on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Partitions written anew (of the data keys, the record of reads, the assignments and the scores): those
    /// that held a row deleted since the last scrub.
    pub partitions: usize,
    /// Whole tables written anew.
    pub tables: usize,
    /// The longest one table or partition was locked against every reader and writer.
    pub longest_lock: std::time::Duration,
}

/// Leaves nothing readable of deleted rows in the store's files.
pub async fn scrub(db: &Db) -> anyhow::Result<ScrubReport> {
    match db {
        Db::Sqlite(pool) => {
            // Deleted content was overwritten as it was deleted (secure_delete); copy the WAL into the database
            // and empty it, so no earlier version of a page stays in it.
            for _ in 0..10 {
                let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(pool)
                    .await?;
                if busy == 0 {
                    return Ok(ScrubReport::default());
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            anyhow::bail!("the SQLite WAL could not be truncated: the database stayed busy")
        }
        Db::Postgres(pool) => {
            let mut report = ScrubReport::default();
            let pending: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT relation FROM scrub_pending ORDER BY relation")
                    .fetch_all(pool)
                    .await?;
            for partition in pending {
                // A name the trigger wrote from the catalogue; checked all the same before it is spliced in.
                if !is_scrubbed_partition(&partition) {
                    anyhow::bail!(
                        "scrub_pending names a relation that is not a partition the scrub writes anew"
                    );
                }
                // One at a time: two or four at once finished sooner, but a reader of the case list (whose
                // statement locks its partitions one after another) queued behind several rewrites at once
                // and waited longer (docs/benchmarks.md, "Where the sweep's time goes at 10,000").
                let started = std::time::Instant::now();
                let mut tx = pool.begin().await?;
                rewrite(&mut tx, &partition).await?;
                sqlx::query("DELETE FROM scrub_pending WHERE relation = $1")
                    .bind(&partition)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                report.partitions += 1;
                report.longest_lock = report.longest_lock.max(started.elapsed());
            }
            for table in TABLES_WITH_PERSONAL_DATA {
                let started = std::time::Instant::now();
                let mut tx = pool.begin().await?;
                rewrite(&mut tx, table).await?;
                tx.commit().await?;
                report.tables += 1;
                report.longest_lock = report.longest_lock.max(started.elapsed());
                tracing::debug!(
                    table,
                    ms = started.elapsed().as_millis() as u64,
                    "the sweep wrote a table anew in its scrub"
                );
            }
            Ok(report)
        }
    }
}

/// The name of a partitioned table, `_` and three digits: one of its partitions (migrations 0025, 0027–0030).
fn is_scrubbed_partition(name: &str) -> bool {
    PARTITIONED_TABLES.iter().any(|table| {
        name.strip_prefix(table)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|digits| digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Writes a table (or one partition) anew with only its live rows, and drops its old files. Not VACUUM FULL:
/// it copies the deleted rows that another session's open snapshot could still see. TRUNCATE waits for every
/// session reading the table and leaves no old row version behind.
async fn rewrite(tx: &mut sqlx::PgConnection, table: &str) -> anyhow::Result<()> {
    sqlx::query(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        .execute(&mut *tx)
        .await?;
    // The rows go back as they were: triggers that keep other tables in step with inserts stand aside
    // (the accounts' addresses, migration 0030).
    sqlx::query("SELECT set_config('etp.scrubbing', 'on', true)")
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
    Ok(())
}

pub use crate::config::ledger_path;

/// The ledger a command that destroys (or re-destroys) streams must have, or the refusal that says how to
/// give it one.
pub fn required_ledger(configured: Option<&Path>) -> anyhow::Result<Ledger> {
    configured.map(Ledger::new).context(
        "ETP_RETENTION_LEDGER must be set when the store is PostgreSQL: name the file of this store's ledger          of destroyed streams, on storage every server of the store shares and kept apart from the database's          backups (docs/retention.md)",
    )
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
    let store = crate::store::identity::id(db).await?;
    let ids = crate::subjects::subject_applications(db, email).await?;
    let account = accounts::find_by_email(db, email).await?;
    let legal_holds: BTreeMap<(String, String), String> = retention::holds(db)
        .await?
        .into_iter()
        .map(|hold| ((hold.aggregate_type, hold.aggregate_id), hold.reason))
        .collect();
    let mut erased = Vec::new();
    let mut kept = Vec::new();
    for id in ids {
        let Some(view) = projections::application_view::find(db, &state.repo, &id).await? else {
            continue;
        };
        if let Some(reason) = legal_holds.get(&("Application".to_string(), id.clone())) {
            kept.push(serde_json::json!({
                "record": crate::letters::application_in_words(&view.cycle),
                "application_id": id,
                "ground": format!("a legal hold: {reason}"),
            }));
            continue;
        }
        if matches!(
            view.status,
            domain::application::Status::Awarded | domain::application::Status::Alumni
        ) {
            kept.push(serde_json::json!({
                "record": crate::letters::application_in_words(&view.cycle),
                "application_id": id,
                "ground": "the privacy notice says that a successful application and award are held indefinitely: it is still needed to administer your award and as the record of EtP scholars, and the right to erasure applies only to data no longer needed for the purpose it was collected for (UK GDPR Article 17(1)(a))",
            }));
            continue;
        }
        let record = DueRecord {
            aggregate_type: "Application".to_string(),
            aggregate_id: id.clone(),
            rule: RecordKind::ErasedOnRequest,
            due_on: today,
        };
        let destroyed = destroy(state, &record, today, false)
            .await
            .map_err(|error| {
                anyhow::anyhow!(
                    "application {id} could not be erased: {error} ({})",
                    error.code()
                )
            })?;
        if destroyed {
            if let Some(ledger) = &ledger {
                ledger.write(
                    &store,
                    "Application",
                    &id,
                    RecordKind::ErasedOnRequest.as_str(),
                    today,
                )?;
            }
            erased.push(serde_json::json!({
                "record": crate::letters::application_in_words(&view.cycle),
                "application_id": id,
            }));
        }
    }
    if let Some(account) = account {
        let still_kept = !projections::application_view::ids_for_applicant(db, &account.id)
            .await?
            .is_empty();
        if still_kept {
            kept.push(serde_json::json!({"record": "your account", "ground": "it gives you access to the award we keep"}));
        } else {
            accounts::destroy(db, &account.id, today).await?;
            state.standings.forget_account(&account.id);
            if let Some(ledger) = &ledger {
                ledger.write(
                    &store,
                    "Account",
                    &account.id,
                    RecordKind::ErasedOnRequest.as_str(),
                    today,
                )?;
            }
            erased.push(serde_json::json!({"record": "your account"}));
        }
    }
    scrub(db).await?;
    Ok(erasure_answer(erased, kept))
}

/// What an approved erasure is answered, as what it is: `approved` where everything held was erased (or
/// nothing was held), `refused_in_part` where some was erased and some kept, `refused` where everything held
/// is kept — never "approved" while nothing is erased. Each record kept says on what ground.
fn erasure_answer(
    erased: Vec<serde_json::Value>,
    kept: Vec<serde_json::Value>,
) -> serde_json::Value {
    let outcome = match (erased.is_empty(), kept.is_empty()) {
        (_, true) => "approved",
        (false, false) => "refused_in_part",
        (true, false) => "refused",
    };
    serde_json::json!({
        "erasure": outcome,
        "erased": erased,
        "kept": kept,
        "nothing_held": erased.is_empty() && kept.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_is_beside_an_sqlite_file_and_must_be_named_on_postgresql() {
        assert_eq!(
            ledger_path("sqlite://data/etp.db", None),
            Some(PathBuf::from("data/destroyed-streams.ledger"))
        );
        assert_eq!(ledger_path("postgres://db/etp", None), None);
        assert_eq!(ledger_path("sqlite::memory:", None), None);
        assert_eq!(
            ledger_path("postgres://db/etp", Some("/shared/etp.ledger")),
            Some(PathBuf::from("/shared/etp.ledger"))
        );
        let refused = required_ledger(None).unwrap_err().to_string();
        assert!(
            refused.contains("ETP_RETENTION_LEDGER must be set"),
            "{refused}"
        );
    }

    #[test]
    fn a_ledger_of_another_store_is_refused_and_lines_without_a_store_are_read() {
        let folder = std::env::temp_dir().join(format!("etp-ledger-{}", uuid::Uuid::new_v4()));
        let ledger = Ledger::new(folder.join("destroyed-streams.ledger"));
        let day = NaiveDate::from_ymd_opt(2028, 12, 6).unwrap();
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            ledger.path(),
            "{\"aggregate_type\":\"Application\",\"aggregate_id\":\"a\",\"rule\":\"unsubmitted_draft\",\"destroyed_on\":\"2028-12-06\"}\n",
        )
        .unwrap();
        ledger
            .write("store-one", "Account", "b", "applicant_account", day)
            .unwrap();
        let lines = ledger.lines_of("store-one").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].store, None);
        assert_eq!(lines[1].store.as_deref(), Some("store-one"));
        let refused = ledger.lines_of("store-two").unwrap_err().to_string();
        assert!(
            refused.contains("store-one") && refused.contains("store-two"),
            "{refused}"
        );
        std::fs::remove_dir_all(folder).unwrap();
    }
}
