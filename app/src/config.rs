//! Configuration, read once from the environment (the names are in CONTRACT.md) and passed down.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::RngExt;

use crate::crypto::MasterKey;

/// How long a client may take to send a request's head (`ETP_HEADER_READ_TIMEOUT`, seconds).
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a connection may be idle between requests (`ETP_IDLE_TIMEOUT`, seconds).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How many connections may be open at once (`ETP_MAX_CONNECTIONS`).
pub const MAX_CONNECTIONS: usize = 512;
/// The limits on connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_read_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// Every environment variable `etp` reads. The README's Configuration table gives each its default and
/// meaning; `tests/api/configuration.rs` checks the table, this list and the code against each other.
pub const VARIABLES: [&str; 22] = [
    "ETP_BIND",
    "ETP_DATABASE_URL",
    "ETP_JWT_SECRET",
    "ETP_MASTER_KEY",
    "ETP_BACKUP_KEY",
    "ETP_SECURE_COOKIES",
    "ETP_RETENTION_LEDGER",
    "ETP_METRICS_TOKEN",
    "ETP_LOG_FORMAT",
    "ETP_TRUSTED_PROXIES",
    "ETP_SMTP_URL",
    "ETP_MAIL_FROM",
    "ETP_OFFICE_EMAIL",
    "ETP_HEADER_READ_TIMEOUT",
    "ETP_IDLE_TIMEOUT",
    "ETP_MAX_CONNECTIONS",
    "ETP_PASSWORD_QUEUE",
    "ETP_REGISTRATIONS_PER_ADDRESS",
    "ETP_PUBLIC_URL",
    "ETP_HELPDESK_EMAIL",
    "ETP_HELPDESK_PHONE",
    "ETP_HELPDESK_HOURS",
];

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/etp.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
const SECRETS_FILE: &str = "etp-secrets.env";
/// The shortest `ETP_METRICS_TOKEN` accepted.
const MIN_METRICS_TOKEN: usize = 16;

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub jwt_secret: Secret,
    pub master_key: Secret,
    /// The key `etp backup` encrypts to and `etp restore` decrypts with (`ETP_BACKUP_KEY`, 64 hex digits);
    /// `None`: the backup key is derived from the master key (`crate::backup::BackupKey`).
    pub backup_key: Option<Secret>,
    /// Mark cookies Secure: set `ETP_SECURE_COOKIES=true` when the service is reached over HTTPS.
    pub secure_cookies: bool,
    /// The ledger of destroyed streams (`ETP_RETENTION_LEDGER`), kept apart from the database's backups; by
    /// default beside the SQLite file. `None` on PostgreSQL when it is not set: the commands that need it
    /// (`serve`, `retention sweep`, `restore`) then refuse to start (`retention::required_ledger`).
    pub retention_ledger: Option<std::path::PathBuf>,
    /// The token a scrape of `GET /metrics` must send as `Authorization: Bearer …` (`ETP_METRICS_TOKEN`);
    /// `None` leaves `/metrics` open (it holds no personal data).
    pub metrics_token: Option<Secret>,
    /// The reverse proxies whose `X-Forwarded-For` names the client (`ETP_TRUSTED_PROXIES`): addresses or
    /// networks. Empty: the client is the connection's peer.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where outcome letters are emailed from (`ETP_SMTP_URL`, `ETP_MAIL_FROM`); `None`: letters are kept
    /// and shown with the application, not emailed.
    pub mail: Option<MailSettings>,
    /// The limits on the server's connections (`ETP_HEADER_READ_TIMEOUT`, `ETP_IDLE_TIMEOUT`,
    /// `ETP_MAX_CONNECTIONS`).
    pub connections: Limits,
    /// How many jobs each password queue holds before a request is answered 503 (`ETP_PASSWORD_QUEUE`).
    pub password_queue: usize,
    /// Registrations allowed from one network address in an hour before the back-off
    /// (`ETP_REGISTRATIONS_PER_ADDRESS`).
    pub registrations_per_address: i64,
    /// The address people reach the service at, without a trailing `/` (`ETP_PUBLIC_URL`): the start of
    /// the links emailed to them (a password reset link). Never taken from a request's `Host`, which the
    /// sender of the request chooses.
    pub public_url: String,
    /// How applicants reach the Help Desk (`ETP_HELPDESK_EMAIL`, `ETP_HELPDESK_PHONE`,
    /// `ETP_HELPDESK_HOURS`), shown on the contact page, after submitting and wherever a page says to
    /// contact it.
    pub helpdesk: HelpDesk,
}

