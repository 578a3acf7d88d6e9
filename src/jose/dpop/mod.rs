//! DPoP (RFC 9449) at a resource server: checking a proof JWT against the request it came
//! with, and the access token it binds. Pure Rust, in steps, so that each platform checks the
//! signature its own way:
//!
//! 1. [`check`]: everything but the signature (RFC 9449 section 4.3's list: structure, `typ`,
//!    `alg`, a public `jwk`, `htm`, `htu`, `iat`, `jti`, `ath`, `nonce`). It answers an
//!    [`Unverified`] proof, which says what to verify ([`Unverified::alg`], [`Unverified::key`],
//!    [`Unverified::message`], [`Unverified::signature`]).
//! 2. The caller verifies that signature: in wasm through WebCrypto / node:crypto, as
//!    `JwtVerifier` does with tokens; natively with [`crate::jose::native`].
//! 3. [`Unverified::finish`] with the outcome gives the [`Proof`]: the key's thumbprint `jkt`
//!    (to compare with the token's `cnf.jkt`, [`binding`]), `jti` and `iat` (for the replay
//!    check, [`replay`]). A bad signature is reported before any claim error, so nothing about
//!    the claims leaks to whoever cannot sign.
//!
//! Native callers (the reference server) have all three in [`verify`].
//!
//! Every refusal is `ERR_DPOP_INVALID_PROOF`, except a missing or unknown nonce
//! (`ERR_DPOP_NONCE_REQUIRED`: the client retries with the nonce the server sends), a replayed
//! proof (`ERR_DPOP_REPLAY`) and a token that is not bound to the proof's key
//! (`ERR_DPOP_BINDING_MISMATCH`). Messages name the check that failed, never the proof or token.

pub mod binding;
pub mod claims;
pub mod header;
pub mod htu;
pub mod nonce;
pub mod replay;
pub mod scheme;

use crate::Error;
use crate::jose::alg::Alg;
use crate::jose::jwk::Jwk;

pub use self::binding::{Binding, access_token_hash};
pub use self::claims::ProofClaims;
pub use self::scheme::{Mode, Presented};

/// The refusal of a proof, for a reason that names the failed check.
pub(crate) fn invalid(why: &'static str) -> Error {
    Error::DpopInvalidProof(why)
}

/// The asymmetric algorithms a proof may use unless the caller narrows them (the default of
/// [`ProofPolicy::algorithms`]): every one the verifier knows (RFC 9449 section 4.3 step 5: never `none`, never a MAC).
pub const PROOF_ALGORITHMS: [Alg; 10] = [
    Alg::Es256,
    Alg::Es384,
    Alg::Es512,
    Alg::Rs256,
    Alg::Rs384,
    Alg::Rs512,
    Alg::Ps256,
    Alg::Ps384,
    Alg::Ps512,
    Alg::EdDsa,
];

/// How proofs are judged: the same for every request of a verifier.
#[derive(Debug, Clone)]
pub struct ProofPolicy {
    /// Accepted algorithms: [`PROOF_ALGORITHMS`] by default. Empty accepts none (an empty
    /// option never weakens a check). MAC algorithms are refused whatever this holds.
    pub algorithms: Vec<Alg>,
    /// Oldest `iat` accepted, in seconds before now (RFC 9449 section 11.1 leaves the window to
    /// the server; 300 s by default, as oauth4webapi and most servers use). At most
    /// [`MAX_AGE_LIMIT`] through the options ([`max_age_seconds`]).
    pub max_age_seconds: u64,
    /// Seconds an `iat` may lie in the future (clock skew): 5 by default, at most
    /// [`CLOCK_TOLERANCE_LIMIT`] through the options ([`clock_tolerance_seconds`]).
    pub leeway_seconds: u64,
    /// The trusted public origins of the resource (`dpopOrigin`): when not empty, `htu` is
    /// compared with the request's path under one of these instead of the request URL's own
    /// origin, which on a Node server comes from the client's `Host` header. Each one is
    /// normalised (see [`origins`]).
    pub origins: Vec<String>,
    /// Longest proof accepted, in bytes (8 KiB: an RSA-4096 proof is under 2 KiB).
    pub max_proof_bytes: usize,
    /// Longest `jti` accepted, in bytes (the replay store keeps a hash of it, never it).
    pub max_jti_bytes: usize,
}

