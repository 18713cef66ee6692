//! Opening a store from `ETP_DATABASE_URL`, and applying its migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use projections::Db;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// The longest a request waits for a PostgreSQL connection before it is refused with 503 and `Retry-After`.
/// While the database is down (restarting, failed over) the pool keeps trying to connect until this runs
/// out, so it is how long every request hangs in an outage: two seconds, not the ten it was
/// (tests/api/crash.rs). A request under ordinary load never waits anything like it for one of 16
/// connections, and one that would is better told to come back than held.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// A pooled PostgreSQL connection idle for longer than this is checked with a round trip before it is handed
/// out; one busy a moment ago is handed out as it is. sqlx checks every connection at every acquire by
/// default, which under load is a round trip to the database per write group for nothing: a connection lost
/// while in use fails its query, and the pool then drops it (docs/benchmarks.md has the before and after).
const POSTGRES_CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// How long `etp` waits at start for a PostgreSQL server that is not taking connections yet.
const POSTGRES_START_PATIENCE: Duration = Duration::from_secs(10);

/// Whether a database failure means the store is out of reach for the moment — every connection busy, the
/// connection lost, the server stopping or starting — rather than a fault of ours: the request is refused
/// with 503 and may be tried again. PostgreSQL's connection exceptions are class 08; 57P01, 57P02 and 57P03
/// are its refusals while it shuts down (by an administrator or after a crash) or starts up.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Connects to the store a URL names: `sqlite://path` (the file and its folder are created when missing)
/// or `postgres://…`.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // No JIT: the service's statements are short, and at a million applications the planner's cost of
        // some of them (a page of the log beside the 256 partitions of the keys: measured, 30 s for a page
        // of 5,000 rows that runs in 0.1 s without) sets it compiling for far longer than they run. A URL
        // that sets `options` itself keeps its own.
        let options = PgConnectOptions::from_str(url)
            .context("ETP_DATABASE_URL is not a valid PostgreSQL URL")?;
        let options = if url.contains("options=") {
            options
        } else {
            options.options([("jit", "off")])
        };
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > POSTGRES_CHECK_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options.clone());
        // At start the database may itself be starting: wait for it as long as ever, not one acquire timeout.
        let started = std::time::Instant::now();
        loop {
            match pool.acquire().await {
                Ok(_) => break,
                Err(error)
                    if is_unavailable(&error) && started.elapsed() < POSTGRES_START_PATIENCE => {}
                Err(error) => {
                    // The pool says only that it timed out; one connection of our own says why.
                    let why = match <sqlx::PgConnection as sqlx::Connection>::connect_with(&options)
                        .await
                    {
                        Err(cause) => cause.to_string(),
                        Ok(connection) => {
                            let _ = sqlx::Connection::close(connection).await;
                            error.to_string()
                        }
                    };
                    return Err(error).context(format!(
                        "cannot connect to PostgreSQL at ETP_DATABASE_URL ({why})"
                    ));
                }
            }
        }
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

/// Whether the PostgreSQL server behind the store has autovacuum turned off (`None` on SQLite, or where it
/// cannot be asked). The case list's row changes with every draft edit; without autovacuum its dead rows
/// are never reclaimed and the case list slows as they pile up (docs/operations.md).
pub async fn autovacuum_is_off(db: &Db) -> Option<bool> {
    let Db::Postgres(pool) = db else {
        return None;
    };
    let setting: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
        .fetch_one(pool)
        .await
        .ok()?;
    Some(setting == "off")
}

/// Whether the store can be reached and has every migration this binary knows, each applied successfully:
/// what `GET /readyz` answers.
pub async fn migrations_current(db: &Db) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";
    let (applied, migrator): (Vec<i64>, &sqlx::migrate::Migrator) = match db {
        Db::Sqlite(pool) => (
            sqlx::query_scalar(SQL).fetch_all(pool).await?,
            &SQLITE_MIGRATIONS,
        ),
        Db::Postgres(pool) => (
            sqlx::query_scalar(SQL).fetch_all(pool).await?,
            &POSTGRES_MIGRATIONS,
        ),
    };
    Ok(migrator
        .iter()
        .filter(|migration| migration.migration_type.is_up_migration())
        .all(|migration| applied.contains(&migration.version)))
}

/// Applies the migrations the store has not had yet, then fills what a migration added that only etp can
/// compute (the case list's normalised search text, migration 0023). Safe to run from several processes at
/// once.
/// The migrations this binary carries for the store `db` is on: each one's version and the checksum of its
/// SQL. Two binaries with the same list make the same schema.
pub fn migrations(postgres: bool) -> Vec<(i64, &'static [u8])> {
    let migrator = if postgres {
        &POSTGRES_MIGRATIONS
    } else {
        &SQLITE_MIGRATIONS
    };
    migrator
        .iter()
        .map(|migration| (migration.version, &*migration.checksum))
        .collect()
}

pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
        Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
    }
    .context("cannot apply the database migrations")?;
    Ok(())
}
