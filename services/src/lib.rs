//! The `etp` server: the HTTP API, the pages, the connection handling and the CLI, over the application
//! layer (`app`), the event store (`store`), the read models (`projections`) and the domain.

pub mod cli;
pub mod demo;
pub mod http;
pub mod pages;
pub mod server;

/// The application layer (the `app` crate) under the paths the server's modules use.
pub use app::{
    accounts, auth, awards, backup, bus, conclusion, config, drafts, error, labels, letters,
    metrics, notice, password_reset, pdf, readable, responses, retention, rights, selection,
    templates, throttle, words,
};
/// The event store and the sealing of personal data live in their own crate, the only one that reads and
/// writes the `events` and `stream_keys` tables.
pub use store::{self, crypto};

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

/// How `etp` writes its log (`ETP_LOG_FORMAT`): lines for a person to read (the default), or one JSON object
/// per line for a log collector, with the fields of the request span (method, route template, request id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// The format `ETP_LOG_FORMAT` names: unset, empty or `text` for text, `json` for JSON.
    pub fn parse(value: Option<&str>) -> Result<LogFormat, String> {
        match value.map(str::trim) {
            None | Some("" | "text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(_) => Err("ETP_LOG_FORMAT must be text or json".to_string()),
        }
    }

    pub fn from_env() -> Result<LogFormat, String> {
        Self::parse(std::env::var("ETP_LOG_FORMAT").ok().as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::LogFormat;

    #[test]
    fn the_log_format_is_text_unless_json_is_asked_for() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("json")), Ok(LogFormat::Json));
        assert!(LogFormat::parse(Some("yaml")).is_err());
    }
}
