//! A DPoP proof's structure and protected header (RFC 9449 section 4.3, steps 2-7): a compact
//! JWS whose header has `typ` = `dpop+jwt`, an asymmetric `alg` from the allow-list, and the
//! public key that signed it as `jwk`. Unlike an access token, the proof carries its own key:
//! that key is what the access token is bound to, so it is taken from the header, and must be
//! a public key (a private one is a client bug that leaks it; a shared secret would let anyone
//! who sees a proof sign more).

use crate::jose::alg::{Alg, Family};
use crate::jose::json::{self, Map, Value};
use crate::jose::jwk::Jwk;
use crate::jose::jws::b64_decode;
use crate::jose::signature;
use crate::jose::thumbprint::jwk_thumbprint;

use super::htu::Refusal;

/// A proof whose header is checked and whose signature is not yet verified.
pub struct ParsedProof<'p> {
    /// The algorithm it was signed with.
    pub alg: Alg,
    /// The public key from its header.
    pub key: Jwk,
    /// The RFC 7638 thumbprint of that key.
    pub jkt: String,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`.
    pub signing_input: &'p str,
    /// The decoded claims JSON (not yet parsed).
    pub payload: Vec<u8>,
    /// The decoded signature, already of the right shape for `alg` and the key.
    pub signature: Vec<u8>,
}

/// Members that only private or symmetric keys have (RFC 7518 sections 6.2.2, 6.3.2, 6.4;
/// RFC 8037 section 2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Header members a proof must not have: keys from elsewhere than `jwk`, and JWS features
/// that change what is signed. (`crit` with an extension this verifier does not know must be
/// refused, and it knows none.)
const REFUSED_MEMBERS: [&str; 6] = ["jku", "x5u", "x5c", "crit", "b64", "zip"];

/// Splits and decodes `proof`, checks its header against `allowed` (asymmetric algorithms;
/// empty: none), and the signature's shape. A refusal is its reason only ([`super::check`] makes
/// it an error once): a few bytes through each `?` rather than an `Error`.
pub fn parse<'p>(proof: &'p str, allowed: &[Alg], max_len: usize) -> Result<ParsedProof<'p>, Refusal> {
    if proof.len() > max_len {
        return Err("the DPoP proof is too long");
    }
    let mut parts = proof.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the DPoP proof is not a compact JWS");
    };
    let decode = |segment| b64_decode(segment, "").map_err(|_| "the DPoP proof is not base64url");
    let header = json::parse_object(&decode(header_b64)?).map_err(|_| "the DPoP proof header is not a JSON object")?;
    let (alg, key, jkt) = check_header(&header, allowed)?;
    let payload = decode(payload_b64)?;
    let signature = decode(signature_b64)?;
    signature::check_shape(alg, &signature, key.rsa_modulus_len())
        .map_err(|_| "the DPoP proof signature is not valid")?;
    // `get`: the length ends at the second dot, an ASCII byte, so this never fails; indexing would
    // bring a slice panic's char-boundary formatting into the wasm.
    let signing_input =
        proof.get(..header_b64.len() + 1 + payload_b64.len()).ok_or("the DPoP proof is not a compact JWS")?;
    Ok(ParsedProof { alg, key, jkt, signing_input, payload, signature })
}

fn check_header(header: &Map, allowed: &[Alg]) -> Result<(Alg, Jwk, String), Refusal> {
    let typ = header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt")) {
        return Err("the DPoP proof's typ is not dpop+jwt");
    }
    let alg = header.get("alg").and_then(Value::as_str).and_then(Alg::from_name);
    let alg = match alg {
        Some(alg) if alg.family() != Family::Hmac && allowed.contains(&alg) => alg,
        // `none`, HS*, unknown names, and algorithms left out of the allow-list.
        _ => return Err("the DPoP proof's alg is not an allowed asymmetric algorithm"),
    };
    if REFUSED_MEMBERS.iter().any(|name| header.contains_key(name)) {
        return Err("the DPoP proof header has a member that is refused (jku, x5u, x5c, crit, b64, zip)");
    }
    let Some(value @ Value::Object(jwk)) = header.get("jwk") else {
        return Err("the DPoP proof header has no jwk");
    };
    if PRIVATE_MEMBERS.iter().any(|name| jwk.contains_key(name)) {
        return Err("the DPoP proof's jwk holds a private or symmetric key");
    }
    let key = Jwk::from_json(value).map_err(|_| "the DPoP proof's jwk is not a valid public key")?;
    if !key.supports(alg) {
        return Err("the DPoP proof's jwk does not fit its alg");
    }
    let jkt = jwk_thumbprint(jwk).map_err(|_| "the DPoP proof's jwk is not a valid public key")?;
    Ok((alg, key, jkt))
}
