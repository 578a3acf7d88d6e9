//! How a key and algorithm are described to WebCrypto (`importKey('jwk', ...)` and `verify`)
//! and to node:crypto (`createPublicKey` and `verify`), from the algorithm's row in
//! [`super::alg::ALGORITHMS`]: pure data, so that it is tested natively; the web layer turns it
//! into JS objects and shim.js passes them on without knowing any algorithm. Also the slot id
//! under which the web layer caches the imported key.

use crate::Error;
use crate::jose::json::{Value, object};
use crate::jose::jws::b64_encode;

use super::alg::{Alg, Backend, Family, NodeKey, WebCryptoParam};
use super::jwk::{Jwk, Material};
use super::keyset::MAX_KEYS;

/// The arguments WebCrypto and node:crypto need for one (key, algorithm) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct WebCryptoKey {
    /// The public JWK to import (no `alg`, `use` or `key_ops`, which importKey would check).
    pub jwk: Value,
    /// `importKey`'s algorithm parameter.
    pub import: Value,
    /// `verify`'s algorithm parameter.
    pub verify: Value,
    /// node:crypto `verify`'s digest name, or null.
    pub node_digest: Value,
    /// The members of node:crypto's key object besides `key` (`padding` names a member of
    /// `crypto.constants`), or null when the KeyObject is passed as it is.
    pub node_key: Value,
}

/// `{ name }`, with `param` from `alg`'s row when there is one.
fn algorithm(name: &'static str, param: WebCryptoParam, alg: Alg) -> Value {
    let value = match param {
        WebCryptoParam::None => return object([("name", name.into())]),
        WebCryptoParam::Hash => ("hash", alg.hash().webcrypto_name().into()),
        WebCryptoParam::NamedCurve => match alg.family() {
            Family::Ecdsa(curve) => ("namedCurve", curve.name().into()),
            _ => return object([("name", name.into())]),
        },
        WebCryptoParam::SaltLength => ("saltLength", alg.hash().output_len().into()),
    };
    object([("name", name.into()), value])
}

/// The public JWK WebCrypto imports; `None` for a shared secret.
fn public_jwk(key: &Jwk) -> Option<Value> {
    let b64 = |bytes: &[u8]| b64_encode(bytes);
    Some(match &key.material {
        Material::Rsa { n, e } => object([("kty", "RSA".into()), ("n", b64(n).into()), ("e", b64(e).into())]),
        Material::Ec { curve, x, y } => {
            object([("kty", "EC".into()), ("crv", curve.name().into()), ("x", b64(x).into()), ("y", b64(y).into())])
        }
        Material::Ed25519(x) => object([("kty", "OKP".into()), ("crv", "Ed25519".into()), ("x", b64(x).into())]),
        Material::Oct(_) => return None,
    })
}

/// The platform description of `key` used with `alg`; `None` for algorithms verified in Rust
/// (HMAC) and for pairs that do not fit.
pub fn describe(key: &Jwk, alg: Alg) -> Option<WebCryptoKey> {
    let Backend::Platform(platform) = alg.row().backend else { return None };
    if !key.fits(alg) {
        return None;
    }
    let node_key = match platform.node_key {
        NodeKey::KeyObject => Value::Null,
        NodeKey::Pss => {
            object([("padding", "RSA_PKCS1_PSS_PADDING".into()), ("saltLength", alg.hash().output_len().into())])
        }
        NodeKey::P1363 => object([("dsaEncoding", "ieee-p1363".into())]),
    };
    Some(WebCryptoKey {
        jwk: public_jwk(key)?,
        import: algorithm(platform.webcrypto, platform.import, alg),
        verify: algorithm(platform.webcrypto, platform.verify, alg),
        node_digest: if platform.node_digest { alg.hash().node_name().into() } else { Value::Null },
        node_key,
    })
}

