//! How `verifyRequest` answers a request it refuses (RFC 6750 section 3): the HTTP status, the
//! `WWW-Authenticate` challenge and the JSON body each kind of error gets. src/web/shim.js only
//! builds the `Response` from what this decides.

use super::{Error, ErrorKind};

/// verifyRequest's answer to a request refused with some kind of error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearerRefusal {
    /// 401, 403 for a missing scope, or 503 when the signing keys could not be obtained (a
    /// client that got 401 would log its user out; 503 with Retry-After makes it try again).
    pub status: u16,
    /// The body's `error`: RFC 6750's `invalid_token` / `insufficient_scope`, `unauthorized`
    /// when no credentials came, RFC 6749's `temporarily_unavailable` for 503.
    pub error: &'static str,
    /// The body's `error_description` when it is fixed; `None`: the error's own message.
    pub description: Option<&'static str>,
    /// The `Retry-After` header, in seconds, if any.
    pub retry_after: Option<&'static str>,
    challenge: Challenge,
}

/// The form of the `WWW-Authenticate` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Challenge {
    /// None: the failure is the server's, not the credentials'.
    Absent,
    /// `Bearer realm="..."`: no credentials came, so no error code (RFC 6750 3.1).
    Realm,
    /// `Bearer realm="...", error="insufficient_scope", scope="..."`.
    Scope,
    /// `Bearer realm="...", error="invalid_token", error_description="..."`.
    InvalidToken,
}

const NOT_AUTHENTICATED: BearerRefusal = BearerRefusal {
    status: 401,
    error: "unauthorized",
    description: None,
    retry_after: None,
    challenge: Challenge::Realm,
};
const INSUFFICIENT_SCOPE: BearerRefusal = BearerRefusal {
    status: 403,
    error: "insufficient_scope",
    description: None,
    retry_after: None,
    challenge: Challenge::Scope,
};
const KEYS_UNAVAILABLE: BearerRefusal = BearerRefusal {
    status: 503,
    error: "temporarily_unavailable",
    description: Some("the signing keys could not be obtained"),
    retry_after: Some("5"),
    challenge: Challenge::Absent,
};
const INVALID_TOKEN: BearerRefusal = BearerRefusal {
    status: 401,
    error: "invalid_token",
    description: None,
    retry_after: None,
    challenge: Challenge::InvalidToken,
};

impl ErrorKind {
    /// verifyRequest's answer to a request refused with an error of this kind; `None` for the
    /// errors it throws instead (options that cannot work, a bug in wasm-auth): those are the
    /// server's to fix, and no answer to the client would be true.
    pub fn bearer_refusal(self) -> Option<BearerRefusal> {
        use ErrorKind::*;
        // Every kind is named, so that a new one gets a decision rather than a default.
        match self {
            InvalidOptions | Internal => None,
            NotAuthenticated => Some(NOT_AUTHENTICATED),
            InsufficientScope => Some(INSUFFICIENT_SCOPE),
            JwksInvalid | JwksTimeout | JwksFetchFailed | JwksTooLarge => Some(KEYS_UNAVAILABLE),
            CryptoUnavailable
            | InvalidCodeVerifier
            | JwsInvalid
            | JwtInvalid
            | SignatureVerificationFailed
            | JwtExpired
            | ClaimValidationFailed
            | AlgNotAllowed
            | NotSupported
            | JwkInvalid
            | JwksNoMatchingKey
            | InvalidApiKey
            | InvalidCredentials
            | SessionExpired
            | RateLimited
            | Http
            | Network
            | InvalidResponse
            | UntrustedOrigin
            | CookiesBlocked
            | Disposed
            | NotReady
            | LockTimeout
            | StateMismatch
            | TransactionMissing
            | TransactionExpired
            | CallbackError
            | OAuth
            | IssuerMismatch
            | SecretInBrowser
            | DpopKeyUnavailable => Some(INVALID_TOKEN),
        }
    }
}

impl Error {
    /// verifyRequest's answer to a request refused with this error (see [`ErrorKind::bearer_refusal`]).
    pub fn bearer_refusal(&self) -> Option<BearerRefusal> {
        self.kind().bearer_refusal()
    }
}

impl BearerRefusal {
    /// The `WWW-Authenticate` header for `realm`, if this answer has one. `message` is the
    /// error's message and `scope` the missing scope (for insufficient_scope). Each value is
    /// made a valid quoted-string (see [`quoted`]), so building the header never fails.
    pub fn www_authenticate(&self, realm: &str, message: &str, scope: &str) -> Option<String> {
        if self.challenge == Challenge::Absent {
            return None;
        }
        let mut header = String::from("Bearer realm=\"");
        quoted(realm, &mut header);
        header.push('"');
        match self.challenge {
            Challenge::Absent | Challenge::Realm => {}
            Challenge::Scope => {
                header.push_str(", error=\"insufficient_scope\", scope=\"");
                quoted(scope, &mut header);
                header.push('"');
            }
            Challenge::InvalidToken => {
                header.push_str(", error=\"invalid_token\", error_description=\"");
                quoted(message, &mut header);
                header.push('"');
            }
        }
        Some(header)
    }
}

