//! `GET /metrics`: what an operator watches, in the Prometheus text exposition format.
//!
//! Two kinds of figure. Those of this process are counted as things happen and start from zero when it
//! starts: the HTTP requests (by route template, never the address as sent, since an address or its query can
//! hold a name), the commands each aggregate handled and the races they lost, and the retention sweeps this
//! process ran. Those of the store are read from the database when the metrics are asked for, so every server
//! of one database gives the same figures, whoever wrote them: the log's last position and how far the views
//! are behind it, the retention schedule and what it destroyed, the information requests due and overdue.
//!
//! Nothing here names anyone: every label is a route template, a method, a status, an aggregate type or a
//! kind from a fixed list. docs/operations.md lists every metric.
//!
//! Access: with `ETP_METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <that token>` (401
//! `unauthenticated` otherwise); unset, `/metrics` is open, as it holds no personal data.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use domain::request::RequestKind;
use domain::retention::RecordKind;
use projections::{Db, on_pool};

use crate::config::Secret;

/// The upper bounds of the request latency buckets, in seconds: from a cached read to the request timeout.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The route label of a request that matched no route (an unknown address under `/api`, a page that does
/// not exist): one series for all of them, whatever was asked for.
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    aggregate: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AggregateLabels {
    aggregate: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DestroyedLabels {
    kind: &'static str,
    source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    kind: &'static str,
    source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The figures this process counts, and who may read them. One per running service (`bus::AppState`).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    commands: Family<CommandLabels, Counter>,
    conflicts: Family<AggregateLabels, Counter>,
    sweeps: Family<OutcomeLabels, Counter>,
    destroyed: Family<DestroyedLabels, Counter>,
    last_sweep: Gauge,
    failures: Family<FailureLabels, Counter>,
    last_sweep_failures: Gauge,
    pub token: Option<Secret>,
}

impl Metrics {
    /// Counters at zero; `token` is `ETP_METRICS_TOKEN`, which a scrape must then send.
    pub fn new(token: Option<Secret>) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "etp_http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "etp_http_request_duration_seconds",
            "Time from a request's arrival to its answer's head, by method and route template",
            latency.clone(),
        );
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "etp_commands",
            "Commands handled, by aggregate type and outcome (accepted, refused, conflict, failed)",
            commands.clone(),
        );
        let conflicts = Family::<AggregateLabels, Counter>::default();
        registry.register(
            "etp_command_conflicts",
            "Optimistic-concurrency conflicts: a command that lost the race on its stream, retried or not",
            conflicts.clone(),
        );
        let sweeps = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "etp_retention_sweeps",
            "Retention sweeps this process ran (not dry runs), by outcome (completed: ran to the end, though it may \
             have failed on some records; failed: stopped)",
            sweeps.clone(),
        );
        let destroyed = Family::<DestroyedLabels, Counter>::default();
        registry.register(
            "etp_retention_swept_records",
            "Records this process's sweeps destroyed, by kind and source (schedule, ledger)",
            destroyed.clone(),
        );
        let last_sweep = Gauge::default();
        registry.register(
            "etp_retention_last_sweep_timestamp_seconds",
            "When this process last completed a retention sweep (Unix time; 0 for never)",
            last_sweep.clone(),
        );
        let failures = Family::<FailureLabels, Counter>::default();
        registry.register(
            "etp_retention_failures",
            "Records this process's sweeps could not destroy, by kind and source (schedule, ledger, account); \
             each is tried again by the next sweep",
            failures.clone(),
        );
        let last_sweep_failures = Gauge::default();
        registry.register(
            "etp_retention_last_sweep_failures",
            "Records the last sweep this process completed could not destroy (0 when it destroyed all it should)",
            last_sweep_failures.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            commands,
            conflicts,
            sweeps,
            destroyed,
            last_sweep,
            failures,
            last_sweep_failures,
            token,
        }
    }

    pub fn request_answered(
        &self,
        method: &'static str,
        route: String,
        status: u16,
        took: Duration,
    ) {
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// A command on an aggregate of type `aggregate` lost the race on its stream (another commit came first).
    pub fn conflict(&self, aggregate: &'static str) {
        self.conflicts
            .get_or_create(&AggregateLabels { aggregate })
            .inc();
    }

    /// A command was carried out (`Ok`), or finally refused or failed.
    pub fn command(&self, aggregate: &'static str, outcome: CommandOutcome) {
        self.commands
            .get_or_create(&CommandLabels {
                aggregate,
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// A retention sweep that is not a dry run ended: its figures, or `None` where it failed.
    pub fn sweep_ended(&self, figures: Option<&SweepFigures<'_>>) {
        let Some(figures) = figures else {
            self.sweeps
                .get_or_create(&OutcomeLabels { outcome: "failed" })
                .inc();
            return;
        };
        self.sweeps
            .get_or_create(&OutcomeLabels {
                outcome: "completed",
            })
            .inc();
        self.last_sweep.set(Utc::now().timestamp());
        self.last_sweep_failures
            .set(i64::try_from(figures.failed.len()).unwrap_or(i64::MAX));
        for (rule, source) in &figures.failed {
            self.failures
                .get_or_create(&FailureLabels {
                    kind: record_kind(rule),
                    source,
                })
                .inc();
        }
        for (rule, source) in &figures.destroyed {
            self.destroyed
                .get_or_create(&DestroyedLabels {
                    kind: record_kind(rule),
                    source,
                })
                .inc();
        }
    }

    /// The figures of this process, in the OpenMetrics text format (without its closing `# EOF`).
    fn encode_process(&self, into: &mut String) -> std::fmt::Result {
        encode_registry(into, &self.registry)
    }
}

/// What a sweep that ended did, as the figures count it: each record it failed on and each it destroyed, by
/// the retention rule (`unsuccessful-application`, …) and where the sweep met it (`schedule`, `ledger`,
/// `account`). The sweep's report makes them (`retention::SweepReport::figures`).
pub struct SweepFigures<'a> {
    pub failed: Vec<(&'a str, &'static str)>,
    pub destroyed: Vec<(&'a str, &'static str)>,
}

/// How a command ended, for `etp_commands_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Its events were committed.
    Accepted,
    /// The rules refused it (a 4xx answer).
    Refused,
    /// It lost the race on its stream every time it was tried (409 `conflict`).
    Conflict,
    /// The store failed or could not be reached (a 5xx answer).
    Failed,
}

impl CommandOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Accepted => "accepted",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Conflict => "conflict",
            CommandOutcome::Failed => "failed",
        }
    }
}