/// The platform description of an HMAC algorithm (HS256/384/512): `importKey('raw', ...)`'s and
/// `verify`'s parameters for WebCrypto, and node:crypto's `createHmac` digest (`node_key` is
/// `"hmac"`). It never holds the secret: the web layer hands the bytes to the platform apart, so
/// that no description can print them. `None` for other algorithms.
pub fn describe_hmac(alg: Alg) -> Option<WebCryptoKey> {
    if alg.family() != Family::Hmac {
        return None;
    }
    Some(WebCryptoKey {
        jwk: Value::Null,
        import: object([("name", "HMAC".into()), ("hash", alg.hash().webcrypto_name().into())]),
        verify: object([("name", "HMAC".into())]),
        node_digest: alg.hash().node_name().into(),
        node_key: "hmac".into(),
    })
}

/// Bits of a slot id holding the algorithm's index in [`Alg::ALL`] (the low bits).
pub const ALG_BITS: u32 = 4;
/// Bits holding the key's position in its key set (above the algorithm).
pub const KEY_BITS: u32 = 12;
/// Bits holding the key set's generation (the high bits): together at most 53, so that a slot
/// is exact as a JS number (shim.js uses it as a Map key).
pub const GENERATION_BITS: u32 = 53 - KEY_BITS - ALG_BITS;

const _: () = assert!(Alg::ALL.len() <= 1 << ALG_BITS, "ALG_BITS cannot number every algorithm");
const _: () = assert!(MAX_KEYS <= 1 << KEY_BITS, "KEY_BITS cannot number every key of a set");
const _: () = assert!(GENERATION_BITS >= 32, "too few generations before a slot id wraps");

/// Which imported key a (key set generation, key position, algorithm) names: the web layer's
/// cache id for one CryptoKey (or node:crypto key object). The generation changes whenever a
/// remote set is replaced, so that an import still in flight for the old set never answers for
/// a new key at the same position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The key set's generation.
    pub generation: u64,
    /// The key's position in its set.
    pub key_index: usize,
    /// The algorithm.
    pub alg: Alg,
}

impl Slot {
    /// The slot id: generation, key index and algorithm index packed in 53 bits. A field too
    /// wide for its bits is `Error::Internal`: two keys must never share a slot.
    pub fn pack(self) -> Result<u64, Error> {
        if self.generation >= 1 << GENERATION_BITS {
            return Err(Error::Internal("the key set generation does not fit a slot id"));
        }
        if self.key_index >= 1 << KEY_BITS {
            return Err(Error::Internal("the key index does not fit a slot id"));
        }
        let (key, alg) = (self.key_index as u64, self.alg.index() as u64);
        Ok((self.generation << (KEY_BITS + ALG_BITS)) | (key << ALG_BITS) | alg)
    }

