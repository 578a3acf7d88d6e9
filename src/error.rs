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
    /// A JWS that is not well formed (compact serialization, base64url, header JSON).
    JwsInvalid(String),
    /// A JWT whose claims set is not a JSON object, or that uses a JWS feature JWTs forbid.
    JwtInvalid(String),
    /// The signature does not verify with the selected key.
    SignatureVerificationFailed,
    /// `exp` has passed (or `iat` is older than `maxTokenAge`).
    JwtExpired {
        /// `exp`, or `iat` for maxTokenAge.
        claim: &'static str,
    },
    /// A claim failed a check: `reason` is `missing`, `invalid` (wrong JSON type) or
    /// `check_failed`, as jose names them.
    ClaimValidationFailed {
        /// The claim (or `typ` for the header's typ).
        claim: String,
        /// `missing`, `invalid` or `check_failed`.
        reason: &'static str,
        /// Human-readable detail.
        message: String,
    },
    /// The token's `alg` is not allowed by the options or by the key.
    AlgNotAllowed(String),
    /// A feature wasm-auth does not implement (an unknown `crit` extension, an unknown curve).
    NotSupported(String),
    /// A JWK that cannot be used for verification.
    JwkInvalid(String),
    /// A JWKS document that is not a JWK Set.
    JwksInvalid(String),
    /// No key of the key set matches the token's `kid` and `alg`.
    JwksNoMatchingKey,
    /// The remote JWKS did not answer within the timeout.
    JwksTimeout,
    /// The remote JWKS could not be fetched (network error).
    JwksFetchFailed(String),
    /// The remote JWKS answer is larger than the verifier accepts (`jwksMaxBytes`).
    JwksTooLarge {
        /// The limit, in bytes.
        max_bytes: u64,
    },
    /// A request carried no credentials (verifyRequest).
    NotAuthenticated,
    /// An API key that is not one of the configured ones (verifyRequest).
    InvalidApiKey,
    /// Valid credentials without a required scope (verifyRequest).
    InsufficientScope(String),
    /// Options given to a constructor or function that cannot work (a programming error).
    InvalidOptions(String),
    /// Wrong email or password (login), or a refused grant of the login kind.
    InvalidCredentials,
    /// The refresh token was refused (expired, revoked, reused): the user must log in again.
    SessionExpired,
    /// The server answered 429; `retry_after` is its Retry-After in seconds, when given.
    RateLimited {
        /// Seconds to wait, from the Retry-After header.
        retry_after: Option<u64>,
    },
    /// The server answered an unexpected HTTP status; `error` and `description` are its
    /// RFC 6749 `error` and `error_description`, when the body had them.
    Http {
        /// The HTTP status.
        status: u16,
        /// The server's error code (`invalid_request`, ...).
        error: Option<String>,
        /// The server's description, control characters removed, at most 200 characters.
        description: Option<String>,
    },
    /// The request did not reach the server or got no answer (offline, DNS, CORS, reset).
    Network(String),
    /// The server answered 2xx with a body that is not what the API defines.
    InvalidResponse(String),
    /// `fetch` was asked to send a token to an origin it was not configured for.
    UntrustedOrigin(String),
    /// The browser did not keep the session cookie (third-party cookies blocked, or the page
    /// and the API are on different sites without CORS credentials).
    CookiesBlocked,
    /// The object was disposed of (`dispose()`); make a new one.
    Disposed,
    /// The OAuth callback's `state` is not the one this tab sent (a forged or crossed callback).
    StateMismatch,
    /// No OAuth flow is in progress in this tab (already handled, or never started here).
    TransactionMissing,
    /// The OAuth flow started more than 10 minutes ago.
    TransactionExpired,
    /// The authorization server sent the user back with an error (`access_denied`, ...).
    CallbackError {
        /// RFC 6749 `error`.
        error: String,
        /// `error_description`.
        description: Option<String>,
    },
    /// The token endpoint refused a request with an OAuth error (`invalid_grant`, `invalid_client`, ...).
    OAuth {
        /// The HTTP status.
        status: u16,
        /// RFC 6749 5.2 `error`.
        error: String,
        /// `error_description`.
        description: Option<String>,
    },
    /// A response or document names another issuer than the one configured (mix-up attack).
    IssuerMismatch(String),
    /// A client secret in a browser page: confidential clients belong on servers and workers.
    SecretInBrowser,
    /// A value could not be handed to JavaScript; a bug in wasm-auth, never caused by input.
    Internal(&'static str),
}