/// How to reach the Help Desk.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HelpDesk {
    pub email: String,
    pub phone: String,
    pub hours: String,
}

/// The Help Desk's email address unless `ETP_HELPDESK_EMAIL` says otherwise.
pub const DEFAULT_HELPDESK_EMAIL: &str = "helpdesk@example.org";
/// The Help Desk's telephone number unless `ETP_HELPDESK_PHONE` says otherwise.
pub const DEFAULT_HELPDESK_PHONE: &str = "+44 20 7946 0000";
/// When the Help Desk answers, unless `ETP_HELPDESK_HOURS` says otherwise.
pub const DEFAULT_HELPDESK_HOURS: &str =
    "Monday to Friday, 9am to 5pm (UK time), except bank holidays";

impl Default for HelpDesk {
    fn default() -> Self {
        Self {
            email: DEFAULT_HELPDESK_EMAIL.to_string(),
            phone: DEFAULT_HELPDESK_PHONE.to_string(),
            hours: DEFAULT_HELPDESK_HOURS.to_string(),
        }
    }
}

/// The mail server that sends the outcome letters, and the address they come from.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `smtp://host:port` (plain), `smtp://host:587?tls=required` (STARTTLS) or `smtps://host` (TLS); it
    /// may carry a user name and password, so it never prints.
    pub smtp_url: Secret,
    /// `EtP Scholarships <letters@example.org>` or a bare address.
    pub from: String,
    /// The programme office's address, sent the reminders of progress reports falling due
    /// (`ETP_OFFICE_EMAIL`); `None`: only the supervisor is reminded.
    pub office: Option<String>,
}

/// The settings as the environment gives them, before secrets are found or made.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub jwt_secret: Option<String>,
    pub master_key: Option<String>,
    pub backup_key: Option<String>,
    pub secure_cookies: Option<String>,
    pub retention_ledger: Option<String>,
    pub metrics_token: Option<String>,
    pub trusted_proxies: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub office_email: Option<String>,
    pub header_read_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub max_connections: Option<String>,
    pub password_queue: Option<String>,
    pub registrations_per_address: Option<String>,
    pub public_url: Option<String>,
    pub helpdesk_email: Option<String>,
    pub helpdesk_phone: Option<String>,
    pub helpdesk_hours: Option<String>,
}

impl Environment {
    pub fn from_process() -> Self {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self {
            bind: read("ETP_BIND"),
            database_url: read("ETP_DATABASE_URL"),
            jwt_secret: read("ETP_JWT_SECRET"),
            master_key: read("ETP_MASTER_KEY"),
            backup_key: read("ETP_BACKUP_KEY"),
            secure_cookies: read("ETP_SECURE_COOKIES"),
            retention_ledger: read("ETP_RETENTION_LEDGER"),
            metrics_token: read("ETP_METRICS_TOKEN"),
            trusted_proxies: read("ETP_TRUSTED_PROXIES"),
            smtp_url: read("ETP_SMTP_URL"),
            mail_from: read("ETP_MAIL_FROM"),
            office_email: read("ETP_OFFICE_EMAIL"),
            header_read_timeout: read("ETP_HEADER_READ_TIMEOUT"),
            idle_timeout: read("ETP_IDLE_TIMEOUT"),
            max_connections: read("ETP_MAX_CONNECTIONS"),
            password_queue: read("ETP_PASSWORD_QUEUE"),
            registrations_per_address: read("ETP_REGISTRATIONS_PER_ADDRESS"),
            public_url: read("ETP_PUBLIC_URL"),
            helpdesk_email: read("ETP_HELPDESK_EMAIL"),
            helpdesk_phone: read("ETP_HELPDESK_PHONE"),
            helpdesk_hours: read("ETP_HELPDESK_HOURS"),
        }
    }
}

