//! DPoP proofs (RFC 9449 4) made by the tests themselves: P-256 keys from fixed seeds, signed with
//! the p256 crate and assembled by hand, so that the server's verification (the wasm-auth core)
//! is checked against a signer that shares none of its code, and so that a test can bend any
//! part of a proof.

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A client's DPoP key pair.
pub struct DpopKey {
    key: SigningKey,
    /// The public JWK, as a proof's header carries it.
    pub jwk: Value,
    /// Its RFC 7638 thumbprint, computed here from the required members in lexicographic order.
    pub jkt: String,
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// base64url(SHA-256(`text`)): a proof's `ath` of an access token, a thumbprint of a JWK.
pub fn sha256_b64url(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

/// A `jti` no other proof of this test run has.
pub fn fresh_jti() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("jti-{}-{nanos}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

impl DpopKey {
    /// The key of scalar `seed` repeated (1..=255: a valid P-256 scalar); one per role in a test.
    pub fn new(seed: u8) -> DpopKey {
        let key = SigningKey::from_bytes(&[seed; 32].into()).expect("a valid P-256 scalar");
        let point = key.verifying_key().to_encoded_point(false);
        let (x, y) = (URL_SAFE_NO_PAD.encode(point.x().expect("x")), URL_SAFE_NO_PAD.encode(point.y().expect("y")));
        let jkt = sha256_b64url(&format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#));
        DpopKey { key, jwk: json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }), jkt }
    }

    /// The header of a valid proof of this key.
    pub fn header(&self) -> Value {
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk })
    }

    /// A compact JWS of `header` and `claims`, signed with this key (ES256: r || s).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The claims of a fresh proof for `htm` `htu`, with `extra` claims added or replacing them
    /// (`nonce`, `ath`, or a bent `iat` / `jti`; a null removes one).
    pub fn claims(&self, htm: &str, htu: &str, extra: &Value) -> Value {
        let mut claims = json!({ "jti": fresh_jti(), "htm": htm, "htu": htu, "iat": now() });
        if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    claims.remove(k);
                } else {
                    claims.insert(k.clone(), v.clone());
                }
            }
        }
        claims
    }

    /// A valid proof for `htm` `htu`, with `extra` claims (see `claims`).
    pub fn proof(&self, htm: &str, htu: &str, extra: &Value) -> String {
        self.sign(&self.header(), &self.claims(htm, htu, extra))
    }

    /// A proof for a token request (POST) to `url`.
    pub fn token_proof(&self, url: &str) -> String {
        self.proof("POST", url, &json!({}))
    }

    /// A proof for an API request with `access_token`.
    pub fn resource_proof(&self, htm: &str, url: &str, access_token: &str) -> String {
        self.proof(htm, url, &json!({ "ath": sha256_b64url(access_token) }))
    }
}

/// The Authorization value for a DPoP-bound token.
pub fn dpop_auth(token: &str) -> String {
    format!("DPoP {token}")
}
