//! Encryption of personal data at rest: one data key per stream, wrapped by the master key.
//!
//! Personal values in an event payload (marked by the domain's `Personal` wrapper) are gathered, sealed
//! together with AES-256-GCM under the stream's data key, and replaced by their index. The associated data
//! binds each ciphertext to its stream and sequence number, so a sealed payload cannot be moved to another
//! event. Destroying a stream's data key leaves its personal data unreadable for good (crypto-shredding).

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use domain::personal::{COPY_TAG, DESTROYED_TAG, PERSONAL_TAG};

/// The key under which a payload carries its sealed personal values.
pub const SEALED_FIELD: &str = "$sealed";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 64 hexadecimal digits")]
    BadMasterKey,
    #[error("a data key could not be unwrapped: wrong master key or damaged key")]
    Unwrap,
    #[error("sealed personal data could not be opened: wrong key or damaged data")]
    Open,
    #[error("sealed personal data is malformed")]
    Malformed,
}

/// The key that wraps every data key (`ETP_MASTER_KEY`).
#[derive(Clone)]
pub struct MasterKey(Aes256Gcm);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_hex(hex_digits: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_digits.trim()).map_err(|_| CryptoError::BadMasterKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadMasterKey);
        }
        Aes256Gcm::new_from_slice(&bytes)
            .map(MasterKey)
            .map_err(|_| CryptoError::BadMasterKey)
    }

    /// A new random master key, as 64 hex digits.
    pub fn generate_hex() -> String {
        hex::encode(Key::<Aes256Gcm>::generate())
    }

    /// A new data key for a stream, and its wrapped form to store.
    pub fn new_data_key(&self, stream: &str) -> (DataKey, Vec<u8>) {
        let key = Key::<Aes256Gcm>::generate();
        let wrapped = encrypt(&self.0, &key, wrap_aad(stream).as_bytes());
        (DataKey(Aes256Gcm::new(&key)), wrapped)
    }

    pub fn unwrap_data_key(&self, stream: &str, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let key = decrypt(&self.0, wrapped, wrap_aad(stream).as_bytes())
            .map_err(|_| CryptoError::Unwrap)?;
        Aes256Gcm::new_from_slice(&key)
            .map(DataKey)
            .map_err(|_| CryptoError::Unwrap)
    }
}

fn wrap_aad(stream: &str) -> String {
    format!("etp-data-key:{stream}")
}

/// The key that seals one stream's personal data.
pub struct DataKey(Aes256Gcm);

impl projections::sealed::StreamKey for DataKey {
    fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        encrypt(&self.0, plain, aad)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        decrypt(&self.0, sealed, aad).ok()
    }
}

