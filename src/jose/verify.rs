//! The verification pipeline, in the order jose uses (so that the same token gets the same
//! answer): parse and check the header, choose candidate keys from the allow-list and the key
//! set, check the signature's shape, verify it, then validate the claims. The signature step is
//! a parameter: HMAC runs here, asymmetric algorithms run in `crypto.subtle` (web layer) or in
//! [`super::native`].

use crate::jose::json::Map;

use super::alg::{Alg, Family};
use super::claims::{self, ClaimRules};
use super::hmac;
use super::jwk::{Jwk, Material};
use super::jws::{self, Jws, Limits};
use super::keyset::KeySet;
use super::signature;
use crate::Error;

/// Everything a verifier is configured with besides its keys.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Claim requirements.
    pub rules: ClaimRules,
    /// Allowed algorithms (empty: every algorithm the keys support).
    pub algorithms: Vec<Alg>,
    /// Size limits.
    pub limits: Limits,
}

/// A verified token.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The protected header.
    pub header: Map,
    /// The claims set.
    pub payload: Map,
}

/// A token ready for its signature check: parsed, header checked, candidate keys chosen.
pub struct Prepared<'t, 'k> {
    /// The parsed token.
    pub jws: Jws<'t>,
    /// The keys to try, in order; the first that verifies wins.
    pub candidates: Vec<&'k Jwk>,
}

/// Parses `token` and picks the keys that may verify it.
pub fn prepare<'t, 'k>(token: &'t str, keys: &'k KeySet, options: &VerifyOptions) -> Result<Prepared<'t, 'k>, Error> {
    select(jws::parse(token, &options.limits)?, keys, options)
}

/// Picks the keys that may verify an already parsed token.
pub fn select<'t, 'k>(jws: Jws<'t>, keys: &'k KeySet, options: &VerifyOptions) -> Result<Prepared<'t, 'k>, Error> {
    let candidates = keys.candidates(&jws.header, &options.algorithms)?;
    Ok(Prepared { jws, candidates })
}

/// Checks the signature with each candidate until one verifies. `asymmetric` verifies RS*,
/// PS*, ES* and EdDSA signatures; HMAC is verified here.
pub fn check_signature(
    prepared: &Prepared<'_, '_>,
    mut asymmetric: impl FnMut(Alg, &Jwk, &[u8], &[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let alg = prepared.jws.header.alg;
    let message = prepared.jws.signing_input.as_bytes();
    let signature_bytes = &prepared.jws.signature;
    let mut last = Error::SignatureVerificationFailed;
    for key in &prepared.candidates {
        let outcome = signature::check_shape(alg, signature_bytes, key.rsa_modulus_len()).and_then(|()| {
            match (&key.material, alg.family()) {
                (Material::Oct(secret), Family::Hmac) => hmac::verify(alg, secret, message, signature_bytes),
                _ => asymmetric(alg, key, message, signature_bytes),
            }
        });
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The whole pipeline, synchronously, at time `now` (Unix seconds).
pub fn verify(
    token: &str,
    keys: &KeySet,
    options: &VerifyOptions,
    now: i64,
    asymmetric: impl FnMut(Alg, &Jwk, &[u8], &[u8]) -> Result<(), Error>,
) -> Result<Verified, Error> {
    let prepared = prepare(token, keys, options)?;
    check_signature(&prepared, asymmetric)?;
    let payload = claims::validate(&prepared.jws.header, &prepared.jws.payload, &options.rules, now)?;
    Ok(Verified { header: prepared.jws.header.members, payload })
}

/// For when no asymmetric verifier is available (wasm without crypto.subtle nor `pure-rust`).
pub fn no_asymmetric(alg: Alg, _: &Jwk, _: &[u8], _: &[u8]) -> Result<(), Error> {
    Err(needs_platform(alg))
}

/// The refusal of an algorithm this build verifies only through the platform, where there is none.
pub(crate) fn needs_platform(alg: Alg) -> Error {
    Error::NotSupported(format!(
        "{} needs crypto.subtle, which this runtime lacks (or a build with the pure-rust feature)",
        alg.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::json;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn hs256(secret: &[u8], header: &str, payload: &str) -> String {
        use ::hmac::{Hmac, Mac};
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("any key length");
        mac.update(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    const SECRET: &[u8] = b"an HS256 secret of at least 32 bytes!";

    fn keys() -> KeySet {
        KeySet::single(Jwk::from_secret(SECRET).expect("secret"))
    }

    #[test]
    fn hs256_end_to_end() {
        let token = hs256(SECRET, r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"sub":"u1","exp":2000000000}"#);
        let verified = verify(&token, &keys(), &VerifyOptions::default(), 1_700_000_000, no_asymmetric).expect("valid");
        assert_eq!(verified.payload.get("sub").and_then(|v| v.as_str()), Some("u1"));
        assert_eq!(verified.header.get("typ").and_then(|v| v.as_str()), Some("JWT"));
    }

    #[test]
    fn the_signature_is_checked_before_the_claims() {
        // An expired token with a bad signature reports the signature, never the claims.
        let token = hs256(b"another secret that is 32 bytes long", r#"{"alg":"HS256"}"#, r#"{"exp":1}"#);
        let err = verify(&token, &keys(), &VerifyOptions::default(), 1_700_000_000, no_asymmetric)
            .expect_err("bad signature");
        assert_eq!(err, Error::SignatureVerificationFailed);
        let expired = hs256(SECRET, r#"{"alg":"HS256"}"#, r#"{"exp":1}"#);
        let err =
            verify(&expired, &keys(), &VerifyOptions::default(), 1_700_000_000, no_asymmetric).expect_err("expired");
        assert_eq!(err.code(), "ERR_JWT_EXPIRED");
    }

    #[test]
    fn asymmetric_tokens_need_a_verifier() {
        let set = KeySet::from_jwks(&json!({ "keys": [{ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }] })).expect("JWKS");
        let token =
            format!("{}.e30.{}", URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#), URL_SAFE_NO_PAD.encode([1u8; 64]));
        let err = verify(&token, &set, &VerifyOptions::default(), 0, no_asymmetric).expect_err("no subtle");
        assert_eq!(err.code(), "ERR_JOSE_NOT_SUPPORTED");
    }
}
