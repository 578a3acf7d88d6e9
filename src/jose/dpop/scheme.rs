//! Which credential a request presents, under the verifier's `dpop` mode (RFC 9449 section 7,
//! RFC 6750 section 2.1): `Authorization: DPoP <token>` with exactly one `DPoP` proof header,
//! `Authorization: Bearer <token>`, or else an `X-API-Key`. `dpop: 'required'` refuses Bearer,
//! `'off'` refuses the DPoP scheme (as wasm-auth always did), `'allowed'` takes both.

use crate::Error;
use crate::jose::request::Credential;

use super::invalid;

/// The verifier's `dpop` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Bearer tokens only; the DPoP scheme is refused. (The variants go from the loosest to
    /// the strictest: [`Mode::tightened_by`] compares them so.)
    Off,
    /// Both schemes; a DPoP-bound token must come with its proof.
    #[default]
    Allowed,
    /// The DPoP scheme only.
    Required,
}

impl Mode {
    /// From the option's value: `"required"`, `"allowed"` or `"off"`.
    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "off" => Some(Mode::Off),
            "allowed" => Some(Mode::Allowed),
            "required" => Some(Mode::Required),
            _ => None,
        }
    }

    /// Its name, as the option takes it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Allowed => "allowed",
            Mode::Required => "required",
        }
    }

    /// The mode of one call or route (verifyRequest's, withAuth's or Hono's per-use `dpop`):
    /// it may tighten the verifier's (required > allowed > off), never loosen it, or one
    /// route's options (or a value reaching them from a request) could accept Bearer tokens
    /// where the verifier demands proofs.
    pub fn tightened_by(self, call: Option<Mode>) -> Result<Mode, Error> {
        let rank = |mode: Mode| mode as u8;
        match call {
            None => Ok(self),
            Some(call) if rank(call) >= rank(self) => Ok(call),
            Some(call) => {
                let mut message = String::from("dpop \"");
                message.push_str(call.name());
                message.push_str("\" would loosen the verifier's \"");
                message.push_str(self.name());
                message.push_str("\": a call or route may only tighten it (required > allowed > off)");
                Err(Error::InvalidOptions(message))
            }
        }
    }

    /// Whether a refusal names the Bearer scheme in its challenge.
    pub fn offers_bearer(self) -> bool {
        self != Mode::Required
    }

    /// Whether a refusal names the DPoP scheme in its challenge.
    pub fn offers_dpop(self) -> bool {
        self != Mode::Off
    }
}

/// What a request presents.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    /// `Authorization: Bearer <token>`, or an `X-API-Key` (the existing credentials).
    Plain(Credential<'a>),
    /// `Authorization: DPoP <token>` and its proof.
    Dpop {
        /// The access token.
        token: &'a str,
        /// The `DPoP` header's proof.
        proof: &'a str,
    },
}

/// The scheme and the credentials after it, split at the first space (RFC 9110 section 11.4).
fn scheme(authorization: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    Some((scheme, rest.trim()))
}

/// Whether an `Authorization` header names the DPoP scheme (then the `DPoP` header is read).
pub fn is_dpop(authorization: Option<&str>) -> bool {
    authorization.and_then(scheme).is_some_and(|(name, _)| name.eq_ignore_ascii_case("dpop"))
}

