//! A set of verification keys and the choice of key for a token: the token's `alg` must be in
//! the allow-list (by default, every algorithm some key supports), and its `kid`, when present,
//! is only a lookup key. The key decides which algorithms are possible, never the token.

use crate::jose::json::Value;

use super::alg::Alg;
use super::jwk::{Jwk, Material};
use super::jws::Header;
use crate::Error;

/// Most entries a JWK Set may have: real ones hold a handful, and the bound keeps a hostile
/// endpoint from making every verification scan thousands of keys.
pub const MAX_KEYS: usize = 256;

/// The keys a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Jwk>,
    /// A single configured key answers whatever `kid` a token names (as in jose); in a JWK Set
    /// the `kid` selects.
    single: bool,
}

impl KeySet {
    /// A set of one key, used whatever `kid` a token names.
    pub fn single(key: Jwk) -> KeySet {
        KeySet { keys: vec![key], single: true }
    }

    /// From a JWKS document (`{"keys": [...]}`). Keys this verifier cannot use (encryption keys,
    /// unknown types or curves) are skipped, as an identity provider's JWKS often lists some.
    /// A document that is not a JWK Set is an error, and so is an ambiguous one: two usable
    /// keys with the same `kid`, or shared secrets mixed with public keys (the mix that
    /// algorithm-confusion attacks need).
    pub fn from_jwks(document: &Value) -> Result<KeySet, Error> {
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err(Error::JwksInvalid("a JWK Set is an object with a \"keys\" array".into()));
        };
        if entries.len() > MAX_KEYS {
            return Err(Error::JwksInvalid(format!("more than {MAX_KEYS} keys")));
        }
        let keys: Vec<Jwk> = entries.iter().filter_map(|entry| Jwk::from_json(entry).ok()).collect();
        let secrets = keys.iter().filter(|k| matches!(k.material, Material::Oct(_))).count();
        if secrets > 0 && secrets < keys.len() {
            return Err(Error::JwksInvalid("the set mixes shared secrets and public keys".into()));
        }
        // Duplicates count among every entry meant for signatures, usable or not: a malformed
        // twin still makes the kid ambiguous.
        let signing_kids: Vec<&Value> =
            entries.iter().filter(|e| e.get("use") != Some(&Value::from("enc"))).filter_map(|e| e.get("kid")).collect();
        if signing_kids.iter().enumerate().any(|(i, kid)| signing_kids[..i].contains(kid)) {
            return Err(Error::JwksInvalid("two keys share one \"kid\"".into()));
        }
        Ok(KeySet { keys, single: false })
    }

    /// The keys.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// Whether any key has this `kid` (an unknown kid is what triggers a JWKS refetch).
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// The keys that may verify a token with this header. `allowed` is the verifier's
    /// `algorithms` option (empty: whatever the keys support). In a JWK Set a token with a `kid`
    /// matches only keys with that `kid`, and one without, every key fit for its `alg`; a single
    /// configured key ignores `kid`. Both as in jose.
    pub fn candidates(&self, header: &Header, allowed: &[Alg]) -> Result<Vec<&Jwk>, Error> {
        let alg = header.alg;
        if !allowed.is_empty() && !allowed.contains(&alg) {
            return Err(Error::AlgNotAllowed(alg.name().to_owned()));
        }
        if !self.keys.iter().any(|k| k.supports(alg)) {
            // E.g. an HS256 token against RSA keys: the key decides, so the algorithm is refused.
            return Err(Error::AlgNotAllowed(alg.name().to_owned()));
        }
        let matching: Vec<&Jwk> = self
            .keys
            .iter()
            .filter(|k| k.supports(alg) && (self.single || header.kid.is_none() || k.kid == header.kid))
            .collect();
        if matching.is_empty() {
            return Err(Error::JwksNoMatchingKey);
        }
        Ok(matching)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::{Map, from_serde, json};

    fn header(alg: Alg, kid: Option<&str>) -> Header {
        Header { alg, kid: kid.map(str::to_owned), typ: None, members: Map::new() }
    }

    fn jwks() -> KeySet {
        KeySet::from_jwks(&json!({ "keys": [
            { "kty": "EC", "crv": "P-256", "kid": "ec1", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
            { "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
            { "kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB", "kid": "skipped" },
            { "kty": "X25519", "kid": "skipped-too" },
        ]})).expect("JWKS")
    }

    #[test]
    fn unusable_keys_are_skipped_and_bad_documents_refused() {
        assert_eq!(jwks().keys().len(), 2);
        let too_many =
            from_serde(&serde_json::json!({ "keys": vec![serde_json::json!({ "kty": "X25519" }); MAX_KEYS + 1] }));
        for bad in [json!([]), json!({}), json!({ "keys": {} }), json!("x"), too_many] {
            assert_eq!(KeySet::from_jwks(&bad).expect_err("not a JWKS").code(), "ERR_JWKS_INVALID");
        }
    }

    #[test]
    fn a_single_key_ignores_the_tokens_kid() {
        let key = Jwk::from_json(&json!({ "kty": "EC", "crv": "P-256", "kid": "mine", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" })).expect("EC");
        let set = KeySet::single(key);
        assert_eq!(set.candidates(&header(Alg::Es256, Some("other")), &[]).expect("single key").len(), 1);
    }

    #[test]
    fn ambiguous_sets_are_refused() {
        let secret = serde_json::json!({ "kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow", "kid": "a" });
        let public = serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "b" });
        let mixed = KeySet::from_jwks(&json!({ "keys": [secret, public] })).expect_err("mixed");
        assert_eq!(mixed.code(), "ERR_JWKS_INVALID");
        let mut twin = public.clone();
        twin["x"] = serde_json::json!("fU0Of2FTpptiQrUiq77mhf2kQg-INLEIw72uNp71Sfo");
        assert_eq!(
            KeySet::from_jwks(&json!({ "keys": [public, twin] })).expect_err("same kid").code(),
            "ERR_JWKS_INVALID"
        );
    }

    #[test]
    fn kid_selects_exactly_and_no_kid_means_every_fitting_key() {
        let set = jwks();
        let found = set.candidates(&header(Alg::Es256, Some("ec1")), &[]).expect("ec1");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kid.as_deref(), Some("ec1"));
        assert_eq!(set.candidates(&header(Alg::Es256, None), &[]).expect("any").len(), 2);
        let unknown = set.candidates(&header(Alg::Es256, Some("nope")), &[]).expect_err("unknown kid");
        assert_eq!(unknown.code(), "ERR_JWKS_NO_MATCHING_KEY");
    }

    #[test]
    fn the_allow_list_and_the_keys_decide_the_algorithm() {
        let set = jwks();
        assert_eq!(
            set.candidates(&header(Alg::Es256, None), &[Alg::Rs256]).expect_err("not allowed").code(),
            "ERR_JOSE_ALG_NOT_ALLOWED"
        );
        assert_eq!(
            set.candidates(&header(Alg::Rs256, None), &[]).expect_err("no RSA key").code(),
            "ERR_JOSE_ALG_NOT_ALLOWED"
        );
        assert_eq!(
            set.candidates(&header(Alg::Es384, None), &[]).expect_err("no P-384 key").code(),
            "ERR_JOSE_ALG_NOT_ALLOWED"
        );
        // HS256 against a set with only public keys: refused, never "verified" with key bytes.
        let public_only = KeySet::from_jwks(&json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] })).expect("JWKS");
        assert_eq!(
            public_only.candidates(&header(Alg::Hs256, None), &[]).expect_err("confusion").code(),
            "ERR_JOSE_ALG_NOT_ALLOWED"
        );
    }
}
