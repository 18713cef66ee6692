//! The `etp` command line: the server and the administrative commands around it.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use domain::Role;

use crate::accounts::{self, AccountError, NewAccount};
use crate::bus::AppState;
use crate::config::{Config, Environment};

/// Writes a line to standard output. A reader that went away (`etp … | head`) ends the command quietly, as
/// it ends any command-line tool, instead of a panic; any other failure to write is an error.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let written = writeln!(std::io::stdout().lock(), $($arg)*);
        crate::cli::written(written)?;
    }};
}

/// What `out!` does with the outcome of a write.
fn written(outcome: std::io::Result<()>) -> anyhow::Result<()> {
    match outcome {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "etp",
    version,
    about = "EtP Scholarships: applications, awards and information requests"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and pages on ETP_BIND (default 127.0.0.1:8080).
    Serve,
    /// Apply the database migrations the store has not had yet.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage the read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Demonstration data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Retention: destroy what the schedule says is due.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// The working-day calendar the deadlines of information requests are counted in.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Write an encrypted, consistent copy of the store to a new file (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump), under ETP_BACKUP_KEY or, unset, a key derived from ETP_MASTER_KEY.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put the store back from an encrypted backup made under this configuration's key, then destroy again
    /// every stream the ledger of destroyed streams names. Stop the servers first.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: std::path::PathBuf,
        /// Replace a store that already holds data (SQLite: moved aside; PostgreSQL: dropped).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Add a day proclaimed a bank holiday (a one-off or moved day); the dates of open requests move.
    Add {
        /// The day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        date: chrono::NaiveDate,
        /// england-and-wales, scotland or northern-ireland.
        #[arg(long)]
        region: String,
        /// The holiday's name, as proclaimed.
        #[arg(long)]
        name: String,
    },
    /// List the bank holidays of a year in every part of the UK, the added ones marked.
    List {
        #[arg(long)]
        year: i32,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Destroy every record due by the day (today unless --as-of), except those under a hold; print one line
    /// per record and a summary. Running it again on the same day destroys nothing more. A record that
    /// cannot be destroyed is named with the cause and the rest destroyed; the command then exits 1, and
    /// the next sweep tries it again. On PostgreSQL, ETP_RETENTION_LEDGER must be set.
    Sweep {
        /// The day to sweep as of (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        as_of: Option<chrono::NaiveDate>,
        /// Say what would be destroyed, and destroy nothing.
        #[arg(long)]
        dry_run: bool,
        /// Take at most this many of the due records, the oldest first (the next sweep goes on from there).
        #[arg(long)]
        limit: Option<usize>,
    },
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date written YYYY-MM-DD"))
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill the store with made-up applications at every stage, decided by the ordinary commands.
    Seed {
        /// How many applications.
        #[arg(long, default_value_t = 100)]
        applications: usize,
        /// The cycle they are in.
        #[arg(long, default_value = "2026-27")]
        cycle: String,
        /// Read from standard input a password every demo account signs in with (never on the command
        /// line); without it the demo accounts' password is random and never shown.
        #[arg(long)]
        password_stdin: bool,
        /// Decide the applications in memory and write them a thousand to a transaction, then bring the
        /// views up to date once: the same store, in minutes for a million. The default from 1,000
        /// applications, where no mail server is configured.
        #[arg(long, conflicts_with = "one_by_one")]
        bulk: bool,
        /// Carry out each command through the command bus, as people's commands are. The default below
        /// 1,000 applications, or where a mail server is configured.
        #[arg(long)]
        one_by_one: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a staff account (applicants register themselves).
    Add {
        #[arg(long)]
        email: String,
        /// helpdesk, programme_officer, committee_member, information_officer or admin.
        #[arg(long)]
        role: String,
        /// The name shown to colleagues; the email address where not given.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Empty every view and replay the whole event log into it, in commit order.
    Rebuild,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(Environment::from_process())?;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = crate::store::connect(&config.database_url).await?;
            crate::store::migrate(&db).await?;
            eprintln!("etp: the database is up to date");
            Ok(())
        }
        Command::Users(UsersCommand::Add {
            email,
            role,
            name,
            password_stdin: _,
        }) => add_user(&config, &email, &role, name.as_deref()).await,
        Command::Demo(DemoCommand::Seed {
            applications,
            cycle,
            password_stdin,
            bulk,
            one_by_one,
        }) => {
            let way = match (bulk, one_by_one) {
                (true, _) => crate::demo::Way::Bulk,
                (_, true) => crate::demo::Way::OneByOne,
                _ => crate::demo::Way::Choose,
            };
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let state = AppState::from_config(&config).await?;
            let started = std::time::Instant::now();
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new(applications as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} applications, {per_sec}, {eta} left",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let progress = |done: usize, _total: usize| {
                if let Some(bar) = &bar {
                    bar.set_position(done as u64);
                }
            };
            let report = crate::demo::seed_as(
                &state,
                applications,
                &cycle,
                password.as_deref(),
                way,
                &progress,
            )
            .await?;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            out!(
                "seeded {} made-up applications in cycle {cycle} in {:.1} s",
                report.applications,
                started.elapsed().as_secs_f64()
            );
            out!("{}", report.summary());
            if password.is_some() {
                out!("sign in with the password you gave as any of these demo accounts:");
            } else {
                out!(
                    "the demo accounts' password is random and not shown; to sign in as them, seed with \
                     --password-stdin (for example: echo 'a demo passphrase' | etp demo seed --password-stdin)"
                );
            }
            for (role, email) in &report.staff {
                out!("  {:<20} {email}", role.to_string());
            }
            if let Some((n, email)) = &report.applicant {
                out!(
                    "  {:<20} {email} (Demo Applicant {n:06})",
                    Role::Applicant.to_string()
                );
            }
            Ok(())
        }
        Command::Projections(ProjectionsCommand::Rebuild) => {
            let state = AppState::from_config(&config).await?;
            let report = state.repo.rebuild_projections().await?;
            out!(
                "rebuilt the views from {} events of {} streams",
                report.events,
                report.streams
            );
            Ok(())
        }
        Command::Calendar(CalendarCommand::Add { date, region, name }) => {
            let holiday = domain::calendar::BankHoliday::proclaimed(date, &region, &name)
                .map_err(|(field, problem)| anyhow::anyhow!("{field} {problem}"))?;
            let state = AppState::from_config(&config).await?;
            let added =
                projections::calendar::add_holiday(&state.db, &holiday, "the command line").await?;
            if added {
                out!(
                    "added {} in {}: {}",
                    holiday.date,
                    holiday.region.as_str(),
                    holiday.name
                );
            } else {
                out!(
                    "{} in {} was already a holiday: nothing changed",
                    holiday.date,
                    holiday.region.as_str()
                );
            }
            moved_requests(&state).await
        }
        Command::Calendar(CalendarCommand::List { year }) => {
            if !(domain::calendar::FIRST_YEAR..=domain::calendar::LAST_YEAR).contains(&year) {
                bail!("the year must be from 2015 to 2100");
            }
            let state = AppState::from_config(&config).await?;
            let calendar = projections::calendar::working_days(&state.db).await?;
            for day in calendar.holidays(year) {
                out!("{}\t{}\t{}", day.date, day.region.as_str(), day.name);
            }
            Ok(())
        }
        Command::Backup { to } => {
            crate::backup::backup(&config, &to).await?;
            out!("backed up the store to {}", to.display());
            Ok(())
        }
        Command::Restore { from, force } => {
            let restored = crate::backup::restore(&config, &from, force).await?;
            if let Some(aside) = &restored.moved_aside {
                out!("moved the store that was there to {}", aside.display());
            }
            out!(
                "restored the store from {}; destroyed again from the ledger: {} streams",
                from.display(),
                restored.redestroyed
            );
            if restored.absent > 0 {
                out!(
                    "in the ledger but not in the backup (made after it was taken, then destroyed): {} streams",
                    restored.absent
                );
            }
            for failure in &restored.report.failed {
                out!(
                    "failed on {} {} ({}, from the {}): {}",
                    failure.aggregate_type,
                    failure.aggregate_id,
                    failure.rule,
                    failure.source,
                    failure.cause
                );
            }
            match restored.report.failure_message() {
                Some(message) => Err(anyhow::anyhow!(
                    "{message}; run `etp retention sweep` before serving the restored store"
                )),
                None => Ok(()),
            }
        }
        Command::Retention(RetentionCommand::Sweep {
            as_of,
            dry_run,
            limit,
        }) => {
            let ledger = crate::retention::required_ledger(config.retention_ledger.as_deref())?;
            let state = AppState::from_config(&config).await?;
            let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            sweep_from_the_command_line(&state, &ledger, as_of, dry_run, limit).await
        }
    }
}

/// After a change to the calendar: each open request and the dates it is now due.
async fn moved_requests(state: &AppState) -> anyhow::Result<()> {
    // The cause of a failure is printed whole: the operator needs it, and no client sees it.
    let requests = crate::rights::open_requests(state)
        .await
        .map_err(|error| anyhow::anyhow!("the requests could not be read: {error}"))?;
    for (request, deadlines) in &requests {
        out!(
            "request {} ({}): due {}, statutory {}",
            request.id,
            request.kind.as_str(),
            deadlines.due_on,
            deadlines.statutory_due_on,
        );
    }
    Ok(())
}

/// `etp retention sweep`: one line per record, a summary, and a progress bar on a terminal.
async fn sweep_from_the_command_line(
    state: &AppState,
    ledger: &crate::retention::Ledger,
    as_of: chrono::NaiveDate,
    dry_run: bool,
    limit: Option<usize>,
) -> anyhow::Result<()> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records due")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let report =
        crate::retention::sweep_at_most(state, ledger, as_of, dry_run, limit, &progress).await?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let verb = if dry_run {
        "would destroy"
    } else {
        "destroyed"
    };
    for cycle in &report.concluded {
        let how = if cycle.automatic {
            "concluded automatically"
        } else {
            "already concluded"
        };
        let made = if dry_run { "would make" } else { "made" };
        out!(
            "cycle {} {how} on {}: {made} {} applications unsuccessful",
            cycle.cycle,
            cycle.concluded_on,
            cycle.concluded
        );
        for (id, code) in &cycle.not_concluded {
            out!("could not conclude Application {id} ({code}): the next sweep tries again");
        }
    }
    for offer in &report.lapsed_offers {
        match &offer.failed {
            None if dry_run => out!(
                "offer on Application {} would lapse: not answered by its reply-by date",
                offer.application_id
            ),
            None => out!(
                "offer on Application {} lapsed: not answered by its reply-by date",
                offer.application_id
            ),
            Some(cause) => out!(
                "could not lapse the offer on Application {} ({cause}): the next sweep tries again",
                offer.application_id
            ),
        }
    }
    for reminder in &report.report_reminders {
        let to = reminder.sent_to.join(" and ").replace('_', " ");
        match &reminder.failed {
            None if dry_run => out!(
                "would remind the {to} of the report due {} on Application {}",
                reminder.due_on,
                reminder.application_id
            ),
            None => out!(
                "reminded the {to} of the report due {} on Application {}",
                reminder.due_on,
                reminder.application_id
            ),
            Some(cause) => out!(
                "could not remind of the report due {} on Application {} ({cause}): the next sweep tries again",
                reminder.due_on,
                reminder.application_id
            ),
        }
    }
    for line in &report.reapplied {
        out!(
            "{} {} {} ({}), from the ledger",
            if dry_run {
                "would destroy again"
            } else {
                "re-destroyed"
            },
            line.aggregate_type,
            line.aggregate_id,
            line.rule
        );
    }
    for line in &report.destroyed {
        out!(
            "{verb} {} {} ({}, due {})",
            line.aggregate_type,
            line.aggregate_id,
            line.rule,
            line.due_on
        );
    }
    for line in &report.held {
        out!(
            "held {} {} ({}, due {}): {}",
            line.aggregate_type,
            line.aggregate_id,
            line.rule,
            line.due_on,
            line.held_because.as_deref().unwrap_or_default()
        );
    }
    for line in &report.absent {
        out!(
            "{} {} {} ({}), from the ledger: not in this store",
            if dry_run { "would record" } else { "recorded" },
            line.aggregate_type,
            line.aggregate_id,
            line.rule
        );
    }
    for failure in &report.failed {
        out!(
            "{} {} {} ({}, from the {}): {}",
            if dry_run {
                "would fail on"
            } else {
                "failed on"
            },
            failure.aggregate_type,
            failure.aggregate_id,
            failure.rule,
            failure.source,
            failure.cause
        );
    }
    out!("{}", report.summary());
    // A sweep that could not destroy everything it should have exits non-zero, naming each record.
    match report.failure_message() {
        Some(message) => Err(anyhow::anyhow!(message)),
        None => Ok(()),
    }
}

