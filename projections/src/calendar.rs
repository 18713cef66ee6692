//! The bank holidays officers have added to the calendar (days proclaimed at short notice).

use chrono::{NaiveDate, Utc};

use domain::calendar::{BankHoliday, Region, WorkingDays};

use crate::{Db, on_pool};

/// Every added day.
pub async fn added_holidays(db: &Db) -> Result<Vec<BankHoliday>, sqlx::Error> {
    const SQL: &str = "SELECT date, region, name FROM added_holidays ORDER BY date, region";
    let rows: Vec<(NaiveDate, String, String)> =
        on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .filter_map(|(date, region, name)| {
            Some(BankHoliday {
                date,
                region: Region::parse(&region)?,
                name,
            })
        })
        .collect())
}

/// The working-day calendar as it stands: the rules and every added day.
pub async fn working_days(db: &Db) -> Result<WorkingDays, sqlx::Error> {
    Ok(WorkingDays::new(added_holidays(db).await?))
}

/// Adds a proclaimed bank holiday; answers false where that day was already one in that region.
pub async fn add_holiday(
    db: &Db,
    holiday: &BankHoliday,
    added_by: &str,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "INSERT INTO added_holidays (date, region, name, added_by, added_at) VALUES ($1, $2, $3, $4, $5) \
                       ON CONFLICT (date, region) DO NOTHING";
    let added = on_pool!(db, p => sqlx::query(SQL)
        .bind(holiday.date)
        .bind(holiday.region.as_str())
        .bind(&holiday.name)
        .bind(added_by)
        .bind(Utc::now())
        .execute(p)
        .await?
        .rows_affected());
    Ok(added > 0)
}