fn encrypt(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce = Nonce::generate();
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer does not fail");
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

fn decrypt(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN {
        return Err(CryptoError::Malformed);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
    cipher
        .decrypt(&nonce, Payload { msg: body, aad })
        .map_err(|_| CryptoError::Open)
}

/// The associated data of one event's sealed values: its stream and its place in the stream.
pub fn event_aad(stream: &str, sequence: usize) -> String {
    format!("etp-event:{stream}:{sequence}")
}

/// Whether a payload carries any personal value.
pub fn has_personal_data(payload: &Value) -> bool {
    match payload {
        Value::Object(map) => {
            map.len() == 1 && map.contains_key(PERSONAL_TAG) || map.values().any(has_personal_data)
        }
        Value::Array(items) => items.iter().any(has_personal_data),
        _ => false,
    }
}

/// Seals every personal value of a payload under the data key: the values are replaced by their index and
/// stored, encrypted together, under [`SEALED_FIELD`].
pub fn seal(payload: &Value, key: &DataKey, aad: &str) -> Value {
    let mut values = Vec::new();
    let mut sealed = payload.clone();
    take_personal(&mut sealed, &mut values);
    if values.is_empty() {
        return sealed;
    }
    let plaintext = serde_json::to_vec(&values).expect("JSON values serialize");
    let ciphertext = encrypt(&key.0, &plaintext, aad.as_bytes());
    if let Value::Object(map) = &mut sealed {
        map.insert(
            SEALED_FIELD.to_string(),
            Value::String(BASE64.encode(ciphertext)),
        );
    }
    sealed
}

fn take_personal(value: &mut Value, values: &mut Vec<Value>) {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key(PERSONAL_TAG) => {
            let personal = map.remove(PERSONAL_TAG).unwrap_or(Value::Null);
            map.insert(PERSONAL_TAG.to_string(), Value::from(values.len()));
            values.push(personal);
        }
        Value::Object(map) => map.values_mut().for_each(|v| take_personal(v, values)),
        Value::Array(items) => items.iter_mut().for_each(|v| take_personal(v, values)),
        _ => {}
    }
}

/// Opens a sealed payload. With no key (the stream's key was destroyed) every personal value reads as
/// destroyed; the payload's clear facts are untouched.
pub fn open(stored: Value, key: Option<&DataKey>, aad: &str) -> Result<Value, CryptoError> {
    let mut payload = stored;
    let sealed = match &mut payload {
        Value::Object(map) => map.remove(SEALED_FIELD),
        _ => None,
    };
    let Some(sealed) = sealed else {
        return Ok(payload);
    };
    let values: Option<Vec<Value>> = match key {
        None => None,
        Some(key) => {
            let bytes = sealed
                .as_str()
                .and_then(|text| BASE64.decode(text).ok())
                .ok_or(CryptoError::Malformed)?;
            let plaintext = decrypt(&key.0, &bytes, aad.as_bytes())?;
            Some(serde_json::from_slice(&plaintext).map_err(|_| CryptoError::Malformed)?)
        }
    };
    put_personal(&mut payload, values.as_deref())?;
    Ok(payload)
}

fn put_personal(value: &mut Value, values: Option<&[Value]>) -> Result<(), CryptoError> {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key(PERSONAL_TAG) => {
            let index = map
                .get(PERSONAL_TAG)
                .and_then(Value::as_u64)
                .ok_or(CryptoError::Malformed)? as usize;
            *map = match values {
                Some(values) => {
                    let value = values.get(index).cloned().ok_or(CryptoError::Malformed)?;
                    Map::from_iter([(PERSONAL_TAG.to_string(), value)])
                }
                None => Map::from_iter([(DESTROYED_TAG.to_string(), Value::Bool(true))]),
            };
            Ok(())
        }
        Value::Object(map) => map.values_mut().try_for_each(|v| put_personal(v, values)),
        Value::Array(items) => items.iter_mut().try_for_each(|v| put_personal(v, values)),
        _ => Ok(()),
    }
}

/// The associated data of a copy of another stream's personal data: the event that holds it, and the stream
/// it was copied from.
fn copy_aad(holder_aad: &str, source: &str) -> String {
    format!("etp-copy:{holder_aad}:{source}")
}

/// The streams whose personal data a payload holds copies of (`COPY_TAG`), in clear or sealed.
pub fn copy_sources(payload: &Value) -> std::collections::BTreeSet<String> {
    fn walk(value: &Value, found: &mut std::collections::BTreeSet<String>) {
        match value {
            Value::Object(map) if map.len() == 1 && map.contains_key(COPY_TAG) => {
                if let Some(stream) = map[COPY_TAG].get("stream").and_then(Value::as_str) {
                    found.insert(stream.to_string());
                }
            }
            Value::Object(map) => map.values().for_each(|v| walk(v, found)),
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    walk(payload, &mut found);
    found
}

/// Seals each copy of another stream's personal data in a payload under the data key of the stream it was
/// copied from, bound to the event that holds it (`holder_aad`). Where that stream has no key (its data was
/// destroyed) the copy is written as destroyed: nothing of it is kept.
pub fn seal_copies(
    payload: &mut Value,
    keys: &std::collections::HashMap<String, Option<std::sync::Arc<DataKey>>>,
    holder_aad: &str,
) {
    match payload {
        Value::Object(map) if map.len() == 1 && map.contains_key(COPY_TAG) => {
            let copy = &mut map[COPY_TAG];
            let Some(stream) = copy
                .get("stream")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                return;
            };
            let Some(value) = copy.get("value") else {
                return;
            };
            let replaced = match keys.get(&stream) {
                Some(Some(key)) => {
                    let plaintext = serde_json::to_vec(value).expect("JSON values serialize");
                    let sealed =
                        encrypt(&key.0, &plaintext, copy_aad(holder_aad, &stream).as_bytes());
                    serde_json::json!({"stream": stream, "sealed": BASE64.encode(sealed)})
                }
                _ => serde_json::json!({"stream": stream, "destroyed": true}),
            };
            *copy = replaced;
        }
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| seal_copies(v, keys, holder_aad)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| seal_copies(v, keys, holder_aad)),
        _ => {}
    }
}