    /// The fields of a slot id; an algorithm index no row has is `Error::Internal`.
    pub fn unpack(id: u64) -> Result<Slot, Error> {
        let field = |shift: u32, bits: u32| (id >> shift) & ((1 << bits) - 1);
        let alg = *Alg::ALL.get(field(0, ALG_BITS) as usize).ok_or(Error::Internal("a slot id names no algorithm"))?;
        if id >> (GENERATION_BITS + KEY_BITS + ALG_BITS) != 0 {
            return Err(Error::Internal("a slot id is wider than 53 bits"));
        }
        Ok(Slot {
            generation: field(KEY_BITS + ALG_BITS, GENERATION_BITS),
            key_index: field(ALG_BITS, KEY_BITS) as usize,
            alg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Curve;
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

    /// The parameters each algorithm had before they came from the table, for WebCrypto and
    /// for node:crypto (where shim.js used to build them per algorithm).
    #[test]
    fn every_platform_row_gives_the_parameters_webcrypto_and_node_expect() {
        let key = |material| Jwk { kid: None, alg: None, material };
        let rsa = key(Material::Rsa { n: vec![0xc5; 256], e: vec![1, 0, 1] });
        let ed = key(Material::Ed25519(vec![7; 32]));
        let p256 = json!({ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" });
        let ec = Jwk::from_json(&p256).expect("EC");
        let pkcs1 = describe(&rsa, Alg::Rs384).expect("RS384");
        assert_eq!(pkcs1.import, json!({ "name": "RSASSA-PKCS1-v1_5", "hash": "SHA-384" }));
        assert_eq!(pkcs1.verify, json!({ "name": "RSASSA-PKCS1-v1_5" }));
        assert_eq!((pkcs1.node_digest, pkcs1.node_key), (json!("sha384"), Value::Null));
        let pss = describe(&rsa, Alg::Ps512).expect("PS512");
        assert_eq!(pss.import, json!({ "name": "RSA-PSS", "hash": "SHA-512" }));
        assert_eq!(pss.verify, json!({ "name": "RSA-PSS", "saltLength": 64 }));
        assert_eq!(pss.node_digest, json!("sha512"));
        assert_eq!(pss.node_key, json!({ "padding": "RSA_PKCS1_PSS_PADDING", "saltLength": 64 }));
        let es = describe(&ec, Alg::Es256).expect("ES256");
        assert_eq!(es.jwk, p256);
        assert_eq!(es.import, json!({ "name": "ECDSA", "namedCurve": "P-256" }));
        assert_eq!((es.node_digest, es.node_key), (json!("sha256"), json!({ "dsaEncoding": "ieee-p1363" })));
        let eddsa = describe(&ed, Alg::EdDsa).expect("EdDSA");
        assert_eq!((eddsa.import, eddsa.verify), (json!({ "name": "Ed25519" }), json!({ "name": "Ed25519" })));
        assert_eq!((eddsa.node_digest, eddsa.node_key), (Value::Null, Value::Null));
        for alg in Alg::ALL {
            let fits = [&rsa, &ec, &ed].into_iter().filter(|key| describe(key, alg).is_some()).count();
            let expected = usize::from(
                alg.family() != Family::Hmac
                    && alg.family() != Family::Ecdsa(Curve::P384)
                    && alg.family() != Family::Ecdsa(Curve::P521),
            );
            assert_eq!(fits, expected, "{}", alg.name());
        }
    }

    #[test]
    fn hmac_is_described_without_its_secret() {
        let hs384 = describe_hmac(Alg::Hs384).expect("HS384");
        assert_eq!(hs384.jwk, Value::Null);
        assert_eq!(hs384.import, json!({ "name": "HMAC", "hash": "SHA-384" }));
        assert_eq!(hs384.verify, json!({ "name": "HMAC" }));
        assert_eq!((hs384.node_digest, hs384.node_key), (json!("sha384"), json!("hmac")));
        assert_eq!(describe_hmac(Alg::Hs512).expect("HS512").import, json!({ "name": "HMAC", "hash": "SHA-512" }));
        assert_eq!(describe_hmac(Alg::Rs256), None);
    }

    #[test]
    fn slots_pack_and_unpack_and_refuse_what_does_not_fit() {
        let last_alg = *Alg::ALL.last().expect("algorithms");
        for slot in [
            Slot { generation: 0, key_index: 0, alg: Alg::Hs256 },
            Slot { generation: 1, key_index: 3, alg: Alg::Es256 },
            Slot { generation: (1 << GENERATION_BITS) - 1, key_index: MAX_KEYS - 1, alg: last_alg },
        ] {
            let id = slot.pack().expect("fits");
            assert!(id < 1 << 53, "exact as a JS number");
            assert_eq!(Slot::unpack(id), Ok(slot));
        }
        // The layout the web layer has always used: generation << 16 | index << 4 | alg.
        assert_eq!(Slot { generation: 2, key_index: 5, alg: Alg::Rs256 }.pack(), Ok((2 << 16) | (5 << 4) | 3));
        let too_old = Slot { generation: 1 << GENERATION_BITS, key_index: 0, alg: Alg::Rs256 };
        assert!(matches!(too_old.pack(), Err(Error::Internal(_))));
        let too_far = Slot { generation: 0, key_index: 1 << KEY_BITS, alg: Alg::Rs256 };
        assert!(matches!(too_far.pack(), Err(Error::Internal(_))));
        let no_alg = (1u64 << ALG_BITS) - 1;
        assert!(Alg::ALL.len() as u64 <= no_alg, "an index past the table exists");
        assert!(matches!(Slot::unpack(no_alg), Err(Error::Internal(_))));
        assert!(matches!(Slot::unpack(1 << 53), Err(Error::Internal(_))));
    }
}
