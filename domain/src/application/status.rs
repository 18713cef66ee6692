//! Where an application stands, and the committee's decisions: plain values every other part of the
//! application (its commands, events, errors, letters and rules) names, kept apart from the aggregate so
//! those files do not depend on it.

use serde::{Deserialize, Serialize};

/// Where an application stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No event yet: the stream does not exist.
    #[default]
    NotStarted,
    Draft,
    Submitted,
    Eligible,
    Ineligible,
    UnderReview,
    Selected,
    Reserve,
    Unsuccessful,
    Awarded,
    Alumni,
    Withdrawn,
}

impl Status {
    /// Every status an application can have, in the order of the lifecycle.
    pub const ALL: [Status; 11] = [
        Status::Draft,
        Status::Submitted,
        Status::Eligible,
        Status::Ineligible,
        Status::UnderReview,
        Status::Selected,
        Status::Reserve,
        Status::Unsuccessful,
        Status::Awarded,
        Status::Alumni,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Eligible => "eligible",
            Status::Ineligible => "ineligible",
            Status::UnderReview => "under_review",
            Status::Selected => "selected",
            Status::Reserve => "reserve",
            Status::Unsuccessful => "unsuccessful",
            Status::Awarded => "awarded",
            Status::Alumni => "alumni",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
    }

    /// A decision (selected, reserve, unsuccessful, and what follows) has been made, or eligibility refused.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            Status::Ineligible
                | Status::Selected
                | Status::Reserve
                | Status::Unsuccessful
                | Status::Awarded
                | Status::Alumni
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// The committee's decision on an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Selected,
    Reserve,
    Unsuccessful,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Selected => "selected",
            Outcome::Reserve => "reserve",
            Outcome::Unsuccessful => "unsuccessful",
        }
    }

    pub fn parse(name: &str) -> Option<Outcome> {
        [Outcome::Selected, Outcome::Reserve, Outcome::Unsuccessful]
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }

    /// The status the application takes when this outcome is recorded.
    pub(crate) fn status(self) -> Status {
        match self {
            Outcome::Selected => Status::Selected,
            Outcome::Reserve => Status::Reserve,
            Outcome::Unsuccessful => Status::Unsuccessful,
        }
    }
}
