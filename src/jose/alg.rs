//! The JWS algorithms wasm-auth verifies: one table, [`ALGORITHMS`], with one row per algorithm,
//! as jose keeps them. Every other module reads the row: its names, the key it needs, its hash,
//! the shape of its signatures, and how WebCrypto and node:crypto verify it. Adding an
//! algorithm of a known kind is one line in the `algorithms!` list below; a new curve or key
//! type also needs the code that parses and verifies that key.

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

/// What a valid signature looks like before any cryptography ([`super::signature::check_shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureShape {
    /// Exactly this many bytes (HMAC: the hash length; Ed25519: 64).
    Bytes(usize),
    /// As long as the RSA key's modulus.
    RsaModulus,
    /// r || s (IEEE P1363), each as long as a coordinate and in [1, n-1] for the curve.
    EcdsaScalars(Curve),
}

/// A member of a WebCrypto algorithm object besides `name`; its value comes from the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebCryptoParam {
    /// No other member.
    None,
    /// `hash`: the row's hash (`"SHA-256"`).
    Hash,
    /// `namedCurve`: the row's curve (`"P-256"`).
    NamedCurve,
    /// `saltLength`: the row's hash length (RFC 7518 3.5: the PSS salt is as long as the hash).
    SaltLength,
}

/// What node:crypto's `verify` gets as its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKey {
    /// The KeyObject itself.
    KeyObject,
    /// `{ key, padding: RSA_PKCS1_PSS_PADDING, saltLength }`, the salt as long as the hash.
    Pss,
    /// `{ key, dsaEncoding: 'ieee-p1363' }`: JWS signatures are r || s, not node's default DER.
    P1363,
}

/// How the platform verifies an algorithm in JS runtimes; [`super::webcrypto::describe`] turns
/// it into the JS objects shim.js passes on as they are. (Small enums rather than strings:
/// the table is in the wasm's data, and verify-only builds count every byte.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    /// WebCrypto's algorithm `name`, in `importKey` and `verify`.
    pub webcrypto: &'static str,
    /// `importKey`'s algorithm member besides `name`.
    pub import: WebCryptoParam,
    /// `verify`'s algorithm member besides `name`.
    pub verify: WebCryptoParam,
    /// Whether node:crypto's `verify` is given the row's hash as its digest (not for Ed25519,
    /// which fixes its own).
    pub node_digest: bool,
    /// What node:crypto's `verify` gets as its key.
    pub node_key: NodeKey,
}

/// Where an algorithm's signatures are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In Rust everywhere ([`super::hmac`]): synchronous, no platform call, nothing to import.
    Rust,
    /// By the platform in JS runtimes (WebCrypto; node:crypto in Node), and by
    /// [`super::native`] (RustCrypto) natively and in wasm builds with `pure-rust`.
    Platform(Platform),
}

/// One algorithm: everything the verifier needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgRow {
    /// The enum value (its discriminant is this row's index).
    pub alg: Alg,
    /// The canonical `alg` name.
    pub name: &'static str,
    /// Other names a header or JWK may use for it.
    pub aliases: &'static [&'static str],
    /// The key it needs.
    pub family: Family,
    /// Its hash (Ed25519 uses SHA-512 internally).
    pub hash: Hash,
    /// What its signatures look like.
    pub signature: SignatureShape,
    /// Where its signatures are checked.
    pub backend: Backend,
}

const fn hmac(alg: Alg, name: &'static str, aliases: &'static [&'static str], hash: Hash) -> AlgRow {
    let signature = SignatureShape::Bytes(hash.output_len());
    AlgRow { alg, name, aliases, family: Family::Hmac, hash, signature, backend: Backend::Rust }
}

const fn platform(
    alg: Alg,
    name: &'static str,
    aliases: &'static [&'static str],
    family: Family,
    hash: Hash,
    signature: SignatureShape,
    platform: Platform,
) -> AlgRow {
    AlgRow { alg, name, aliases, family, hash, signature, backend: Backend::Platform(platform) }
}

