//! JWT claims validation (RFC 7519 section 4.1), with jose's semantics and error codes:
//! `exp` and `nbf` with a clock tolerance, `iat` with `maxTokenAge`, issuer, audience, subject,
//! required claims, the header's `typ` and an OpenID Connect `nonce`. A registered claim of the wrong JSON type is an
//! error even when no option asks about it: a string `exp` is never "no expiry".

use crate::jose::json::{Map, Value};

use super::json;
use super::jws::Header;
use crate::{ClaimFailure, Error};

/// What the verifier requires of the claims.
#[derive(Debug, Clone, Default)]
pub struct ClaimRules {
    /// Accepted `iss` values (empty: not checked).
    pub issuer: Vec<String>,
    /// Accepted audiences; the `aud` claim (string or array) must contain one (empty: not checked).
    pub audience: Vec<String>,
    /// Required `sub`.
    pub subject: Option<String>,
    /// Claims that must be present.
    pub required: Vec<String>,
    /// Maximum age in seconds, from `iat`.
    pub max_token_age: Option<u64>,
    /// Seconds of leeway for `exp`, `nbf` and `iat` (default 0).
    pub clock_tolerance: u64,
    /// Required `typ` header, compared as jose does (case-insensitive, `application/` optional).
    pub typ: Option<String>,
    /// Required `nonce` (OpenID Connect Core 3.1.3.7, jwt-simple's `required_nonce`): the claim
    /// must be there and be exactly this string. Checked last, after the time claims.
    pub nonce: Option<String>,
}

fn failed(claim: &str, reason: &'static str, message: impl Into<String>) -> Error {
    Error::ClaimValidationFailed(Box::new(ClaimFailure { claim: claim.to_owned(), reason, message: message.into() }))
}

fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    lower.strip_prefix("application/").map(str::to_owned).unwrap_or(lower)
}

fn number(claims: &Map, name: &str) -> Result<Option<f64>, Error> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            n.as_f64().map(Some).ok_or_else(|| failed(name, "invalid", format!("\"{name}\" claim must be a number")))
        }
        Some(_) => Err(failed(name, "invalid", format!("\"{name}\" claim must be a number"))),
    }
}

/// Type checks of the registered claims, whatever the options.
fn check_types(claims: &Map) -> Result<(), Error> {
    for name in ["iss", "sub", "jti"] {
        if claims.get(name).is_some_and(|v| !v.is_string()) {
            return Err(failed(name, "invalid", format!("\"{name}\" claim must be a string")));
        }
    }
    match claims.get("aud") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => return Err(failed("aud", "invalid", "\"aud\" claim must be a string or an array of strings")),
    }
    for name in ["exp", "nbf", "iat"] {
        number(claims, name)?;
    }
    Ok(())
}

