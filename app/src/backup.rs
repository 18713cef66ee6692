//! `etp backup` and `etp restore`: an encrypted, consistent copy of the store, and the store put back from
//! one, with the ledger of destroyed streams re-applied at once, so nothing the retention schedule or an
//! erasure destroyed after the backup was taken comes back.
//!
//! A backup is an [age](https://age-encryption.org/v1) file encrypted to an X25519 identity derived with
//! HKDF-SHA256 from `ETP_BACKUP_KEY`, or from `ETP_MASTER_KEY` when that is not set ([`BackupKey`];
//! `docs/decisions/0004-encrypted-backups.md` says why). The views hold personal data in clear, so the
//! copy itself never lies on disk unencrypted once the command has ended:
//!
//! - SQLite: `VACUUM INTO` writes a consistent copy, while the server runs, into a temporary file beside
//!   the backup (readable by its owner only), which is encrypted into the backup and removed, also when
//!   the backup fails or is interrupted. A restore decrypts into a temporary file beside the store and,
//!   once the whole backup has decrypted and authenticated, moves the current file aside (with `--force`)
//!   and puts the copy in its place. Stop the servers first.
//! - PostgreSQL: `pg_dump` (plain SQL, no owners or privileges) is piped through the encryption, and the
//!   decrypted dump is piped into `psql` in one transaction, together with the dropping of what the
//!   database held (`--force`): a backup that fails to decrypt or load leaves the database as it was. Both
//!   come with the PostgreSQL client tools.
//!
//! A restore refuses a file that is not an encrypted backup, or one made under another key, before it
//! touches the store.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::bus::AppState;
use crate::config::Config;

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The streams destroyed again from the ledger.
    pub redestroyed: usize,
    /// The ledger's streams the backup never held (taken before they existed): nothing to destroy.
    pub absent: usize,
    /// What the ledger says was destroyed and could not be destroyed again, with the cause: the next
    /// `etp retention sweep` tries again.
    pub report: crate::retention::SweepReport,
    /// Where the store that was replaced was moved (SQLite, with `--force`).
    pub moved_aside: Option<PathBuf>,
}

/// How every age file begins.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";
/// The HKDF salt and label of the backup identity: changing either makes every earlier backup unreadable.
const HKDF_SALT: &[u8] = b"etp-scholarships backup";
const HKDF_INFO: &[u8] = b"age X25519 identity v1";
/// How much of a copy is read, encrypted or decrypted at a time.
const CHUNK: usize = 1 << 20;

/// Where a backup key comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `ETP_BACKUP_KEY`.
    BackupKey,
    /// `ETP_MASTER_KEY`, `ETP_BACKUP_KEY` being unset.
    MasterKey,
}

/// The age identity backups are encrypted to and decrypted with: HKDF-SHA256 of the 32 bytes of
/// `ETP_BACKUP_KEY` (or, unset, of `ETP_MASTER_KEY`), under a salt and label of this purpose only, taken as
/// an X25519 secret key. The same key always gives the same identity, so a backup restores wherever the
/// same key is configured.
pub struct BackupKey {
    identity: age::x25519::Identity,
    source: KeySource,
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({:?}, ..)", self.source)
    }
}

impl BackupKey {
    /// The backup key of the configuration.
    pub fn from_config(config: &Config) -> anyhow::Result<BackupKey> {
        let (hex_digits, source) = match &config.backup_key {
            Some(key) => (key.expose(), KeySource::BackupKey),
            None => (config.master_key.expose(), KeySource::MasterKey),
        };
        let secret = hex::decode(hex_digits.trim())
            .ok()
            .filter(|bytes| bytes.len() == 32)
            .context("the backup key must be 64 hex digits")?;
        Ok(BackupKey {
            identity: derive_identity(&secret)?,
            source,
        })
    }

    /// Where this key comes from.
    pub fn source(&self) -> KeySource {
        self.source
    }

