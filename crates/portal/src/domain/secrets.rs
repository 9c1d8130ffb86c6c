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

/// Random bits of a reply-address token: more than the 128 the issue asks,
/// and short enough that `reply+{token}` fits SMTP's 64-character local part.
const REPLY_TOKEN_BYTES: usize = 20;

/// A fresh token for a reply address (`reply+{token}@{INBOUND_DOMAIN}`): 160
/// random bits, lower-case hex (mail systems may fold case). Only its
/// [`token_hash`] is stored.
pub fn new_reply_token() -> String {
    let mut bytes = [0u8; REPLY_TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A reply token has exactly the shape [`new_reply_token`] makes.
pub fn is_well_formed_reply_token(token: &str) -> bool {
    token.len() == REPLY_TOKEN_BYTES * 2 && token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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

/// Fewest characters a [`RateLimitSalt`] may have.
pub const MIN_SALT_CHARS: usize = 32;

/// The per-stack secret (`RATE_LIMIT_SALT`) mixed into every rate-limit
/// subject before hashing: without it, a stored IPv4 hash could be reversed by
/// trying all 2^32 addresses. Debug never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct RateLimitSalt(String);

impl RateLimitSalt {
    /// A salt of at least [`MIN_SALT_CHARS`] characters; the error says how
    /// many it has (never what they are).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < MIN_SALT_CHARS {
            return Err(format!("must be at least {MIN_SALT_CHARS} characters (it has {chars})"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh random salt (256 bits, hex): the local stack's first run and
    /// each test stack make their own.
    pub fn generate() -> Self {
        Self(new_link_token())
    }

    /// The secret itself, for the one place that writes it down (the local
    /// stack's environment file).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RateLimitSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimitSalt(<secret>)")
    }
}

/// The rate limiter's key for a subject (a client address, a ticket): salted,
/// so the table never holds an IP or anything that leads back to one.
pub fn client_key(salt: &RateLimitSalt, subject: &str) -> String {
    sha256_hex(format!("{}\u{1f}{subject}", salt.0).as_bytes())
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
    fn reply_tokens_are_160_bit_hex_and_fit_a_local_part() {
        let (a, b) = (new_reply_token(), new_reply_token());
        assert_ne!(a, b);
        assert!(is_well_formed_reply_token(&a));
        assert!(format!("reply+{a}").len() <= 64);
        assert!(!is_well_formed_reply_token(&a.to_uppercase()));
        assert!(!is_well_formed_reply_token(&new_link_token()));
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
        let (salt, other) = (RateLimitSalt::generate(), RateLimitSalt::generate());
        let key = client_key(&salt, "203.0.113.9");
        // A SHA-256 in hex: no dot, so no address in any form. (Not "no 203":
        // three given hex digits turn up in one random key in about 66.)
        assert!(key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(key, client_key(&salt, "203.0.113.9"));
        assert_ne!(key, client_key(&other, "203.0.113.9"));
    }

    #[test]
    fn a_salt_is_long_and_never_shown() {
        let short = "a".repeat(MIN_SALT_CHARS - 1);
        assert_eq!(RateLimitSalt::parse(&short).unwrap_err(), "must be at least 32 characters (it has 31)");
        let salt = RateLimitSalt::parse(&"s3cret".repeat(6)).unwrap();
        assert_eq!(format!("{salt:?}"), "RateLimitSalt(<secret>)");
        assert!(!format!("{:?}", Some(salt.clone())).contains("s3cret"));
        let generated = RateLimitSalt::generate();
        assert!(generated.expose().len() >= MIN_SALT_CHARS);
        assert_ne!(generated, RateLimitSalt::generate());
    }
}
