//! Secrets and the keyed hashes derived from them.
//!
//! One master secret (32+ random bytes) is configured per deployment; two independent keys are derived
//! from it with HMAC-SHA256 and fixed labels: one signs links (JWT HS256), one hashes e-mail addresses
//! for the uniqueness marker. A [`Secret`] never prints.

use aws_lc_rs::hmac;
use std::fmt;

/// Bytes that must never reach a log, an error message or a `Debug` output.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps secret bytes; refuses fewer than 32 (HS256 needs a key at least as long as its output).
    pub fn new(bytes: Vec<u8>) -> Result<Self, &'static str> {
        if bytes.len() < 32 {
            return Err("the secret must be at least 32 bytes");
        }
        Ok(Secret(bytes))
    }

    /// 32 fresh random bytes from the operating system.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 32];
        // aws-lc's system RNG only fails if the OS has no entropy source at all.
        aws_lc_rs::rand::fill(&mut bytes).expect("the operating system random source failed");
        Secret(bytes)
    }

    /// Parses the hexadecimal form used in files and environment variables.
    pub fn from_hex(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the secret must be hexadecimal");
        }
        let bytes = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16)).collect::<Result<Vec<_>, _>>();
        Secret::new(bytes.map_err(|_| "the secret must be hexadecimal")?)
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// A sub-key for one use, so that one leaked use does not compromise the others.
    pub fn derive(&self, label: &str) -> Secret {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        Secret(hmac::sign(&key, label.as_bytes()).as_ref().to_vec())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// HMAC-SHA256 of a value under a key, as lowercase hex.
#[derive(Clone)]
pub struct KeyedHasher(hmac::Key);

impl KeyedHasher {
    pub fn new(secret: &Secret) -> Self {
        KeyedHasher(hmac::Key::new(hmac::HMAC_SHA256, secret.expose()))
    }

    pub fn hash(&self, value: &str) -> String {
        hex(hmac::sign(&self.0, value.as_bytes()).as_ref())
    }

    /// The raw tag of `data`.
    pub fn tag(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.0, data).as_ref().to_vec()
    }

    /// Checks a tag in constant time.
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.0, data, tag).is_ok()
    }
}

impl fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedHasher(<redacted>)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::generate();
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!format!("{s:?}").contains(&s.to_hex()));
    }

    #[test]
    fn short_or_malformed_secrets_are_refused() {
        assert!(Secret::from_hex("abcd").is_err());
        assert!(Secret::from_hex(&"zz".repeat(32)).is_err());
        assert!(Secret::from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn derived_keys_differ_by_label_and_hashes_are_stable() {
        let master = Secret::from_hex(&"01".repeat(32)).unwrap();
        let a = KeyedHasher::new(&master.derive("a"));
        let b = KeyedHasher::new(&master.derive("b"));
        assert_ne!(a.hash("x"), b.hash("x"));
        assert_eq!(a.hash("x"), a.hash("x"));
        assert_eq!(a.hash("x").len(), 64);
    }
}
