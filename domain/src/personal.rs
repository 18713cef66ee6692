//! The marker for personal data inside events.
//!
//! Every piece of personal data an event carries is wrapped in [`Personal`]. It serializes as
//! `{"$personal": value}`, so the event store finds and seals every such value under the stream's own data
//! key without knowing the event's shape, and the payload keeps its non-personal facts (ids, outcomes,
//! dates of the process) in clear. When a stream's key has been destroyed (retention, erasure) the store
//! hands back `{"$destroyed": true}` instead and the value reads as [`Personal::Destroyed`].

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// The key under which a personal value appears in a serialized event.
pub const PERSONAL_TAG: &str = "$personal";
/// The key that stands for a personal value whose stream key has been destroyed.
pub const DESTROYED_TAG: &str = "$destroyed";
/// The key of a copy of another stream's personal data kept in an event (a subject access response keeps
/// each record of the subject as it stood): `{"$copy_of": {"stream": "Application/…", "value": …}}`. The
/// event store seals the value under the data key of the stream it was copied from, not the event's own, so
/// destroying that stream destroys every copy of it; once it is destroyed the copy reads back as
/// `{"$copy_of": {"stream": "Application/…", "destroyed": true}}`.
pub const COPY_TAG: &str = "$copy_of";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Personal<T> {
    Known(T),
    Destroyed,
}

impl<T> Personal<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Personal::Known(value) => Some(value),
            Personal::Destroyed => None,
        }
    }

    pub fn into_known(self) -> Option<T> {
        match self {
            Personal::Known(value) => Some(value),
            Personal::Destroyed => None,
        }
    }
}

impl<T> From<T> for Personal<T> {
    fn from(value: T) -> Self {
        Personal::Known(value)
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Personal::Known(value) => map.serialize_entry(PERSONAL_TAG, value)?,
            Personal::Destroyed => map.serialize_entry(DESTROYED_TAG, &true)?,
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PersonalVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for PersonalVisitor<T> {
            type Value = Personal<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "an object with a single `{PERSONAL_TAG}` or `{DESTROYED_TAG}` key"
                )
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let key: String = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("empty personal-data marker"))?;
                let value = match key.as_str() {
                    PERSONAL_TAG => Personal::Known(map.next_value()?),
                    DESTROYED_TAG => {
                        map.next_value::<de::IgnoredAny>()?;
                        Personal::Destroyed
                    }
                    other => {
                        return Err(de::Error::unknown_field(
                            other,
                            &[PERSONAL_TAG, DESTROYED_TAG],
                        ));
                    }
                };
                if map.next_key::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "personal-data marker with more than one key",
                    ));
                }
                Ok(value)
            }
        }

        deserializer.deserialize_map(PersonalVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_value_is_tagged_so_the_store_can_find_it() {
        let json = serde_json::to_value(Personal::Known("Ada")).unwrap();
        assert_eq!(json, serde_json::json!({"$personal": "Ada"}));
        let back: Personal<String> = serde_json::from_value(json).unwrap();
        assert_eq!(back, Personal::Known("Ada".to_string()));
    }

    #[test]
    fn a_destroyed_value_reads_back_as_destroyed_whatever_its_type() {
        let json = serde_json::json!({"$destroyed": true});
        let back: Personal<Vec<u32>> = serde_json::from_value(json).unwrap();
        assert_eq!(back, Personal::Destroyed);
    }

    #[test]
    fn an_untagged_value_is_refused() {
        assert!(serde_json::from_value::<Personal<String>>(serde_json::json!("Ada")).is_err());
        assert!(
            serde_json::from_value::<Personal<String>>(serde_json::json!({"name": "Ada"})).is_err()
        );
    }
}
