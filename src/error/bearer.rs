//! How `verifyRequest` answers a request it refuses (RFC 6750 section 3, RFC 9449 section 7.1):
//! the HTTP status, the `WWW-Authenticate` challenges and the JSON body each kind of error
//! gets. src/web/shim.js only builds the `Response` from what this decides.
//!
//! With DPoP (the verifier's `dpop` option, [`Mode`]) a refusal names each scheme the verifier
//! takes: `Bearer realm="..."` unless DPoP is required, `DPoP realm="...", algs="..."` unless
//! it is off; the error goes on the scheme the request used (`invalid_dpop_proof` and
//! `use_dpop_nonce` always on DPoP's).

use super::{Error, ErrorKind};
use crate::jose::dpop::Mode;

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
    /// Whether the answer carries the server's current nonce in `DPoP-Nonce` (RFC 9449 section 9).
    pub dpop_nonce: bool,
    challenge: Challenge,
}

/// What a refusal's challenges depend on besides the error: the verifier's realm and `dpop`
/// mode, and the scheme the request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeContext<'a> {
    /// The `realm` of every challenge.
    pub realm: &'a str,
    /// Which schemes the verifier takes, and so names.
    pub mode: Mode,
    /// The request used the DPoP scheme (its errors go on the DPoP challenge).
    pub used_dpop: bool,
    /// The proof algorithms accepted, space-separated (`algs`, RFC 9449 section 7.1).
    pub algs: &'a str,
}

impl ChallengeContext<'_> {
    /// The mode and the scheme used as one small number, the way shim.js hands them back to
    /// [`ChallengeContext::unpack`] (it never reads it).
    pub fn pack(mode: Mode, used_dpop: bool) -> u32 {
        let mode = match mode {
            Mode::Off => 0,
            Mode::Allowed => 1,
            Mode::Required => 2,
        };
        mode | (u32::from(used_dpop) << 2)
    }

    /// [`ChallengeContext::pack`]'s fields; an unknown mode is `Off` (the challenges of old).
    pub fn unpack(packed: u32) -> (Mode, bool) {
        let mode = match packed & 3 {
            1 => Mode::Allowed,
            2 => Mode::Required,
            _ => Mode::Off,
        };
        (mode, packed & 4 != 0)
    }
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
    /// `DPoP ..., error="invalid_dpop_proof", error_description="..."` (RFC 9449 section 7.1).
    InvalidDpopProof,
    /// `DPoP ..., error="use_dpop_nonce", error_description="..."` (RFC 9449 section 9).
    UseDpopNonce,
}

