//! Signing keys sealed at rest: every private key in `signing_keys` is encrypted (AES-256-GCM,
//! bound to its `kid`) with a key-encryption key that lives outside the database
//! (`CONTROL_PANEL_KEY_ENCRYPTION_KEY`, or a file named by `..._FILE`), so a leaked backup
//! forges no tokens. Rotation: start with the new key and the old one among the previous keys;
//! every key sealed with an old one is sealed again with the new at start (or by
//! `control-panel reseal-keys`), after which the old one may go.

use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use super::KeyError;

/// What a sealed key starts with (a plain DER key starts with 0x30).
const MAGIC: &[u8; 5] = b"mskk1";
/// The length of a key-encryption key's id: a prefix of its SHA-256.
const ID_LEN: usize = 8;

/// One key-encryption key.
struct Kek {
    id: [u8; ID_LEN],
    key: LessSafeKey,
}

impl Kek {
    fn new(bytes: &[u8]) -> Result<Self, KeyError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| {
            KeyError::Encryption("a key-encryption key must be 32 bytes (44 in base64)".into())
        })?;
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&digest[..ID_LEN]);
        Ok(Self {
            id,
            key: LessSafeKey::new(unbound),
        })
    }
}

/// The key-encryption keys in use: `current` seals, every one opens.
pub struct KeyEncryption {
    current: Kek,
    previous: Vec<Kek>,
}

impl std::fmt::Debug for KeyEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEncryption")
            .field("previous", &self.previous.len())
            .finish_non_exhaustive()
    }
}

/// How a stored key was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// With the current key-encryption key.
    Current,
    /// With a previous one, or not at all (a key stored before sealing existed): to be sealed
    /// again with the current one.
    Stale,
}

fn decode(text: &str) -> Result<Vec<u8>, KeyError> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| KeyError::Encryption("a key-encryption key is not valid base64".into()))
}

impl KeyEncryption {
    /// From base64 texts: the current key and any previous ones (for a rotation).
    pub fn from_base64(current: &str, previous: &[&str]) -> Result<Self, KeyError> {
        Ok(Self {
            current: Kek::new(&decode(current)?)?,
            previous: previous
                .iter()
                .map(|p| Kek::new(&decode(p)?))
                .collect::<Result<_, _>>()?,
        })
    }

    /// From raw keys (tests).
    pub fn from_bytes(current: &[u8; 32], previous: &[[u8; 32]]) -> Result<Self, KeyError> {
        Ok(Self {
            current: Kek::new(current)?,
            previous: previous
                .iter()
                .map(|p| Kek::new(p))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A new random key-encryption key, in base64 (`control-panel generate-key-encryption-key`).
    pub fn generate_base64() -> Result<String, KeyError> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| KeyError::Generate)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(key))
    }

    /// `private_der` sealed for the key `kid`.
    pub fn seal(&self, kid: &str, private_der: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Generate)?;
        let mut sealed = private_der.to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| KeyError::Encryption("sealing a signing key failed".into()))?;
        let mut out = Vec::with_capacity(MAGIC.len() + ID_LEN + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The key `kid` as stored, opened; a key stored before sealing existed is read as it is.
    pub fn open(&self, kid: &str, stored: &[u8]) -> Result<(Vec<u8>, Sealed), KeyError> {
        let Some(rest) = stored.strip_prefix(MAGIC.as_slice()) else {
            return Ok((stored.to_vec(), Sealed::Stale));
        };
        let unreadable = || {
            KeyError::Encryption(format!(
                "signing key {kid} is sealed with a key-encryption key not configured here \
                 (CONTROL_PANEL_KEY_ENCRYPTION_KEY, CONTROL_PANEL_PREVIOUS_KEY_ENCRYPTION_KEYS), or damaged"
            ))
        };
        if rest.len() < ID_LEN + NONCE_LEN {
            return Err(unreadable());
        }
        let (id, rest) = rest.split_at(ID_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let (kek, state) = if id == self.current.id {
            (&self.current, Sealed::Current)
        } else {
            let kek = self
                .previous
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(unreadable)?;
            (kek, Sealed::Stale)
        };
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut opened = sealed.to_vec();
        let plain = kek
            .key
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut opened)
            .map_err(|_| unreadable())?;
        Ok((plain.to_vec(), state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_sealed_opens_only_with_its_key_and_its_kid() {
        let old = KeyEncryption::from_bytes(&[1; 32], &[]).unwrap_or_else(|e| panic!("{e}"));
        let der = b"0\x82private key bytes".to_vec();
        let sealed = old.seal("kid-1", &der).unwrap_or_else(|e| panic!("{e}"));
        assert!(!sealed.windows(der.len()).any(|w| w == der.as_slice()));
        assert_eq!(
            old.open("kid-1", &sealed).ok(),
            Some((der.clone(), Sealed::Current))
        );
        // Another row's kid does not open it (rows cannot be swapped).
        assert!(old.open("kid-2", &sealed).is_err());
        // A rotation: the new key seals, the old one still opens what it sealed.
        let rotated =
            KeyEncryption::from_bytes(&[2; 32], &[[1; 32]]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rotated.open("kid-1", &sealed).ok(),
            Some((der.clone(), Sealed::Stale))
        );
        let resealed = rotated
            .seal("kid-1", &der)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            old.open("kid-1", &resealed).is_err(),
            "the old key no longer opens it"
        );
        // Without the right key: an error naming the setting, never garbage.
        let other = KeyEncryption::from_bytes(&[3; 32], &[]).unwrap_or_else(|e| panic!("{e}"));
        let refused = other.open("kid-1", &sealed).unwrap_err().to_string();
        assert!(
            refused.contains("CONTROL_PANEL_KEY_ENCRYPTION_KEY"),
            "{refused}"
        );
        // A key stored before sealing is read as it is, and due for sealing.
        assert_eq!(other.open("kid-1", &der).ok(), Some((der, Sealed::Stale)));
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        let generated = KeyEncryption::generate_base64().unwrap_or_default();
        assert!(KeyEncryption::from_base64(&generated, &[]).is_ok());
        assert!(KeyEncryption::from_base64("c2hvcnQ=", &[]).is_err());
        assert!(KeyEncryption::from_base64("not base64!", &[]).is_err());
    }
}