impl Config {
    /// The configuration from the environment. On the SQLite store, secrets that are not set are read from
    /// (or, the first time, written to) a file beside the database; on PostgreSQL they must be set.
    pub fn load(env: Environment) -> anyhow::Result<Config> {
        let bind: SocketAddr = env
            .bind
            .as_deref()
            .unwrap_or(DEFAULT_BIND)
            .parse()
            .context("ETP_BIND must be an address and port, such as 127.0.0.1:8080")?;
        let database_url = env
            .database_url
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let (jwt_secret, master_key) = match (env.jwt_secret, env.master_key) {
            (Some(jwt), Some(master)) => (jwt, master),
            (jwt, master) => {
                let Some(folder) = sqlite_folder(&database_url) else {
                    bail!(
                        "ETP_JWT_SECRET and ETP_MASTER_KEY must be set when the store is PostgreSQL \
                         (or an in-memory SQLite database)"
                    );
                };
                let (stored_jwt, stored_master) = load_or_create_secrets(&folder)?;
                (jwt.unwrap_or(stored_jwt), master.unwrap_or(stored_master))
            }
        };
        if jwt_secret.len() < 32 {
            bail!("ETP_JWT_SECRET must be at least 32 bytes long");
        }
        MasterKey::from_hex(&master_key).context("ETP_MASTER_KEY")?;
        if let Some(key) = &env.backup_key
            && !is_key_hex(key)
        {
            bail!("ETP_BACKUP_KEY must be 64 hex digits (32 random bytes), as ETP_MASTER_KEY is");
        }
        if env
            .metrics_token
            .as_ref()
            .is_some_and(|token| token.trim().len() < MIN_METRICS_TOKEN)
        {
            bail!("ETP_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN} characters long");
        }
        let trusted_proxies = match env.trusted_proxies.as_deref() {
            Some(raw) => parse_trusted_proxies(raw)?,
            None => Vec::new(),
        };
        let mail = match (env.smtp_url, env.mail_from) {
            (None, None) => None,
            (Some(smtp_url), Some(from)) => {
                let settings = MailSettings {
                    smtp_url: Secret::new(smtp_url.trim()),
                    from: from.trim().to_string(),
                    office: env
                        .office_email
                        .as_deref()
                        .map(|office| office.trim().to_string()),
                };
                settings.check()?;
                Some(settings)
            }
            _ => bail!("ETP_SMTP_URL and ETP_MAIL_FROM are set together, or neither"),
        };
        if mail.is_none() && env.office_email.is_some() {
            bail!(
                "ETP_OFFICE_EMAIL is sent reminders by email: set ETP_SMTP_URL and ETP_MAIL_FROM with it"
            );
        }
        let connections = Limits {
            header_read_timeout: std::time::Duration::from_secs(positive(
                "ETP_HEADER_READ_TIMEOUT",
                env.header_read_timeout.as_deref(),
                HEADER_READ_TIMEOUT.as_secs(),
            )?),
            idle_timeout: std::time::Duration::from_secs(positive(
                "ETP_IDLE_TIMEOUT",
                env.idle_timeout.as_deref(),
                IDLE_TIMEOUT.as_secs(),
            )?),
            max_connections: positive(
                "ETP_MAX_CONNECTIONS",
                env.max_connections.as_deref(),
                MAX_CONNECTIONS as u64,
            )? as usize,
        };
        let password_queue = positive(
            "ETP_PASSWORD_QUEUE",
            env.password_queue.as_deref(),
            PASSWORD_QUEUE as u64,
        )? as usize;
        let registrations_per_address = positive(
            "ETP_REGISTRATIONS_PER_ADDRESS",
            env.registrations_per_address.as_deref(),
            REGISTRATIONS_PER_ADDRESS as u64,
        )? as i64;
        let public_url = match env.public_url.as_deref().map(str::trim) {
            None => format!("http://{bind}"),
            Some(url) => parse_public_url(url)?,
        };
        let helpdesk = HelpDesk {
            email: match env.helpdesk_email.as_deref().map(str::trim) {
                None => DEFAULT_HELPDESK_EMAIL.to_string(),
                Some(email) => email
                    .parse::<lettre::Address>()
                    .map(|_| email.to_string())
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "ETP_HELPDESK_EMAIL must be an email address, such as helpdesk@example.org"
                        )
                    })?,
            },
            phone: env
                .helpdesk_phone
                .map(|phone| phone.trim().to_string())
                .unwrap_or_else(|| DEFAULT_HELPDESK_PHONE.to_string()),
            hours: env
                .helpdesk_hours
                .map(|hours| hours.trim().to_string())
                .unwrap_or_else(|| DEFAULT_HELPDESK_HOURS.to_string()),
        };
        Ok(Config {
            public_url,
            helpdesk,
            connections,
            password_queue,
            registrations_per_address,
            bind,
            trusted_proxies,
            mail,
            jwt_secret: Secret::new(jwt_secret),
            master_key: Secret::new(master_key),
            backup_key: env.backup_key.map(|key| Secret::new(key.trim())),
            secure_cookies: matches!(env.secure_cookies.as_deref(), Some("true" | "1" | "yes")),
            retention_ledger: ledger_path(&database_url, env.retention_ledger.as_deref()),
            metrics_token: env.metrics_token.map(|token| Secret::new(token.trim())),
            database_url,
        })
    }

    pub fn master_key(&self) -> MasterKey {
        MasterKey::from_hex(self.master_key.expose())
            .expect("checked when the configuration was loaded")
    }
}