/// The password on standard input, without the line's end `echo` adds.
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("cannot read the password from standard input")?;
    Ok(password.trim_end_matches(['\n', '\r']).to_string())
}

async fn add_user(
    config: &Config,
    email: &str,
    role: &str,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let role = Role::parse(role).filter(|role| role.is_staff()).with_context(|| {
        format!(
            "unknown staff role {role:?}: use helpdesk, programme_officer, committee_member, information_officer or admin"
        )
    })?;
    let password = read_password()?;
    let password = password.as_str();
    let account =
        NewAccount::parse(email, name.unwrap_or(email), role, password).map_err(|problems| {
            let problems: Vec<String> = problems
                .into_iter()
                .map(|(field, problem)| format!("{field} {problem}"))
                .collect();
            anyhow::anyhow!("{}", problems.join("; "))
        })?;
    let state = AppState::from_config(config).await?;
    match accounts::create(&state.db, account).await {
        Ok(id) => {
            out!("{id}");
            eprintln!("etp: created an account with the role {role}");
            Ok(())
        }
        Err(AccountError::EmailTaken) => bail!("an account with this email address already exists"),
        Err(error) => Err(error.into()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let ledger = crate::retention::required_ledger(config.retention_ledger.as_deref())?;
    let state = AppState::from_config(&config).await?;
    // A ledger of another store would fail every sweep and every restore: refuse it before serving.
    ledger.check_belongs_to(&crate::store::identity::id(&state.db).await?)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!(address = %listener.local_addr()?, "serving");
    if crate::store::open::autovacuum_is_off(&state.db).await == Some(true) {
        tracing::warn!(
            "autovacuum is off on this PostgreSQL server: the case list and the views are rewritten by every \
             command, and without VACUUM their dead rows pile up and slow every list (docs/operations.md)"
        );
    }
    tokio::spawn(daily_sweep(state.clone(), ledger));
    // The case list's search is held in memory (projections/src/case_search.rs): built now, not at the first
    // search, which would otherwise wait for it (seconds at a million applications).
    let db = state.db.clone();
    tokio::spawn(async move {
        let began = std::time::Instant::now();
        match projections::case_search::warm(&db).await {
            Ok(rows) => tracing::info!(
                rows,
                seconds = began.elapsed().as_secs_f64(),
                "the case list's search is ready"
            ),
            Err(error) => {
                tracing::warn!(cause = %error, "the case list's search could not be built yet")
            }
        }
    });
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            if let Err(error) = crate::pages::session::sweep(&db).await {
                tracing::warn!(cause = %error, "ended sessions could not be removed");
            }
            if let Err(error) = crate::accounts::sweep_revoked_tokens(&db).await {
                tracing::warn!(cause = %error, "expired revoked tokens could not be removed");
            }
            if let Err(error) = crate::password_reset::sweep(&db).await {
                tracing::warn!(cause = %error, "expired password reset links could not be removed");
            }
            if let Err(error) = crate::throttle::sweep(&db).await {
                tracing::warn!(cause = %error, "old failed sign-ins could not be removed");
            }
            if let Err(error) = crate::http::idempotency::sweep(&db).await {
                tracing::warn!(cause = %error, "old idempotency keys could not be removed");
            }
        }
    });
    crate::server::serve(
        listener,
        crate::http::router(state),
        config.connections,
        shutdown_signal(),
    )
    .await
    .context("the server stopped")
}

