//! Opening a store from `ETP_DATABASE_URL`, and applying its migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use projections::Db;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connects to the store a URL names: `sqlite://path` (the file and its folder are created when missing)
/// or `postgres://…`.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url)
            .context("ETP_DATABASE_URL is not a valid PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context("cannot connect to PostgreSQL at ETP_DATABASE_URL")?;
        Ok(Db::Postgres(pool))
    } else if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .context("ETP_DATABASE_URL is not a valid SQLite URL")?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged command survives a power cut, not only a crash of the process.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Deleted rows (destroyed keys and views) are overwritten on disk, not merely unlinked.
            .pragma("secure_delete", "ON");
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context("cannot open the SQLite database at ETP_DATABASE_URL")?;
        Ok(Db::Sqlite(pool))
    } else {
        anyhow::bail!("ETP_DATABASE_URL must start with sqlite: or postgres://")
    }
}

/// Applies the migrations the store has not had yet. Safe to run from several processes at once.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
        Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
    }
    .context("cannot apply the database migrations")
}