const fn rsa_pkcs1(alg: Alg, name: &'static str, aliases: &'static [&'static str], hash: Hash) -> AlgRow {
    let web = Platform {
        webcrypto: "RSASSA-PKCS1-v1_5",
        import: WebCryptoParam::Hash,
        verify: WebCryptoParam::None,
        node_digest: true,
        node_key: NodeKey::KeyObject,
    };
    platform(alg, name, aliases, Family::RsaPkcs1, hash, SignatureShape::RsaModulus, web)
}

const fn rsa_pss(alg: Alg, name: &'static str, aliases: &'static [&'static str], hash: Hash) -> AlgRow {
    // RFC 7518 3.5: MGF1 with the same hash, and the salt is as long as the hash.
    let web = Platform {
        webcrypto: "RSA-PSS",
        import: WebCryptoParam::Hash,
        verify: WebCryptoParam::SaltLength,
        node_digest: true,
        node_key: NodeKey::Pss,
    };
    platform(alg, name, aliases, Family::RsaPss, hash, SignatureShape::RsaModulus, web)
}

const fn ecdsa(alg: Alg, name: &'static str, aliases: &'static [&'static str], curve: Curve, hash: Hash) -> AlgRow {
    let web = Platform {
        webcrypto: "ECDSA",
        import: WebCryptoParam::NamedCurve,
        verify: WebCryptoParam::Hash,
        node_digest: true,
        node_key: NodeKey::P1363,
    };
    platform(alg, name, aliases, Family::Ecdsa(curve), hash, SignatureShape::EcdsaScalars(curve), web)
}

const fn ed25519(alg: Alg, name: &'static str, aliases: &'static [&'static str]) -> AlgRow {
    let web = Platform {
        webcrypto: "Ed25519",
        import: WebCryptoParam::None,
        verify: WebCryptoParam::None,
        node_digest: false,
        node_key: NodeKey::KeyObject,
    };
    platform(alg, name, aliases, Family::Ed25519, Hash::Sha512, SignatureShape::Bytes(64), web)
}

/// Declares [`Alg`], [`ALGORITHMS`], [`Alg::ALL`] and [`JWT_ALGORITHM_TS`] from one list, so
/// that they cannot disagree: `Variant = builder("NAME" | "ALIAS", builder arguments)`.
macro_rules! algorithms {
    ($($(#[doc = $doc:literal])* $variant:ident = $builder:ident($name:literal $(| $alias:literal)* $(, $arg:expr)*),)*) => {
        /// A signature algorithm (RFC 7518 section 3, RFC 8037, RFC 9864's "Ed25519"); its
        /// discriminant is its row's index in [`ALGORITHMS`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Alg {
            $($(#[doc = $doc])* $variant,)*
        }

        /// Every algorithm's row, in [`Alg`]'s order.
        pub static ALGORITHMS: [AlgRow; Alg::COUNT] = [
            $($builder(Alg::$variant, $name, &[$($alias),*] $(, $arg)*),)*
        ];

        impl Alg {
            /// How many algorithms there are.
            pub const COUNT: usize = [$(Alg::$variant),*].len();

            /// Every algorithm, in the order the docs list them.
            pub const ALL: [Alg; Alg::COUNT] = [$(Alg::$variant),*];
        }

        /// The TypeScript `JwtAlgorithm` union: every name and alias.
        pub const JWT_ALGORITHM_TS: &str = concat!(
            "\n/** A JWS algorithm name JwtVerifier knows. (\"Ed25519\" is RFC 9864's name for EdDSA.) */\n",
            "export type JwtAlgorithm =",
            $(" | \"", $name, "\"", $(" | \"", $alias, "\"",)*)*
            ";\n"
        );
    };
}

algorithms! {
    /// HMAC with SHA-256 (RFC 7518 3.2).
    Hs256 = hmac("HS256", Hash::Sha256),
    /// HMAC with SHA-384.
    Hs384 = hmac("HS384", Hash::Sha384),
    /// HMAC with SHA-512.
    Hs512 = hmac("HS512", Hash::Sha512),
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 3.3).
    Rs256 = rsa_pkcs1("RS256", Hash::Sha256),
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384 = rsa_pkcs1("RS384", Hash::Sha384),
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512 = rsa_pkcs1("RS512", Hash::Sha512),
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256, salt 32 bytes (RFC 7518 3.5).
    Ps256 = rsa_pss("PS256", Hash::Sha256),
    /// RSASSA-PSS with SHA-384.
    Ps384 = rsa_pss("PS384", Hash::Sha384),
    /// RSASSA-PSS with SHA-512.
    Ps512 = rsa_pss("PS512", Hash::Sha512),
    /// ECDSA on P-256 with SHA-256, signatures as r || s (RFC 7518 3.4).
    Es256 = ecdsa("ES256", Curve::P256, Hash::Sha256),
    /// ECDSA on P-384 with SHA-384.
    Es384 = ecdsa("ES384", Curve::P384, Hash::Sha384),
    /// ECDSA on P-521 with SHA-512.
    Es512 = ecdsa("ES512", Curve::P521, Hash::Sha512),
    /// Ed25519, named "EdDSA" (RFC 8037) or "Ed25519" (RFC 9864).
    EdDsa = ed25519("EdDSA" | "Ed25519"),
}

// Each row sits at its algorithm's index, so that `Alg::row` is one indexed load.
const _: () = {
    let mut i = 0;
    while i < ALGORITHMS.len() {
        assert!(ALGORITHMS[i].alg as usize == i);
        i += 1;
    }
};

const P256_ORDER: [u8; 32] = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P384_ORDER: [u8; 48] =
    hex48("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973");
const P521_ORDER: [u8; 66] = hex66(
    "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
);

const fn hex_digit(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a lowercase hex digit"),
    }
}

macro_rules! hex_fn {
    ($name:ident, $n:literal) => {
        const fn $name(hex: &str) -> [u8; $n] {
            let bytes = hex.as_bytes();
            assert!(bytes.len() == 2 * $n);
            let mut out = [0u8; $n];
            let mut i = 0;
            while i < $n {
                out[i] = hex_digit(bytes[2 * i]) * 16 + hex_digit(bytes[2 * i + 1]);
                i += 1;
            }
            out
        }
    };
}
hex_fn!(hex32, 32);
hex_fn!(hex48, 48);
hex_fn!(hex66, 66);

impl Curve {
    /// Every curve.
    pub const ALL: [Curve; 3] = [Curve::P256, Curve::P384, Curve::P521];

    /// The JWK `crv` name (and WebCrypto's `namedCurve`).
    pub const fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// Bytes of one coordinate (and of r and s in a signature).
    pub const fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The order n of its group, big-endian, as long as a coordinate: ECDSA's r and s lie in
    /// [1, n-1] ([`super::signature::check_shape`]).
    pub fn order(self) -> &'static [u8] {
        match self {
            Curve::P256 => &P256_ORDER,
            Curve::P384 => &P384_ORDER,
            Curve::P521 => &P521_ORDER,
        }
    }

    /// The DER contents of its namedCurve OID (RFC 5480 2.1.1.1), for PEM public keys.
    pub const fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            Curve::P384 => &[0x2b, 0x81, 0x04, 0x00, 0x22],
            Curve::P521 => &[0x2b, 0x81, 0x04, 0x00, 0x23],
        }
    }

    /// From a JWK `crv`.
    pub fn from_name(name: &str) -> Option<Curve> {
        Curve::ALL.into_iter().find(|curve| curve.name() == name)
    }

    /// From a namedCurve OID's DER contents.
    pub fn from_oid(oid: &[u8]) -> Option<Curve> {
        Curve::ALL.into_iter().find(|curve| curve.oid() == oid)
    }
}

impl Alg {
    /// Its row in [`ALGORITHMS`].
    pub fn row(self) -> &'static AlgRow {
        &ALGORITHMS[self as usize]
    }

    /// Its index in [`Alg::ALL`] and [`ALGORITHMS`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// From a JWS `alg` header value: a row's name or alias. `none` and unknown names are
    /// `None`. (A scan of 13 short strings: no hashing, no allocation.)
    pub fn from_name(name: &str) -> Option<Alg> {
        ALGORITHMS.iter().find(|row| row.name == name || row.aliases.contains(&name)).map(|row| row.alg)
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// What kind of key it needs.
    pub fn family(self) -> Family {
        self.row().family
    }

    /// Its hash (Ed25519 uses SHA-512 internally).
    pub fn hash(self) -> Hash {
        self.row().hash
    }
}

impl Hash {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// The WebCrypto name.
    pub const fn webcrypto_name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }

    /// node:crypto's (OpenSSL's) name.
    pub const fn node_name(self) -> &'static str {
        match self {
            Hash::Sha256 => "sha256",
            Hash::Sha384 => "sha384",
            Hash::Sha512 => "sha512",
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
        for unknown in ["none", "None", "NONE", "hs256", "ES256K", "", "RS1", "EdDSA ", "P-256"] {
            assert_eq!(Alg::from_name(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn every_row_round_trips_its_names_and_sits_at_its_index() {
        assert_eq!(ALGORITHMS.len(), Alg::ALL.len());
        for (i, (row, alg)) in ALGORITHMS.iter().zip(Alg::ALL).enumerate() {
            assert_eq!(row.alg, alg);
            assert_eq!(alg.index(), i);
            assert_eq!(alg.row(), row);
            assert_eq!(Alg::from_name(row.name), Some(alg));
            for alias in row.aliases {
                assert_eq!(Alg::from_name(alias), Some(alg), "{alias}");
            }
        }
        let mut names: Vec<&str> =
            ALGORITHMS.iter().flat_map(|r| std::iter::once(r.name).chain(r.aliases.iter().copied())).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name or alias appears twice");
    }

    #[test]
    fn rows_agree_with_their_families() {
        for row in &ALGORITHMS {
            match (row.family, row.signature, row.backend) {
                (Family::Hmac, SignatureShape::Bytes(n), Backend::Rust) => assert_eq!(n, row.hash.output_len()),
                (Family::RsaPkcs1 | Family::RsaPss, SignatureShape::RsaModulus, Backend::Platform(_)) => {}
                (Family::Ecdsa(a), SignatureShape::EcdsaScalars(b), Backend::Platform(p)) => {
                    assert_eq!(a, b);
                    assert_eq!(p.import, WebCryptoParam::NamedCurve);
                }
                (Family::Ed25519, SignatureShape::Bytes(64), Backend::Platform(_)) => {}
                other => panic!("{}: {other:?}", row.name),
            }
        }
        assert_eq!(Alg::Ps384.hash(), Hash::Sha384);
        assert_eq!(Alg::Es512.family(), Family::Ecdsa(Curve::P521));
        assert_eq!(Alg::EdDsa.hash(), Hash::Sha512);
    }

    #[test]
    fn curves_round_trip_their_names_and_oids() {
        for curve in Curve::ALL {
            assert_eq!(Curve::from_name(curve.name()), Some(curve));
            assert_eq!(Curve::from_oid(curve.oid()), Some(curve));
            assert_eq!(curve.order().len(), curve.coordinate_len());
        }
        assert_eq!(Curve::from_name("secp256k1"), None);
        assert_eq!(Curve::from_oid(&[0x2b, 0x81, 0x04, 0x00, 0x0a]), None);
    }

    #[test]
    fn the_typescript_union_lists_every_name() {
        let expected: String = ALGORITHMS
            .iter()
            .flat_map(|r| std::iter::once(r.name).chain(r.aliases.iter().copied()))
            .map(|name| format!(" | \"{name}\""))
            .collect();
        assert!(JWT_ALGORITHM_TS.contains(&format!("export type JwtAlgorithm ={expected};\n")), "{JWT_ALGORITHM_TS}");
    }
}