impl Default for ProofPolicy {
    fn default() -> Self {
        ProofPolicy {
            algorithms: PROOF_ALGORITHMS.to_vec(),
            max_age_seconds: 300,
            leeway_seconds: 5,
            max_proof_bytes: 8 * 1024,
            max_jti_bytes: 256,
            origins: Vec::new(),
        }
    }
}

/// Largest `dpopMaxAgeSeconds`: an hour. The replay check must remember a proof that long, and
/// a proof that may be an hour old is no longer a proof of possession now.
pub const MAX_AGE_LIMIT: u64 = 3600;
/// Largest `dpopClockToleranceSeconds`: five minutes of clock skew.
pub const CLOCK_TOLERANCE_LIMIT: u64 = 300;

/// What `dpopMaxAgeSeconds` must be (the options layer says it of a value of the wrong kind).
pub const MAX_AGE_WORDS: &str = "a number of seconds, from 1 to 3600";
/// What `dpopClockToleranceSeconds` must be.
pub const CLOCK_TOLERANCE_WORDS: &str = "a number of seconds, from 0 to 300";
/// What `dpopOrigin` must be.
pub const ORIGIN_WORDS: &str = "an http(s) origin (https://api.example.com) or a non-empty array of them";

/// An `InvalidOptions` error: "`name` must be `words`".
fn must_be(name: &str, words: &str) -> Error {
    let mut message = String::from(name);
    message.push_str(" must be ");
    message.push_str(words);
    Error::InvalidOptions(message)
}

/// `dpopMaxAgeSeconds`: from 1 to [`MAX_AGE_LIMIT`], a fraction rounded down. 0 is refused: it
/// would refuse every proof not signed in the very second it arrives (any network delay), and
/// a larger bound would make the replay cache remember proofs for longer than it can.
pub fn max_age_seconds(value: Option<f64>) -> Result<u64, Error> {
    match value {
        Some(n) if n >= 1.0 && n <= MAX_AGE_LIMIT as f64 => Ok(n as u64),
        _ => Err(must_be("dpopMaxAgeSeconds", MAX_AGE_WORDS)),
    }
}

/// `dpopClockToleranceSeconds`: from 0 (no `iat` in the future at all: the strictest) to
/// [`CLOCK_TOLERANCE_LIMIT`], a fraction rounded down.
pub fn clock_tolerance_seconds(value: Option<f64>) -> Result<u64, Error> {
    match value {
        Some(n) if n >= 0.0 && n <= CLOCK_TOLERANCE_LIMIT as f64 => Ok(n as u64),
        _ => Err(must_be("dpopClockToleranceSeconds", CLOCK_TOLERANCE_WORDS)),
    }
}

/// `dpopOrigin`'s origins, normalised as `htu` is compared: each an `http(s)://host[:port]`
/// without path (a `/` alone is allowed), query, fragment or user information; at least one.
pub fn origins(given: Vec<String>) -> Result<Vec<String>, Error> {
    let bad = || must_be("dpopOrigin", ORIGIN_WORDS);
    if given.is_empty() {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(given.len());
    for origin in given {
        let normal = htu::normalize(&origin).map_err(|_| bad())?;
        // Normalised, an origin has `/` as its whole path, and the input no query or fragment.
        let Some(bare) = normal.strip_suffix('/') else { return Err(bad()) };
        if bare.bytes().filter(|b| *b == b'/').count() != 2 || origin.bytes().any(|b| b == b'?' || b == b'#') {
            return Err(bad());
        }
        out.push(bare.to_owned());
    }
    Ok(out)
}
impl ProofPolicy {
    /// The accepted algorithms' names, space-separated, for the `algs` of a `WWW-Authenticate:
    /// DPoP` challenge (RFC 9449 section 7.1).
    pub fn algs(&self) -> String {
        let mut out = String::new();
        for alg in self.algorithms.iter().filter(|alg| PROOF_ALGORITHMS.contains(alg)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(alg.name());
        }
        out
    }
}

/// The request a proof must match.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The HTTP method, as the request has it (`GET`): compared exactly with `htm`.
    pub method: &'a str,
    /// The request's absolute URL; its query and fragment are not compared.
    pub url: &'a str,
    /// The access token sent with the proof (resource requests): its hash must be the proof's
    /// `ath`. `None` at a token endpoint, where there is none yet.
    pub access_token: Option<&'a str>,
    /// The nonces the server accepts now, when it uses nonces (RFC 9449 section 9): the proof's
    /// `nonce` must be one of them, else `ERR_DPOP_NONCE_REQUIRED`. `None`: no nonce needed
    /// (one in the proof is then ignored).
    pub nonces: Option<&'a [String]>,
    /// Now, in Unix seconds.
    pub now: i64,
}

