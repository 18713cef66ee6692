//! The `etp` command line: the server and the administrative commands around it.

use std::io::Read;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use domain::Role;

use crate::accounts::{self, AccountError, NewAccount};
use crate::app::AppState;
use crate::config::{Config, Environment};

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
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill the store with made-up applications at every stage, through the ordinary commands.
    Seed {
        /// How many applications.
        #[arg(long, default_value_t = 100)]
        applications: usize,
        /// The cycle they are in.
        #[arg(long, default_value = "2026-27")]
        cycle: String,
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
        }) => {
            let state = AppState::from_config(&config).await?;
            let started = std::time::Instant::now();
            let made = crate::demo::seed(&state, applications, &cycle).await?;
            println!(
                "seeded {made} made-up applications in cycle {cycle} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Projections(ProjectionsCommand::Rebuild) => {
            let state = AppState::from_config(&config).await?;
            let report = state.repo.rebuild_projections().await?;
            println!(
                "rebuilt the views from {} events of {} streams",
                report.events, report.streams
            );
            Ok(())
        }
    }
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
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
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
            println!("{id}");
            eprintln!("etp: created a {role} account");
            Ok(())
        }
        Err(AccountError::EmailTaken) => bail!("an account with this email address already exists"),
        Err(error) => Err(error.into()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let state = AppState::from_config(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!(address = %listener.local_addr()?, "serving");
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            if let Err(error) = crate::pages::session::sweep(&db).await {
                tracing::warn!(cause = %error, "ended sessions could not be removed");
            }
        }
    });
    axum::serve(listener, crate::http::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped")
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