/// Opens each sealed copy of another stream's personal data in an opened payload, with the key of the stream
/// it was copied from; where that stream has no key any more (destroyed), the copy reads as destroyed.
pub fn open_copies(
    payload: &mut Value,
    keys: &std::collections::HashMap<String, Option<std::sync::Arc<DataKey>>>,
    holder_aad: &str,
) -> Result<(), CryptoError> {
    match payload {
        Value::Object(map) if map.len() == 1 && map.contains_key(COPY_TAG) => {
            let copy = &mut map[COPY_TAG];
            let Some(stream) = copy
                .get("stream")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                return Err(CryptoError::Malformed);
            };
            let Some(sealed) = copy.get("sealed").and_then(Value::as_str) else {
                // Destroyed when it was written, or (a value in clear) never stored.
                return Ok(());
            };
            *copy = match keys.get(&stream) {
                Some(Some(key)) => {
                    let bytes = BASE64.decode(sealed).map_err(|_| CryptoError::Malformed)?;
                    let plaintext =
                        decrypt(&key.0, &bytes, copy_aad(holder_aad, &stream).as_bytes())?;
                    let value: Value =
                        serde_json::from_slice(&plaintext).map_err(|_| CryptoError::Malformed)?;
                    serde_json::json!({"stream": stream, "value": value})
                }
                _ => serde_json::json!({"stream": stream, "destroyed": true}),
            };
            Ok(())
        }
        Value::Object(map) => map
            .values_mut()
            .try_for_each(|v| open_copies(v, keys, holder_aad)),
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|v| open_copies(v, keys, holder_aad)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn master() -> MasterKey {
        MasterKey::from_hex(&MasterKey::generate_hex()).unwrap()
    }

    #[test]
    fn sealing_hides_every_personal_value_and_opening_restores_them() {
        let master = master();
        let (key, _) = master.new_data_key("Application/a1");
        let payload = json!({"DraftSaved": {"sections": ["personal"], "changes": {"$personal": {"full_name": "Marker Name"}}}});
        let sealed = seal(&payload, &key, "aad");
        assert!(!sealed.to_string().contains("Marker Name"));
        assert_eq!(sealed["DraftSaved"]["sections"], json!(["personal"]));
        assert_eq!(open(sealed.clone(), Some(&key), "aad").unwrap(), payload);
    }

    #[test]
    fn a_sealed_payload_does_not_open_under_another_events_place() {
        let master = master();
        let (key, _) = master.new_data_key("Application/a1");
        let sealed = seal(
            &json!({"E": {"x": {"$personal": "v"}}}),
            &key,
            "etp-event:A/1:1",
        );
        assert!(open(sealed.clone(), Some(&key), "etp-event:A/1:2").is_err());
    }

    #[test]
    fn without_its_key_a_payload_keeps_its_clear_facts_and_loses_its_personal_data() {
        let master = master();
        let (key, _) = master.new_data_key("Application/a1");
        let sealed = seal(
            &json!({"E": {"outcome": "unsuccessful", "x": {"$personal": "v"}}}),
            &key,
            "aad",
        );
        let opened = open(sealed.clone(), None, "aad").unwrap();
        assert_eq!(
            opened,
            json!({"E": {"outcome": "unsuccessful", "x": {"$destroyed": true}}})
        );
    }

    #[test]
    fn a_wrapped_data_key_unwraps_only_for_its_own_stream_and_master_key() {
        let master = master();
        let (_, wrapped) = master.new_data_key("Application/a1");
        assert!(master.unwrap_data_key("Application/a1", &wrapped).is_ok());
        assert!(master.unwrap_data_key("Application/a2", &wrapped).is_err());
        assert!(
            self::master()
                .unwrap_data_key("Application/a1", &wrapped)
                .is_err()
        );
    }

    #[test]
    fn a_copy_is_sealed_under_its_sources_key_and_destroyed_with_it() {
        let master = master();
        let (own, _) = master.new_data_key("InformationRequest/r1");
        let (source, _) = master.new_data_key("Application/a1");
        let payload = json!({"ResponseIssued": {"response": {"$personal": {
            "records": [{"$copy_of": {"stream": "Application/a1", "value": {"name": "Marker Name"}}}],
            "subject": "subject@example.test",
        }}}});
        let mut keys = std::collections::HashMap::new();
        keys.insert(
            "Application/a1".to_string(),
            Some(std::sync::Arc::new(source)),
        );
        let mut with_copies = payload.clone();
        seal_copies(&mut with_copies, &keys, "etp-event:InformationRequest/r1:2");
        assert!(!with_copies.to_string().contains("Marker Name"));
        let stored = seal(&with_copies, &own, "etp-event:InformationRequest/r1:2");
        assert!(!stored.to_string().contains("subject@example.test"));

        // Opened with both keys, the copy reads back.
        let mut opened = open(
            stored.clone(),
            Some(&own),
            "etp-event:InformationRequest/r1:2",
        )
        .unwrap();
        open_copies(&mut opened, &keys, "etp-event:InformationRequest/r1:2").unwrap();
        assert_eq!(
            opened["ResponseIssued"]["response"]["$personal"]["records"][0],
            json!({"$copy_of": {"stream": "Application/a1", "value": {"name": "Marker Name"}}})
        );
        // Nor under another event's place.
        let mut elsewhere = open(
            stored.clone(),
            Some(&own),
            "etp-event:InformationRequest/r1:2",
        )
        .unwrap();
        assert!(open_copies(&mut elsewhere, &keys, "etp-event:InformationRequest/r1:3").is_err());

        // Without the source's key (destroyed), the copy is destroyed; the request's own data stays.
        let mut opened = open(stored, Some(&own), "etp-event:InformationRequest/r1:2").unwrap();
        open_copies(
            &mut opened,
            &std::collections::HashMap::new(),
            "etp-event:InformationRequest/r1:2",
        )
        .unwrap();
        let response = &opened["ResponseIssued"]["response"]["$personal"];
        assert_eq!(
            response["records"][0],
            json!({"$copy_of": {"stream": "Application/a1", "destroyed": true}})
        );
        assert_eq!(response["subject"], "subject@example.test");
    }

    #[test]
    fn a_copy_of_a_stream_with_no_key_is_written_destroyed() {
        let mut payload =
            json!({"r": [{"$copy_of": {"stream": "Account/u1", "value": "Marker Name"}}]});
        seal_copies(&mut payload, &std::collections::HashMap::new(), "aad");
        assert_eq!(
            payload,
            json!({"r": [{"$copy_of": {"stream": "Account/u1", "destroyed": true}}]})
        );
        assert_eq!(
            copy_sources(&payload).into_iter().collect::<Vec<_>>(),
            ["Account/u1"]
        );
    }

    #[test]
    fn a_master_key_is_exactly_64_hex_digits() {
        assert!(MasterKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(MasterKey::from_hex(&"ab".repeat(31)).is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
