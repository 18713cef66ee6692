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
    let format = match services::LogFormat::from_env() {
        Ok(format) => format,
        Err(problem) => {
            eprintln!("etp: {problem}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let filter = services::log_filter(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
    );
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // One object per line: the event's fields at the top level beside `timestamp`, `level` and `target`;
        // the request's span (`method`, `route`, `request_id`) under `span`, and every open span under `spans`.
        services::LogFormat::Json => log
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .init(),
        services::LogFormat::Text => log.init(),
    }
    let cli = services::cli::Cli::parse();
    match services::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            if format == services::LogFormat::Json {
                tracing::error!(cause = format!("{error:#}"), "etp stopped");
            } else {
                eprintln!("etp: {error:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
