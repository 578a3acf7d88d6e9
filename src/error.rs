//! The one error type of the core, with the stable codes that JavaScript sees as `.code`.
//!
//! The table below ([`error_table!`]) is the only place where a code is written: the enum, its
//! [`ErrorKind`], [`Error::code`], [`Error::CODES`], the TypeScript union `WasmAuthErrorCode`
//! (src/web/error.rs puts [`ErrorKind::TYPESCRIPT_UNION`] into the .d.ts) and the codes that
//! src/web/shim.js raises (handed to it at start-up as [`ErrorKind::named_codes`]) are all
//! made from it. Adding a variant is one row here, its message in `Display`, its line in the
//! README's table of codes, and its RFC 6750 answer in [`bearer`].

use crate::jose::json::Quoted;
use core::fmt;

pub mod bearer;

/// Builds, from one list of `Variant(fields) => "ERR_CODE"` rows, the [`Error`] enum, the
/// field-less [`ErrorKind`] with the same variant names, and every list of codes.
///
/// `Error::Variant { .. }` matches unit, tuple and struct variants alike, so one pattern serves
/// every row. The tests below refuse a code written twice.
macro_rules! error_table {
    (
        $(#[$enum_meta:meta])*
        pub enum Error {
            $(
                $(#[$meta:meta])*
                $variant:ident $( ( $($tuple:tt)* ) )? $( { $($fields:tt)* } )? => $code:literal,
            )*
        }
    ) => {
        $(#[$enum_meta])*
        pub enum Error {
            $( $(#[$meta])* $variant $( ( $($tuple)* ) )? $( { $($fields)* } )?, )*
        }

        /// What kind of [`Error`] a value is, without its details: one per variant, named alike.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorKind {
            $(
                #[doc = concat!("[`Error::", stringify!($variant), "`], `", $code, "`.")]
                $variant,
            )*
        }

        impl ErrorKind {
            /// Every kind, in the table's order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant),*];

            /// The TypeScript declaration of `WasmAuthErrorCode`, the union of every code, as the
            /// package's .d.ts carries it.
            pub const TYPESCRIPT_UNION: &'static str = concat!(
                "\n/** Every stable `.code` a wasm-auth error can carry. */\nexport type WasmAuthErrorCode =",
                $("\n  | \"", $code, "\"",)*
                ";\n"
            );

            /// This kind's variant name (`JwksTimeout`).
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => stringify!($variant),)*
                }
            }

            /// `Variant=CODE` pairs separated by spaces, for src/web/shim.js, which names the
            /// codes it raises by variant (`CODE.JwksTimeout`) and never spells one. Built from
            /// `name` and `code` rather than as one more literal, which would be a second copy of
            /// every code in the wasm.
            pub fn named_codes() -> String {
                let mut pairs = String::new();
                for kind in ErrorKind::ALL {
                    pairs.push_str(kind.name());
                    pairs.push('=');
                    pairs.push_str(kind.code());
                    pairs.push(' ');
                }
                pairs
            }

            /// The stable machine-readable code of this kind.
            pub fn code(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $code,)*
                }
            }

            /// The kind whose code is `code`, if any (for errors that come back from JavaScript).
            /// A scan of [`ErrorKind::ALL`] rather than a `match` on the strings: it reuses
            /// `code`'s table, where a match would add a second one to the wasm.
            pub fn from_code(code: &str) -> Option<ErrorKind> {
                ErrorKind::ALL.iter().copied().find(|kind| kind.code() == code)
            }
        }

        impl Error {
            /// Every code [`Error::code`] can return, in the table's order.
            pub const CODES: &'static [&'static str] = &[$($code),*];

            /// This error's kind.
            pub fn kind(&self) -> ErrorKind {
                match self {
                    $(Error::$variant { .. } => ErrorKind::$variant,)*
                }
            }

            /// The stable machine-readable code of this error.
            pub fn code(&self) -> &'static str {
                self.kind().code()
            }
        }
    };
}

