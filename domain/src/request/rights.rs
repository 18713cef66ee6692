//! The rights of data subjects that an information officer decides (UK GDPR Arts 16–21), and what each
//! decision does to the subject's cases.
//!
//! - **Rectification** (Art 16): inaccurate personal data is corrected through the Help Desk's amendment
//!   path, so the same fields are amendable and every recipient who was sent an old value is told.
//! - **Erasure** (Art 17): approved, the subject's records are destroyed as retention destroys them, except
//!   where a ground to keep them applies (an award, a legal hold).
//! - **Restriction** (Art 18): the subject's cases are frozen until the restriction is lifted.
//! - **Objection** (Art 21): upheld, the uses objected to stop: each is one of the opt-outs the policy
//!   offers, set on every application of the subject.

use serde::{Deserialize, Serialize};

use crate::application::form::PreferencesChange;

/// A use of personal data a subject may object to, each matching an opt-out of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectedUse {
    /// Sharing their details with other scholars (the scholar directory).
    Networking,
    /// Giving their email to future scholars (the alumni networking scheme).
    AlumniEmail,
    /// The Alumni Open Book, online and in print.
    AlumniBook,
    /// Publishing images, photographs or videos of them.
    Images,
}

impl ObjectedUse {
    pub const ALL: [ObjectedUse; 4] = [
        ObjectedUse::Networking,
        ObjectedUse::AlumniEmail,
        ObjectedUse::AlumniBook,
        ObjectedUse::Images,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectedUse::Networking => "networking",
            ObjectedUse::AlumniEmail => "alumni_email",
            ObjectedUse::AlumniBook => "alumni_book",
            ObjectedUse::Images => "images",
        }
    }

    pub fn parse(name: &str) -> Option<ObjectedUse> {
        ObjectedUse::ALL.into_iter().find(|u| u.as_str() == name)
    }

    /// What the use is, for the response's letter.
    pub fn describe(self) -> &'static str {
        match self {
            ObjectedUse::Networking => "sharing your details with other EtP scholars",
            ObjectedUse::AlumniEmail => {
                "giving your email address to future scholars (the networking scheme)"
            }
            ObjectedUse::AlumniBook => "including you in the Alumni Open Book",
            ObjectedUse::Images => "publishing images, photographs or videos of you",
        }
    }
}

/// The opt-outs that honour an upheld objection to these uses: each use objected to is opted out of, and
/// every other preference is left as it is.
pub fn opt_outs_for(uses: &[ObjectedUse]) -> PreferencesChange {
    let named = |u: ObjectedUse| uses.contains(&u).then_some(true);
    PreferencesChange {
        networking_opt_out: named(ObjectedUse::Networking),
        alumni_email_opt_out: named(ObjectedUse::AlumniEmail),
        alumni_book_opt_out: named(ObjectedUse::AlumniBook),
        images_opt_out: named(ObjectedUse::Images),
    }
}
