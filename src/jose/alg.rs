//! The JWS algorithms wasm-auth verifies, and what each needs from a key.

/// A signature algorithm (RFC 7518 section 3, RFC 8037, RFC 9864's "Ed25519").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// HMAC with SHA-256/384/512.
    Hs256,
    #[allow(missing_docs)]
    Hs384,
    #[allow(missing_docs)]
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256/384/512.
    Rs256,
    #[allow(missing_docs)]
    Rs384,
    #[allow(missing_docs)]
    Rs512,
    /// RSASSA-PSS with SHA-256/384/512 (MGF1 with the same hash, salt = hash length).
    Ps256,
    #[allow(missing_docs)]
    Ps384,
    #[allow(missing_docs)]
    Ps512,
    /// ECDSA on P-256 / P-384 / P-521, signatures as r || s (IEEE P1363).
    Es256,
    #[allow(missing_docs)]
    Es384,
    #[allow(missing_docs)]
    Es512,
    /// Ed25519, named "EdDSA" (RFC 8037) or "Ed25519" (RFC 9864).
    EdDsa,
}

/// The SHA-2 hash an algorithm uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    #[allow(missing_docs)]
    Sha256,
    #[allow(missing_docs)]
    Sha384,
    #[allow(missing_docs)]
    Sha512,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A shared secret (JWK kty "oct").
    Hmac,
    /// An RSA public key, PKCS#1 v1.5 padding.
    RsaPkcs1,
    /// An RSA public key, PSS padding.
    RsaPss,
    /// An EC public key on the given curve.
    Ecdsa(Curve),
    /// An Ed25519 public key (kty "OKP").
    Ed25519,
}

/// NIST curves for ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    #[allow(missing_docs)]
    P256,
    #[allow(missing_docs)]
    P384,
    #[allow(missing_docs)]
    P521,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// Bytes of one coordinate (and of r and s in a signature).
    pub fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// From a JWK `crv`.
    pub fn from_name(name: &str) -> Option<Curve> {
        match name {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            "P-521" => Some(Curve::P521),
            _ => None,
        }
    }
}

impl Alg {
    /// Every algorithm, in the order the docs list them.
    pub const ALL: [Alg; 13] = [
        Alg::Hs256,
        Alg::Hs384,
        Alg::Hs512,
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::Es256,
        Alg::Es384,
        Alg::Es512,
        Alg::EdDsa,
    ];

    /// From a JWS `alg` header value. `none` and unknown names are `None`.
    pub fn from_name(name: &str) -> Option<Alg> {
        Some(match name {
            "HS256" => Alg::Hs256,
            "HS384" => Alg::Hs384,
            "HS512" => Alg::Hs512,
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            "ES512" => Alg::Es512,
            "EdDSA" | "Ed25519" => Alg::EdDsa,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::Es512 => "ES512",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// What kind of key it needs.
    pub fn family(self) -> Family {
        match self {
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => Family::Hmac,
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 => Family::RsaPkcs1,
            Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => Family::RsaPss,
            Alg::Es256 => Family::Ecdsa(Curve::P256),
            Alg::Es384 => Family::Ecdsa(Curve::P384),
            Alg::Es512 => Family::Ecdsa(Curve::P521),
            Alg::EdDsa => Family::Ed25519,
        }
    }

    /// Its hash (Ed25519 uses SHA-512 internally).
    pub fn hash(self) -> Hash {
        match self {
            Alg::Hs256 | Alg::Rs256 | Alg::Ps256 | Alg::Es256 => Hash::Sha256,
            Alg::Hs384 | Alg::Rs384 | Alg::Ps384 | Alg::Es384 => Hash::Sha384,
            Alg::Hs512 | Alg::Rs512 | Alg::Ps512 | Alg::Es512 | Alg::EdDsa => Hash::Sha512,
        }
    }
}

impl Hash {
    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// The WebCrypto name.
    pub fn webcrypto_name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_unknown() {
        for alg in Alg::ALL {
            assert_eq!(Alg::from_name(alg.name()), Some(alg));
        }
        assert_eq!(Alg::from_name("Ed25519"), Some(Alg::EdDsa));
        for unknown in ["none", "None", "NONE", "hs256", "ES256K", "", "RS1"] {
            assert_eq!(Alg::from_name(unknown), None, "{unknown}");
        }
    }
}
