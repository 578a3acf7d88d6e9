//! JWK thumbprints (RFC 7638): the SHA-256 of a key's required public members, in
//! lexicographic order, as compact JSON, base64url-encoded. DPoP binds an access token to a key
//! by this value (`cnf.jkt`, RFC 9449 section 6.1): the resource server compares the
//! thumbprint of a proof's `jwk` with the token's, and the authorization server writes it.
//!
//! The members are hashed as the JWK gives them (no re-encoding), as RFC 7638 section 3
//! describes and as jose's `calculateJwkThumbprint` does, so both sides agree on any key whose
//! members are canonical base64url, which [`super::jwk::Jwk::from_json`] requires of proof keys.

use crate::jose::jws::b64_encode;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::jose::json::{Map, Value};

/// The required members of each key type (RFC 7638 section 3.2, RFC 8037 section 2), already
/// in lexicographic order. Shared secrets (`oct`) have no thumbprint here: hashing a secret
/// into a value that travels in tokens is never wanted.
fn required_members(kty: &str) -> Option<&'static [&'static str]> {
    match kty {
        "EC" => Some(&["crv", "kty", "x", "y"]),
        "RSA" => Some(&["e", "kty", "n"]),
        "OKP" => Some(&["crv", "kty", "x"]),
        _ => None,
    }
}

/// The RFC 7638 thumbprint (SHA-256, base64url without padding) of a public JWK given as a JSON
/// object. Other members (`kid`, `alg`, `use`, ...) are ignored; a missing required member, a
/// member that is not a string, and key types other than EC, RSA and OKP are `ERR_JWK_INVALID`.
/// The key itself is not validated here: check it with `Jwk::from_json` when it matters.
pub fn jwk_thumbprint(jwk: &Map) -> Result<String, Error> {
    Ok(b64_encode(jwk_thumbprint_bytes(jwk)?))
}

/// [`jwk_thumbprint`] of a JWK given as a JSON value (which must be an object).
pub fn jwk_thumbprint_of(jwk: &Value) -> Result<String, Error> {
    jwk_thumbprint(jwk.as_object().ok_or_else(|| Error::JwkInvalid("a JWK is a JSON object".into()))?)
}

/// The 32 bytes of the SHA-256 thumbprint.
pub fn jwk_thumbprint_bytes(jwk: &Map) -> Result<[u8; 32], Error> {
    let kty = jwk.get("kty").and_then(Value::as_str).ok_or_else(|| Error::JwkInvalid("\"kty\" is missing".into()))?;
    let members = required_members(kty)
        .ok_or_else(|| Error::JwkInvalid("a thumbprint needs an EC, RSA or OKP public key".into()))?;
    let mut text = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = match jwk.get(name) {
            Some(value @ Value::String(_)) => value,
            _ => return Err(Error::JwkInvalid("a member the thumbprint needs is missing or not a string".into())),
        };
        if i > 0 {
            text.push(',');
        }
        text.push('"');
        text.push_str(name);
        text.push_str("\":");
        // JSON escaping as RFC 7638 section 3.3 asks (a no-op for base64url and curve names).
        text.push_str(&value.to_string());
    }
    text.push('}');
    Ok(Sha256::digest(text.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::json;

    /// RFC 7638 section 3.1's example key and its thumbprint.
    #[test]
    fn the_rfc_7638_example() {
        let key = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(jwk_thumbprint_of(&key).expect("RSA"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    /// RFC 9449 section 4.1's example proof key and the `jkt` section 6.1 shows for it.
    #[test]
    fn the_rfc_9449_example_key() {
        let key = json!({
            "kty": "EC",
            "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
            "crv": "P-256"
        });
        assert_eq!(jwk_thumbprint_of(&key).expect("EC"), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    }

    #[test]
    fn other_members_and_their_order_do_not_matter() {
        let a = json!({ "crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
        let b = json!({ "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k", "use": "sig", "kty": "OKP", "crv": "Ed25519" });
        // RFC 8037 appendix A.3's thumbprint of its example Ed25519 key.
        assert_eq!(jwk_thumbprint_of(&a).expect("OKP"), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!(jwk_thumbprint_of(&a), jwk_thumbprint_of(&b));
    }

    #[test]
    fn secrets_and_incomplete_keys_have_none() {
        for key in [
            json!({ "kty": "oct", "k": "c2VjcmV0" }),
            json!({ "kty": "EC", "crv": "P-256", "x": "AA" }),
            json!({ "kty": "EC", "crv": "P-256", "x": "AA", "y": 1 }),
            json!({ "n": "AA", "e": "AQAB" }),
            json!("RSA"),
        ] {
            assert_eq!(jwk_thumbprint_of(&key).map_err(|e| e.code()), Err("ERR_JWK_INVALID"), "{key}");
        }
    }
}
