//! The bulk path of `etp demo seed`: the same applications, decided by the same aggregates on the same
//! commands, written a thousand at a time.
//!
//! Each application's commands (the script in [`super::seed_one`], the one the command path runs) are
//! decided in memory, as cqrs-es decides them: the aggregate handles the command with the services the bus
//! gives it, its events are applied, and they get the next sequences of the stream and the metadata of the
//! command (actor and time). The outcome letters a decision and an award are owed are rendered from the
//! application's view folded in memory, with the reference the application is given, as
//! `letters::issue` renders them, and issued as the same `IssueLetter` command. No mail is sent: the bulk
//! path refuses to run where a mail server is configured (the command path would email every letter).
//!
//! A task decides the applications while this one writes what it decided, a batch at a time, each batch
//! (its applicants' accounts, its applications' references and every event, sealed as the store seals
//! them) in one transaction (`store::bulk`). The views are then brought up to date once, by the rebuild:
//! it folds each stream in memory and writes a thousand views a statement, far faster than projecting
//! event by event (about a million events in 20 s on PostgreSQL), and its replay is by construction what
//! the commands' projections leave (tests/api/storage.rs checks that for a seeded store).
//!
//! An application whose applicant makes an information request (about one in thirty) is seeded through the
//! commands once the rest is written and the views stand: its response is produced from the store as it
//! then stands (the subject's own records, or the programme's statistics), as on the command path. Its
//! reference is reserved in its place in the numbering, so the references follow the numbers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::SerializedEvent;
use cqrs_es::{Aggregate, EventEnvelope};

use domain::application::{
    Application, ApplicationCommand, ApplicationServices, LetterKind, StaffDirectory,
};
use domain::cycle::{CycleName, CycleTerms, CycleTermsSource};
use domain::immigration::{ImmigrationCommand, ImmigrationRecord};
use domain::{Actor, Authored, Role};
use projections::application_view;
use projections::{EventMetadata, RecordedEvent};
use store::bulk::{BulkAccount, BulkReference, BulkWrite};

use super::{
    Made, Runner, SeedReport, Staff, applicant_label, applicant_name, asks_for_information,
    first_number, new_account, seed_one, seed_through_commands, seed_with_password, stage,
};
use crate::accounts::AccountDirectory;
use crate::bus::AppState;
use crate::error::AppError;
use crate::letters;

/// From how many applications `etp demo seed` takes the bulk path by itself.
pub const BULK_FROM: usize = 1000;
/// Applications a transaction writes.
const BATCH: usize = 1000;

/// Which way the applications are seeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// In bulk from [`BULK_FROM`] applications where no mail server is configured, else one by one.
    Choose,
    /// Decided in memory and written in batches.
    Bulk,
    /// Each command through the command bus.
    OneByOne,
}

impl Way {
    /// Whether `count` applications go in bulk on this state.
    pub fn in_bulk(self, state: &AppState, count: usize) -> bool {
        match self {
            Way::Bulk => true,
            Way::OneByOne => false,
            Way::Choose => count >= BULK_FROM && state.mailer.is_none(),
        }
    }
}

