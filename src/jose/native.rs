//! Asymmetric signature verification in Rust (RustCrypto), for native code and, with the
//! `pure-rust` feature, for wasm runtimes without `crypto.subtle`. Browsers and workers use
//! WebCrypto instead: in wasm this code is 10-25x slower than jose.

use rsa::signature::Verifier as _;

use super::alg::{Alg, Curve, Family, Hash};
use super::jwk::{Jwk, Material};
use crate::Error;

/// Verifies `signature` over `message` with `key` for `alg` (RS*, PS*, ES*, EdDSA), by the
/// family, curve and hash in `alg`'s row. [`super::signature::check_shape`] must have passed first.
pub fn verify(alg: Alg, key: &Jwk, message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let ok = match (&key.material, alg.family()) {
        (Material::Rsa { n, e }, family @ (Family::RsaPkcs1 | Family::RsaPss)) => {
            rsa_verify(family, alg.hash(), n, e, message, signature)
        }
        // Each curve's crate hashes with the curve's JWS hash (ES256: SHA-256, ...), as the rows say.
        (Material::Ec { curve, x, y }, Family::Ecdsa(wanted)) if *curve == wanted => {
            let point = [&[4u8][..], x, y].concat();
            match curve {
                Curve::P256 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map_err(|_| Error::JwkInvalid("not a P-256 point".into()))?;
                    p256::ecdsa::Signature::from_slice(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
                }
                Curve::P384 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map_err(|_| Error::JwkInvalid("not a P-384 point".into()))?;
                    p384::ecdsa::Signature::from_slice(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
                }
                Curve::P521 => {
                    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map_err(|_| Error::JwkInvalid("not a P-521 point".into()))?;
                    p521::ecdsa::Signature::from_slice(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
                }
            }
        }
        (Material::Ed25519(x), Family::Ed25519) => {
            let bytes: [u8; 32] =
                x.as_slice().try_into().map_err(|_| Error::JwkInvalid("Ed25519 keys are 32 bytes".into()))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|_| Error::JwkInvalid("not an Ed25519 point".into()))?;
            let sig: Result<[u8; 64], _> = signature.try_into();
            sig.is_ok_and(|sig| key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok())
        }
        _ => return Err(Error::AlgNotAllowed(alg.name().to_owned())),
    };
    if ok { Ok(()) } else { Err(Error::SignatureVerificationFailed) }
}

fn rsa_verify(family: Family, hash: Hash, n: &[u8], e: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use rsa::{BigUint, RsaPublicKey};
    use sha2::{Sha256, Sha384, Sha512};
    // rsa's default cap is 4096 bits; WebCrypto verifies larger keys, so this path does too.
    let Ok(key) = RsaPublicKey::new_with_max_size(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e), 16384) else {
        return false;
    };
    if family == Family::RsaPkcs1 {
        let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else { return false };
        return match hash {
            Hash::Sha256 => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(message, &sig).is_ok(),
            Hash::Sha384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(message, &sig).is_ok(),
            Hash::Sha512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(message, &sig).is_ok(),
        };
    }
    let Ok(sig) = rsa::pss::Signature::try_from(signature) else { return false };
    // RFC 7518 3.5: the salt is as long as the hash, which WebCrypto is told too.
    let salt = hash.output_len();
    match hash {
        Hash::Sha256 => rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key, salt).verify(message, &sig).is_ok(),
        Hash::Sha384 => rsa::pss::VerifyingKey::<Sha384>::new_with_salt_len(key, salt).verify(message, &sig).is_ok(),
        Hash::Sha512 => rsa::pss::VerifyingKey::<Sha512>::new_with_salt_len(key, salt).verify(message, &sig).is_ok(),
    }
}
