//! An event as the log holds it, with its personal data unsealed, as projections read it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

use domain::{Actor, Role};

/// Who recorded an event and when: the metadata every event carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    pub actor_id: String,
    pub actor_role: Role,
    pub at: DateTime<Utc>,
}

impl EventMetadata {
    pub const ACTOR_ID: &'static str = "actor_id";
    pub const ACTOR_ROLE: &'static str = "actor_role";
    pub const AT: &'static str = "at";

    pub fn new(actor: &Actor, at: DateTime<Utc>) -> Self {
        Self {
            actor_id: actor.user_id.clone(),
            actor_role: actor.role,
            at,
        }
    }

    /// The metadata map cqrs-es copies onto every event of a command.
    pub fn to_map(&self) -> HashMap<String, String> {
        HashMap::from([
            (Self::ACTOR_ID.to_string(), self.actor_id.clone()),
            (
                Self::ACTOR_ROLE.to_string(),
                self.actor_role.as_str().to_string(),
            ),
            (
                Self::AT.to_string(),
                self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        ])
    }

    /// Reads the metadata back from its stored JSON form.
    pub fn from_json(value: &Value) -> Option<Self> {
        let get = |key: &str| value.get(key).and_then(Value::as_str);
        Some(Self {
            actor_id: get(Self::ACTOR_ID)?.to_string(),
            actor_role: Role::parse(get(Self::ACTOR_ROLE)?)?,
            at: DateTime::parse_from_rfc3339(get(Self::AT)?)
                .ok()?
                .with_timezone(&Utc),
        })
    }
}

/// One event of the log, its payload in plain text.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub payload: Value,
    pub metadata: EventMetadata,
}
