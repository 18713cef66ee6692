//! `etp backup` and `etp restore`: a consistent copy of the store, and the store put back from one, with
//! the ledger of destroyed streams re-applied at once, so nothing the retention schedule or an erasure
//! destroyed after the backup was taken comes back.
//!
//! - SQLite: `VACUUM INTO` writes a consistent copy while the server runs; a restore moves the current
//!   file aside (with `--force`) and puts the copy in its place. Stop the servers first.
//! - PostgreSQL: `pg_dump` (plain SQL, no owners or privileges) and `psql` to load it, both from the
//!   PostgreSQL client tools; `--force` drops what the database holds first.
//!
//! A backup holds personal data sealed under the stream keys, which `ETP_MASTER_KEY` wraps: without the
//! secrets it cannot be read, and with them it can, so keep the two apart.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::app::AppState;
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

/// The database file an SQLite URL names, or `None` for PostgreSQL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    Some(PathBuf::from(path))
}

/// Writes a consistent copy of the store to `to`, which must not exist yet.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} already exists: name a new file", to.display());
    }
    if sqlite_file(&config.database_url).is_some() {
        let db = crate::store::connect(&config.database_url).await?;
        let projections::Db::Sqlite(pool) = &db else {
            bail!("an SQLite URL opened another kind of store");
        };
        let target = to
            .to_str()
            .context("the backup's path must be valid UTF-8")?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await
            .context("copy the database")?;
        return Ok(());
    }
    let output = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", "--file"])
        .arg(to)
        .arg(&config.database_url)
        .output()
        .context("run pg_dump (install the PostgreSQL client tools)")?;
    if !output.status.success() {
        let _ = std::fs::remove_file(to);
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Puts the store back from a backup, migrates it to this version, and destroys again every stream the
/// ledger says was destroyed. Refuses a store that holds events unless `force`.
pub async fn restore(config: &Config, from: &Path, force: bool) -> anyhow::Result<Restored> {
    if !from.is_file() {
        bail!("{} is not a backup file", from.display());
    }
    let ledger = crate::retention::required_ledger(config.retention_ledger.as_deref())?;
    let mut moved_aside = None;
    if let Some(file) = sqlite_file(&config.database_url) {
        if file.exists() && std::fs::metadata(&file)?.len() > 0 {
            if !force {
                bail!(
                    "{} already holds a store: stop the servers and pass --force to replace it (it is moved aside)",
                    file.display()
                );
            }
            let aside = PathBuf::from(format!(
                "{}.replaced-{}",
                file.display(),
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ));
            std::fs::rename(&file, &aside).context("move the current store aside")?;
            for suffix in ["-wal", "-shm"] {
                let companion = PathBuf::from(format!("{}{suffix}", file.display()));
                if companion.exists() {
                    std::fs::rename(&companion, format!("{}{suffix}", aside.display()))?;
                }
            }
            moved_aside = Some(aside);
        }
        if let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::copy(from, &file).context("copy the backup into place")?;
    } else {
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
        if holds_events {
            if !force {
                bail!(
                    "the database already holds a store: stop the servers and pass --force to replace it (what it holds is dropped)"
                );
            }
            sqlx::query("DROP SCHEMA public CASCADE")
                .execute(pool)
                .await?;
            sqlx::query("CREATE SCHEMA public").execute(pool).await?;
        }
        pool.close().await;
        let output = Command::new("psql")
            .args([
                "--quiet",
                "--no-psqlrc",
                "-v",
                "ON_ERROR_STOP=1",
                "--dbname",
            ])
            .arg(&config.database_url)
            .arg("--file")
            .arg(from)
            .output()
            .context("run psql (install the PostgreSQL client tools)")?;
        if !output.status.success() {
            bail!(
                "psql failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
    }
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
