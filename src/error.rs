//! The one error type of the core, with the stable codes that JavaScript sees as `.code`.

use core::fmt;

/// Everything that can go wrong in wasm-auth.
///
/// Each variant has a stable [`code`](Error::code) (`ERR_...`) that the JS layer puts on the
/// thrown `Error` as `.code`. Messages never contain secrets or the input that was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The platform offers no secure random source (no `crypto.getRandomValues`).
    CryptoUnavailable,
    /// A PKCE `code_verifier` that RFC 7636 section 4.1 does not allow.
    InvalidCodeVerifier {
        /// What is wrong with it, without repeating the value.
        reason: &'static str,
    },
    /// A value could not be handed to JavaScript; a bug in wasm-auth, never caused by input.
    Internal(&'static str),
}

impl Error {
    /// Every code [`Error::code`] can return, for documentation and the TypeScript union.
    pub const CODES: &'static [&'static str] = &[
        "ERR_AUTH_CRYPTO_UNAVAILABLE",
        "ERR_OAUTH_INVALID_CODE_VERIFIER",
        "ERR_INTERNAL",
    ];

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::CryptoUnavailable => "ERR_AUTH_CRYPTO_UNAVAILABLE",
            Error::InvalidCodeVerifier { .. } => "ERR_OAUTH_INVALID_CODE_VERIFIER",
            Error::Internal(_) => "ERR_INTERNAL",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::CryptoUnavailable => {
                f.write_str("no secure random source: crypto.getRandomValues is unavailable")
            }
            Error::InvalidCodeVerifier { reason } => write!(f, "invalid PKCE code_verifier: {reason}"),
            Error::Internal(what) => write!(f, "internal error in wasm-auth: {what}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_and_distinct() {
        let samples = [
            Error::CryptoUnavailable,
            Error::InvalidCodeVerifier { reason: "x" },
            Error::Internal("x"),
        ];
        let codes: Vec<_> = samples.iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }
}