/// Seeds `count` applications the way asked ([`Way`]); the report is the same either way.
pub async fn seed_as(
    state: &AppState,
    count: usize,
    cycle: &str,
    password: Option<&str>,
    way: Way,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SeedReport> {
    if way.in_bulk(state, count) {
        seed_in_bulk(state, count, cycle, password, progress).await
    } else {
        seed_with_password(state, count, cycle, password, progress).await
    }
}

/// What the deciding task hands the writer: one batch, and what each of its applications made.
struct Decided {
    write: BulkWrite,
    made: Vec<Made>,
}

/// [`super::seed_with_password`], in bulk: the same store, written in large transactions.
pub async fn seed_in_bulk(
    state: &AppState,
    count: usize,
    cycle: &str,
    password: Option<&str>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SeedReport> {
    if state.mailer.is_some() {
        anyhow::bail!(
            "the bulk seeding emails no letters, and a mail server is configured (ETP_SMTP_URL): seed \
             with --one-by-one to email each letter, or without the mail server's settings"
        );
    }
    let cycle = CycleName::parse(cycle).map_err(|problem| anyhow::anyhow!(problem))?;
    let staff = Arc::new(super::staff(state, password).await?);
    let first = first_number(state).await?;
    let year = i64::from(cycle.first_year() % 100);
    let next_reference = state.repo.next_reference_number(year).await?;
    let services = ApplicationServices {
        staff: Arc::new(RememberedStaff {
            directory: AccountDirectory::new(state.db.clone()),
            roles: Mutex::default(),
        }),
        cycles: Arc::new(RememberedCycles {
            calendar: projections::cycles::CycleCalendar::new(state.db.clone()),
            terms: Mutex::default(),
            concluded: Mutex::default(),
        }),
    };
    let mut report = SeedReport::default();
    for n in first..first + count {
        *report.by_stage.entry(stage(n).as_str()).or_default() += 1;
    }

    let (batches, mut decided) = tokio::sync::mpsc::channel::<anyhow::Result<Decided>>(2);
    let decider = tokio::spawn({
        let staff = Arc::clone(&staff);
        let plan = Plan {
            numbers: first..first + count,
            cycle: cycle.clone(),
            year,
            next_reference,
        };
        async move { decide_all(plan, &staff, services, batches).await }
    });
    let done = AtomicUsize::new(0);
    let mut written = Ok(());
    while let Some(batch) = decided.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                written = Err(error);
                break;
            }
        };
        if let Err(error) = state.repo.write_bulk(&batch.write).await {
            written = Err(anyhow::Error::new(error).context(
                "writing a batch of demo applications (the batches written before it are kept; \
                 `etp projections rebuild` brings the views up to date with them)",
            ));
            break;
        }
        let made = batch.made.len();
        for made in batch.made {
            report.add(made);
        }
        progress(done.fetch_add(made, Ordering::Relaxed) + made, count);
    }
    // Dropping the receiver stops the deciding task after a failure here.
    drop(decided);
    let by_commands = decider.await.context_join()?;
    written?;

    // One rebuild brings every view up to date with what was written.
    state
        .repo
        .rebuild_projections()
        .await
        .map_err(|error| anyhow::Error::new(error).context("bringing the views up to date"))?;

    seed_through_commands(state, by_commands, &cycle, &staff, &mut report, &|made| {
        progress(done.fetch_add(made, Ordering::Relaxed) + made, count)
    })
    .await?;
    report.applications = count;
    report.staff = staff.sign_in.clone();
    Ok(report)
}

trait JoinedContext<T> {
    fn context_join(self) -> anyhow::Result<T>;
}

impl<T> JoinedContext<T> for Result<T, tokio::task::JoinError> {
    fn context_join(self) -> anyhow::Result<T> {
        self.map_err(|error| {
            anyhow::anyhow!("the deciding of the demo applications stopped: {error}")
        })
    }
}

/// Which applications the deciding task decides.
struct Plan {
    numbers: std::ops::Range<usize>,
    cycle: CycleName,
    /// The two-digit year of the cycle's references, and the next number of that year.
    year: i64,
    next_reference: i64,
}

/// Decides every application of the plan in memory and sends them in batches; gives back the numbers and
/// ids of those left to the commands ([`asks_for_information`]).
async fn decide_all(
    plan: Plan,
    staff: &Staff,
    services: ApplicationServices,
    batches: tokio::sync::mpsc::Sender<anyhow::Result<Decided>>,
) -> Vec<(usize, String)> {
    let mut by_commands = Vec::new();
    let mut deciding = Deciding::new(services);
    let mut made = Vec::new();
    for (number, n) in (plan.next_reference..).zip(plan.numbers) {
        let id = uuid::Uuid::now_v7().to_string();
        deciding.write.references.push(BulkReference {
            application_id: id.clone(),
            year: plan.year,
            number,
        });
        let reference = projections::references::format(plan.year, number);
        if asks_for_information(n) {
            by_commands.push((n, id));
        } else {
            match deciding.seed(n, &id, reference, &plan.cycle, staff).await {
                Ok(one) => made.push(one),
                Err(error) => {
                    let _ = batches.send(Err(error)).await;
                    return by_commands;
                }
            }
        }
        if deciding.write.references.len() >= BATCH {
            let batch = Decided {
                write: std::mem::take(&mut deciding.write),
                made: std::mem::take(&mut made),
            };
            if batches.send(Ok(batch)).await.is_err() {
                return by_commands;
            }
        }
    }
    if !deciding.write.references.is_empty() {
        let batch = Decided {
            write: std::mem::take(&mut deciding.write),
            made,
        };
        let _ = batches.send(Ok(batch)).await;
    }
    by_commands
}

