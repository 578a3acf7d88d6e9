//! Compact JWS parsing (RFC 7515 section 7.1) and the header policy: the token may name an
//! algorithm and a key id, nothing more. Keys embedded in the header (`jwk`, `jku`, `x5u`,
//! `x5c`) are refused and never dereferenced; unknown `crit` extensions and `b64: false` are
//! refused; `alg: none` is never accepted.

use crate::jose::json::{Map, Quoted, Value};

use super::alg::Alg;
use super::json;
use crate::Error;

/// Size limits checked before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest token accepted, in bytes.
    pub max_token_len: usize,
    /// Longest base64url header segment accepted, in bytes.
    pub max_header_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_token_len: 64 * 1024, max_header_len: 8 * 1024 }
    }
}

/// The protected header, checked.
#[derive(Debug, Clone)]
pub struct Header {
    /// The algorithm the token claims; the verifier still checks it against the key and the
    /// allow-list.
    pub alg: Alg,
    /// A lookup key into the verifier's key set, nothing more.
    pub kid: Option<String>,
    /// The `typ` header, if any.
    pub typ: Option<String>,
    /// Every member, for callers that show the header.
    pub members: Map,
}

/// A parsed compact JWS whose signature is not yet verified.
#[derive(Debug)]
pub struct Jws<'a> {
    /// The checked protected header.
    pub header: Header,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// The decoded header JSON, checked (kept so callers need not decode it again).
    pub header_json: Vec<u8>,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// Header members that carry or point to key material; a token must not choose its own key.
const KEY_CARRYING: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// Registered header parameters (RFC 7515 4.1), which `crit` must not list.
const REGISTERED: [&str; 11] = ["alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"];

fn invalid(why: impl Into<String>) -> Error {
    Error::JwsInvalid(why.into())
}

/// Strict base64url without padding (RFC 7515 section 2): no `=`, no whitespace, no
/// non-canonical trailing bits.
pub fn b64_decode(segment: &str, what: &str) -> Result<Vec<u8>, Error> {
    super::base64::url_decode(segment.as_bytes()).ok_or_else(|| invalid(format!("{what} is not base64url")))
}

/// base64url without padding (RFC 7515 section 2), as the crate writes it (thumbprints, `ath`,
/// `jti`, proofs).
pub fn b64_encode(bytes: impl AsRef<[u8]>) -> String {
    super::base64::url_encode(bytes.as_ref())
}

/// Standard base64 with padding (RFC 4648 section 4), for HTTP Basic credentials.
pub fn base64_standard(bytes: impl AsRef<[u8]>) -> String {
    super::base64::standard_encode(bytes.as_ref())
}

/// The refusal of a token longer than `limits.max_token_len` bytes.
pub fn too_long(limits: &Limits) -> Error {
    invalid(format!("token longer than {} bytes", limits.max_token_len))
}

/// Splits, decodes and checks a compact JWS. The signature is not verified here.
pub fn parse<'a>(token: &'a str, limits: &Limits) -> Result<Jws<'a>, Error> {
    if token.len() > limits.max_token_len {
        return Err(too_long(limits));
    }
    if token.trim_start().starts_with('{') {
        return Err(invalid("JWS JSON serialization is not supported; use the compact form"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("a compact JWS has three dot-separated parts"));
    };
    if header_b64.len() > limits.max_header_len {
        return Err(invalid(format!("header longer than {} bytes", limits.max_header_len)));
    }
    let header_json = b64_decode(header_b64, "header")?;
    let members =
        json::parse_object(&header_json).map_err(|why| invalid(format!("header is not a valid JSON object: {why}")))?;
    let header = check_header(members)?;
    let payload = b64_decode(payload_b64, "payload")?;
    let signature = b64_decode(signature_b64, "signature")?;
    // `get`: the length ends at the second dot, an ASCII byte, so this never fails; indexing would
    // bring a slice panic's char-boundary formatting into the wasm.
    let signing_input = token
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or_else(|| invalid("a compact JWS has three dot-separated parts"))?;
    Ok(Jws { header, signing_input, header_json, payload, signature })
}

fn optional_string(members: &Map, name: &str) -> Result<Option<String>, Error> {
    match members.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("header parameter {} must be a string", Quoted(name)))),
    }
}

