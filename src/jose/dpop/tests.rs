//! The proof checks end to end, natively: the RFC 9449 examples, and proofs signed here (ES256
//! with a fixed P-256 key, Ed25519) with one thing wrong at a time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use serde_json::json;

use super::*;
use crate::jose::json::{from_serde, parse_object};

/// RFC 9449 figure 3 (section 4.1): a proof for `POST https://server.example.com/token`.
const RFC_TOKEN_PROOF: &str = concat!(
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.",
    "eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.",
    "2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
);
/// RFC 9449 figure 13 (section 7.1): the proof of a resource request with its access token.
const RFC_RESOURCE_PROOF: &str = concat!(
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.",
    "eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.",
    "2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
);
const RFC_ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

const NOW: i64 = 1_700_000_000;
const URL: &str = "https://api.example.com/v1/resources?page=2";
const TOKEN: &str = "an.access.token";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn es256_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).expect("a valid scalar")
}

fn es256_jwk() -> serde_json::Value {
    let point = es256_key().verifying_key().to_encoded_point(false);
    json!({ "kty": "EC", "crv": "P-256", "x": b64(point.x().expect("x")), "y": b64(point.y().expect("y")) })
}

/// A proof with `header` and `claims`, signed with the ES256 key.
fn sign_es256(header: &serde_json::Value, claims: &serde_json::Value) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature: p256::ecdsa::Signature = es256_key().sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

fn header() -> serde_json::Value {
    json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": es256_jwk() })
}

fn claims() -> serde_json::Value {
    json!({ "jti": "j-1", "htm": "GET", "htu": "https://api.example.com/v1/resources", "iat": NOW, "ath": access_token_hash(TOKEN) })
}

fn request() -> ProofRequest<'static> {
    ProofRequest { method: "GET", url: URL, access_token: Some(TOKEN), nonces: None, now: NOW }
}

fn verify_with(proof: &str, request: &ProofRequest<'_>) -> Result<Proof, Error> {
    verify(proof, request, &ProofPolicy::default())
}

/// The error code of verifying a proof made of `header` and `claims`.
fn refusal(header: serde_json::Value, claims: serde_json::Value) -> &'static str {
    verify_with(&sign_es256(&header, &claims), &request()).expect_err("refused").code()
}

fn with(mut value: serde_json::Value, name: &str, member: serde_json::Value) -> serde_json::Value {
    value[name] = member;
    value
}

fn without(mut value: serde_json::Value, name: &str) -> serde_json::Value {
    value.as_object_mut().expect("object").remove(name);
    value
}

#[test]
fn the_rfc_9449_token_request_proof() {
    let request = ProofRequest {
        method: "POST",
        url: "https://server.example.com/token",
        access_token: None,
        nonces: None,
        now: 1_562_262_616,
    };
    let proof = verify_with(RFC_TOKEN_PROOF, &request).expect("the RFC's proof");
    assert_eq!(proof, Proof { jkt: RFC_JKT.into(), jti: "-BwC3ESc6acc2lTc".into(), iat: 1_562_262_616 });
    // Five minutes later it is too old; for another method or URL it does not count.
    let later = ProofRequest { now: 1_562_262_616 + 301, ..request };
    assert_eq!(verify_with(RFC_TOKEN_PROOF, &later).map_err(|e| e.code()), Err("ERR_DPOP_INVALID_PROOF"));
    let get = ProofRequest { method: "GET", ..request };
    assert_eq!(verify_with(RFC_TOKEN_PROOF, &get), Err(invalid("the DPoP proof's htm is not the request's method")));
    let other = ProofRequest { url: "https://server.example.com/other", ..request };
    assert_eq!(verify_with(RFC_TOKEN_PROOF, &other), Err(invalid("the DPoP proof's htu is not the request's URL")));
}