/// `ETP_PUBLIC_URL`: `http://` or `https://`, a host, perhaps a port and a path; kept without the trailing `/`.
pub fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~:/[]".contains(c)) =>
        {
            Ok(url.to_string())
        }
        _ => bail!(
            "ETP_PUBLIC_URL must be the address people reach the service at, such as https://apply.example.org"
        ),
    }
}

/// A whole number from 1 to a million, or `default` when the variable is not set.
fn positive(name: &str, raw: Option<&str>, default: u64) -> anyhow::Result<u64> {
    match raw.map(str::trim) {
        None => Ok(default),
        Some(value) => match value.parse::<u64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => bail!("{name} must be a whole number from 1 to 1000000, not {value:?}"),
        },
    }
}

/// 64 hex digits: a 256-bit key.
fn is_key_hex(value: &str) -> bool {
    hex::decode(value.trim()).is_ok_and(|bytes| bytes.len() == 32)
}

/// `ETP_TRUSTED_PROXIES`: addresses (`10.0.0.5`) and networks (`10.0.0.0/24`), separated by commas.
pub fn parse_trusted_proxies(raw: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!("ETP_TRUSTED_PROXIES: {entry:?} is not an address or a network")
                })
        })
        .collect()
}

/// The folder of an SQLite database file, or `None` for PostgreSQL and in-memory databases.
fn sqlite_folder(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(
        Path::new(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    )
}

fn load_or_create_secrets(folder: &Path) -> anyhow::Result<(String, String)> {
    let file = folder.join(SECRETS_FILE);
    if file.exists() {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let value = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_string)
                .with_context(|| format!("{} has no {name}", file.display()))
        };
        return Ok((value("ETP_JWT_SECRET")?, value("ETP_MASTER_KEY")?));
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill(&mut bytes);
    let jwt = hex::encode(bytes);
    let master = MasterKey::generate_hex();
    if !folder.as_os_str().is_empty() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    write_private(
        &file,
        &format!("ETP_JWT_SECRET={jwt}\nETP_MASTER_KEY={master}\n"),
    )?;
    eprintln!(
        "etp: ETP_JWT_SECRET and ETP_MASTER_KEY were not set; created them in {} (keep this file safe and \
         out of backups of the database: it unlocks the personal data)",
        file.display()
    );
    Ok((jwt, master))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The longest each password queue grows, unless `ETP_PASSWORD_QUEUE` says otherwise.
pub const PASSWORD_QUEUE: usize = 64;

/// Registrations from one network address in an hour (`throttle::FORGET_AFTER`) before the back-off starts, unless
/// `ETP_REGISTRATIONS_PER_ADDRESS` says otherwise.
pub const REGISTRATIONS_PER_ADDRESS: i64 = 20;

/// Where the ledger is kept: `ETP_RETENTION_LEDGER`, or beside the SQLite database file. On PostgreSQL (and
/// an in-memory SQLite database) there is no default: `None`, and the commands that read or write the
/// ledger refuse to start ([`required_ledger`]). A store of several servers needs one ledger on storage they
/// all share, which no default in a server's own folder can be; and a default in the working folder was
/// shared by every store run from that folder.
pub fn ledger_path(database_url: &str, configured: Option<&str>) -> Option<std::path::PathBuf> {
    if let Some(path) = configured {
        return Some(std::path::PathBuf::from(path));
    }
    let sqlite_file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|path| path.split('?').next().unwrap_or(path))
        .filter(|path| !path.is_empty() && !path.contains(":memory:"))?;
    Some(
        std::path::Path::new(sqlite_file)
            .parent()
            .map(|folder| folder.join("destroyed-streams.ledger"))
            .unwrap_or_else(|| std::path::PathBuf::from("destroyed-streams.ledger")),
    )
}

