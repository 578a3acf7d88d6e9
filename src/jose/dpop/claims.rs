//! A DPoP proof's claims against the request it came with (RFC 9449 section 4.3, steps 8-11,
//! and section 9 for nonces): `htm` is the request's method, `htu` its URL (see [`super::htu`]),
//! `iat` lies within the accepted window, `jti` is there and bounded (the replay check needs
//! it), `ath` is the hash of the access token presented with it, and `nonce` is one the server
//! accepts when it asks for one.

use crate::Error;
use crate::jose::json::{self, Map, Value};

use super::binding::access_token_hash;
use super::{ProofPolicy, ProofRequest, htu, invalid};

/// What a checked proof tells the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofClaims {
    /// `jti`.
    pub jti: String,
    /// `iat`, Unix seconds.
    pub iat: i64,
}

fn string<'a>(claims: &'a Map, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// Checks the claims JSON `payload` against `request` under `policy`.
pub fn check(payload: &[u8], request: &ProofRequest<'_>, policy: &ProofPolicy) -> Result<ProofClaims, Error> {
    let claims = json::parse_object(payload).map_err(|_| invalid("the DPoP proof's claims are not a JSON object"))?;
    let jti = match string(&claims, "jti") {
        Some(jti) if !jti.is_empty() && jti.len() <= policy.max_jti_bytes => jti,
        Some(jti) if !jti.is_empty() => return Err(invalid("the DPoP proof's jti is too long")),
        _ => return Err(invalid("the DPoP proof has no jti")),
    };
    if string(&claims, "htm") != Some(request.method) {
        return Err(invalid("the DPoP proof's htm is not the request's method"));
    }
    let proof_htu = string(&claims, "htu").ok_or_else(|| invalid("the DPoP proof has no htu"))?;
    let proof_htu = htu::normalize(proof_htu).map_err(invalid)?;
    let request_url = htu::normalize(request.url).map_err(|_| invalid("the request URL is not an http(s) URL"))?;
    let matches = if policy.origins.is_empty() {
        proof_htu == request_url
    } else {
        // `dpopOrigin`: the request's path under a trusted origin; its own origin (on a Node
        // server, the client's Host header) does not count.
        let path = htu::path(&request_url);
        let proof = proof_htu.as_bytes();
        policy.origins.iter().any(|origin| {
            proof.len() == origin.len() + path.len() && proof.starts_with(origin.as_bytes()) && proof.ends_with(path)
        })
    };
    if !matches {
        return Err(invalid("the DPoP proof's htu is not the request's URL"));
    }
    let iat = match claims.get("iat") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        _ => return Err(invalid("the DPoP proof has no numeric iat")),
    };
    // Compared as numbers (a fractional iat is allowed), the window in whole seconds.
    let now = request.now as f64;
    if iat.is_nan() || iat < now - policy.max_age_seconds as f64 {
        return Err(invalid("the DPoP proof's iat is too old"));
    }
    if iat > now + policy.leeway_seconds as f64 {
        return Err(invalid("the DPoP proof's iat is in the future"));
    }
    if let Some(token) = request.access_token {
        match string(&claims, "ath") {
            Some(ath) if ath == access_token_hash(token) => {}
            Some(_) => return Err(invalid("the DPoP proof's ath is not the access token's hash")),
            None => return Err(invalid("the DPoP proof has no ath for the access token")),
        }
    }
    if let Some(accepted) = request.nonces {
        let nonce = string(&claims, "nonce");
        if !nonce.is_some_and(|nonce| accepted.iter().any(|a| a == nonce)) {
            return Err(Error::DpopNonceRequired);
        }
    }
    Ok(ProofClaims { jti: jti.to_owned(), iat: iat.floor() as i64 })
}