    /// The public half, which the backup is encrypted to.
    fn recipient(&self) -> age::x25519::Recipient {
        self.identity.to_public()
    }

    /// Which key a restore expects a backup to be made under, for a refusal.
    fn expected(&self) -> &'static str {
        match self.source {
            KeySource::BackupKey => {
                "This store expects a backup made under ETP_BACKUP_KEY; set ETP_BACKUP_KEY to the key \
                 the backup was made under (or unset it for a backup made under ETP_MASTER_KEY)"
            }
            KeySource::MasterKey => {
                "ETP_BACKUP_KEY is not set, so this store expects a backup made under ETP_MASTER_KEY; set \
                 ETP_MASTER_KEY to the master key of the store the backup was made from, or ETP_BACKUP_KEY \
                 to the backup key it was made under"
            }
        }
    }
}

/// The X25519 identity of a 32-byte key.
fn derive_identity(secret: &[u8]) -> anyhow::Result<age::x25519::Identity> {
    let mut scalar = [0u8; 32];
    Hkdf::<Sha256>::new(Some(HKDF_SALT), secret)
        .expand(HKDF_INFO, &mut scalar)
        .map_err(|_| anyhow!("derive the backup key"))?;
    // age reads an identity only in its own encoding: Bech32, `AGE-SECRET-KEY-1…`.
    let prefix = bech32::Hrp::parse("age-secret-key-").context("the age identity prefix")?;
    let encoded = bech32::encode::<bech32::Bech32>(prefix, &scalar)
        .context("encode the backup key")?
        .to_uppercase();
    encoded
        .parse::<age::x25519::Identity>()
        .map_err(|problem| anyhow!("derive the backup key: {problem}"))
}

/// The database file an SQLite URL names, or `None` for PostgreSQL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    Some(PathBuf::from(path))
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new, empty file beside `beside`, readable and writable by its owner only, removed when dropped.
fn temporary_beside(beside: &Path, prefix: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    let folder = folder_of(beside);
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    builder
        .tempfile_in(&folder)
        .with_context(|| format!("create a temporary file in {}", folder.display()))
}

/// Tells a blocking copy to stop when the future that started it is dropped (the command was interrupted):
/// the copy checks [`Stop::flag`] between chunks.
struct Stop(Arc<AtomicBool>);

impl Stop {
    fn new() -> Stop {
        Stop(Arc::new(AtomicBool::new(false)))
    }

    fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A file this command is writing: removed when dropped, unless kept.
struct Unfinished {
    path: PathBuf,
    kept: bool,
}

impl Unfinished {
    /// Creates `path`, which must not exist, readable and writable by its owner only.
    fn create(path: &Path) -> anyhow::Result<(Unfinished, File)> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).with_context(|| {
            if path.exists() {
                format!("{} already exists: name a new file", path.display())
            } else {
                format!("cannot create {}", path.display())
            }
        })?;
        Ok((
            Unfinished {
                path: path.to_path_buf(),
                kept: false,
            },
            file,
        ))
    }

    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A child process, killed when dropped unless it was waited for.
struct Running(Option<Child>);

impl Running {
    fn wait(mut self) -> io::Result<std::process::ExitStatus> {
        match self.0.take() {
            Some(mut child) => child.wait(),
            None => Err(io::Error::other("the process was already waited for")),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads a child's standard error to the end on a thread of its own, so a chatty child never blocks on it.
fn collect(stderr: Option<std::process::ChildStderr>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    })
}

/// Runs `work` to its end, or until the command is interrupted (Ctrl-C, SIGTERM): then `work` is dropped,
/// with the temporary files it holds and the [`Stop`] of its blocking part, and the command fails saying
/// `what` of it is left.
async fn unless_interrupted<T>(
    what: &str,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
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
        result = work => result,
        () = interrupt => bail!("interrupted: {what}"),
        () = terminate => bail!("interrupted: {what}"),
    }
}

