//! PKCE (RFC 7636), always with the S256 method: never `plain`, never skipped.
//!
//! The verifier is 32 bytes from the platform's secure random source (on the web,
//! `crypto.getRandomValues` through getrandom), base64url-encoded to 43 characters.

use crate::jose::jws::b64_encode;
use core::fmt;
use sha2::{Digest, Sha256};

use crate::Error;

/// The only `code_challenge_method` wasm-auth sends.
pub const METHOD_S256: &str = "S256";

/// Random bytes behind a generated verifier: 32 bytes give the 256 bits RFC 7636 section 7.1
/// recommends, and 43 base64url characters, the shortest verifier the RFC allows.
const VERIFIER_ENTROPY_BYTES: usize = 32;
const VERIFIER_MIN_LEN: usize = 43;
const VERIFIER_MAX_LEN: usize = 128;

/// A PKCE `code_verifier`: a one-use secret.
///
/// Deliberately not `Clone`, so that a verifier is not reused by accident, and its `Debug`
/// prints `[redacted]`.
pub struct CodeVerifier(String);

impl CodeVerifier {
    /// A fresh verifier from the platform's secure random source.
    pub fn generate() -> Result<Self, Error> {
        let mut entropy = [0u8; VERIFIER_ENTROPY_BYTES];
        getrandom::fill(&mut entropy).map_err(|_| Error::CryptoUnavailable)?;
        Ok(Self::from_entropy(&entropy))
    }

    /// The verifier that encodes these random bytes (RFC 7636 appendix B's construction).
    pub fn from_entropy(entropy: &[u8; VERIFIER_ENTROPY_BYTES]) -> Self {
        CodeVerifier(b64_encode(entropy))
    }

    /// Adopts an existing verifier, checking RFC 7636 section 4.1: 43 to 128 characters from
    /// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
    pub fn parse(verifier: &str) -> Result<Self, Error> {
        if verifier.len() < VERIFIER_MIN_LEN {
            return Err(Error::InvalidCodeVerifier { reason: "shorter than 43 characters" });
        }
        if verifier.len() > VERIFIER_MAX_LEN {
            return Err(Error::InvalidCodeVerifier { reason: "longer than 128 characters" });
        }
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if !verifier.bytes().all(unreserved) {
            return Err(Error::InvalidCodeVerifier { reason: "contains a character outside A-Z a-z 0-9 - . _ ~" });
        }
        Ok(CodeVerifier(verifier.to_owned()))
    }

    /// The secret value, for the token request's `code_verifier` parameter.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The S256 challenge: `BASE64URL(SHA256(ASCII(code_verifier)))`.
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge(b64_encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

/// A PKCE `code_challenge` (S256). Public by design: it goes in the authorization URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The base64url challenge, for the `code_challenge` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 appendix B.
    const RFC_ENTROPY: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191,
        240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_verifier_from_entropy() {
        assert_eq!(CodeVerifier::from_entropy(&RFC_ENTROPY).secret(), RFC_VERIFIER);
    }

    #[test]
    fn rfc7636_appendix_b_challenge() {
        let verifier = CodeVerifier::parse(RFC_VERIFIER).expect("the RFC's verifier is valid");
        assert_eq!(verifier.challenge().as_str(), RFC_CHALLENGE);
    }

    #[test]
    fn generated_verifiers_are_43_unreserved_chars_and_differ() {
        let a = CodeVerifier::generate().expect("native random source");
        let b = CodeVerifier::generate().expect("native random source");
        assert_eq!(a.secret().len(), 43);
        assert!(CodeVerifier::parse(a.secret()).is_ok());
        assert_ne!(a.secret(), b.secret());
        assert_ne!(a.challenge(), b.challenge());
    }

    #[test]
    fn parse_enforces_length_bounds() {
        assert!(CodeVerifier::parse(&"a".repeat(43)).is_ok());
        assert!(CodeVerifier::parse(&"a".repeat(128)).is_ok());
        for bad in ["", &"a".repeat(42), &"a".repeat(129)] {
            let err = CodeVerifier::parse(bad).expect_err("out of bounds");
            assert_eq!(err.code(), "ERR_OAUTH_INVALID_CODE_VERIFIER");
        }
    }

    #[test]
    fn parse_rejects_reserved_and_non_ascii_characters() {
        let base = "a".repeat(42);
        for c in ["+", "/", "=", " ", "%", "é", "\0"] {
            let err = CodeVerifier::parse(&format!("{base}{c}")).expect_err(c);
            assert_eq!(err.code(), "ERR_OAUTH_INVALID_CODE_VERIFIER");
        }
        assert!(CodeVerifier::parse(&format!("{base}-._~")).is_ok());
    }

    #[test]
    fn debug_never_shows_the_verifier() {
        let verifier = CodeVerifier::parse(RFC_VERIFIER).expect("valid");
        let shown = format!("{verifier:?}");
        assert!(!shown.contains(RFC_VERIFIER));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn error_message_does_not_echo_the_rejected_value() {
        let secretish = format!("{}!", "s3cr3t".repeat(8));
        let err = CodeVerifier::parse(&secretish).expect_err("has '!'");
        assert!(!err.to_string().contains("s3cr3t"));
    }
}
