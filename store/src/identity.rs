//! The store's own id (`store_identity`, made by migration 0013): the ledger of destroyed streams names it
//! on every line, so that a ledger is applied only to the store it was written for. A backup carries the id
//! and a restore puts it back: a restored store is the same store, and its ledger still applies.

use anyhow::Context;
use projections::{Db, on_pool};

/// The store's id.
pub async fn id(db: &Db) -> anyhow::Result<String> {
    const SQL: &str = "SELECT id FROM store_identity";
    let id: Option<String> = on_pool!(db, p => sqlx::query_scalar(SQL).fetch_optional(p).await)
        .context("cannot read the store's id")?;
    id.context("the store has no id: run etp migrate")
}

/// Whether the store already has its id table: a store restored from a backup taken before ids existed
/// does not, until it is migrated.
pub async fn is_recorded(db: &Db) -> anyhow::Result<bool> {
    let exists: bool = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_identity')",
        )
        .fetch_one(pool)
        .await?,
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'store_identity')",
        )
        .fetch_one(pool)
        .await?,
    };
    Ok(exists)
}

/// Gives the store the id of the store it was a backup of (a backup taken before ids existed gets a new id
/// as it is migrated; its ledger names the old one).
pub async fn adopt(db: &Db, id: &str) -> anyhow::Result<()> {
    const SQL: &str = "UPDATE store_identity SET id = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(id).execute(p).await.map(|done| done.rows_affected()))
        .context("cannot set the store's id")?;
    Ok(())
}