/// A proof whose checks passed, but whose signature is not verified yet.
pub struct Unverified<'p> {
    parsed: header::ParsedProof<'p>,
    /// The claims' verdict, released by [`Unverified::finish`] only after the signature's.
    claims: Result<ProofClaims, Error>,
}

/// A verified proof: what the caller needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 thumbprint of the proof's key: the access token's `cnf.jkt` must be this.
    pub jkt: String,
    /// `jti`: the replay check remembers ([`replay::proof_id`]) the key and this.
    pub jti: String,
    /// `iat`, Unix seconds (rounded down): the replay check forgets the proof after its window.
    pub iat: i64,
}

/// Checks `proof` (the `DPoP` header's value) against `request`, all but its signature.
/// Errors about the proof's structure and header come at once; the claims' verdict waits in the
/// [`Unverified`] until [`Unverified::finish`] has the signature's.
pub fn check<'p>(proof: &'p str, request: &ProofRequest<'_>, policy: &ProofPolicy) -> Result<Unverified<'p>, Error> {
    let parsed = header::parse(proof, &policy.algorithms, policy.max_proof_bytes).map_err(invalid)?;
    let claims = claims::check(&parsed.payload, request, policy);
    Ok(Unverified { parsed, claims })
}

impl Unverified<'_> {
    /// The algorithm to verify the signature with.
    pub fn alg(&self) -> Alg {
        self.parsed.alg
    }

    /// The public key from the proof's header (checked: public, valid, fits [`Self::alg`]).
    pub fn key(&self) -> &Jwk {
        &self.parsed.key
    }

    /// The signed bytes.
    pub fn message(&self) -> &[u8] {
        self.parsed.signing_input.as_bytes()
    }

    /// The signature (its shape already checked for the algorithm and key).
    pub fn signature(&self) -> &[u8] {
        &self.parsed.signature
    }

    /// The key's RFC 7638 thumbprint (known before the signature is checked, so the access
    /// token's binding can be checked alongside; trust it only once `finish` succeeded).
    pub fn jkt(&self) -> &str {
        &self.parsed.jkt
    }

    /// The proof, once `signature_valid` says whether its signature verified: a bad signature
    /// first, then the claims' verdict.
    pub fn finish(self, signature_valid: bool) -> Result<Proof, Error> {
        if !signature_valid {
            return Err(invalid("the DPoP proof signature is not valid"));
        }
        let ProofClaims { jti, iat } = self.claims?;
        Ok(Proof { jkt: self.parsed.jkt, jti, iat })
    }
}

/// [`check`], the signature with RustCrypto, and [`Unverified::finish`], in one synchronous
/// call: for native servers. The replay check and the token's binding remain the caller's
/// ([`replay`], [`binding::check`]).
#[cfg(any(not(target_arch = "wasm32"), feature = "pure-rust"))]
pub fn verify(proof: &str, request: &ProofRequest<'_>, policy: &ProofPolicy) -> Result<Proof, Error> {
    let unverified = check(proof, request, policy)?;
    let valid =
        crate::jose::native::verify(unverified.alg(), unverified.key(), unverified.message(), unverified.signature())
            .is_ok();
    unverified.finish(valid)
}

// Signed with RustCrypto and checked with `verify`: native only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