fn check_header(members: Map) -> Result<Header, Error> {
    let alg_name = match members.get("alg") {
        Some(Value::String(alg)) => alg.as_str(),
        Some(_) => return Err(invalid("header parameter \"alg\" must be a string")),
        None => return Err(invalid("header parameter \"alg\" is missing")),
    };
    let alg = Alg::from_name(alg_name).ok_or_else(|| Error::AlgNotAllowed(alg_name.to_owned()))?;
    if let Some(name) = KEY_CARRYING.iter().find(|name| members.contains_key(name)) {
        return Err(invalid(format!(
            "header parameter {} is refused: keys come only from the verifier's configuration",
            Quoted(name)
        )));
    }
    if members.contains_key("zip") {
        return Err(invalid("header parameter \"zip\" belongs to JWE, not JWS"));
    }
    match members.get("b64") {
        None | Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return Err(invalid("unencoded payloads (b64: false) are not supported")),
        Some(_) => return Err(invalid("header parameter \"b64\" must be a boolean")),
    }
    if let Some(crit) = members.get("crit") {
        let Value::Array(names) = crit else { return Err(invalid("header parameter \"crit\" must be an array")) };
        if names.is_empty() {
            return Err(invalid("header parameter \"crit\" must not be empty"));
        }
        for name in names {
            let Value::String(name) = name else { return Err(invalid("\"crit\" must list strings")) };
            if REGISTERED.contains(&name.as_str()) {
                return Err(invalid(format!("\"crit\" must not list the registered parameter {}", Quoted(name))));
            }
            if !members.contains_key(name) {
                return Err(invalid(format!("\"crit\" lists {}, which the header lacks", Quoted(name))));
            }
            // b64 (RFC 7797) is the one extension understood, and only as b64: true.
            if name != "b64" {
                return Err(Error::NotSupported(format!("critical header extension {}", Quoted(name))));
            }
        }
    }
    let kid = optional_string(&members, "kid")?;
    let typ = optional_string(&members, "typ")?;
    Ok(Header { alg, kid, typ, members })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        b64_encode(text)
    }

    fn token(header: &str) -> String {
        format!("{}.{}.{}", b64(header), b64("{}"), b64("sig"))
    }

    fn code(header: &str) -> &'static str {
        parse(&token(header), &Limits::default()).expect_err(header).code()
    }

    #[test]
    fn parses_a_compact_jws() {
        let t = token(r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#);
        let jws = parse(&t, &Limits::default()).expect("valid");
        assert_eq!(jws.header.alg, Alg::Hs256);
        assert_eq!(jws.header.kid.as_deref(), Some("k1"));
        assert_eq!(jws.header.typ.as_deref(), Some("JWT"));
        assert_eq!(jws.payload, b"{}");
        assert_eq!(jws.signature, b"sig");
        assert_eq!(jws.signing_input, &t[..t.rfind('.').unwrap_or(0)]);
    }

    #[test]
    fn alg_none_and_unknown_algs_are_not_allowed() {
        for alg in ["none", "None", "nOnE", "HS1", "ES256K"] {
            assert_eq!(code(&format!(r#"{{"alg":"{alg}"}}"#)), "ERR_JOSE_ALG_NOT_ALLOWED", "{alg}");
        }
        assert_eq!(code(r#"{"typ":"JWT"}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":256}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":null}"#), "ERR_JWS_INVALID");
    }

    #[test]
    fn header_keys_are_refused() {
        for param in ["jwk", "jku", "x5u", "x5c"] {
            assert_eq!(code(&format!(r#"{{"alg":"RS256","{param}":{{}}}}"#)), "ERR_JWS_INVALID", "{param}");
        }
    }

    #[test]
    fn crit_and_b64_rules() {
        assert_eq!(code(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#), "ERR_JOSE_NOT_SUPPORTED");
        assert_eq!(code(r#"{"alg":"HS256","crit":["alg"]}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":"HS256","crit":["x"]}"#), "ERR_JWS_INVALID", "listed but absent");
        assert_eq!(code(r#"{"alg":"HS256","crit":[]}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":"HS256","crit":"b64","b64":true}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":"HS256","crit":["b64"],"b64":false}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":"HS256","b64":"no"}"#), "ERR_JWS_INVALID");
        assert!(parse(&token(r#"{"alg":"HS256","crit":["b64"],"b64":true}"#), &Limits::default()).is_ok());
    }

    #[test]
    fn kid_and_typ_must_be_strings() {
        assert_eq!(code(r#"{"alg":"HS256","kid":1}"#), "ERR_JWS_INVALID");
        assert_eq!(code(r#"{"alg":"HS256","typ":["JWT"]}"#), "ERR_JWS_INVALID");
    }

    #[test]
    fn duplicate_header_members_are_refused() {
        assert_eq!(code(r#"{"alg":"HS256","alg":"none"}"#), "ERR_JWS_INVALID");
    }

    #[test]
    fn malformed_structure_and_base64() {
        let good = token(r#"{"alg":"HS256"}"#);
        let mut cases = vec![
            String::new(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            format!("{good}."),
            format!("{good}="),
            format!(" {good}"),
            good.replace('.', ".."),
            "{\"payload\":\"x\",\"signatures\":[]}".to_owned(),
        ];
        let (h, rest) = good.split_once('.').unwrap_or_default();
        cases.push(format!("{h}=.{rest}"));
        cases.push(format!("{}.{rest}", h.replace('e', "+")));
        for case in cases {
            let err = parse(&case, &Limits::default()).expect_err(&case);
            assert_eq!(err.code(), "ERR_JWS_INVALID", "{case}");
        }
    }

    #[test]
    fn size_limits_apply_before_decoding() {
        let limits = Limits { max_token_len: 100, max_header_len: 20 };
        let long = format!("{}.e30.", b64(&format!(r#"{{"alg":"HS256","x":"{}"}}"#, "a".repeat(200))));
        assert!(parse(&long, &limits).unwrap_err().to_string().contains("longer than 100"));
        let header = token(r#"{"alg":"HS256","kid":"abcdefgh"}"#);
        assert!(parse(&header, &limits).unwrap_err().to_string().contains("header longer"));
    }
}
