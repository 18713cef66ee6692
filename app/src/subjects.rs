//! Finding a data subject: every application held about a person, by the email address they give.

use std::collections::BTreeSet;

use projections::{Db, application_view};

use crate::accounts;

/// Every application held about the person with this email address: those whose personal details give it,
/// and those of the account registered with it. Read through indexes, never by scanning the log.
pub async fn subject_applications(db: &Db, email: &str) -> Result<BTreeSet<String>, sqlx::Error> {
    let mut ids: BTreeSet<String> = projections::case_list::with_email(db, email)
        .await?
        .into_iter()
        .collect();
    if let Some(account) = accounts::find_by_email(db, email).await? {
        ids.extend(application_view::ids_for_applicant(db, &account.id).await?);
    }
    Ok(ids)
}