error_table! {
/// Everything that can go wrong in wasm-auth.
///
/// Each variant has a stable [`code`](Error::code) (`ERR_...`) that the JS layer puts on the
/// thrown `Error` as `.code`. Messages never contain secrets or the input that was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The platform offers no secure random source (no `crypto.getRandomValues`).
    CryptoUnavailable => "ERR_AUTH_CRYPTO_UNAVAILABLE",
    /// A PKCE `code_verifier` that RFC 7636 section 4.1 does not allow.
    InvalidCodeVerifier {
        /// What is wrong with it, without repeating the value.
        reason: &'static str,
    } => "ERR_OAUTH_INVALID_CODE_VERIFIER",
    /// A JWS that is not well formed (compact serialization, base64url, header JSON).
    JwsInvalid(String) => "ERR_JWS_INVALID",
    /// A JWT whose claims set is not a JSON object, or that uses a JWS feature JWTs forbid.
    JwtInvalid(String) => "ERR_JWT_INVALID",
    /// The signature does not verify with the selected key.
    SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    /// `exp` has passed (or `iat` is older than `maxTokenAge`).
    JwtExpired {
        /// `exp`, or `iat` for maxTokenAge.
        claim: &'static str,
    } => "ERR_JWT_EXPIRED",
    /// A claim failed a check: `reason` is `missing`, `invalid` (wrong JSON type) or
    /// `check_failed`, as jose names them.
    ClaimValidationFailed(Box<ClaimFailure>) => "ERR_JWT_CLAIM_VALIDATION_FAILED",
    /// The token's `alg` is not allowed by the options or by the key.
    AlgNotAllowed(String) => "ERR_JOSE_ALG_NOT_ALLOWED",
    /// A feature wasm-auth does not implement (an unknown `crit` extension, an unknown curve).
    NotSupported(String) => "ERR_JOSE_NOT_SUPPORTED",
    /// A JWK that cannot be used for verification.
    JwkInvalid(String) => "ERR_JWK_INVALID",
    /// A JWKS document that is not a JWK Set.
    JwksInvalid(String) => "ERR_JWKS_INVALID",
    /// No key of the key set matches the token's `kid` and `alg`.
    JwksNoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
    /// The remote JWKS did not answer within the timeout.
    JwksTimeout => "ERR_JWKS_TIMEOUT",
    /// The remote JWKS could not be fetched (network error).
    JwksFetchFailed(String) => "ERR_JWKS_FETCH_FAILED",
    /// The remote JWKS answer is larger than the verifier accepts (`jwksMaxBytes`).
    JwksTooLarge {
        /// The limit, in bytes.
        max_bytes: u64,
    } => "ERR_JWKS_TOO_LARGE",
    /// No credentials: a request carried none (verifyRequest), or the browser client holds
    /// no tokens (nobody is logged in).
    NotAuthenticated {
        /// The browser client holds no tokens (`getToken()` before login): said in the
        /// caller's words, not a server's.
        client: bool,
    } => "ERR_AUTH_NOT_AUTHENTICATED",
    /// An API key that is not one of the configured ones (verifyRequest).
    InvalidApiKey => "ERR_AUTH_INVALID_API_KEY",
    /// Valid credentials without a required scope (verifyRequest).
    InsufficientScope(String) => "ERR_AUTH_INSUFFICIENT_SCOPE",
    /// Options given to a constructor or function that cannot work (a programming error).
    InvalidOptions(String) => "ERR_AUTH_INVALID_OPTIONS",
    /// Wrong email or password (login), or a refused grant of the login kind.
    InvalidCredentials => "ERR_AUTH_INVALID_CREDENTIALS",
    /// The refresh token was refused (expired, revoked, reused): the user must log in again.
    SessionExpired => "ERR_AUTH_SESSION_EXPIRED",
    /// The server answered 429; `retry_after` is its Retry-After in seconds, when given.
    RateLimited {
        /// Seconds to wait, from the Retry-After header.
        retry_after: RetryAfter,
    } => "ERR_AUTH_RATE_LIMITED",
    /// The server answered an unexpected HTTP status; `error` and `description` are its
    /// RFC 6749 `error` and `error_description`, when the body had them.
    Http(Box<HttpFailure>) => "ERR_AUTH_HTTP",
    /// The request did not reach the server or got no answer (offline, DNS, CORS, reset).
    Network(Box<NetworkFailure>) => "ERR_AUTH_NETWORK",
    /// The server answered 2xx with a body that is not what the API defines.
    InvalidResponse(String) => "ERR_AUTH_INVALID_RESPONSE",
    /// `fetch` was asked to send a token to an origin it was not configured for.
    UntrustedOrigin(String) => "ERR_AUTH_UNTRUSTED_ORIGIN",
    /// The browser did not keep the session cookie (third-party cookies blocked, or the page
    /// and the API are on different sites without CORS credentials).
    CookiesBlocked => "ERR_AUTH_COOKIES_BLOCKED",
    /// The object was disposed of (`dispose()`); make a new one.
    Disposed => "ERR_AUTH_DISPOSED",
    /// A synchronous call before the browser entry has loaded the wasm module (it loads it
    /// without top-level await): `await ready()` first. Raised by browser.js itself, which
    /// spells the code because the table reaches JavaScript only once the module is loaded.
    NotReady => "ERR_AUTH_NOT_READY",
    /// Another tab held the session's refresh lock for too long (frozen or hung): this tab did
    /// not refresh, so that one refresh token is never redeemed twice; it retries later.
    LockTimeout {
        /// How long it waited, in milliseconds.
        waited_ms: u64,
    } => "ERR_AUTH_LOCK_TIMEOUT",
    /// The OAuth callback's `state` is not the one this tab sent (a forged or crossed callback).
    StateMismatch => "ERR_OAUTH_STATE_MISMATCH",
    /// No OAuth flow is in progress in this tab (already handled, or never started here).
    TransactionMissing => "ERR_OAUTH_TRANSACTION_MISSING",
    /// The OAuth flow started more than 10 minutes ago.
    TransactionExpired => "ERR_OAUTH_TRANSACTION_EXPIRED",
    /// The authorization server sent the user back with an error (`access_denied`, ...).
    CallbackError(Box<CallbackRefusal>) => "ERR_OAUTH_CALLBACK_ERROR",
    /// The token endpoint refused a request with an OAuth error (`invalid_grant`, `invalid_client`, ...).
    OAuth(Box<TokenRefusal>) => "ERR_OAUTH_TOKEN_ERROR",
    /// A response or document names another issuer than the one configured (mix-up attack).
    IssuerMismatch(String) => "ERR_OAUTH_ISSUER_MISMATCH",
    /// A client secret in a browser page: confidential clients belong on servers and workers.
    SecretInBrowser => "ERR_OAUTH_SECRET_IN_BROWSER",
    // ---- dpop-rs (issue 19, resource server): DPoP proofs (RFC 9449) and bound tokens ----
    /// A DPoP proof that fails a check of RFC 9449 section 4.3 (or is missing, or repeated):
    /// the reason names the check, never the proof.
    DpopInvalidProof(&'static str) => "ERR_DPOP_INVALID_PROOF",
    /// A DPoP proof whose `jti` was seen before (RFC 9449 section 11.1).
    DpopReplay => "ERR_DPOP_REPLAY",
    /// The server wants a DPoP nonce the proof lacks (or has a stale one): the answer carries
    /// the current one in `DPoP-Nonce` (RFC 9449 section 9).
    DpopNonceRequired => "ERR_DPOP_NONCE_REQUIRED",
    /// The access token is not bound to the proof's key (`cnf.jkt`), or a bound token came as
    /// Bearer, or an unbound one under the DPoP scheme.
    DpopBindingMismatch(&'static str) => "ERR_DPOP_BINDING_MISMATCH",
    // ---- end dpop-rs ----
    // ---- DPoP, the client side (issue 19, dpop-client) ----
    /// `dpop: true`, but the runtime cannot make or use the DPoP key (no WebCrypto ECDSA P-256).
    DpopKeyUnavailable(&'static str) => "ERR_DPOP_KEY_UNAVAILABLE",
    // ---- end of DPoP, the client side ----
    /// A value could not be handed to JavaScript; a bug in wasm-auth, never caused by input.
    Internal(&'static str) => "ERR_INTERNAL",
}
}

// Every `?` and every `Result<_, Error>` moves an Error by value, so its size is paid in copies
// all over the wasm (issue 15): at 56 bytes, with the fields of the five variants below inline,
// it cost 1.2 KB gzip on the full module and 0.25 KB on wasm-auth/verify. Those variants hold
// their fields in a Box, and RateLimited a RetryAfter, so that no variant is larger than a
// String beside Error's tag. A variant that makes Error larger again fails here (wasm32, where
// the size counts): box its fields too.
#[cfg(target_arch = "wasm32")]
const _: () = assert!(core::mem::size_of::<Error>() <= 16);

/// [`Error::RateLimited`]'s Retry-After in seconds, when the answer gave one: an `Option<u64>`
/// laid out by hand, for Error's size. An `Option<u64>` keeps its flag in a whole 8-byte word
/// before the number, which leaves no room for a String variant beside it: Error was 24 bytes,
/// and the wasm larger than at 56. This flag is a 4-byte word first (`repr(C)`, `repr(u32)`),
/// whose spare values hold Error's tag: Error is 16 bytes. (A `bool` flag makes it 16 bytes
/// too, but measured 5.8 KB more code on the full module than this: more than the boxes save.)
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    given: Given,
    seconds: u64,
}

/// Whether a [`RetryAfter`] holds seconds; 4 bytes wide on purpose (see there).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Given {
    No,
    Yes,
}

impl RetryAfter {
    /// The seconds, when given.
    pub fn seconds(self) -> Option<u64> {
        (self.given == Given::Yes).then_some(self.seconds)
    }
}

impl From<Option<u64>> for RetryAfter {
    fn from(seconds: Option<u64>) -> RetryAfter {
        RetryAfter { given: if seconds.is_some() { Given::Yes } else { Given::No }, seconds: seconds.unwrap_or(0) }
    }
}

/// The details of [`Error::ClaimValidationFailed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFailure {
    /// The claim (or `typ` for the header's typ).
    pub claim: String,
    /// `missing`, `invalid` or `check_failed`.
    pub reason: &'static str,
    /// Human-readable detail.
    pub message: String,
}

