//! DPoP for the client (RFC 9449): the decisions of a client that proves possession of its key.
//!
//! The web layer holds the key pair (a non-extractable WebCrypto key), signs and sends; this
//! module decides everything else: the proof's header and claims as the JWS signing input
//! (§4.2), the compact proof from the signature, which server nonce goes with a request (a
//! memory per origin, fed by every `DPoP-Nonce` answer header, §8 and §9), whether an answer
//! asks for a retry with a nonce (§8: 400 `use_dpop_nonce` from the authorization server, §9:
//! 401 with a `DPoP` challenge `error="use_dpop_nonce"` from a resource server), and whether a
//! token answer's `token_type` fits the client.

use crate::jose::jws::b64_encode;
use sha2::{Digest, Sha256};

use super::secret::Secret;
use super::token_set::TokenSet;
use crate::Error;
use crate::jose::json::{self, Value};

/// The proof's `typ` (§4.2).
pub const PROOF_TYPE: &str = "dpop+jwt";
/// The one signing algorithm the client uses: ECDSA P-256 with SHA-256, which every WebCrypto
/// has and every DPoP server accepts.
pub const ALG: &str = "ES256";
/// The request header that carries a proof, and the `Authorization` scheme of a bound token.
pub const HEADER: &str = "dpop";
/// The answer header that carries a server's nonce.
pub const NONCE_HEADER: &str = "dpop-nonce";
/// The error code by which a server asks for (another) nonce.
pub const USE_NONCE: &str = "use_dpop_nonce";
/// Random bytes of a proof's `jti` (§4.2: enough that it never repeats): 128 bits.
const JTI_BYTES: usize = 16;
/// The servers whose nonces are remembered at once; the oldest is forgotten first.
const MAX_NONCES: usize = 16;
/// Longest nonce kept, in bytes: a bigger one is not a nonce.
const MAX_NONCE_BYTES: usize = 1024;
/// An ES256 signature as JWS carries it: r || s, 32 bytes each (WebCrypto's output too).
const ES256_SIGNATURE_BYTES: usize = 64;

/// The public half of the client's P-256 key, as the proof header's `jwk`: only the members
/// RFC 7638 names for an EC key, so the header never carries a private member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    x: String,
    y: String,
}

impl PublicKey {
    /// The key with base64url coordinates `x` and `y` (WebCrypto's exported JWK); anything else
    /// than two 32-byte coordinates is refused.
    pub fn p256(x: &str, y: &str) -> Result<PublicKey, Error> {
        let coordinate = |c: &str| crate::jose::base64::url_decode(c.as_bytes()).is_some_and(|bytes| bytes.len() == 32);
        if !coordinate(x) || !coordinate(y) {
            return Err(Error::DpopKeyUnavailable("the platform's key is not a P-256 public key"));
        }
        Ok(PublicKey { x: x.to_owned(), y: y.to_owned() })
    }

    /// The public JWK, its members in RFC 7638's order (the order of its thumbprint input).
    pub fn jwk(&self) -> Value {
        json::object([
            ("crv", "P-256".into()),
            ("kty", "EC".into()),
            ("x", self.x.as_str().into()),
            ("y", self.y.as_str().into()),
        ])
    }
}

/// `htu` (§4.2): the request's URL without its query and fragment.
pub fn htu(url: &str) -> &str {
    let end = url.bytes().position(|b| b == b'?' || b == b'#').unwrap_or(url.len());
    // `get` (never failing before an ASCII `?` or `#`) rather than a slice, whose panic brings
    // char-boundary formatting into the wasm; were it to fail, the empty `htu` is refused.
    url.get(..end).unwrap_or_default()
}

/// The origin of an absolute URL (`https://host:port`), which nonces are remembered by: the
/// scheme and authority, lower-cased as URL parsers write them.
pub fn origin(url: &str) -> String {
    let bytes = url.as_bytes();
    let start = bytes
        .iter()
        .position(|b| *b == b':')
        .map_or(0, |colon| colon + 1 + bytes.iter().skip(colon + 1).take_while(|b| **b == b'/').count());
    let end = bytes.iter().skip(start).position(|b| matches!(b, b'/' | b'?' | b'#')).map_or(url.len(), |at| start + at);
    // `get`, never failing before an ASCII byte (see `htu`); were it to fail, the whole URL is a
    // key no other origin shares.
    url.get(..end).unwrap_or(url).to_ascii_lowercase()
}

