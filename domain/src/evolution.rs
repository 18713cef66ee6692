//! Event schema evolution: events written today must still load in twenty years, after many changes to the
//! code, because awards are kept for ever.
//!
//! The rules:
//! - Every event type carries a version (`DomainEvent::event_version`), 1 when it is first shipped.
//! - A shipped shape is never edited. Changing an event's shape means a new version of it, and an
//!   [`Upcaster`] in [`UPCASTERS`] that turns the previous version's payload into the new one. The log is
//!   never rewritten: old events are upcast each time they are read, before any aggregate or projection sees
//!   them (the store does it as it opens a stored event).
//! - The golden corpus, `tests/fixtures/events/`, holds one stored example of every version of every event
//!   type ever shipped, sealed as the store seals them; `tests/api/event_corpus.rs` loads every one of them
//!   into today's aggregates and projections, and fails when an event type is added or changed without an
//!   entry there.
//!
//! Upcasters work on the opened payload, where a personal value is `{"$personal": …}` (or
//! `{"$destroyed": true}` once its stream's key was destroyed): they move and add fields, and never need to
//! look inside a personal value.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};

/// One step of an event type's history: the payload of `event_type` at version `from` made into its shape
/// at `from + 1`.
pub struct Upcaster {
    pub event_type: &'static str,
    pub from: u32,
    /// What changed, for the reader of the log's history.
    pub change: &'static str,
    /// Turns the event's fields (the object under its type's name) at `from` into its fields at `from + 1`.
    pub upcast: fn(Map<String, Value>) -> Map<String, Value>,
}

/// Every step of every event type's history, oldest first within a type.
pub static UPCASTERS: &[Upcaster] = &[
    Upcaster {
        event_type: "CycleTermsSet",
        from: 1,
        change: "the eligible nationalities moved into `terms.screening`, beside the screening rules added \
                 then (none of which a cycle set before had)",
        upcast: cycle_terms_set_v1_to_v2,
    },
    Upcaster {
        event_type: "DecisionRecorded",
        from: 1,
        change: "`reserve_position` added: a reserve's place on the reserve list when decided from the \
                 ranking; a decision of version 1 has none",
        upcast: decision_recorded_v1_to_v2,
    },
];

/// `DecisionRecorded` 1 → 2: no decision of version 1 gave a place on the reserve list.
fn decision_recorded_v1_to_v2(mut fields: Map<String, Value>) -> Map<String, Value> {
    fields.entry("reserve_position").or_insert(Value::Null);
    fields
}

/// `CycleTermsSet` 1 → 2: `terms.eligible_nationalities` became `terms.screening.eligible_nationalities`; the
/// other rules of the screening did not exist, so a cycle of version 1 asks for none of them.
fn cycle_terms_set_v1_to_v2(mut fields: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Object(terms)) = fields.get_mut("terms") {
        let nationalities = terms
            .remove("eligible_nationalities")
            .unwrap_or(Value::Null);
        let screening = serde_json::json!({
            "eligible_nationalities": nationalities,
            "undergraduate_degree": false,
            "minimum_work_years": null,
            "return_home_commitment": false,
        });
        terms.insert("screening".to_string(), screening);
    }
    fields
}

impl Upcaster {
    pub fn to(&self) -> u32 {
        self.from + 1
    }
}

impl EventUpcaster for Upcaster {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        event_type == self.event_type && parse_version(event_version) == Some(self.from)
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        if let Value::Object(payload) = &mut event.payload
            && let Some(Value::Object(fields)) = payload.remove(self.event_type)
        {
            payload.insert(
                self.event_type.to_string(),
                Value::Object((self.upcast)(fields)),
            );
        }
        event.event_version = self.to().to_string();
        event
    }
}

/// An event's version as stored: a whole number (cqrs-es's "1.0" style is read as its major number).
pub fn parse_version(version: &str) -> Option<u32> {
    version.split('.').next()?.parse().ok()
}

/// A stored event brought to the current shape of its type: every step of its history after its version,
/// in order. An event already current comes back unchanged.
pub fn upcast(mut event: SerializedEvent) -> SerializedEvent {
    while let Some(step) = UPCASTERS
        .iter()
        .find(|step| step.can_upcast(&event.event_type, &event.event_version))
    {
        event = step.upcast(event);
    }
    event
}

