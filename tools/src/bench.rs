//! `etp-tools bench http`: the service under load, measured beside the raw speed of the same database in the same
//! run.
//!
//! It starts `etp serve` as a child process on the configured store (so the server's own memory can be
//! read; the `etp` binary is the one beside `etp-tools` unless `--etp` names another), makes applicants with drafts through the API, then drives it from `clients` concurrent
//! connections:
//!
//! 1. draft edits (`PATCH /api/applications/{id}`: token, load, validate, seal, append, project), each
//!    client working through its own drafts in turn — commands per second, p50, p99, errors;
//! 2. reads of one application (`GET /api/applications/{id}`) by its owner;
//! 3. reads of the case list (`GET /api/applications`, fifty to a page) by a programme officer: the first
//!    twenty pages by offset, a search by name (half of them for a name nobody has), and a page nine tenths
//!    of the way down the list by its cursor;
//!
//! then reads the server's peak resident memory (`VmHWM`), and measures the database's own limit with the
//! same number of clients: on PostgreSQL, `pgbench` running single-row durable INSERTs into a table shaped
//! like `events`; on SQLite, single-row durable INSERTs (WAL, `synchronous=FULL`) into such a table in a
//! scratch file beside the store. Nothing here is asserted: the figures go to `docs/benchmarks.md`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use domain::Role;
use services::accounts::{self, NewAccount};
use services::bus::AppState;
use services::config::Config;

/// What to run.
#[derive(Clone, Debug)]
pub struct HttpBench {
    pub clients: usize,
    pub seconds: u64,
    /// Drafts each client edits in turn.
    pub drafts_per_client: usize,
    pub cycle: String,
    /// The `etp` binary whose server is measured.
    pub etp: PathBuf,
}

/// The figures of one phase.
#[derive(Clone, Debug)]
pub struct Phase {
    pub name: &'static str,
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Phase {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn line(&self) -> String {
        format!(
            "{:<28} {:>9.0}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  {} requests, {} errors",
            self.name,
            self.per_second(),
            ms(self.p50),
            ms(self.p99),
            self.requests,
            self.errors
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

/// The server under test: a child `etp serve`, stopped when dropped.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    async fn start(etp: &Path) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = std::process::Command::new(etp)
            .arg("serve")
            .env("ETP_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} serve", etp.display()))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(answer) = client.get(format!("{}/healthz", server.base)).send().await
                && answer.status().is_success()
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("etp serve stopped at once: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("etp serve did not answer at {}", server.base)
    }

    /// The peak resident memory of the server so far, in MiB (Linux).
    fn peak_memory_mib(&self) -> Option<f64> {
        memory_mib(self.child.id(), "VmHWM:")
    }
}

/// The CPU time one process has used so far (`/proc/PID/stat`: user and system), in seconds (Linux).
fn cpu_seconds(pid: u32) -> Option<f64> {
    proc_stat_ticks(pid).map(|(own, _)| own as f64 / TICKS_PER_SECOND)
}

/// The CPU time this machine's PostgreSQL has used so far, in seconds (Linux, a server on this machine): its
/// processes now running, and those that ended (a pgbench client's backends), which their parent, the
/// postmaster, has counted as its children's. `None` where no PostgreSQL process can be read.
fn postgres_cpu_seconds() -> Option<f64> {
    let mut ticks = 0_u64;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else {
            continue;
        };
        if comm.trim() != "postgres" {
            continue;
        }
        let Some((own, children)) = proc_stat_ticks(pid) else {
            continue;
        };
        found = true;
        ticks += own + children;
    }
    found.then(|| ticks as f64 / TICKS_PER_SECOND)
}

/// The units of `/proc/PID/stat`'s times (`USER_HZ`, 100 on Linux whatever the kernel's own tick).
const TICKS_PER_SECOND: f64 = 100.0;

/// A process's own CPU ticks (user and system) and those of its children that ended and were waited for.
fn proc_stat_ticks(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    // After the name: state (0), ppid (1), …, utime (11), stime (12), cutime (13), cstime (14).
    let tick = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok());
    Some((tick(11)? + tick(12)?, tick(13)? + tick(14)?))
}

/// A memory figure of `/proc/PID/status` (`VmHWM:` the peak resident set, `VmRSS:` the resident set now),
/// in MiB.
fn memory_mib(pid: u32, field: &str) -> Option<f64> {
    {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix(field))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<(reqwest::StatusCode, Value)> {
    let answer = request.send().await?;
    let status = answer.status();
    let body = answer.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// An applicant with a draft: their email, their token and the draft's id.
#[derive(Clone)]
struct Draft {
    email: String,
    token: String,
    id: String,
}

/// The password every bench applicant registers with.
const BENCH_PASSWORD: &str = "a bench password, not a secret";

/// A bench applicant signed in through the pages, as a browser is: the session cookie, the form token its
/// pages carry, and the address of their draft's form.
struct PageSession {
    cookie: reqwest::header::HeaderValue,
    csrf_token: String,
    form: reqwest::Url,
}

/// The value of a cookie an answer sets.
fn set_cookie(answer: &reqwest::Response, name: &str) -> Option<String> {
    answer
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| {
            let (pair, _) = cookie.split_once(';').unwrap_or((cookie, ""));
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name && !value.is_empty()).then(|| value.to_string())
        })
}