#[test]
fn the_rfc_9449_resource_request_proof_and_its_ath() {
    assert_eq!(access_token_hash(RFC_ACCESS_TOKEN), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    let request = ProofRequest {
        method: "GET",
        url: "https://resource.example.org/protectedresource",
        access_token: Some(RFC_ACCESS_TOKEN),
        nonces: None,
        now: 1_562_262_618,
    };
    let proof = verify_with(RFC_RESOURCE_PROOF, &request).expect("the RFC's proof");
    assert_eq!(proof.jkt, RFC_JKT);
    let other_token = ProofRequest { access_token: Some("another token"), ..request };
    assert_eq!(
        verify_with(RFC_RESOURCE_PROOF, &other_token),
        Err(invalid("the DPoP proof's ath is not the access token's hash"))
    );
    // The RFC's token is bound to the key (figure 7's cnf), and to no other.
    let bound = parse_object(br#"{"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}"#).expect("claims");
    assert_eq!(binding::check(&bound, &Binding::Jkt(proof.jkt.clone())), Ok(()));
    assert_eq!(
        binding::check(&bound, &Binding::Jkt("other".into())).map_err(|e| e.code()),
        Err("ERR_DPOP_BINDING_MISMATCH")
    );
}

#[test]
fn a_good_proof_gives_its_key_thumbprint_jti_and_iat() {
    let proof = verify_with(&sign_es256(&header(), &claims()), &request()).expect("valid");
    let jkt = crate::jose::thumbprint::jwk_thumbprint_of(&from_serde(&es256_jwk())).expect("jkt");
    assert_eq!(proof, Proof { jkt, jti: "j-1".into(), iat: NOW });
    // The window: 300 s back, 5 s forward.
    for iat in [NOW - 300, NOW + 5] {
        assert!(verify_with(&sign_es256(&header(), &with(claims(), "iat", json!(iat))), &request()).is_ok(), "{iat}");
    }
}

#[test]
fn the_signature_is_checked_with_the_embedded_key_and_reported_first() {
    let good = sign_es256(&header(), &claims());
    let (input, signature) = good.rsplit_once('.').expect("three parts");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("b64");
    bytes[10] ^= 1;
    let tampered = format!("{input}.{}", b64(&bytes));
    assert_eq!(verify_with(&tampered, &request()), Err(invalid("the DPoP proof signature is not valid")));
    // Another key in the header than the one that signed.
    let other = p256::ecdsa::SigningKey::from_bytes(&[9u8; 32].into()).expect("scalar");
    let point = other.verifying_key().to_encoded_point(false);
    let other_jwk =
        json!({ "kty": "EC", "crv": "P-256", "x": b64(point.x().expect("x")), "y": b64(point.y().expect("y")) });
    let proof = sign_es256(&with(header(), "jwk", other_jwk), &claims());
    assert_eq!(verify_with(&proof, &request()), Err(invalid("the DPoP proof signature is not valid")));
    // A bad signature hides a stale iat (the claims' verdict waits for the signature's).
    let stale = sign_es256(&header(), &with(claims(), "iat", json!(NOW - 1000)));
    let (input, _) = stale.rsplit_once('.').expect("three parts");
    let forged = format!("{input}.{}", b64(&bytes));
    assert_eq!(verify_with(&forged, &request()), Err(invalid("the DPoP proof signature is not valid")));
}

#[test]
fn the_header_must_say_dpop_jwt_with_an_asymmetric_alg_and_a_public_jwk() {
    assert_eq!(refusal(without(header(), "typ"), claims()), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(with(header(), "typ", json!("JWT")), claims()), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(with(header(), "typ", json!("application/dpop+jwt")), claims()), "ERR_DPOP_INVALID_PROOF");
    assert!(verify_with(&sign_es256(&with(header(), "typ", json!("DPoP+JWT")), &claims()), &request()).is_ok());
    assert_eq!(refusal(without(header(), "jwk"), claims()), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(with(header(), "jwk", json!("a key")), claims()), "ERR_DPOP_INVALID_PROOF");
    for member in ["jku", "x5u", "x5c", "crit", "b64", "zip"] {
        assert_eq!(refusal(with(header(), member, json!(["x"])), claims()), "ERR_DPOP_INVALID_PROOF", "{member}");
    }
    // An ES384 header on an ES256 key, and algorithms outside a narrowed allow-list.
    let es384 = sign_es256(&with(header(), "alg", json!("ES384")), &claims());
    assert_eq!(verify_with(&es384, &request()), Err(invalid("the DPoP proof's jwk does not fit its alg")));
    let only_eddsa = ProofPolicy { algorithms: vec![Alg::EdDsa], ..ProofPolicy::default() };
    let proof = sign_es256(&header(), &claims());
    let not_allowed = invalid("the DPoP proof's alg is not an allowed asymmetric algorithm");
    assert_eq!(verify(&proof, &request(), &only_eddsa), Err(not_allowed.clone()));
    assert_eq!(only_eddsa.algs(), "EdDSA");
    // An empty list accepts no algorithm (an empty option never weakens a check).
    let none = ProofPolicy { algorithms: Vec::new(), ..ProofPolicy::default() };
    assert_eq!(verify(&proof, &request(), &none), Err(not_allowed));
    assert_eq!(none.algs(), "");
    assert_eq!(ProofPolicy::default().algorithms, PROOF_ALGORITHMS.to_vec());
    assert_eq!(ProofPolicy::default().algs(), "ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA");
}

#[test]
fn a_private_key_in_the_jwk_is_refused() {
    let private = with(es256_jwk(), "d", json!(b64(&[7u8; 32])));
    let proof = sign_es256(&with(header(), "jwk", private), &claims());
    assert_eq!(verify_with(&proof, &request()), Err(invalid("the DPoP proof's jwk holds a private or symmetric key")));
}

#[test]
fn alg_none_and_hmac_proofs_are_refused() {
    let unsigned = format!(
        "{}.{}.",
        b64(json!({ "typ": "dpop+jwt", "alg": "none", "jwk": es256_jwk() }).to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let refused = invalid("the DPoP proof's alg is not an allowed asymmetric algorithm");
    assert_eq!(verify_with(&unsigned, &request()), Err(refused.clone()));
    // HS256 with an oct key in the header: anyone who reads the proof could sign more.
    use ::hmac::{Hmac, Mac};
    let secret = [1u8; 32];
    let oct = json!({ "kty": "oct", "k": b64(&secret) });
    let input = format!(
        "{}.{}",
        b64(json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": oct }).to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&secret).expect("key");
    mac.update(input.as_bytes());
    let hs256 = format!("{input}.{}", b64(&mac.finalize().into_bytes()));
    assert_eq!(verify_with(&hs256, &request()), Err(refused));
    // HS256 named with an EC key: still refused by alg.
    assert_eq!(refusal(with(header(), "alg", json!("HS256")), claims()), "ERR_DPOP_INVALID_PROOF");
}

/// The refusal of a proof with these claims, the check named.
fn reason(claims: serde_json::Value) -> Result<Proof, Error> {
    verify_with(&sign_es256(&header(), &claims), &request())
}

#[test]
fn htm_and_htu_must_be_the_requests() {
    let wrong_htm = Err(invalid("the DPoP proof's htm is not the request's method"));
    assert_eq!(reason(with(claims(), "htm", json!("POST"))), wrong_htm);
    assert_eq!(reason(with(claims(), "htm", json!("get"))), wrong_htm);
    assert_eq!(reason(without(claims(), "htm")), wrong_htm);
    let wrong_htu = Err(invalid("the DPoP proof's htu is not the request's URL"));
    assert_eq!(reason(with(claims(), "htu", json!("https://api.example.com/v1/other"))), wrong_htu);
    assert_eq!(reason(with(claims(), "htu", json!("https://evil.example/v1/resources"))), wrong_htu);
    assert_eq!(reason(without(claims(), "htu")), Err(invalid("the DPoP proof has no htu")));
    // Normalised: case of scheme and host, default port, a query and fragment in the proof.
    let equivalent = with(claims(), "htu", json!("HTTPS://API.example.com:443/v1/%72esources?x#y"));
    assert!(verify_with(&sign_es256(&header(), &equivalent), &request()).is_ok());
}

#[test]
fn iat_must_be_within_the_window() {
    assert_eq!(
        verify_with(&sign_es256(&header(), &with(claims(), "iat", json!(NOW - 301))), &request()),
        Err(invalid("the DPoP proof's iat is too old"))
    );
    assert_eq!(
        verify_with(&sign_es256(&header(), &with(claims(), "iat", json!(NOW + 6))), &request()),
        Err(invalid("the DPoP proof's iat is in the future"))
    );
    assert_eq!(refusal(header(), with(claims(), "iat", json!("1700000000"))), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(header(), without(claims(), "iat")), "ERR_DPOP_INVALID_PROOF");
    let wide = ProofPolicy { max_age_seconds: 60, leeway_seconds: 0, ..ProofPolicy::default() };
    assert!(verify(&sign_es256(&header(), &with(claims(), "iat", json!(NOW - 61))), &request(), &wide).is_err());
    assert!(verify(&sign_es256(&header(), &with(claims(), "iat", json!(NOW + 1))), &request(), &wide).is_err());
}

#[test]
fn jti_must_be_there_and_bounded() {
    assert_eq!(refusal(header(), without(claims(), "jti")), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(header(), with(claims(), "jti", json!(""))), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(header(), with(claims(), "jti", json!(42))), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(header(), with(claims(), "jti", json!("x".repeat(257)))), "ERR_DPOP_INVALID_PROOF");
    assert!(verify_with(&sign_es256(&header(), &with(claims(), "jti", json!("x".repeat(256)))), &request()).is_ok());
}

#[test]
fn ath_must_be_the_access_tokens_hash() {
    assert_eq!(refusal(header(), with(claims(), "ath", json!(access_token_hash("another")))), "ERR_DPOP_INVALID_PROOF");
    assert_eq!(refusal(header(), without(claims(), "ath")), "ERR_DPOP_INVALID_PROOF");
    // Without an access token (a token endpoint) ath is not compared.
    let token_endpoint = ProofRequest { access_token: None, ..request() };
    assert!(verify_with(&sign_es256(&header(), &without(claims(), "ath")), &token_endpoint).is_ok());
}

#[test]
fn a_nonce_is_needed_only_when_the_server_asks_for_one() {
    let nonces = ["n-2".to_owned(), "n-1".to_owned()];
    let asking = ProofRequest { nonces: Some(&nonces), ..request() };
    let code = |claims: serde_json::Value| verify_with(&sign_es256(&header(), &claims), &asking).map_err(|e| e.code());
    assert_eq!(code(claims()), Err("ERR_DPOP_NONCE_REQUIRED"));
    assert_eq!(code(with(claims(), "nonce", json!("stale"))), Err("ERR_DPOP_NONCE_REQUIRED"));
    assert!(code(with(claims(), "nonce", json!("n-1"))).is_ok());
    assert!(code(with(claims(), "nonce", json!("n-2"))).is_ok());
    // Another error outranks the nonce: the client must fix that first.
    assert_eq!(code(with(claims(), "htm", json!("PUT"))), Err("ERR_DPOP_INVALID_PROOF"));
    // A server without nonces ignores one in the proof.
    assert!(verify_with(&sign_es256(&header(), &with(claims(), "nonce", json!("x"))), &request()).is_ok());
}

#[test]
fn malformed_proofs_are_invalid_proofs() {
    let good = sign_es256(&header(), &claims());
    for bad in [
        String::new(),
        "a.b".into(),
        format!("{good}.x"),
        good.replace('.', "=."),
        format!("{}.{}.{}", b64(b"[]"), b64(b"{}"), b64(&[1; 64])),
        "x".repeat(9000),
    ] {
        assert_eq!(verify_with(&bad, &request()).map_err(|e| e.code()), Err("ERR_DPOP_INVALID_PROOF"), "{bad:.40}");
    }
    let not_object = sign_es256(&header(), &json!([1]));
    assert_eq!(verify_with(&not_object, &request()).map_err(|e| e.code()), Err("ERR_DPOP_INVALID_PROOF"));
}

#[test]
fn an_ed25519_proof() {
    use ed25519_dalek::Signer as _;
    let key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
    let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(key.verifying_key().as_bytes()) });
    let header = json!({ "typ": "dpop+jwt", "alg": "EdDSA", "jwk": jwk });
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims().to_string().as_bytes()));
    let proof = format!("{input}.{}", b64(&key.sign(input.as_bytes()).to_bytes()));
    let verified = verify_with(&proof, &request()).expect("EdDSA");
    assert_eq!(verified.jkt, crate::jose::thumbprint::jwk_thumbprint_of(&from_serde(&jwk)).expect("jkt"));
}

#[test]
fn the_steps_split_as_the_web_layer_uses_them() {
    let proof = sign_es256(&header(), &claims());
    let unverified = check(&proof, &request(), &ProofPolicy::default()).expect("checked");
    assert_eq!(unverified.alg(), Alg::Es256);
    assert_eq!(unverified.message(), proof.rsplit_once('.').expect("dot").0.as_bytes());
    assert_eq!(unverified.signature().len(), 64);
    let jkt = unverified.jkt().to_owned();
    assert_eq!(unverified.finish(true).expect("valid").jkt, jkt);
    let unverified = check(&proof, &request(), &ProofPolicy::default()).expect("checked");
    assert_eq!(unverified.finish(false).map_err(|e| e.code()), Err("ERR_DPOP_INVALID_PROOF"));
}

#[test]
fn bound_tokens_need_their_key_and_unbound_ones_no_key() {
    let claims = |text: &str| parse_object(text.as_bytes()).expect("claims");
    let bound = claims(r#"{"sub":"u","cnf":{"jkt":"abc"}}"#);
    let plain = claims(r#"{"sub":"u"}"#);
    let code =
        |claims: &crate::jose::json::Map, binding: Binding| binding::check(claims, &binding).map_err(|e| e.code());
    assert_eq!(code(&bound, Binding::Jkt("abc".into())), Ok(()));
    assert_eq!(code(&bound, Binding::Jkt("abd".into())), Err("ERR_DPOP_BINDING_MISMATCH"));
    assert_eq!(code(&bound, Binding::Unbound), Err("ERR_DPOP_BINDING_MISMATCH"));
    assert_eq!(code(&bound, Binding::CheckedByCaller), Ok(()));
    assert_eq!(Binding::default(), Binding::Unbound, "verify() refuses a bound token unless told");
    assert_eq!(code(&plain, Binding::Unbound), Ok(()));
    assert_eq!(code(&plain, Binding::Jkt("abc".into())), Err("ERR_DPOP_BINDING_MISMATCH"));
    // A cnf that is not an object, or a jkt that is not a string, is never "unbound".
    for odd in [r#"{"cnf":"abc"}"#, r#"{"cnf":{"jkt":1}}"#] {
        assert_eq!(code(&claims(odd), Binding::Unbound), Err("ERR_DPOP_BINDING_MISMATCH"), "{odd}");
    }
    // A cnf with another confirmation method only (x5t#S256, mTLS) is not DPoP-bound.
    assert_eq!(code(&claims(r#"{"cnf":{"x5t#S256":"x"}}"#), Binding::Unbound), Ok(()));
}

#[test]
fn dpop_origin_replaces_the_request_urls_origin() {
    // A proof made for api.example.com, replayed at another server whose client sent
    // `Host: api.example.com`: that server's request.url names api.example.com too.
    let spoofed = ProofRequest { url: "http://api.example.com/v1/resources", ..request() };
    let here = ProofPolicy {
        origins: origins(vec!["https://other.example".into()]).expect("origin"),
        ..ProofPolicy::default()
    };
    let proof = sign_es256(&header(), &claims());
    assert_eq!(verify(&proof, &spoofed, &here), Err(invalid("the DPoP proof's htu is not the request's URL")));
    // Without the option the spoofed URL is all the verifier knows (and the scheme differs here).
    let https_spoofed = ProofRequest { url: "https://api.example.com/v1/resources", ..request() };
    assert!(verify(&proof, &https_spoofed, &ProofPolicy::default()).is_ok());
    assert_eq!(verify(&proof, &https_spoofed, &here), Err(invalid("the DPoP proof's htu is not the request's URL")));
    // The resource's own origin: the request's path under it, whatever its URL's origin says.
    let ours = ProofPolicy {
        origins: origins(vec!["https://other.example".into(), "HTTPS://api.example.com:443/".into()]).expect("origins"),
        ..ProofPolicy::default()
    };
    let behind_proxy = ProofRequest { url: "http://10.0.0.7:8080/v1/resources?page=2", ..request() };
    assert!(verify(&proof, &behind_proxy, &ours).is_ok());
    let other_path = ProofRequest { url: "http://10.0.0.7:8080/v1/other", ..request() };
    assert_eq!(verify(&proof, &other_path, &ours), Err(invalid("the DPoP proof's htu is not the request's URL")));
    // Only origins: no path, query, fragment, user; at least one.
    assert_eq!(origins(vec!["https://a.example".into()]), Ok(vec!["https://a.example".to_owned()]));
    for bad in [
        "https://a.example/api",
        "https://a.example/?x",
        "https://a.example#f",
        "ftp://a.example",
        "https://u@a.example",
        "a.example",
        "",
    ] {
        assert_eq!(origins(vec![bad.into()]).map_err(|e| e.code()), Err("ERR_AUTH_INVALID_OPTIONS"), "{bad}");
    }
    assert_eq!(origins(Vec::new()).map_err(|e| e.code()), Err("ERR_AUTH_INVALID_OPTIONS"));
}

#[test]
fn the_window_options_are_bounded_and_zero_never_loosens() {
    let code = |r: Result<u64, Error>| r.map_err(|e| e.code());
    assert_eq!(max_age_seconds(Some(300.9)), Ok(300));
    assert_eq!(max_age_seconds(Some(3600.0)), Ok(3600));
    assert_eq!(clock_tolerance_seconds(Some(0.0)), Ok(0));
    assert_eq!(clock_tolerance_seconds(Some(300.0)), Ok(300));
    // 2^63 and more would wrap the replay cache's window negative: refused at construction.
    for bad in [Some(3601.0), Some(9.3e18), Some(f64::INFINITY), Some(f64::NAN), Some(0.0), Some(0.5), Some(-1.0), None]
    {
        assert_eq!(code(max_age_seconds(bad)), Err("ERR_AUTH_INVALID_OPTIONS"), "{bad:?}");
    }
    for bad in [Some(301.0), Some(9.3e18), Some(f64::INFINITY), Some(f64::NAN), Some(-0.5), None] {
        assert_eq!(code(clock_tolerance_seconds(bad)), Err("ERR_AUTH_INVALID_OPTIONS"), "{bad:?}");
    }
    let message = max_age_seconds(Some(1e19)).expect_err("refused").to_string();
    assert!(message.contains("dpopMaxAgeSeconds") && message.contains("3600"), "{message}");
    let message = clock_tolerance_seconds(Some(1e19)).expect_err("refused").to_string();
    assert!(message.contains("dpopClockToleranceSeconds") && message.contains("300"), "{message}");
    // Tolerance 0: no iat in the future at all; max age 1: at most a second old.
    let strict = ProofPolicy { max_age_seconds: 1, leeway_seconds: 0, ..ProofPolicy::default() };
    let at = |iat: f64| verify(&sign_es256(&header(), &with(claims(), "iat", json!(iat))), &request(), &strict);
    assert!(at(NOW as f64).is_ok() && at((NOW - 1) as f64).is_ok());
    assert_eq!(at(NOW as f64 + 0.5), Err(invalid("the DPoP proof's iat is in the future")));
    assert_eq!(at((NOW - 2) as f64), Err(invalid("the DPoP proof's iat is too old")));
    // And the replay cache remembers such a proof as long as its iat can be accepted.
    assert_eq!(replay::forget_after(NOW, &strict), NOW + 2);
}