/// The names of every variant of an event enum, as serde knows them: the event types the enum can hold,
/// read without making one of each. (The corpus test uses this to find a type with no stored example.)
pub fn event_types_of<'de, E: Deserialize<'de>>() -> &'static [&'static str] {
    let mut reader = VariantNames(None);
    let _ = E::deserialize(&mut reader);
    reader.0.unwrap_or(&[])
}

/// A deserializer that only notes the variants an enum asks for, then stops.
struct VariantNames(Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("only the variant names are read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for &mut VariantNames {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0 = Some(variants);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ApplicationEvent;
    use crate::cycle::CycleEvent;
    use serde_json::json;

    #[test]
    fn the_event_types_of_an_enum_are_read_from_its_variants() {
        assert_eq!(
            event_types_of::<CycleEvent>(),
            ["CycleTermsSet", "CycleConcluded"]
        );
        let types = event_types_of::<ApplicationEvent>();
        assert!(types.contains(&"ApplicationStarted"));
        assert!(types.contains(&"PersonalDataDestroyed"));
    }

    #[test]
    fn versions_are_whole_numbers_and_cqrs_style_versions_read_as_their_major() {
        assert_eq!(parse_version("1"), Some(1));
        assert_eq!(parse_version("2.0"), Some(2));
        assert_eq!(parse_version("x"), None);
    }

    #[test]
    fn an_upcaster_changes_only_its_own_type_at_its_own_version() {
        fn rename(mut fields: Map<String, Value>) -> Map<String, Value> {
            if let Some(old) = fields.remove("old") {
                fields.insert("new".to_string(), old);
            }
            fields
        }
        let step = Upcaster {
            event_type: "Thing",
            from: 1,
            change: "old is called new",
            upcast: rename,
        };
        let event = |event_type: &str, version: &str| SerializedEvent {
            aggregate_id: "a".to_string(),
            sequence: 1,
            aggregate_type: "T".to_string(),
            event_type: event_type.to_string(),
            event_version: version.to_string(),
            payload: json!({ event_type: {"old": {"$personal": "x"}, "kept": 1} }),
            metadata: json!({}),
        };
        assert!(step.can_upcast("Thing", "1"));
        assert!(!step.can_upcast("Thing", "2"));
        assert!(!step.can_upcast("Other", "1"));
        let upcast = step.upcast(event("Thing", "1"));
        assert_eq!(upcast.event_version, "2");
        assert_eq!(
            upcast.payload,
            json!({"Thing": {"new": {"$personal": "x"}, "kept": 1}})
        );
    }

    #[test]
    fn a_cycle_of_version_1_keeps_its_nationalities_and_asks_for_nothing_new() {
        let stored = SerializedEvent {
            aggregate_id: "2026-27".to_string(),
            sequence: 1,
            aggregate_type: "Cycle".to_string(),
            event_type: "CycleTermsSet".to_string(),
            event_version: "1".to_string(),
            payload: json!({"CycleTermsSet": {"cycle": "2026-27", "terms": {
                "opens_on": "2026-08-01", "closes_on": "2026-11-30", "blind_review": true,
                "eligible_nationalities": ["Ghana", "Kenya"]
            }}}),
            metadata: json!({}),
        };
        let today = upcast(stored);
        assert_eq!(today.event_version, "2");
        let CycleEvent::CycleTermsSet { terms, .. } =
            serde_json::from_value(today.payload).unwrap()
        else {
            panic!("a CycleTermsSet event read back as another type");
        };
        assert!(terms.blind_review);
        assert!(terms.screening.admits_nationality(Some("Kenya")));
        assert!(!terms.screening.admits_nationality(Some("Togo")));
        assert!(!terms.screening.undergraduate_degree);
        assert_eq!(terms.screening.minimum_work_years, None);
        assert!(!terms.screening.return_home_commitment);
    }

    #[test]
    fn every_step_follows_the_one_before_and_no_type_has_two_steps_from_one_version() {
        for step in UPCASTERS {
            assert!(step.from >= 1, "{} starts at version 1", step.event_type);
            let earlier = UPCASTERS
                .iter()
                .filter(|other| other.event_type == step.event_type && other.from < step.from)
                .count();
            assert_eq!(
                earlier as u32,
                step.from - 1,
                "{} has a step for every version before {}",
                step.event_type,
                step.from
            );
        }
    }
}
