//! The `etp` service: HTTP API, CLI, the two stores and the encryption of personal data.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod http;
pub mod pages;
pub mod responses;
pub mod retention;
pub mod rights;
pub mod store;
pub mod throttle;

/// Libraries that write the values they handle into their own debug and trace events: the template engine
/// logs each template's whole context (a letter's every field), the HTTP stacks their headers (a session
/// cookie, a bearer token). Whatever `RUST_LOG` asks for, they log no more than warnings, so the log never
/// holds personal data or credentials (tested in tests/api/security.rs with every filter turned on).
pub const QUIET_LIBRARIES: [&str; 5] = ["handlebars", "hyper", "hyper_util", "h2", "reqwest"];

/// The filter `RUST_LOG` gives, with [`QUIET_LIBRARIES`] held to warnings.
pub fn log_filter(mut filter: tracing_subscriber::EnvFilter) -> tracing_subscriber::EnvFilter {
    for library in QUIET_LIBRARIES {
        if let Ok(directive) = format!("{library}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}