/// The CSRF token of a page's form (`<input type="hidden" name="csrf_token" value="…">`).
fn csrf_token_of(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf_token""#)?;
    let rest = &html[at..];
    let value = rest.find(r#"value=""#)? + r#"value=""#.len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

/// A form's fields, URL-encoded as a browser posts them.
fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                services::pages::encode_query(name),
                services::pages::encode_query(value)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs a bench applicant in through the sign-in page (its anonymous CSRF cookie and token), then reads
/// their draft's first section for the session's form token. `client` follows no redirects, so that the
/// session cookie of the sign-in's answer is seen.
async fn sign_in_to_pages(
    client: &reqwest::Client,
    base: &str,
    draft: &Draft,
) -> anyhow::Result<PageSession> {
    let answer = client.get(format!("{base}/login")).send().await?;
    let anonymous = set_cookie(&answer, services::pages::session::ANONYMOUS_CSRF_COOKIE)
        .context("the sign-in page sets its CSRF cookie")?;
    let token = csrf_token_of(&answer.text().await?).context("the sign-in form's token")?;
    let answer = client
        .post(format!("{base}/login"))
        .header(
            reqwest::header::COOKIE,
            format!(
                "{}={anonymous}",
                services::pages::session::ANONYMOUS_CSRF_COOKIE
            ),
        )
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form_body(&[
            ("csrf_token", &token),
            ("email", &draft.email),
            ("password", BENCH_PASSWORD),
        ]))
        .send()
        .await?;
    anyhow::ensure!(
        answer.status().is_redirection(),
        "signing a bench applicant in through the pages: {}",
        answer.status()
    );
    let session = set_cookie(&answer, services::pages::session::SESSION_COOKIE)
        .context("the sign-in sets the session cookie")?;
    let mut cookie = reqwest::header::HeaderValue::from_str(&format!(
        "{}={session}",
        services::pages::session::SESSION_COOKIE
    ))?;
    cookie.set_sensitive(true);
    let form = reqwest::Url::parse(&format!("{base}/applications/{}", draft.id))?;
    let answer = client
        .get(format!("{form}?section=personal"))
        .header(reqwest::header::COOKIE, cookie.clone())
        .send()
        .await?;
    anyhow::ensure!(
        answer.status().is_success(),
        "a bench applicant's first section: {}",
        answer.status()
    );
    let csrf_token = csrf_token_of(&answer.text().await?).context("the section form's token")?;
    Ok(PageSession {
        cookie,
        csrf_token,
        form,
    })
}

/// One step of an applicant's journey through the pages: the personal section saved (a new telephone
/// number), then the page it leads to (the next section, rendered in full), as a browser follows it.
async fn save_section_and_follow(
    client: &reqwest::Client,
    base: &str,
    session: &PageSession,
    phone: &str,
) -> bool {
    let saved = client
        .post(session.form.clone())
        .header(reqwest::header::COOKIE, session.cookie.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form_body(&[
            ("csrf_token", &session.csrf_token),
            ("section", "personal"),
            ("personal.phone", phone),
        ]))
        .send()
        .await;
    let next = match saved {
        Ok(answer) if answer.status() == reqwest::StatusCode::SEE_OTHER => answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .map(str::to_string),
        _ => None,
    };
    let Some(next) = next else { return false };
    match client
        .get(format!("{base}{next}"))
        .header(reqwest::header::COOKIE, session.cookie.clone())
        .send()
        .await
    {
        Ok(answer) if answer.status().is_success() => answer.bytes().await.is_ok(),
        _ => false,
    }
}

/// A draft's address and its applicant's `Authorization` header, ready to send.
struct Target {
    url: reqwest::Url,
    bearer: reqwest::header::HeaderValue,
}

impl Target {
    fn of(base: &str, draft: &Draft) -> anyhow::Result<Target> {
        let url = reqwest::Url::parse(&format!("{base}/api/applications/{}", draft.id))?;
        let mut bearer =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", draft.token))?;
        bearer.set_sensitive(true);
        Ok(Target { url, bearer })
    }
}

async fn make_draft(
    client: &reqwest::Client,
    base: &str,
    run: &str,
    i: usize,
    cycle: &str,
) -> anyhow::Result<Draft> {
    let email = format!("bench-{run}-{i:05}@example.test");
    let password = BENCH_PASSWORD;
    let (status, body) = send(
        client.post(format!("{base}/api/auth/register")).json(
            &json!({"email": email, "password": password, "full_name": format!("Bench Applicant {i:05}")}),
        ),
    )
    .await?;
    anyhow::ensure!(
        status.is_success(),
        "registering a bench applicant: {status} {body}"
    );
    let (status, body) = send(
        client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": email, "password": password})),
    )
    .await?;
    anyhow::ensure!(
        status.is_success(),
        "signing in a bench applicant: {status} {body}"
    );
    let token = body["token"].as_str().context("a token")?.to_string();
    let (status, body) = send(
        client
            .post(format!("{base}/api/applications"))
            .bearer_auth(&token)
            .json(&json!({"cycle": cycle})),
    )
    .await?;
    anyhow::ensure!(
        status.is_success(),
        "starting a bench draft: {status} {body}"
    );
    let id = body["id"].as_str().context("an id")?.to_string();
    Ok(Draft { email, token, id })
}

/// Runs `clients` loops of `one` for `seconds`, each loop given its client number and a counter.
async fn phase<F, Fut>(name: &'static str, clients: usize, seconds: u64, one: F) -> Phase
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let one = Arc::new(one);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let one = Arc::clone(&one);
        tasks.spawn(async move {
            let mut times = Vec::new();
            let mut errors = 0;
            let mut k = 0;
            while Instant::now() < until {
                let at = Instant::now();
                if !one(c, k).await {
                    errors += 1;
                }
                times.push(at.elapsed());
                k += 1;
            }
            (times, errors)
        });
    }
    let mut times = Vec::new();
    let mut errors = 0;
    while let Some(Ok((t, e))) = tasks.join_next().await {
        times.extend(t);
        errors += e;
    }
    let elapsed = started.elapsed();
    times.sort();
    Phase {
        name,
        requests: times.len(),
        errors,
        elapsed,
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
    }
}