impl Error {
    /// Every code [`Error::code`] can return, for documentation and the TypeScript union.
    pub const CODES: &'static [&'static str] = &[
        "ERR_AUTH_CRYPTO_UNAVAILABLE",
        "ERR_OAUTH_INVALID_CODE_VERIFIER",
        "ERR_JWS_INVALID",
        "ERR_JWT_INVALID",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWT_EXPIRED",
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
        "ERR_JOSE_ALG_NOT_ALLOWED",
        "ERR_JOSE_NOT_SUPPORTED",
        "ERR_JWK_INVALID",
        "ERR_JWKS_INVALID",
        "ERR_JWKS_NO_MATCHING_KEY",
        "ERR_JWKS_TIMEOUT",
        "ERR_JWKS_FETCH_FAILED",
        "ERR_JWKS_TOO_LARGE",
        "ERR_AUTH_NOT_AUTHENTICATED",
        "ERR_AUTH_INVALID_API_KEY",
        "ERR_AUTH_INSUFFICIENT_SCOPE",
        "ERR_AUTH_INVALID_OPTIONS",
        "ERR_AUTH_INVALID_CREDENTIALS",
        "ERR_AUTH_SESSION_EXPIRED",
        "ERR_AUTH_RATE_LIMITED",
        "ERR_AUTH_HTTP",
        "ERR_AUTH_NETWORK",
        "ERR_AUTH_INVALID_RESPONSE",
        "ERR_AUTH_UNTRUSTED_ORIGIN",
        "ERR_AUTH_COOKIES_BLOCKED",
        "ERR_AUTH_DISPOSED",
        "ERR_OAUTH_STATE_MISMATCH",
        "ERR_OAUTH_TRANSACTION_MISSING",
        "ERR_OAUTH_TRANSACTION_EXPIRED",
        "ERR_OAUTH_CALLBACK_ERROR",
        "ERR_OAUTH_TOKEN_ERROR",
        "ERR_OAUTH_ISSUER_MISMATCH",
        "ERR_OAUTH_SECRET_IN_BROWSER",
        "ERR_INTERNAL",
    ];

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::CryptoUnavailable => "ERR_AUTH_CRYPTO_UNAVAILABLE",
            Error::InvalidCodeVerifier { .. } => "ERR_OAUTH_INVALID_CODE_VERIFIER",
            Error::JwsInvalid(_) => "ERR_JWS_INVALID",
            Error::JwtInvalid(_) => "ERR_JWT_INVALID",
            Error::SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Error::JwtExpired { .. } => "ERR_JWT_EXPIRED",
            Error::ClaimValidationFailed { .. } => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Error::AlgNotAllowed(_) => "ERR_JOSE_ALG_NOT_ALLOWED",
            Error::NotSupported(_) => "ERR_JOSE_NOT_SUPPORTED",
            Error::JwkInvalid(_) => "ERR_JWK_INVALID",
            Error::JwksInvalid(_) => "ERR_JWKS_INVALID",
            Error::JwksNoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            Error::JwksTimeout => "ERR_JWKS_TIMEOUT",
            Error::JwksFetchFailed(_) => "ERR_JWKS_FETCH_FAILED",
            Error::JwksTooLarge { .. } => "ERR_JWKS_TOO_LARGE",
            Error::NotAuthenticated => "ERR_AUTH_NOT_AUTHENTICATED",
            Error::InvalidApiKey => "ERR_AUTH_INVALID_API_KEY",
            Error::InsufficientScope(_) => "ERR_AUTH_INSUFFICIENT_SCOPE",
            Error::InvalidOptions(_) => "ERR_AUTH_INVALID_OPTIONS",
            Error::InvalidCredentials => "ERR_AUTH_INVALID_CREDENTIALS",
            Error::SessionExpired => "ERR_AUTH_SESSION_EXPIRED",
            Error::RateLimited { .. } => "ERR_AUTH_RATE_LIMITED",
            Error::Http { .. } => "ERR_AUTH_HTTP",
            Error::Network(_) => "ERR_AUTH_NETWORK",
            Error::InvalidResponse(_) => "ERR_AUTH_INVALID_RESPONSE",
            Error::UntrustedOrigin(_) => "ERR_AUTH_UNTRUSTED_ORIGIN",
            Error::CookiesBlocked => "ERR_AUTH_COOKIES_BLOCKED",
            Error::Disposed => "ERR_AUTH_DISPOSED",
            Error::StateMismatch => "ERR_OAUTH_STATE_MISMATCH",
            Error::TransactionMissing => "ERR_OAUTH_TRANSACTION_MISSING",
            Error::TransactionExpired => "ERR_OAUTH_TRANSACTION_EXPIRED",
            Error::CallbackError { .. } => "ERR_OAUTH_CALLBACK_ERROR",
            Error::OAuth { .. } => "ERR_OAUTH_TOKEN_ERROR",
            Error::IssuerMismatch(_) => "ERR_OAUTH_ISSUER_MISMATCH",
            Error::SecretInBrowser => "ERR_OAUTH_SECRET_IN_BROWSER",
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
            Error::JwsInvalid(why) => write!(f, "invalid JWS: {why}"),
            Error::JwtInvalid(why) => write!(f, "invalid JWT: {why}"),
            Error::SignatureVerificationFailed => f.write_str("signature verification failed"),
            Error::JwtExpired { claim: "exp" } => f.write_str("\"exp\" claim timestamp check failed: the token has expired"),
            Error::JwtExpired { claim } => write!(f, "\"{claim}\" claim timestamp check failed: the token is older than maxTokenAge"),
            Error::ClaimValidationFailed { message, .. } => f.write_str(message),
            Error::AlgNotAllowed(alg) => write!(f, "algorithm {alg:?} is not allowed"),
            Error::NotSupported(what) => write!(f, "not supported: {what}"),
            Error::JwkInvalid(why) => write!(f, "invalid JWK: {why}"),
            Error::JwksInvalid(why) => write!(f, "invalid JWKS: {why}"),
            Error::JwksNoMatchingKey => f.write_str("no key in the key set matches the token's kid and alg"),
            Error::JwksTimeout => f.write_str("the JWKS URI did not answer in time"),
            Error::JwksFetchFailed(why) => write!(f, "the JWKS could not be fetched: {why}"),
            Error::JwksTooLarge { max_bytes } => {
                write!(f, "the JWKS URI answered more than {max_bytes} bytes (jwksMaxBytes)")
            }
            Error::NotAuthenticated => f.write_str("authentication required: no Bearer token or API key in the request"),
            Error::InvalidApiKey => f.write_str("the API key is not valid"),
            Error::InsufficientScope(scope) => write!(f, "the credentials lack the scope {scope}"),
            Error::InvalidOptions(why) => write!(f, "invalid options: {why}"),
            Error::InvalidCredentials => f.write_str("the email or password is not correct"),
            Error::SessionExpired => f.write_str("the session has expired or was revoked: log in again"),
            Error::RateLimited { retry_after: Some(s) } => write!(f, "too many requests: retry in {s} s"),
            Error::RateLimited { retry_after: None } => f.write_str("too many requests: retry later"),
            // The server's error and description are the server's words (or an attacker's):
            // they go on `.error` and `.description`, never into the message.
            Error::Http { status, .. } => write!(f, "the server answered HTTP {status}"),
            Error::Network(why) => write!(f, "the server could not be reached: {why}"),
            Error::InvalidResponse(why) => write!(f, "the server's answer is not valid: {why}"),
            Error::UntrustedOrigin(origin) => write!(f, "no token is sent to {origin}: add it to allowedOrigins to trust it"),
            Error::CookiesBlocked => f.write_str("the browser did not keep the session cookie: cookies are blocked for this site, or the API is cross-site"),
            Error::Disposed => f.write_str("this object was disposed of"),
            Error::StateMismatch => f.write_str("the OAuth callback's state does not match the one this tab sent"),
            Error::TransactionMissing => f.write_str("no OAuth sign-in is in progress in this tab (it was already handled, or started elsewhere)"),
            Error::TransactionExpired => f.write_str("the OAuth sign-in started more than 10 minutes ago: start it again"),
            Error::CallbackError { .. } => f.write_str("the authorization server refused the sign-in (its reason is in .error and .description)"),
            Error::OAuth { status, .. } => write!(f, "the token endpoint refused the request with HTTP {status} (its reason is in .error and .description)"),
            Error::IssuerMismatch(why) => write!(f, "issuer mismatch: {why}"),
            Error::SecretInBrowser => f.write_str("client secrets do not belong in browser pages: use ClientCredentials on a server or worker, and OAuthClient (PKCE) in the browser"),
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
            Error::JwsInvalid("x".into()),
            Error::JwtInvalid("x".into()),
            Error::SignatureVerificationFailed,
            Error::JwtExpired { claim: "exp" },
            Error::ClaimValidationFailed { claim: "iss".into(), reason: "check_failed", message: "x".into() },
            Error::AlgNotAllowed("none".into()),
            Error::NotSupported("x".into()),
            Error::JwkInvalid("x".into()),
            Error::JwksInvalid("x".into()),
            Error::JwksNoMatchingKey,
            Error::JwksTimeout,
            Error::JwksFetchFailed("x".into()),
            Error::JwksTooLarge { max_bytes: 1 },
            Error::NotAuthenticated,
            Error::InvalidApiKey,
            Error::InsufficientScope("x".into()),
            Error::InvalidOptions("x".into()),
            Error::InvalidCredentials,
            Error::SessionExpired,
            Error::RateLimited { retry_after: None },
            Error::Http { status: 500, error: None, description: None },
            Error::Network("x".into()),
            Error::InvalidResponse("x".into()),
            Error::UntrustedOrigin("x".into()),
            Error::CookiesBlocked,
            Error::Disposed,
            Error::StateMismatch,
            Error::TransactionMissing,
            Error::TransactionExpired,
            Error::CallbackError { error: "access_denied".into(), description: None },
            Error::OAuth { status: 400, error: "invalid_grant".into(), description: None },
            Error::IssuerMismatch("x".into()),
            Error::SecretInBrowser,
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