const NOT_AUTHENTICATED: BearerRefusal = BearerRefusal {
    status: 401,
    error: "unauthorized",
    description: None,
    retry_after: None,
    dpop_nonce: false,
    challenge: Challenge::Realm,
};
const INSUFFICIENT_SCOPE: BearerRefusal = BearerRefusal {
    status: 403,
    error: "insufficient_scope",
    description: None,
    retry_after: None,
    dpop_nonce: false,
    challenge: Challenge::Scope,
};
const KEYS_UNAVAILABLE: BearerRefusal = BearerRefusal {
    status: 503,
    error: "temporarily_unavailable",
    description: Some("the signing keys could not be obtained"),
    retry_after: Some("5"),
    dpop_nonce: false,
    challenge: Challenge::Absent,
};
const INVALID_TOKEN: BearerRefusal = BearerRefusal {
    status: 401,
    error: "invalid_token",
    description: None,
    retry_after: None,
    dpop_nonce: false,
    challenge: Challenge::InvalidToken,
};
const INVALID_DPOP_PROOF: BearerRefusal = BearerRefusal {
    status: 401,
    error: "invalid_dpop_proof",
    description: None,
    retry_after: None,
    dpop_nonce: false,
    challenge: Challenge::InvalidDpopProof,
};
const USE_DPOP_NONCE: BearerRefusal = BearerRefusal {
    status: 401,
    error: "use_dpop_nonce",
    description: None,
    retry_after: None,
    dpop_nonce: true,
    challenge: Challenge::UseDpopNonce,
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
            DpopInvalidProof | DpopReplay => Some(INVALID_DPOP_PROOF),
            DpopNonceRequired => Some(USE_DPOP_NONCE),
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
            | DpopBindingMismatch
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
    /// The `WWW-Authenticate` header for `realm` of a verifier that takes Bearer tokens only
    /// (`dpop: 'off'`), if this answer has one. `message` is the error's message and `scope` the
    /// missing scope (for insufficient_scope). Each value is made a valid quoted-string (see
    /// [`quoted`]), so building the header never fails.
    pub fn www_authenticate(&self, realm: &str, message: &str, scope: &str) -> Option<String> {
        let context = ChallengeContext { realm, mode: Mode::Off, used_dpop: false, algs: "" };
        self.www_authenticate_in(&context, message, scope)
    }

    /// The `WWW-Authenticate` header in `context`: one challenge per scheme the verifier takes
    /// (Bearer first), the error on the scheme the request used, or on the one offered.
    pub fn www_authenticate_in(&self, context: &ChallengeContext<'_>, message: &str, scope: &str) -> Option<String> {
        if self.challenge == Challenge::Absent {
            return None;
        }
        let (bearer, dpop) = (context.mode.offers_bearer(), context.mode.offers_dpop());
        // Which challenge carries the error: DPoP's own errors go on DPoP; others on the
        // scheme used, unless the verifier does not offer that one.
        let on_dpop = match self.challenge {
            Challenge::InvalidDpopProof | Challenge::UseDpopNonce => true,
            _ => (context.used_dpop && dpop) || !bearer,
        };
        let mut header = String::new();
        if bearer {
            header.push_str("Bearer realm=\"");
            quoted(context.realm, &mut header);
            header.push('"');
            if !on_dpop {
                self.error_params(message, scope, &mut header);
            }
        }
        if dpop {
            if bearer {
                header.push_str(", ");
            }
            header.push_str("DPoP realm=\"");
            quoted(context.realm, &mut header);
            header.push_str("\", algs=\"");
            quoted(context.algs, &mut header);
            header.push('"');
            if on_dpop {
                self.error_params(message, scope, &mut header);
            }
        }
        Some(header)
    }

    /// `, error="...", ...` of this answer's challenge (nothing for a bare one).
    fn error_params(&self, message: &str, scope: &str, header: &mut String) {
        match self.challenge {
            Challenge::Absent | Challenge::Realm => {}
            Challenge::Scope => {
                header.push_str(", error=\"insufficient_scope\", scope=\"");
                quoted(scope, header);
                header.push('"');
            }
            Challenge::InvalidToken | Challenge::InvalidDpopProof | Challenge::UseDpopNonce => {
                header.push_str(", error=\"");
                header.push_str(self.error);
                header.push_str("\", error_description=\"");
                quoted(message, header);
                header.push('"');
            }
        }
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
            ErrorKind::DpopInvalidProof,
            ErrorKind::DpopReplay,
            ErrorKind::DpopNonceRequired,
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

    const ALGS: &str = "ES256 EdDSA";

    fn context(mode: Mode, used_dpop: bool) -> ChallengeContext<'static> {
        ChallengeContext { realm: "api", mode, used_dpop, algs: ALGS }
    }

    #[test]
    fn with_dpop_allowed_a_bare_refusal_names_both_schemes() {
        let refusal = answer(ErrorKind::NotAuthenticated);
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Allowed, false), "none", "").as_deref(),
            Some("Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256 EdDSA\"")
        );
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Required, false), "none", "").as_deref(),
            Some("DPoP realm=\"api\", algs=\"ES256 EdDSA\"")
        );
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Off, false), "none", "").as_deref(),
            Some("Bearer realm=\"api\"")
        );
    }

    #[test]
    fn proof_errors_go_on_the_dpop_challenge() {
        for kind in [ErrorKind::DpopInvalidProof, ErrorKind::DpopReplay] {
            let refusal = answer(kind);
            assert_eq!((refusal.status, refusal.error, refusal.dpop_nonce), (401, "invalid_dpop_proof", false));
            assert_eq!(
                refusal
                    .www_authenticate_in(&context(Mode::Allowed, true), "the DPoP proof's htm is wrong", "")
                    .as_deref(),
                Some(
                    "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_dpop_proof\", error_description=\"the DPoP proof's htm is wrong\""
                )
            );
        }
        // A Bearer request to a verifier that requires DPoP: the error is still DPoP's.
        let refusal = answer(ErrorKind::DpopInvalidProof);
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Required, false), "needs DPoP", "").as_deref(),
            Some(
                "DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_dpop_proof\", error_description=\"needs DPoP\""
            )
        );
    }

    #[test]
    fn a_missing_nonce_is_use_dpop_nonce_with_the_nonce_header() {
        let refusal = answer(ErrorKind::DpopNonceRequired);
        assert_eq!((refusal.status, refusal.error, refusal.dpop_nonce), (401, "use_dpop_nonce", true));
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Required, true), "nonce", "").as_deref(),
            Some("DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"use_dpop_nonce\", error_description=\"nonce\"")
        );
    }

    #[test]
    fn token_errors_go_on_the_scheme_the_request_used() {
        let refusal = answer(ErrorKind::DpopBindingMismatch);
        assert_eq!((refusal.status, refusal.error), (401, "invalid_token"));
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Allowed, false), "bound", "").as_deref(),
            Some(
                "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"bound\", DPoP realm=\"api\", algs=\"ES256 EdDSA\""
            )
        );
        assert_eq!(
            refusal.www_authenticate_in(&context(Mode::Allowed, true), "other key", "").as_deref(),
            Some(
                "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"invalid_token\", error_description=\"other key\""
            )
        );
        let scope = answer(ErrorKind::InsufficientScope);
        assert_eq!(
            scope.www_authenticate_in(&context(Mode::Required, true), "", "write").as_deref(),
            Some("DPoP realm=\"api\", algs=\"ES256 EdDSA\", error=\"insufficient_scope\", scope=\"write\"")
        );
        assert_eq!(answer(ErrorKind::JwksTimeout).www_authenticate_in(&context(Mode::Allowed, true), "", ""), None);
    }

    #[test]
    fn the_context_packs_and_unpacks() {
        for mode in [Mode::Off, Mode::Allowed, Mode::Required] {
            for used in [false, true] {
                assert_eq!(ChallengeContext::unpack(ChallengeContext::pack(mode, used)), (mode, used));
            }
        }
        assert_eq!(ChallengeContext::unpack(3), (Mode::Off, false));
    }
}