/// The report of `etp-tools bench http`.
pub struct HttpReport {
    pub store: &'static str,
    pub phases: Vec<Phase>,
    pub raw_inserts_per_second: f64,
    pub raw_method: String,
    pub peak_memory_mib: Option<f64>,
    /// The largest resident set seen while the draft edits ran.
    pub edit_memory_mib: Option<f64>,
    pub applications_in_store: i64,
    pub cpu: CpuCosts,
}

/// What a draft edit and a raw INSERT cost in CPU time, less at the mercy of the machine's drift than rates
/// are (Linux; the database's figures only for a PostgreSQL server on this machine).
#[derive(Debug, Default)]
pub struct CpuCosts {
    /// The server process's CPU time during the draft edits, per edit.
    pub server_per_edit_ms: Option<f64>,
    /// PostgreSQL's CPU time during the draft edits, per edit.
    pub database_per_edit_ms: Option<f64>,
    /// PostgreSQL's CPU time during the raw INSERTs measured before the edits, per INSERT.
    pub database_per_raw_insert_ms: Option<f64>,
    /// This process's CPU time during the draft edits, per edit: the load generator shares the machine's
    /// cores with the server and the database, as pgbench does with the database.
    pub load_generator_per_edit_ms: Option<f64>,
    /// pgbench's CPU time during the raw INSERTs measured before the edits, per INSERT.
    pub pgbench_per_raw_insert_ms: Option<f64>,
}

impl HttpReport {
    pub fn text(&self) -> String {
        let mut out = format!(
            "store: {} ({} applications before the run)\n",
            self.store, self.applications_in_store
        );
        for phase in &self.phases {
            out.push_str(&phase.line());
            out.push('\n');
        }
        out.push_str(&format!(
            "raw limit: {:.0} single-row durable INSERTs/s ({})\n",
            self.raw_inserts_per_second, self.raw_method
        ));
        if let Some(edits) = self.phases.first() {
            out.push_str(&format!(
                "draft edits / raw limit: {:.2}\n",
                edits.per_second() / self.raw_inserts_per_second
            ));
        }
        if let Some(server) = self.cpu.server_per_edit_ms {
            out.push_str(&format!("CPU per draft edit: server {server:.3} ms"));
            if let Some(database) = self.cpu.database_per_edit_ms {
                out.push_str(&format!(", PostgreSQL {database:.3} ms"));
            }
            if let Some(generator) = self.cpu.load_generator_per_edit_ms {
                out.push_str(&format!(", load generator {generator:.3} ms"));
            }
            if let Some(raw) = self.cpu.database_per_raw_insert_ms {
                out.push_str(&format!(" (per raw INSERT: PostgreSQL {raw:.3} ms"));
                if let Some(pgbench) = self.cpu.pgbench_per_raw_insert_ms {
                    out.push_str(&format!(", pgbench {pgbench:.3} ms"));
                }
                out.push(')');
            }
            out.push('\n');
        }
        match (self.edit_memory_mib, self.peak_memory_mib) {
            (Some(edits), Some(peak)) => out.push_str(&format!(
                "server memory: at most {edits:.0} MiB resident during the draft edits; peak of the whole run {peak:.0} MiB (VmHWM, sign-ups' password hashing included)\n"
            )),
            _ => out.push_str("server memory: not readable on this system\n"),
        }
        out
    }
}

