//! Views whose personal data is sealed under the data key of the stream it came from (decision 0013).
//!
//! A view sealed this way is destroyed with its stream's key, wherever its bytes still lie: in a deleted
//! row PostgreSQL has not reused, in a page of the write-ahead log, in a backup. So the retention sweep need
//! not write such a table anew after a destruction; erasing the key and writing anew the key's own partition
//! is enough. The keys themselves belong to the event store (`store::crypto`): the projections see them only
//! through [`StreamKey`], and the queries that read a sealed view unwrap the stream's key through a
//! [`Keyring`].

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One stream's data key, as the projections use it: to seal what a view holds of the stream, and to open it.
pub trait StreamKey: Send + Sync {
    /// `plain` encrypted and authenticated, bound to `aad`.
    fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8>;
    /// What [`StreamKey::seal`] sealed with the same `aad`; `None` where the bytes are not that.
    fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>>;
}

/// What unwraps a stream's data key as `stream_keys` stores it: the store's master key.
pub trait Keyring: Send + Sync {
    fn unwrap_key(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        wrapped: &[u8],
    ) -> Option<Box<dyn StreamKey>>;
}

/// Why a sealed view could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The stream has a view but no key to seal it under: a view is only written beside its key.
    #[error("the stream's data key is missing")]
    NoKey,
    /// The sealed document did not open with its stream's key (a wrong master key, or damaged bytes).
    #[error("a sealed view could not be opened")]
    Unopenable,
    #[error("a sealed view could not be read: {0}")]
    Json(#[from] serde_json::Error),
}

/// The associated data of a view's sealed document: its table, its row and the row's version, so that a
/// document cannot be moved to another row, nor an older one put back in place of the current.
pub fn view_aad(table: &str, id: &str, version: i64) -> String {
    format!("etp-view:{table}:{id}:{version}")
}

/// The first byte of a sealed document's plaintext: how the rest is written. Only one way so far: JSON
/// compressed with LZ4 (its length first). Ciphertext does not compress, so a document is compressed before it
/// is sealed, or PostgreSQL would keep each view of a few kilobytes out of line, in its TOAST table, and write
/// it there again on every edit.
const LZ4_JSON: u8 = 1;

/// A view's document as its table stores it: JSON, compressed, sealed under the stream's key.
pub fn seal_doc<T: Serialize>(key: &dyn StreamKey, aad: &str, doc: &T) -> Vec<u8> {
    let json = serde_json::to_vec(doc).expect("a view serializes to JSON");
    let mut plain = Vec::with_capacity(json.len() / 2 + 8);
    plain.push(LZ4_JSON);
    plain.extend_from_slice(&lz4_flex::compress_prepend_size(&json));
    key.seal(&plain, aad.as_bytes())
}

/// A view's document opened with its stream's key.
pub fn open_doc<T: DeserializeOwned>(
    key: &dyn StreamKey,
    aad: &str,
    sealed: &[u8],
) -> Result<T, SealError> {
    let plain = key
        .open(sealed, aad.as_bytes())
        .ok_or(SealError::Unopenable)?;
    match plain.split_first() {
        Some((&LZ4_JSON, compressed)) => {
            let json = lz4_flex::decompress_size_prepended(compressed)
                .map_err(|_| SealError::Unopenable)?;
            Ok(serde_json::from_slice(&json)?)
        }
        _ => Err(SealError::Unopenable),
    }
}

/// A key for tests: seals by XOR with a byte and the associated data's length, so a wrong key or a moved
/// document does not open. Not encryption; the store's keys are AES-256-GCM.
#[cfg(test)]
pub mod test_keys {
    use super::StreamKey;

    pub struct XorKey(pub u8);

    impl StreamKey for XorKey {
        fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
            let mut out = aad.to_vec();
            out.extend(plain.iter().map(|b| b ^ self.0));
            out
        }

        fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
            let body = sealed.strip_prefix(aad)?;
            Some(body.iter().map(|b| b ^ self.0).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::XorKey;
    use super::*;

    #[test]
    fn a_long_document_is_sealed_in_fewer_bytes_than_its_json() {
        let doc = serde_json::json!({"essay": "a line of an essay, written again and again. ".repeat(100)});
        let json = serde_json::to_vec(&doc).unwrap();
        let sealed = seal_doc(&XorKey(7), "aad", &doc);
        assert!(
            sealed.len() * 4 < json.len(),
            "{} of {}",
            sealed.len(),
            json.len()
        );
        let opened: serde_json::Value = open_doc(&XorKey(7), "aad", &sealed).unwrap();
        assert_eq!(opened, doc);
    }

    #[test]
    fn a_document_opens_with_its_key_and_its_place_only() {
        let aad = view_aad("application_views", "a1", 3);
        let sealed = seal_doc(&XorKey(7), &aad, &serde_json::json!({"name": "N"}));
        let opened: serde_json::Value = open_doc(&XorKey(7), &aad, &sealed).unwrap();
        assert_eq!(opened["name"], "N");
        let elsewhere = view_aad("application_views", "a1", 2);

        assert!(matches!(
            open_doc::<serde_json::Value>(&XorKey(7), &elsewhere, &sealed),
            Err(SealError::Unopenable)
        ));
    }
}
