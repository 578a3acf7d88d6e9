//! A token endpoint's answer (`/auth/login`, `/auth/refresh`, `/oauth/token`), validated.

use crate::jose::json::{Map, Value};

use super::secret::Secret;
use crate::Error;

/// Longest token accepted from a server, in bytes: a bigger one is not a token.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A lifetime above this (ten years) is treated as this, so arithmetic stays finite.
const MAX_EXPIRES_IN_S: f64 = 10.0 * 365.0 * 24.0 * 3600.0;

/// The tokens of one successful answer. Held in memory only; the secrets never print.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    /// The access token, sent as `Authorization: Bearer`.
    pub access_token: Secret,
    /// The refresh token, if the server issued one (or kept from before: see [`TokenSet::keeping_refresh_token`]).
    pub refresh_token: Option<Secret>,
    /// `expires_in` in seconds, if given.
    pub expires_in: Option<f64>,
    /// The granted scope, if given.
    pub scope: Option<String>,
    /// An OpenID Connect ID token, if given (validated by the OAuth client, not here).
    pub id_token: Option<Secret>,
    /// `token_type` DPoP (RFC 9449 §5): the access token is bound to the client's key, and goes
    /// as `Authorization: DPoP` with a proof; otherwise it is a Bearer token.
    pub dpop: bool,
}

fn invalid(why: &str) -> Error {
    Error::InvalidResponse(format!("the token answer {why}"))
}

/// A token as RFC 6750's `b64token` allows it in an Authorization header, loosely: visible
/// ASCII only, so it can never break a header or smuggle a second one.
fn header_safe(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_TOKEN_BYTES && token.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

fn optional_string<'a>(object: &'a Map, name: &str) -> Result<Option<&'a str>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(&format!("has a {name} that is not a string"))),
    }
}

impl TokenSet {
    /// Parses a 2xx answer's body. Anything that is not an object with a usable Bearer access
    /// token is an [`Error::InvalidResponse`]: a garbage token is never kept.
    pub fn from_json(body: &[u8]) -> Result<TokenSet, Error> {
        let object = crate::jose::json::parse_object(body).map_err(|_| invalid("is not a JSON object"))?;
        TokenSet::from_map(&object)
    }

    /// [`TokenSet::from_json`] for an object already parsed (a peer tab's message, too).
    pub fn from_map(object: &Map) -> Result<TokenSet, Error> {
        let access = optional_string(object, "access_token")?.ok_or_else(|| invalid("has no access_token"))?;
        if !header_safe(access) {
            return Err(invalid("has an access_token that cannot be sent in a header"));
        }
        // RFC 6749 5.1 makes token_type required; a missing one is read as Bearer, as most
        // clients do. DPoP (RFC 9449 §5) is a bound token, which only a client with the key can
        // use (`client::dpop::check_token_type`); any other type (MAC) cannot be used at all.
        let dpop = match optional_string(object, "token_type")? {
            None => false,
            Some(kind) if kind.eq_ignore_ascii_case("bearer") => false,
            Some(kind) if kind.eq_ignore_ascii_case("dpop") => true,
            // Not quoted: the server's text, of any size.
            Some(_) => return Err(invalid("has a token_type other than Bearer or DPoP, which is not supported")),
        };
        let refresh = match optional_string(object, "refresh_token")? {
            None => None,
            Some(r) if !r.is_empty() && r.len() <= MAX_TOKEN_BYTES => Some(Secret::new(r.to_owned())),
            Some(_) => return Err(invalid("has an empty or oversized refresh_token")),
        };
        let expires_in = match object.get("expires_in") {
            None | Some(Value::Null) => None,
            // Some servers send it as a string; RFC 6749 says a number.
            Some(Value::String(s)) => {
                Some(s.trim().parse::<u64>().map_err(|_| invalid("has an expires_in that is not a number"))? as f64)
            }
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => return Err(invalid("has an expires_in that is not a number")),
        };
        let expires_in = match expires_in {
            Some(s) if s.is_finite() && s >= 0.0 => Some(s.min(MAX_EXPIRES_IN_S).floor()),
            Some(_) => return Err(invalid("has a negative or infinite expires_in")),
            None => None,
        };
        let id_token = optional_string(object, "id_token")?.map(|t| Secret::new(t.to_owned()));
        let scope = optional_string(object, "scope")?.map(str::to_owned);
        Ok(TokenSet {
            access_token: Secret::new(access.to_owned()),
            refresh_token: refresh,
            expires_in,
            scope,
            id_token,
            dpop,
        })
    }

