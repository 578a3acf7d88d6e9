//! Small pieces shared by the handlers: random tokens, hashing, time, scopes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult};

/// `prefix` + 32 random bytes in base64url (256 bits: unguessable, so a SHA-256 of it is a
/// safe at-rest form and lookup key).
pub fn random_token(prefix: &str) -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A short random identifier (not a secret), e.g. `key_` + 16 hex digits.
pub fn random_id(prefix: &str) -> ApiResult<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    Ok(format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Hex SHA-256: how tokens, keys, codes and client secrets are stored.
pub fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality for secrets and their hashes.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Milliseconds since the Unix epoch (for windows of a few seconds, where whole seconds are
/// too coarse).
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 in UTC with whole seconds, as the guide's `created_at` ("2025-02-22T10:00:00Z").
pub fn rfc3339(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// Listing the user's API keys (names, scopes, dates; never a key).
pub const API_KEYS_READ: &str = "api_keys:read";
/// Creating and deleting the user's API keys.
pub const API_KEYS_WRITE: &str = "api_keys:write";
/// The key-management scopes: always in first-party /v1/auth/login tokens, in an OAuth
/// client's only when it asks and the user consents, never in an API key.
pub const API_KEY_SCOPES: [&str; 2] = [API_KEYS_READ, API_KEYS_WRITE];

/// A space-separated scope string as a list, without duplicates, order kept.
pub fn parse_scopes(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// True when every scope of `wanted` is in `allowed`.
pub fn is_subset(wanted: &[String], allowed: &[String]) -> bool {
    wanted.iter().all(|w| allowed.contains(w))
}

/// RFC 6749 appendix A.4 scope-token characters: %x21 / %x23-5B / %x5D-7E.
pub fn valid_scope_token(scope: &str) -> bool {
    !scope.is_empty() && scope.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_dedup_and_subset() {
        let s = parse_scopes(" read:resources  write:resources read:resources ");
        assert_eq!(s, vec!["read:resources", "write:resources"]);
        assert!(is_subset(&parse_scopes("read:resources"), &s));
        assert!(!is_subset(&parse_scopes("admin"), &s));
        assert!(is_subset(&[], &s));
    }

    #[test]
    fn scope_token_charset() {
        assert!(valid_scope_token("read:resources"));
        assert!(!valid_scope_token("a\"b"));
        assert!(!valid_scope_token("a\\b"));
        assert!(!valid_scope_token("é"));
        assert!(!valid_scope_token(""));
    }

    #[test]
    fn rfc3339_whole_seconds() {
        assert_eq!(rfc3339(1_740_218_400), "2025-02-22T10:00:00Z");
    }

    #[test]
    fn tokens_are_distinct_and_prefixed() {
        let a = random_token("sk_live_").expect("random");
        let b = random_token("sk_live_").expect("random");
        assert!(a.starts_with("sk_live_") && a.len() == 8 + 43);
        assert_ne!(a, b);
        assert!(ct_eq(&a, &a.clone()));
        assert!(!ct_eq(&a, &b));
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
