//! HS256/384/512 verification in Rust: synchronous, constant-time, no platform call. In the
//! default wasm builds HS256 only (web/verifier uses it where crypto.subtle's HMAC is slower,
//! measured in workerd); HS384/512 go to node:crypto or crypto.subtle there, so SHA-384/512 are
//! built natively and with `pure-rust` only.

use hmac::{Hmac, Mac};
use sha2::Sha256;
#[cfg(any(not(target_arch = "wasm32"), feature = "pure-rust"))]
use sha2::{Sha384, Sha512};

use super::alg::{Alg, Family, Hash};
use crate::Error;

/// Verifies an HMAC JWS signature over `signing_input` in constant time.
pub fn verify(alg: Alg, secret: &[u8], signing_input: &[u8], signature: &[u8]) -> Result<(), Error> {
    fn check<M: Mac + hmac::digest::KeyInit>(secret: &[u8], input: &[u8], signature: &[u8]) -> bool {
        match <M as Mac>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(input);
                mac.verify_slice(signature).is_ok()
            }
            Err(_) => false,
        }
    }
    if alg.family() != Family::Hmac {
        return Err(Error::AlgNotAllowed(alg.name().to_owned()));
    }
    let ok = match alg.hash() {
        Hash::Sha256 => check::<Hmac<Sha256>>(secret, signing_input, signature),
        #[cfg(any(not(target_arch = "wasm32"), feature = "pure-rust"))]
        Hash::Sha384 => check::<Hmac<Sha384>>(secret, signing_input, signature),
        #[cfg(any(not(target_arch = "wasm32"), feature = "pure-rust"))]
        Hash::Sha512 => check::<Hmac<Sha512>>(secret, signing_input, signature),
        #[cfg(all(target_arch = "wasm32", not(feature = "pure-rust")))]
        Hash::Sha384 | Hash::Sha512 => return Err(super::verify::needs_platform(alg)),
    };
    if ok { Ok(()) } else { Err(Error::SignatureVerificationFailed) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn rfc7515_appendix_a1_hs256() {
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .expect("RFC key");
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let sig = URL_SAFE_NO_PAD.decode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").expect("RFC signature");
        assert!(verify(Alg::Hs256, &key, input.as_bytes(), &sig).is_ok());
        let mut tampered = sig.clone();
        tampered[0] ^= 1;
        assert_eq!(verify(Alg::Hs256, &key, input.as_bytes(), &tampered), Err(Error::SignatureVerificationFailed));
        assert_eq!(verify(Alg::Hs384, &key, input.as_bytes(), &sig), Err(Error::SignatureVerificationFailed));
        assert!(verify(Alg::Rs256, &key, input.as_bytes(), &sig).is_err());
    }
}