    /// The `Authorization` scheme the access token goes with: `DPoP` for a bound token (with a
    /// proof), else `Bearer`.
    pub fn scheme(&self) -> &'static str {
        if self.dpop { "DPoP" } else { "Bearer" }
    }

    /// A refresh answer without a new refresh token leaves the current one valid (RFC 6749 6:
    /// rotation is the server's choice), so it is kept.
    pub fn keeping_refresh_token(mut self, previous: Option<&Secret>) -> TokenSet {
        if self.refresh_token.is_none() {
            self.refresh_token = previous.cloned();
        }
        self
    }

    /// The access token's lifetime in milliseconds: `expires_in`; without it, the JWT's
    /// `exp` against the wall clock, read without verification (only to schedule a refresh;
    /// the server decides validity); `None` when neither exists.
    pub fn lifetime_ms(&self, wall_now_ms: f64) -> Option<f64> {
        if let Some(seconds) = self.expires_in {
            return Some(seconds * 1000.0);
        }
        let bytes = self.claims_json()?;
        let exp = crate::jose::json::parse_object(&bytes).ok()?.get("exp")?.as_f64()?;
        exp.is_finite().then(|| (exp.min(1e13) * 1000.0 - wall_now_ms).max(0.0))
    }

    /// The access token's payload as JSON text, decoded but NOT verified (the server decides
    /// validity): for showing who is logged in. `None` for a token that is not a JWT whose
    /// payload is a JSON object (an opaque token).
    pub fn claims_json(&self) -> Option<Vec<u8>> {
        let payload = self.access_token.expose().split('.').nth(1)?;
        let bytes = crate::jose::jws::b64_decode(payload, "payload").ok()?;
        crate::jose::json::parse_object(&bytes).ok()?;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<TokenSet, Error> {
        TokenSet::from_json(body.as_bytes())
    }

    #[test]
    fn claims_are_the_access_tokens_payload_when_it_is_a_jwt() {
        // {"sub":"user_demo","exp":2000000000}
        let jwt = r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyX2RlbW8iLCJleHAiOjIwMDAwMDAwMDB9.c2ln"}"#;
        let claims = parse(jwt).expect("valid").claims_json().expect("a JWT");
        assert_eq!(claims, br#"{"sub":"user_demo","exp":2000000000}"#);
        assert_eq!(parse(r#"{"access_token":"opaque-token"}"#).expect("valid").claims_json(), None);
        // A payload that is not an object (here the JSON string "x").
        assert_eq!(parse(r#"{"access_token":"e30.Ingi.c2ln"}"#).expect("valid").claims_json(), None);
    }

    fn code(body: &str) -> &'static str {
        parse(body).expect_err("must be refused").code()
    }

    #[test]
    fn the_guides_answer_parses() {
        let set = parse(r#"{"access_token":"eyJ.a.b","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600}"#)
            .expect("valid");
        assert_eq!(set.access_token.expose(), "eyJ.a.b");
        assert_eq!(set.refresh_token.as_ref().map(Secret::expose), Some("rt-1"));
        assert_eq!(set.expires_in, Some(3600.0));
        assert_eq!(set.lifetime_ms(0.0), Some(3_600_000.0));
        assert!(!format!("{set:?}").contains("rt-1"));
        assert!(!format!("{set:?}").contains("eyJ"));
    }

    #[test]
    fn optional_fields_and_lenient_forms() {
        let set =
            parse(r#"{"access_token":"at","token_type":"bearer","expires_in":"60","scope":"read","id_token":"x.y.z"}"#)
                .expect("valid");
        assert_eq!(set.expires_in, Some(60.0));
        assert_eq!(set.scope.as_deref(), Some("read"));
        assert_eq!(set.id_token.as_ref().map(Secret::expose), Some("x.y.z"));
        assert_eq!(set.refresh_token, None);
        let set = parse(r#"{"access_token":"at","expires_in":1e30,"refresh_token":null}"#).expect("valid");
        assert_eq!(set.expires_in, Some(MAX_EXPIRES_IN_S));
        assert_eq!(parse(r#"{"access_token":"at","expires_in":12.7}"#).expect("valid").expires_in, Some(12.0));
    }

    #[test]
    fn malformed_answers_are_refused_with_a_code() {
        for body in [
            "",
            "not json",
            "[]",
            "null",
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":42}"#,
            r#"{"access_token":"has space"}"#,
            "{\"access_token\":\"line\\r\\nX-Evil: 1\"}",
            r#"{"access_token":"caf\u00e9"}"#,
            r#"{"access_token":"at","token_type":"MAC"}"#,
            r#"{"access_token":"at","token_type":7}"#,
            r#"{"access_token":"at","expires_in":-1}"#,
            r#"{"access_token":"at","expires_in":"soon"}"#,
            r#"{"access_token":"at","expires_in":true}"#,
            r#"{"access_token":"at","refresh_token":""}"#,
            r#"{"access_token":"at","refresh_token":5}"#,
            r#"{"access_token":"at","scope":["read"]}"#,
        ] {
            assert_eq!(code(body), "ERR_AUTH_INVALID_RESPONSE", "{body}");
        }
        let huge = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(MAX_TOKEN_BYTES + 1));
        assert_eq!(code(&huge), "ERR_AUTH_INVALID_RESPONSE");
        let markup = parse(r#"{"access_token":"at","token_type":"<img src=x onerror=alert(1)>"}"#).expect_err("type");
        assert!(!markup.to_string().contains('<'), "{markup}");
    }

    #[test]
    fn a_dpop_token_type_is_remembered() {
        for kind in ["DPoP", "dpop", "DPOP"] {
            let set = parse(&format!(r#"{{"access_token":"at","token_type":"{kind}"}}"#)).expect("valid");
            assert!(set.dpop);
            assert_eq!(set.scheme(), "DPoP");
        }
        let bearer = parse(r#"{"access_token":"at","token_type":"Bearer"}"#).expect("valid");
        assert!(!bearer.dpop);
        assert_eq!(bearer.scheme(), "Bearer");
        assert!(!parse(r#"{"access_token":"at"}"#).expect("valid").dpop);
    }

    #[test]
    fn a_refresh_without_rotation_keeps_the_refresh_token() {
        let old = Secret::new("rt-old".into());
        let rotated =
            parse(r#"{"access_token":"a","refresh_token":"rt-new"}"#).expect("valid").keeping_refresh_token(Some(&old));
        assert_eq!(rotated.refresh_token.as_ref().map(Secret::expose), Some("rt-new"));
        let kept = parse(r#"{"access_token":"a"}"#).expect("valid").keeping_refresh_token(Some(&old));
        assert_eq!(kept.refresh_token, Some(old));
    }

    #[test]
    fn without_expires_in_the_jwt_exp_schedules() {
        // {"exp":1000}
        let set = parse(r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjEwMDB9.c2ln"}"#).expect("valid");
        assert_eq!(set.lifetime_ms(400_000.0), Some(600_000.0));
        assert_eq!(set.lifetime_ms(2_000_000.0), Some(0.0));
        let opaque = parse(r#"{"access_token":"opaque-token"}"#).expect("valid");
        assert_eq!(opaque.lifetime_ms(0.0), None);
    }
}