/// Copies `from` into `to` a chunk at a time, until the end or until `stop` is raised.
fn copy(from: &mut impl Read, to: &mut impl Write, stop: &AtomicBool) -> io::Result<u64> {
    let mut buffer = vec![0u8; CHUNK];
    let mut copied = 0;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        let read = match from.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        to.write_all(&buffer[..read])?;
        copied += read as u64;
    }
}

/// Encrypts everything `plain` gives to `recipient` into `out`, and syncs `out` to disk.
fn encrypt(
    plain: &mut impl Read,
    out: File,
    recipient: &age::x25519::Recipient,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .context("prepare the encryption")?;
    let mut sealed = encryptor
        .wrap_output(BufWriter::new(out))
        .context("write the backup")?;
    copy(plain, &mut sealed, stop).context("encrypt the copy into the backup")?;
    let out = sealed
        .finish()
        .context("write the backup")?
        .into_inner()
        .map_err(|error| error.into_error())
        .context("write the backup")?;
    out.sync_all().context("write the backup to disk")
}

/// Opens a backup for decryption: refuses a file that is not an encrypted backup, or one made under
/// another key, before anything is read past its header.
fn open_backup(
    from: &Path,
    key: &BackupKey,
) -> anyhow::Result<age::stream::StreamReader<BufReader<File>>> {
    let mut file = File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut start = [0u8; AGE_MAGIC.len()];
    let starts_as_age = match file.read_exact(&mut start) {
        Ok(()) => start == AGE_MAGIC,
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => false,
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", from.display()));
        }
    };
    if !starts_as_age {
        bail!(
            "{} is not an encrypted backup (etp backup writes those): nothing was restored. A plain copy of \
             a store is not restored by etp restore (docs/operations.md)",
            from.display()
        );
    }
    let file = File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let decryptor = age::Decryptor::new(BufReader::new(file)).map_err(|error| match error {
        age::DecryptError::Io(error) if error.kind() != io::ErrorKind::UnexpectedEof => {
            anyhow!("cannot read {}: {error}", from.display())
        }
        _ => anyhow!(
            "{} is not an encrypted backup that etp can read (its header is damaged, or it comes \
             from another program): nothing was restored",
            from.display()
        ),
    })?;
    decryptor
        .decrypt(std::iter::once(&key.identity as &dyn age::Identity))
        .map_err(|error| match error {
            age::DecryptError::NoMatchingKeys => anyhow!(
                "{} is an encrypted backup made under another key: nothing was restored. {}",
                from.display(),
                key.expected()
            ),
            _ => anyhow!(
                "{} is an encrypted backup that does not open (it is damaged): nothing was restored",
                from.display()
            ),
        })
}

/// The error of a backup's payload that failed to decrypt part way.
fn damaged(from: &Path, error: io::Error) -> anyhow::Error {
    if error.kind() == io::ErrorKind::Interrupted {
        return anyhow!("interrupted");
    }
    anyhow!(
        "{} did not decrypt to its end (it is damaged or cut short: {error}): nothing was restored",
        from.display()
    )
}

/// Writes an encrypted, consistent copy of the store to `to`, which must not exist yet.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<()> {
    let key = BackupKey::from_config(config)?;
    if to.exists() {
        bail!("{} already exists: name a new file", to.display());
    }
    let (unfinished, out) = Unfinished::create(to)?;
    let work = async {
        if sqlite_file(&config.database_url).is_some() {
            backup_sqlite(config, to, out, &key).await
        } else {
            backup_postgres(config, out, &key).await
        }
    };
    unless_interrupted("nothing of the backup is left on disk", work)
        .await
        .context("no backup was written")?;
    unfinished.keep();
    Ok(())
}