/// `ath` (§4.2): base64url(SHA-256(access token)), for a request to a resource server.
pub fn ath(access_token: &Secret) -> String {
    b64_encode(Sha256::digest(access_token.expose().as_bytes()))
}

/// A fresh `jti`: 128 random bits, base64url.
pub fn jti() -> Result<String, Error> {
    let mut bytes = [0u8; JTI_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| Error::CryptoUnavailable)?;
    Ok(b64_encode(bytes))
}

/// What one proof says about its request.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL; its query and fragment are dropped ([`htu`]).
    pub url: &'a str,
    /// The access token the request carries (a resource request): its hash is `ath`.
    pub access_token: Option<&'a Secret>,
    /// The server's nonce for the request's origin, if it gave one.
    pub nonce: Option<&'a str>,
}

/// The proof's JWS signing input (`base64url(header) "." base64url(claims)`, §4.2), for `key`,
/// at `now_s` (seconds since the epoch), with the random `jti`. A secret: with `ath` it is tied
/// to the access token, and until signed it is half a credential.
pub fn signing_input(key: &PublicKey, request: &ProofRequest<'_>, now_s: f64, jti: &str) -> Secret {
    // Written out rather than through json::Map (less code in the wasm): the coordinates, jti
    // and ath are base64url and a nonce is NQCHAR (§8.1: no '"' or '\\'), so only htm and htu
    // need JSON escaping.
    let mut header =
        String::from("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
    header.push_str(&key.x);
    header.push_str("\",\"y\":\"");
    header.push_str(&key.y);
    header.push_str("\"}}");
    let mut claims = String::from("{\"jti\":\"");
    claims.push_str(jti);
    claims.push_str("\",\"htm\":");
    push_json_string(&mut claims, request.method);
    claims.push_str(",\"htu\":");
    push_json_string(&mut claims, htu(request.url));
    claims.push_str(",\"iat\":");
    claims.push_str(&(now_s.floor() as i64).to_string());
    if let Some(nonce) = request.nonce.filter(|n| nonce_syntax(n)) {
        claims.push_str(",\"nonce\":\"");
        claims.push_str(nonce);
        claims.push('"');
    }
    if let Some(token) = request.access_token {
        claims.push_str(",\"ath\":\"");
        claims.push_str(&ath(token));
        claims.push('"');
    }
    claims.push('}');
    let mut input = b64_encode(header);
    input.push('.');
    input.push_str(&b64_encode(claims));
    Secret::new(input)
}

/// `text` as a JSON string: quotes, backslashes and control characters escaped.
fn push_json_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The compact proof: the signing input and the ES256 signature (r || s, as WebCrypto gives it).
pub fn compact(signing_input: &Secret, signature: &[u8]) -> Result<Secret, Error> {
    if signature.len() != ES256_SIGNATURE_BYTES {
        return Err(Error::DpopKeyUnavailable("the platform's ES256 signature is not 64 bytes"));
    }
    let mut proof = signing_input.expose().to_owned();
    proof.push('.');
    proof.push_str(&b64_encode(signature));
    Ok(Secret::new(proof))
}

/// A nonce as §8.1 allows it (`1*NQCHAR`: visible ASCII but `"` and `\`), so it fits a claim
/// and can never smuggle anything into a header.
fn nonce_syntax(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_BYTES
        && nonce.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The servers' nonces, by origin (§8.2, §9): the last one each server sent, to go with the
/// next proof to that server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nonces {
    /// `(origin, nonce)`, the origin first heard from first (and first forgotten).
    known: Vec<(String, String)>,
    /// How many were forgotten for room: the next slot to reuse.
    evicted: usize,
}

impl Nonces {
    /// The nonce to put into a proof for `url`, if its server gave one.
    pub fn for_url(&self, url: &str) -> Option<&str> {
        let origin = origin(url);
        self.known.iter().find(|(known, _)| *known == origin).map(|(_, nonce)| nonce.as_str())
    }

    /// Remembers the `DPoP-Nonce` header of an answer from `url` (any status: §8.2 lets a
    /// server send a fresh nonce with any answer). Whether the nonce for that server changed,
    /// which is what makes a retry worth it. A header that is not a nonce is ignored.
    pub fn remember(&mut self, url: &str, header: Option<&str>) -> bool {
        let Some(nonce) = header.map(str::trim).filter(|n| nonce_syntax(n)) else {
            return false;
        };
        let origin = origin(url);
        match self.known.iter().position(|(known, _)| *known == origin) {
            Some(at) if self.known[at].1 == nonce => false,
            Some(at) => {
                self.known[at].1 = nonce.to_owned();
                true
            }
            // Full: the slots are reused in turn, the oldest first.
            None if self.known.len() == MAX_NONCES => {
                self.known[self.evicted % MAX_NONCES] = (origin, nonce.to_owned());
                self.evicted += 1;
                true
            }
            None => {
                self.known.push((origin, nonce.to_owned()));
                true
            }
        }
    }
}

/// Whether an authorization server's answer asks for a nonce (§8): HTTP 400 with
/// `"error": "use_dpop_nonce"` in its JSON body.
pub fn token_endpoint_wants_nonce(status: u16, body: &[u8]) -> bool {
    status == 400
        && json::parse_object(body).is_ok_and(|object| object.get("error").and_then(Value::as_str) == Some(USE_NONCE))
}

/// Whether a resource server's answer asks for a nonce (§9): HTTP 401 whose `WWW-Authenticate`
/// has a `DPoP` challenge with `error="use_dpop_nonce"`.
pub fn resource_wants_nonce(status: u16, www_authenticate: Option<&str>) -> bool {
    status == 401
        && www_authenticate.is_some_and(|header| challenge_error(header, "dpop").as_deref() == Some(USE_NONCE))
}

/// Whether a resource server's answer refuses the DPoP proof rather than the token (§7.1: a 401
/// whose `DPoP` challenge has `error="invalid_dpop_proof"`): a refresh would not help (a new
/// token gets a proof made the same way), so the caller gets the answer and the refresh token
/// is not spent.
pub fn proof_refused(status: u16, www_authenticate: Option<&str>) -> bool {
    status == 401
        && www_authenticate
            .is_some_and(|header| challenge_error(header, "dpop").as_deref() == Some("invalid_dpop_proof"))
}

/// Whether to send a request again after its answer: once only (`first`), when the server
/// asked for a nonce (`wants_nonce`) and sent one that this client did not use yet
/// (`new_nonce`), so the retry can succeed where the first try failed.
pub fn retry_with_nonce(first: bool, wants_nonce: bool, new_nonce: bool) -> bool {
    first && wants_nonce && new_nonce
}

/// The `error` parameter of `header`'s challenge of `scheme` (RFC 9110 11.6.1: challenges are
/// `scheme [ token68 / #auth-param ]`, separated by commas like their parameters); a parameter
/// is told from the next challenge by its `=`.
fn challenge_error(header: &str, scheme: &str) -> Option<String> {
    let bytes = header.as_bytes();
    let skip = |mut at: usize, set: &[u8]| {
        while bytes.get(at).is_some_and(|b| set.contains(b)) {
            at += 1;
        }
        at
    };
    let token_end = |mut at: usize| {
        while bytes.get(at).is_some_and(|b| !b" \t,=\"".contains(b)) {
            at += 1;
        }
        at
    };
    let (mut at, mut in_scheme) = (0, false);
    loop {
        at = skip(at, b" \t,");
        let start = at;
        at = token_end(at);
        let name = header.get(start..at)?;
        let equals = skip(at, b" \t");
        if bytes.get(equals) != Some(&b'=') || name.is_empty() {
            // A scheme (or a token68, or a stray character), which starts a new challenge.
            in_scheme = name.eq_ignore_ascii_case(scheme);
            at = at.max(start + 1);
            if start >= bytes.len() {
                return None;
            }
            continue;
        }
        at = skip(equals + 1, b" \t");
        let mut value = Vec::new();
        if bytes.get(at) == Some(&b'"') {
            loop {
                at += 1;
                match *bytes.get(at)? {
                    b'"' => break,
                    b'\\' => value.push(*bytes.get(at + 1)?),
                    b => value.push(b),
                }
                at += usize::from(bytes.get(at) == Some(&b'\\'));
            }
            at += 1;
        } else {
            let start = at;
            at = skip(token_end(at), b"=");
            value.extend_from_slice(bytes.get(start..at)?);
        }
        if in_scheme && name.eq_ignore_ascii_case("error") {
            return String::from_utf8(value).ok();
        }
    }
}

/// Whether a client's DPoP key pair may be kept across reloads (in IndexedDB: the
/// non-extractable `CryptoKey`, never a token): only when a reload needs the same key, that is
/// when the refresh token outlives the page in the API's cookie (`refresh_cookie`) or is bound to
/// the key (`bound_refresh_token`: a public OAuth client's, §5, which `dpop_jkt` also binds the
/// authorization code to across the redirect, §10). Otherwise the key lives as long as the page.
pub fn key_kept_across_reloads(refresh_cookie: bool, bound_refresh_token: bool) -> bool {
    refresh_cookie || bound_refresh_token
}

/// The `dpop_jkt` of an authorization request (§10) of a client with `dpop`, whose key pair's
/// thumbprint is `thumbprint` once the key is there. Never left out for a DPoP client: the code
/// would not be bound to the key. ERR_DPOP_KEY_UNAVAILABLE while the key is still being made
/// (just after `new OAuthClient`, or after a logout dropped the last one); the caller starts it.
pub fn authorization_jkt(dpop: bool, thumbprint: Option<String>) -> Result<Option<String>, Error> {
    match (dpop, thumbprint) {
        (false, _) => Ok(None),
        (true, Some(jkt)) => Ok(Some(jkt)),
        (true, None) => Err(Error::DpopKeyUnavailable(
            "the key pair for dpop_jkt is still being made: try again in a moment (OAuthClient.discover waits for it)",
        )),
    }
}

/// Whether a peer tab's key pair (which came with its DPoP-bound tokens) may become this tab's:
/// when this tab holds no key yet (`holds_key`), or the peer's session is a newer one than this
/// tab's (`peer_epoch` > `own_epoch`: a new login). Never in place of the key of a session this
/// tab holds: any script of the origin can post on the channel, and a key it swapped in would be
/// the one every later proof (and, where the key is kept, every later login) is made with.
pub fn may_adopt_peer_key(holds_key: bool, peer_epoch: f64, own_epoch: f64) -> bool {
    !holds_key || peer_epoch > own_epoch
}

/// A token answer's `token_type` (or a peer tab's tokens) against the client's `dpop` option.
/// A DPoP-bound token is useless to a client without the key (and must not be sent as Bearer).
/// A Bearer token to a DPoP client is refused too: RFC 9449 §5 has the client notice a server
/// that did not bind the token, and using it silently would turn `dpop: true` into Bearer
/// without anyone knowing. ERR_AUTH_INVALID_RESPONSE (the answer is not what was asked for),
/// not ERR_DPOP_BINDING_MISMATCH, which is the resource server's refusal of a proof.
pub fn check_token_type(tokens: &TokenSet, dpop: bool) -> Result<(), Error> {
    match (tokens.dpop, dpop) {
        (true, false) => Err(Error::InvalidResponse(
            "the token answer has token_type DPoP, which needs the client's dpop option".into(),
        )),
        (false, true) => Err(Error::InvalidResponse(
            "the token answer has token_type Bearer where DPoP was asked: the server did not bind the token".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7515 appendix A.3's P-256 key.
    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn key() -> PublicKey {
        PublicKey::p256(X, Y).expect("a P-256 key")
    }

    fn parts(input: &Secret) -> (json::Map, json::Map) {
        let (header, claims) = input.expose().split_once('.').expect("two parts");
        let decode = |part: &str| {
            json::parse_object(&crate::jose::base64::url_decode(part.as_bytes()).expect("base64url")).expect("JSON")
        };
        (decode(header), decode(claims))
    }

    #[test]
    fn a_token_requests_proof_has_the_rfc_9449_header_and_claims() {
        let request = ProofRequest {
            method: "POST",
            url: "https://server.example.com/token?x=1#f",
            access_token: None,
            nonce: None,
        };
        let input = signing_input(&key(), &request, 1_562_262_616.9, "e1j3V_bKic8-LAEB");
        let (header, claims) = parts(&input);
        assert_eq!(header.get("typ").and_then(Value::as_str), Some("dpop+jwt"));
        assert_eq!(header.get("alg").and_then(Value::as_str), Some("ES256"));
        let jwk = header.get("jwk").and_then(Value::as_object).expect("a jwk");
        assert_eq!(jwk.keys().map(String::as_str).collect::<Vec<_>>(), ["crv", "kty", "x", "y"]);
        assert_eq!(jwk.get("x").and_then(Value::as_str), Some(X));
        assert!(!jwk.contains_key("d"));
        assert_eq!(claims.get("htm").and_then(Value::as_str), Some("POST"));
        assert_eq!(claims.get("htu").and_then(Value::as_str), Some("https://server.example.com/token"));
        assert_eq!(claims.get("iat").and_then(Value::as_f64), Some(1_562_262_616.0));
        assert_eq!(claims.get("jti").and_then(Value::as_str), Some("e1j3V_bKic8-LAEB"));
        assert!(!claims.contains_key("nonce") && !claims.contains_key("ath"));
        assert_eq!(format!("{input:?}"), "[redacted]");
    }

    #[test]
    fn htm_and_htu_are_json_escaped() {
        let request =
            ProofRequest { method: "P\"O\\S\nT", url: "https://a.example/x\u{1}y", access_token: None, nonce: None };
        let (_, claims) = parts(&signing_input(&key(), &request, 1.0, "j"));
        assert_eq!(claims.get("htm").and_then(Value::as_str), Some("P\"O\\S\nT"));
        assert_eq!(claims.get("htu").and_then(Value::as_str), Some("https://a.example/x\u{1}y"));
    }

    #[test]
    fn a_resource_requests_proof_has_ath_and_the_nonce() {
        // RFC 9449 §7.1's example access token and its ath.
        let token = Secret::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into());
        assert_eq!(ath(&token), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        let request = ProofRequest {
            method: "GET",
            url: "https://resource.example.org/protectedresource",
            access_token: Some(&token),
            nonce: Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
        };
        let (_, claims) = parts(&signing_input(&key(), &request, 1.0, "j"));
        assert_eq!(claims.get("ath").and_then(Value::as_str), Some("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"));
        assert_eq!(claims.get("nonce").and_then(Value::as_str), Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
    }

    #[test]
    fn the_compact_proof_is_the_input_and_the_signature() {
        let input = Secret::new("aaa.bbb".into());
        let proof = compact(&input, &[0u8; 64]).expect("64 bytes");
        assert_eq!(proof.expose(), format!("aaa.bbb.{}", "A".repeat(86)));
        assert_eq!(compact(&input, &[0u8; 70]).expect_err("DER").code(), "ERR_DPOP_KEY_UNAVAILABLE");
    }

    #[test]
    fn keys_and_jtis() {
        assert_eq!(PublicKey::p256("short", Y).expect_err("short").code(), "ERR_DPOP_KEY_UNAVAILABLE");
        assert_eq!(PublicKey::p256(X, "not base64!").expect_err("bad").code(), "ERR_DPOP_KEY_UNAVAILABLE");
        let (a, b) = (jti().expect("random"), jti().expect("random"));
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
    }

    #[test]
    fn htu_and_origin() {
        assert_eq!(htu("https://a.example/p/q?x=1"), "https://a.example/p/q");
        assert_eq!(htu("https://a.example/p#frag?"), "https://a.example/p");
        assert_eq!(htu("https://a.example/"), "https://a.example/");
        assert_eq!(origin("https://A.example:8443/token?x"), "https://a.example:8443");
        assert_eq!(origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(origin("http://127.0.0.1:8080?q"), "http://127.0.0.1:8080");
    }

    #[test]
    fn nonces_are_remembered_per_origin() {
        let mut nonces = Nonces::default();
        assert_eq!(nonces.for_url("https://as.example/token"), None);
        assert!(nonces.remember("https://as.example/token", Some("n-1")));
        assert!(!nonces.remember("https://as.example/revoke", Some("n-1")), "the same nonce is no news");
        assert_eq!(nonces.for_url("https://as.example/other?x"), Some("n-1"));
        assert_eq!(nonces.for_url("https://rs.example/api"), None);
        assert!(nonces.remember("https://as.example/token", Some(" n-2 ")));
        assert_eq!(nonces.for_url("https://as.example/token"), Some("n-2"));
        for bad in [None, Some(""), Some("has \"quote\""), Some("back\\slash"), Some("sp ace"), Some("caf\u{e9}")] {
            assert!(!nonces.remember("https://as.example/token", bad), "{bad:?}");
        }
        assert_eq!(nonces.for_url("https://as.example/token"), Some("n-2"));
        for i in 0..MAX_NONCES {
            nonces.remember(&format!("https://s{i}.example"), Some("n"));
        }
        assert_eq!(nonces.for_url("https://as.example/token"), None, "the oldest is forgotten");
        assert_eq!(nonces.known.len(), MAX_NONCES);
    }

    #[test]
    fn the_authorization_server_asks_for_a_nonce_with_a_400() {
        let body =
            br#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#;
        assert!(token_endpoint_wants_nonce(400, body));
        assert!(!token_endpoint_wants_nonce(401, body));
        assert!(!token_endpoint_wants_nonce(400, br#"{"error":"invalid_dpop_proof"}"#));
        assert!(!token_endpoint_wants_nonce(400, b"use_dpop_nonce"));
    }

    #[test]
    fn the_resource_server_asks_for_a_nonce_with_a_dpop_challenge() {
        let yes = [
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
            r#"Bearer realm="x", DPoP algs="ES256 PS256", error="use_dpop_nonce""#,
            "dpop error=use_dpop_nonce",
            r#"Basic realm="a=b", DPoP  error = "use_dpop_nonce""#,
        ];
        for header in yes {
            assert!(resource_wants_nonce(401, Some(header)), "{header}");
        }
        let no = [
            r#"Bearer error="use_dpop_nonce""#,
            r#"DPoP error="invalid_dpop_proof""#,
            r#"DPoP algs="ES256", Bearer error="use_dpop_nonce""#,
            r#"DPoP error_description="use_dpop_nonce""#,
            "DPoP",
            "",
            r#"DPoP error="use_dpop_nonce"#,
        ];
        for header in no {
            assert!(!resource_wants_nonce(401, Some(header)), "{header}");
        }
        assert!(!resource_wants_nonce(401, None));
        assert!(!resource_wants_nonce(403, Some(yes[0])));
    }

    #[test]
    fn a_peer_key_replaces_no_key_of_the_session_this_tab_holds() {
        assert!(may_adopt_peer_key(false, 5.0, 5.0), "no key yet");
        assert!(may_adopt_peer_key(false, 1.0, 5.0), "no key yet (react() decides on the epoch)");
        assert!(may_adopt_peer_key(true, 6.0, 5.0), "a new login in the peer");
        assert!(!may_adopt_peer_key(true, 5.0, 5.0), "the same session: the key stays");
        assert!(!may_adopt_peer_key(true, 4.0, 5.0));
    }

    #[test]
    fn dpop_jkt_is_never_left_out_of_a_dpop_clients_authorization_request() {
        assert_eq!(authorization_jkt(false, None).ok(), Some(None));
        assert_eq!(authorization_jkt(false, Some("t".into())).ok(), Some(None));
        assert_eq!(authorization_jkt(true, Some("t".into())).ok(), Some(Some("t".to_owned())));
        let error = authorization_jkt(true, None).expect_err("no key yet");
        assert_eq!(error.code(), "ERR_DPOP_KEY_UNAVAILABLE");
    }

    #[test]
    fn a_refused_proof_is_told_from_a_refused_token() {
        assert!(proof_refused(401, Some(r#"DPoP algs="ES256", error="invalid_dpop_proof""#)));
        assert!(proof_refused(401, Some(r#"Bearer realm="x", DPoP error=invalid_dpop_proof"#)));
        assert!(!proof_refused(401, Some(r#"DPoP error="invalid_token""#)));
        assert!(!proof_refused(401, Some(r#"Bearer error="invalid_dpop_proof""#)), "another scheme's");
        assert!(!proof_refused(401, None));
        assert!(!proof_refused(403, Some(r#"DPoP error="invalid_dpop_proof""#)));
    }

    #[test]
    fn one_retry_and_only_with_a_new_nonce() {
        assert!(retry_with_nonce(true, true, true));
        assert!(!retry_with_nonce(false, true, true), "never twice");
        assert!(!retry_with_nonce(true, true, false), "the same nonce would fail again");
        assert!(!retry_with_nonce(true, false, true));
    }

    #[test]
    fn the_key_outlives_the_page_only_when_a_reload_needs_it() {
        assert!(!key_kept_across_reloads(false, false));
        assert!(key_kept_across_reloads(true, false));
        assert!(key_kept_across_reloads(false, true));
    }

    #[test]
    fn a_dpop_token_needs_the_dpop_option_and_a_dpop_client_a_dpop_token() {
        let dpop = TokenSet::from_json(br#"{"access_token":"at","token_type":"DPoP"}"#).expect("valid");
        let bearer = TokenSet::from_json(br#"{"access_token":"at","token_type":"Bearer"}"#).expect("valid");
        assert!(check_token_type(&dpop, true).is_ok());
        assert_eq!(check_token_type(&dpop, false).expect_err("no key").code(), "ERR_AUTH_INVALID_RESPONSE");
        let error = check_token_type(&bearer, true).expect_err("a DPoP client notices an unbound token");
        assert_eq!(error.code(), "ERR_AUTH_INVALID_RESPONSE");
        assert!(error.to_string().contains("token_type Bearer where DPoP was asked"));
        let untyped = TokenSet::from_json(br#"{"access_token":"at"}"#).expect("valid");
        assert!(check_token_type(&untyped, true).is_err(), "a missing token_type is Bearer");
        assert!(check_token_type(&bearer, false).is_ok());
    }
}