/// Applications decided in memory, and what they wrote so far.
pub(super) struct Deciding {
    services: ApplicationServices,
    write: BulkWrite,
    /// The application being decided: its aggregate, its last sequence, its events as the views read them,
    /// and its reference.
    application: Application,
    sequence: usize,
    recorded: Vec<RecordedEvent>,
    reference: String,
}

impl Deciding {
    fn new(services: ApplicationServices) -> Self {
        Self {
            services,
            write: BulkWrite::default(),
            application: Application::default(),
            sequence: 0,
            recorded: Vec::new(),
            reference: String::new(),
        }
    }

    /// One application: its applicant's account, then the commands of the script.
    async fn seed(
        &mut self,
        n: usize,
        id: &str,
        reference: String,
        cycle: &CycleName,
        staff: &Staff,
    ) -> anyhow::Result<Made> {
        let (account, sign_in) = new_account(
            &staff.password,
            Role::Applicant,
            &applicant_label(n),
            &applicant_name(n),
        )?;
        let account_id = uuid::Uuid::now_v7().to_string();
        self.write.accounts.push(BulkAccount {
            id: account_id.clone(),
            email: account.email,
            full_name: account.full_name,
            role: account.role.as_str().to_string(),
            password_hash: staff.password_hash.clone(),
            created_at: Utc::now(),
        });
        self.application = Application::default();
        self.sequence = 0;
        self.recorded.clear();
        self.reference = reference;
        let applicant = Actor::new(account_id, Role::Applicant);
        seed_one(
            &mut Runner::Memory(self),
            n,
            id,
            (applicant, sign_in),
            cycle.clone(),
            staff,
        )
        .await
    }

    /// Decides a command on the application, then issues the letter it is owed, as `execute_application`.
    pub(super) async fn application(
        &mut self,
        id: &str,
        by: &Actor,
        command: ApplicationCommand,
    ) -> Result<(), AppError> {
        let letter = LetterKind::due_after(&command);
        self.decide_application(id, by, command).await?;
        if let Some(kind) = letter
            && let Err(error) = self.issue_letter(id, by, kind).await
        {
            // As `letters::after`: the command stands, and a letter that could not be issued is logged.
            tracing::warn!(
                application_id = %id,
                kind = kind.as_str(),
                error = error.code(),
                "the outcome letter was not issued"
            );
        }
        Ok(())
    }

    async fn decide_application(
        &mut self,
        id: &str,
        by: &Actor,
        command: ApplicationCommand,
    ) -> Result<(), AppError> {
        let at = Utc::now();
        let metadata = EventMetadata::new(by, at);
        // As cqrs-es: the sink applies each event to the aggregate as the command writes it.
        let sink = EventSink::default();
        self.application
            .handle(
                Authored::new(by.clone(), at, command),
                &self.services,
                &sink,
            )
            .await?;
        for event in sink.collect().await {
            let serialized = serialize::<Application>(id, &mut self.sequence, &metadata, &event)?;
            self.recorded.push(RecordedEvent {
                aggregate_type: serialized.aggregate_type.clone(),
                aggregate_id: serialized.aggregate_id.clone(),
                sequence: serialized.sequence as i64,
                event_type: serialized.event_type.clone(),
                payload: serialized.payload.clone(),
                metadata: metadata.clone(),
            });
            self.write.events.push(serialized);
        }
        Ok(())
    }

