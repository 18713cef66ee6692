//! `etp`: the EtP Scholarships server and its administrative commands.

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc, not the system allocator: glibc's raises its threshold for returning large blocks to the system
/// after the first 19 MiB password hash is freed, so every later hash's block stayed resident and a burst
/// of sign-ins left the server holding hundreds of MB (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(services::log_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        ))
        .with_writer(std::io::stderr)
        .init();
    let cli = services::cli::Cli::parse();
    match services::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("etp: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