async fn backup_sqlite(
    config: &Config,
    to: &Path,
    out: File,
    key: &BackupKey,
) -> anyhow::Result<()> {
    let db = crate::store::connect(&config.database_url).await?;
    let projections::Db::Sqlite(pool) = &db else {
        bail!("an SQLite URL opened another kind of store");
    };
    // The plain copy: beside the backup, its owner's only, removed as this function ends however it ends.
    let plain = temporary_beside(to, ".etp-backup-")?;
    let plain_path = plain
        .path()
        .to_str()
        .context("the backup's path must be valid UTF-8")?
        .to_string();
    sqlx::query("VACUUM INTO $1")
        .bind(&plain_path)
        .execute(pool)
        .await
        .context("copy the database")?;
    db.close().await;
    let mut reader = plain.reopen().context("read the copy of the database")?;
    let recipient = key.recipient();
    let stop = Stop::new();
    let flag = stop.flag();
    let encrypted =
        tokio::task::spawn_blocking(move || encrypt(&mut reader, out, &recipient, &flag))
            .await
            .context("the encryption stopped")?;
    drop(stop);
    drop(plain);
    encrypted
}

async fn backup_postgres(config: &Config, out: File, key: &BackupKey) -> anyhow::Result<()> {
    let mut child = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges"])
        .arg(&config.database_url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("run pg_dump (install the PostgreSQL client tools)")?;
    let mut dump = child.stdout.take().context("pg_dump's output")?;
    let errors = collect(child.stderr.take());
    let pg_dump = Running(Some(child));
    let recipient = key.recipient();
    let stop = Stop::new();
    let flag = stop.flag();
    let encrypted = tokio::task::spawn_blocking(move || encrypt(&mut dump, out, &recipient, &flag))
        .await
        .context("the encryption stopped")?;
    drop(stop);
    let status = tokio::task::spawn_blocking(move || pg_dump.wait())
        .await
        .context("pg_dump")?
        .context("wait for pg_dump")?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        bail!("pg_dump failed: {}", errors.trim());
    }
    encrypted
}

/// What an interrupted restore says of the store.
const UNTOUCHED: &str = "nothing was restored, and the store is as it was";

/// Puts the store back from an encrypted backup, migrates it to this version, and destroys again every
/// stream the ledger says was destroyed. Refuses a file that is not an encrypted backup made under this
/// configuration's backup key, and a store that holds events unless `force`, before changing anything.
pub async fn restore(config: &Config, from: &Path, force: bool) -> anyhow::Result<Restored> {
    if !from.is_file() {
        bail!("{} is not a backup file", from.display());
    }
    let ledger = crate::retention::required_ledger(config.retention_ledger.as_deref())?;
    let key = BackupKey::from_config(config)?;
    // Refused here, before the store is touched: not a backup, or another key's.
    let backup = open_backup(from, &key)?;
    let moved_aside = match sqlite_file(&config.database_url) {
        Some(file) => {
            unless_interrupted(UNTOUCHED, restore_sqlite(&file, from, backup, force)).await?
        }
        None => {
            unless_interrupted(UNTOUCHED, restore_postgres(config, from, backup, force)).await?;
            None
        }
    };
    // A backup taken before stores had ids is given one as it is migrated: the id its ledger names, so the
    // store restored is the store the ledger was written for.
    let had_id =
        crate::store::identity::is_recorded(&crate::store::connect(&config.database_url).await?)
            .await?;
    // Migrated as it opens; then the ledger, before anyone reads what it should not.
    let state = AppState::from_config(config).await?;
    if !had_id && let Some(id) = ledger.lines()?.into_iter().find_map(|line| line.store) {
        crate::store::identity::adopt(&state.db, &id).await?;
    }
    let today = chrono::Utc::now().date_naive();
    let report =
        crate::retention::sweep_at_most(&state, &ledger, today, false, Some(0), &|_, _| {})
            .await
            .context("the backup is in place, but the ledger of destroyed streams could not be applied:                       serve nothing from it until `etp retention sweep` has run with this store's ledger")?;
    Ok(Restored {
        redestroyed: report.reapplied.len(),
        absent: report.absent.len(),
        report,
        moved_aside,
    })
}