/// The credential of a request from its `Authorization`, `DPoP` and `X-API-Key` headers, as
/// the platform's `Headers.get` gives them (several headers of one name joined by `, `).
pub fn presented<'a>(
    mode: Mode,
    authorization: Option<&'a str>,
    dpop: Option<&'a str>,
    api_key: Option<&'a str>,
) -> Result<Presented<'a>, Error> {
    let dpop_scheme = authorization.filter(|_| is_dpop(authorization)).and_then(scheme);
    let Some((_, token)) = dpop_scheme else {
        // A token must come under the DPoP scheme; API keys are configured apart and still count.
        // Another scheme is no credentials of this one: a bare `DPoP` challenge, no error code
        // (RFC 6750 section 3.1, "attempted using an unsupported authentication method";
        // RFC 9449 section 7.1's challenge).
        if mode == Mode::Required && authorization.is_some() {
            return Err(Error::NotAuthenticated { client: false });
        }
        return crate::jose::request::credential(authorization, api_key).map(Presented::Plain);
    };
    if mode == Mode::Off {
        return Err(Error::JwsInvalid("the Authorization scheme must be Bearer".into()));
    }
    if token.is_empty() || token.contains(' ') {
        return Err(Error::JwsInvalid("malformed DPoP Authorization header".into()));
    }
    // A proof is a compact JWS: base64url and dots, never a comma. A comma means two headers.
    let proof = match dpop.map(str::trim) {
        None | Some("") => return Err(invalid("the request has no DPoP proof header")),
        Some(proof) if proof.contains(',') => return Err(invalid("the request has more than one DPoP header")),
        Some(proof) => proof,
    };
    Ok(Presented::Dpop { token, proof })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: core::fmt::Debug>(result: Result<T, Error>) -> &'static str {
        result.expect_err("refused").code()
    }

    #[test]
    fn the_dpop_scheme_is_told_by_its_name() {
        assert!(is_dpop(Some("DPoP abc")) && is_dpop(Some(" dpop abc")));
        assert!(!is_dpop(Some("Bearer abc")) && !is_dpop(Some("DPoPabc")) && !is_dpop(None));
    }

    #[test]
    fn modes_by_name() {
        assert_eq!(Mode::from_name("required"), Some(Mode::Required));
        assert_eq!(Mode::from_name("allowed"), Some(Mode::Allowed));
        assert_eq!(Mode::from_name("off"), Some(Mode::Off));
        for bad in ["Required", "on", "true", ""] {
            assert_eq!(Mode::from_name(bad), None, "{bad}");
        }
        assert_eq!(Mode::default(), Mode::Allowed);
    }

    #[test]
    fn a_call_may_tighten_the_mode_never_loosen_it() {
        use Mode::*;
        assert_eq!(Allowed.tightened_by(None), Ok(Allowed));
        assert_eq!(Off.tightened_by(Some(Required)), Ok(Required));
        assert_eq!(Allowed.tightened_by(Some(Required)), Ok(Required));
        assert_eq!(Off.tightened_by(Some(Allowed)), Ok(Allowed));
        assert_eq!(Required.tightened_by(Some(Required)), Ok(Required));
        for (verifier, call) in [(Required, Allowed), (Required, Off), (Allowed, Off)] {
            let err = verifier.tightened_by(Some(call)).expect_err("loosening");
            assert_eq!(err.code(), "ERR_AUTH_INVALID_OPTIONS");
            assert!(err.to_string().contains(verifier.name()), "{err}");
        }
    }

    #[test]
    fn the_dpop_scheme_needs_exactly_one_proof() {
        let ok = presented(Mode::Allowed, Some("DPoP tok"), Some("a.b.c"), None);
        assert_eq!(ok, Ok(Presented::Dpop { token: "tok", proof: "a.b.c" }));
        assert_eq!(
            presented(Mode::Required, Some("dpop  tok "), Some(" a.b.c "), None),
            Ok(Presented::Dpop { token: "tok", proof: "a.b.c" })
        );
        assert_eq!(code(presented(Mode::Allowed, Some("DPoP tok"), None, None)), "ERR_DPOP_INVALID_PROOF");
        assert_eq!(code(presented(Mode::Allowed, Some("DPoP tok"), Some(""), None)), "ERR_DPOP_INVALID_PROOF");
        assert_eq!(
            code(presented(Mode::Allowed, Some("DPoP tok"), Some("a.b.c, d.e.f"), None)),
            "ERR_DPOP_INVALID_PROOF"
        );
        assert_eq!(code(presented(Mode::Allowed, Some("DPoP a b"), Some("a.b.c"), None)), "ERR_JWS_INVALID");
    }

    #[test]
    fn off_refuses_the_dpop_scheme_and_required_refuses_bearer() {
        assert_eq!(code(presented(Mode::Off, Some("DPoP tok"), Some("a.b.c"), None)), "ERR_JWS_INVALID");
        assert_eq!(
            presented(Mode::Off, Some("Bearer tok"), None, None),
            Ok(Presented::Plain(Credential::Bearer("tok")))
        );
        assert_eq!(
            presented(Mode::Allowed, Some("Bearer tok"), Some("a.b.c"), None),
            Ok(Presented::Plain(Credential::Bearer("tok")))
        );
        assert_eq!(code(presented(Mode::Required, Some("Bearer tok"), None, None)), "ERR_AUTH_NOT_AUTHENTICATED");
        assert_eq!(code(presented(Mode::Required, Some("Basic dTpw"), None, None)), "ERR_AUTH_NOT_AUTHENTICATED");
        assert_eq!(presented(Mode::Required, None, None, Some("sk")), Ok(Presented::Plain(Credential::ApiKey("sk"))));
        assert_eq!(code(presented(Mode::Required, None, None, None)), "ERR_AUTH_NOT_AUTHENTICATED");
        assert_eq!(presented(Mode::Allowed, None, None, Some("sk")), Ok(Presented::Plain(Credential::ApiKey("sk"))));
        assert_eq!(code(presented(Mode::Allowed, None, None, None)), "ERR_AUTH_NOT_AUTHENTICATED");
    }
}