pub async fn http(config: &Config, bench: &HttpBench) -> anyhow::Result<HttpReport> {
    let db = services::store::connect(&config.database_url).await?;
    services::store::migrate(&db).await?;
    let applications_in_store: i64 = projections::on_pool!(&db, p =>
        sqlx::query_scalar("SELECT COUNT(*) FROM case_list").fetch_one(p).await)?;
    let run = services::pages::session::random_token()[..8].to_lowercase();
    let officer_email = format!("bench-officer-{run}@example.test");
    let officer_password = services::pages::session::random_token();
    let officer = NewAccount::parse(
        &officer_email,
        "Bench Programme Officer",
        Role::ProgrammeOfficer,
        &officer_password,
    )
    .map_err(|problems| anyhow::anyhow!("the bench officer: {problems:?}"))?;
    accounts::create(&db, officer).await?;

    let server = Server::start(&bench.etp).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(bench.clients * 2)
        .build()?;

    eprintln!(
        "etp-tools bench: making {} applicants with drafts",
        bench.clients * bench.drafts_per_client
    );
    let mut drafts = Vec::new();
    let total = bench.clients * bench.drafts_per_client;
    let mut made = tokio::task::JoinSet::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(bench.clients));
    for i in 0..total {
        let client = client.clone();
        let base = base.clone();
        let run = run.clone();
        let cycle = bench.cycle.clone();
        let permit = Arc::clone(&limit).acquire_owned().await?;
        made.spawn(async move {
            let draft = make_draft(&client, &base, &run, i, &cycle).await;
            drop(permit);
            draft
        });
    }
    while let Some(draft) = made.join_next().await {
        drafts.push(draft??);
    }
    // Each draft's address and credentials are made once: the load generator shares the machine's cores
    // with what it measures, and should take as little of them per request as it can.
    let targets = drafts
        .iter()
        .map(|draft| Target::of(&base, draft))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let targets = Arc::new(targets);
    let (_, login) = send(
        client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": officer_email, "password": officer_password})),
    )
    .await?;
    let officer_token = login["token"]
        .as_str()
        .context("the bench officer's token")?
        .to_string();

    // The database's own limit is measured for half the time just before the draft edits and for half just
    // after them, and the two averaged: this machine's disk and neighbours drift within minutes, and a
    // figure taken on one side of the edits only was at the mercy of that drift.
    let raw_seconds = (bench.seconds / 2).max(1);
    vacuum(&db).await?;
    eprintln!(
        "etp-tools bench: the database's own limit for {raw_seconds} s, before the draft edits"
    );
    let database_cpu = || db.is_postgres().then(postgres_cpu_seconds).flatten();
    let own = std::process::id();
    let children_cpu =
        || proc_stat_ticks(own).map(|(_, children)| children as f64 / TICKS_PER_SECOND);
    let (cpu_before_raw, children_before_raw) = (database_cpu(), children_cpu());
    let raw_before = raw_inserts(config, &db, bench.clients, raw_seconds).await?;
    let raw_cpu = cpu_before_raw.zip(database_cpu()).map(|(a, b)| b - a);
    let pgbench_cpu = children_before_raw
        .zip(children_cpu())
        .map(|(a, b)| b - a)
        .filter(|_| db.is_postgres());
    let mut phases = Vec::new();
    eprintln!("etp-tools bench: draft edits for {} s", bench.seconds);
    let pid = server.child.id();
    let (server_cpu_before, database_cpu_before, own_cpu_before) =
        (cpu_seconds(pid), database_cpu(), cpu_seconds(own));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        tokio::spawn(async move {
            let mut most: Option<f64> = None;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(now) = memory_mib(pid, "VmRSS:") {
                    most = Some(most.map_or(now, |m: f64| m.max(now)));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            most
        })
    };
    {
        let (client, targets) = (client.clone(), Arc::clone(&targets));
        let per = bench.drafts_per_client;
        phases.push(
            phase(
                "draft edits (PATCH)",
                bench.clients,
                bench.seconds,
                move |c, k| {
                    let target = &targets[c * per + k % per];
                    let request = client
                        .patch(target.url.clone())
                        .header(reqwest::header::AUTHORIZATION, target.bearer.clone())
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(format!(r#"{{"personal":{{"phone":"+000 {c:02}{k:08}"}}}}"#));
                    async move {
                        match request.send().await {
                            Ok(answer) if answer.status().is_success() => {
                                answer.bytes().await.is_ok()
                            }
                            _ => false,
                        }
                    }
                },
            )
            .await,
        );
    }
    let server_cpu = server_cpu_before.zip(cpu_seconds(pid)).map(|(a, b)| b - a);
    let database_cpu_of_edits = database_cpu_before.zip(database_cpu()).map(|(a, b)| b - a);
    let own_cpu_of_edits = own_cpu_before.zip(cpu_seconds(own)).map(|(a, b)| b - a);
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let edit_memory_mib = sampler.await.ok().flatten();
    let read_seconds = (bench.seconds / 2).max(1);
    vacuum(&db).await?;
    eprintln!("etp-tools bench: reads for {} s each", read_seconds);
    {
        let (client, targets) = (client.clone(), Arc::clone(&targets));
        let per = bench.drafts_per_client;
        phases.push(
            phase(
                "one application (GET)",
                bench.clients,
                read_seconds,
                move |c, k| {
                    let target = &targets[c * per + k % per];
                    let request = client
                        .get(target.url.clone())
                        .header(reqwest::header::AUTHORIZATION, target.bearer.clone());
                    async move {
                        match request.send().await {
                            Ok(answer) if answer.status().is_success() => {
                                answer.bytes().await.is_ok()
                            }
                            _ => false,
                        }
                    }
                },
            )
            .await,
        );
    }
    {
        let (client, base) = (client.clone(), base.clone());
        let token = officer_token.clone();
        phases.push(
            phase(
                "case list, 50 a page (GET)",
                bench.clients,
                read_seconds,
                move |_, k| {
                    let request = client
                        .get(format!(
                            "{base}/api/applications?limit=50&offset={}",
                            (k % 20) * 50
                        ))
                        .bearer_auth(&token);
                    async move {
                        match request.send().await {
                            Ok(answer) if answer.status().is_success() => {
                                answer.bytes().await.is_ok()
                            }
                            _ => false,
                        }
                    }
                },
            )
            .await,
        );
    }
    {
        let (client, base) = (client.clone(), base.clone());
        let token = officer_token.clone();
        // A seeded applicant's number (`etp demo seed` names them "Demo Applicant 000123") and, every other
        // request, a name nobody has: the search answers both from its index.
        let seeded = applications_in_store.max(1) as usize;
        phases.push(
            phase(
                "case list, search (GET)",
                bench.clients,
                read_seconds,
                move |c, k| {
                    let q = if k % 2 == 0 {
                        format!("{:06}", (c * 7_919 + k * 104_729) % seeded)
                    } else {
                        format!("nobody{k}")
                    };
                    let request = client
                        .get(format!("{base}/api/applications?limit=50&q={q}"))
                        .bearer_auth(&token);
                    async move {
                        match request.send().await {
                            Ok(answer) if answer.status().is_success() => {
                                answer.bytes().await.is_ok()
                            }
                            _ => false,
                        }
                    }
                },
            )
            .await,
        );
    }
    {
        // A page nine tenths of the way down the list, reached by its cursor as the pages reach it.
        let deep = applications_in_store * 9 / 10;
        let (status, body) = send(
            client
                .get(format!("{base}/api/applications?limit=1&offset={deep}"))
                .bearer_auth(&officer_token),
        )
        .await?;
        anyhow::ensure!(
            status.is_success(),
            "a deep page of the case list: {status} {body}"
        );
        if let Some(cursor) = body["next_cursor"].as_str().map(str::to_string) {
            let (client, base) = (client.clone(), base.clone());
            let token = officer_token.clone();
            phases.push(
                phase(
                    "case list, cursor 90% (GET)",
                    bench.clients,
                    read_seconds,
                    move |_, _| {
                        let request = client
                            .get(format!("{base}/api/applications?limit=50&cursor={cursor}"))
                            .bearer_auth(&token);
                        async move {
                            match request.send().await {
                                Ok(answer) if answer.status().is_success() => {
                                    answer.bytes().await.is_ok()
                                }
                                _ => false,
                            }
                        }
                    },
                )
                .await,
            );
        }
    }
    {
        // The page path: each client signed in through the pages (a session cookie, the forms' CSRF token),
        // saving a section and reading the page it leads to, as an applicant's browser does.
        let pages = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(bench.clients * 2)
            .build()?;
        let mut sessions = Vec::new();
        for draft in drafts.iter().step_by(bench.drafts_per_client.max(1)) {
            sessions.push(sign_in_to_pages(&pages, &base, draft).await?);
        }
        let (sessions, base) = (Arc::new(sessions), base.clone());
        phases.push(
            phase(
                "section saved, next page (POST+GET)",
                bench.clients,
                read_seconds,
                move |c, k| {
                    let (pages, sessions, base) =
                        (pages.clone(), Arc::clone(&sessions), base.clone());
                    async move {
                        let phone = format!("+000 {c:02}{k:08}");
                        save_section_and_follow(&pages, &base, &sessions[c], &phone).await
                    }
                },
            )
            .await,
        );
    }
    let peak_memory_mib = server.peak_memory_mib();
    drop(server);

    eprintln!(
        "etp-tools bench: the database's own limit for {raw_seconds} s, after the draft edits"
    );
    let raw_after = raw_inserts(config, &db, bench.clients, raw_seconds).await?;
    let (store, raw_method) = if db.is_postgres() {
        (
            "PostgreSQL",
            format!("pgbench, {} clients, events-shaped table", bench.clients),
        )
    } else {
        (
            "SQLite",
            format!(
                "{} tasks taking turns, WAL, synchronous=FULL, events-shaped table",
                bench.clients
            ),
        )
    };
    let raw_inserts_per_second = (raw_before + raw_after) / 2.0;
    let edits = phases.first().map_or(0, |p| p.requests).max(1) as f64;
    let cpu = CpuCosts {
        server_per_edit_ms: server_cpu.map(|s| s * 1000.0 / edits),
        database_per_edit_ms: database_cpu_of_edits.map(|s| s * 1000.0 / edits),
        database_per_raw_insert_ms: raw_cpu
            .map(|s| s * 1000.0 / (raw_before * raw_seconds as f64).max(1.0)),
        load_generator_per_edit_ms: own_cpu_of_edits.map(|s| s * 1000.0 / edits),
        pgbench_per_raw_insert_ms: pgbench_cpu
            .map(|s| s * 1000.0 / (raw_before * raw_seconds as f64).max(1.0)),
    };
    let raw_method = format!(
        "{raw_method}; the mean of {raw_before:.0}/s just before the draft edits and {raw_after:.0}/s just after"
    );
    Ok(HttpReport {
        store,
        phases,
        raw_inserts_per_second,
        raw_method,
        peak_memory_mib,
        edit_memory_mib,
        applications_in_store,
        cpu,
    })
}

/// On PostgreSQL, the dead rows of the tables every command rewrites are reclaimed before a phase, as
/// autovacuum does on a server between bursts: each draft edit leaves a dead case-list row, and without it
/// a phase would measure what earlier runs left behind (on a server with autovacuum off, a store of 5,000
/// applications edited two million times answered 254 case-list pages a second, and 2,186 once vacuumed).
async fn vacuum(db: &projections::Db) -> anyhow::Result<()> {
    if let projections::Db::Postgres(pool) = db {
        sqlx::query("VACUUM (ANALYZE) case_list, application_views, events")
            .execute(pool)
            .await
            .context("vacuuming the store before a phase")?;
    }
    Ok(())
}

/// The store's own rate of single-row durable INSERTs at `clients` clients, for `seconds`.
async fn raw_inserts(
    config: &Config,
    db: &projections::Db,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<f64> {
    if db.is_postgres() {
        pgbench_inserts(&config.database_url, clients, seconds)
    } else {
        let folder = sqlite_folder(&config.database_url)?;
        sqlite_inserts(&folder, clients, seconds).await
    }
}

/// An events-shaped row's payload and metadata, about the size of a sealed draft edit.
const PAYLOAD: &str = r#"{"DraftSaved":{"changes":{"personal":{"phone":{"$sealed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJT"}}}}}"#;
const METADATA: &str = r#"{"actor_id":"01900000-0000-7000-8000-000000000000","actor_role":"applicant","at":"2026-12-02T10:00:00Z"}"#;

/// `pgbench` with `clients` clients for `seconds`: one durable single-row INSERT per transaction into an
/// events-shaped table made for the purpose and dropped after.
fn pgbench_inserts(url: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let psql = |sql: &str| -> anyhow::Result<()> {
        let status = std::process::Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql, url])
            .stdout(Stdio::null())
            .status()
            .context("running psql (install the PostgreSQL client)")?;
        anyhow::ensure!(status.success(), "psql failed: {sql}");
        Ok(())
    };
    psql(
        "DROP TABLE IF EXISTS bench_raw_events; CREATE TABLE bench_raw_events (\
         aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL, \
         event_type TEXT NOT NULL, event_version TEXT NOT NULL, payload JSONB NOT NULL, metadata JSONB NOT NULL, \
         global_position BIGSERIAL NOT NULL UNIQUE, \
         tx BIGINT NOT NULL DEFAULT (pg_current_xact_id()::TEXT::BIGINT), \
         recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(), \
         PRIMARY KEY (aggregate_type, aggregate_id, sequence)); \
         CREATE INDEX ON bench_raw_events (tx, global_position);",
    )?;
    let script = tempfile_path("etp-pgbench", "sql");
    std::fs::write(
        &script,
        format!(
            "\\set n random(1, 2000000000)\n\
             INSERT INTO bench_raw_events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             VALUES ('Application', 'bench-' || :client_id || '-' || :n, 1, 'DraftSaved', '1', '{PAYLOAD}', '{METADATA}') \
             ON CONFLICT DO NOTHING;\n"
        ),
    )?;
    let output = std::process::Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .context("running pgbench (install the PostgreSQL client)")?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    psql("DROP TABLE IF EXISTS bench_raw_events;")?;
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix("tps = ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .with_context(|| format!("no tps in pgbench's output: {text}"))
}

fn tempfile_path(stem: &str, extension: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "{stem}-{}.{extension}",
        services::pages::session::random_token()[..10].to_lowercase()
    ))
}

