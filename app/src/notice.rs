//! The privacy notice the service shows (`/privacy`) and that an applicant accepts by submitting: its version,
//! the day it was last updated and a digest of its text (the template the page is rendered from, and the
//! retention schedule it lists), so that a submission records exactly which notice was accepted, and any
//! change to the notice's text gives a new digest.

use std::sync::OnceLock;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use domain::application::events::NoticeVersion;
use domain::retention::SCHEDULE;

/// The day the privacy notice was last updated. Change it with the notice's text.
pub const UPDATED_ON: (i32, u32, u32) = (2026, 12, 6);

/// The notice's text as the page shows it, before rendering.
const TEXT: &str = include_str!("../templates/privacy.hbs");

/// The version of the privacy notice the service shows now.
pub fn current() -> NoticeVersion {
    static CURRENT: OnceLock<NoticeVersion> = OnceLock::new();
    CURRENT
        .get_or_init(|| {
            let mut hasher = Sha256::new();
            hasher.update(TEXT.as_bytes());
            for rule in SCHEDULE {
                hasher.update(rule.describes.as_bytes());
                hasher.update(b"\0");
                hasher.update(rule.period_in_words().as_bytes());
                hasher.update(b"\0");
            }
            let (year, month, day) = UPDATED_ON;
            NoticeVersion {
                updated_on: NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default(),
                digest: hex::encode(hasher.finalize()),
            }
        })
        .clone()
}

/// The day the notice was last updated, as people write it.
pub fn updated_on_in_words() -> String {
    current().updated_on.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_has_a_day_and_a_digest_of_its_text() {
        let notice = current();
        assert_eq!(notice.digest.len(), 64);
        assert_eq!(updated_on_in_words(), "6 December 2026");
        assert_eq!(current(), notice, "the same text, the same version");
    }
}