async fn restore_sqlite(
    file: &Path,
    from: &Path,
    mut backup: age::stream::StreamReader<BufReader<File>>,
    force: bool,
) -> anyhow::Result<Option<PathBuf>> {
    let holds_a_store = file.exists() && std::fs::metadata(file)?.len() > 0;
    if holds_a_store && !force {
        bail!(
            "{} already holds a store: stop the servers and pass --force to replace it (it is moved aside)",
            file.display()
        );
    }
    std::fs::create_dir_all(folder_of(file))?;
    // Decrypted whole beside the store before anything of the store is moved.
    let plain = temporary_beside(file, ".etp-restore-")?;
    let mut writer = plain.reopen().context("write the restored copy")?;
    let stop = Stop::new();
    let flag = stop.flag();
    let source = from.to_path_buf();
    tokio::task::spawn_blocking(move || {
        copy(&mut backup, &mut writer, &flag).map_err(|error| damaged(&source, error))?;
        writer.sync_all().context("write the restored copy to disk")
    })
    .await
    .context("the decryption stopped")??;
    drop(stop);

    let mut moved_aside = None;
    if holds_a_store {
        let aside = PathBuf::from(format!(
            "{}.replaced-{}",
            file.display(),
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(file, &aside).context("move the current store aside")?;
        for suffix in ["-wal", "-shm"] {
            let companion = PathBuf::from(format!("{}{suffix}", file.display()));
            if companion.exists() {
                std::fs::rename(&companion, format!("{}{suffix}", aside.display()))?;
            }
        }
        moved_aside = Some(aside);
    }
    plain
        .persist(file)
        .map_err(|error| error.error)
        .context("put the restored copy in place")?;
    Ok(moved_aside)
}

async fn restore_postgres(
    config: &Config,
    from: &Path,
    mut backup: age::stream::StreamReader<BufReader<File>>,
    force: bool,
) -> anyhow::Result<()> {
    let db = crate::store::connect(&config.database_url).await?;
    let projections::Db::Postgres(pool) = &db else {
        bail!("a PostgreSQL URL opened another kind of store");
    };
    let holds_events: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name = 'events')",
    )
    .fetch_one(pool)
    .await?;
    if holds_events && !force {
        bail!(
            "the database already holds a store: stop the servers and pass --force to replace it (what it holds is dropped)"
        );
    }
    db.close().await;
    // One transaction: what the database held is dropped only if the whole backup decrypts and loads.
    let mut child = Command::new("psql")
        .args([
            "--quiet",
            "--no-psqlrc",
            "--single-transaction",
            "-v",
            "ON_ERROR_STOP=1",
            "--file",
            "-",
            "--dbname",
        ])
        .arg(&config.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("run psql (install the PostgreSQL client tools)")?;
    let mut input = child.stdin.take().context("psql's input")?;
    let errors = collect(child.stderr.take());
    let psql = Running(Some(child));
    let stop = Stop::new();
    let flag = stop.flag();
    let source = from.to_path_buf();
    let loaded = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
        let fed = (|| {
            if holds_events {
                input.write_all(b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")?;
            }
            copy(&mut backup, &mut input, &flag)
        })();
        match fed {
            // The end of psql's input: it commits, unless a statement failed.
            Ok(_) => {
                drop(input);
                Ok(psql.wait().context("wait for psql")?.success())
            }
            // psql stopped reading: a statement failed, and its errors say which.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                drop(input);
                let _ = psql.wait();
                Ok(false)
            }
            // The backup failed to decrypt part way: psql is killed before its input ends, so its
            // transaction is rolled back and the database keeps what it held.
            Err(error) => {
                drop(psql);
                Err(damaged(&source, error))
            }
        }
    })
    .await
    .context("the decryption stopped")?;
    drop(stop);
    let errors = errors.join().unwrap_or_default();
    if !loaded? {
        bail!(
            "psql failed, and the database keeps what it held: {}",
            errors.trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(master: &str, backup: Option<&str>) -> Config {
        Config::load(crate::config::Environment {
            jwt_secret: Some("j".repeat(32)),
            master_key: Some(master.to_string()),
            backup_key: backup.map(str::to_string),
            ..crate::config::Environment::default()
        })
        .unwrap()
    }

    fn sealed(key: &BackupKey, plain: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        let out = File::create(&path).unwrap();
        encrypt(
            &mut &plain[..],
            out,
            &key.recipient(),
            &AtomicBool::new(false),
        )
        .unwrap();
        std::fs::read(path).unwrap()
    }

    fn opened(key: &BackupKey, file: &[u8]) -> anyhow::Result<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        std::fs::write(&path, file).unwrap();
        let mut reader = open_backup(&path, key)?;
        let mut plain = Vec::new();
        reader.read_to_end(&mut plain)?;
        Ok(plain)
    }

    #[test]
    fn the_same_key_gives_the_same_identity_and_another_key_another() {
        let master = "ab".repeat(32);
        let one = BackupKey::from_config(&config(&master, None)).unwrap();
        let again = BackupKey::from_config(&config(&master, None)).unwrap();
        assert_eq!(one.recipient().to_string(), again.recipient().to_string());
        assert_eq!(one.source(), KeySource::MasterKey);
        let other = BackupKey::from_config(&config(&"cd".repeat(32), None)).unwrap();
        assert_ne!(one.recipient().to_string(), other.recipient().to_string());
        let separate = BackupKey::from_config(&config(&master, Some(&"ef".repeat(32)))).unwrap();
        assert_eq!(separate.source(), KeySource::BackupKey);
        assert_ne!(
            one.recipient().to_string(),
            separate.recipient().to_string()
        );
    }

    #[test]
    fn a_backup_opens_under_its_own_key_only() {
        let key = BackupKey::from_config(&config(&"ab".repeat(32), None)).unwrap();
        let plain = b"SQLite format 3\0 CREATE TABLE application_views".repeat(10_000);
        let file = sealed(&key, &plain);
        assert!(file.starts_with(b"age-encryption.org/v1\n"));
        assert!(!file.windows(12).any(|window| window == b"CREATE TABLE"));
        assert_eq!(opened(&key, &file).unwrap(), plain);

        let other = BackupKey::from_config(&config(&"cd".repeat(32), None)).unwrap();
        let refused = opened(&other, &file).unwrap_err().to_string();
        assert!(refused.contains("another key"), "{refused}");
        assert!(refused.contains("ETP_MASTER_KEY"), "{refused}");
        let separate =
            BackupKey::from_config(&config(&"ab".repeat(32), Some(&"ef".repeat(32)))).unwrap();
        let refused = opened(&separate, &file).unwrap_err().to_string();
        assert!(refused.contains("ETP_BACKUP_KEY"), "{refused}");
    }

    #[test]
    fn a_plain_or_damaged_file_is_refused() {
        let key = BackupKey::from_config(&config(&"ab".repeat(32), None)).unwrap();
        for plain in [
            &b"SQLite format 3\0"[..],
            b"--\n-- PostgreSQL database dump\n",
            b"",
        ] {
            let refused = opened(&key, plain).unwrap_err().to_string();
            assert!(refused.contains("not an encrypted backup"), "{refused}");
        }
        let mut file = sealed(&key, &b"a copy".repeat(100_000));
        let cut = file.len() - 100;
        file.truncate(cut);
        assert!(
            opened(&key, &file).is_err(),
            "a backup cut short does not open"
        );
        let mut file = sealed(&key, b"a copy");
        let last = file.len() - 1;
        file[last] ^= 1;
        assert!(
            opened(&key, &file).is_err(),
            "a changed backup does not open"
        );
    }
}