/// A retention rule's name as a label: one of the schedule's kinds, never free text.
fn record_kind(rule: &str) -> &'static str {
    RecordKind::parse(rule).map_or("other", RecordKind::as_str)
}

/// Every figure of this process and of the store, as OpenMetrics text. The store's own figures are left out
/// (and `etp_store_up` is 0) when the store cannot be read; what could not be written is an error.
pub async fn exposition(
    metrics: &Metrics,
    db: &Db,
    repo: &store::EventRepository,
) -> Result<String, crate::error::AppError> {
    let today = Utc::now().date_naive();
    let store = match store_registry(db, today).await {
        Ok(registry) => Some(registry),
        Err(error) => {
            tracing::warn!(cause = %error, "the store's figures could not be read for /metrics");
            None
        }
    };
    let mut up = Registry::default();
    let store_up = Gauge::<i64>::default();
    store_up.set(i64::from(store.is_some()));
    up.register(
        "etp_store_up",
        "1 when the store's figures below could be read for this scrape, 0 when the store is out of reach",
        store_up,
    );
    let (groups, appends) = repo.written_together();
    for (name, help, value) in [
        (
            "etp_store_append_groups",
            "Statements that wrote the appends of several commands in one commit (PostgreSQL)",
            groups,
        ),
        (
            "etp_store_appends_written_together",
            "Commands' appends kept by those statements (PostgreSQL): over the groups, commands per commit",
            appends,
        ),
    ] {
        let counter = Counter::<u64>::default();
        counter.inc_by(value);
        up.register(name, help, counter);
    }
    let mut text = String::new();
    metrics
        .encode_process(&mut text)
        .and_then(|()| encode_registry(&mut text, &up))
        .and_then(|()| match &store {
            Some(registry) => encode_registry(&mut text, registry),
            None => Ok(()),
        })
        .and_then(|()| encode_eof(&mut text))
        .map_err(|_| crate::error::AppError::internal("the metrics could not be written"))?;
    Ok(text)
}

