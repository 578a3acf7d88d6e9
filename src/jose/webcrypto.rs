//! How a key and algorithm are described to WebCrypto (`importKey('jwk', ...)` and `verify`):
//! pure data, so that it is tested natively; the web layer turns it into JS objects.

use crate::jose::json::{Value, object};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::alg::{Alg, Family};
use super::jwk::{Jwk, Material};

/// The three arguments WebCrypto needs for one (key, algorithm) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct WebCryptoKey {
    /// The public JWK to import (no `alg`, `use` or `key_ops`, which importKey would check).
    pub jwk: Value,
    /// `importKey`'s algorithm parameter.
    pub import: Value,
    /// `verify`'s algorithm parameter.
    pub verify: Value,
}

/// The WebCrypto description of `key` used with `alg`; `None` for shared secrets (HMAC runs in
/// wasm) and for pairs that do not fit.
pub fn describe(key: &Jwk, alg: Alg) -> Option<WebCryptoKey> {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let hash = alg.hash().webcrypto_name();
    Some(match (&key.material, alg.family()) {
        (Material::Rsa { n, e }, Family::RsaPkcs1) => WebCryptoKey {
            jwk: object([("kty", "RSA".into()), ("n", b64(n).into()), ("e", b64(e).into())]),
            import: object([("name", "RSASSA-PKCS1-v1_5".into()), ("hash", hash.into())]),
            verify: object([("name", "RSASSA-PKCS1-v1_5".into())]),
        },
        (Material::Rsa { n, e }, Family::RsaPss) => WebCryptoKey {
            jwk: object([("kty", "RSA".into()), ("n", b64(n).into()), ("e", b64(e).into())]),
            import: object([("name", "RSA-PSS".into()), ("hash", hash.into())]),
            // RFC 7518 3.5: the salt is as long as the hash.
            verify: object([("name", "RSA-PSS".into()), ("saltLength", alg.hash().output_len().into())]),
        },
        (Material::Ec { curve, x, y }, Family::Ecdsa(wanted)) if *curve == wanted => WebCryptoKey {
            jwk: object([
                ("kty", "EC".into()),
                ("crv", curve.name().into()),
                ("x", b64(x).into()),
                ("y", b64(y).into()),
            ]),
            import: object([("name", "ECDSA".into()), ("namedCurve", curve.name().into())]),
            verify: object([("name", "ECDSA".into()), ("hash", hash.into())]),
        },
        (Material::Ed25519(x), Family::Ed25519) => WebCryptoKey {
            jwk: object([("kty", "OKP".into()), ("crv", "Ed25519".into()), ("x", b64(x).into())]),
            import: object([("name", "Ed25519".into())]),
            verify: object([("name", "Ed25519".into())]),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::json;

    #[test]
    fn describes_each_family_and_never_a_secret() {
        let ec = Jwk::from_json(&json!({ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "k", "alg": "ES256", "use": "sig" })).expect("EC");
        let described = describe(&ec, Alg::Es256).expect("fits");
        assert_eq!(
            described.jwk,
            json!({ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" })
        );
        assert_eq!(described.verify, json!({ "name": "ECDSA", "hash": "SHA-256" }));
        assert_eq!(describe(&ec, Alg::Es384), None);
        let secret = Jwk::from_secret(&[1; 32]).expect("secret");
        assert_eq!(describe(&secret, Alg::Hs256), None);
    }
}