/// The PostgreSQL advisory lock a server holds while it runs the daily retention sweep.
pub const SWEEP_LOCK: i64 = 0x4554_5052_4554; // "ETPRET"

/// The server sweeps once a day on its own (the first time as it starts). Where several servers share one
/// PostgreSQL database, one of them sweeps at a time: the others find the advisory lock taken and wait for
/// the next day.
async fn daily_sweep(state: AppState, ledger: crate::retention::Ledger) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    loop {
        every.tick().await;
        let today = chrono::Utc::now().date_naive();
        let lock = match &state.db {
            projections::Db::Postgres(pool) => match pool.acquire().await {
                Ok(mut conn) => {
                    let taken: Result<bool, _> =
                        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                            .bind(SWEEP_LOCK)
                            .fetch_one(&mut *conn)
                            .await;
                    if !matches!(taken, Ok(true)) {
                        tracing::info!("the daily retention sweep is running on another instance");
                        continue;
                    }
                    Some(conn)
                }
                Err(error) => {
                    tracing::warn!(cause = %error, "the daily retention sweep could not start");
                    continue;
                }
            },
            projections::Db::Sqlite(_) => None,
        };
        match crate::retention::sweep(&state, &ledger, today, false, &|_, _| {}).await {
            Ok(report) if report.failed.is_empty() => tracing::info!(
                destroyed = report.destroyed.len(),
                held = report.held.len(),
                reapplied = report.reapplied.len(),
                absent = report.absent.len(),
                "retention sweep"
            ),
            // Each failure was logged by the sweep, with its stream and cause.
            Ok(report) => tracing::error!(
                destroyed = report.destroyed.len(),
                held = report.held.len(),
                reapplied = report.reapplied.len(),
                absent = report.absent.len(),
                failed = report.failed.len(),
                "the daily retention sweep could not destroy every record due; the next sweep tries them again"
            ),
            Err(error) => tracing::error!(cause = %error, "the daily retention sweep failed"),
        }
        if let Some(mut conn) = lock {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(SWEEP_LOCK)
                .execute(&mut *conn)
                .await;
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