/// The OpenMetrics text as Prometheus's text format 0.0.4: a counter's `# HELP` and `# TYPE` name the
/// series (`…_total`), and there is no `# UNIT` or `# EOF` line.
pub fn prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut help: Option<&str> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if line.starts_with("# HELP ") {
            if let Some(previous) = help.replace(line) {
                out.push_str(previous);
                out.push('\n');
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            let renamed = if kind == "counter" && !name.ends_with("_total") {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            if let Some(help) = help.take() {
                let text = help
                    .strip_prefix("# HELP ")
                    .and_then(|rest| rest.split_once(' '))
                    .map_or("", |(_, text)| text);
                out.push_str(&format!("# HELP {renamed} {text}\n"));
            }
            out.push_str(&format!("# TYPE {renamed} {kind}\n"));
            continue;
        }
        if let Some(help) = help.take() {
            out.push_str(help);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    if let Some(help) = help {
        out.push_str(help);
        out.push('\n');
    }
    out
}

/// The figures of the store, read now.
async fn store_registry(db: &Db, today: NaiveDate) -> Result<Registry, sqlx::Error> {
    let mut registry = Registry::default();

    const POSITION: &str = "SELECT COALESCE(MAX(global_position), 0) FROM events";
    let position: i64 = on_pool!(db, p => sqlx::query_scalar(POSITION).fetch_one(p).await?);
    let gauge = Gauge::<i64>::default();
    gauge.set(position);
    registry.register(
        "etp_event_log_position",
        "The global position of the last event in the log (events appended, all time)",
        gauge,
    );
    // Every view is written by the projectors inside the transaction that appends the events it follows
    // (store.rs `persist`), and a rebuild replaces them all in one transaction too (store/rebuild.rs): a
    // reader sees the log and the views at the same commit, never one without the other. So the lag, the
    // log's last position less the last one projected, is 0 by construction; it is published so that a
    // dashboard built for asynchronous projections reads true here, and stays 0 unless that design changes.
    let lag = Gauge::<i64>::default();
    lag.set(0);
    registry.register(
        "etp_projection_lag_events",
        "Events in the log not yet in the views: 0, as views are written in the events' own transaction",
        lag,
    );

    const DUE: &str = "SELECT COUNT(*) FROM retention_schedule WHERE due_on <= $1";
    let due: i64 = on_pool!(db, p => sqlx::query_scalar(DUE).bind(today).fetch_one(p).await?);
    let gauge = Gauge::<i64>::default();
    gauge.set(due);
    registry.register(
        "etp_retention_due_records",
        "Records the retention schedule says are due by today and not yet destroyed (held ones included)",
        gauge,
    );
    const DESTROYED: &str = "SELECT rule, COUNT(*) FROM destroyed_streams GROUP BY rule";
    let destroyed: Vec<(String, i64)> =
        on_pool!(db, p => sqlx::query_as(DESTROYED).fetch_all(p).await?);
    let family = Family::<KindLabels, Gauge>::default();
    for (rule, count) in destroyed {
        family
            .get_or_create(&KindLabels {
                kind: record_kind(&rule),
            })
            .inc_by(count);
    }
    const FAILING: &str = "SELECT COUNT(*) FROM retention_failures";
    let failing: i64 = on_pool!(db, p => sqlx::query_scalar(FAILING).fetch_one(p).await?);
    let gauge = Gauge::<i64>::default();
    gauge.set(failing);
    registry.register(
        "etp_retention_failing_records",
        "Records the last sweeps, whichever process ran them, could not destroy and that still wait to be",
        gauge,
    );
    registry.register(
        "etp_retention_destroyed_records",
        "Records whose personal data the store has destroyed, all time, by kind (whichever process did it)",
        family,
    );

    let calendar = projections::calendar::working_days(db).await?;
    let due = Family::<KindLabels, Gauge>::default();
    let overdue = Family::<KindLabels, Gauge>::default();
    let statutory = Family::<KindLabels, Gauge>::default();
    for kind in RequestKind::ALL {
        let labels = KindLabels {
            kind: kind.as_str(),
        };
        due.get_or_create(&labels).set(0);
        overdue.get_or_create(&labels).set(0);
        statutory.get_or_create(&labels).set(0);
    }
    for request in projections::information_requests::open(db).await? {
        let labels = KindLabels {
            kind: request.kind.as_str(),
        };
        let deadlines = request.deadlines(&calendar, today);
        if deadlines.due_on < today {
            overdue.get_or_create(&labels).inc();
        } else {
            due.get_or_create(&labels).inc();
        }
        if deadlines.statutory_due_on < today {
            statutory.get_or_create(&labels).inc();
        }
    }
    registry.register(
        "etp_information_requests_due",
        "Information requests not yet answered whose due date is today or later, by kind",
        due,
    );
    registry.register(
        "etp_information_requests_overdue",
        "Information requests not yet answered whose due date has passed, by kind",
        overdue,
    );
    registry.register(
        "etp_information_requests_statutory_overdue",
        "Information requests not yet answered past their statutory due date, by kind",
        statutory,
    );
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(metrics: &Metrics) -> String {
        let mut text = String::new();
        metrics.encode_process(&mut text).unwrap();
        text
    }

    #[test]
    fn conflicts_and_outcomes_are_counted_by_aggregate() {
        let metrics = Metrics::new(None);
        metrics.conflict("Application");
        metrics.conflict("Application");
        metrics.command("Application", CommandOutcome::Accepted);
        metrics.command("Application", CommandOutcome::Conflict);
        metrics.command("Recipient", CommandOutcome::Refused);
        let text = scrape(&metrics);
        assert!(
            text.contains("etp_command_conflicts_total{aggregate=\"Application\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("etp_commands_total{aggregate=\"Application\",outcome=\"conflict\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("etp_commands_total{aggregate=\"Recipient\",outcome=\"refused\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn requests_are_counted_by_template_and_timed() {
        let metrics = Metrics::new(None);
        for status in [200, 200, 404] {
            metrics.request_answered(
                "GET",
                "/api/applications/{id}".to_string(),
                status,
                Duration::from_millis(7),
            );
        }
        let text = scrape(&metrics);
        assert!(text.contains(
            "etp_http_requests_total{method=\"GET\",route=\"/api/applications/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "etp_http_request_duration_seconds_bucket{le=\"0.01\",method=\"GET\",route=\"/api/applications/{id}\"} 3"
        ), "{text}");
        assert!(text.contains(
            "etp_http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",route=\"/api/applications/{id}\"} 0"
        ));
    }

    #[test]
    fn the_prometheus_text_names_counters_by_their_series_and_has_no_eof() {
        let metrics = Metrics::new(None);
        metrics.command("Application", CommandOutcome::Accepted);
        metrics.request_answered("GET", "/healthz".to_string(), 200, Duration::ZERO);
        let mut text = scrape(&metrics);
        encode_eof(&mut text).unwrap();
        let plain = prometheus_text(&text);
        assert!(
            plain.contains("# TYPE etp_commands_total counter\n"),
            "{plain}"
        );
        assert!(plain.contains("# HELP etp_commands_total Commands handled"));
        assert!(
            plain.contains("# TYPE etp_http_request_duration_seconds histogram\n"),
            "{plain}"
        );
        assert!(!plain.contains("# EOF"));
        // Every sample line follows the TYPE line of its family.
        let types: Vec<&str> = plain
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .map(|rest| rest.split(' ').next().unwrap_or_default())
            .collect();
        for line in plain.lines().filter(|line| !line.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            assert!(
                types.iter().any(|family| name == *family
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|suffix| name == format!("{family}{suffix}"))),
                "{name} has no TYPE line in {plain}"
            );
        }
    }

    #[test]
    fn retention_kinds_are_labels_from_a_fixed_list() {
        assert_eq!(record_kind("unsubmitted_draft"), "unsubmitted_draft");
        assert_eq!(record_kind("someone@example.test"), "other");
    }
}
