//! The binding between an access token and a proof key (RFC 9449 sections 6 and 7): `ath`, the
//! hash a proof carries of the token it is sent with, and `cnf.jkt`, the thumbprint a bound
//! token carries of its key. A bound token is sent with a proof of that key, under the DPoP
//! scheme; sent as a Bearer token (without proof), it is refused, or a stolen bound token would
//! work anywhere as a plain one.

use crate::jose::jws::b64_encode;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::jose::json::{Map, Value};

/// `ath`: base64url(SHA-256(the access token's ASCII bytes)) (RFC 9449 section 4.2).
pub fn access_token_hash(token: &str) -> String {
    b64_encode(Sha256::digest(token.as_bytes()))
}

/// What a request requires of its access token's `cnf` claim.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Binding {
    /// Nothing: the caller checks the binding itself (`verify()` with
    /// `dpopBindingCheckedByCaller: true`, for a token whose proof it verified its own way).
    CheckedByCaller,
    /// Presented as a Bearer token, or to `verify()` (which sees no proof): the token must not
    /// be bound to a key. The default: a bound token taken from a request and verified alone
    /// would be a stolen one accepted as Bearer.
    #[default]
    Unbound,
    /// Presented under the DPoP scheme with a proof of the key with this thumbprint: the token
    /// must be bound to exactly that key.
    Jkt(String),
}

/// The `cnf.jkt` of verified claims: `None` without `cnf`; a `cnf` that is not an object, or
/// whose `jkt` is not a string, is refused rather than taken for "unbound".
pub fn bound_jkt(claims: &Map) -> Result<Option<&str>, Error> {
    let malformed = || Error::DpopBindingMismatch("the access token's cnf claim is malformed");
    match claims.get("cnf") {
        None => Ok(None),
        Some(Value::Object(cnf)) => match cnf.get("jkt") {
            None => Ok(None),
            Some(Value::String(jkt)) => Ok(Some(jkt)),
            Some(_) => Err(malformed()),
        },
        Some(_) => Err(malformed()),
    }
}

/// Checks verified `claims` against what the request requires.
pub fn check(claims: &Map, binding: &Binding) -> Result<(), Error> {
    match (binding, bound_jkt(claims)?) {
        (Binding::CheckedByCaller, _) | (Binding::Unbound, None) => Ok(()),
        (Binding::Unbound, Some(_)) => Err(Error::DpopBindingMismatch(
            "a DPoP-bound access token must be sent with a DPoP proof, not as Bearer (or verified alone)",
        )),
        (Binding::Jkt(proof), Some(token)) if constant_time_eq(proof.as_bytes(), token.as_bytes()) => Ok(()),
        (Binding::Jkt(_), Some(_)) => {
            Err(Error::DpopBindingMismatch("the access token is bound to another key than the DPoP proof's"))
        }
        (Binding::Jkt(_), None) => {
            Err(Error::DpopBindingMismatch("the access token is not DPoP-bound (no cnf.jkt): send it as Bearer"))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