/// `text` as the inside of an RFC 6750 section 3 quoted value (%x20-21 / %x23-5B / %x5D-7E):
/// anything else (quotes, backslashes, controls, non-ASCII from a hostile token) becomes `?`,
/// one per UTF-16 unit, as JavaScript counts them (a character beyond U+FFFF becomes `??`).
fn quoted(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(c, '\x20' | '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e') {
            out.push(c);
        } else {
            for _ in 0..c.len_utf16() {
                out.push('?');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(kind: ErrorKind) -> BearerRefusal {
        kind.bearer_refusal().unwrap_or_else(|| panic!("{kind:?} gets an answer"))
    }

    #[test]
    fn options_errors_and_bugs_are_thrown_not_answered() {
        assert_eq!(Error::InvalidOptions("x".into()).bearer_refusal(), None);
        assert_eq!(Error::Internal("x").bearer_refusal(), None);
    }

    #[test]
    fn no_credentials_is_401_with_a_bare_challenge() {
        let refusal = answer(ErrorKind::NotAuthenticated);
        assert_eq!(
            (refusal.status, refusal.error, refusal.description, refusal.retry_after),
            (401, "unauthorized", None, None)
        );
        assert_eq!(refusal.www_authenticate("edge", "no token", "").as_deref(), Some("Bearer realm=\"edge\""));
    }

    #[test]
    fn a_missing_scope_is_403_insufficient_scope_naming_it() {
        let refusal = Error::InsufficientScope("write:resources".into()).bearer_refusal().expect("answered");
        assert_eq!((refusal.status, refusal.error, refusal.description), (403, "insufficient_scope", None));
        assert_eq!(
            refusal
                .www_authenticate("wasm-auth", "the credentials lack the scope write:resources", "write:resources")
                .as_deref(),
            Some("Bearer realm=\"wasm-auth\", error=\"insufficient_scope\", scope=\"write:resources\"")
        );
    }

    #[test]
    fn keys_that_cannot_be_obtained_are_503_with_retry_after_and_no_challenge() {
        for kind in
            [ErrorKind::JwksInvalid, ErrorKind::JwksTimeout, ErrorKind::JwksFetchFailed, ErrorKind::JwksTooLarge]
        {
            let refusal = answer(kind);
            assert_eq!(refusal.status, 503, "{kind:?}");
            assert_eq!(refusal.error, "temporarily_unavailable");
            assert_eq!(refusal.description, Some("the signing keys could not be obtained"));
            assert_eq!(refusal.retry_after, Some("5"));
            assert_eq!(refusal.www_authenticate("wasm-auth", "timed out", ""), None);
        }
    }

    #[test]
    fn every_other_kind_is_401_invalid_token_with_the_message() {
        let special = [
            ErrorKind::InvalidOptions,
            ErrorKind::Internal,
            ErrorKind::NotAuthenticated,
            ErrorKind::InsufficientScope,
            ErrorKind::JwksInvalid,
            ErrorKind::JwksTimeout,
            ErrorKind::JwksFetchFailed,
            ErrorKind::JwksTooLarge,
        ];
        let others: Vec<_> = ErrorKind::ALL.iter().filter(|kind| !special.contains(kind)).collect();
        assert_eq!(others.len(), ErrorKind::ALL.len() - special.len());
        for kind in others {
            let refusal = answer(*kind);
            assert_eq!(
                (refusal.status, refusal.error, refusal.description, refusal.retry_after),
                (401, "invalid_token", None, None)
            );
        }
        assert_eq!(
            answer(ErrorKind::JwtExpired).www_authenticate("edge", "the token has expired", "").as_deref(),
            Some("Bearer realm=\"edge\", error=\"invalid_token\", error_description=\"the token has expired\"")
        );
    }

    #[test]
    fn quoted_values_never_break_the_header() {
        let refusal = answer(ErrorKind::AlgNotAllowed);
        assert_eq!(
            refusal.www_authenticate("a\"b\\c", "algorithm \"none\"\r\n is é 😀 ~!#[]", "").as_deref(),
            Some(
                "Bearer realm=\"a?b?c\", error=\"invalid_token\", error_description=\"algorithm ?none??? is ? ?? ~!#[]\""
            )
        );
        let scope = answer(ErrorKind::InsufficientScope).www_authenticate("r", "", "a\u{7f}b").expect("a challenge");
        assert_eq!(scope, "Bearer realm=\"r\", error=\"insufficient_scope\", scope=\"a?b\"");
    }
}
