//! PEM public keys (SubjectPublicKeyInfo, RFC 5280 4.1.2.7): RSA, EC P-256/384/521 and Ed25519,
//! read with a minimal DER reader and turned into a JWK so that every JWK check applies.

use crate::jose::json::{Value, object};
use crate::jose::jws::b64_encode;

use super::alg::Curve;
use super::jwk::Jwk;
use crate::Error;

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Why a PEM is refused, as the reader finds it: made an [`Error`] once, in [`jwk_from_pem`], so
/// that each `?` of the reader moves a few bytes rather than an `Error`.
pub(crate) enum Refusal {
    /// `PEM public key: <why>` (ERR_JWK_INVALID).
    Bad(&'static str),
    /// `PEM public key: expected <what>` (ERR_JWK_INVALID).
    Expected(&'static str),
    /// ERR_JOSE_NOT_SUPPORTED.
    NotSupported(&'static str),
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        let (head, why) = match refusal {
            Refusal::NotSupported(what) => return Error::NotSupported(what.into()),
            Refusal::Bad(why) => ("PEM public key: ", why),
            Refusal::Expected(what) => ("PEM public key: expected ", what),
        };
        let mut message = String::from(head);
        message.push_str(why);
        Error::JwkInvalid(message)
    }
}

use Refusal::{Bad, Expected, NotSupported};

/// One DER element: (tag, contents, rest). Definite lengths of up to 3 bytes only.
pub(crate) fn tlv(input: &[u8]) -> Result<(u8, &[u8], &[u8]), Refusal> {
    let (&tag, rest) = input.split_first().ok_or(Bad("truncated DER"))?;
    let (&first, rest) = rest.split_first().ok_or(Bad("truncated DER"))?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x83 => {
            let n = usize::from(first & 0x7f);
            if rest.len() < n {
                return Err(Bad("truncated DER length"));
            }
            let len = rest[..n].iter().fold(0usize, |acc, b| acc << 8 | usize::from(*b));
            (len, &rest[n..])
        }
        _ => return Err(Bad("unsupported DER length")),
    };
    if rest.len() < len {
        return Err(Bad("truncated DER"));
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The contents and the rest of an element that must have `tag`.
fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(&'a [u8], &'a [u8]), Refusal> {
    let (found, value, rest) = tlv(input)?;
    if found != tag {
        return Err(Expected(what));
    }
    Ok((value, rest))
}

fn b64(bytes: &[u8]) -> String {
    b64_encode(bytes)
}

/// A verification key from a `-----BEGIN PUBLIC KEY-----` PEM.
pub fn jwk_from_pem(pem: &str) -> Result<Jwk, Error> {
    Jwk::from_json(&read(pem)?)
}

/// The JWK members of the key in a PEM.
fn read(pem: &str) -> Result<Value, Refusal> {
    let pem = pem.trim();
    // A byte search, not `str::contains`: a `&str` pattern pulls core's two-way searcher (2.4 KB).
    if pem.as_bytes().windows(16).any(|w| w == b"PRIVATE KEY-----") {
        return Err(Bad("this is a private key; give the public key"));
    }
    if pem.starts_with("-----BEGIN CERTIFICATE-----") {
        return Err(NotSupported("X.509 certificates: give the certificate's public key as a PUBLIC KEY PEM"));
    }
    let body = pem
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or(Bad("expected -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----"))?;
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = super::base64::standard_decode(compact.as_bytes()).ok_or(Bad("not base64"))?;

    let (spki, trailing) = expect(&der, 0x30, "a SubjectPublicKeyInfo SEQUENCE")?;
    if !trailing.is_empty() {
        return Err(Bad("data after the key"));
    }
    let (algorithm, rest) = expect(spki, 0x30, "an AlgorithmIdentifier SEQUENCE")?;
    let (key_bits, _) = expect(rest, 0x03, "a BIT STRING")?;
    let key = match key_bits.split_first() {
        Some((0, key)) => key,
        _ => return Err(Bad("the key BIT STRING must have no unused bits")),
    };
    let (oid, params) = expect(algorithm, 0x06, "an algorithm OID")?;
    let jwk = match oid {
        RSA_ENCRYPTION => {
            let (rsa, _) = expect(key, 0x30, "an RSAPublicKey SEQUENCE")?;
            let (n, rest) = expect(rsa, 0x02, "the modulus")?;
            let (e, _) = expect(rest, 0x02, "the exponent")?;
            object([("kty", "RSA".into()), ("n", b64(n).into()), ("e", b64(e).into())])
        }
        EC_PUBLIC_KEY => {
            let (curve_oid, _) = expect(params, 0x06, "a named curve")?;
            let curve = Curve::from_oid(curve_oid).ok_or(NotSupported("this EC curve"))?;
            let (crv, len) = (curve.name(), curve.coordinate_len());
            match key.split_first() {
                Some((4, point)) if point.len() == 2 * len => object([
                    ("kty", "EC".into()),
                    ("crv", crv.into()),
                    ("x", b64(&point[..len]).into()),
                    ("y", b64(&point[len..]).into()),
                ]),
                _ => return Err(Bad("EC keys must be uncompressed points")),
            }
        }
        ED25519 => object([("kty", "OKP".into()), ("crv", "Ed25519".into()), ("x", b64(key).into())]),
        _ => return Err(NotSupported("this public key algorithm")),
    };
    Ok(jwk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Alg;

    // RFC 8410 section 10.1's Ed25519 public key.
    const ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----";

    #[test]
    fn reads_an_ed25519_key() {
        let key = jwk_from_pem(ED25519_PEM).expect("valid");
        assert!(key.supports(Alg::EdDsa) && !key.supports(Alg::Es256));
    }

    #[test]
    fn refuses_private_keys_certificates_and_garbage() {
        assert_eq!(
            jwk_from_pem("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----").expect_err("private").code(),
            "ERR_JWK_INVALID"
        );
        assert_eq!(
            jwk_from_pem("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----").expect_err("cert").code(),
            "ERR_JOSE_NOT_SUPPORTED"
        );
        for bad in [
            "",
            "hello",
            "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----",
        ] {
            assert!(jwk_from_pem(bad).is_err(), "{bad}");
        }
    }
}
