//! `etp-tools`: measurements of EtP Scholarships, outside the production binary. The HTTP load generator
//! needs an HTTP client (`reqwest`), which the `etp` server has no use for; keeping the measurements here keeps
//! that client, and the code that only measures, out of what is deployed (docs/decisions/0008).
//!
//! It reads the same environment as `etp` (`ETP_DATABASE_URL` and the secrets) and works on that store.

mod bench;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// The allocator `etp` runs with (services/src/main.rs), so that what the tools measure of the service's code
/// (a sweep, a rebuild, subject access) is measured as the service would run it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use services::bus::AppState;
use services::config::{Config, Environment};

#[derive(Debug, Parser)]
#[command(
    name = "etp-tools",
    version,
    about = "EtP Scholarships: measurements of a store and of its server (not for production hosts)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measurements of the store as it is.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Drive a server of this store over HTTP from concurrent clients — draft edits, one application, the
    /// case list — and measure the database's own single-row INSERT rate beside it, and the server's peak
    /// memory (docs/benchmarks.md).
    Http {
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Seconds of draft edits (reads run half as long each, and the raw limit as long).
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Drafts each client edits in turn.
        #[arg(long, default_value_t = 10)]
        drafts: usize,
        /// The cycle the drafts are in.
        #[arg(long, default_value = "2027-28")]
        cycle: String,
        /// The `etp` binary whose server is measured; by default the `etp` beside `etp-tools`.
        #[arg(long, env = "ETP_BINARY")]
        etp: Option<PathBuf>,
    },
    /// Time the subject access response for applicants of the store (a demo store, say): its cost must follow
    /// the subject's own records, not the size of the store.
    Sar {
        /// How many subjects to answer for.
        #[arg(long, default_value_t = 20)]
        subjects: usize,
    },
    /// Rebuild the views from the log, timed, beside the database's own batched INSERT rate measured just
    /// before and just after each rebuild.
    Rebuild {
        /// How many times to rebuild; the median ratio is the figure.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
        rounds: u32,
    },
    /// Sweep at most `due` due streams, timed, with the store's size beside it. It destroys what it sweeps:
    /// run it on a copy of a store.
    Retention {
        /// How many due streams to sweep.
        #[arg(long, default_value_t = 1000)]
        due: usize,
        /// The day to sweep as of (YYYY-MM-DD); by default 25 months from today, when every draft and
        /// decided unsuccessful application seeded today is due.
        #[arg(long, value_parser = parse_day)]
        as_of: Option<chrono::NaiveDate>,
    },
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date written YYYY-MM-DD"))
}

/// The `etp` beside this executable: where `cargo build` and a release archive put the two.
fn etp_beside_this_binary() -> anyhow::Result<PathBuf> {
    let this = std::env::current_exe().context("the path of etp-tools")?;
    let etp = this.with_file_name(format!("etp{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        etp.is_file(),
        "there is no etp beside etp-tools at {}: build it (cargo build -p services) or name it with --etp",
        etp.display()
    );
    Ok(etp)
}

/// Writes the report to standard output; a reader that went away (`etp-tools … | head`) ends quietly.
fn print(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(Environment::from_process())?;
    let Command::Bench(bench) = cli.command;
    match bench {
        BenchCommand::Http {
            clients,
            seconds,
            drafts,
            cycle,
            etp,
        } => {
            anyhow::ensure!(
                clients > 0 && drafts > 0 && seconds > 0,
                "clients, seconds and drafts must each be at least 1"
            );
            let etp = match etp {
                Some(etp) => etp,
                None => etp_beside_this_binary()?,
            };
            let bench = bench::HttpBench {
                clients,
                seconds,
                drafts_per_client: drafts,
                cycle,
                etp,
            };
            let report = bench::http(&config, &bench).await?;
            print(&report.text())
        }
        BenchCommand::Sar { subjects } => {
            let state = AppState::from_config(&config).await?;
            print(&format!("{}\n", bench::sar(&state, subjects).await?))
        }
        BenchCommand::Rebuild { rounds } => print(&bench::rebuild(&config, rounds).await?),
        BenchCommand::Retention { due, as_of } => {
            let as_of = as_of.unwrap_or_else(|| {
                let today = chrono::Utc::now().date_naive();
                today
                    .checked_add_months(chrono::Months::new(25))
                    .unwrap_or(today)
            });
            print(&bench::retention(&config, due, as_of).await?)
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = services::log_filter(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,sqlx=warn")),
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("etp-tools: {error:#}");
            std::process::ExitCode::FAILURE
        }
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