/// Validates the claims set `payload` of a token with `header` at time `now` (Unix seconds),
/// returning the claims. The signature must already be verified, or be verified before the
/// claims are released.
pub fn validate(header: &Header, payload: &[u8], rules: &ClaimRules, now: i64) -> Result<Map, Error> {
    if let Some(typ) = &rules.typ {
        if header.typ.as_deref().map(normalize_typ) != Some(normalize_typ(typ)) {
            return Err(failed("typ", "check_failed", "unexpected \"typ\" JWT header value"));
        }
    }
    let claims = json::parse_object(payload)
        .map_err(|why| Error::JwtInvalid(format!("JWT Claims Set must be a top-level JSON object ({why})")))?;

    // In jose's order: iss, sub, aud, iat (maxTokenAge), then the required claims from the last.
    let implied = [
        (!rules.issuer.is_empty()).then_some("iss"),
        rules.subject.is_some().then_some("sub"),
        (!rules.audience.is_empty()).then_some("aud"),
        rules.max_token_age.is_some().then_some("iat"),
    ];
    let presence = implied.into_iter().flatten().chain(rules.required.iter().rev().map(String::as_str));
    for claim in presence {
        if !claims.contains_key(claim) {
            return Err(failed(claim, "missing", format!("missing required \"{claim}\" claim")));
        }
    }
    check_types(&claims)?;

    if !rules.issuer.is_empty()
        && !claims.get("iss").and_then(Value::as_str).is_some_and(|iss| rules.issuer.iter().any(|i| i == iss))
    {
        return Err(failed("iss", "check_failed", "unexpected \"iss\" claim value"));
    }
    if let Some(subject) = &rules.subject {
        if claims.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
            return Err(failed("sub", "check_failed", "unexpected \"sub\" claim value"));
        }
    }
    if !rules.audience.is_empty() {
        let present = match claims.get("aud") {
            Some(Value::String(aud)) => rules.audience.contains(aud),
            Some(Value::Array(auds)) => {
                auds.iter().filter_map(Value::as_str).any(|a| rules.audience.iter().any(|w| w == a))
            }
            _ => false,
        };
        if !present {
            return Err(failed("aud", "check_failed", "unexpected \"aud\" claim value"));
        }
    }

    let now = now as f64;
    let tolerance = rules.clock_tolerance as f64;
    if let Some(nbf) = number(&claims, "nbf")? {
        if nbf > now + tolerance {
            return Err(failed("nbf", "check_failed", "\"nbf\" claim timestamp check failed"));
        }
    }
    if let Some(exp) = number(&claims, "exp")? {
        if exp <= now - tolerance {
            return Err(Error::JwtExpired { claim: "exp" });
        }
    }
    if let Some(max_age) = rules.max_token_age {
        let iat = number(&claims, "iat")?.unwrap_or(f64::NAN);
        let age = now - iat;
        if age - tolerance > max_age as f64 {
            return Err(Error::JwtExpired { claim: "iat" });
        }
        if age < -tolerance {
            return Err(failed(
                "iat",
                "check_failed",
                "\"iat\" claim timestamp check failed (it should be in the past)",
            ));
        }
    }
    if let Some(nonce) = &rules.nonce {
        match claims.get("nonce") {
            None => return Err(failed("nonce", "missing", "missing required \"nonce\" claim")),
            Some(Value::String(got)) if got == nonce => {}
            Some(_) => return Err(failed("nonce", "check_failed", "unexpected \"nonce\" claim value")),
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Alg;

    const NOW: i64 = 1_700_000_000;

    fn header(typ: Option<&str>) -> Header {
        Header { alg: Alg::Hs256, kid: None, typ: typ.map(str::to_owned), members: Map::new() }
    }

    fn check(payload: &str, rules: &ClaimRules) -> Result<Map, Error> {
        validate(&header(Some("JWT")), payload.as_bytes(), rules, NOW)
    }

    fn claim_error(payload: &str, rules: &ClaimRules) -> (String, &'static str) {
        match check(payload, rules) {
            Err(Error::ClaimValidationFailed(failure)) => (failure.claim, failure.reason),
            other => panic!("expected a claim error for {payload}, got {other:?}"),
        }
    }

    #[test]
    fn exp_boundary_follows_jose_exp_at_now_is_expired() {
        let rules = ClaimRules::default();
        assert!(check(&format!(r#"{{"exp":{}}}"#, NOW + 1), &rules).is_ok());
        assert_eq!(check(&format!(r#"{{"exp":{NOW}}}"#), &rules), Err(Error::JwtExpired { claim: "exp" }));
        let tolerant = ClaimRules { clock_tolerance: 30, ..Default::default() };
        assert!(check(&format!(r#"{{"exp":{}}}"#, NOW - 29), &tolerant).is_ok());
        assert!(check(&format!(r#"{{"exp":{}}}"#, NOW - 30), &tolerant).is_err());
        assert!(check(&format!(r#"{{"exp":{}.5}}"#, NOW), &rules).is_ok(), "fractional seconds");
    }

    #[test]
    fn nbf_with_tolerance() {
        let rules = ClaimRules::default();
        assert!(check(&format!(r#"{{"nbf":{NOW}}}"#), &rules).is_ok());
        assert_eq!(claim_error(&format!(r#"{{"nbf":{}}}"#, NOW + 1), &rules), ("nbf".into(), "check_failed"));
        assert!(
            check(&format!(r#"{{"nbf":{}}}"#, NOW + 5), &ClaimRules { clock_tolerance: 5, ..Default::default() })
                .is_ok()
        );
    }

    #[test]
    fn wrong_types_are_errors_never_absent() {
        let rules = ClaimRules::default();
        for (payload, claim) in [
            (r#"{"exp":"1"}"#, "exp"),
            (r#"{"exp":null}"#, "exp"),
            (r#"{"nbf":true}"#, "nbf"),
            (r#"{"iat":[]}"#, "iat"),
            (r#"{"iss":1}"#, "iss"),
            (r#"{"sub":{}}"#, "sub"),
            (r#"{"aud":5}"#, "aud"),
            (r#"{"aud":["a",1]}"#, "aud"),
            (r#"{"jti":2}"#, "jti"),
        ] {
            assert_eq!(claim_error(payload, &rules), (claim.into(), "invalid"), "{payload}");
        }
    }

    #[test]
    fn issuer_audience_subject_and_required_claims() {
        let rules = ClaimRules {
            issuer: vec!["https://a".into(), "https://b".into()],
            audience: vec!["api".into()],
            subject: Some("u1".into()),
            required: vec!["scope".into()],
            ..Default::default()
        };
        assert!(check(r#"{"iss":"https://b","aud":["x","api"],"sub":"u1","scope":"r"}"#, &rules).is_ok());
        assert!(check(r#"{"iss":"https://a","aud":"api","sub":"u1","scope":"r"}"#, &rules).is_ok());
        assert_eq!(
            claim_error(r#"{"iss":"https://c","aud":"api","sub":"u1","scope":"r"}"#, &rules),
            ("iss".into(), "check_failed")
        );
        assert_eq!(
            claim_error(r#"{"iss":"https://a","aud":["x"],"sub":"u1","scope":"r"}"#, &rules),
            ("aud".into(), "check_failed")
        );
        assert_eq!(
            claim_error(r#"{"iss":"https://a","aud":"api","sub":"u2","scope":"r"}"#, &rules),
            ("sub".into(), "check_failed")
        );
        // jose reports missing claims in the order iss, sub, aud, iat, then requiredClaims.
        assert_eq!(claim_error(r#"{}"#, &rules), ("iss".into(), "missing"));
        assert_eq!(claim_error(r#"{"iss":"https://a","aud":"api","sub":"u1"}"#, &rules), ("scope".into(), "missing"));
    }

    #[test]
    fn max_token_age_uses_iat() {
        let rules = ClaimRules { max_token_age: Some(60), ..Default::default() };
        assert!(check(&format!(r#"{{"iat":{}}}"#, NOW - 60), &rules).is_ok());
        assert_eq!(check(&format!(r#"{{"iat":{}}}"#, NOW - 61), &rules), Err(Error::JwtExpired { claim: "iat" }));
        assert_eq!(claim_error(&format!(r#"{{"iat":{}}}"#, NOW + 1), &rules), ("iat".into(), "check_failed"));
        assert_eq!(claim_error("{}", &rules), ("iat".into(), "missing"));
    }

    #[test]
    fn a_required_nonce_must_be_there_and_equal() {
        let rules = ClaimRules { nonce: Some("n-1".into()), ..Default::default() };
        assert!(check(r#"{"nonce":"n-1"}"#, &rules).is_ok());
        assert_eq!(claim_error("{}", &rules), ("nonce".into(), "missing"));
        assert_eq!(claim_error(r#"{"nonce":"n-2"}"#, &rules), ("nonce".into(), "check_failed"));
        assert_eq!(claim_error(r#"{"nonce":7}"#, &rules), ("nonce".into(), "check_failed"));
        assert_eq!(claim_error(r#"{"nonce":"N-1"}"#, &rules), ("nonce".into(), "check_failed"), "exact");
        // The time claims are judged first: an expired token is expired, whatever its nonce.
        assert_eq!(check(&format!(r#"{{"exp":{NOW}}}"#), &rules), Err(Error::JwtExpired { claim: "exp" }));
        assert!(check(r#"{"nonce":5}"#, &ClaimRules::default()).is_ok(), "no rule, no check");
    }

    #[test]
    fn typ_is_compared_like_jose() {
        let rules = ClaimRules { typ: Some("at+jwt".into()), ..Default::default() };
        assert!(validate(&header(Some("application/AT+JWT")), b"{}", &rules, NOW).is_ok());
        assert_eq!(
            validate(&header(Some("JWT")), b"{}", &rules, NOW).map_err(|e| e.code()),
            Err("ERR_JWT_CLAIM_VALIDATION_FAILED")
        );
        assert!(validate(&header(None), b"{}", &rules, NOW).is_err());
    }

    #[test]
    fn the_claims_set_must_be_a_json_object() {
        for payload in ["[]", "\"x\"", "1", "foo", "", "{\"a\":1,\"a\":2}"] {
            assert_eq!(
                check(payload, &ClaimRules::default()).map_err(|e| e.code()),
                Err("ERR_JWT_INVALID"),
                "{payload}"
            );
        }
    }
}