/// The details of [`Error::Http`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    /// The HTTP status.
    pub status: u16,
    /// The server's error code (`invalid_request`, ...).
    pub error: Option<String>,
    /// The server's description, control characters removed, at most 200 characters.
    pub description: Option<String>,
    /// The request, as `METHOD url` with secrets redacted ([`crate::client::request_line`]),
    /// when known.
    pub request: Option<String>,
    /// A redirect that was not followed: why, in wasm-auth's words.
    pub redirect: Option<String>,
}

/// The details of [`Error::Network`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkFailure {
    /// The platform's reason (`Failed to fetch`).
    pub reason: String,
    /// The request, as `METHOD url` with secrets redacted, when known.
    pub request: Option<String>,
    /// The page's origin, when the request went from a page to another origin: then a CORS
    /// refusal reads just like an unreachable server.
    pub cors_page: Option<String>,
}

/// The details of [`Error::CallbackError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRefusal {
    /// RFC 6749 `error`.
    pub error: String,
    /// `error_description`.
    pub description: Option<String>,
}

/// The details of [`Error::OAuth`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefusal {
    /// The HTTP status.
    pub status: u16,
    /// RFC 6749 5.2 `error`.
    pub error: String,
    /// `error_description`.
    pub description: Option<String>,
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
            Error::ClaimValidationFailed(failure) => f.write_str(&failure.message),
            Error::AlgNotAllowed(alg) => write!(f, "algorithm {} is not allowed", Quoted(alg)),
            Error::NotSupported(what) => write!(f, "not supported: {what}"),
            Error::JwkInvalid(why) => write!(f, "invalid JWK: {why}"),
            Error::JwksInvalid(why) => write!(f, "invalid JWKS: {why}"),
            Error::JwksNoMatchingKey => f.write_str("no key in the key set matches the token's kid and alg"),
            Error::JwksTimeout => f.write_str("the JWKS URI did not answer in time"),
            Error::JwksFetchFailed(why) => write!(f, "the JWKS could not be fetched: {why}"),
            Error::JwksTooLarge { max_bytes } => {
                write!(f, "the JWKS URI answered more than {max_bytes} bytes (jwksMaxBytes)")
            }
            Error::NotAuthenticated { client: true } => f.write_str("not logged in: call login() or restore() first"),
            Error::NotAuthenticated { client: false } => {
                f.write_str("authentication required: the request has no credentials this resource takes")
            }
            Error::InvalidApiKey => f.write_str("the API key is not valid"),
            Error::InsufficientScope(scope) => write!(f, "the credentials lack the scope {scope}"),
            Error::InvalidOptions(why) => write!(f, "invalid options: {why}"),
            Error::InvalidCredentials => f.write_str("the email or password is not correct"),
            Error::SessionExpired => f.write_str("the session has expired or was revoked: log in again"),
            Error::RateLimited { retry_after } => match retry_after.seconds() {
                Some(s) => write!(f, "too many requests: retry in {s} s"),
                None => f.write_str("too many requests: retry later"),
            },
            // The server's error and description are the server's words (or an attacker's):
            // they go on `.error` and `.description`, never into the message.
            // write_str pieces rather than write! with string arguments: smaller in the wasm.
            Error::Http(failure) => {
                let HttpFailure { status, request, redirect, .. } = &**failure;
                f.write_str(request.as_deref().unwrap_or("the server"))?;
                f.write_str(" answered ")?;
                // A hidden redirect (a browser's opaque redirect) has no status to name.
                if *status != 0 || redirect.is_none() {
                    write!(f, "HTTP {status}")?;
                }
                if let Some(why) = redirect {
                    f.write_str(if *status != 0 { ", a redirect" } else { "with a redirect" })?;
                    f.write_str(" that wasm-auth does not follow: ")?;
                    f.write_str(why)?;
                }
                Ok(())
            }
            Error::Network(failure) => {
                let NetworkFailure { reason, request, cors_page } = &**failure;
                f.write_str(request.as_deref().unwrap_or("the server"))?;
                f.write_str(" could not be reached: ")?;
                f.write_str(reason)?;
                if let Some(page) = cors_page {
                    f.write_str(" (nothing answers at that address, or the server refused this page's origin ")?;
                    f.write_str(page)?;
                    f.write_str(": CORS)")?;
                }
                Ok(())
            }
            Error::InvalidResponse(why) => write!(f, "the server's answer is not valid: {why}"),
            Error::UntrustedOrigin(origin) => write!(f, "no token is sent to {origin}: add it to allowedOrigins to trust it"),
            Error::CookiesBlocked => f.write_str("the browser did not keep the session cookie: cookies are blocked for this site, or the API is cross-site"),
            Error::Disposed => f.write_str("this object was disposed of"),
            Error::NotReady => f.write_str("the wasm module is still loading: await ready() first"),
            Error::LockTimeout { waited_ms } => write!(f, "another tab did not finish refreshing this session within {waited_ms} ms; retrying later"),
            Error::StateMismatch => f.write_str("the OAuth callback's state does not match the one this tab sent"),
            Error::TransactionMissing => f.write_str("no OAuth sign-in is in progress in this tab (it was already handled, or started elsewhere)"),
            Error::TransactionExpired => f.write_str("the OAuth sign-in started more than 10 minutes ago: start it again"),
            Error::CallbackError { .. } => f.write_str("the authorization server refused the sign-in (its reason is in .error and .description)"),
            Error::OAuth(refusal) => write!(f, "the token endpoint refused the request with HTTP {} (its reason is in .error and .description)", refusal.status),
            Error::IssuerMismatch(why) => write!(f, "issuer mismatch: {why}"),
            Error::SecretInBrowser => f.write_str("client secrets do not belong in browser pages: use ClientCredentials on a server or worker, and OAuthClient (PKCE) in the browser"),
            Error::DpopInvalidProof(why) => f.write_str(why),
            Error::DpopReplay => f.write_str("the DPoP proof was used before (its jti is not new)"),
            Error::DpopNonceRequired => f.write_str("the DPoP proof must carry the nonce the server sends in DPoP-Nonce"),
            Error::DpopBindingMismatch(why) => f.write_str(why),
            Error::DpopKeyUnavailable(why) => write!(f, "no DPoP proof can be made here: {why}"),
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
            Error::ClaimValidationFailed(Box::new(ClaimFailure {
                claim: "iss".into(),
                reason: "check_failed",
                message: "x".into(),
            })),
            Error::AlgNotAllowed("none".into()),
            Error::NotSupported("x".into()),
            Error::JwkInvalid("x".into()),
            Error::JwksInvalid("x".into()),
            Error::JwksNoMatchingKey,
            Error::JwksTimeout,
            Error::JwksFetchFailed("x".into()),
            Error::JwksTooLarge { max_bytes: 1 },
            Error::NotAuthenticated { client: false },
            Error::InvalidApiKey,
            Error::InsufficientScope("x".into()),
            Error::InvalidOptions("x".into()),
            Error::InvalidCredentials,
            Error::SessionExpired,
            Error::RateLimited { retry_after: None.into() },
            Error::Http(Box::new(HttpFailure {
                status: 500,
                error: None,
                description: None,
                request: None,
                redirect: None,
            })),
            Error::Network(Box::new(NetworkFailure { reason: "x".into(), request: None, cors_page: None })),
            Error::InvalidResponse("x".into()),
            Error::UntrustedOrigin("x".into()),
            Error::CookiesBlocked,
            Error::Disposed,
            Error::NotReady,
            Error::LockTimeout { waited_ms: 10_000 },
            Error::StateMismatch,
            Error::TransactionMissing,
            Error::TransactionExpired,
            Error::CallbackError(Box::new(CallbackRefusal { error: "access_denied".into(), description: None })),
            Error::OAuth(Box::new(TokenRefusal { status: 400, error: "invalid_grant".into(), description: None })),
            Error::IssuerMismatch("x".into()),
            Error::SecretInBrowser,
            Error::DpopInvalidProof("x"),
            Error::DpopReplay,
            Error::DpopNonceRequired,
            Error::DpopBindingMismatch("x"),
            Error::DpopKeyUnavailable("x"),
            Error::Internal("x"),
        ];
        // Every variant has a sample, in the table's order.
        let kinds: Vec<_> = samples.iter().map(Error::kind).collect();
        assert_eq!(kinds, ErrorKind::ALL);
        let codes: Vec<_> = samples.iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn retry_after_keeps_every_u64() {
        for seconds in [None, Some(0), Some(17), Some(u64::from(u32::MAX) + 1), Some(u64::MAX)] {
            assert_eq!(RetryAfter::from(seconds).seconds(), seconds);
        }
        assert_eq!(RetryAfter::from(None), RetryAfter::from(None));
        assert_ne!(RetryAfter::from(None), RetryAfter::from(Some(0)));
    }

    #[test]
    fn codes_are_stable_names_and_map_back_to_their_kind() {
        for kind in ErrorKind::ALL {
            let code = kind.code();
            assert!(
                code.starts_with("ERR_")
                    && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            assert_eq!(ErrorKind::from_code(code), Some(*kind));
        }
        assert_eq!(ErrorKind::from_code("ERR_NOT_A_CODE"), None);
        assert_eq!(ErrorKind::from_code(""), None);
    }

    /// The codes of a `| "ERR_..."` union, in order.
    fn union_members(declaration: &str) -> Vec<&str> {
        let (_, union) = declaration.split_once("export type WasmAuthErrorCode =").expect("the union is declared");
        let (union, _) = union.split_once(';').expect("the union ends with ;");
        union.split('|').map(|member| member.trim().trim_matches('"')).filter(|m| !m.is_empty()).collect()
    }

    #[test]
    fn the_typescript_union_lists_every_code_once() {
        assert_eq!(union_members(ErrorKind::TYPESCRIPT_UNION), Error::CODES);
        assert!(ErrorKind::TYPESCRIPT_UNION.contains("  | \"ERR_JWKS_TIMEOUT\"\n"));
    }

    #[test]
    fn the_named_codes_pair_every_variant_with_its_code() {
        let named = ErrorKind::named_codes();
        let pairs: Vec<_> = named.split_whitespace().map(|pair| pair.split_once('=').expect("Variant=CODE")).collect();
        let expected: Vec<_> = ErrorKind::ALL.iter().map(|kind| (format!("{kind:?}"), kind.code())).collect();
        assert_eq!(pairs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn messages_name_the_failed_request_and_speak_the_callers_language() {
        let login = Some("POST http://127.0.0.1:8080/v1/auth/login".to_owned());
        let http = |request: Option<String>, redirect: Option<&str>, status| {
            Error::Http(Box::new(HttpFailure {
                status,
                error: None,
                description: None,
                request,
                redirect: redirect.map(str::to_owned),
            }))
        };
        assert_eq!(
            http(login.clone(), None, 405).to_string(),
            "POST http://127.0.0.1:8080/v1/auth/login answered HTTP 405"
        );
        assert_eq!(http(None, None, 502).to_string(), "the server answered HTTP 502");
        assert_eq!(
            http(login.clone(), Some("more than 5 redirects"), 302).to_string(),
            "POST http://127.0.0.1:8080/v1/auth/login answered HTTP 302, a redirect that wasm-auth does not follow: more than 5 redirects"
        );
        assert_eq!(
            http(None, Some("this runtime hides where it points"), 0).to_string(),
            "the server answered with a redirect that wasm-auth does not follow: this runtime hides where it points"
        );
        let network = |request: Option<String>, cors_page: Option<&str>| {
            Error::Network(Box::new(NetworkFailure {
                reason: "Failed to fetch".into(),
                request,
                cors_page: cors_page.map(str::to_owned),
            }))
        };
        assert_eq!(
            network(login.clone(), None).to_string(),
            "POST http://127.0.0.1:8080/v1/auth/login could not be reached: Failed to fetch"
        );
        assert_eq!(
            network(login, Some("http://localhost:5173")).to_string(),
            "POST http://127.0.0.1:8080/v1/auth/login could not be reached: Failed to fetch (nothing answers at that \
             address, or the server refused this page's origin http://localhost:5173: CORS)"
        );
        assert_eq!(network(None, None).to_string(), "the server could not be reached: Failed to fetch");
        assert_eq!(
            Error::NotAuthenticated { client: true }.to_string(),
            "not logged in: call login() or restore() first"
        );
    }

    /// shim.js names the codes it raises by variant (`CODE.Network`), from [`ErrorKind::named_codes`]:
    /// each name must be a variant, and no code may be spelt there.
    #[test]
    fn shim_js_spells_no_code_and_names_only_existing_variants() {
        let shim = include_str!("web/shim.js");
        for quote in ['\'', '"', '`'] {
            assert!(!shim.contains(&format!("{quote}ERR_")), "shim.js spells an error code: use CODE.<Variant>");
        }
        let names: Vec<String> = ErrorKind::ALL.iter().map(|kind| kind.name().to_owned()).collect();
        let mut used = 0;
        for (at, _) in shim.match_indices("CODE.") {
            let name: String = shim[at + 5..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            assert!(names.contains(&name), "shim.js uses CODE.{name}, which is no Error variant");
            used += 1;
        }
        assert!(used > 0, "shim.js raises no coded error: has the CODE table been renamed?");
    }
}
