//! The two stores: SQLite (the embedded default) and PostgreSQL (production, shared by many servers).
//!
//! Queries are written once, in SQL both understand (`$1` placeholders in order of appearance, `ON CONFLICT`
//! upserts), and run on either driver through [`on_conn!`](crate::on_conn) and [`on_pool!`](crate::on_pool),
//! which expand the same code once per driver so each gets its native types.

use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

/// A pool of connections to one of the two stores.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One connection (usually inside a transaction) to one of the two stores.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Db {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Whether a string can be the id of anything we store: ids are UUIDs, so letters, digits and hyphens,
/// at most 64 of them. Anything else (a NUL, a path fragment, megabytes of text) is no id and is not
/// looked up.
pub fn is_plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Text a person typed into a filter, without the NUL character no database column can hold.
pub fn clean_text(text: &str) -> String {
    text.replace('\0', "")
}

/// Runs `$body` with `$c` bound to the connection, `&mut SqliteConnection` or `&mut PgConnection`.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite(inner) => {
                let $c = &mut **inner;
                $body
            }
            $crate::db::Conn::Postgres(inner) => {
                let $c = &mut **inner;
                $body
            }
        }
    };
}

/// Runs `$body` with `$p` bound to the pool, `&SqlitePool` or `&PgPool`.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($p) => $body,
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

/// A value sent as JSON text: to PostgreSQL as `json`, to SQLite as TEXT. sqlx's `Json` is sent as
/// `jsonb`, which PostgreSQL parses into its binary form as the statement is bound; into a `json` column
/// the text is only checked and kept as it came, which is all a view's document needs (it is read back
/// whole and never queried into).
pub struct JsonText<T>(pub T);

impl<T> sqlx::Type<sqlx::Postgres> for JsonText<T> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(JSON_OID))
    }
}

impl<T> sqlx::postgres::PgHasArrayType for JsonText<T> {
    fn array_type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(JSON_ARRAY_OID))
    }
}

/// PostgreSQL's `json` and `json[]` (pg_type).
const JSON_OID: u32 = 114;
const JSON_ARRAY_OID: u32 = 199;

impl<T: serde::Serialize> sqlx::Encode<'_, sqlx::Postgres> for JsonText<T> {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        // The binary form of `json` is its text.
        serde_json::to_writer(&mut **buf, &self.0)?;
        Ok(sqlx::encode::IsNull::No)
    }
}

impl<T> sqlx::Type<sqlx::Sqlite> for JsonText<T> {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as sqlx::Type<sqlx::Sqlite>>::type_info()
    }
}

impl<'q, T: serde::Serialize> sqlx::Encode<'q, sqlx::Sqlite> for JsonText<T> {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        let text = serde_json::to_string(&self.0)?;
        <String as sqlx::Encode<'q, sqlx::Sqlite>>::encode(text, buf)
    }
}

/// How many ids one `DELETE … IN (…)` names: well under both stores' limits on bound values.
pub const IDS_A_STATEMENT: usize = 500;

/// Deletes the rows of `table` whose `column` is one of `ids` (and, where `and` names one, whose other
/// column has that value), many ids to a statement. `table` and the columns are ours, never typed by anyone.
pub async fn delete_many(
    conn: &mut Conn<'_>,
    table: &str,
    column: &str,
    and: Option<(&str, &str)>,
    ids: &[&str],
) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for chunk in ids.chunks(IDS_A_STATEMENT) {
        deleted += on_conn!(conn, c => {
            let mut delete = sqlx::QueryBuilder::new(format!("DELETE FROM {table} WHERE "));
            if let Some((other, value)) = and {
                delete.push(format!("{other} = ")).push_bind(value).push(" AND ");
            }
            delete.push(format!("{column} IN ("));
            let mut ids = delete.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            delete.push(")");
            delete.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(deleted)
}

/// Deletes every row of `table`, as a rebuild does before it replays the log. On PostgreSQL the table is in
/// partitions whose every deletion notes its partition for the scrub (migration 0028): here the trigger stands
/// aside for the one statement, and every partition is noted once instead, in the same transaction, rather
/// than once for each of millions of rows. `table` is ours, never typed by anyone.
pub async fn empty_partitioned(conn: &mut Conn<'_>, table: &str) -> Result<u64, sqlx::Error> {
    match conn {
        Conn::Sqlite(c) => Ok(sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut **c)
            .await?
            .rows_affected()),
        Conn::Postgres(c) => {
            sqlx::query("SELECT set_config('etp.emptying_views', 'on', true)")
                .execute(&mut **c)
                .await?;
            let deleted = sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut **c)
                .await?
                .rows_affected();
            sqlx::query("SELECT set_config('etp.emptying_views', 'off', true)")
                .execute(&mut **c)
                .await?;
            sqlx::query(
                "INSERT INTO scrub_pending (relation) \
                 SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                 WHERE i.inhparent = $1::regclass",
            )
            .bind(table)
            .execute(&mut **c)
            .await?;
            Ok(deleted)
        }
    }
}

/// `$first, $first + 1, …`: `n` placeholders for a list of values, which both stores read.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The wrapped data keys of many streams of one type, by id; streams with no key are left out.
///
/// On PostgreSQL each id is looked up in the index of its own partition of the keys (a lateral subquery
/// the executor prunes to one partition a row): a list of ids in `IN (…)` had each of the partitions it
/// reached planned and read whole, which cost more as the partitions grew (15 ms for 250 ids at 100,000
/// applications, against 5 ms this way). On SQLite, `IN (…)` on the primary key.
pub async fn wrapped_keys(
    db: &Db,
    aggregate_type: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Vec<u8>>, sqlx::Error> {
    let mut keys = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_A_STATEMENT) {
        let rows: Vec<(String, Vec<u8>)> = match db {
            Db::Postgres(p) => {
                const SQL: &str = "SELECT g.id, k.wrapped_key FROM unnest($2::text[]) AS g (id), \
                     LATERAL (SELECT wrapped_key FROM stream_keys s \
                     WHERE s.aggregate_type = $1 AND s.aggregate_id = g.id LIMIT 1) AS k";
                sqlx::query_as(SQL)
                    .bind(aggregate_type)
                    .bind(chunk)
                    .fetch_all(p)
                    .await?
            }
            Db::Sqlite(p) => {
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT aggregate_id, wrapped_key FROM stream_keys WHERE aggregate_type = ",
                );
                query
                    .push_bind(aggregate_type)
                    .push(" AND aggregate_id IN (");
                let mut listed = query.separated(", ");
                for id in chunk {
                    listed.push_bind(*id);
                }
                query.push(")");
                query.build_query_as().fetch_all(p).await?
            }
        };
        keys.extend(rows);
    }
    Ok(keys)
}
