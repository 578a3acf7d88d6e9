//! Credentials in an HTTP request, for `verifyRequest`: the Bearer token (RFC 6750 2.1), API
//! keys checked against SHA-256 hashes in constant time, and scope checks on verified claims.

use crate::jose::json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Error;

/// What the request presents.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `X-API-Key: <key>`.
    ApiKey(&'a str),
}

/// The credential of a request from its `Authorization` and `X-API-Key` headers. A present but
/// unusable Authorization header is an error; the API key is looked at only without one.
pub fn credential<'a>(authorization: Option<&'a str>, api_key: Option<&'a str>) -> Result<Credential<'a>, Error> {
    if let Some(value) = authorization {
        let (scheme, token) =
            value.trim().split_once(' ').ok_or_else(|| Error::JwsInvalid("malformed Authorization header".into()))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(Error::JwsInvalid("the Authorization scheme must be Bearer".into()));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::JwsInvalid("empty Bearer token".into()));
        }
        return Ok(Credential::Bearer(token));
    }
    match api_key.map(str::trim) {
        Some(key) if !key.is_empty() => Ok(Credential::ApiKey(key)),
        _ => Err(Error::NotAuthenticated { client: false }),
    }
}

/// A configured API key: the hex SHA-256 of the key, never the key itself.
#[derive(Debug, Clone)]
pub struct ApiKeyEntry {
    /// 32 bytes.
    pub sha256: [u8; 32],
    /// Scopes the key grants.
    pub scopes: Vec<String>,
    /// Reported as the `sub` of a request authenticated by this key.
    pub name: Option<String>,
}

impl ApiKeyEntry {
    /// From a 64-character hex SHA-256.
    pub fn new(sha256_hex: &str, scopes: Vec<String>, name: Option<String>) -> Result<ApiKeyEntry, Error> {
        let bytes = sha256_hex.as_bytes();
        if bytes.len() != 64 {
            return Err(Error::InvalidOptions("apiKeys[].sha256 must be 64 hex digits".into()));
        }
        let mut sha256 = [0u8; 32];
        for (i, out) in sha256.iter_mut().enumerate() {
            let pair = std::str::from_utf8(&bytes[2 * i..2 * i + 2]).ok();
            *out = pair
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| Error::InvalidOptions("apiKeys[].sha256 must be hex".into()))?;
        }
        Ok(ApiKeyEntry { sha256, scopes, name })
    }
}

/// The entry whose hash is the SHA-256 of `key`, comparing against every entry in constant time
/// so that the answer time tells nothing about how close a guess was.
pub fn find_api_key<'e>(entries: &'e [ApiKeyEntry], key: &str) -> Result<&'e ApiKeyEntry, Error> {
    let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    let mut found = None;
    for entry in entries {
        let diff = entry.sha256.iter().zip(digest.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 && found.is_none() {
            found = Some(entry);
        }
    }
    found.ok_or(Error::InvalidApiKey)
}

/// The scopes verified claims grant: `scope` (space-separated, RFC 8693/9068) or `scp` (array).
pub fn granted_scopes(claims: &Map) -> Vec<&str> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(scope)), _) => scope.split(' ').filter(|s| !s.is_empty()).collect(),
        (_, Some(Value::Array(scp))) => scp.iter().filter_map(Value::as_str).collect(),
        (_, Some(Value::String(scp))) => scp.split(' ').filter(|s| !s.is_empty()).collect(),
        _ => Vec::new(),
    }
}

/// The scopes `claims` grant must include every `required` one (see [`require_scopes`]). With
/// none required the claims are not read: the verifier's hot path, where most calls ask for none.
pub fn check_scopes(claims: &Map, required: &[String]) -> Result<(), Error> {
    if required.is_empty() {
        return Ok(());
    }
    require_scopes(&granted_scopes(claims), required)
}

/// Every `required` scope must be granted; the first missing one is the error.
pub fn require_scopes(granted: &[&str], required: &[String]) -> Result<(), Error> {
    match required.iter().find(|r| !granted.contains(&r.as_str())) {
        Some(missing) => Err(Error::InsufficientScope(missing.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::json;

    #[test]
    fn scopes_are_checked_only_when_some_are_required() {
        let claims = json!({ "scope": "read write", "scp": ["admin"] });
        let claims = claims.as_object().expect("object");
        assert_eq!(check_scopes(claims, &[]), Ok(()));
        assert_eq!(check_scopes(&Map::new(), &[]), Ok(()));
        assert_eq!(check_scopes(claims, &["write".to_owned(), "read".to_owned()]), Ok(()));
        assert_eq!(check_scopes(claims, &["admin".to_owned()]), Err(Error::InsufficientScope("admin".to_owned())));
    }

    #[test]
    fn bearer_then_api_key_then_nothing() {
        assert_eq!(credential(Some("Bearer abc"), Some("k")), Ok(Credential::Bearer("abc")));
        assert_eq!(credential(Some("bearer  abc "), None), Ok(Credential::Bearer("abc")));
        assert_eq!(credential(None, Some("sk_1")), Ok(Credential::ApiKey("sk_1")));
        assert_eq!(credential(None, None), Err(Error::NotAuthenticated { client: false }));
        assert_eq!(credential(None, Some("  ")), Err(Error::NotAuthenticated { client: false }));
        for bad in ["Basic dXNlcg==", "Bearer", "Bearer  ", "token"] {
            assert_eq!(credential(Some(bad), Some("k")).map_err(|e| e.code()), Err("ERR_JWS_INVALID"), "{bad}");
        }
    }

    #[test]
    fn api_keys_match_by_sha256_only() {
        let hash = "4c7c5c1e1b9b9a1f3b5b5d1b8c2a7d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708"; // not the key below
        let key = "sk_live_example";
        let real: String = Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let entries = vec![
            ApiKeyEntry::new(hash, vec!["read".into()], None).expect("hex"),
            ApiKeyEntry::new(&real, vec!["read".into(), "write".into()], Some("svc".into())).expect("hex"),
        ];
        assert_eq!(find_api_key(&entries, key).expect("found").name.as_deref(), Some("svc"));
        assert_eq!(find_api_key(&entries, "sk_live_other").map(|e| e.scopes.len()), Err(Error::InvalidApiKey));
        assert!(ApiKeyEntry::new("xyz", vec![], None).is_err());
        assert!(ApiKeyEntry::new(&"g".repeat(64), vec![], None).is_err());
    }

    #[test]
    fn scopes_from_scope_or_scp() {
        let a = json!({ "scope": "read:resources write:resources" });
        let b = json!({ "scp": ["read:resources"] });
        let granted_a = granted_scopes(a.as_object().expect("object"));
        assert!(require_scopes(&granted_a, &["write:resources".into()]).is_ok());
        let granted_b = granted_scopes(b.as_object().expect("object"));
        assert_eq!(
            require_scopes(&granted_b, &["write:resources".into()]),
            Err(Error::InsufficientScope("write:resources".into()))
        );
        assert!(require_scopes(&[], &[]).is_ok());
    }
}