fn sqlite_folder(url: &str) -> anyhow::Result<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("an SQLite URL")?;
    let path = path.split('?').next().unwrap_or(path);
    Ok(Path::new(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".")))
}

/// Single-row durable INSERTs from `clients` tasks into an events-shaped table of a scratch SQLite file
/// beside the store (the same disk), with the store's settings.
async fn sqlite_inserts(folder: &Path, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let file = folder.join(format!(
        "bench-raw-{}.db",
        services::pages::session::random_token()[..10].to_lowercase()
    ));
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_raw_events (aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, \
         sequence INTEGER NOT NULL, event_type TEXT NOT NULL, event_version TEXT NOT NULL, payload TEXT NOT NULL, \
         metadata TEXT NOT NULL, global_position INTEGER NOT NULL UNIQUE, recorded_at TEXT NOT NULL, \
         PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    // Writers take turns in the process, as the store's do, rather than polling SQLite's lock.
    let turn = Arc::new(tokio::sync::Mutex::new(()));
    for c in 0..clients {
        let pool = pool.clone();
        let turn = Arc::clone(&turn);
        tasks.spawn(async move {
            let mut done = 0usize;
            while Instant::now() < until {
                let _turn = turn.lock().await;
                let inserted = sqlx::query(
                    "INSERT INTO bench_raw_events VALUES ('Application', $1, 1, 'DraftSaved', '1', $2, $3, \
                     (SELECT COALESCE(MAX(global_position), 0) + 1 FROM bench_raw_events), datetime('now'))",
                )
                .bind(format!("bench-{c}-{done}"))
                .bind(PAYLOAD)
                .bind(METADATA)
                .execute(&pool)
                .await;
                if inserted.is_ok() {
                    done += 1;
                }
            }
            done
        });
    }
    let mut rows = 0;
    while let Some(Ok(done)) = tasks.join_next().await {
        rows += done;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Ok(rate)
}

/// `etp-tools bench rebuild`: the views rebuilt from the log, `rounds` times, each rebuild beside the database's own
/// rate of batched INSERTs of as many events-shaped rows into a scratch table, in one transaction as the
/// rebuild is, measured just before it and just after it (their mean is its raw limit, so a machine that
/// slows or speeds up during the rebuild moves both sides). The median ratio is the figure.
pub async fn rebuild(config: &Config, rounds: u32) -> anyhow::Result<String> {
    let state = services::bus::AppState::from_config(config).await?;
    let mut out = String::new();
    let mut ratios = Vec::new();
    let mut rows = None;
    let mut raw_before = None;
    for round in 1..=rounds {
        let events = match rows {
            Some(rows) => rows,
            // The first round counts the events first, with a rebuild that is not timed against a raw rate.
            None => {
                let report = state.repo.rebuild_projections().await?;
                (report.events as usize).clamp(10_000, 200_000)
            }
        };
        rows = Some(events);
        let before = match raw_before.take() {
            Some(rate) => rate,
            None => raw_batched_inserts(&state, config, events).await?,
        };
        let started = Instant::now();
        let report = state.repo.rebuild_projections().await?;
        let seconds = started.elapsed().as_secs_f64();
        let after = raw_batched_inserts(&state, config, events).await?;
        raw_before = Some(after);
        let rate = report.events as f64 / seconds;
        let raw = (before + after) / 2.0;
        ratios.push(rate / raw);
        out.push_str(&format!(
            "round {round}: {} events of {} streams in {seconds:.2} s: {rate:.0} events/s; \
             raw limit {before:.0} rows/s just before and {after:.0} rows/s just after; ratio {:.2}\n",
            report.events,
            report.streams,
            rate / raw
        ));
    }
    let method = match &state.db {
        projections::Db::Postgres(_) => {
            "multi-row INSERTs of 500 rows, one transaction, events-shaped table"
        }
        projections::Db::Sqlite(_) => {
            "multi-row INSERTs of 500 rows, one transaction, events-shaped table, scratch file beside the store"
        }
    };
    ratios.sort_by(f64::total_cmp);
    out.push_str(&format!(
        "raw limit: {method}, {} rows\nrebuild / raw limit: {:.2} (the median of {rounds} rounds)\n",
        rows.unwrap_or_default(),
        ratios[ratios.len() / 2]
    ));
    Ok(out)
}

/// The database's rate of batched INSERTs of `rows` events-shaped rows into a scratch table.
async fn raw_batched_inserts(
    state: &services::bus::AppState,
    config: &Config,
    rows: usize,
) -> anyhow::Result<f64> {
    match &state.db {
        projections::Db::Postgres(pool) => postgres_batched_inserts(pool, rows).await,
        projections::Db::Sqlite(_) => {
            sqlite_batched_inserts(&sqlite_folder(&config.database_url)?, rows).await
        }
    }
}

const BATCH: usize = 500;

async fn postgres_batched_inserts(pool: &sqlx::PgPool, rows: usize) -> anyhow::Result<f64> {
    sqlx::query("DROP TABLE IF EXISTS bench_batched_events")
        .execute(pool)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_batched_events (aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, \
         sequence BIGINT NOT NULL, event_type TEXT NOT NULL, event_version TEXT NOT NULL, payload JSONB NOT NULL, \
         metadata JSONB NOT NULL, global_position BIGSERIAL NOT NULL UNIQUE, \
         recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    )
    .execute(pool)
    .await?;
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    for start in (0..rows).step_by(BATCH) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "INSERT INTO bench_batched_events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
             payload, metadata) ",
        );
        insert.push_values(start..(start + BATCH).min(rows), |mut row, n| {
            row.push_bind("Application")
                .push_bind(format!("bench-{n}"))
                .push_bind(1_i64)
                .push_bind("DraftSaved")
                .push_bind("1")
                .push_bind(sqlx::types::Json(
                    serde_json::from_str::<Value>(PAYLOAD).unwrap_or_default(),
                ))
                .push_bind(sqlx::types::Json(
                    serde_json::from_str::<Value>(METADATA).unwrap_or_default(),
                ));
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE bench_batched_events")
        .execute(pool)
        .await?;
    Ok(rate)
}

async fn sqlite_batched_inserts(folder: &Path, rows: usize) -> anyhow::Result<f64> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{ConnectOptions, Connection};
    let file = folder.join(format!(
        "bench-batched-{}.db",
        services::pages::session::random_token()[..10].to_lowercase()
    ));
    let mut conn = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await?;
    sqlx::query(
        "CREATE TABLE bench_batched_events (aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, \
         sequence INTEGER NOT NULL, event_type TEXT NOT NULL, event_version TEXT NOT NULL, payload TEXT NOT NULL, \
         metadata TEXT NOT NULL, global_position INTEGER NOT NULL UNIQUE, recorded_at TEXT NOT NULL, \
         PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    )
    .execute(&mut conn)
    .await?;
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    for start in (0..rows).step_by(BATCH) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO bench_batched_events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
             payload, metadata, global_position, recorded_at) ",
        );
        insert.push_values(start..(start + BATCH).min(rows), |mut row, n| {
            row.push_bind("Application")
                .push_bind(format!("bench-{n}"))
                .push_bind(1_i64)
                .push_bind("DraftSaved")
                .push_bind("1")
                .push_bind(PAYLOAD)
                .push_bind(METADATA)
                .push_bind(n as i64 + 1)
                .push_bind("2026-12-02T10:00:00Z");
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Ok(rate)
}

/// `etp-tools bench retention`: a sweep of at most `due` due streams as of a day, timed, with the store's size
/// beside it; and the scrub it ends with timed on its own (on PostgreSQL its cost follows the size of the
/// tables holding personal data). It destroys what it sweeps: run it on a copy of a store.
pub async fn retention(
    config: &Config,
    due: usize,
    as_of: chrono::NaiveDate,
) -> anyhow::Result<String> {
    let ledger = services::retention::required_ledger(config.retention_ledger.as_deref())?;
    let state = services::bus::AppState::from_config(config).await?;
    let streams: i64 = projections::on_pool!(&state.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT DISTINCT aggregate_type, aggregate_id FROM events) AS s",
    ).fetch_one(p).await?);
    let due_now = projections::retention::due_by(&state.db, as_of)
        .await?
        .len();
    // Beside the sweep, a reader asks for one kept application and the case list's first page, over and
    // over, as the service would for its users: how long the slowest of its requests waited is what a user
    // would notice of the sweep.
    let kept: Option<String> = projections::on_pool!(&state.db, p => sqlx::query_scalar(
        "SELECT id FROM case_list WHERE status IN ('awarded', 'alumni') ORDER BY id LIMIT 1",
    ).fetch_optional(p).await?);
    let sweeping = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let reader = tokio::spawn(read_beside(
        state.db.clone(),
        state.repo.clone(),
        kept,
        Arc::clone(&sweeping),
    ));
    let started = Instant::now();
    let swept =
        services::retention::sweep_at_most(&state, &ledger, as_of, false, Some(due), &|_, _| {})
            .await;
    let seconds = started.elapsed().as_secs_f64();
    sweeping.store(false, std::sync::atomic::Ordering::Relaxed);
    let waits = reader
        .await
        .context("the reader beside the sweep stopped")??;
    let report = swept?;
    let scrub_started = Instant::now();
    services::retention::scrub(&state.db).await?;
    let scrub = scrub_started.elapsed().as_secs_f64();
    let scrubbed = report.scrubbed.clone().unwrap_or_default();
    Ok(format!(
        "retention sweep as of {as_of}: {} destroyed ({} of them accounts) of {due_now} streams due, \
         in a store of {streams} streams: {seconds:.2} s, {:.1} ms a record; the sweep's scrub wrote anew {} partitions and {} tables, the longest locked {:.1} ms; \
         a scrub with nothing destroyed since {scrub:.2} s; \
         a reader beside the sweep: {} requests, p50 {:.1} ms, p99 {:.1} ms, the slowest {:.1} ms\n",
        report.destroyed.len(),
        report
            .destroyed
            .iter()
            .filter(|line| line.aggregate_type == "Account")
            .count(),
        seconds * 1000.0 / report.destroyed.len().max(1) as f64,
        scrubbed.partitions,
        scrubbed.tables,
        scrubbed.longest_lock.as_secs_f64() * 1000.0,
        waits.len(),
        ms(percentile(&waits, 0.50)),
        ms(percentile(&waits, 0.99)),
        ms(waits.last().copied().unwrap_or_default()),
    ))
}

