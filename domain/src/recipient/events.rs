//! What happens to a recipient of the register. Recipients are organisations: nothing here is personal data.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::aggregate::RecipientKind;
use crate::country::Country;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RecipientEvent {
    RecipientRegistered {
        name: String,
        kind: RecipientKind,
        country: Country,
        /// The nation whose embassy it is. Left out where not given, as by every registration before
        /// recipients had it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        represents: Option<Country>,
        /// Where it stands. Left out where not given, as by every registration before recipients had it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        located_in: Option<Country>,
    },
}

impl DomainEvent for RecipientEvent {
    fn event_type(&self) -> String {
        match self {
            RecipientEvent::RecipientRegistered { .. } => "RecipientRegistered".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