    /// As `letters::issue`, with the application's view folded from its events so far.
    async fn issue_letter(
        &mut self,
        id: &str,
        by: &Actor,
        kind: LetterKind,
    ) -> Result<(), AppError> {
        let view = application_view::replay(&self.recorded)
            .map_err(AppError::internal)?
            .ok_or_else(AppError::not_found)?;
        let letter = letters::render(&view, &self.reference, kind, Utc::now().date_naive())
            .map_err(AppError::internal)?;
        let by = if by.role == Role::Applicant {
            letters::mailer_actor()
        } else {
            by.clone()
        };
        let command = ApplicationCommand::IssueLetter {
            letter_id: uuid::Uuid::now_v7().to_string(),
            kind,
            subject: letter.subject,
            body: letter.body,
            // No mail server: the bulk path does not run with one.
            by_email: false,
        };
        self.decide_application(id, &by, command).await
    }

    /// Decides a new immigration record's command.
    pub(super) async fn immigration(
        &mut self,
        id: &str,
        by: &Actor,
        command: ImmigrationCommand,
    ) -> Result<(), AppError> {
        let at = Utc::now();
        let metadata = EventMetadata::new(by, at);
        let mut record = ImmigrationRecord::default();
        let sink = EventSink::default();
        record
            .handle(Authored::new(by.clone(), at, command), &(), &sink)
            .await?;
        let mut sequence = 0;
        for event in sink.collect().await {
            let serialized = serialize::<ImmigrationRecord>(id, &mut sequence, &metadata, &event)?;
            self.write.events.push(serialized);
        }
        Ok(())
    }
}

/// An event as cqrs-es serializes it for the repository: the stream's next sequence, the command's metadata.
fn serialize<A: Aggregate>(
    id: &str,
    sequence: &mut usize,
    metadata: &EventMetadata,
    event: &A::Event,
) -> Result<SerializedEvent, AppError> {
    *sequence += 1;
    let envelope = EventEnvelope::<A> {
        aggregate_id: id.to_string(),
        sequence: *sequence,
        payload: event.clone(),
        metadata: metadata.to_map(),
    };
    SerializedEvent::try_from(&envelope).map_err(AppError::internal)
}

/// The staff directory, each account's role asked of the store once.
struct RememberedStaff {
    directory: AccountDirectory,
    roles: Mutex<HashMap<String, Option<Role>>>,
}

#[async_trait]
impl StaffDirectory for RememberedStaff {
    async fn role_of(&self, user_id: &str) -> Result<Option<Role>, String> {
        if let Some(role) = lock(&self.roles).get(user_id) {
            return Ok(*role);
        }
        let role = self.directory.role_of(user_id).await?;
        lock(&self.roles).insert(user_id.to_string(), role);
        Ok(role)
    }
}

/// The cycles' terms, each cycle's asked of the store once (nothing changes them while the seeding runs).
struct RememberedCycles {
    calendar: projections::cycles::CycleCalendar,
    terms: Mutex<HashMap<String, Option<CycleTerms>>>,
    concluded: Mutex<HashMap<String, Option<NaiveDate>>>,
}

#[async_trait]
impl CycleTermsSource for RememberedCycles {
    async fn terms_of(&self, cycle: &CycleName) -> Result<Option<CycleTerms>, String> {
        if let Some(terms) = lock(&self.terms).get(cycle.as_str()) {
            return Ok(terms.clone());
        }
        let terms = self.calendar.terms_of(cycle).await?;
        lock(&self.terms).insert(cycle.to_string(), terms.clone());
        Ok(terms)
    }

    async fn concluded_on(&self, cycle: &CycleName) -> Result<Option<NaiveDate>, String> {
        if let Some(on) = lock(&self.concluded).get(cycle.as_str()) {
            return Ok(*on);
        }
        let on = self.calendar.concluded_on(cycle).await?;
        lock(&self.concluded).insert(cycle.to_string(), on);
        Ok(on)
    }
}

/// A map behind a lock held for one call at a time: a panic elsewhere cannot leave it half-changed.
fn lock<T>(map: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
