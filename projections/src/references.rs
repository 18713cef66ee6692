//! One short reference per application, `ETP-26-004821`: the two-digit year in which its cycle starts and a
//! number counted within that year. An application is given the next number of its year when it is started,
//! in commit order. A reference is quoted in letters already sent, so it never changes: a rebuild leaves
//! this table as it is and only numbers an application that has none, in the order of its id (decision
//! 0011). A destroyed application keeps its reference, which says nothing about anyone.

use std::collections::HashMap;

use crate::{Conn, Db, ProjectionError, on_pool};

/// A reference as people write it: `ETP-26-004821`.
pub fn format(year: i64, number: i64) -> String {
    format!("ETP-{:02}-{number:06}", year.rem_euclid(100))
}

/// The year and number of a reference, written as [`format`] writes it, in any case, with or without the
/// hyphens and the leading zeros (`etp 26 4821`); `None` for anything else.
pub fn parse(text: &str) -> Option<(i64, i64)> {
    let text = text.trim().to_ascii_uppercase();
    let rest = text.strip_prefix("ETP")?;
    let digits: String = rest.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if digits.len() < 3 || digits.len() > 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (year, number) = digits.split_at(2);
    Some((year.parse().ok()?, number.parse().ok()?))
}

/// The two-digit year of a cycle's name (`2026-27` is 26).
fn year_of(cycle: &str) -> i64 {
    domain::cycle::CycleName::parse(cycle)
        .map(|cycle| i64::from(cycle.first_year() % 100))
        .unwrap_or_default()
}

/// Gives an application started in `cycle` the next number of its year, unless it has one.
pub(crate) async fn assign(
    conn: &mut Conn<'_>,
    application_id: &str,
    cycle: &str,
) -> Result<(), ProjectionError> {
    const SQL: &str = "INSERT INTO application_references (application_id, year, number) \
         SELECT $1, $2, COALESCE(MAX(number), 0) + 1 FROM application_references WHERE year = $2 \
         ON CONFLICT (application_id) DO NOTHING";
    let year = year_of(cycle);
    match conn {
        Conn::Sqlite(c) => {
            // One writer at a time: the next number is the store's alone until it commits.
            sqlx::query(SQL)
                .bind(application_id)
                .bind(year)
                .execute(&mut **c)
                .await?;
        }
        Conn::Postgres(c) => {
            // Applications are started at once by many: their numbers are taken one at a time, until the
            // transaction ends.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('application_references'))")
                .execute(&mut **c)
                .await?;
            sqlx::query(SQL)
                .bind(application_id)
                .bind(year)
                .execute(&mut **c)
                .await?;
        }
    }
    Ok(())
}

/// Numbers, in order, the applications of a rebuild that have none (those they have, they keep).
pub(crate) async fn assign_many<'a>(
    conn: &mut Conn<'_>,
    started: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), ProjectionError> {
    for (id, cycle) in started {
        assign(conn, id, cycle).await?;
    }
    Ok(())
}

/// The reference of one application, if it has one.
pub async fn of(db: &Db, application_id: &str) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT year, number FROM application_references WHERE application_id = $1";
    let row: Option<(i64, i64)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(application_id).fetch_optional(p).await)?;
    Ok(row.map(|(year, number)| format(year, number)))
}

/// The references of many applications, by id; those without one are left out.
/// A few statements for them all (`crate::db::IDS_A_STATEMENT` ids each).
pub async fn of_many(db: &Db, ids: &[&str]) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut references = HashMap::new();
    for chunk in ids.chunks(crate::db::IDS_A_STATEMENT) {
        let rows: Vec<(String, i64, i64)> = on_pool!(db, p => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT application_id, year, number FROM application_references WHERE application_id IN (",
            );
            let mut listed = query.separated(", ");
            for id in chunk {
                listed.push_bind(*id);
            }
            query.push(")");
            query.build_query_as().fetch_all(p).await?
        });
        for (id, year, number) in rows {
            references.insert(id, format(year, number));
        }
    }
    Ok(references)
}

/// The application a reference names, if any.
pub async fn find(db: &Db, reference: &str) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str =
        "SELECT application_id FROM application_references WHERE year = $1 AND number = $2";
    let Some((year, number)) = parse(reference) else {
        return Ok(None);
    };
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(year).bind(number).fetch_optional(p).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_written_and_read_back() {
        assert_eq!(format(26, 4821), "ETP-26-004821");
        assert_eq!(format(2026, 1), "ETP-26-000001");
        assert_eq!(parse("ETP-26-004821"), Some((26, 4821)));
        assert_eq!(parse(" etp 26 4821 "), Some((26, 4821)));
        assert_eq!(parse("ETP26004821"), Some((26, 4821)));
        assert_eq!(parse("ETP-26"), None);
        assert_eq!(parse("Ada Lovelace"), None);
        assert_eq!(parse("ETP-2x-000001"), None);
        assert_eq!(year_of("2026-27"), 26);
    }
}
