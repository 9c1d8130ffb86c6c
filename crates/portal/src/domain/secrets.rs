//! Tokens, hashes and constant-time comparison: everything secret in one place.

use base64::prelude::{Engine as _, BASE64_STANDARD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Standard base64 (with padding) of SHA-256 of `bytes`: CSP source hashes.
pub fn sha256_base64(bytes: &[u8]) -> String {
    BASE64_STANDARD.encode(Sha256::digest(bytes))
}

/// A fresh bearer token for a link (CSAT, private link): 256 random bits from the
/// OS generator, hex encoded. Only its [`token_hash`] is ever stored.
pub fn new_link_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What we store for a link token.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A link token has exactly the shape [`new_link_token`] makes; anything else is
/// refused before it reaches the database.
pub fn is_well_formed_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Compares two secrets (normalised emails, token hashes) without leaking where
/// they differ through timing.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The rate limiter's key for a client address: salted, so the table never holds an IP.
pub fn client_key(salt: &str, ip: &str) -> String {
    sha256_hex(format!("{salt}\u{1f}{ip}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_distinct() {
        let a = new_link_token();
        let b = new_link_token();
        assert!(is_well_formed_token(&a));
        assert_ne!(a, b);
        assert!(!is_well_formed_token("abc"));
        assert!(!is_well_formed_token(&a.to_uppercase()));
    }

    #[test]
    fn hashes_are_stable_sha256() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_ne!(token_hash("a"), "a");
    }

    #[test]
    fn base64_hash_matches_known_value() {
        // printf abc | openssl dgst -sha256 -binary | base64
        assert_eq!(sha256_base64(b"abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    }

    #[test]
    fn constant_time_eq_matches_plain_eq() {
        assert!(constant_time_eq("ann@example.com", "ann@example.com"));
        assert!(!constant_time_eq("ann@example.com", "ann@example.org"));
        assert!(!constant_time_eq("ann", "ann@example.com"));
    }

    #[test]
    fn client_keys_hide_the_ip() {
        let key = client_key("salt", "203.0.113.9");
        assert!(!key.contains("203"));
        assert_ne!(key, client_key("other", "203.0.113.9"));
    }
}
