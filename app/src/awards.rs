//! Administering awards, as the application layer carries it out: the reply-by date an offer gets when the
//! officer chooses none, and the daily lapse of offers not answered by their reply-by date.

use chrono::NaiveDate;

use domain::Actor;
use domain::application::ApplicationCommand;

use crate::bus::AppState;
use crate::error::AppError;

/// An offer is answered within this many UK working days, unless the officer chooses another date.
pub const REPLY_WITHIN_WORKING_DAYS: u32 = 10;

/// The default reply-by date of an offer made on `today`: the tenth UK working day after it, in the
/// calendar as it stands (bank holidays of England and Wales and any proclaimed since).
pub async fn default_reply_by(state: &AppState, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let calendar = projections::calendar::working_days(&state.db).await?;
    Ok(calendar.working_days_after(today, REPLY_WITHIN_WORKING_DAYS))
}

/// An offer the sweep lapsed, or could not.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LapsedOffer {
    pub application_id: String,
    /// Why it could not be lapsed (it will be tried again on the next run); `None` when it was.
    pub failed: Option<String>,
}

/// Lapses every offer whose reply-by date is before `on` (the day the sweep runs for): the application
/// becomes unsuccessful and its two years of retention run from `on`. A dry run lists them only.
pub async fn lapse_offers(
    state: &AppState,
    by: &Actor,
    on: NaiveDate,
    dry_run: bool,
) -> Result<Vec<LapsedOffer>, AppError> {
    let due = projections::awards::offers_lapsed_by(&state.db, on).await?;
    let mut lapsed = Vec::with_capacity(due.len());
    for application_id in due {
        let failed = if dry_run {
            None
        } else {
            state
                .execute_application(&application_id, by, ApplicationCommand::LapseOffer { on })
                .await
                .err()
                .map(|error| error.to_string())
        };
        lapsed.push(LapsedOffer {
            application_id,
            failed,
        });
    }
    Ok(lapsed)
}