/// Reads one application's view and the case list's first page in turn until the sweep ends; each request's
/// time, sorted.
async fn read_beside(
    db: projections::Db,
    keys: services::store::EventRepository,
    application: Option<String>,
    sweeping: Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<Vec<Duration>> {
    let mut waits = Vec::new();
    let first_page = projections::case_list::CaseFilter {
        limit: 50,
        ..Default::default()
    };
    while sweeping.load(std::sync::atomic::Ordering::Relaxed) {
        let started = Instant::now();
        if let Some(id) = &application {
            projections::application_view::find(&db, &keys, id).await?;
        }
        waits.push(started.elapsed());
        let started = Instant::now();
        projections::case_list::search(&db, &first_page).await?;
        waits.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    waits.sort();
    Ok(waits)
}

/// Answers subject access for up to `subjects` applicants of the store and reports the time each took
/// (median and slowest), with the size of the store: `etp-tools bench sar`.
pub async fn sar(state: &AppState, subjects: usize) -> anyhow::Result<String> {
    // The newest cases may be drafts with no email address yet (another bench's, say): subjects are taken
    // from a wider first stretch of the list, those with an address, spread over it.
    let filter = projections::case_list::CaseFilter {
        limit: (subjects * 20).clamp(1, 2_000) as i64,
        ..projections::case_list::CaseFilter::default()
    };
    let with_email: Vec<_> = projections::case_list::search(&state.db, &filter)
        .await?
        .cases
        .into_iter()
        .filter(|case| case.email.is_some())
        .collect();
    let step = (with_email.len() / subjects.max(1)).max(1);
    let cases = with_email.into_iter().step_by(step).take(subjects);
    let total: i64 = projections::on_pool!(&state.db, p =>
        sqlx::query_scalar("SELECT COUNT(*) FROM case_list").fetch_one(p).await)?;
    let mut times = Vec::new();
    for case in cases {
        let Some(email) = case.email else { continue };
        let started = std::time::Instant::now();
        let response = services::responses::subject_access(state, &email)
            .await
            .map_err(|error| anyhow::anyhow!("{}: {error}", error.code()))?;
        times.push(started.elapsed());
        anyhow::ensure!(
            !response["records"]["applications"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "a subject access response found no application of its subject"
        );
    }
    anyhow::ensure!(
        !times.is_empty(),
        "the store has no application with an email address to answer for"
    );
    times.sort();
    let median = times[times.len() / 2];
    let slowest = times[times.len() - 1];
    Ok(format!(
        "subject access for {} subjects in a store of {total} applications: median {:.1} ms, slowest {:.1} ms",
        times.len(),
        median.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0
    ))
}
