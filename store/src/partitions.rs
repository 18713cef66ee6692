//! Which partition of the data keys holds a stream's key, on PostgreSQL.
//!
//! `stream_keys` is in [`KEY_PARTITIONS`] hash partitions of the stream's id (migration 0025), so that the
//! sweep's scrub writes anew only the partitions that held a destroyed key (decision 0013). A statement that
//! names ids from many partitions costs PostgreSQL a plan and a probe of each: a batch of 250 streams taken in
//! the order they fell due touches about 160 partitions, 13 ms to read their keys and 14 ms to erase them.
//! The sweep therefore forms its batches in the order of the partitions ([`order_by_key_partition`]), so a
//! batch's ids fall into one or two partitions and its statements plan and probe only those.
//!
//! The partition is PostgreSQL's own: the stream id's extended hash under the partitioning seed, modulo the
//! number of partitions, asked of the database rather than worked out here. SQLite keeps its keys in one
//! table, and there the order is left as it was.

use projections::Db;

/// How many hash partitions hold the data keys on PostgreSQL (migration 0025).
pub const KEY_PARTITIONS: i64 = 256;

/// The number (0 to [`KEY_PARTITIONS`] − 1, the partition `stream_keys_NNN`) of the partition that holds, or
/// would hold, each id's key, in the order given; `None` on SQLite, whose keys are not in partitions.
///
/// PostgreSQL routes a row to the remainder of its partition key's extended hash, seeded with its
/// partitioning seed (`0x7A5B22367996DCFD`) and combined with a constant, modulo the modulus; the statement
/// below is that rule, and a test holds it to the partition each key is really in.
pub async fn key_partitions(db: &Db, ids: &[&str]) -> Result<Option<Vec<i64>>, sqlx::Error> {
    const SQL: &str = "SELECT ((hashtextextended(id, 8816678312871386365) & 255) + 227) % 256 \
                       FROM unnest($1::text[]) WITH ORDINALITY AS listed (id, n) ORDER BY n";
    let Db::Postgres(pool) = db else {
        return Ok(None);
    };
    let ids: Vec<&str> = ids.to_vec();
    let partitions: Vec<i64> = sqlx::query_scalar(SQL).bind(&ids).fetch_all(pool).await?;
    Ok(Some(partitions))
}

/// Puts `items` in the order of the partitions that hold their keys, keeping the order they had within each
/// partition (on SQLite, leaves them as they are). `id` gives an item's stream id.
pub async fn order_by_key_partition<T>(
    db: &Db,
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, sqlx::Error> {
    if items.len() < 2 {
        return Ok(items);
    }
    let ids: Vec<&str> = items.iter().map(&id).collect();
    let Some(partitions) = key_partitions(db, &ids).await? else {
        return Ok(items);
    };
    let mut placed: Vec<(i64, T)> = partitions.into_iter().zip(items).collect();
    placed.sort_by_key(|(partition, _)| *partition);
    Ok(placed.into_iter().map(|(_, item)| item).collect())
}