impl MailSettings {
    /// Whether the sender is an address and the URL one the mail client can use.
    pub fn check(&self) -> anyhow::Result<()> {
        self.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|_| {
                anyhow::anyhow!(
                    "ETP_MAIL_FROM must be an email address, such as EtP Scholarships <letters@example.org>"
                )
            })?;
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(self.smtp_url.expose())
            .map_err(|_| {
                anyhow::anyhow!(
                    "ETP_SMTP_URL must be smtp://host:port, smtp://host:587?tls=required or smtps://host"
                )
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_an_http_address_kept_without_its_last_slash() {
        assert_eq!(
            parse_public_url("https://apply.example.org/").unwrap(),
            "https://apply.example.org"
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(parse_public_url("apply.example.org").is_err());
        assert!(parse_public_url("javascript:alert(1)").is_err());
        assert!(parse_public_url("https://").is_err());
        assert!(parse_public_url("https://a.example/?x=<b>").is_err());
    }

    #[test]
    fn postgres_without_secrets_is_refused() {
        let env = Environment {
            database_url: Some("postgres://localhost/etp".into()),
            ..Environment::default()
        };
        assert!(Config::load(env).is_err());
    }

    #[test]
    fn a_short_metrics_token_is_refused_and_a_long_one_kept() {
        let env = |token: &str| Environment {
            jwt_secret: Some("j".repeat(32)),
            master_key: Some("ab".repeat(32)),
            metrics_token: Some(token.into()),
            ..Environment::default()
        };
        assert!(Config::load(env("short")).is_err());
        let config = Config::load(env("a token long enough to scrape")).unwrap();
        assert_eq!(
            config.metrics_token.map(|token| token.expose().to_string()),
            Some("a token long enough to scrape".to_string())
        );
    }

    #[test]
    fn mail_is_configured_whole_or_not_at_all() {
        let env = |smtp: Option<&str>, from: Option<&str>| Environment {
            jwt_secret: Some("j".repeat(32)),
            master_key: Some("ab".repeat(32)),
            smtp_url: smtp.map(str::to_string),
            mail_from: from.map(str::to_string),
            ..Environment::default()
        };
        assert!(Config::load(env(None, None)).unwrap().mail.is_none());
        assert!(Config::load(env(Some("smtp://127.0.0.1:2525"), None)).is_err());
        assert!(Config::load(env(None, Some("letters@example.test"))).is_err());
        assert!(Config::load(env(Some("smtp://127.0.0.1:2525"), Some("not an address"))).is_err());
        assert!(Config::load(env(Some("ftp://127.0.0.1"), Some("letters@example.test"))).is_err());
        let config = Config::load(env(
            Some("smtp://127.0.0.1:2525"),
            Some("EtP Scholarships <letters@example.test>"),
        ))
        .unwrap();
        let mail = config.mail.unwrap();
        assert_eq!(mail.from, "EtP Scholarships <letters@example.test>");
        assert!(
            !format!("{mail:?}").contains("2525"),
            "the URL never prints"
        );
    }

    #[test]
    fn a_backup_key_is_64_hex_digits_or_unset() {
        let env = |key: Option<&str>| Environment {
            jwt_secret: Some("j".repeat(32)),
            master_key: Some("ab".repeat(32)),
            backup_key: key.map(str::to_string),
            ..Environment::default()
        };
        assert!(Config::load(env(None)).unwrap().backup_key.is_none());
        assert!(Config::load(env(Some("not hex"))).is_err());
        assert!(Config::load(env(Some(&"ab".repeat(16)))).is_err());
        let config = Config::load(env(Some(&"cd".repeat(32)))).unwrap();
        assert_eq!(
            config.backup_key.map(|key| key.expose().to_string()),
            Some("cd".repeat(32))
        );
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let env = Environment {
            jwt_secret: Some("short".into()),
            master_key: Some("ab".repeat(32)),
            ..Environment::default()
        };
        assert!(Config::load(env).is_err());
    }

    #[test]
    fn sqlite_secrets_are_created_once_and_then_reused() {
        let folder = std::env::temp_dir().join(format!("etp-config-{}", uuid::Uuid::new_v4()));
        let env = Environment {
            database_url: Some(format!("sqlite://{}/etp.db", folder.display())),
            ..Environment::default()
        };
        let first = Config::load(env.clone()).unwrap();
        let second = Config::load(env).unwrap();
        assert_eq!(first.jwt_secret.expose(), second.jwt_secret.expose());
        assert_eq!(first.master_key.expose(), second.master_key.expose());
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn the_folder_of_a_sqlite_url_is_found() {
        assert_eq!(
            sqlite_folder("sqlite://data/etp.db"),
            Some(PathBuf::from("data"))
        );
        assert_eq!(sqlite_folder("sqlite:etp.db"), Some(PathBuf::from("")));
        assert_eq!(sqlite_folder("sqlite::memory:"), None);
        assert_eq!(sqlite_folder("postgres://x/y"), None);
    }
}
